"""Text from files is data, never control: what reaches the terminal is escaped.

Class names, file names and model metadata come from users' folders and from model files
anyone may have written. Printed raw, an ESC byte in a class name could recolour, hide or
rewrite the terminal's text (or a bidi override reverse it). Every table cell, note, warning
and error glassnet prints passes through ``printable``: control characters (C0 except tab
and newline, DEL, C1) and Unicode bidi controls become visible escapes like ``\\x1b``.

``robust_streams`` makes stdout and stderr write any text under any locale (``LC_ALL=C``,
``PYTHONIOENCODING=ascii``): characters the encoding lacks become ``\\u2192`` escapes instead
of a ``UnicodeEncodeError``.
"""

from __future__ import annotations

import re
import shlex
import sys

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, keep_newlines: bool = True) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\u202e``)."""
    text = str(text)
    if not keep_newlines:
        text = text.replace("\n", "\\n").replace("\t", " ")
    return CONTROL.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def robust_streams() -> None:
    """stdout/stderr never fail on a character their encoding cannot write."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # e.g. a stream already closed
                pass


def echo(text: str = "", **kwargs) -> None:
    """``click.echo`` of text that may hold names from files."""
    import click

    click.echo(printable(text), **kwargs)


def safe_console(base=None, **kwargs):
    """A rich Console (of class ``base``) whose text segments are escaped (every cell)."""
    from rich.console import Console
    from rich.segment import Segment

    class SafeConsole(base or Console):
        def render(self, renderable, options=None):
            for segment in super().render(renderable, options):
                if segment.control is None and CONTROL.search(segment.text):
                    segment = Segment(printable(segment.text), segment.style, segment.control)
                yield segment

    return SafeConsole(**kwargs)


def resume_command(ctx) -> str:
    """The command line that was run, plus --resume (what to type to continue)."""
    argv = (ctx.find_root().obj or {}).get("argv", sys.argv[1:])
    args = [a for a in argv if a not in ("--debug", "--resume", "--force")]
    return shlex.join(["glassnet", *args, "--resume"])

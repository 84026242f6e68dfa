"""The ``glassnet`` command: a thin skin over the Python API.

Exit codes: 0 done; 2 bad input (usage, data, model file) with one line ``error: …`` on
stderr; 130 interrupted (after saving a checkpoint); 141 the reader of stdout left
(``glassnet … | head -1``: 128 + SIGPIPE, silently, as Unix tools do); 1 a bug. Results go to stdout, progress
and errors to stderr. ``--debug`` (anywhere on the line) or ``GLASSNET_DEBUG=1`` adds the
traceback to any error.

Commands live in ``cli_train`` (train), ``cli_use`` (evaluate, predict, info) and ``demo``;
their tables are drawn by ``cli_show``.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings

import click

from glassnet.cli.terminal import printable, robust_streams
from glassnet.errors import GlassnetError

EXIT_OK, EXIT_BUG, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE: what a shell reports for a tool whose reader left
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class ReaderLeft(Exception):
    """stdout's reader closed the pipe (raised past click, which would exit 1 on EPIPE)."""


class Group(click.Group):
    """The command group; a closed stdout pipe leaves it as ``ReaderLeft``, not click's exit 1."""

    def make_context(self, *args, **kwargs):  # `glassnet --help | head -1`
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            raise ReaderLeft() from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise ReaderLeft() from None


@click.group(cls=Group, context_settings=CONTEXT)
@click.option("--debug", is_flag=True, help="Show the traceback of any error (or set GLASSNET_DEBUG=1).")
@click.version_option(package_name="glassnet", prog_name="glassnet", message="%(prog)s %(version)s")
def cli(debug):
    """A glass-box neural network for image classification.

    \b
    Examples:
      glassnet demo
      glassnet train photos/ --out pets.safetensors --size 32x32 --hidden 128 64
      glassnet evaluate pets.safetensors photos-test/
      glassnet predict pets.safetensors new.jpg more-photos/
      glassnet info pets.safetensors

    DATA is a folder with one subfolder of images per class, a folder of MNIST IDX files, a
    .npz (arrays X, y), a .csv with a label column, or builtin:digits / builtin:mnist-5k.
    """


def _register():
    from glassnet.cli.demo import demo
    from glassnet.cli.export import export
    from glassnet.cli.playground import playground
    from glassnet.cli.see import explain_command, report_command
    from glassnet.cli.train import train
    from glassnet.cli.use import evaluate, info, predict

    for command in (demo, train, evaluate, predict, explain_command, report_command, playground, export,
                    info):
        cli.add_command(command)


_register()


def debug_requested(args) -> bool:
    return "--debug" in args or os.environ.get("GLASSNET_DEBUG", "") not in ("", "0", "false")


def fail(message: str, debug: bool, code: int = EXIT_BAD_INPUT) -> int:
    """Print one line ``error: …`` (after the traceback when debugging); return the exit code."""
    if debug:
        traceback.print_exc()
    line = " ".join(printable(message).split())
    print(f"error: {line}", file=sys.stderr, flush=True)
    return code


def one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings (e.g. zero-initialized hidden layers) as one line ``warning: …`` on stderr."""
    print(f"warning: {' '.join(printable(message).split())}", file=sys.stderr, flush=True)


def run(args: list[str]) -> int:
    """Run the command line ``args`` (without the program name); return the exit code."""
    debug = debug_requested(args)
    shown = warnings.showwarning
    if not debug:
        warnings.showwarning = one_line_warning
    try:
        return _run(args, debug)
    finally:
        warnings.showwarning = shown


def _run(args, debug) -> int:
    from glassnet.cli.types import join_multi_values

    typed = [a for a in args if a != "--debug"]
    try:
        if not typed:
            click.echo(cli.get_help(click.Context(cli, info_name="glassnet")))
            sys.stdout.flush()
            return EXIT_OK
        code = cli.main(args=join_multi_values(typed), prog_name="glassnet", standalone_mode=False,
                        obj={"argv": typed})
        sys.stdout.flush()  # a closed pipe shows here, not at exit as "Exception ignored"
    except click.UsageError as e:
        where = e.ctx.command_path if e.ctx is not None else "glassnet"
        return fail(f"{e.format_message()} (see '{where} --help')", debug)
    except click.ClickException as e:
        return fail(e.format_message(), debug)
    except GlassnetError as e:
        return fail(str(e), debug)
    except (click.Abort, KeyboardInterrupt):
        return fail("interrupted.", debug, EXIT_INTERRUPTED)
    except (BrokenPipeError, ReaderLeft):  # `glassnet predict … | head`: not an error
        return reader_left()
    except OSError as e:  # a file the user named cannot be read or written (permissions, disk full)
        return fail(f"{e.filename or 'a file'}: {e.strerror or e}.", debug)
    except Exception as e:  # a bug: say so in one line, the traceback with --debug
        hint = "" if debug else " (run with --debug for the traceback)"
        return fail(f"internal error: {type(e).__name__}: {e}{hint}", debug, EXIT_BUG)
    return code if isinstance(code, int) else EXIT_OK


def reader_left() -> int:
    """stdout's reader is gone: point stdout at /dev/null (so the final flush cannot fail
    again) and end quietly with 128 + SIGPIPE, like any Unix tool in a pipe."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def main(argv=None):
    """Console entry point (``glassnet = "glassnet.cli.main:main"``)."""
    robust_streams()
    sys.exit(run(list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()

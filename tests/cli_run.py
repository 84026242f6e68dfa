"""Run the real ``glassnet`` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys

ENV = {**os.environ, "COLUMNS": "120", "GLASSNET_DEBUG": "", "PYTHONWARNINGS": ""}


def glassnet(*args, cwd=None, timeout=120, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glassnet", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env={**ENV, **(env or {})})


def start(*args, cwd=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "glassnet", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def assert_error(result, *phrases, code=2):
    """Exit ``code``, exactly one line on stderr starting with ``error:``, no traceback."""
    lines = result.stderr.splitlines()
    assert result.returncode == code, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    return lines[0]


def in_process(*args) -> int:
    """The same command line run by ``glassnet.cli.main.run`` inside this process: its exit code.

    For a step that needs no process of its own (training a model that tests then read, or a
    check of what a command prints: capsys reads it), it saves the start and imports of one.
    The environment is ``ENV``'s for the run (``COLUMNS=120``, no ``GLASSNET_DEBUG``)."""
    from glassnet.cli.main import run

    saved = {name: os.environ.get(name) for name in ("COLUMNS", "GLASSNET_DEBUG")}
    os.environ.update(COLUMNS="120", GLASSNET_DEBUG="")
    try:
        return run(list(map(str, args)))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

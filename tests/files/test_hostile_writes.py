"""Output paths that are not regular files, and writes that fail half-way.

Nothing here touches the machine's real device files: FIFOs and sockets are made in
tmp_path; a device node only where os.mknod is permitted (else that case is skipped).
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ModelFileError
from glassnet.files import atomic, io

# ---- what may sit at the output path -------------------------------------------------------


def make_fifo(path):
    os.mkfifo(path)
    return path


def make_socket(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # the socket file stays
    return path


def make_device(path):
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a private copy of "null"
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot create a device node here ({e.strerror}); needs CAP_MKNOD")
    return path


def make_folder(path):
    path.mkdir()
    return path


NOT_FILES = {"fifo": (make_fifo, "a FIFO"), "socket": (make_socket, "a socket"),
             "device": (make_device, "a character device"), "folder": (make_folder, "a folder")}


@pytest.mark.parametrize("kind", sorted(NOT_FILES))
def test_atomic_write_refuses_what_is_not_a_regular_file(tmp_path, kind):
    make, words = NOT_FILES[kind]
    target = make(tmp_path / "out.bin")
    mode = os.lstat(target).st_mode
    with pytest.raises(ModelFileError, match=rf"Refusing to write .*out\.bin: it is {words}"):
        atomic.atomic_write_bytes(target, b"data")
    assert os.lstat(target).st_mode == mode  # still there, still the same kind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]  # no temp file left


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_symlink_to_special_file_is_refused_too(tmp_path, kind):
    make, words = NOT_FILES[kind]
    special = make(tmp_path / "special")
    link = tmp_path / "out.bin"
    link.symlink_to(special)
    with pytest.raises(ModelFileError, match=f"it is {words}"):
        atomic.atomic_write_bytes(link, b"data")
    assert link.is_symlink()


def test_symlink_to_regular_file_writes_the_target_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "model.bin"
    real.write_bytes(b"old")
    link = tmp_path / "model.bin"
    link.symlink_to(real)
    atomic.atomic_write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["model.bin"]


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "model.bin"
    link.symlink_to(tmp_path / "created.bin")
    atomic.atomic_write_bytes(link, b"x")
    assert link.is_symlink() and (tmp_path / "created.bin").read_bytes() == b"x"


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(ModelFileError, match=r"the folder .*nope does not exist"):
        atomic.atomic_write_bytes(tmp_path / "nope" / "m.bin", b"x")


# ---- every writer goes through the same door ---------------------------------------------------
@pytest.fixture(scope="module")
def small_model():
    X = np.random.default_rng(0).random((30, 4)).astype(np.float32)
    model = gn.Sequential([gn.Dense(3, activation="sigmoid"), gn.Dense(2, activation="softmax")])
    model.fit(X, np.arange(30) % 2, epochs=1, seed=0, verbose=0)
    return model, X


def _plot(model, path):
    from glassnet.explain import plots

    plots.save(plots.learning_curves(model.history), path)


def _report(model, path):
    from glassnet.explain.report import write_report

    X = np.random.default_rng(1).random((6, 4)).astype(np.float32)
    write_report(model, (X, np.arange(6) % 2), path)


def _onnx(model, path):
    pytest.importorskip("onnx")
    from glassnet.onnx import export

    export(model, path)


def _checkpoint(model, path):
    from glassnet.train.loop import Trainer

    trainer = Trainer.__new__(Trainer)
    trainer.state_dict = lambda: ({}, {})
    trainer.history = model.history
    io.save_checkpoint(path, trainer, model)


WRITERS = {
    "save": lambda model, path: gn.save(model, path),
    "checkpoint": _checkpoint,
    "plot png": _plot,
    "report html": _report,
    "onnx": _onnx,
    "explanation text": lambda model, path: io.atomic_write_bytes(path, b"text"),
}


@pytest.mark.parametrize("writer", [pytest.param(name, marks=pytest.mark.slow) if name == "report html"
                                    else name for name in sorted(WRITERS)])
def test_every_writer_refuses_a_fifo(tmp_path, small_model, writer):
    model, _ = small_model
    suffix = {"plot png": ".png", "report html": ".html", "onnx": ".onnx"}.get(writer, ".safetensors")
    fifo = make_fifo(tmp_path / f"out{suffix}")
    with pytest.raises(ModelFileError, match="FIFO"):
        WRITERS[writer](model, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.slow
def test_plots_are_written_atomically(tmp_path, small_model, monkeypatch):
    model, _ = small_model
    path = tmp_path / "curves.png"
    _plot(model, path)
    assert path.read_bytes().startswith(b"\x89PNG")
    monkeypatch.setattr(os, "fsync", _fail(errno.ENOSPC))
    with pytest.raises(ModelFileError, match=r"curves\.png: .*disk is full"):
        _plot(model, path)
    assert path.read_bytes().startswith(b"\x89PNG")  # the old picture, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]


# ---- failures half-way: the error names the file, nothing is left behind ----------------------
def _fail(code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO])
def test_write_errors_name_the_file_and_keep_the_old_one(tmp_path, monkeypatch, code):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    monkeypatch.setattr(os, "fsync", _fail(code))
    with pytest.raises(ModelFileError, match=r"Cannot write .*m\.safetensors: ") as info:
        atomic.atomic_write_bytes(path, b"new")
    assert ("disk is full" in str(info.value)) == (code != errno.EIO)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


@pytest.mark.slow
def test_file_size_limit_in_a_real_process_names_the_file(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse the write (EFBIG), as a full disk would."""
    code = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000)); "
            "from glassnet.files.atomic import atomic_write_bytes; "
            f"atomic_write_bytes({str(tmp_path / 'big.bin')!r}, b'x' * 100000)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "ModelFileError: Cannot write" in result.stderr and "big.bin" in result.stderr
    assert list(tmp_path.iterdir()) == []


# ---- stale temporary files of killed runs ------------------------------------------------------
def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_dead_processes_are_removed(tmp_path):
    target = tmp_path / "m.safetensors"
    dead = tmp_path / f".m.safetensors.{_dead_pid()}.abc123.tmp"
    live = tmp_path / f".m.safetensors.{os.getppid()}.def456.tmp"
    other = tmp_path / f".other.safetensors.{_dead_pid()}.abc123.tmp"
    for leftover in (dead, live, other):
        leftover.write_bytes(b"half")
    atomic.atomic_write_bytes(target, b"whole")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["m.safetensors", live.name, other.name])


def test_old_leftovers_without_a_pid_are_removed_after_an_hour(tmp_path):
    target = tmp_path / "m.safetensors"
    old, fresh = tmp_path / ".m.safetensors.k2j3h4.tmp", tmp_path / ".m.safetensors.q9w8e7.tmp"
    for leftover in (old, fresh):
        leftover.write_bytes(b"half")
    two_hours_ago = time.time() - 2 * atomic.STALE_AFTER_S
    os.utime(old, (two_hours_ago, two_hours_ago))
    atomic.atomic_write_bytes(target, b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.safetensors", fresh.name])


def test_a_name_with_glob_characters_only_matches_itself(tmp_path):
    target = tmp_path / "m[1]*.bin"
    stranger = tmp_path / f".m1x.bin.{_dead_pid()}.abc.tmp"
    stranger.write_bytes(b"not ours")
    atomic.atomic_write_bytes(target, b"x")
    assert stranger.exists() and target.read_bytes() == b"x"

"""Hostile input through the real command: exit 2 with one ``error:`` line naming the file,
never a hang (60 s timeout), never a runaway allocation (4 GB address-space limit), never a raw
control byte on the terminal."""

from __future__ import annotations

import gzip
import json
import os
import resource
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.cli_run import ENV

MEMORY_LIMIT = 4 << 30
ESC = b"\x1b"


def _limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def glassnet(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    """The command under a timeout and a memory limit; stdout/stderr as bytes."""
    return subprocess.run([sys.executable, "-m", "glassnet", *map(str, args)], cwd=cwd,
                          capture_output=True, timeout=60, preexec_fn=_limits,
                          env={**ENV, **(env or {})})


def assert_refused(result, *phrases) -> str:
    """Exit 2, one line ``error: …`` holding every phrase, no traceback, no ESC byte."""
    assert ESC not in result.stdout + result.stderr
    stderr = result.stderr.decode("utf-8", "replace")
    lines = stderr.splitlines()
    assert result.returncode == 2, (result.returncode, stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder with a small trained model and a few data files."""
    root = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    np.savez(root / "ok.npz", X=rng.random((40, 4)).astype(np.float32), y=np.arange(40) % 2)
    result = glassnet("train", "ok.npz", "--out", "m.safetensors", "--hidden", "3", "--epochs", "1",
                      "--quiet", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def _write(name, data):
    def make(root):
        path = root / name
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
        return name

    return make


def _npz(name, **arrays):
    def make(root):
        np.savez(root / name, **arrays)
        return name

    return make


def _npy_pair(root):
    np.save(root / "s_X.npy", np.float32(3))
    np.save(root / "s_y.npy", np.int64(1))
    return "s_X.npy"


def _idx_overflow(root):
    folder = root / "idx-overflow"
    folder.mkdir(exist_ok=True)
    header = b"\x00\x00\x08\x03" + struct.pack(">III", 2**31, 2**31, 2**31)
    (folder / "train-images-idx3-ubyte").write_bytes(header + b"\0" * 16)
    (folder / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\0\1")
    return folder.name


def _gzip_bomb(root):
    folder = root / "idx-bomb"
    folder.mkdir(exist_ok=True)
    header = b"\x00\x00\x08\x03" + struct.pack(">III", 2, 2, 2)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + b"\0" * 50_000_000, 1))
    (folder / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\0\1")
    return folder.name


def _fifo(name):
    def make(root):
        path = root / name
        if not path.exists():
            os.mkfifo(path)
        return name

    return make


TRAIN_CASES = {
    "0-row npz": (_npz("zero.npz", X=np.zeros((0, 4), np.float32), y=np.zeros(0, int)), ["zero.npz", "no rows"]),
    "truncated npz": (lambda r: _truncate(r, "ok.npz", "trunc.npz"), ["trunc.npz", "not a readable .npz"]),
    "text file named .npz": (_write("text.npz", "hello\n"), ["text.npz", "not a zip archive"]),
    "scalar .npy": (_npy_pair, ["s_X.npy", "got shape ()"]),
    "IDX dims overflow": (_idx_overflow, ["train-images-idx3-ubyte", "header claims 2,147,483,648 items"]),
    "IDX gzip bomb": (_gzip_bomb, ["train-images-idx3-ubyte.gz", "bytes follow"]),
    "CSV row with an extra cell": (_write("extra.csv", "a,b,label\n1,2,x\n3,4,y,9\n"),
                                   ["extra.csv", "line 3 has 4 cells"]),
    "CSV header only": (_write("empty.csv", "a,b,label\n"), ["empty.csv", "no data rows"]),
    "FIFO as DATA": (_fifo("pipe.npz"), ["pipe.npz is a FIFO"]),
}


def _truncate(root, source, name):
    data = (root / source).read_bytes()
    (root / name).write_bytes(data[: len(data) // 2])
    return name


@pytest.mark.parametrize("case", sorted(TRAIN_CASES))
def test_train_refuses_hostile_data(work, case):
    make, phrases = TRAIN_CASES[case]
    data = make(work)
    assert_refused(glassnet("train", data, "--out", work / "never.safetensors", "--epochs", "1",
                            cwd=work), *phrases)
    assert not (work / "never.safetensors").exists()


def test_absurd_sizes_are_refused_before_loading(work):
    line = assert_refused(glassnet("train", "ok.npz", "--out", "x.safetensors", "--hidden", "10000000000",
                                   cwd=work), "--hidden 10000000000: the first layer alone")
    assert "needs 160 GB" in line and "this machine has" in line
    line = assert_refused(glassnet("train", "photos", "--out", "x.safetensors", "--size", "60000x60000",
                                   cwd=work), "--size 60000x60000")
    assert "needs" in line and "this machine has" in line


def _deep_model(root):
    text = ("[" * 100_000 + "]" * 100_000).encode()
    (root / "deep.safetensors").write_bytes(struct.pack("<Q", len(text)) + text)
    return "deep.safetensors"


MODEL_CASES = {
    "deeply nested JSON header": (_deep_model, ["deep.safetensors", "nests deeper than 64"]),
    "FIFO as MODEL": (_fifo("pipe.safetensors"), ["pipe.safetensors is a FIFO"]),
    "folder as MODEL": (lambda r: (r / "dir.safetensors").mkdir(exist_ok=True) or "dir.safetensors",
                        ["is a folder"]),
}


@pytest.mark.parametrize("command", ["info", "predict"])
@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_hostile_model_files(work, case, command):
    make, phrases = MODEL_CASES[case]
    args = [command, make(work)] + (["ok.npz"] if command == "predict" else [])
    assert_refused(glassnet(*args, cwd=work), *phrases)


PREDICT_CASES = {
    "0-row npz": (_npz("zero.npz", X=np.zeros((0, 4), np.float32), y=np.zeros(0, int)), ["zero.npz", "no values"]),
    "scalar npy": (lambda r: np.save(r / "one.npy", np.float32(2)) or "one.npy", ["one.npy", "scalar"]),
    "text named npz": (_write("text.npz", "hello\n"), ["text.npz", "not a zip archive"]),
    "truncated npz": (lambda r: _truncate(r, "ok.npz", "trunc.npz"), ["trunc.npz"]),
    "FIFO named .png": (_fifo("pipe.png"), ["pipe.png"]),  # refused at once, never opened
}


@pytest.mark.parametrize("case", sorted(PREDICT_CASES))
def test_predict_refuses_hostile_inputs(work, case):
    make, phrases = PREDICT_CASES[case]
    assert_refused(glassnet("predict", "m.safetensors", make(work), cwd=work), *phrases)


# ---- outputs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["train", "explain", "export"])
def test_a_fifo_as_output_is_refused_and_kept(work, command):
    fifo = work / f"out-{command}{'.safetensors' if command == 'train' else ''}"
    if not fifo.exists():
        os.mkfifo(fifo)
    if command == "export":
        pytest.importorskip("onnx")
    args = {"train": ["train", "ok.npz", "--out", fifo, "--epochs", "1", "--force", "--quiet"],
            "explain": ["explain", "m.safetensors", "ok.npz", "--out", fifo],
            "export": ["export", "m.safetensors", "--onnx", fifo]}[command]
    assert_refused(glassnet(*args, cwd=work), "FIFO", fifo.name)
    assert fifo.is_fifo()


def test_a_full_disk_names_the_file(work):
    """RLIMIT_FSIZE: the kernel refuses the write with EFBIG, as a full disk refuses with ENOSPC."""
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200)); "
            "from glassnet.cli.main import main; main()")
    result = subprocess.run([sys.executable, "-c", code, "train", "ok.npz", "--out", "full.safetensors",
                             "--epochs", "1", "--quiet", "--hidden", "3"], cwd=work, capture_output=True,
                            timeout=60, preexec_fn=_limits, env=ENV)
    assert_refused(result, "Cannot write full.ckpt.safetensors", "disk is full")  # the first write
    assert not list(Path(work).glob(".full.safetensors.*"))


# ---- text from files is data ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def evil_folder(tmp_path_factory):
    """Class folders named with an ANSI escape and a bidi override; one file name with ESC too."""
    root = tmp_path_factory.mktemp("evil")
    for name, value in (("\x1b[31mred\x1b[0m", 200), ("blue\u202e", 30)):
        (root / name).mkdir()
        for i in range(6):
            Image.fromarray(np.full((4, 4), value + i, np.uint8)).save(root / name / f"{i}\x1b[2J.png")
    return root


def test_escape_bytes_in_class_and_file_names_never_reach_the_terminal(evil_folder, tmp_path):
    model = tmp_path / "m.safetensors"
    trained = glassnet("train", evil_folder, "--out", model, "--epochs", "1", "--hidden", "3")
    assert trained.returncode == 0, trained.stderr
    for args in (["info", model], ["predict", model, evil_folder / "\x1b[31mred\x1b[0m"],
                 ["evaluate", model, evil_folder]):
        result = glassnet(*args)
        assert result.returncode == 0, result.stderr
        output = result.stdout + result.stderr
        assert ESC not in output and "\u202e".encode() not in output
        assert b"\\x1b[31m" in output
    missing = glassnet("predict", model, evil_folder / "\x1b[2Jnope.png")
    assert_refused(missing, "\\x1b[2Jnope.png")


def test_markdown_explanations_escape_html_in_class_names(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.random((20, 3)).astype(np.float32),
             y=np.array(["<script>alert(1)</script>", "b|c"] * 10))
    assert glassnet("train", "d.npz", "--out", "m.safetensors", "--epochs", "1", "--quiet",
                    cwd=tmp_path).returncode == 0
    result = glassnet("explain", "m.safetensors", "d.npz", "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "b\\|c" in text


@pytest.mark.parametrize("env", [{"LC_ALL": "C", "LANG": "C"}, {"PYTHONIOENCODING": "ascii"},
                                 {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": "latin-1"}])
def test_output_under_a_non_utf8_locale(work, env):
    shown = glassnet("info", "m.safetensors", cwd=work, env=env)
    assert shown.returncode == 0, shown.stderr
    assert b"\\u2192" in shown.stdout or "→".encode("utf-8") in shown.stdout  # "Dense 4 → 3"
    missing = glassnet("info", "missing→.safetensors", cwd=work, env=env)
    assert_refused(missing, "does not exist")


def test_info_json_of_hostile_metadata_is_escaped_json(work, tmp_path):
    from tests.model_files import rewrite

    path = rewrite(work / "m.safetensors", tmp_path / "evil.safetensors",
                   edit_document=lambda d: d.update(meta={"note": "\x1b[2J\x07"}))
    result = glassnet("info", path, "--json")
    assert result.returncode == 0 and ESC not in result.stdout
    assert json.loads(result.stdout)["meta"]["note"] == "\x1b[2J\x07"

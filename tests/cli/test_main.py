"""The ``glassnet`` command through a real subprocess: demo, evaluate, predict, info, help,
and every input error as exit 2 with one ``error:`` line and no traceback."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

import glassnet.cli.main as cli
from cli_run import assert_error, glassnet, in_process
from glassnet.files import io
from model_files import flipped_header, png_renamed, truncated, unknown_version, wrong_shape

INVALID = "is not a valid glassnet model file: "


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A digits model trained by the CLI's ``train`` once for this module (in this process:
    the tests below run the commands that read it)."""
    folder = tmp_path_factory.mktemp("model")
    assert in_process("train", "builtin:digits", "--out", folder / "digits.safetensors",
                      "--hidden", "32", "--epochs", "15", "--quiet") == 0
    return folder / "digits.safetensors"


@pytest.fixture(scope="module")
def digit_images(tmp_path_factory):
    """Three digits as 8×8 8-bit PNGs (0..16 stretched to 0..255), one also as RGB; their raw rows."""
    folder = tmp_path_factory.mktemp("images")
    images = load_digits().images[:3].astype(np.uint8)
    pixels = np.round(images * (255 / 16)).astype(np.uint8)
    paths = []
    for i, image in enumerate(pixels):
        paths.append(folder / f"digit{i}.png")
        Image.fromarray(image, "L").save(paths[-1])
    Image.fromarray(pixels[2], "L").convert("RGB").save(folder / "digit2-rgb.png")
    np.save(folder / "rows.npy", images.reshape(3, -1).astype(np.float32))
    return folder, paths, images.reshape(3, -1).astype(np.float32)


# ---- help ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["evaluate"], ["predict"], ["info"]])
def test_help_shows_an_example(command, capsys):
    """In process (the command's own --help is run as a process by the closed-pipe test)."""
    assert in_process(*command, "--help") == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and "glassnet " in out.split("Examples:")[1]


def test_no_arguments_prints_help():
    result = glassnet()
    assert result.returncode == 0 and "Commands:" in result.stdout


# ---- demo ---------------------------------------------------------------------------------
def test_demo_trains_explains_and_saves_in_seconds(tmp_path):
    result = glassnet("demo", "--out", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout)[1])
    assert accuracy >= 0.95
    for text in ("Confusion matrix", "Input layer", "z = Wᵀx + b", "softmax", "Which inputs mattered"):
        assert text in result.stdout, text
    assert "epoch 30/30" in result.stderr  # progress goes to stderr
    model = io.load(tmp_path / "demo" / "model.safetensors")
    assert model.meta["training"]["final"]["test_accuracy"] == pytest.approx(accuracy, abs=1e-4)
    assert (tmp_path / "demo" / "report.html").stat().st_size > 10_000
    page = tmp_path / "demo" / "playground.html"  # the playground, written next to the report
    assert str(page) in result.stdout and page.stat().st_size > 10_000


# ---- info, evaluate, predict ---------------------------------------------------------------------
def test_info(model_path):
    result = glassnet("info", model_path)
    assert result.returncode == 0, result.stderr
    for text in ("Dense 64 → 32, sigmoid", "Total parameters: 2,410", "format version 1",
                 "8×8 L", "10: 0 1 2 3 4 5 6 7 8 9 (int)", "x / 16", "builtin:digits", "lr=3.0",
                 "diagnosis"):
        assert text in result.stdout, text


def test_info_json(model_path):
    result = glassnet("info", model_path, "--json")
    document = json.loads(result.stdout)
    assert document["format_version"] == 1 and document["parameters"] == 2410
    assert document["training"]["epochs_run"] == 15


def test_evaluate_text_and_json(model_path, capsys):
    """In process: what evaluate prints (the closed-pipe tests run both as processes)."""
    assert in_process("evaluate", model_path, "builtin:digits") == 0
    text = capsys.readouterr().out
    for phrase in ("accuracy", "log-loss", "precision", "recall", "F1", "Confusion matrix"):
        assert phrase in text, phrase
    assert in_process("evaluate", model_path, "builtin:digits", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_samples"] == 1797 and 0.8 < report["accuracy"] <= 1.0
    assert report["log_loss"] > 0 and len(report["per_class"]) == 10
    assert {"precision", "recall", "f1", "support"} <= set(report["per_class"][0])
    assert np.array(report["confusion_matrix"]).sum() == 1797
    assert np.trace(report["confusion_matrix"]) == round(report["accuracy"] * 1797)


def test_predict_images_rgb_and_arrays_match_the_api(model_path, digit_images, capsys):
    """In process: what predict prints (its errors are checked through processes below)."""
    folder, paths, rows = digit_images
    assert in_process("predict", model_path, *paths, folder / "digit2-rgb.png",
                      folder / "rows.npy", "--json") == 0
    predicted = json.loads(capsys.readouterr().out)
    model = io.load(model_path)
    expected = model.predict(rows).tolist()
    labels = [row["label"] for row in predicted]
    assert labels == expected + [expected[2]] + expected  # RGB converted to gray: same answer
    assert all(isinstance(label, int) for label in labels)
    p = model.predict_proba(rows).max(axis=1)
    # the PNGs hold 8-bit roundings of the 0..16 rows: the same answers, probabilities within 1 %
    assert [row["probability"] for row in predicted[:3]] == pytest.approx(p.tolist(), rel=1e-2)
    assert [row["probability"] for row in predicted[-3:]] == pytest.approx(p.tolist(), rel=1e-6)
    code = in_process("predict", model_path, folder)  # a folder: all its images
    text = capsys.readouterr().out
    assert code == 0 and "digit2-rgb.png" in text and "probability" in text


def test_predict_size_mismatch_without_resize_information(model_path, tmp_path):
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "big.png")
    assert_error(glassnet("predict", model_path, tmp_path / "big.png"), "big.png", "16×16", "8×8")


# ---- errors: one line, exit 2 ---------------------------------------------------------------------
def test_missing_data_path(tmp_path):
    assert_error(glassnet("train", tmp_path / "nowhere", "--out", tmp_path / "m"), "nowhere", "does not exist")


def test_unknown_builtin_lists_valid_names(tmp_path):
    assert_error(glassnet("train", "builtin:cifar", "--out", tmp_path / "m"),
                 "builtin:cifar", "builtin:digits", "builtin:mnist-5k")


@pytest.mark.parametrize("option,value", [("--size", "28by28"), ("--epochs", "0"), ("--epochs", "-3"),
                                          ("--lr", "0"), ("--lr", "-0.1"), ("--batch-size", "0")])
def test_bad_option_values(tmp_path, option, value):
    assert_error(glassnet("train", "builtin:digits", "--out", tmp_path / "m", option, value), option)


@pytest.mark.parametrize("args,phrase", [
    (["--size", "0x8"], "--size"), (["--size", "8"], "--size"), (["--lr", "nan"], "--lr"),
    (["--lr", "inf"], "--lr"), (["--l2", "-1"], "--l2"), (["--hidden", "12", "0"], "--hidden"),
    (["--validation-split", "1.5"], "--validation-split"), (["--optimizer", "rmsprop"], "rmsprop"),
    (["--activation", "sigmod"], "sigmod"), (["--patience", "0"], "--patience"),
])
def test_more_bad_option_values_in_process(tmp_path, capsys, args, phrase):
    """The same code path as the subprocess tests, without paying a process start each."""
    assert cli.run(["train", "builtin:digits", "--out", str(tmp_path / "m"), *args]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], lines


def test_output_folder_that_does_not_exist(tmp_path):
    assert_error(glassnet("train", "builtin:digits", "--out", tmp_path / "no" / "m.safetensors"),
                 "does not exist", str(tmp_path / "no"))


@pytest.mark.parametrize("args,phrase", [
    (["train", "builtin:digits"], "--out"),
    (["train", "builtin:digits", "--out", "m", "--bogus"], "--bogus"),
    (["evaluate", "missing.safetensors", "builtin:digits"], "does not exist"),
])
def test_usage_and_missing_model_errors(tmp_path, args, phrase):
    assert_error(glassnet(*args, cwd=tmp_path), phrase)


CORRUPTIONS = {
    "truncated": lambda src, dest: truncated(src, dest, 0.6),
    "flipped header bytes": flipped_header,
    "PNG renamed": lambda src, dest: png_renamed(dest),
    "tensor shape disagrees": wrong_shape,
    "unknown format version": unknown_version,
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_invalid_model_files(model_path, tmp_path, case):
    bad = CORRUPTIONS[case](model_path, tmp_path / "bad.safetensors")
    line = assert_error(glassnet("info", bad))
    assert line.startswith(f"error: {bad} {INVALID}"), line


# ---- debugging --------------------------------------------------------------------------------------
def test_debug_shows_the_traceback(tmp_path):
    result = glassnet("--debug", "info", tmp_path / "missing.safetensors")
    assert result.returncode == 2 and "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: ")


@pytest.mark.parametrize("value,shown", [("1", True), ("0", False), ("", False)])
def test_debug_from_environment(tmp_path, capsys, monkeypatch, value, shown):
    monkeypatch.setenv("GLASSNET_DEBUG", value)
    assert cli.run(["info", str(tmp_path / "missing.safetensors")]) == 2
    err = capsys.readouterr().err
    assert ("Traceback" in err) == shown and err.splitlines()[-1].startswith("error: ")


def test_unknown_command_in_process(capsys):
    assert cli.run(["fly"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: No such command 'fly'. (see 'glassnet --help')"]


def test_a_bug_is_exit_1_with_one_line(monkeypatch, capsys):
    def broken(path):
        raise RuntimeError("boom")

    monkeypatch.setattr(io, "load", broken)
    assert cli.run(["info", "m.safetensors"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["error: internal error: RuntimeError: boom (run with --debug for the traceback)"]


@pytest.mark.parametrize("args", [("evaluate", "{model}", "builtin:digits"),
                                  ("evaluate", "{model}", "builtin:digits", "--json"),
                                  ("info", "{model}"), ("--help",), ()])
def test_a_closed_pipe_ends_quietly_with_141(model_path, args):
    """The reader of stdout is already gone (as after `| head -1`): 128 + SIGPIPE, no message."""
    import os
    import subprocess
    import sys

    from cli_run import ENV

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "glassnet",
                                 *[a.format(model=model_path) for a in args]],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, env=ENV,
                                timeout=120)
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""


def test_piped_into_head_the_status_is_0_or_141_and_stderr_stays_empty(model_path, tmp_path):
    import subprocess

    from cli_run import ENV

    script = (f'python -m glassnet evaluate {model_path} builtin:digits 2>{tmp_path}/err | head -1;'
              ' echo "status ${PIPESTATUS[0]}"')
    env = {**ENV, "PATH": f"{__import__('sys').executable.rsplit('/', 1)[0]}:{ENV['PATH']}"}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                            timeout=120)
    first, status = result.stdout.splitlines()
    assert first == "builtin:digits: 1,797 samples"
    assert status in ("status 0", "status 141")  # 0 when all fitted in the pipe before head left
    assert (tmp_path / "err").read_text() == ""

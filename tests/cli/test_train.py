"""``glassnet train`` through a real subprocess: image folders, exact resume, Ctrl-C and
SIGTERM, divergence, overwrite protection."""

from __future__ import annotations

import json
import signal
import time

import numpy as np
import pytest
from PIL import Image

import glassnet.cli.main as cli
from cli_run import assert_error, glassnet, in_process, start
from glassnet.files import io
from model_files import make_image_folder


def same_weights(a, b) -> bool:
    wa, wb = io.load(a).get_weights(), io.load(b).get_weights()
    return wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)


def test_image_folder_grayscale_resized_then_predict_rgb_of_another_size(tmp_path, capsys):
    """Trains through the command; predict, info and evaluate of its file run in process."""
    data = make_image_folder(tmp_path / "colours")
    model = tmp_path / "colours.safetensors"
    result = glassnet("train", data, "--out", model, "--size", "6x6", "--grayscale", "--hidden", "8",
                      "--epochs", "30", "--validation-split", "0.2", "--standardize",
                      "--optimizer", "adam", "--lr", "0.05", "--init", "he_normal", "--patience", "30")
    assert result.returncode == 0, result.stderr
    assert "Training summary" in result.stdout and "epoch 1/30" in result.stderr
    big_red = np.full((25, 25, 3), 40, np.uint8)  # like the red training images, 4× larger
    big_red[..., 0] = 230
    Image.fromarray(big_red, "RGB").save(tmp_path / "red.png")
    assert in_process("predict", model, tmp_path / "red.png", "--json") == 0
    predicted = json.loads(capsys.readouterr().out)
    assert predicted[0]["label"] == "red" and predicted[0]["probability"] > 0.5
    assert in_process("info", model) == 0
    info = capsys.readouterr().out
    assert "6×6 L" in info and "(x − mean) / std" in info and "(str)" in info
    assert in_process("evaluate", model, data, "--json") == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["accuracy"] >= 0.9 and evaluated["classes"] == ["blue", "red"]


def test_bad_image_stops_training_unless_skip_bad(tmp_path):
    data = make_image_folder(tmp_path / "colours", n_per_class=4)
    (data / "red" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert_error(glassnet("train", data, "--out", tmp_path / "m", "--epochs", "1"), "broken.png", "--skip-bad")
    result = glassnet("train", data, "--out", tmp_path / "m", "--epochs", "1", "--skip-bad",
                      "--validation-split", "0")
    assert result.returncode == 0, result.stderr
    assert "broken.png" in result.stderr  # the skipped file is named in a note


def test_resume_ends_with_the_same_weights_as_an_uninterrupted_run(tmp_path):
    common = ["builtin:digits", "--hidden", "16", "--optimizer", "momentum", "--seed", "3", "--quiet"]
    # the uninterrupted reference and the first part in process; the resume through the command
    assert in_process("train", *common, "--out", tmp_path / "whole", "--epochs", "4") == 0
    assert in_process("train", *common, "--out", tmp_path / "part", "--epochs", "2",
                      "--keep-checkpoint") == 0  # a finished run may be extended
    assert not same_weights(tmp_path / "whole.safetensors", tmp_path / "part.safetensors")
    result = glassnet("train", *common, "--out", tmp_path / "part", "--epochs", "4", "--resume")
    assert result.returncode == 0, result.stderr
    assert same_weights(tmp_path / "whole.safetensors", tmp_path / "part.safetensors")
    assert io.load(tmp_path / "part.safetensors").meta["training"]["resumed"] is True


def _wait_for(path, process, timeout=60):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "training never wrote a checkpoint"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_saves_checkpoint_exits_130_and_resume_completes(tmp_path, capsys, signum):
    args = ["train", "builtin:digits", "--hidden", "16", "--quiet", "--seed", "1"]
    process = start(*args, "--out", tmp_path / "m", "--epochs", "100000")
    _wait_for(tmp_path / "m.ckpt.safetensors", process)
    time.sleep(0.3)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Checkpoint saved to" in stderr and "Resume with: glassnet train" in stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    saved = io.load_checkpoint(tmp_path / "m.ckpt.safetensors")
    assert saved.status == "interrupted"
    assert not (tmp_path / "m.safetensors").exists()
    epochs = saved.state[1]["epoch"] + 1  # finish the epoch it stopped in
    if signum == signal.SIGINT:  # an unfinished run is protected; a resumed one keeps its network
        out = ["--out", str(tmp_path / "m")]
        cases = [(["--epochs", str(epochs)], "unfinished run"), (["--hidden", "8", "--resume"], "--hidden 8")]
        if saved.state[1]["epoch"] + (saved.state[1]["batch"] > 0) > 1:  # cannot end before that
            cases.append((["--epochs", "1", "--resume"], "already trained"))
        for extra, phrase in cases:
            assert cli.run([*args, *out, *extra]) == 2
            lines = capsys.readouterr().err.splitlines()
            assert len(lines) == 1 and phrase in lines[0], lines
    # the signalled run is the command's; resuming it (like test_resume's, the command) in process
    assert in_process(*args, "--out", tmp_path / "m", "--epochs", epochs, "--resume") == 0
    if signum == signal.SIGINT:  # the interrupted-then-resumed run equals an uninterrupted one
        assert in_process(*args, "--out", tmp_path / "whole", "--epochs", epochs) == 0
        assert same_weights(tmp_path / "m.safetensors", tmp_path / "whole.safetensors")


def test_divergence_is_exit_2_naming_the_epoch(tmp_path):
    result = glassnet("train", "builtin:digits", "--out", tmp_path / "m", "--activation", "relu",
                      "--lr", "1e6", "--epochs", "3", "--quiet")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("warning: diverged: ")  # the diagnosis, then the error
    line = result.stderr.splitlines()[-1]
    assert line.startswith("error: ") and "epoch 1" in line and "smaller learning rate" in line
    assert "standardized" in line
    assert not (tmp_path / "m.safetensors").exists()


def test_never_replaces_another_architecture_without_force(tmp_path):
    """The refusal through the command; the runs before and after it in process."""
    common = ["train", "builtin:digits", "--out", tmp_path / "m", "--epochs", "1", "--quiet"]
    assert in_process(*common, "--hidden", "8") == 0
    before = (tmp_path / "m.safetensors").read_bytes()
    assert_error(glassnet(*common, "--hidden", "9"), "different architecture", "--force")
    assert (tmp_path / "m.safetensors").read_bytes() == before
    assert in_process(*common, "--hidden", "9", "--force") == 0
    assert io.load(tmp_path / "m.safetensors").layers[1].units == 9

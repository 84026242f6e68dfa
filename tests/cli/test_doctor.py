"""The training doctor on the command line: warnings on stderr (also with --quiet and on
divergence), the diagnosis in the model file, ``glassnet info`` showing it, and a resumable
checkpoint with finite weights after a divergence."""

from __future__ import annotations

import json

import numpy as np

import glassnet as gn
from cli_run import glassnet, in_process
from glassnet.files import io

DIGITS = "builtin:digits"


def warning_blocks(stderr: str) -> dict:
    """{problem id: the block's three lines} of every ``warning: <id>: …`` block."""
    lines = stderr.splitlines()
    return {line.split(":")[1].strip(): lines[i:i + 3] for i, line in enumerate(lines) if line.startswith("warning: ")}


def test_dead_relus_are_diagnosed_on_stderr_in_the_file_and_by_info(tmp_path, capsys):
    model = tmp_path / "dead.safetensors"
    result = glassnet("train", DIGITS, "--out", model, "--activation", "relu", "--optimizer", "adam",
                      "--lr", "0.3", "--epochs", "3", "--quiet")
    assert result.returncode == 0, result.stderr
    blocks = warning_blocks(result.stderr)
    assert {"dead_units", "chance_level"} <= set(blocks)
    what, why, fix = blocks["dead_units"]
    assert "% of the units have z ≤ 0" in what and "relu'(z) = 0" in why and fix.startswith("  Try: --lr 0.03")
    assert in_process("info", model, "--json") == 0  # info reads the file: in process
    found = json.loads(capsys.readouterr().out)["diagnosis"]
    assert {"problem", "epoch", "layer", "evidence", "fix"} <= set(found[0])
    assert "dead_units" in [d["problem"] for d in found]
    assert in_process("info", model) == 0
    assert "dead_units:" in capsys.readouterr().out


def test_a_default_run_prints_no_warning(tmp_path, capsys):
    result = glassnet("train", DIGITS, "--out", tmp_path / "m", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stderr
    assert in_process("info", tmp_path / "m.safetensors", "--json") == 0
    assert json.loads(capsys.readouterr().out)["diagnosis"] == []


def test_a_huge_but_finite_loss_does_not_pass_silently(tmp_path):
    result = glassnet("train", DIGITS, "--out", tmp_path / "m", "--lr", "1e19", "--epochs", "2", "--quiet")
    assert result.returncode == 0
    assert {"diverged", "saturated_units"} <= set(warning_blocks(result.stderr))


def test_divergence_prints_the_diagnosis_keeps_a_finite_checkpoint_and_resumes(tmp_path):
    """The diverging run through the command; the runs before and after it in process."""
    out = tmp_path / "m"
    common = ["train", DIGITS, "--out", out, "--activation", "relu", "--quiet"]
    assert in_process(*common, "--epochs", "2", "--keep-checkpoint") == 0
    diverged = glassnet(*common, "--epochs", "4", "--lr", "1e19", "--resume")
    assert diverged.returncode == 2
    assert diverged.stderr.splitlines()[-1].startswith("error: The training loss became nan in epoch 3")
    assert "diverged" in warning_blocks(diverged.stderr)
    saved = io.load_checkpoint(io.checkpoint_path(io.with_suffix(out)))
    assert saved.state[1]["epoch"] == 2
    assert all(np.isfinite(v).all() for v in saved.state[0].values())
    assert in_process(*common, "--epochs", "4", "--lr", "0.1", "--resume") == 0
    assert gn.load(io.with_suffix(out)).history.epochs == 4


def test_an_older_file_without_a_diagnosis_still_loads(tmp_path, digits_split, capsys):
    Xtr, _, ytr, _ = digits_split
    model = gn.Sequential([gn.Flatten(input_shape=(64,)), gn.Dense(8, "relu"), gn.Dense(10, "softmax")])
    model.fit(Xtr, ytr, epochs=1, seed=0, verbose=0, diagnose=False)
    model.meta["training"] = {"data": "digits", "settings": {}, "n_train": len(Xtr), "epochs_run": 1}
    gn.save(model, tmp_path / "old.safetensors")
    assert json.loads(glassnet("info", tmp_path / "old.safetensors", "--json").stdout)["diagnosis"] == []
    assert in_process("info", tmp_path / "old.safetensors") == 0  # the text view: in process
    assert "no problems found" in capsys.readouterr().out


def test_lr_auto_picks_a_rate_draws_the_curve_and_stores_the_number(tmp_path, capsys):
    result = glassnet("train", DIGITS, "--out", tmp_path / "m", "--activation", "relu", "--lr", "auto",
                      "--epochs", "5", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "lr auto: a range test over" in result.stderr
    assert (tmp_path / "m.lr.png").read_bytes().startswith(b"\x89PNG")
    assert in_process("info", tmp_path / "m.safetensors", "--json") == 0
    settings = json.loads(capsys.readouterr().out)["training"]["settings"]
    assert isinstance(settings["lr"], float) and 0 < settings["lr"] < 1

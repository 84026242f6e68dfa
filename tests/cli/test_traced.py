"""Every result points back at the user's files: a folder of mostly gray digits with a few
colour JPEGs, three mislabeled files and a notes.txt, through the real command."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
import subprocess

import pytest

import glassnet as gn
from cli_run import glassnet, in_process
from traced_folder import MISLABELED, N_COLOUR, make_traced_folder

TRAIN = ("--hidden", "32", "--epochs", "30", "--optimizer", "adam", "--lr", "0.01", "--seed", "0")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The folder, the model trained on it by the command, and that run's result: made once per
    test run. Under xdist the workers share one copy (the first to take the lock trains; the
    tests read it and write only under their own tmp_path)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the folder above every worker's basetemp: this run's
    root = root / "traced"
    with open(root.with_name("traced.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ran = root / "train-result.json"
        if not ran.exists():
            root.mkdir()
            data = make_traced_folder(root)
            result = glassnet("train", data, "--out", root / "digits.safetensors", *TRAIN, "--quiet")
            ran.write_text(json.dumps({"args": result.args, "returncode": result.returncode,
                                       "stdout": result.stdout, "stderr": result.stderr}))
    return root / "digits", root / "digits.safetensors", subprocess.CompletedProcess(
        **json.loads(ran.read_text()))


def test_mixed_folder_trains_gray_and_says_so_even_when_quiet(trained):
    data, model, result = trained
    assert result.returncode == 0, result.stderr
    assert (f"note: Converted {N_COLOUR} colour images to grayscale to match the other "
            in result.stderr)
    assert "--color" in result.stderr
    assert "note: Ignored 1 non-image entry: notes.txt." in result.stderr
    assert gn.load(model).input_shape == (8, 8)  # 64 gray inputs, not 192
    assert "sync_every" not in gn.load(model).meta["training"]["settings"]  # no Dask here


def test_a_finished_run_leaves_no_checkpoint(trained):
    _, model, _ = trained
    assert model.exists()
    assert not model.with_name("digits.ckpt.safetensors").exists()


def test_keep_checkpoint_and_color_flags(trained, tmp_path, capsys):
    """In process (the flags' effect); capsys holds its stderr notes, as the first check shows."""
    data, _, _ = trained
    model = tmp_path / "rgb.safetensors"
    assert in_process("train", data, "--out", model, "--epochs", "1", "--hidden", "4", "--color",
                      "--keep-checkpoint", "-q") == 0
    stderr = capsys.readouterr().err
    assert "note: Ignored 1 non-image entry: notes.txt." in stderr
    assert "Converted" not in stderr
    assert gn.load(model).input_shape == (8, 8, 3)
    assert (tmp_path / "rgb.ckpt.safetensors").exists()


def test_color_and_grayscale_exclude_each_other(trained, tmp_path):
    data, _, _ = trained
    result = glassnet("train", data, "--out", tmp_path / "m", "--color", "--grayscale")
    assert result.returncode == 2
    assert "--color and --grayscale exclude each other" in result.stderr


def test_evaluate_json_names_every_mislabeled_file(trained):
    data, model, _ = trained
    result = glassnet("evaluate", model, data, "--json")
    assert result.returncode == 0, result.stderr
    assert "note: Ignored 1 non-image entry: notes.txt." in result.stderr
    mistakes = json.loads(result.stdout)["mistakes"]
    by_source = {m["source"]: m for m in mistakes}
    for name, digit in MISLABELED.items():
        assert by_source[name]["predicted"] == str(digit)  # folder names are the labels
        assert by_source[name]["true"] == name.split("/")[0]
    p = [m["probability"] for m in mistakes]
    assert p == sorted(p, reverse=True)
    assert set(mistakes[0]) >= {"source", "true", "predicted", "probability"}


def test_evaluate_text_lists_mistakes_and_csv_holds_them_all(trained, tmp_path):
    data, model, _ = trained
    out = tmp_path / "mistakes.csv"
    result = glassnet("evaluate", model, data, "--mistakes", out)
    assert result.returncode == 0, result.stderr
    assert "Mistakes:" in result.stdout
    for name in MISLABELED:
        assert name in result.stdout
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert set(MISLABELED) <= {r["source"] for r in rows}
    assert list(rows[0]) == ["source", "true", "predicted", "probability"]
    assert f"mistakes written to {out}" in result.stderr


def test_predict_reports_skipped_entries_like_train(trained, tmp_path):
    data, model, _ = trained
    result = glassnet("predict", model, data / "8", data / "notes.txt")
    assert result.returncode == 2  # a named non-image INPUT is an error, not a silent skip
    shutil.copytree(data / "8", tmp_path / "8")  # the shared folder stays as it is
    (tmp_path / "8" / "readme.md").write_text("x")
    result = glassnet("predict", model, tmp_path / "8")
    assert result.returncode == 0, result.stderr
    assert "note: Ignored 1 non-image entry: readme.md." in result.stderr


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_explain_names_its_file_in_every_format(trained, capsys, fmt):
    """In process: what explain prints."""
    data, model, _ = trained
    image = data / "8" / "mislabeled-a-0.png"
    assert in_process("explain", model, image, "--format", fmt) == 0
    out = capsys.readouterr().out
    assert str(image) in out
    if fmt == "json":
        assert json.loads(out)["source"] == str(image)


def test_explain_names_the_row_of_an_array_file(trained, tmp_path, capsys):
    """In process: what explain prints."""
    import numpy as np

    _, model, _ = trained
    np.save(tmp_path / "rows.npy", np.zeros((4, 8, 8), np.float32))
    assert in_process("explain", model, tmp_path / "rows.npy", "--row", "3", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["source"] == f"{tmp_path / 'rows.npy'}[3]"


def test_the_zero_init_warning_names_the_layer(tmp_path):
    result = glassnet("train", "builtin:digits", "--out", tmp_path / "z", "--hidden", "8",
                      "--init", "zeros", "--epochs", "1", "-q")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    # the symmetry warning comes first, once; the training doctor may add what it then sees
    assert [w for w in warnings if "identical units" in w] == warnings[:1]
    assert warnings[:1] == ["warning: Hidden layer Dense 64 → 8, sigmoid starts with 8 identical units "
                        "(every weight vector w_j the same, all zero): each computes the same z, "
                        "gets the same gradient and stays identical. Use init='glorot_uniform' or "
                        "give the units different weights."]


def test_report_names_the_files_of_mistakes_and_examples(trained, tmp_path):
    import re

    data, model, _ = trained
    out = tmp_path / "report.html"
    result = glassnet("report", model, data, "--out", out, "--examples", "2")
    assert result.returncode == 0, result.stderr
    assert "note: Ignored 1 non-image entry: notes.txt." in result.stderr
    html = out.read_text()
    mistakes = html[html.index('id="mistakes"'):html.index('id="explained"')]
    for name, digit in MISLABELED.items():  # each in the gallery, captioned path, true → predicted
        folder = name.split("/")[0]
        assert f"<figcaption><code>{name}</code><br>{folder} → {digit}, p = " in mistakes
    suspects = mistakes[mistakes.index("Likely mislabeled"):mistakes.index("The mistakes")]
    assert "8/mislabeled-a-0.png" in suspects  # p ≈ 0.97 in this run
    summaries = re.findall(r"<summary>(.*?)</summary>", html)
    assert len(summaries) == 2
    assert all(re.match(r"<code>\d/[\w-]+\.(png|jpg)</code>: true ", s) for s in summaries)
    assert html.count('<p class="gn-source">Input: <code>') == 2

"""The HTML report: one self-contained file with every section, and the two CLI commands."""

from __future__ import annotations

import base64
import io
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
import glassnet.cli.main as cli
from glassnet.cli.see import explain_command, report_command
from glassnet.explain.report import build_report, pick_examples, write_report
from glassnet.files import io as gio
from see_models import deep_multiclass, logistic_multiclass, preprocessed_model, raw_digits, split

SECTIONS = ("model", "training", "evaluation", "learned", "mistakes", "explained")


@pytest.fixture(scope="module")
def report_html(digits_report):
    """The report written by ``write_report(preprocessed_model(), test, path,
    model_name="digits.safetensors")`` (tests/explain/conftest.py: written once per run)."""
    return digits_report.read_text(encoding="utf-8")


def images_of(html):
    return re.findall(r'<img [^>]*src="([^"]+)"', html)


@pytest.mark.slow
def test_report_is_one_self_contained_file(report_html):
    assert report_html.startswith("<!DOCTYPE html>") and report_html.rstrip().endswith("</html>")
    # nothing to fetch: no external src/href/url(), no script, no link to a stylesheet or font
    assert not re.search(r'(src|href)="(?!data:|#)', report_html)
    assert "url(" not in report_html and "<script" not in report_html and "<link" not in report_html
    assert "@import" not in report_html and "http://" not in report_html and "https://" not in report_html


@pytest.mark.slow
def test_report_has_every_section_and_picture(report_html):
    for key in SECTIONS:
        assert f'<section id="{key}">' in report_html and f'href="#{key}"' in report_html
    sources = images_of(report_html)
    # learning curves, confusion matrix, weights, activations, mistakes + 3 pictures per example
    assert len(sources) >= 5 + 3 * 3
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        image.verify()
        assert image.size[0] > 0 and image.size[1] > 0


@pytest.mark.slow
def test_report_math_is_well_formed_mathml(report_html):
    equations = re.findall(r"<math.*?</math>", report_html, flags=re.S)
    assert len(equations) > 20
    for math in equations:
        ET.fromstring(math)
    assert "σ(z) = 1 / (1 + e^(−z))" in report_html  # the activation's own formula, as annotation


@pytest.mark.slow
def test_report_numbers_agree_with_evaluation(report_html):
    from glassnet.train.evaluate import evaluate

    _, test = raw_digits()
    metrics = evaluate(preprocessed_model(), test.X, test.y)
    assert f"{metrics['accuracy']:.2%}" in report_html
    assert f"{metrics['log_loss']:.4f}" in report_html
    assert report_html.count("<details") == 3  # three explained examples
    assert report_html.count("<tr>") >= 10 + 3  # per-class rows + layer rows


@pytest.mark.slow
def test_report_from_arrays_without_history_or_image_shape(tmp_path):
    """Logistic regression on plain vectors: no learning curves, no image pictures — notes instead."""
    _, _, Xt, yt = split()
    html = build_report(logistic_multiclass(), (Xt, yt))
    assert "No training history" in html
    assert "plain vectors" in html  # why there are no weight images / gallery
    assert html.count("<details") == 3 and "<math" in html


@pytest.mark.slow
def test_report_of_a_loaded_model_file(tmp_path):
    model = deep_multiclass()
    path = gio.save(model, tmp_path / "m.safetensors")
    loaded = gio.load(path)
    _, _, Xt, yt = split()
    out = write_report(loaded, (Xt, yt), tmp_path / "r.html", title="Loaded")
    html = out.read_text(encoding="utf-8")
    assert "<title>Loaded</title>" in html
    assert ("learning curves" in html) == (loaded.history is not None)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_write_report_refuses_a_missing_folder(tmp_path):
    _, _, Xt, yt = split()
    with pytest.raises(gn.GlassnetError, match="does not exist"):
        write_report(deep_multiclass(), (Xt, yt), tmp_path / "nope" / "r.html")
    with pytest.raises(gn.ConfigError, match="Dataset or a tuple"):
        build_report(deep_multiclass(), Xt)


def test_pick_examples_prefers_different_classes_and_one_mistake():
    model = deep_multiclass()
    _, _, Xt, yt = split()
    proba = model.predict_proba(Xt)
    rows = pick_examples(model, yt, proba, 3)
    predicted = model.classes_[np.argmax(proba, axis=1)]
    assert len(rows) == 3
    assert predicted[rows[0]] == yt[rows[0]] and predicted[rows[1]] == yt[rows[1]]
    assert yt[rows[0]] != yt[rows[1]]
    assert predicted[rows[2]] != yt[rows[2]]


# ---- the commands ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    for command in (explain_command, report_command):  # until the CLI group registers them
        if command.name not in cli.cli.commands:
            cli.cli.add_command(command)
    folder = tmp_path_factory.mktemp("cli")
    path = gio.save(preprocessed_model(), folder / "digits.safetensors")
    _, test = raw_digits()
    image = test.X[0].reshape(8, 8).astype(np.uint8)
    Image.fromarray(image, "L").save(folder / "digit.png")
    np.save(folder / "rows.npy", test.X[:3])
    return path, folder, test


def test_cli_explain_prints_the_math(model_file, capsys):
    path, folder, test = model_file
    assert cli.run(["explain", str(path), str(folder / "digit.png"), "--label", str(test.y[0])]) == 0
    out = capsys.readouterr().out
    assert "z = Wᵀx + b" in out and "σ(z) = 1 / (1 + e^(−z))" in out and "Decision:" in out
    assert f"true label {test.y[0]}" in out


@pytest.mark.parametrize("fmt, check", [("json", lambda s: json.loads(s)["output"]["classes"]),
                                        ("markdown", lambda s: "$$" in s),
                                        ("html", lambda s: s.startswith("<!DOCTYPE html>"))])
def test_cli_explain_formats(model_file, capsys, fmt, check):
    path, folder, _ = model_file
    assert cli.run(["explain", str(path), str(folder / "rows.npy"), "--row", "2", "--format", fmt]) == 0
    assert check(capsys.readouterr().out)


def test_cli_explain_writes_files(model_file, capsys, tmp_path):
    path, folder, _ = model_file
    assert cli.run(["explain", str(path), str(folder / "digit.png"), "--out", str(tmp_path / "e.png")]) == 0
    assert (tmp_path / "e.png").read_bytes().startswith(b"\x89PNG")
    assert cli.run(["explain", str(path), str(folder / "digit.png"), "--format", "html",
                    "--out", str(tmp_path / "e.html")]) == 0
    assert "<math" in (tmp_path / "e.html").read_text(encoding="utf-8")
    assert "written to" in capsys.readouterr().out


def test_cli_explain_errors_are_one_line(model_file, capsys):
    path, folder, _ = model_file
    assert cli.run(["explain", str(path), str(folder / "rows.npy"), "--row", "7"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --row 7: " + str(folder / "rows.npy")
                                               + " holds 3 rows (rows 0..2).")
    assert cli.run(["explain", str(path), str(folder / "digit.png"), "--label", "cat"]) == 2
    assert "error: --label has labels the model does not know: 'cat'" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_report(model_file, capsys, tmp_path):
    path, _, _ = model_file
    out = tmp_path / "report.html"
    assert cli.run(["report", str(path), "builtin:digits", "--out", str(out), "--examples", "1"]) == 0
    assert f"Report written to {out}" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert "glassnet report: digits.safetensors" in html and html.count("<details") == 1
    assert cli.run(["report", str(path), "builtin:digits", "--out", str(tmp_path / "no" / "r.html")]) == 2
    assert capsys.readouterr().err.startswith("error: Cannot write")

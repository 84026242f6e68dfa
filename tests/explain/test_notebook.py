"""Jupyter views: a model, a History, a Dataset and an evaluation show themselves as HTML."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import load
from glassnet.train.evaluate import Evaluation, evaluate


@pytest.fixture(scope="module")
def trained():
    digits = load("builtin:digits")
    model = gn.Sequential([gn.Flatten(input_shape=(8, 8)), gn.Dense(16, activation="sigmoid"),
                           gn.Dense(10, activation="softmax")])
    history = model.fit(digits.X / 16, digits.y, epochs=3, optimizer=gn.SGD(lr=0.5), seed=0,
                        verbose=0)
    return digits, model, history


def pictures(html: str) -> list[bytes]:
    return [base64.b64decode(uri) for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_a_model_shows_its_layers_shapes_and_formulas(trained):
    _, model, _ = trained
    html = model._repr_html_()
    assert "Sequential: 64 → 16 sigmoid → 10 softmax" in html
    assert "Dense 64 → 16, sigmoid" in html and "(batch, 16)" in html
    assert f"{model.n_params():,}" in html  # the total
    assert "<math" in html and 'annotation encoding="text/plain">z = Wᵀx + b<' in html
    assert "http" not in html.replace("http://www.w3.org", "")  # self-contained


def test_an_unbuilt_model_says_so():
    html = gn.Sequential([gn.Flatten(input_shape=(4,)), gn.Dense(3, activation="softmax")])._repr_html_()
    assert "not built yet" in html and "Dense ? → 3" in html


def test_a_history_draws_its_learning_curves(trained):
    _, _, history = trained
    html = history._repr_html_()
    assert "History: 3 epochs" in html
    (png,) = pictures(html)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert f"loss {history.history['loss'][-1]:.4f}" in html


def test_a_dataset_counts_each_class_with_pictures(trained):
    digits, _, _ = trained
    html = digits._repr_html_()
    assert "Dataset: 1,797 rows × 64 features, 10 classes" in html
    counts = dict(zip(*np.unique(digits.y, return_counts=True)))
    assert f"<td>0</td><td class=\"n\">{counts[0]:,}</td>" in html
    assert len(pictures(html)) == 10 * 4
    assert 'alt="builtin:digits[0]"' in html


def test_an_evaluation_is_a_dict_with_a_view(trained):
    digits, model, _ = trained
    result = evaluate(model, digits.X / 16, digits.y, sources=digits.sources)
    assert isinstance(result, Evaluation) and isinstance(result, dict)
    assert json.loads(json.dumps(result))["accuracy"] == result["accuracy"]
    html = result._repr_html_()
    assert f"accuracy <strong>{result['accuracy']:.4f}</strong>" in html
    assert "true \\ predicted" in html
    first = result["mistakes"][0]
    assert f"<code>{first['source']}</code>" in html


def test_mistakes_without_sources_name_the_row(trained):
    digits, model, _ = trained
    result = evaluate(model, digits.X / 16, digits.y)
    rows = [m["row"] for m in result["mistakes"]]
    assert [m["source"] for m in result["mistakes"]] == rows
    predicted = model.predict(digits.X / 16)
    assert sorted(rows) == np.flatnonzero(predicted != digits.y).tolist()
    p = [m["probability"] for m in result["mistakes"]]
    assert p == sorted(p, reverse=True)
    assert result.likely_mislabeled(0.0) == result["mistakes"]
    assert all(m["probability"] >= 0.9 for m in result.likely_mislabeled())

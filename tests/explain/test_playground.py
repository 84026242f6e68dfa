"""The playground page, without a browser: one self-contained file holding the model's own numbers.

The page computes in JavaScript from what ``model_data`` embeds, so these tests check that the
embedded data is exactly the model's: the weights (float32, row-major), the preprocessing, and
the formulas, taken from the layers and activations themselves (one source of truth). The
browser tests (``test_playground_browser``) check that the page computes with them correctly.
"""

from __future__ import annotations

import base64
import inspect
import json
import re

import numpy as np
import pytest

import glassnet as gn
from cli_run import assert_error, glassnet
from glassnet.data import Preprocessor
from glassnet.explain.playground import (
    image_shape,
    model_data,
    playground_html,
    raw_range,
    write_playground,
)

MAX_PAGE_BYTES = 2 * 1024 * 1024


def floats(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


def embedded(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="gn-model">(.*?)</script>', html, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


def built(layers, input_shape, seed=0):
    model = gn.Sequential(layers)
    return model.build(input_shape, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def mnist_sized():
    """784 → 128 sigmoid → 64 sigmoid → 10 softmax with random weights and x / 255."""
    model = built([gn.Flatten(input_shape=(28, 28)), gn.Dense(128, "sigmoid"), gn.Dense(64, "sigmoid"),
                   gn.Dense(10, "softmax")], (28, 28))
    model.classes_ = np.arange(10)
    model.preprocessor = Preprocessor("scale", image_shape=(28, 28), channels="L", value_range=255.0).fit(
        np.zeros((2, 784)))
    return model


def test_page_is_one_offline_file_under_2_mb(mnist_sized):
    html = playground_html(mnist_sized)
    assert len(html.encode("utf-8")) < MAX_PAGE_BYTES
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r"(src|href)=\"(?!#)", html), "nothing may be loaded from outside the page"
    assert "http:" not in html and "https:" not in html
    for needed in ('<canvas id="pad"', '<button id="clear"', "window.glassnet", "--accent"):
        assert needed in html


def test_weights_and_formulas_are_the_models_own(mnist_sized):
    data = embedded(playground_html(mnist_sized))
    dense = [layer for layer in mnist_sized.layers if isinstance(layer, gn.Dense)]
    pages = [layer for layer in data["layers"] if layer["type"] == "dense"]
    assert len(pages) == len(dense) == 3
    for layer, page in zip(dense, pages):
        W = layer.params["W"]
        assert (page["nIn"], page["units"]) == W.shape
        np.testing.assert_array_equal(floats(page["W"]).reshape(W.shape), W)  # row i = input i
        np.testing.assert_array_equal(floats(page["b"]), layer.params["b"])
        assert page["formula"] == layer.formula == "z = Wᵀx + b"
        assert page["activation"]["formula"] == layer.activation.formula
        assert page["activation"]["derivative"] == layer.activation.derivative
    assert data["layers"][0]["formula"] == mnist_sized.layers[0].formula == data["input"]["formula"]
    defaults = inspect.signature(gn.explain).parameters
    assert data["explain"]["topTerms"] == defaults["top_terms"].default
    assert data["explain"]["topUnits"] == defaults["top_units"].default
    assert data["classes"] == list(range(10)) and data["task"] == "multiclass"


def test_input_of_an_mnist_sized_model(mnist_sized):
    data = model_data(mnist_sized)
    assert data["input"] == {"n": 784, "shape": [28, 28, 1], "mnist": True, "rawRange": 255.0,
                             "formula": "x = vec(image)"}
    assert data["preprocessing"]["kind"] == "scale" and data["preprocessing"]["divisor"] == 255.0


def test_standardize_dropout_and_leaky_relu_are_embedded():
    model = built([gn.Flatten(input_shape=(8, 8, 3)), gn.Dense(6, {"name": "leaky_relu", "negative_slope": 0.2}),
                   gn.Dropout(0.3), gn.Dense(3, "softmax")], (8, 8, 3))
    model.classes_ = np.array(["blue", "green", "red"])
    X = np.random.default_rng(1).uniform(0, 255, (20, 192))
    model.preprocessor = Preprocessor("standardize", image_shape=(8, 8, 3), channels="RGB").fit(X)
    data = model_data(model)
    assert [layer["type"] for layer in data["layers"]] == ["flatten", "dense", "dropout", "dense"]
    assert data["layers"][1]["activation"]["alpha"] == 0.2
    assert "0.2·z" in data["layers"][1]["activation"]["formula"]
    np.testing.assert_array_equal(floats(data["preprocessing"]["mean"]), model.preprocessor.mean_)
    np.testing.assert_array_equal(floats(data["preprocessing"]["std"]), model.preprocessor.std_)
    assert data["input"]["shape"] == [8, 8, 3] and not data["input"]["mnist"]
    assert data["input"]["rawRange"] == 255.0  # mean + std rounded up to a known range


def test_logistic_regression_is_the_one_neuron_network(digits_split):
    X, _, y, _ = digits_split
    keep = y < 2
    model = gn.LogisticRegression(max_iter=50).fit(X[keep], y[keep])
    data = model_data(model.network_)
    assert data["task"] == "binary" and data["classes"] == [0, 1]
    assert [layer["type"] for layer in data["layers"]] == ["flatten", "dense"]
    assert data["layers"][1]["units"] == 1 and data["layers"][1]["activation"]["name"] == "sigmoid"
    assert image_shape(model.network_) == (8, 8, 1)  # 64 plain features drawn as a square
    assert embedded(playground_html(model))["network"] == "64 → 1 sigmoid"  # the estimator itself works too


def test_raw_range_of_each_preprocessing():
    assert raw_range(None) == 1.0
    assert raw_range(Preprocessor("scale").fit(np.array([[0.0, 16.0]]))) == 16.0
    assert raw_range(Preprocessor("none").fit(np.zeros((1, 2)))) == 1.0


def test_vectors_that_are_not_images_have_no_shape():
    model = built([gn.Flatten(input_shape=(5,)), gn.Dense(2, "softmax")], (5,))
    assert image_shape(model) is None
    assert model_data(model)["input"]["shape"] is None


def test_write_playground(tmp_path, mnist_sized):
    path = write_playground(mnist_sized, tmp_path / "page.html", title="my <page>")
    html = path.read_text(encoding="utf-8")
    assert "<title>my &lt;page&gt;</title>" in html
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left


def test_an_unfitted_model_is_refused():
    with pytest.raises((gn.ConfigError, gn.NotFittedError), match="no weights yet"):
        playground_html(gn.Sequential([gn.Flatten(input_shape=(4,)), gn.Dense(2, "softmax")]))


# ---- the command line -------------------------------------------------------------------------
@pytest.mark.cli
def test_command_writes_the_page(tmp_path, mnist_sized):
    model = gn.save(mnist_sized, tmp_path / "mnist.safetensors")
    result = glassnet("playground", model, "--out", tmp_path / "page.html")
    assert result.returncode == 0, result.stderr
    assert f"Playground written to {tmp_path / 'page.html'}" in result.stdout
    html = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert "<title>glassnet playground: mnist.safetensors</title>" in html
    assert len(html.encode("utf-8")) < MAX_PAGE_BYTES


@pytest.mark.cli
def test_command_errors_are_one_line(tmp_path, mnist_sized):
    model = gn.save(mnist_sized, tmp_path / "mnist.safetensors")
    assert_error(glassnet("playground", model, "--out", tmp_path / "missing" / "page.html"),
                 "does not exist")
    (tmp_path / "notes.txt").write_text("not a model")
    assert_error(glassnet("playground", tmp_path / "notes.txt", "--out", tmp_path / "page.html"),
                 "notes.txt")
    assert_error(glassnet("playground", model), "--out")

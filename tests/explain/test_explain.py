"""explain: the equations with real numbers must be the network's own arithmetic.

Every number a Trace shows is checked against an independent float64 forward pass written
here from the stored weights (not glassnet's layers), and the gradient × input map against
finite differences.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy.special import expit, softmax

import glassnet as gn
from glassnet.explain.explainer import Trace, explain
from glassnet.explain.render.math import latex, mathml, number, parse
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Dense
from glassnet.nn.losses import LOSSES
from glassnet.train.sequential import network_of
from see_models import MODELS, deep_binary, deep_multiclass, sample, split

FUNCTIONS = {"sigmoid": expit, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
             "identity": lambda z: z, "softmax": lambda z: softmax(z, axis=-1)}


def independent_forward(model, x_preprocessed):
    """[(layer input, z, a)] per Dense layer, in float64, from get_weights() only."""
    network = network_of(model)
    weights = network.get_weights()
    a, out = np.asarray(x_preprocessed, dtype=np.float64).reshape(1, -1), []
    for i, layer in enumerate(network.layers):
        if not isinstance(layer, Dense):
            continue
        W = weights[f"layers.{i}.W"].astype(np.float64)
        b = weights[f"layers.{i}.b"].astype(np.float64)
        z = a @ W + b
        out.append((a[0], z[0], FUNCTIONS[layer.activation.name](z)[0]))
        a = FUNCTIONS[layer.activation.name](z)
    return out


@pytest.fixture(params=MODELS)
def explained(request):
    model, x, label = sample(request.param)
    return model, x, label, explain(model, x, label=label)


# ---- the arithmetic ------------------------------------------------------------------------
def test_shown_parts_of_each_weighted_sum_add_up_to_z(explained):
    model, x, _, trace = explained
    reference = independent_forward(model, trace.input.x)
    assert len(trace.layers) == len(reference)
    for layer, (inputs, z, a) in zip(trace.layers, reference):
        np.testing.assert_allclose(layer.input, inputs, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layer.z, z, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(layer.a, a, rtol=1e-4, atol=1e-6)
        assert layer.units, layer
        for unit in layer.units:
            # the sum of the shown parts — terms + "(n more terms summing to s)" + b_j — is z_j
            assert unit.shown_total == pytest.approx(z[unit.j], rel=1e-5, abs=1e-5)
            assert unit.z == pytest.approx(z[unit.j], rel=1e-5, abs=1e-5)
            assert unit.a == pytest.approx(a[unit.j], rel=1e-5, abs=1e-6)
            assert unit.n_rest + len(unit.terms) == len(inputs)
            shown = [abs(t.wx) for t in unit.terms]
            assert shown == sorted(shown, reverse=True) and 0 < len(shown) <= 4
            for t in unit.terms:  # each term is w_ij · x_i of the stored weights
                assert t.x == pytest.approx(inputs[t.i], rel=1e-6)
                assert t.wx == pytest.approx(t.w * t.x, rel=1e-12)


def test_terms_are_the_largest_by_magnitude():
    model, x, label = sample("deep_multiclass")
    trace = explain(model, x, top_terms=3)
    network = network_of(model)
    W = network.layers[1].params["W"].astype(np.float64)
    for unit in trace.layers[0].units:
        products = np.abs(W[:, unit.j] * np.asarray(trace.input.x))
        assert {t.i for t in unit.terms} == set(np.argsort(-products)[:3].tolist())


def test_probabilities_and_decision_match_predict(explained):
    model, x, label, trace = explained
    proba = model.predict_proba(np.asarray(x).reshape(1, -1))[0]
    np.testing.assert_allclose(trace.output.probabilities, proba, rtol=1e-5, atol=1e-7)
    assert trace.output.predicted == model.predict(np.asarray(x).reshape(1, -1))[0]
    assert trace.output.correct == (str(trace.output.predicted) == str(label))
    assert sum(trace.output.probabilities) == pytest.approx(1.0, abs=1e-5)


def test_output_layer_shows_every_unit(explained):
    *_, trace = explained
    output = trace.layers[-1]
    assert [u.j for u in output.units] == list(range(len(output.z)))


def test_logistic_regression_says_z_positive_iff_p_above_half():
    model, x, label = sample("logistic_binary")
    trace = explain(model, x, label=label)
    (layer,) = trace.layers
    z, p = layer.z[0], trace.output.probabilities[1]
    assert (z > 0) == (p > 0.5) == (trace.output.predicted == model.classes_[1])
    assert "z > 0 ⇔ p > 0.5" in trace.output.rule and "z > 0 ⇔ p > 0.5" in str(trace)
    assert "logistic regression" in str(trace)
    assert layer.activation_formula == gn.get_activation("sigmoid").formula
    # one layer: the contributions are w ⊙ x exactly, and Σ c_i + b = z
    c = trace.contributions
    assert c.method == "w ⊙ x"
    assert sum(c.values) + layer.units[0].b == pytest.approx(z, rel=1e-5, abs=1e-5)
    W = model.network_.output_layer.params["W"][:, 0].astype(np.float64)
    np.testing.assert_allclose(c.values, W * np.asarray(trace.input.x), rtol=1e-12)


@pytest.mark.parametrize("make", [deep_multiclass, deep_binary])
def test_gradient_times_input_matches_finite_differences(make):
    model = make()
    _, _, Xt, _ = split()
    x = Xt[5].astype(np.float64)
    trace = explain(model, x)
    c = trace.contributions
    assert c.method == "gradient × input"
    unit = 0 if model.task == "binary" else c.target_index

    def logit(v):
        return independent_forward(model, v)[-1][1][unit]

    h = 1e-6
    numeric = np.array([(logit(x + h * e) - logit(x - h * e)) / (2 * h) for e in np.eye(len(x))])
    np.testing.assert_allclose(c.values, numeric * x, rtol=1e-4, atol=1e-6)


def test_explain_leaves_training_state_alone():
    model = deep_multiclass()
    before = [(dict((k, v.copy()) for k, v in layer.grads.items()), getattr(layer, "x", None))
              for layer in model.layers]
    weights = {k: v.copy() for k, v in model.get_weights().items()}
    explain(model, split()[2][0])
    for layer, (grads, x) in zip(model.layers, before):
        for key, g in grads.items():
            np.testing.assert_array_equal(layer.grads[key], g)
        assert getattr(layer, "x", None) is x
    for key, value in model.get_weights().items():
        np.testing.assert_array_equal(value, weights[key])


def test_raw_image_goes_through_the_models_preprocessing():
    model, image, label = sample("preprocessed")
    trace = explain(model, image, label=label)
    assert trace.input.image_shape == [8, 8] and trace.input.shape == [8, 8]
    assert trace.input.n == 64 and trace.input.preprocessing == "x / 16"
    np.testing.assert_allclose(trace.input.x, image.reshape(-1) / 16.0, rtol=1e-6)
    np.testing.assert_allclose(trace.input.raw, image.reshape(-1))
    text = str(trace)
    assert "8×8 image is unrolled into x, 64 numbers" in text and "x / 16" in text


def test_wide_hidden_layer_shows_its_most_active_units():
    model, x, _ = sample("deep_multiclass")
    trace = explain(model, x, top_units=3)
    hidden = trace.layers[0]
    assert len(hidden.units) == 3 and "3 most active of 24" in hidden.selection
    top = np.sort(np.argsort(-np.abs(hidden.a))[:3])
    assert [u.j for u in hidden.units] == top.tolist()


def test_target_class_changes_what_is_explained():
    model, x, _ = sample("deep_multiclass")
    trace = explain(model, x, target=7)
    assert trace.contributions.target_label == 7 and trace.contributions.target_index == 7
    with pytest.raises(gn.DataError, match="not one of the model's classes"):
        explain(model, x, target="cat")


def test_wrong_sample_size_is_a_clear_error():
    model, x, _ = sample("deep_multiclass")
    with pytest.raises(gn.DataError, match="expects one sample of 64"):
        explain(model, np.zeros(10))
    with pytest.raises(gn.ConfigError, match="Sequential or a fitted glassnet estimator"):
        explain(object(), x)


# ---- the renderings ------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_every_renderer_produces_output(explained, fmt):
    *_, trace = explained
    out = trace.render(fmt)
    assert len(out) > 500
    first_layer = trace.layers[0]
    unit = first_layer.units[0]
    if fmt == "text":
        assert f"z_{unit.j} = w_{unit.j}ᵀx + b_{unit.j}" in out and "more terms" in out
        assert first_layer.activation_formula in out and "Decision:" in out
    elif fmt == "markdown":
        assert "$$" in out and r"\mathbf{w}" in out and r"\underbrace" in out
    elif fmt == "html":
        assert out.startswith("<!DOCTYPE html>") and "<math" in out and "http" not in out
        for math in out.split("<math")[1:]:
            ET.fromstring("<math" + math.split("</math>")[0] + "</math>")
    else:
        assert json.loads(out)["output"]["predicted"] == trace.output.predicted


def test_text_rendering_is_plain_and_has_a_character_heat_map():
    model, x, label = sample("deep_multiclass")
    text = str(explain(model, x, label=label))
    assert "\x1b[" not in text  # no colour codes when not asked for
    rows = [line for line in text.splitlines() if line.startswith("  |") and line.count("|") == 4]
    assert len(rows) == 8  # the 8×8 image and its contribution map, side by side
    heat = "".join(row.split("|")[3] for row in rows)
    assert set(heat) - {" "} and set(heat) <= set(" .:+*#@',~oO0")
    assert "\x1b[" in explain(model, x).to_text(color=True)


def test_html_has_the_pictures_and_renders_in_jupyter():
    model, x, label = sample("deep_multiclass")
    trace = explain(model, x, label=label)
    fragment = trace._repr_html_()
    assert fragment.count("data:image/png;base64,") == 3  # the input twice and the heat map
    assert 'class="gn-trace"' in fragment and "<html" not in fragment


def test_markdown_latex_has_the_numbers():
    model, x, _ = sample("logistic_binary")
    trace = explain(model, x)
    md = trace.to_markdown()
    unit = trace.layers[0].units[0]
    assert r"{z}_{0} = {\mathbf{w}}_{0}^{ \top }\mathbf{x} + {b}_{0}" in md
    assert f"= {number(unit.z).replace('−', '-')} $$" in md


def test_json_round_trip_is_exact(explained):
    *_, trace = explained
    text = trace.to_json()
    again = Trace.from_json(text)
    assert again == trace
    assert json.loads(json.dumps(trace.to_dict())) == json.loads(text)
    assert str(again) == str(trace)


@pytest.mark.parametrize("text", [a().formula for a in ACTIVATIONS.values()]
                         + [a().derivative for a in ACTIVATIONS.values()]
                         + [gn.Dense.formula, gn.Flatten.formula, gn.Dropout.formula]
                         + [loss().formula for loss in LOSSES.values()])
def test_every_formula_typesets_as_mathml_and_latex(text):
    element = ET.fromstring(mathml(parse(text), display=True, alt=text))
    assert element.tag == "math" and len(list(element.iter())) > 3
    assert latex(parse(text)).count("{") == latex(parse(text)).count("}")

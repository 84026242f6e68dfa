"""glassnet.explain.plots: each picture is a Figure with the expected axes, tiles and lines."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import glassnet as gn
from glassnet.explain import plots
from glassnet.explain.explainer import explain
from glassnet.train.evaluate import evaluate
from see_models import deep_binary, deep_multiclass, logistic_multiclass, sample, split


def test_learning_curves_train_and_validation():
    fig = plots.learning_curves(deep_multiclass().history)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss, accuracy = fig.axes
    assert [line.get_label() for line in loss.lines] == ["training", "validation"]
    assert len(loss.lines[0].get_xdata()) == 6 and len(accuracy.lines) == 2


def test_learning_curves_without_validation_and_from_a_dict():
    fig = plots.learning_curves(deep_binary().history)  # trained without validation data
    assert [len(ax.lines) for ax in fig.axes] == [1, 1]
    fig = plots.learning_curves({"loss": [1.0, 0.5], "accuracy": [0.5, 0.9]})
    assert [len(ax.lines) for ax in fig.axes] == [1, 1]
    with pytest.raises(gn.ConfigError, match="no training history"):
        plots.learning_curves(None)


def test_confusion_matrix_from_an_evaluation_report():
    _, _, Xt, yt = split()
    report = evaluate(deep_multiclass(), Xt, yt)
    fig = plots.confusion_matrix(report)
    (ax,) = fig.axes
    matrix = np.asarray(report["confusion_matrix"])
    assert len(ax.texts) == np.count_nonzero(matrix)  # every non-zero count is written in
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(c) for c in range(10)]
    assert len(plots.confusion_matrix([[3, 1], [0, 4]], ["cat", "dog"]).axes) == 1


def test_weight_images_one_tile_per_hidden_unit():
    fig = plots.weight_images(deep_multiclass())
    assert len(fig.axes) == 24  # the first Dense layer has 24 units
    assert fig.axes[0].images[0].get_array().shape == (8, 8)
    assert len(plots.weight_images(deep_multiclass(), max_units=10).axes) == 10


def test_weight_images_of_logistic_regression_are_per_class():
    fig = plots.weight_images(logistic_multiclass(), image_shape=(8, 8))
    assert len(fig.axes) == 10 and fig.axes[3].get_title() == "class 3"
    with pytest.raises(gn.ConfigError, match="plain vectors"):
        plots.weight_images(logistic_multiclass())  # trained on vectors: no image shape known


def test_activation_functions_one_axes_per_dense_layer_with_the_used_range():
    _, _, Xt, _ = split()
    fig = plots.activation_functions(deep_multiclass(), Xt)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["layer 1 (hidden): sigmoid", "layer 2 (hidden): tanh",
                                                    "layer 3 (output): softmax"]
    for ax in fig.axes:
        labels = ax.get_legend_handles_labels()[1]
        assert "z used (1–99 %)" in labels and "derivative" in labels
    bare = plots.activation_functions(deep_binary())
    assert len(bare.axes) == 3 and "z used (1–99 %)" not in bare.axes[0].get_legend_handles_labels()[1]


def test_activation_curves_are_the_functions_and_their_derivatives():
    fig = plots.activation_functions(deep_multiclass())
    ax = fig.axes[0]  # sigmoid
    f, slope = ax.lines[0], ax.lines[1]
    z = np.asarray(f.get_xdata())
    np.testing.assert_allclose(f.get_ydata(), 1 / (1 + np.exp(-z)), atol=1e-7)
    np.testing.assert_allclose(slope.get_ydata(), np.exp(-z) / (1 + np.exp(-z)) ** 2, atol=1e-7)


@pytest.mark.slow
def test_misclassified_gallery_one_tile_per_mistake():
    model = deep_multiclass()
    _, _, Xt, yt = split()
    wrong = int(np.sum(model.predict(Xt) != yt))
    assert wrong > 0
    fig = plots.misclassified(model, Xt, yt, max_images=100)
    assert len(fig.axes) == wrong
    titles = [ax.get_title() for ax in fig.axes]
    assert all("→" in t and "p = " in t for t in titles)
    assert len(plots.misclassified(model, Xt, yt, max_images=3).axes) == min(3, wrong)


def test_misclassified_when_nothing_is_wrong():
    model = deep_multiclass()
    _, _, Xt, _ = split()
    fig = plots.misclassified(model, Xt[:20], model.predict(Xt[:20]))
    assert len(fig.axes) == 1 and "No misclassified" in fig.axes[0].texts[0].get_text()


def test_explanation_figure_of_a_trace():
    model, x, label = sample("deep_multiclass")
    fig = plots.explanation(explain(model, x, label=label))
    assert len(fig.axes) == 4  # input, contribution map (+ its colour bar), probabilities
    model, x, label = sample("logistic_binary")  # a vector model: no image to draw
    assert len(plots.explanation(explain(model, x, label=label)).axes) == 1


@pytest.mark.slow
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_save_png_and_svg(tmp_path, suffix, magic):
    path = plots.save(plots.learning_curves(deep_multiclass().history), tmp_path / f"curves{suffix}")
    assert path.read_bytes().startswith(magic)
    assert plots.png_bytes(plots.confusion_matrix([[1, 0], [0, 1]])).startswith(b"\x89PNG")
    assert "<svg" in plots.svg_text(plots.confusion_matrix([[1, 0], [0, 1]]))
    with pytest.raises(gn.ConfigError, match=".png or .svg"):
        plots.save(Figure(), tmp_path / "x.jpg")

"""glassnet.explain.plots: each picture is a Figure with the expected axes, tiles and lines."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

import glassnet as gn
from glassnet.explain import plots
from glassnet.explain.explainer import explain
from glassnet.nn.layers import Dense
from glassnet.train.evaluate import evaluate
from glassnet.train.sequential import network_of
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


def tiles_of(fig):
    """The tiles of a one-image mosaic figure, in reading order: (canvas, [(row, col, h, w)])
    from the non-white pixels of its one image (the gaps between tiles are white)."""
    from scipy import ndimage

    (ax,) = fig.axes
    (image,) = ax.images
    canvas = np.asarray(image.get_array())
    found, _ = ndimage.label(np.any(canvas[:, :, :3] != 1.0, axis=2))
    boxes = [(s[0].start, s[1].start, s[0].stop - s[0].start, s[1].stop - s[1].start)
             for s in ndimage.find_objects(found)]
    return canvas, sorted(boxes)


def test_weight_images_one_tile_per_hidden_unit():
    model = deep_multiclass()
    fig = plots.weight_images(model)
    canvas, boxes = tiles_of(fig)  # one axes, one image holding all the tiles
    assert len(boxes) == 24  # the first Dense layer has 24 units
    assert [t.get_text() for t in fig.axes[0].texts] == [f"unit {j}" for j in range(24)]
    (h, w), k = boxes[0][2:], boxes[0][2] // 8
    assert h == w == 8 * k and all(box[2:] == (h, w) for box in boxes)  # 8×8 pixels, each k×k
    r, c = boxes[5][:2]
    first = next(layer for layer in network_of(model).layers if isinstance(layer, Dense))
    w5 = first.params["W"][:, 5].reshape(8, 8).astype(np.float64)
    s = np.abs(w5).max()
    expected = matplotlib.colormaps["RdBu_r"](Normalize(-s, s)(w5))
    np.testing.assert_allclose(canvas[r:r + h:k, c:c + w:k], expected)  # unit 5, its own scale
    label = fig.axes[0].texts[5]
    assert label.get_fontsize() == 8 and c <= label.get_position()[0] <= c + w
    assert label.get_position()[1] < r  # above its tile (image rows grow downwards)
    fewer = plots.weight_images(model, max_units=10)
    assert len(tiles_of(fewer)[1]) == 10 and len(fewer.axes[0].texts) == 10


def test_weight_images_of_logistic_regression_are_per_class():
    fig = plots.weight_images(logistic_multiclass(), image_shape=(8, 8))
    assert len(tiles_of(fig)[1]) == 10 and fig.axes[0].texts[3].get_text() == "class 3"
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
    (ax,) = fig.axes  # one axes, one image: a tile and a label per mistake
    assert len(ax.images) == 1 and len(ax.texts) == wrong
    titles = [t.get_text() for t in ax.texts]
    assert all("→" in t and "p = " in t for t in titles)
    assert len(plots.misclassified(model, Xt, yt, max_images=3).axes[0].texts) == min(3, wrong)


def test_misclassified_labels_name_true_and_predicted():
    model = deep_multiclass()
    _, _, Xt, yt = split()
    proba = model.predict_proba(Xt)
    predicted = model.predict(Xt)
    wrong = np.flatnonzero(predicted != yt)[:5]
    fig = plots.misclassified(model, Xt, yt, max_images=5)
    labels = fig.axes[0].texts
    assert [t.get_text() for t in labels] == [f"{yt[i]} → {predicted[i]}\np = {proba[i].max():.2f}"
                                              for i in wrong]
    assert all(t.get_color() == "#cf222e" and t.get_fontsize() == 8 for t in labels)
    canvas = np.asarray(fig.axes[0].images[0].get_array())
    rows = runs(np.any(canvas[:, :, :3] != 1.0, axis=(1, 2)))  # all-white rows and columns:
    cols = runs(np.any(canvas[:, :, :3] != 1.0, axis=(0, 2)))  # the gaps between the tiles
    assert len(rows) == 1 and len(cols) == 5
    (r, h), (c, w) = rows[0], cols[0]
    k = h // 8
    assert h == w == 8 * k and all(width == w for _, width in cols)
    first = Xt[wrong[0]].reshape(8, 8).astype(np.float64)  # X is /16: gray from 0 to 1
    expected = matplotlib.colormaps["gray"](Normalize(0, 1)(first))
    np.testing.assert_allclose(canvas[r:r + h:k, c:c + w:k], expected)


def runs(mask):
    """(start, length) of each run of True in a 1-d mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return [(int(start), int(stop - start)) for start, stop in zip(edges[::2], edges[1::2])]


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

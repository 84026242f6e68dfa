"""Pictures of what a network learned, as matplotlib Figures (no pyplot, no global state).

Each function returns a ``matplotlib.figure.Figure``; ``save(fig, "x.png")`` or
``save(fig, "x.svg")`` writes it, ``png_bytes(fig)`` gives the PNG bytes.

    learning_curves(history)           loss and accuracy per epoch, train vs validation (2 axes)
    confusion_matrix(report)           counts of (true, predicted) pairs (1 axes)
    weight_images(model)               the first Dense layer's w_j drawn as images (1 tile per unit)
    activation_functions(model, X)     f and f' of every Dense layer, the z range X uses marked
    misclassified(model, X, y)         the wrong predictions, with true/predicted labels and p (1 axes)
    explanation(trace)                 input, contribution map and probabilities of one Trace
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from glassnet.errors import ConfigError
from glassnet.explain.mosaic import image_rgba, mosaic, signed_rgba
from glassnet.nn.layers import Dense
from glassnet.train.sequential import network_of

TRAIN_COLOR, VALIDATION_COLOR = "#1f6feb", "#d1242f"
# margins of figures whose labels are numbers and short titles (learning curves, instruments):
# set by hand, as constrained layout spends half of such a figure's drawing time placing them
NUMERIC_MARGINS = {"left": 0.08, "right": 0.98, "bottom": 0.15, "top": 0.9, "wspace": 0.28}
MAX_TILES = 64


# ---- saving ------------------------------------------------------------------------------------
def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def svg_text(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    return buffer.getvalue()


def save(fig: Figure, path, dpi: int = 110) -> Path:
    """Write ``fig`` as PNG or SVG, chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ConfigError(f"save: the file must end in .png or .svg. Got {path.name!r} instead.")
    from glassnet.files.atomic import atomic_write_bytes

    data = png_bytes(fig, dpi) if suffix == ".png" else svg_text(fig).encode("utf-8")
    return atomic_write_bytes(path, data)  # a crash never leaves half a picture


# ---- training ----------------------------------------------------------------------------------
def learning_curves(history) -> Figure:
    """Loss and accuracy per epoch, training (solid) vs validation (dashed): 2 axes."""
    curves = _history_dict(history)
    fig = Figure(figsize=(9, 3.4))
    fig.subplots_adjust(**NUMERIC_MARGINS)  # fixed margins: constrained layout costs ~0.3 s
    for k, (metric, title) in enumerate((("loss", "loss"), ("accuracy", "accuracy"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for key, label, color, style in ((metric, "training", TRAIN_COLOR, "-"),
                                         (f"val_{metric}", "validation", VALIDATION_COLOR, "--")):
            values = [np.nan if v is None else float(v) for v in curves.get(key, [])]
            if values and not all(math.isnan(v) for v in values):
                ax.plot(range(1, len(values) + 1), values, style, color=color, label=label,
                        marker="o" if len(values) <= 30 else None, markersize=3)
        ax.set(title=title, xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(frameon=False)
        if metric == "accuracy":
            ax.set_ylim(top=1.0)
    return fig


def _history_dict(history) -> dict:
    if history is None:
        raise ConfigError("learning_curves: this model has no training history (it was saved "
                          "without one). Train it with glassnet 0.1+ to record one.")
    data = getattr(history, "history", history)
    return data.get("history", data) if isinstance(data, dict) else dict(data)


def confusion_matrix(report_or_matrix, classes=None) -> Figure:
    """The confusion matrix (rows: true class, columns: predicted), counts written in: 1 axes.

    Takes ``glassnet.train.evaluate.evaluate``'s report, or a matrix and its class names.
    """
    if isinstance(report_or_matrix, dict):
        matrix, classes = report_or_matrix["confusion_matrix"], report_or_matrix["classes"]
    else:
        matrix = report_or_matrix
    matrix = np.asarray(matrix)
    n = len(matrix)
    names = [str(c) for c in (classes if classes is not None else range(n))]
    side = min(8.0, 2.0 + 0.38 * n)
    fig = Figure(figsize=(side + 0.6, side), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues", vmin=0)
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted class", ylabel="true class",
           title="Confusion matrix")
    ax.set_xticklabels(names, rotation=90 if max(map(len, names)) > 3 else 0)
    ax.set_yticklabels(names)
    if n <= 25:
        top = matrix.max() or 1
        for (i, j), count in np.ndenumerate(matrix):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8 if n > 12 else 9,
                        color="white" if count > top / 2 else "#1f2328")
    return fig


# ---- what the units look for ---------------------------------------------------------------------
def weight_images(model, max_units: int = MAX_TILES, image_shape=None) -> Figure:
    """Each unit's weight vector w_j of the first Dense layer, drawn as an image: one tile per
    unit (at most ``max_units``), all in one image on one axes, labelled above each tile.
    Red: weights > 0 (the pixel raises z_j), blue: < 0; each tile has its own scale max|w_j|."""
    from glassnet.data import weights_as_images

    network = network_of(model)
    shape = _image_shape(network, image_shape, "weight_images")
    first = next(layer for layer in network.layers if isinstance(layer, Dense))
    W = first.params["W"]
    n = min(W.shape[1], max_units)
    tiles = [signed_rgba(tile) for tile in weights_as_images(W[:, :n], shape)]
    fig = mosaic(tiles, _unit_labels(network, first, n), {"fontsize": 8})
    shown = f"all {n}" if n == W.shape[1] else f"the first {n} of {W.shape[1]}"
    colour = len(shape) == 3 and shape[2] == 3
    key = "gray = 0, colour: channels > 0" if colour else "red > 0, blue < 0"
    fig.suptitle(f"What each unit looks for: w_j of layer 1, {shown} units ({key})",
                 fontsize=10, y=1 - 0.12 / fig.get_figheight(), va="top")
    return fig


def _unit_labels(network, layer, n):
    if layer is network.output_layer and network.classes_ is not None:
        if network.task == "binary":
            return [f"toward {network.classes_[1]}"]
        return [f"class {c}" for c in network.classes_[:n]]
    return [f"unit {j}" for j in range(n)]


def _image_shape(network, image_shape, who):
    shape = image_shape or network.image_shape
    if shape is None or len(shape) < 2 or math.prod(shape) != network.n_features:
        raise ConfigError(f"{who}: the model's inputs are plain vectors of {network.n_features} "
                          "features, not images; pass image_shape=(h, w) to draw them.")
    return tuple(shape)


# ---- activations -----------------------------------------------------------------------------------
def activation_functions(model, X=None) -> Figure:
    """f(z) and f'(z) of every Dense layer (one axes each); with data X, the range of z the
    trained network really uses there is shaded (1st–99th percentile) and its histogram drawn.

    Softmax is drawn as what it is for one class: p_j = σ(m_j) with the margin
    m_j = z_j − log Σ_(k≠j) e^(z_k).
    """
    network = network_of(model)
    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    used = _used_z(network, X) if X is not None else [None] * len(dense)
    fig = Figure(figsize=(min(4.2 * len(dense), 12.6), 3.3), layout="constrained")
    for k, (layer, z) in enumerate(zip(dense, used)):
        ax = fig.add_subplot(1, len(dense), k + 1)
        _draw_activation(ax, layer, z)
        kind = "output" if layer is dense[-1] else "hidden"
        ax.set_title(f"layer {k + 1} ({kind}): {layer.activation.name}", fontsize=10)
    return fig


def _used_z(network, X):
    """For each Dense layer, its z values on X (softmax: the margins m_j), flattened."""
    a, out = network.check_X(X), []
    for layer in network.layers:
        if not isinstance(layer, Dense):
            a = layer.forward(a, training=False)
            continue
        z = layer.weighted_sum(a).astype(np.float64)
        out.append(_margins(z) if layer.activation.name == "softmax" else z.ravel())
        a = layer.activation.forward(z.astype(a.dtype))
    return out


def _margins(z):
    """m_j = z_j − log Σ_(k≠j) e^(z_k), so that softmax(z)_j = σ(m_j)."""
    from scipy.special import logsumexp

    n = z.shape[1]
    others = np.stack([logsumexp(np.delete(z, j, axis=1), axis=1) for j in range(n)], axis=1)
    return (z - others).ravel()


def _draw_activation(ax, layer, z_used):
    from glassnet.nn.activations import Sigmoid

    softmax = layer.activation.name == "softmax"
    f = Sigmoid() if softmax else layer.activation
    low, high = -6.0, 6.0
    if z_used is not None and len(z_used):
        lo_used, hi_used = np.percentile(z_used, [1, 99])
        low, high = min(low, float(np.percentile(z_used, 0.5))), max(high, float(np.percentile(z_used, 99.5)))
        low, high = max(low, -60.0), min(high, 60.0)
        ax.axvspan(lo_used, hi_used, color="#fff1c2", label="z used (1–99 %)")
        counts, edges = np.histogram(np.clip(z_used, low, high), bins=50, range=(low, high))
        ax.stairs(0.35 * counts / max(counts.max(), 1), edges, fill=True, color="#d4a72c",
                  alpha=0.45, label="histogram of z")
    grid = np.linspace(low, high, 400)
    a = f.forward(grid.copy())
    slope = f.backward(a, np.ones_like(a))
    symbol = "σ(m)" if softmax else "f(z)"
    ax.plot(grid, a, color=TRAIN_COLOR, label=f"{symbol} = {'p_j' if softmax else layer.activation.name}")
    ax.plot(grid, slope, "--", color=VALIDATION_COLOR, label="derivative")
    ax.axhline(0, color="#8c959f", lw=0.6)
    ax.axvline(0, color="#8c959f", lw=0.6)
    ax.set_xlabel(r"margin $m_j = z_j - \log \sum_{k \neq j} e^{z_k}$" if softmax else "z")
    if layer.activation.name in ("relu", "leaky_relu", "identity"):
        ax.set_ylim(-0.5, max(2.0, min(high, 6.0)))
    ax.grid(alpha=0.25)
    ax.legend(fontsize=7, frameon=False, loc="upper left")


# ---- mistakes --------------------------------------------------------------------------------------
def misclassified(model, X, y, max_images: int = 24, image_shape=None, probabilities=None) -> Figure:
    """The wrong predictions on (X, y) as images, labelled "true → predicted" and "p = …"
    above each: one tile per image (at most ``max_images``), all in one image on one axes, or
    one axes saying there were none."""
    network = network_of(model)
    shape = _image_shape(network, image_shape, "misclassified")
    X = np.asarray(X)
    proba = network.predict_proba(X) if probabilities is None else np.asarray(probabilities)
    predicted = network.classes_[np.argmax(proba, axis=1)]
    y = np.asarray(y)
    wrong = np.flatnonzero(predicted.astype(str) != y.astype(str))
    shown = wrong[:max_images]
    if not len(shown):
        fig = Figure(figsize=(5, 1.2), layout="constrained")
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, f"No misclassified examples among {len(y):,}.", ha="center", va="center")
        ax.set_axis_off()
        return fig
    top = _display_range(network, X)
    tiles = [image_rgba(np.asarray(X[i], dtype=np.float64).reshape(shape), top) for i in shown]
    labels = [f"{y[i]} → {predicted[i]}\np = {proba[i].max():.2f}" for i in shown]
    fig = mosaic(tiles, labels, {"fontsize": 8, "color": "#cf222e"}, tile_in=1.3, title_in=0.42)
    fig.suptitle(f"Misclassified: {len(wrong):,} of {len(y):,} (true → predicted, p of the "
                 f"prediction){'; first ' + str(len(shown)) if len(wrong) > len(shown) else ''}",
                 fontsize=10)
    return fig


def _display_range(network, X):
    pre = network.preprocessor
    value = getattr(pre, "value_range", None) or getattr(pre, "divisor_", None)
    return float(value) if value else float(np.max(np.abs(X))) or 1.0


# ---- one explained prediction -------------------------------------------------------------------------
def explanation(trace) -> Figure:
    """One ``Trace``: the input image, the contribution map c (red toward the explained
    class, blue against) and the probabilities — 3 axes (fewer without an image or classes)."""
    from glassnet.explain.render.common import contribution_grid, image_grid

    image = image_grid(trace.input)
    grid = contribution_grid(trace.contributions, max_side=10_000)
    out = trace.output
    panels = (image is not None) + (grid is not None) + (out.probabilities is not None)
    fig = Figure(figsize=(3.3 * max(panels, 1), 3.2), layout="constrained")
    k = 0
    if image is not None:
        k += 1
        ax = fig.add_subplot(1, panels, k)
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"input (true {out.true_label})" if out.true_label is not None else "input", fontsize=10)
        ax.set_axis_off()
    if grid is not None:
        k += 1
        ax = fig.add_subplot(1, panels, k)
        scale = float(np.abs(grid).max()) or 1.0
        shown = ax.imshow(grid, cmap="RdBu_r", vmin=-scale, vmax=scale, interpolation="nearest")
        ax.set_title(f"c = {trace.contributions.method}\ntoward {trace.contributions.target_label}", fontsize=10)
        ax.set_axis_off()
        fig.colorbar(shown, ax=ax, shrink=0.8)
    if out.probabilities is not None:
        k += 1
        ax = fig.add_subplot(1, panels, k)
        names = [str(c) for c in out.classes]
        colors = ["#2da44e" if j == out.predicted_index else "#8c959f" for j in range(len(names))]
        ax.barh(names, out.probabilities, color=colors)
        ax.invert_yaxis()
        ax.set(xlim=(0, 1), title=f"p: predicted {out.predicted}", xlabel="probability")
    return fig

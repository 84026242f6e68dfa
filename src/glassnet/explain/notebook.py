"""How glassnet's objects show themselves in a Jupyter notebook: compact, self-contained HTML.

    model            → its layers: output shapes, parameters and formulas (MathML)
    model.history    → the learning curves (an inline PNG) and the last epoch's numbers
    dataset          → rows per class, with a few pictures of each class
    evaluate(…)      → accuracy, log-loss, the confusion matrix and the first mistakes

Why registration: ``nn/`` and ``data/`` may not import ``explain/`` (the arrows point the
other way), so the classes carry no HTML code. This module attaches ``_repr_html_`` to them
when ``glassnet`` is imported (``glassnet.explain`` imports it): the builders live here,
beside the report that draws the same things. Nothing is fetched: pictures are data URIs.
"""

from __future__ import annotations

import base64
from html import escape

import numpy as np

from glassnet.data.dataset import Dataset
from glassnet.explain.gallery import GALLERY_CSS, sources_table, thumbnail_img
from glassnet.explain.render.math import mathml, parse
from glassnet.nn.layers import Dense
from glassnet.nn.model import Network, network_text
from glassnet.train.evaluate import Evaluation
from glassnet.train.loop import History

THUMBS_PER_CLASS = 4
MAX_CLASSES_DRAWN = 12
STYLE = ("<style>.gn-nb table { border-collapse: collapse; font-size: .9em; }"
         ".gn-nb th, .gn-nb td { padding: .2em .6em; border-bottom: 1px solid #d0d7de; "
         "text-align: left; } .gn-nb td.n { text-align: right; font-variant-numeric: tabular-nums; }"
         ".gn-nb td img { image-rendering: pixelated; margin: 0 .2em; vertical-align: middle; }" + GALLERY_CSS
         + "</style>")


def _box(title: str, body: str) -> str:
    return f'<div class="gn-nb">{STYLE}<p><strong>{escape(title)}</strong></p>{body}</div>'


def _table(header, rows) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell if cell.startswith(("<td", "<th")) else f"<td>{cell}</td>"
                                    for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _math(text: str) -> str:
    return mathml(parse(text), alt=text)


def _num(value) -> str:
    return f'<td class="n">{value}</td>'


# ---- the model ------------------------------------------------------------------------------
def network_html(network) -> str:
    """The architecture: each layer, its output shape, parameters and formulas."""
    if not network.built:
        rows = [(escape(layer.describe()), "–", "–", _layer_math(layer)) for layer in network.layers]
        return _box(f"{type(network).__name__} (not built yet: shapes come with the first fit)",
                    _table(("layer", "output shape", "parameters", "computes"), rows))
    rows = [(escape(layer.describe()), "(batch, " + ", ".join(map(str, layer.output_shape)) + ")",
             _num(f"{layer.n_params():,}"), _layer_math(layer)) for layer in network.layers]
    rows.append(("<strong>total</strong>", "", _num(f"<strong>{network.n_params():,}</strong>"), ""))
    return _box(f"{type(network).__name__}: {network_text(network)}",
                _table(("layer", "output shape", "parameters", "computes"), rows))


def _layer_math(layer) -> str:
    formula = _math(layer.formula) if getattr(layer, "formula", "") else ""
    if isinstance(layer, Dense):
        formula += ", " + _math(layer.activation.formula)
    return formula


# ---- the history ----------------------------------------------------------------------------
def history_html(history) -> str:
    """The learning curves as one inline PNG, and the last epoch's numbers."""
    from glassnet.explain import plots

    if not history.epochs:
        return _box("History: no epochs yet", "")
    last = {k: v[-1] for k, v in history.history.items() if v and v[-1] is not None}
    numbers = ", ".join(f"{escape(k)} {v:.4f}" for k, v in last.items())
    png = plots.png_bytes(plots.learning_curves(history), dpi=96)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    image = f'<img src="{uri}" alt="learning curves" style="max-width:100%">'
    return _box(f"History: {history.epochs} epochs", f"<p>after the last: {numbers}</p>{image}")


# ---- the data -------------------------------------------------------------------------------
def dataset_html(dataset) -> str:
    """Rows per class, with the first few pictures of each (images only)."""
    y = np.asarray(dataset.y).astype(str)
    drawn = dataset.image_shape is not None and not _is_lazy(dataset.X)
    top = float(dataset.value_range or (np.max(np.abs(dataset.X)) if drawn else 1.0) or 1.0)
    rows = []
    for k, name in enumerate(dataset.classes):
        where = np.flatnonzero(y == str(name))
        pictures = ""
        if drawn and k < MAX_CLASSES_DRAWN:
            pictures = "".join(thumbnail_img(dataset.X[i], dataset.image_shape, top,
                                             str(_source(dataset, i)))
                               for i in where[:THUMBS_PER_CLASS])
        rows.append((escape(str(name)), _num(f"{len(where):,}"), pictures))
    notices = "".join(f"<p><em>note: {escape(n)}</em></p>" for n in dataset.notices)
    return _box(f"Dataset: {dataset.describe()}", _table(("class", "rows", "examples"), rows) + notices)


def _is_lazy(X) -> bool:
    return not isinstance(X, np.ndarray)


def _source(dataset, i):
    return dataset.sources[i] if dataset.sources is not None else f"row {i}"


# ---- an evaluation --------------------------------------------------------------------------
def evaluation_html(evaluation) -> str:
    """Accuracy, log-loss, macro F1, the confusion matrix and the most confident mistakes."""
    classes = [escape(str(c)) for c in evaluation["classes"]]
    rows = [[f"<th>{name}</th>"] + [_num(n if n else "·") for n in counts]
            for name, counts in zip(classes, evaluation["confusion_matrix"])]
    matrix = _table(["true \\ predicted", *classes], rows)
    head = (f"<p>accuracy <strong>{evaluation['accuracy']:.4f}</strong>, log-loss "
            f"{evaluation['log_loss']:.4f}, macro F1 {evaluation['macro_f1']:.4f}</p>")
    mistakes = evaluation.get("mistakes") or []
    listed = ""
    if mistakes:
        listed = (f"<p>{len(mistakes):,} mistakes; the most confident:</p>" + sources_table(mistakes[:10]))
    return _box(f"Evaluation on {evaluation['n_samples']:,} examples", head + matrix + listed)


def register():
    """Give the model, History, Dataset and evaluation result their notebook view."""
    Network._repr_html_ = network_html
    History._repr_html_ = history_html
    Dataset._repr_html_ = dataset_html
    Evaluation._repr_html_ = evaluation_html


register()

__all__ = ["dataset_html", "evaluation_html", "history_html", "network_html",
           "register"]

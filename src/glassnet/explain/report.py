"""The HTML report: one self-contained file with everything a trained model can show.

    from glassnet.explain.report import write_report
    write_report(model, test_set, "report.html")      # a Dataset, or (X, y) with raw rows

One file, nothing fetched when it is opened: pictures are inline PNG data URIs, equations
are MathML (rendered by the browser itself), the style is in the page. Sections: the
model (layers, formulas, input, preprocessing, classes), its training (settings, learning
curves), its evaluation on the data given (accuracy, log-loss, per-class precision / recall /
F1, confusion matrix — scikit-learn's metrics via ``glassnet.train.evaluate``), what it learned
(the first layer's weights as images, the activations and the range of z really used), its
mistakes, and a few predictions explained with their real numbers (``glassnet.explain.explainer``).
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import numpy as np

from glassnet.errors import ConfigError
from glassnet.explain import plots
from glassnet.explain.explainer import explain
from glassnet.explain.gallery import display_top, mistakes_gallery, sources_table
from glassnet.explain.health import health_section
from glassnet.explain.page import page
from glassnet.explain.render.html import render_html
from glassnet.explain.render.math import mathml, parse
from glassnet.nn.layers import Dense
from glassnet.nn.model import network_text
from glassnet.train.evaluate import LIKELY_MISLABELED
from glassnet.train.sequential import network_of

MAX_ROWS_FOR_PICTURES = 2000  # the activation ranges are measured on at most this many rows
FIGURE_DPI = 144  # drawn at 1.5× and shown at 96 dpi: sharp on high-density screens
MAX_GALLERY = 48  # mistakes drawn as pictures; all of them are in evaluate's CSV

def write_report(model, data, path, *, title: str | None = None, n_examples: int = 3,
                 data_name: str | None = None, model_name: str | None = None) -> Path:
    """Write the report for ``model`` evaluated on ``data`` to ``path`` (atomically).

    ``data``: a ``glassnet.data.Dataset`` or a tuple (X, y) of RAW rows (the model applies its
    own preprocessing) and labels. Returns the path written.
    """
    from glassnet.files.atomic import atomic_write_bytes

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():  # say so before spending time on the pictures
        raise ConfigError(f"Cannot write {path}: the folder {folder} does not exist. Create it "
                          "first or choose another path.")
    html = build_report(model, data, title=title, n_examples=n_examples, data_name=data_name,
                        model_name=model_name)
    return atomic_write_bytes(path, html.encode("utf-8"))

def build_report(model, data, *, title=None, n_examples=3, data_name=None, model_name=None) -> str:
    """The report as one HTML string (see ``write_report``)."""
    from glassnet.train.evaluate import align_labels, evaluate

    network = network_of(model)
    X, y, name, sources = _unpack(data, data_name)
    y = align_labels(y, network.classes_)
    metrics = evaluate(network, X, y, sources=sources)
    proba = network.predict_proba(X)
    sources = sources if sources is not None else [f"row {i}" for i in range(len(y))]
    sections = [
        ("model", "The model", _model_section(network, model_name)),
        ("training", "Training", _training_section(network)),
        ("health", "Training health", health_section(network, figure_html)),
        ("evaluation", "Evaluation", _evaluation_section(metrics, name)),
        ("learned", "What the network learned", _learned_section(network, X)),
        ("mistakes", "Mistakes", _mistakes_section(network, X, metrics)),
        ("explained", "Predictions explained",
         _examples_section(network, X, y, proba, n_examples, sources)),
    ]
    heading = title or f"glassnet report{': ' + model_name if model_name else ''}"
    return page(heading, _summary(network, metrics, name), sections, _footer())

def _unpack(data, data_name):
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = data
        return np.asarray(X), np.asarray(y), data_name or f"{len(y):,} examples", None
    if hasattr(data, "X") and hasattr(data, "y"):
        describe = data.describe() if hasattr(data, "describe") else f"{len(data.y):,} examples"
        return data.X, np.asarray(data.y), data_name or describe, getattr(data, "sources", None)
    raise ConfigError("write_report: data must be a glassnet Dataset or a tuple (X, y). "
                      f"Got {type(data).__name__} instead.")

# ---- pieces ----------------------------------------------------------------------------------
def figure_html(fig, alt: str, caption: str = "") -> str:
    """A matplotlib Figure as an inline PNG ``<figure>``."""
    png = plots.png_bytes(fig, dpi=FIGURE_DPI)
    width, height = (int(round(v * 96)) for v in fig.get_size_inches())
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (f'<figure class="plot"><img src="{uri}" width="{width}" height="{height}" '
            f'alt="{escape(alt)}">{cap}</figure>')

def _table(header, rows, css="") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (f'<div class="table-wrap"><table class="{css}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")

def _facts(rows) -> str:
    items = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<dl class="facts">{items}</dl>'

def _note(text) -> str:
    return f'<p class="note">{text}</p>'

def _math(text) -> str:
    return mathml(parse(text), alt=text)

def _fmt(value, digits=4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"

# ---- sections ----------------------------------------------------------------------------------
def _summary(network, metrics, name) -> list[tuple[str, str]]:
    history = network.history
    epochs = history.epochs if history is not None else None
    return [("accuracy", f"{metrics['accuracy']:.2%}"), ("log-loss", _fmt(metrics["log_loss"], 3)),
            ("macro F1", _fmt(metrics["macro_f1"], 3)), ("examples", f"{metrics['n_samples']:,}"),
            ("parameters", f"{network.n_params():,}"), ("epochs", "–" if epochs is None else str(epochs))]

def _model_section(network, model_name) -> str:

    rows = []
    for layer in network.layers:
        shape = "(batch, " + ", ".join(map(str, layer.output_shape or ("?",))) + ")"
        formula = _math(layer.formula) if layer.formula else ""
        if isinstance(layer, Dense):
            formula += ", " + _math(layer.activation.formula)
        rows.append((escape(layer.describe()), shape, f"{layer.n_params():,}", formula))
    pre = network.preprocessor
    classes = network.classes_
    facts = [("network", escape(network_text(network))),
             ("input", f"{'×'.join(map(str, network.input_shape))} → {network.n_features:,} numbers "
                       f"({_math(network.layers[0].formula)})"),
             ("preprocessing", escape(pre.describe()) if pre is not None else "none (inputs used as given)"),
             ("task", f"{network.task}, loss {escape(network.loss.name)}: {_math(network.loss.formula)}"
                      if getattr(network.loss, "formula", "") else network.task),
             ("classes", "–" if classes is None else escape(", ".join(map(str, classes.tolist())))),
             ("parameters", f"{network.n_params():,} ({network.dtype})")]
    if model_name:
        facts.insert(0, ("file", escape(str(model_name))))
    return _facts(facts) + _table(("layer", "output shape", "parameters", "computes"), rows, "layers")

def _training_section(network) -> str:
    training = network.meta.get("training") or {}
    parts = []
    settings = training.get("settings") or {}
    if settings or training.get("data"):
        shown = ", ".join(f"{k} = {v}" for k, v in settings.items() if v is not None)
        facts = [("data", escape(f"{training.get('data', '–')} ({training.get('n_train', '?'):,} training rows, "
                                 f"{training.get('n_validation', 0) or 0:,} for validation)")),
                 ("settings", escape(shown) or "–")]
        if training.get("seconds"):
            facts.append(("time", f"{training['seconds']:.1f} s"))
        parts.append(_facts(facts))
    if network.history is None or not network.history.epochs:
        parts.append(_note("No training history is stored with this model (it was saved without one), "
                           "so there are no learning curves."))
        return "".join(parts)
    h = network.history.history
    last = {k: (v[-1] if v else None) for k, v in h.items()}
    parts.append(_table(("after epoch", "loss", "accuracy", "validation loss", "validation accuracy"),
                        [(str(network.history.epochs), _fmt(last["loss"]), _fmt(last["accuracy"]),
                          _fmt(last["val_loss"]), _fmt(last["val_accuracy"]))], "numbers"))
    parts.append(figure_html(plots.learning_curves(network.history), "learning curves",
                             "Loss and accuracy per epoch: training (solid) and validation (dashed). "
                             "Validation curves appear when the run held data out."))
    return "".join(parts)

def _evaluation_section(metrics, name) -> str:
    rows = [(escape(str(r["class"])), _fmt(r["precision"], 3), _fmt(r["recall"], 3), _fmt(r["f1"], 3),
             f"{r['support']:,}") for r in metrics["per_class"]]
    intro = (f"<p>On {escape(name)}: accuracy <strong>{metrics['accuracy']:.4f}</strong>, "
             f"log-loss {metrics['log_loss']:.4f}, macro F1 {metrics['macro_f1']:.4f}. "
             "Precision: of the examples predicted as a class, the share that are; recall: of the "
             "examples of a class, the share found.</p>")
    table = _table(("class", "precision", "recall", "F1", "support"), rows, "numbers")
    figure = figure_html(plots.confusion_matrix(metrics), "confusion matrix",
                         "Rows: the true class; columns: the predicted class. The diagonal is right.")
    return intro + f'<div class="side-by-side"><div>{table}</div><div>{figure}</div></div>'

def _learned_section(network, X) -> str:
    parts = []
    try:
        parts.append("<h3>What each unit looks for</h3>" + figure_html(
            plots.weight_images(network), "first-layer weights as images",
            "Each tile is one unit's weight vector w<sub>j</sub> (a column of W), one weight per pixel, "
            "drawn back as an image: " + (
                "red pixels raise z<sub>j</sub> when bright, blue ones lower it."
                if len(network.image_shape) == 2 or network.image_shape[-1] == 1 else
                "gray is 0; a colour shows the channels whose brightness there raises z<sub>j</sub>.")))
    except ConfigError as e:
        parts.append(_note(escape(str(e))))
    parts.append("<h3>The activations, and the part of them the network uses</h3>" + figure_html(
        plots.activation_functions(network, X[:MAX_ROWS_FOR_PICTURES]), "activation functions",
        "Each Dense layer's activation f (solid) and its derivative (dashed). Shaded: where 98 % of "
        "the z values of these examples fall; bars: their histogram. Where the derivative is near 0 "
        "(saturation) a unit learns slowly." + _margin_note(network)))
    return "".join(parts)

def _margin_note(network) -> str:
    if not any(isinstance(layer, Dense) and layer.activation.name == "softmax" for layer in network.layers):
        return ""
    return (" For softmax the axis is the margin " + _math("m_j = z_j − log Σ_(k≠j) e^(z_k)")
            + ", so that " + _math("p_j = σ(m_j)") + ".")

def _mistakes_section(network, X, metrics) -> str:
    """Every mistake named by its file: the confident ones first (often a wrong label), then
    the gallery of pictures captioned with path, true → predicted and p."""
    mistakes = metrics["mistakes"]
    if not mistakes:
        return _note(f"No misclassified examples among {metrics['n_samples']:,}.")
    parts = [_note(f"{len(mistakes):,} of {metrics['n_samples']:,} examples are misclassified; "
                   "the most confident mistakes first. <code>glassnet evaluate MODEL DATA "
                   "--mistakes FILE.csv</code> lists them all.")]
    suspects = metrics.likely_mislabeled()
    parts.append(f"<h3>Likely mislabeled: {len(suspects):,}</h3>")
    parts.append(_note(f"Mistakes the network makes with p ≥ {LIKELY_MISLABELED}: check these "
                       "files' labels first.") + sources_table(suspects) if suspects else
                 _note(f"No mistake is made with p ≥ {LIKELY_MISLABELED}."))
    shape = network.image_shape
    parts.append("<h3>The mistakes</h3>")
    if shape is None or len(shape) < 2:
        return "".join(parts) + sources_table(mistakes[:MAX_GALLERY])
    parts.append(mistakes_gallery(mistakes, X, shape, display_top(network, X), MAX_GALLERY))
    if len(mistakes) > MAX_GALLERY:
        parts.append(_note(f"The first {MAX_GALLERY} of {len(mistakes):,} shown."))
    return "".join(parts)

def _examples_section(network, X, y, proba, n_examples, sources) -> str:
    rows = pick_examples(network, y, proba, n_examples)
    if not rows:
        return _note("No examples to explain.")
    parts = [_note("Each prediction below is the article's equations with this example's own numbers: "
                   "the input unrolled into x, every layer's weighted sum z = Wᵀx + b written out "
                   "term by term, the activation, the probabilities and which pixels mattered.")]
    for n, i in enumerate(rows):
        trace = explain(network, X[i], label=y[i], source=sources[i])
        mark = "✓" if trace.output.correct else "✗"
        summary = (f"<code>{escape(str(sources[i]))}</code>: true {escape(str(y[i]))}, predicted "
                   f"{escape(str(trace.output.predicted))} (p = {trace.output.probability:.3f}) {mark}")
        parts.append(f'<details{" open" if n == 0 else ""}><summary>{summary}</summary>'
                     f"{render_html(trace, include_style=False)}</details>")
    return "".join(parts)

def pick_examples(network, y, proba, n: int) -> list[int]:
    """Rows to explain: correct ones of different classes first, then one mistake if any."""
    predicted = network.classes_[np.argmax(proba, axis=1)]
    right = np.flatnonzero(predicted == y).tolist()
    wrong = np.flatnonzero(predicted != y).tolist()
    n_right = min(len(right), n - 1 if wrong and n > 1 else n)
    chosen, seen = [], set()
    for i in right:  # one per class first …
        if len(chosen) < n_right and y[i] not in seen:
            chosen.append(i)
            seen.add(y[i])
    chosen += [i for i in right if i not in chosen][: n_right - len(chosen)]  # … then any
    return sorted(chosen) + wrong[: n - len(chosen)]

def _footer() -> str:
    from glassnet.version import __version__

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"Written by glassnet {escape(__version__)} on {stamp}. Self-contained: no network access needed."

"""The playground: one offline HTML page where you draw a digit and watch the network compute it.

    from glassnet.explain.playground import write_playground
    write_playground(model, "playground.html")     # or: glassnet playground MODEL --out PAGE.html

The page is one self-contained file (no network access, works from ``file://``): the weights
are embedded as base64 float32, the style is the report's, and the script is plain JavaScript
(``playground.js``, package data next to this module). On every pointer move it runs the
article's equations in the browser — the stored preprocessing, then for each Dense layer
z = Wᵀx + b and a = f(z) — and writes them out with their real numbers, the way ``explain``
does: the same formulas (taken from the layers themselves), the same units (the most active
ones), the same largest terms w_ij·x_i first.

For a 28×28 grayscale model the drawing is prepared the way MNIST's digits were (crop to the
ink, fit into 20×20 keeping the aspect ratio, centre by the centre of mass in 28×28); other
models get the drawing resized to their input shape, its ink scaled to the model's raw range.

``window.glassnet`` is the page's API: ``setInput(x)`` takes RAW pixel values in the model's
input order (row-major, channels last), as ``predict`` reads them from an image; ``input()``,
``probabilities()`` (equal to ``model.predict_proba`` to float32 rounding) and ``classes()``.
"""

from __future__ import annotations

import base64
import inspect
import json
import math
from html import escape
from importlib import resources
from pathlib import Path

import numpy as np

from glassnet.data.preprocess import KNOWN_RANGES
from glassnet.explain.explainer import MAX_OUTPUT_UNITS, explain
from glassnet.explain.page import REPORT_CSS
from glassnet.explain.render.html import TRACE_CSS
from glassnet.nn.layers import Dense, Dropout, Flatten
from glassnet.nn.model import network_text
from glassnet.train.sequential import network_of

MNIST_SHAPE = (28, 28, 1)  # drawings for this input shape are prepared as MNIST's digits were


def write_playground(model, path, *, title: str | None = None) -> Path:
    """Write the playground page for ``model`` to ``path`` (atomically); returns the path."""
    from glassnet.files.atomic import atomic_write_bytes

    return atomic_write_bytes(Path(path), playground_html(model, title=title).encode("utf-8"))


def playground_html(model, *, title: str | None = None) -> str:
    """The playground page for ``model`` (a fitted Sequential or LogisticRegression), as HTML."""
    network = network_of(model, "build a playground for")
    data = model_data(network)
    heading = title or "glassnet playground"
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light">\n'
        f"<title>{escape(heading)}</title>\n"
        f"<style>{REPORT_CSS}{TRACE_CSS}{_asset('playground.css')}</style>\n</head>\n<body>\n"
        f"<main>\n{_asset('playground.html').replace('{{title}}', escape(heading))}\n</main>\n"
        f'<script type="application/json" id="gn-model">{payload}</script>\n'
        f"<script>{_asset('playground.js')}</script>\n</body>\n</html>\n"
    )


def model_data(network) -> dict:
    """Everything the page computes with, as JSON-able data (weights as base64 float32)."""
    explain_defaults = inspect.signature(explain).parameters
    classes = _classes(network)
    return {
        "network": network_text(network),
        "task": network.task,
        "classes": classes,
        "nParams": int(network.n_params()),
        "input": _input(network),
        "preprocessing": _preprocessing(network.preprocessor),
        "layers": [_layer(layer) for layer in network.layers],
        "explain": {"topTerms": explain_defaults["top_terms"].default,
                    "topUnits": explain_defaults["top_units"].default,
                    "maxOutputUnits": MAX_OUTPUT_UNITS},
    }


def _classes(network) -> list | None:
    """The class labels; an untrained classifier's are its output positions 0, 1, …"""
    if network.task == "regression":
        return None
    if network.classes_ is None:
        return list(range(2 if network.task == "binary" else network.output_layer.units))
    return [_python(c) for c in network.classes_]


def _input(network) -> dict:
    """The input's shape (h, w, c) as the page draws it, and how drawings become raw x."""
    n = network.n_features
    shape = image_shape(network)
    first = network.layers[0]
    return {
        "n": n,
        "shape": list(shape) if shape else None,
        "mnist": shape == MNIST_SHAPE,
        "rawRange": raw_range(network.preprocessor),
        "formula": first.formula if isinstance(first, Flatten) else Flatten.formula,
    }


def image_shape(network) -> tuple[int, int, int] | None:
    """(h, w, c) of the model's input images; a square guess for plain vectors; else None."""
    n = network.n_features
    pre = network.preprocessor
    for candidate in (network.image_shape, getattr(pre, "image_shape", None)):
        if candidate is not None and len(candidate) in (2, 3) and math.prod(candidate) == n:
            h, w = int(candidate[0]), int(candidate[1])
            return (h, w, int(candidate[2]) if len(candidate) == 3 else 1)
    side = math.isqrt(n)
    return (side, side, 1) if side * side == n and side > 1 else None


def raw_range(pre) -> float:
    """The raw value of full ink: the data's value range (255 for 8-bit images, 16 for the
    digits), the scale divisor, or for standardized data the known range covering mean + std."""
    if pre is None:
        return 1.0
    known = pre.value_range or getattr(pre, "divisor_", None)
    if known:
        return float(known)
    if getattr(pre, "mean_", None) is not None:
        top = float(np.max(pre.mean_ + pre.std_))
        return next((r for r in KNOWN_RANGES if top <= r), top)
    return 1.0


def _preprocessing(pre) -> dict:
    """The stored preprocessing: scale (x / v), standardize ((x − mean) / std) or none."""
    if pre is None or pre.kind == "none":
        return {"kind": "none", "describe": "none (x used as given)"}
    if pre.kind == "scale":
        return {"kind": "scale", "divisor": float(pre.divisor_), "describe": pre.describe()}
    return {"kind": "standardize", "mean": _floats(pre.mean_), "std": _floats(pre.std_),
            "describe": pre.describe()}


def _layer(layer) -> dict:
    """One layer as the page needs it: its formula, and for Dense its weights and activation."""
    if isinstance(layer, Dense):
        W, b = (np.asarray(layer.params[k]) for k in ("W", "b"))
        return {"type": "dense", "describe": layer.describe(), "formula": layer.formula,
                "nIn": int(W.shape[0]), "units": int(W.shape[1]), "W": _floats(W), "b": _floats(b),
                "activation": _activation(layer.activation)}
    kind = "dropout" if isinstance(layer, Dropout) else type(layer).__name__.lower()
    return {"type": kind, "describe": layer.describe(), "formula": layer.formula}


def _activation(activation) -> dict:
    """Name, formula, derivative and settings (leaky_relu's α) of an activation."""
    return {"name": activation.name, "formula": activation.formula,
            "derivative": activation.derivative,
            "alpha": float(getattr(activation, "negative_slope", 0.0))}


def _floats(array) -> str:
    """A NumPy array as base64 little-endian float32, row-major (what the page decodes)."""
    values = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
    return base64.b64encode(values.tobytes()).decode("ascii")


def _python(value):
    return value.item() if isinstance(value, np.generic) else value


def _asset(name: str) -> str:
    """A file shipped next to this module (the page's script, style and markup)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")

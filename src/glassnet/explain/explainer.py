"""explain: one prediction written as the article's equations, with its real numbers.

    trace = gn.explain(model, x)    # x is RAW, exactly as predict() takes it
    print(trace)                    # the readable math (text)
    trace.to_markdown()             # Markdown with LaTeX
    trace.to_html()                 # HTML with MathML (no network access needed)
    trace.to_json()                 # the plain data; Trace.from_json() reads it back

A ``Trace`` is plain data (dataclasses of lists, floats and strings). For every Dense layer it
holds the input vector, the shapes of W and b, z = Wᵀx + b computed with the stored weights,
the activation's name and formula, and a = f(z). For a few units it writes the weighted sum
out term by term, largest |w_ij·x_i| first:

    z_j = w_jᵀx + b_j = w_1j·x_1 + … + (n more terms summing to s) + b_j

and the sum of the shown parts is z_j. "Which inputs mattered" is c = w_k ⊙ x for a network
with one Dense layer (then Σ_i c_i + b_k = z_k exactly) and gradient × input,
c_i = x_i · ∂z_k/∂x_i, for deeper ones; k is the class explained (the predicted one).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.errors import DataError
from glassnet.explain.render.math import number
from glassnet.explain.trace import Contributions, InputStep, LayerStep, Output, Term, Trace, UnitSum
from glassnet.nn.layers import Dense, Flatten
from glassnet.nn.model import network_text
from glassnet.train.evaluate import json_scalar
from glassnet.train.sequential import network_of

__all__ = ["Contributions", "InputStep", "LayerStep", "Output", "Term", "Trace", "UnitSum",
           "explain", "input_gradient"]

MAX_OUTPUT_UNITS = 20  # an output layer with more units shows its top units only
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


# ---- the computation --------------------------------------------------------------------------
def explain(model, x, *, label=None, target=None, top_terms: int = 4, top_units: int = 3,
            image_shape=None, source=None) -> Trace:
    """The forward pass of ``model`` on ONE raw sample ``x``, as a ``Trace``.

    Parameters
    ----------
    model : a fitted ``Sequential`` or ``LogisticRegression`` (anything with ``network_``).
    x : one raw sample: an image (h, w) / (h, w, c) or a vector (d,) / (1, d), as ``predict``
        takes it (the model's preprocessing is applied here).
    label : the true label, if known (the trace then says whether the prediction is right).
    target : the class whose inputs are explained (default: the predicted one).
    top_terms : how many terms w_ij·x_i of each weighted sum to write out.
    top_units : how many units of each hidden layer to write out (the most active).
    image_shape : the shape to draw x as; default: x's own shape, or the model's input shape.
    source : what x is — its file ("cats/001.png"), "rows.npy[3]" or a row index — so every
        rendering of the trace names the input it explains.
    """
    network = network_of(model)
    raw = np.asarray(x)
    if raw.ndim == 2 and raw.shape[0] == 1:  # one row, (1, d)
        raw = raw[0]
    if raw.size != network.n_features:
        raise DataError(f"explain: x has {raw.size:,} values (shape {raw.shape}) but the model "
                        f"expects one sample of {network.n_features:,} (input shape "
                        f"{tuple(network.input_shape)}). Pass ONE sample, e.g. X[0].")
    X = network.check_X(raw.reshape(1, -1), name="x")
    shape = _image_shape(network, raw, image_shape)
    layers, kept = _forward(network, X, top_terms, top_units)
    output = _output(network, layers[-1], label)
    target_index = _target_index(network, output, target)
    contributions = _contributions(network, X, kept, target_index, output, shape)
    pre = network.preprocessor
    step = InputStep(
        shape=list(raw.shape), image_shape=list(shape) if shape else None, n=int(raw.size),
        formula=Flatten.formula,
        preprocessing=pre.describe() if pre is not None else "none (x used as given)",
        x=_floats(X[0]), raw=_floats(raw.reshape(-1)),
        value_range=_value_range(pre),
    )
    notes = []
    if len(layers) == 1 and network.task == "binary":
        notes.append("This is logistic regression: the one-neuron network p = σ(wᵀx + b).")
    elif len(layers) == 1 and network.task == "multiclass":
        notes.append("This is multinomial logistic regression: one layer, p = softmax(Wᵀx + b).")
    return Trace(network=network_text(network), input=step, layers=layers, output=output,
                 contributions=contributions, notes=notes,
                 source=None if source is None else str(source))


def _image_shape(network, raw, image_shape):
    n = network.n_features
    for candidate in (image_shape, raw.shape if raw.ndim >= 2 else None, network.image_shape,
                      getattr(network.preprocessor, "image_shape", None)):
        if candidate is not None and len(candidate) >= 2 and math.prod(candidate) == n:
            return tuple(int(v) for v in candidate)
    return None


def _value_range(pre):
    if pre is None:
        return None
    value = getattr(pre, "value_range", None) or getattr(pre, "divisor_", None)
    return float(value) if value else None


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def _forward(network, X, top_terms, top_units):
    """Each Dense layer's step, plus (layer, input, output) for backpropagation."""
    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    steps, kept, a = [], [], X
    for layer in network.layers:
        if not isinstance(layer, Dense):
            a = layer.forward(a, training=False)  # Flatten / Dropout: a at prediction time
            continue
        position = len(steps) + 1
        z = layer.weighted_sum(a)
        out = layer.activation.forward(z.copy())
        labels = network.classes_ if layer is dense[-1] and network.task == "multiclass" else None
        steps.append(_layer_step(layer, position, len(dense), a[0], z[0], out[0], labels,
                                 top_terms, top_units))
        kept.append((layer, a, out))
        a = out
    return steps, kept


def _layer_step(layer, number, n_dense, x, z, a, labels, top_terms, top_units) -> LayerStep:
    kind = "output" if number == n_dense else "hidden"
    chosen, selection = _chosen_units(kind, z, a, top_units)
    W, b = layer.params["W"], layer.params["b"]
    units = [_unit_sum(W, b, x, j, z[j], a[j], top_terms,
                       json_scalar(labels[j]) if labels is not None else None) for j in chosen]
    symbol = "x" if number == 1 else f"a⁽{number - 1}⁾".translate(SUPERSCRIPTS)
    return LayerStep(
        number=number, kind=kind, describe=layer.describe(), formula=layer.formula,
        input_symbol=symbol, W_shape=list(W.shape), b_shape=list(b.shape), input=_floats(x),
        z=_floats(z), activation=layer.activation.name,
        activation_formula=layer.activation.formula,
        activation_derivative=layer.activation.derivative, a=_floats(a), units=units,
        selection=selection,
    )


def _chosen_units(kind, z, a, top_units):
    n = len(z)
    if n == 1:
        return [0], "its one unit"
    if kind == "output" and n <= MAX_OUTPUT_UNITS:
        return list(range(n)), f"all {n} units"
    k = min(n, top_units if kind == "hidden" else MAX_OUTPUT_UNITS // 2)
    if k >= n:
        return list(range(n)), f"all {n} units"
    order = np.argsort(-np.abs(np.asarray(a, dtype=np.float64)), kind="stable")[:k]
    return sorted(int(j) for j in order), f"the {k} most active of {n} units (largest |a_j|)"


def _unit_sum(W, b, x, j, z_j, a_j, top_terms, label) -> UnitSum:
    """z_j = Σ_i w_ij·x_i + b_j in float64, the largest |w_ij·x_i| written out."""
    w = W[:, j].astype(np.float64)
    products = w * np.asarray(x, dtype=np.float64)
    order = np.argsort(-np.abs(products), kind="stable")
    shown = [int(i) for i in order[:top_terms] if products[i] != 0.0]
    rest = order[len(shown):]
    return UnitSum(
        j=int(j), label=label,
        terms=[Term(i=i, w=float(w[i]), x=float(x[i]), wx=float(products[i])) for i in shown],
        n_rest=int(len(rest)), n_rest_zero=int(np.count_nonzero(products[rest] == 0.0)),
        rest=math.fsum(products[rest].tolist()), b=float(b[j]), z=float(z_j), a=float(a_j),
    )


def _output(network, last: LayerStep, label) -> Output:
    task, a = network.task, np.asarray(last.a)
    if task == "regression":
        return Output(task=task, classes=None, probabilities=None, predicted=_floats(a),
                      predicted_index=None, probability=None, rule="a = z (the values)",
                      true_label=json_scalar(label))
    classes = [json_scalar(c) for c in network.classes_]
    if task == "binary":
        p = np.array([1.0 - a[0], a[0]])
        rule = f"predict {classes[1]} when p > 0.5, i.e. z > 0 ⇔ p > 0.5"
    else:
        p = a
        rule = "predict the class with the largest probability (argmax_j p_j)"
    k = int(np.argmax(p))
    correct = None
    if label is not None:
        correct = bool(str(classes[k]) == str(json_scalar(label)))
    return Output(task=task, classes=classes, probabilities=_floats(p), predicted=classes[k],
                  predicted_index=k, probability=float(p[k]), rule=rule,
                  true_label=json_scalar(label), correct=correct)


def _target_index(network, output, target):
    if output.classes is None:
        return 0
    if target is None:
        return output.predicted_index
    names = [str(c) for c in output.classes]
    if str(target) not in names:
        raise DataError(f"explain: target {target!r} is not one of the model's classes {names}.")
    return names.index(str(target))


def _contributions(network, X, kept, k, output, shape) -> Contributions | None:
    """c = w_k ⊙ x (one Dense layer) or c = x ⊙ ∂z_k/∂x (gradient × input)."""
    if output.classes is None:
        return None
    unit = 0 if output.task == "binary" else k
    target = output.classes[1] if output.task == "binary" else output.classes[k]
    against = output.classes[0] if output.task == "binary" else None
    x = X[0].astype(np.float64)
    if len(kept) == 1:
        layer = kept[0][0]
        c = layer.params["W"][:, unit].astype(np.float64) * x
        b = float(layer.params["b"][unit])
        method, formula = "w ⊙ x", f"c_i = w_i{unit}·x_i"
        identity = f"Σ_i c_i + b_{unit} = z_{unit} = {number(math.fsum(c.tolist()) + b, 4)}"
    else:
        c = input_gradient(kept, unit) * x
        method, formula = "gradient × input", f"c_i = x_i·∂z_{unit}/∂x_i"
        last, inputs, _ = kept[-1]
        z = float(last.weighted_sum(inputs)[0, unit])
        identity = (f"Σ_i c_i = {number(math.fsum(c.tolist()), 4)} (first order: it need not "
                    f"add up to z_{unit} = {number(z, 4)})")
    return Contributions(method=method, formula=formula, target_index=int(k),
                         target_label=target, against_label=against, values=_floats(c),
                         image_shape=list(shape) if shape else None,
                         total=math.fsum(c.tolist()), identity=identity)


def input_gradient(kept, unit) -> np.ndarray:
    """∂z_unit/∂x of the output layer's logit, backpropagated in float64 (n_in,).

    ``kept`` holds (layer, its input, its output a) for every Dense layer of one forward pass.
    Uses the activations' own backward; no layer's ``grads`` or stored state is touched.
    """
    last = kept[-1][0]
    g = last.params["W"][:, unit].astype(np.float64)[None, :]  # ∂z_unit/∂a of the layer below
    for layer, _, a in reversed(kept[:-1]):
        g = layer.activation.backward(a.astype(np.float64), g)  # ∂z_unit/∂z of this layer
        g = g @ layer.params["W"].T.astype(np.float64)
    return g[0]

"""What every rendering of a ``Trace`` says in the same words: sentences, previews, grids."""

from __future__ import annotations

import numpy as np

from glassnet.explain.render.math import number

# a = f(z) for one unit, by activation name; softmax is not elementwise (see ``Output``)
UNIT_FUNCTION = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu",
                 "identity": ""}
MAX_GRID_SIDE = 40  # contribution maps larger than this are averaged over blocks


def shape_text(shape) -> str:
    return "×".join(str(v) for v in shape)


def preview(values, head: int = 5, tail: int = 3, digits: int = 3) -> str:
    """``[0.000, 0.312, …, 0.062]``: the first and last values of a vector."""
    values = list(values)
    if len(values) <= head + tail:
        return "[" + ", ".join(number(v, digits) for v in values) + "]"
    first = ", ".join(number(v, digits) for v in values[:head])
    last = ", ".join(number(v, digits) for v in values[-tail:])
    return f"[{first}, …, {last}]"


def count_note(values) -> str:
    """``784 values, 150 of them non-zero`` (the zeros are not worth listing)."""
    n = len(values)
    nonzero = sum(1 for v in values if v != 0)
    return f"{n:,} values" + (f", {nonzero:,} of them non-zero" if nonzero < n else "")


def input_sentence(trace) -> str:
    step = trace.input
    if step.image_shape:
        what = f"The {shape_text(step.image_shape)} image is unrolled into x, {step.n:,} numbers"
    else:
        what = f"The input is a vector x of {step.n:,} numbers"
    return f"{what}; preprocessing: {step.preprocessing}."


def verdict(trace) -> str:
    """``Prediction: 3 (p = 0.982); true label 3: correct.``"""
    out = trace.output
    if out.probabilities is None:
        return f"Prediction: {preview(out.predicted)}"
    text = f"Prediction: {out.predicted} (p = {out.probability:.3f})"
    if out.true_label is not None:
        text += f"; true label {out.true_label}: " + ("correct." if out.correct else "WRONG.")
    return text


def unit_caption(layer, unit) -> str:
    """``class 3`` for an output unit of a classifier, else ''."""
    return f"class {unit.label}" if unit.label is not None else ""


def activation_value(layer, unit) -> str | None:
    """``σ(2.345) = 0.913``, or None for softmax (a whole-vector function)."""
    name = UNIT_FUNCTION.get(layer.activation)
    if name is None:
        return None
    if name == "":
        return f"a_{unit.j} = z_{unit.j} = {number(unit.a, 4)}"
    return f"a_{unit.j} = {name}({number(unit.z)}) = {number(unit.a, 4)}"


def rest_caption(unit) -> str:
    """``60 more terms (20 of them 0)``."""
    text = f"{unit.n_rest} more term{'s' if unit.n_rest != 1 else ''}"
    if unit.n_rest_zero:
        text += f", {unit.n_rest_zero} of them 0"
    return text


def contribution_caption(trace) -> str:
    c = trace.contributions
    toward = f"toward {c.target_label}"
    if c.against_label is not None:
        toward += f" (negative: toward {c.against_label})"
    return f"Which inputs mattered {toward}: {c.method}, {c.formula}"


def contribution_grid(contributions, max_side: int = MAX_GRID_SIDE) -> np.ndarray | None:
    """c as a 2-D map (channels summed, large images averaged over blocks), or None."""
    if contributions is None or not contributions.image_shape:
        return None
    shape = contributions.image_shape
    c = np.asarray(contributions.values, dtype=np.float64).reshape(shape)
    if c.ndim == 3:
        c = c.sum(axis=2)
    return _block_mean(c, max_side)


def image_grid(step, max_side: int | None = None) -> np.ndarray | None:
    """The raw input as an image with values in [0, 1] (h, w) or (h, w, 3), or None."""
    if not step.image_shape:
        return None
    raw = np.asarray(step.raw, dtype=np.float64).reshape(step.image_shape)
    top = step.value_range
    if top is None:
        low, high = float(raw.min()), float(raw.max())
        raw, top = raw - low, (high - low) or 1.0
    image = np.clip(raw / top, 0.0, 1.0)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return _block_mean(image, max_side) if max_side else image


def _block_mean(a: np.ndarray, max_side: int) -> np.ndarray:
    factor = int(np.ceil(max(a.shape[:2]) / max_side))
    if factor <= 1:
        return a
    h, w = (a.shape[0] // factor) * factor, (a.shape[1] // factor) * factor
    a = a[:h, :w]
    return a.reshape(h // factor, factor, w // factor, factor, *a.shape[2:]).mean(axis=(1, 3))


# ---- the equations as math nodes (for MathML and LaTeX) ---------------------------------------
def input_nodes(layer) -> list:
    """x, or a⁽ˡ⁾ for the output of layer l."""
    from glassnet.explain.render.math import bold, mn, mo, sup

    if layer.number == 1:
        return [bold("x")]
    return [sup(bold("a"), [mo("("), mn(str(layer.number - 1)), mo(")")])]


def weighted_sum_nodes(layer, unit) -> list:
    """z_j = w_jᵀx + b_j = w·x + … + (the rest, under its caption) + b_j = z_j."""
    from glassnet.explain.render.math import bold, mi, mn, mo, signed, sub, subsup, under

    j = mn(str(unit.j))
    nodes = [sub(mi("z"), [j]), mo("="), subsup(bold("w"), [j], [mo("⊤")]), *input_nodes(layer),
             mo("+"), sub(mi("b"), [j]), mo("=")]
    parts = [[*signed(t.w), mo("·"), *signed(t.x)] for t in unit.terms]
    if unit.n_rest:
        parts.append([under(signed(unit.rest), rest_caption(unit))])
    parts.append(signed(unit.b))
    for k, part in enumerate(parts):
        nodes += ([mo("+")] if k else []) + part
    return nodes + [mo("="), mn(number(unit.z))]


def activation_nodes(layer, unit) -> list | None:
    """a_j = σ(z_j) = σ(3.710) = 0.976 (None for softmax)."""
    from glassnet.explain.render.math import mi, mn, mo, sub

    name = UNIT_FUNCTION.get(layer.activation)
    if name is None:
        return None
    j = mn(str(unit.j))
    if name == "":
        return [sub(mi("a"), [j]), mo("="), sub(mi("z"), [j]), mo("="), mn(number(unit.a, 4))]
    f = mi(name)
    return [sub(mi("a"), [j]), mo("="), f, mo("("), sub(mi("z"), [j]), mo(")"), mo("="),
            f, mo("("), mn(number(unit.z)), mo(")"), mo("="), mn(number(unit.a, 4))]


def identity_nodes(contributions) -> list:
    """Σ_i c_i (+ b_k) = value, parsed from the trace's own sentence."""
    from glassnet.explain.render.math import parse

    return parse(contributions.identity.split(" (")[0])

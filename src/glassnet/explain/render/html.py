"""A ``Trace`` as HTML: MathML equations and inline PNG pictures, nothing fetched.

``render_html(trace)`` is a fragment (``<div class="gn-trace">`` with its own scoped style) for
Jupyter (``Trace._repr_html_``) and for the report; ``full_page=True`` wraps it in a page.
The pictures (the input image and the contribution heat map) are PNG data URIs drawn with
Pillow; the equations are MathML, which browsers render natively.
"""

from __future__ import annotations

import base64
import io
import re
from html import escape

import numpy as np

from glassnet.explain.render.common import (
    activation_nodes,
    contribution_grid,
    count_note,
    identity_nodes,
    image_grid,
    input_sentence,
    preview,
    verdict,
    weighted_sum_nodes,
)
from glassnet.explain.render.math import mathml, number, parse

NEGATIVE_RGB, POSITIVE_RGB = np.array([33, 102, 172]), np.array([178, 24, 43])
PICTURE_PX = 168  # the side of the input and heat-map pictures
HTML_GRID_SIDE = 64

TRACE_CSS = """
.gn-trace { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
  line-height: 1.5; color: #1f2328; }
.gn-trace h3 { font-size: 1.15em; margin: 0 0 .2em; }
.gn-trace h4 { font-size: 1em; margin: 1.1em 0 .3em; padding-bottom: .15em; border-bottom: 1px solid #e5e7eb; }
.gn-trace p { margin: .35em 0; }
.gn-trace .gn-verdict { font-weight: 600; }
.gn-trace .gn-ok { color: #1a7f37; } .gn-trace .gn-wrong { color: #cf222e; }
.gn-trace .gn-muted { color: #57606a; font-size: .92em; }
.gn-trace code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em;
  background: #f6f8fa; padding: .1em .35em; border-radius: 4px; overflow-wrap: anywhere; }
.gn-trace .gn-eq { display: flex; align-items: center; gap: 1em; overflow-x: auto; overflow-y: hidden;
  padding: .1em 0; }
.gn-trace .gn-tag { flex: none; min-width: 4.5em; font-size: .85em; color: #57606a; }
.gn-trace .gn-eq math { display: block; text-align: left; font-size: 1.08em; margin: .25em 0; }
.gn-trace math .gn-under { font-size: .72em; color: #57606a; }
.gn-trace math .gn-brace { border: 1.5px solid #57606a; border-top: 0; padding: 0 .2em .2em;
  border-radius: 0 0 .7em .7em; }
.gn-trace .gn-maps { display: flex; flex-wrap: wrap; gap: 1.4em; align-items: flex-start; margin: .5em 0; }
.gn-trace figure { margin: 0; text-align: center; }
.gn-trace figcaption { font-size: .85em; color: #57606a; margin-top: .25em; }
.gn-trace img.gn-pixels { image-rendering: pixelated; border: 1px solid #d0d7de; display: block; }
.gn-trace .gn-legend { width: 168px; height: 10px; border: 1px solid #d0d7de; margin-top: .4em;
  background: linear-gradient(to right, rgb(33,102,172), #fff, rgb(178,24,43)); }
.gn-trace .gn-legend-text { display: flex; justify-content: space-between; width: 170px;
  font-size: .78em; color: #57606a; }
.gn-trace table.gn-probs { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: .4em 0; }
.gn-trace table.gn-probs th, .gn-trace table.gn-probs td { padding: .12em .7em; text-align: right;
  border-bottom: 1px solid #eaeef2; }
.gn-trace table.gn-probs th { font-weight: 600; border-bottom: 1px solid #d0d7de; }
.gn-trace table.gn-probs tr.gn-best td { font-weight: 700; color: #1a7f37; }
.gn-trace td.gn-barcell { width: 220px; text-align: left; }
.gn-trace .gn-bar { height: .8em; background: #8c959f; border-radius: 2px; min-width: 1px; }
.gn-trace tr.gn-best .gn-bar { background: #2da44e; }
.gn-trace .gn-source code { overflow-wrap: anywhere; }
"""


MATH_MARKS = re.compile(r"[_|^]")


def prose(text: str) -> str:
    """Plain words with their math typeset: a closing "(largest |a_j|)" or "(argmax_j p_j)"
    becomes words + MathML, so no formula stays plain text beside typeset ones."""
    head, paren, inner = text.rpartition(" (")
    if not paren or not inner.endswith(")") or not MATH_MARKS.search(inner):
        return escape(text)
    tokens = inner[:-1].split(" ")
    first = next(i for i, token in enumerate(tokens) if MATH_MARKS.search(token))
    words = " ".join(tokens[:first])
    lead = escape(words) + " " if words else ""
    return f"{escape(head)} ({lead}{_math(' '.join(tokens[first:]))})"


def _source(trace) -> str:
    if trace.source is None:
        return ""
    return f'<p class="gn-source">Input: <code>{escape(trace.source)}</code></p>'


def render_html(trace, full_page: bool = False, include_style: bool = True) -> str:
    parts = [f"<style>{TRACE_CSS}</style>" if include_style else "", '<div class="gn-trace">',
             f"<h3>One prediction, step by step <span class=\"gn-muted\">network {escape(trace.network)}</span></h3>",
             _source(trace),
             _verdict(trace)]
    parts += [f'<p class="gn-muted"><em>{escape(note)}</em></p>' for note in trace.notes]
    parts += _input(trace)
    for layer in trace.layers:
        parts += _layer(layer)
    parts += _output(trace)
    parts += _contributions(trace)
    parts.append("</div>")
    body = "\n".join(p for p in parts if p)
    if not full_page:
        return body
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>glassnet: one prediction explained</title>"
            "<style>body { margin: 2em auto; max-width: 980px; padding: 0 1.2em; }</style>"
            f"</head><body>\n{body}\n</body></html>\n")


def _math(text: str, display: bool = False) -> str:
    return mathml(parse(text), display=display, alt=text)


def _verdict(trace) -> str:
    correct = trace.output.correct
    css = "gn-ok" if correct else ("gn-wrong" if correct is False else "")
    return f'<p class="gn-verdict {css}">{escape(verdict(trace))}</p>'


def _input(trace) -> list[str]:
    step = trace.input
    parts = [f"<h4>Input layer: {_math(step.formula)}</h4>"]
    image = image_grid(step, HTML_GRID_SIDE)
    text = (f"<div><p>{escape(input_sentence(trace))}</p>"
            f"<p><code>x = {escape(preview(step.x))}</code> ({count_note(step.x)})</p></div>")
    if image is None:
        return parts + [text]
    picture = _figure(_gray_or_rgb(image), "the input image")
    return parts + [f'<div class="gn-maps">{picture}{text}</div>']


def _layer(layer) -> list[str]:
    rows, cols = layer.W_shape
    where = "" if layer.number == 1 else (f", here x = {escape(layer.input_symbol)}, the output of "
                                          f"layer {layer.number - 1}")
    parts = [f"<h4>Layer {layer.number} ({layer.kind}): {escape(layer.describe)}</h4>",
             f"<p>{_math(layer.formula)} with W of shape {rows}×{cols} and b of {layer.b_shape[0]}"
             f"{where}. Each unit j computes {_math('z_j = w_jᵀx + b_j')}; "
             f"written out for {prose(layer.selection)}, largest terms {_math('w_ij·x_i')} first:</p>"]
    for unit in layer.units:
        tag = f'<span class="gn-tag">class {escape(str(unit.label))}</span>' if unit.label is not None else ""
        parts.append(f'<div class="gn-eq">{tag}{mathml(weighted_sum_nodes(layer, unit), display=True)}</div>')
        activation = activation_nodes(layer, unit)
        if activation:
            parts.append(f'<div class="gn-eq">{mathml(activation, display=True)}</div>')
    parts.append(f"<p>Activation: {_math(layer.activation_formula)}"
                 f' <span class="gn-muted">(derivative {_math(layer.activation_derivative)})</span></p>')
    if layer.kind == "hidden":
        parts.append(f"<p><code>z = {escape(preview(layer.z))}</code><br>"
                     f"<code>a = {escape(preview(layer.a))}</code> ({len(layer.a)} units)</p>")
    return parts


def _output(trace) -> list[str]:
    out = trace.output
    if out.probabilities is None:
        return ["<h4>Output</h4>", f"<p>{prose(out.rule)}: <code>{escape(preview(out.predicted))}</code></p>"]
    logits = trace.layers[-1].z
    rows = ["<tr><th>class</th><th>z</th><th>p</th><th></th></tr>"]
    for k, (name, p) in enumerate(zip(out.classes, out.probabilities)):
        z = number(logits[0 if out.task == "binary" else k]) if out.task != "binary" or k == 1 else ""
        best = ' class="gn-best"' if k == out.predicted_index else ""
        rows.append(f"<tr{best}><td>{escape(str(name))}</td><td>{z}</td><td>{p:.4f}</td>"
                    f'<td class="gn-barcell"><div class="gn-bar" style="width:{100 * p:.1f}%"></div></td></tr>')
    return ["<h4>Output: the probabilities</h4>",
            f'<table class="gn-probs">{"".join(rows)}</table>',
            f"<p><strong>Decision:</strong> {prose(out.rule)} → <strong>{escape(str(out.predicted))}"
            f"</strong> (p = {out.probability:.3f})</p>"]


def _contributions(trace) -> list[str]:
    c = trace.contributions
    if c is None:
        return []
    against = f" (negative: toward {c.against_label})" if c.against_label is not None else ""
    parts = [f"<h4>Which inputs mattered toward {escape(str(c.target_label))}{escape(against)}: "
             f"{escape(c.method)}, {_math(c.formula)}</h4>"]
    grid = contribution_grid(c, HTML_GRID_SIDE)
    if grid is None:
        values = np.asarray(c.values)
        top = np.argsort(-np.abs(values), kind="stable")[:10]
        cells = ", ".join(f"c<sub>{i}</sub> = {number(values[i])}" for i in top)
        parts.append(f"<p>Largest |c<sub>i</sub>|: {cells}</p>")
    else:
        scale = float(np.abs(grid).max()) or 1.0
        image = image_grid(trace.input, HTML_GRID_SIDE)
        legend = ('<div class="gn-legend"></div><div class="gn-legend-text">'
                  f"<span>{number(-scale)}</span><span>0</span><span>{number(scale)}</span></div>")
        heat = _figure(diverging(grid), f"c: red pushes toward {c.target_label}, blue against", legend)
        parts.append(f'<div class="gn-maps">{_figure(_gray_or_rgb(image), "the input")}{heat}</div>')
    remark = c.identity.partition(" (")[2].rstrip(")")
    remark = f'<span class="gn-muted">{escape(remark)}</span>' if remark else ""
    parts.append(f'<div class="gn-eq">{mathml(identity_nodes(c), display=True, alt=c.identity)}{remark}</div>')
    return parts


# ---- pictures ----------------------------------------------------------------------------------
def _figure(rgb: np.ndarray, caption: str, extra: str = "") -> str:
    uri, width, height = png_data_uri(rgb, PICTURE_PX)
    return (f'<figure><img class="gn-pixels" src="{uri}" width="{width}" height="{height}" '
            f'alt="{escape(caption)}">{extra}<figcaption>{escape(caption)}</figcaption></figure>')


def _gray_or_rgb(image: np.ndarray) -> np.ndarray:
    """[0, 1] values → uint8 RGB (h, w, 3)."""
    rgb = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
    return np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def diverging(grid: np.ndarray) -> np.ndarray:
    """Signed values → RGB: blue (negative) … white (0) … red (positive), scaled by max |v|."""
    scale = float(np.abs(grid).max()) or 1.0
    t = np.clip(grid / scale, -1.0, 1.0)[:, :, None]
    white = np.array([255.0, 255.0, 255.0])
    rgb = np.where(t > 0, white + t * (POSITIVE_RGB - white), white - t * (NEGATIVE_RGB - white))
    return np.rint(rgb).astype(np.uint8)


def png_data_uri(rgb: np.ndarray, side: int = PICTURE_PX) -> tuple[str, int, int]:
    """An RGB uint8 image, enlarged by a whole factor (sharp pixels), as a PNG data URI."""
    from PIL import Image

    h, w = rgb.shape[:2]
    factor = max(1, side // max(h, w))
    image = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    image = image.resize((w * factor, h * factor), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return uri, w * factor, h * factor

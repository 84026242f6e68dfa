"""A ``Trace`` as Markdown with LaTeX math (``$…$`` inline, ``$$…$$`` display).

Renders in Jupyter, GitHub, VS Code and any Markdown viewer with KaTeX or MathJax.
"""

from __future__ import annotations

import html
import re

from glassnet.explain.render.common import (
    activation_nodes,
    contribution_caption,
    contribution_grid,
    count_note,
    identity_nodes,
    input_sentence,
    preview,
    verdict,
    weighted_sum_nodes,
)
from glassnet.explain.render.math import latex, number, parse
from glassnet.explain.render.text import TEXT_GRID_SIDE, character_maps

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def render_markdown(trace) -> str:
    lines = ["## glassnet explains one prediction", ""]
    if trace.source is not None:
        lines += [f"Input: `{trace.source.replace('`', chr(39))}`", ""]
    lines += [f"Network {trace.network}. **{_text(verdict(trace))}**", ""]
    lines += [f"*{_text(note)}*\n" for note in trace.notes]
    lines += _input(trace)
    for layer in trace.layers:
        lines += _layer(layer)
    lines += _output(trace)
    lines += _contributions(trace)
    return "\n".join(lines).rstrip() + "\n"


def _text(value) -> str:
    """Names from users' files as Markdown text: HTML escaped (a class named ``<script>`` is
    shown, not run), Markdown's own characters and control characters escaped."""
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", html.escape(str(value), quote=False))
    return re.sub(r"([\\`*_\[\]|$#])", r"\\\1", text)


def _latex_text(value) -> str:
    """A name inside ``\\text{…}``: LaTeX's special characters spelled out."""
    special = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
               "#": r"\#", "_": r"\_", "%": r"\%", "^": r"\^{}", "~": r"\~{}",
               "<": r"\textless{}", ">": r"\textgreater{}"}
    text = CONTROL.sub("?", str(value))
    return "".join(special.get(c, c) for c in text)


def _math(text: str) -> str:
    return f"${latex(parse(text))}$"


def _input(trace) -> list[str]:
    step = trace.input
    return [f"### Input layer: {_math(step.formula)}", "", input_sentence(trace), "",
            f"$\\mathbf{{x}} = {_vector(step.x)}$ ({count_note(step.x)})", ""]


def _vector(values) -> str:
    return preview(values).replace("…", r"\ldots").replace("−", "-").replace("[", r"\left[").replace(
        "]", r"\right]")


def _layer(layer) -> list[str]:
    rows, cols = layer.W_shape
    lines = [f"### Layer {layer.number} ({layer.kind}): {layer.describe}", "",
             f"{_math(layer.formula)} with $W \\in \\mathbb{{R}}^{{{rows} \\times {cols}}}$, "
             f"$\\mathbf{{b}} \\in \\mathbb{{R}}^{{{layer.b_shape[0]}}}$"
             + ("" if layer.number == 1 else f", and $\\mathbf{{x}} = \\mathbf{{a}}^{{({layer.number - 1})}}$"
                                             f" the output of layer {layer.number - 1}")
             + f". Written out for {layer.selection}, largest terms $w_{{ij}} x_i$ first:", ""]
    for unit in layer.units:
        caption = f" \\quad \\text{{(class {_latex_text(unit.label)})}}" if unit.label is not None else ""
        lines += [f"$$ {latex(weighted_sum_nodes(layer, unit))}{caption} $$", ""]
        nodes = activation_nodes(layer, unit)
        if nodes:
            lines += [f"$$ {latex(nodes)} $$", ""]
    lines += [f"Activation: {_math(layer.activation_formula)}.", ""]
    if layer.kind == "hidden":
        lines += [f"$\\mathbf{{z}} = {_vector(layer.z)}$, $\\mathbf{{a}} = {_vector(layer.a)}$ "
                  f"({len(layer.a)} units)", ""]
    return lines


def _output(trace) -> list[str]:
    out = trace.output
    if out.probabilities is None:
        return ["### Output", "", f"{out.rule}: `{preview(out.predicted)}`", ""]
    logits = trace.layers[-1].z
    lines = ["### Output: the probabilities", "", "| class | z | p |", "| ---: | ---: | ---: |"]
    for k, (name, p) in enumerate(zip(out.classes, out.probabilities)):
        z = number(logits[0 if out.task == "binary" else k]) if out.task != "binary" or k == 1 else ""
        mark = "**" if k == out.predicted_index else ""
        lines.append(f"| {mark}{_text(name)}{mark} | {z} | {mark}{p:.4f}{mark} |")
    lines += ["", f"**Decision:** {out.rule} → **{_text(out.predicted)}** (p = {out.probability:.3f})", ""]
    return lines


def _contributions(trace) -> list[str]:
    c = trace.contributions
    if c is None:
        return []
    lines = [f"### {_text(contribution_caption(trace))}", ""]
    grid = contribution_grid(c, TEXT_GRID_SIDE)
    if grid is not None:
        lines += ["```text", character_maps(trace, grid).plain.rstrip(), "```", ""]
    lines += [f"$$ {latex(identity_nodes(c))} $$", ""]
    return lines

"""A ``Trace`` as text for the terminal (rich): ``str(trace)`` and ``glassnet explain``."""

from __future__ import annotations

import io

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from glassnet.explain.render.common import (
    activation_value,
    contribution_caption,
    contribution_grid,
    count_note,
    image_grid,
    input_sentence,
    preview,
    rest_caption,
    verdict,
)
from glassnet.explain.render.math import number

IMAGE_RAMP = " .:-=+*#%@"  # dark → bright
POSITIVE_RAMP = " .:+*#@"  # weak → strong push toward the explained class
NEGATIVE_RAMP = " ',~oO0"  # weak → strong push against it
TEXT_GRID_SIDE = 20  # at most, pixels per side of each character map (two characters per pixel)
INDENT = "  "


def render_text(trace, width: int = 100, color: bool = False) -> str:
    """The whole trace as a string (plain text unless ``color``)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False, force_terminal=color,
                      color_system="standard" if color else None, emoji=False)
    for item in renderables(trace, width):
        console.print(item)
    return buffer.getvalue()


def renderables(trace, width: int = 100) -> list:
    """Rich renderables, in order: print them to any Console (e.g. the terminal's)."""
    of = f" — {trace.source}" if trace.source is not None else ""
    items = [Text(f"glassnet explains one prediction{of} — network {trace.network}", style="bold"),
             Text(verdict(trace), style="bold green" if trace.output.correct is not False else "bold red")]
    items += [Text(note, style="italic") for note in trace.notes]
    items += _input(trace)
    for layer in trace.layers:
        items += _layer(layer, width)
    items += _output(trace)
    items += _contributions(trace)
    return items


def _heading(text) -> Text:
    return Text("\n" + text, style="bold cyan")


def _input(trace) -> list:
    step = trace.input
    return [_heading(f"Input layer: {step.formula}"), Text(INDENT + input_sentence(trace)),
            Text(f"{INDENT}x = {preview(step.x)}  ({count_note(step.x)})")]


def _layer(layer, width) -> list:
    items = [_heading(f"Layer {layer.number} ({layer.kind}): {layer.describe}    "
                      f"W {tuple(layer.W_shape)}, b {tuple(layer.b_shape)}")]
    x = layer.input_symbol
    where = "" if x == "x" else f", here x = {x} (the output of layer {layer.number - 1})"
    items.append(Text(f"{INDENT}{layer.formula}{where}; unit by unit z_j = w_jᵀ{x} + b_j,\n"
                      f"{INDENT}written out for {layer.selection}, largest terms w_ij·{x}_i first:"))
    for unit in layer.units:
        items.append(Text(weighted_sum_text(layer, unit, width)))
    items.append(Text(f"{INDENT}activation: {layer.activation_formula}"))
    if layer.kind == "hidden":
        items.append(Text(f"{INDENT}z = {preview(layer.z)}\n{INDENT}a = {preview(layer.a)}"
                          f"  ({len(layer.a)} units)"))
    return items


def weighted_sum_text(layer, unit, width: int = 100) -> str:
    """z_j = w_jᵀx + b_j = (largest terms) + (n more terms summing to s) + b_j = z_j."""
    j, x = unit.j, layer.input_symbol
    head = f"{INDENT}z_{j} = w_{j}ᵀ{x} + b_{j}"
    if unit.label is not None:
        head += f"    (class {unit.label})"
    pad = " " * (len(INDENT) + len(f"z_{j} "))
    parts = [f"{_paren(t.w)}·{_paren(t.x)}" for t in unit.terms]
    if unit.n_rest:
        parts.append(f"({rest_caption(unit)}, summing to {number(unit.rest)})")
    parts.append(_paren(unit.b))
    lines, line = [], parts[0]
    for part in parts[1:]:
        if len(pad) + 2 + len(line) + 3 + len(part) > width:
            lines.append(line)
            line = f"+ {part}"
        else:
            line += f" + {part}"
    lines.append(line)
    body = "\n".join(f"{pad}{'=' if n == 0 else ' '} {text}" for n, text in enumerate(lines))
    result = f"{pad}= {number(unit.z)}"
    value = activation_value(layer, unit)
    if value:
        result += f"    {value}"
    return f"{head}\n{body}\n{result}"


def _paren(value) -> str:
    text = number(value)
    return f"({text})" if text.startswith("−") else text


def _output(trace) -> list:
    out = trace.output
    if out.probabilities is None:
        return [_heading("Output"), Text(f"{INDENT}{out.rule}: {preview(out.predicted)}")]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in ("class", "z", "p", ""):
        table.add_column(column, justify="left" if column in ("class", "") else "right")
    logits = trace.layers[-1].z
    for k, (name, p) in enumerate(zip(out.classes, out.probabilities)):
        if out.task == "binary":
            z = number(logits[0]) if k == 1 else ""
        else:
            z = number(logits[k])
        style = "bold green" if k == out.predicted_index else ""
        table.add_row(Text(str(name), style=style), z, f"{p:.4f}",
                      Text("█" * int(round(p * 30)), style=style or "dim"))
    items = [_heading("Output: the probabilities"), table]
    items.append(Text(f"{INDENT}Decision: {out.rule} → {out.predicted} (p = {out.probability:.3f})",
                      style="bold"))
    return items


def _contributions(trace) -> list:
    c = trace.contributions
    if c is None:
        return []
    items = [_heading(contribution_caption(trace))]
    grid = contribution_grid(c, TEXT_GRID_SIDE)
    if grid is None:
        values = np.asarray(c.values)
        top = np.argsort(-np.abs(values), kind="stable")[:6]
        items.append(Text(INDENT + "largest |c_i|: " + ", ".join(
            f"c_{i} = {number(values[i])}" for i in top)))
    else:
        items.append(character_maps(trace, grid))
        items.append(Text(f"{INDENT}image: {IMAGE_RAMP!r} dark → bright;  c > 0 "
                          f"{POSITIVE_RAMP.strip()!r}, c < 0 {NEGATIVE_RAMP.strip()!r} (weak → strong)"))
    items.append(Text(f"{INDENT}{c.identity}"))
    return items


def character_maps(trace, grid) -> Text:
    """The input image and the contribution map, side by side, two characters per pixel."""
    image = image_grid(trace.input, TEXT_GRID_SIDE)
    if image.ndim == 3:
        image = image.mean(axis=2)
    if image.shape != grid.shape:  # block averages can differ by a row; show the map alone
        image = np.zeros_like(grid)
    scale = float(np.abs(grid).max()) or 1.0
    text = Text()
    for r in range(grid.shape[0]):
        text.append(INDENT + "|")
        for v in image[r]:
            text.append(IMAGE_RAMP[int(round(v * (len(IMAGE_RAMP) - 1)))] * 2)
        text.append("|   |")
        for v in grid[r]:
            level = int(round(abs(v) / scale * (len(POSITIVE_RAMP) - 1)))
            ramp, style = (POSITIVE_RAMP, "red") if v > 0 else (NEGATIVE_RAMP, "blue")
            text.append(ramp[level] * 2, style=style)
        text.append("|\n")
    width = 2 * grid.shape[1]
    text.append(f"{INDENT} {'input':^{width}}     {'contribution c':^{width}}")
    return text


__all__ = ["character_maps", "render_text", "renderables", "weighted_sum_text"]

"""The plain data of one explained prediction: ``Trace`` and its parts (see ``explain``).

Dataclasses of lists, floats, ints and strings only, so ``to_dict`` / ``to_json`` and
``from_dict`` / ``from_json`` round-trip exactly. The renderings live in ``render_text``,
``render_markdown`` and ``render_html``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any, get_args, get_type_hints

from glassnet.errors import ConfigError

FORMATS = ("text", "markdown", "html", "json")


@dataclass
class Term:
    """One term w_ij·x_i of a weighted sum (i: the position in the layer's input)."""

    i: int
    w: float
    x: float
    wx: float


@dataclass
class UnitSum:
    """z_j = Σ_i w_ij·x_i + b_j, with the largest terms shown and the rest summed."""

    j: int
    label: Any
    terms: list[Term]
    n_rest: int  # terms not shown …
    n_rest_zero: int  # … of which exactly 0 (e.g. black pixels)
    rest: float  # their sum
    b: float
    z: float  # as the model computed it
    a: float

    @property
    def shown_total(self) -> float:
        """Σ shown terms + the rest + b_j: equals z_j."""
        return math.fsum([t.wx for t in self.terms] + [self.rest, self.b])


@dataclass
class InputStep:
    """The input layer: the raw sample, unrolled and preprocessed into x."""

    shape: list[int]
    image_shape: list[int] | None
    n: int
    formula: str
    preprocessing: str
    x: list[float]
    raw: list[float]
    value_range: float | None


@dataclass
class LayerStep:
    """One Dense layer: z = Wᵀx + b, then a = f(z)."""

    number: int
    kind: str  # "hidden" or "output"
    describe: str
    formula: str
    input_symbol: str  # "x" for the first layer, "a⁽¹⁾" for the output of layer 1, …
    W_shape: list[int]
    b_shape: list[int]
    input: list[float]
    z: list[float]
    activation: str
    activation_formula: str
    activation_derivative: str
    a: list[float]
    units: list[UnitSum]
    selection: str


@dataclass
class Output:
    """The decision: probabilities (classifiers), the predicted label and the rule used."""

    task: str
    classes: list | None
    probabilities: list[float] | None
    predicted: Any
    predicted_index: int | None
    probability: float | None
    rule: str
    true_label: Any = None
    correct: bool | None = None


@dataclass
class Contributions:
    """Which inputs mattered: c_i for each input (pixel), toward the explained class."""

    method: str
    formula: str
    target_index: int
    target_label: Any
    against_label: Any
    values: list[float]
    image_shape: list[int] | None
    total: float
    identity: str


@dataclass
class Trace:
    """One prediction, layer by layer. ``str(trace)`` is the readable math."""

    network: str
    input: InputStep
    layers: list[LayerStep]
    output: Output
    contributions: Contributions | None
    notes: list[str] = field(default_factory=list)
    version: int = 1
    source: str | None = None  # the input explained: a file path, or file[row] / row i

    # ---- plain data --------------------------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Trace:
        return _build(cls, data)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Trace:
        return cls.from_dict(json.loads(text))

    # ---- renderings --------------------------------------------------------------------
    def to_text(self, width: int = 100, color: bool = False) -> str:
        from glassnet.explain.render.text import render_text

        return render_text(self, width=width, color=color)

    def to_markdown(self) -> str:
        from glassnet.explain.render.markdown import render_markdown

        return render_markdown(self)

    def to_html(self, full_page: bool = False) -> str:
        from glassnet.explain.render.html import render_html

        return render_html(self, full_page=full_page)

    def render(self, fmt: str = "text") -> str:
        """The trace as ``text``, ``markdown``, ``html`` (a whole page) or ``json``."""
        if fmt not in FORMATS:
            raise ConfigError(f"Unknown format {fmt!r}. Expected one of: {', '.join(FORMATS)}.")
        if fmt == "html":
            return self.to_html(full_page=True)
        return {"text": self.to_text, "markdown": self.to_markdown, "json": self.to_json}[fmt]()

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()


def _build(cls, data):
    """A dataclass (and its nested dataclasses) from ``asdict`` output."""
    hints = get_type_hints(cls)
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        values[f.name] = _value(hints[f.name], data[f.name])
    return cls(**values)


def _value(hint, value):
    if value is None:
        return None
    for arg in (hint, *get_args(hint)):
        if is_dataclass(arg):
            return _build(arg, value)
        inner = get_args(arg)
        if getattr(arg, "__origin__", None) is list and inner and is_dataclass(inner[0]):
            return [_build(inner[0], item) for item in value]
    return value

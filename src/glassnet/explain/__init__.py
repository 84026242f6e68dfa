"""Seeing the math: a prediction traced through the article's equations (``explain``), its
renderings (render/: text, Markdown+LaTeX, HTML+MathML), plots, the HTML report and the
notebook views (``notebook``: ``_repr_html_`` of models, History, Dataset, evaluations)."""

from glassnet.explain import notebook  # noqa: F401  gives models, History, Dataset a notebook view
from glassnet.explain.explainer import explain
from glassnet.explain.trace import Trace

__all__ = ["Trace", "explain"]

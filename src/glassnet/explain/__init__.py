"""Seeing the math: a prediction traced through the article's equations (``explain``), its
renderings (render/: text, Markdown+LaTeX, HTML+MathML), plots and the HTML report."""

from glassnet.explain.explainer import explain
from glassnet.explain.trace import Trace

__all__ = ["Trace", "explain"]

"""Renderers of a Trace: the math notation parser (math), shared pieces (common) and one
module per format (text, markdown, html)."""

"""The report's small truths: formulas typeset (not left as plain text), the underbrace drawn
as a brace, the weight tiles' key matching their colours, files named in the examples."""

from __future__ import annotations

import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain.plots import weight_images
from glassnet.explain.render.html import prose, render_html
from glassnet.explain.render.math import mathml, mo, mtext, row, under
from glassnet.explain.report import build_report
from see_models import deep_multiclass, preprocessed_model, raw_digits, split


def test_closing_formulas_in_prose_are_typeset():
    html = prose("the 3 most active of 24 units (largest |a_j|)")
    assert html.startswith("the 3 most active of 24 units (largest <math")
    assert "<msub><mi>a</mi>" in html and "|a_j|" not in html.split("<annotation")[0]
    rule = prose("predict the class with the largest probability (argmax_j p_j)")
    assert "<msub><mi>argmax</mi><mrow><mi>j</mi></mrow></msub>" in rule
    assert prose("all 10 units") == "all 10 units"
    assert prose("a < b (plain words)") == "a &lt; b (plain words)"


def test_a_trace_in_html_has_no_plain_argmax_or_abs():
    X, y, _, _ = split()
    trace = gn.explain(deep_multiclass(), X[0], label=y[0], source="digits/0.png")
    html = render_html(trace)
    visible = "".join(part.split("</annotation>")[-1] for part in html.split("<annotation"))
    assert "argmax_j" not in visible and "|a_j|" not in visible
    assert '<p class="gn-source">Input: <code>digits/0.png</code></p>' in html


def test_the_underbrace_is_a_bracket_drawn_under_its_base():
    html = mathml(row(under([mo("("), mtext("x"), mo(")")], "z")))
    assert '<munder><mrow class="gn-brace"><mrow><mo>(</mo><mtext>x</mtext>' in html
    assert html.index('class="gn-brace"') < html.index('class="gn-under"')


def test_weight_tile_key_matches_gray_and_colour_models():
    gray = weight_images(deep_multiclass())
    assert "(red > 0, blue < 0)" in gray._suptitle.get_text()
    model = gn.Sequential([gn.Flatten(input_shape=(4, 4, 3)), gn.Dense(3, "sigmoid"),
                           gn.Dense(2, "softmax")])
    model.fit(np.random.default_rng(0).random((20, 4, 4, 3)), np.arange(20) % 2, epochs=1,
              verbose=0, seed=0)
    title = weight_images(model)._suptitle.get_text()
    assert "red" not in title and "gray = 0, colour: channels > 0" in title


@pytest.mark.slow
def test_report_names_rows_and_types_the_margin(digits_report):
    _, test = raw_digits()
    html = digits_report.read_text(encoding="utf-8")  # build_report(preprocessed_model(), test)
    assert "For softmax the axis is the margin <math" in html
    assert re.search(r"<summary><code>builtin:digits\[\d+\]</code>: true ", html)
    plain = build_report(preprocessed_model(), (test.X, test.y), n_examples=1)
    assert "<summary><code>row " in plain

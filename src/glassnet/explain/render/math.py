"""Formulas as MathML (for HTML) and LaTeX (for Markdown), from one small tree of nodes.

The layers and activations carry their formulas as plain text (``Dense.formula`` is
``z = Wᵀx + b``, ``Sigmoid.formula`` is ``σ(z) = 1 / (1 + e^(−z))``). ``parse`` reads that
notation — ``^(…)`` or ``^c`` a superscript, ``_(…)`` or ``_jk`` a subscript, ``ᵀ`` a
transpose, ``²`` a square, words like ``softmax`` function names — so ``explain`` shows the
very strings the code documents, typeset. The equations with numbers are built from the
same nodes (``mi``, ``mn``, ``mo``, ``sub``, ``sup``, ``under``) and emitted by ``mathml``
and ``latex``. MathML needs no script, font or network access: browsers render it natively.
"""

from __future__ import annotations

import re
from html import escape

WORDS_AS_TEXT = frozenset({"if", "else", "otherwise", "for", "and", "with"})
LATEX_SYMBOLS = {
    "σ": r"\sigma", "δ": r"\delta", "α": r"\alpha", "λ": r"\lambda", "Σ": r"\sum", "∂": r"\partial",
    "−": "-", "·": r"\cdot", "⊙": r"\odot", "⇔": r"\Leftrightarrow", "≤": r"\le", "≥": r"\ge",
    "…": r"\ldots", "→": r"\to", "×": r"\times", "⊤": r"\top", "′": "'", "~": r"\sim",
    "‖": r"\|", "{": r"\{", "}": r"\}", "%": r"\%", "#": r"\#", "&": r"\&", "_": r"\_",
}
LATEX_FUNCTIONS = {"max", "min", "tanh", "log", "exp", "sin", "cos"}
TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<word>[A-Za-z]{2,}(?:_[A-Za-z]{2,})*)|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<letter>[A-Za-zα-ωΑ-ΡΣ-Ω])|(?P<other>.)"
)


# ---- nodes: (kind, payload) tuples ------------------------------------------------------------
def mi(text):
    return ("mi", str(text))


def mn(text):
    return ("mn", str(text))


def mo(text):
    return ("mo", str(text))


def mtext(text):
    return ("mtext", str(text))


def bold(text):
    return ("bold", str(text))


def sub(base, script):
    return ("sub", (_one(base), _row(script)))


def sup(base, script):
    return ("sup", (_one(base), _row(script)))


def subsup(base, low, high):
    return ("subsup", (_one(base), _row(low), _row(high)))


def under(base, label):
    """``base`` with a small text ``label`` underneath (e.g. "60 more terms")."""
    return ("under", (_row(base), str(label)))


def row(*nodes):
    return ("row", [n for item in nodes for n in (item if isinstance(item, list) else [item])])


def _one(node):
    return node if isinstance(node, tuple) else row(*node)


def _row(nodes):
    if isinstance(nodes, tuple):
        return nodes
    if isinstance(nodes, str):
        return mi(nodes) if len(nodes) == 1 and nodes.isalpha() else mn(nodes)
    return row(*nodes)


# ---- the plain-text notation → nodes ----------------------------------------------------------------
def parse(text: str) -> list:
    """``σ(z) = 1 / (1 + e^(−z))`` → a list of nodes."""
    nodes, i = [], 0
    while i < len(text):
        c = text[i]
        if c in "^_" and nodes:
            script, i = _script(text, i + 1)
            nodes[-1] = (sup if c == "^" else sub)(nodes[-1], script)
            continue
        if c in "ᵀ²'" and nodes:
            mark = {"ᵀ": mo("⊤"), "²": mn("2"), "'": mo("′")}[c]
            last = nodes[-1]
            nodes[-1] = subsup(*last[1], [mark]) if last[0] == "sub" else sup(last, [mark])
            i += 1
            continue
        match = TOKEN.match(text, i)
        i = match.end()
        kind, value = match.lastgroup, match.group()
        if kind == "space" and nodes and nodes[-1][0] == "mi" and len(nodes[-1][1]) > 1:
            nodes.append(("space", ""))  # "log p": a thin space after a function name
        elif kind == "word":
            nodes.append(mtext(f" {value} ") if value in WORDS_AS_TEXT else mi(value))
        elif kind == "number":
            nodes.append(mn(value))
        elif kind == "letter":
            nodes.append(mi(value))
        elif kind == "other":
            nodes.append(mo(value))
    return nodes


def _script(text, i):
    """The script after ^ or _: a parenthesized group (parentheses dropped) or a short run."""
    if i < len(text) and text[i] == "(":
        depth, j = 0, i
        while j < len(text):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        return parse(text[i + 1 : j]), j + 1
    match = re.compile(r"[A-Za-z0-9α-ω]+|.").match(text, i)
    if match is None:
        return [], i
    value = match.group()
    return [mn(value) if value.isdigit() else mi(value)], match.end()


# ---- emitters ------------------------------------------------------------------------------------------
def mathml(nodes, display: bool = False, alt: str | None = None) -> str:
    """A ``<math>`` element; ``alt`` (the plain text) is kept as an annotation."""
    body = "".join(_ml(n) for n in _list(nodes))
    mode = ' display="block"' if display else ""
    if alt is None:
        return f"<math{mode}><mrow>{body}</mrow></math>"
    return (f"<math{mode}><semantics><mrow>{body}</mrow>"
            f'<annotation encoding="text/plain">{escape(alt)}</annotation></semantics></math>')


def _list(nodes):
    return [nodes] if isinstance(nodes, tuple) else list(nodes)


def _ml(node) -> str:
    kind, payload = node
    if kind == "mtext":  # MathML trims the spaces of <mtext>: keep them as no-break spaces
        return f"<mtext>{escape(payload).replace(' ', chr(0xA0))}</mtext>"
    if kind in ("mi", "mn", "mo"):
        attrs = ' mathvariant="normal"' if kind == "mi" and len(payload) == 1 and payload in "ΣΔ" else ""
        return f"<{kind}{attrs}>{escape(payload)}</{kind}>"
    if kind == "bold":
        return f'<mi mathvariant="bold" style="font-weight:bold">{escape(payload)}</mi>'
    if kind == "space":
        return '<mspace width="0.2em"></mspace>'
    if kind == "row":
        return "<mrow>" + "".join(_ml(n) for n in payload) + "</mrow>"
    if kind == "under":
        base, label = payload
        # the brace is the base's own bottom border (CSS .gn-brace): a stretchy ⏟ needs a
        # math font the page cannot count on, and without one browsers draw a dot
        return (f'<munder><mrow class="gn-brace">{_ml(base)}</mrow>'
                f'<mtext class="gn-under">{escape(label)}</mtext></munder>')
    tag = {"sub": "msub", "sup": "msup", "subsup": "msubsup"}[kind]
    return f"<{tag}>" + "".join(_ml(n) for n in payload) + f"</{tag}>"


def latex(nodes) -> str:
    """The same nodes as LaTeX (for Markdown math: ``$…$`` / ``$$…$$``)."""
    return "".join(_tex(n) for n in _list(nodes)).strip()


def _tex(node) -> str:
    kind, payload = node
    if kind == "mi":
        if len(payload) > 1:
            return f"\\{payload} " if payload in LATEX_FUNCTIONS else f"\\operatorname{{{_tex_text(payload)}}}"
        return LATEX_SYMBOLS.get(payload, payload) + (" " if payload in LATEX_SYMBOLS else "")
    if kind == "space":
        return r"\,"
    if kind == "mn":
        return payload.replace("−", "-")
    if kind == "mo":
        symbol = LATEX_SYMBOLS.get(payload, payload)
        return f" {symbol} " if symbol.startswith("\\") or payload in "=+−<>⇔" else symbol
    if kind == "mtext":
        return f"\\text{{{_tex_text(payload)}}}"
    if kind == "bold":
        return f"\\mathbf{{{payload}}}"
    if kind == "row":
        return "".join(_tex(n) for n in payload)
    if kind == "under":
        base, label = payload
        return f"\\underbrace{{{_tex(base)}}}_{{\\text{{{_tex_text(label)}}}}}"
    parts = [_tex(n) for n in payload]
    if kind == "sub":
        return f"{{{parts[0]}}}_{{{parts[1]}}}"
    if kind == "sup":
        return f"{{{parts[0]}}}^{{{parts[1]}}}"
    return f"{{{parts[0]}}}_{{{parts[1]}}}^{{{parts[2]}}}"


def _tex_text(text: str) -> str:
    return "".join(LATEX_SYMBOLS.get(c, c) if c in "{}%#&_" else c for c in text)


# ---- numbers -------------------------------------------------------------------------------------------
def number(value: float, digits: int = 3) -> str:
    """``0.512``, ``−0.050``, ``1.2e−05``: fixed decimals when readable, with a true minus."""
    value = float(value)
    if value == 0:
        return "0"
    if 10 ** -digits <= abs(value) < 10**5:
        text = f"{value:.{digits}f}"
    elif 1e-5 <= abs(value) < 1:
        text = f"{value:.{digits}g}"
    else:
        text = f"{value:.{digits - 1}e}"
    return text.replace("-", "−")


def signed(value: float, digits: int = 3) -> list:
    """A number as nodes, in parentheses when negative (so ``+ (−0.2)`` reads right)."""
    text = number(value, digits)
    return [mo("("), mn(text), mo(")")] if text.startswith("−") else [mn(text)]

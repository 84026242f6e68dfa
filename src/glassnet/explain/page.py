"""The report's page: layout and style, all inline (no fonts, scripts or files fetched)."""

from __future__ import annotations

from html import escape

from glassnet.explain.gallery import GALLERY_CSS
from glassnet.explain.render.html import TRACE_CSS

REPORT_CSS = """
:root { --text: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--text); background: #fff; line-height: 1.55; font-size: 16px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 1.5rem 1.5rem 3rem; }
header.top { border-bottom: 1px solid var(--line); padding-bottom: 1rem; margin-bottom: .5rem; }
h1 { font-size: 1.9rem; margin: 0 0 .2rem; line-height: 1.2; }
h2 { font-size: 1.4rem; margin: 2.4rem 0 .8rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
.subtitle { color: var(--muted); margin: 0; }
nav.toc { display: flex; flex-wrap: wrap; gap: .3rem .6rem; margin: .8rem 0 0; font-size: .95rem; }
nav.toc a { color: var(--accent); text-decoration: none; padding: .1rem .55rem; border: 1px solid var(--line);
  border-radius: 999px; }
nav.toc a:hover { background: var(--soft); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: .8rem; margin: 1.2rem 0 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; background: var(--soft); }
.card .value { font-size: 1.45rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .3rem 1.2rem; margin: .5rem 0 1rem; }
dl.facts dt { color: var(--muted); font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; min-width: 0; overflow-x: auto; }
.table-wrap { overflow-x: auto; margin: .6rem 0 1rem; max-width: 100%; }
table { border-collapse: collapse; font-size: .95rem; }
th, td { padding: .35rem .8rem; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--line); font-weight: 600; white-space: nowrap; }
table.numbers td, table.numbers th { text-align: right; font-variant-numeric: tabular-nums; }
table.numbers td:first-child, table.numbers th:first-child { text-align: left; }
table.layers td:nth-child(2), table.layers td:nth-child(3) { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.layers td:nth-child(3) { text-align: right; }
figure.plot { margin: .8rem 0 1.2rem; }
figure.plot img { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .35rem; max-width: 62rem; }
.side-by-side { display: flex; flex-wrap: wrap; gap: 1.5rem 2.5rem; align-items: flex-start; }
.side-by-side > div { flex: 1 1 300px; min-width: 0; }
.side-by-side > div:first-child { flex: 0 1 auto; }
.note { color: var(--muted); }
details { border: 1px solid var(--line); border-radius: 8px; margin: .8rem 0; background: #fff; }
details > summary { cursor: pointer; padding: .6rem .9rem; font-weight: 600; background: var(--soft);
  border-radius: 8px; }
details[open] > summary { border-bottom: 1px solid var(--line); border-radius: 8px 8px 0 0; }
details > .gn-trace { padding: .4rem 1rem 1rem; }
math { font-size: 1.05em; }
footer { margin-top: 3rem; padding-top: .8rem; border-top: 1px solid var(--line);
         color: var(--muted); font-size: .85rem; }
@media (max-width: 640px) { main { padding: 1rem; } h1 { font-size: 1.5rem; } }
@media print { nav.toc { display: none; } details { break-inside: avoid; } }
"""


def page(title: str, cards: list[tuple[str, str]], sections: list[tuple[str, str, str]],
         footer: str) -> str:
    """A whole HTML document: title, summary cards, a table of contents and the sections."""
    toc = "".join(f'<a href="#{key}">{escape(heading)}</a>' for key, heading, _ in sections)
    card_html = "".join(f'<div class="card"><div class="label">{escape(label)}</div>'
                        f'<div class="value">{escape(value)}</div></div>' for label, value in cards)
    body = "\n".join(f'<section id="{key}"><h2>{escape(heading)}</h2>\n{content}\n</section>'
                     for key, heading, content in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{REPORT_CSS}{TRACE_CSS}{GALLERY_CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<header class="top"><h1>{escape(title)}</h1>'
        '<p class="subtitle">A glass-box neural network: its layers, its training, its results, '
        "and its predictions written out as equations.</p>"
        f'<nav class="toc">{toc}</nav><div class="cards">{card_html}</div></header>\n'
        f"{body}\n<footer>{footer}</footer>\n</main>\n</body>\n</html>\n"
    )

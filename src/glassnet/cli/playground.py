"""``glassnet playground``: an offline page where you draw a digit and watch the math compute it.

A standalone click command (``playground``); ``cli.main`` registers it.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from glassnet.files import io


@click.command("playground")
@click.argument("model", metavar="MODEL")
@click.option("--out", "-o", required=True, metavar="PAGE.html",
              help="The HTML file to write (one self-contained file, viewable offline).")
@click.option("--open", "open_page", is_flag=True, help="Open the page in the web browser afterwards.")
@click.option("--title", default=None, help="The page's title [default: glassnet playground: MODEL].")
def playground(model, out, open_page, title):
    """Write a page where you draw a digit and watch MODEL's equations compute it, live.

    \b
    Examples:
      glassnet playground digits.safetensors --out playground.html
      glassnet playground mnist.safetensors --out mnist.html --open

    The page is one file that works offline (file://): a drawing pad (mouse, touch or pen),
    the input layer unrolled into x, the network drawn like the article's Figure 1 with live
    values, every layer's z = Wᵀx + b written out with the real numbers, the activation, the
    probabilities, and any unit up close (click it). A 28×28 grayscale model gets the drawing
    prepared the way MNIST's digits were; other models get it resized to their input.
    """
    from glassnet.explain.playground import write_playground

    network = io.load(model)
    path = write_playground(network, out, title=title or f"glassnet playground: {Path(model).name}")
    click.echo(f"Playground written to {path}")
    if open_page:
        webbrowser.open(Path(path).resolve().as_uri())

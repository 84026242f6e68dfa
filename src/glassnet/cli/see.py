"""``glassnet explain`` and ``glassnet report``: seeing the math and the pictures.

Standalone click commands (``explain_command``, ``report_command``); ``cli`` registers them.
"""

from __future__ import annotations

from pathlib import Path

import click

from glassnet.cli.show import show_notices, stdout
from glassnet.cli.terminal import echo
from glassnet.errors import DataError
from glassnet.explain.trace import FORMATS
from glassnet.files import io

PICTURE_SUFFIXES = (".png", ".svg")


@click.command("explain")
@click.argument("model", metavar="MODEL")
@click.argument("image", metavar="IMAGE")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text (terminal), markdown (with LaTeX), html (a page with MathML) or json.")
@click.option("--out", "-o", default=None, metavar="FILE",
              help="Write to FILE instead of stdout; a .png or .svg FILE gets the picture.")
@click.option("--label", default=None, help="The true label, so the output says right or wrong.")
@click.option("--target", default=None, help="Explain the inputs for this class [default: the predicted one].")
@click.option("--row", type=click.IntRange(min=0), default=0, show_default=True,
              help="Which row of an array file (.npy/.npz/.csv) to explain.")
def explain_command(model, image, fmt, out, label, target, row):
    """Explain one prediction: the network's equations with this IMAGE's real numbers.

    \b
    Examples:
      glassnet explain digits.safetensors digit.png
      glassnet explain pets.safetensors cat.jpg --format html --out cat.html
      glassnet explain digits.safetensors rows.npy --row 3 --format markdown
      glassnet explain digits.safetensors digit.png --out digit-explained.png

    IMAGE is an image file (converted and resized as the model was trained) or an array file
    holding raw rows. For each layer it prints z = Wᵀx + b written out with the largest terms,
    the activation with its value, the probabilities, and which pixels mattered.
    """
    from glassnet.explain.explainer import explain
    from glassnet.train.evaluate import align_labels, read_inputs

    network = io.load(model)
    names, X = read_inputs([image], network)
    if row >= len(X):
        raise DataError(f"--row {row}: {image} holds {len(X)} row{'s' if len(X) != 1 else ''} "
                        f"(rows 0..{len(X) - 1}).")
    if label is not None:
        label = align_labels([label], network.classes_, origin="--label")[0]
    trace = explain(network, X[row], label=label, target=target, source=names[row])
    if out is None:
        _print(trace, fmt)
        return
    path = Path(out)
    if path.suffix.lower() in PICTURE_SUFFIXES:
        from glassnet.explain import plots

        plots.save(plots.explanation(trace), path)
    else:
        text = trace.to_text() if fmt == "text" else trace.render(fmt)
        io.atomic_write_bytes(path, text.encode("utf-8"))
    echo(f"Explanation of {names[row]} written to {path}")


def _print(trace, fmt):
    if fmt != "text":
        echo(trace.render(fmt), nl=False)
        return
    from glassnet.explain.render.text import renderables

    console = stdout()
    for item in renderables(trace, width=min(console.width, 110)):
        console.print(item)


@click.command("report")
@click.argument("model", metavar="MODEL")
@click.argument("data")
@click.option("--out", "-o", required=True, metavar="FILE",
              help="The HTML file to write (one self-contained file).")
@click.option("--examples", type=click.IntRange(min=0, max=20), default=3, show_default=True,
              help="How many predictions to explain in the report.")
@click.option("--title", default=None, help="The report's title [default: glassnet report: MODEL].")
def report_command(model, data, out, examples, title):
    """Write an HTML report of MODEL evaluated on DATA: one file, viewable offline.

    \b
    Examples:
      glassnet report digits.safetensors builtin:digits --out report.html
      glassnet report pets.safetensors photos-test/ --out pets-report.html --examples 5

    The report holds the model's layers and formulas, its training history and learning
    curves, accuracy / per-class metrics / confusion matrix on DATA, the first layer's weights
    drawn as images, the activations and the range the network uses, the misclassified
    examples, and a few predictions explained with their real numbers. Images are converted
    and resized as the model was trained.
    """
    from glassnet.explain.report import write_report
    from glassnet.train.evaluate import load_for_model

    network = io.load(model)
    dataset = load_for_model(data, network)
    show_notices(dataset.notices)
    path = write_report(network, dataset, out, title=title, n_examples=examples,
                        data_name=f"{data} ({dataset.describe()})", model_name=Path(model).name)
    echo(f"Report written to {path}")

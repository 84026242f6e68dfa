"""``glassnet evaluate``, ``predict`` and ``info``: using a saved model."""

from __future__ import annotations

import click
from rich import box
from rich.table import Table
from rich.text import Text

from glassnet.cli.show import info_table, note, print_json, show_evaluation, show_notices, stdout
from glassnet.files import io
from glassnet.files.modelfile import diagnosis_of


@click.command("evaluate")
@click.argument("model", metavar="MODEL")
@click.argument("data")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--mistakes", "mistakes_csv", default=None, metavar="FILE.csv",
              help="Write every misclassified input (source, true, predicted, probability) to FILE.csv.")
def evaluate(model, data, as_json, mistakes_csv):
    """Accuracy, per-class precision/recall/F1, confusion matrix and log-loss of MODEL on DATA.

    \b
    Examples:
      glassnet evaluate digits.safetensors builtin:digits
      glassnet evaluate pets.safetensors photos-test/ --json
      glassnet evaluate pets.safetensors photos-test/ --mistakes mistakes.csv

    Images are resized and converted as the model was trained. Every mistake names its
    input (the file under DATA, or file[row] for arrays), most confident first: a confident
    mistake is often a wrong label.
    """
    from glassnet.train.evaluate import evaluate as evaluate_model
    from glassnet.train.evaluate import load_for_model

    network = io.load(model)
    dataset = load_for_model(data, network)
    show_notices(dataset.notices)
    report = evaluate_model(network, dataset.X, dataset.y, sources=dataset.sources)
    if mistakes_csv is not None:
        path = io.save_mistakes(report["mistakes"], mistakes_csv)
        note(f"{len(report['mistakes']):,} mistakes written to {path}")
    if as_json:
        print_json({"model": str(model), "data": data, **report})
    else:
        show_evaluation(stdout(), report, data)


@click.command("predict")
@click.argument("model", metavar="MODEL")
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def predict(model, inputs, as_json):
    """The predicted label and its probability for each INPUT.

    \b
    Examples:
      glassnet predict pets.safetensors cat.jpg dog.png
      glassnet predict pets.safetensors new-photos/ --json
      glassnet predict digits.safetensors rows.npy

    INPUT is an image, a folder of images, or a .npy/.npz/.csv file of rows. Images are
    converted to the model's channels (colour → gray) and resized to its trained size.
    """
    from glassnet.train.evaluate import predictions, read_inputs

    network = io.load(model)
    notices = []
    names, X = read_inputs(inputs, network, notices)
    show_notices(notices)
    results = predictions(network, names, X)
    if as_json:
        print_json(results)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in (("input", "left"), ("label", "right"), ("probability", "right")):
        table.add_column(column, justify=justify)
    for row in results:
        table.add_row(Text(row["input"]), Text(str(row["label"])), f"{row['probability']:.4f}")
    stdout().print(table)


@click.command("info")
@click.argument("model", metavar="MODEL")
@click.option("--json", "as_json", is_flag=True, help="Print the file's metadata as JSON.")
def info(model, as_json):
    """Architecture, parameter counts, input, classes and training record of MODEL.

    \b
    Examples:
      glassnet info digits.safetensors
      glassnet info digits.ckpt.safetensors --json
    """
    network = io.load(model)
    if as_json:
        document = io.read_metadata(model)
        print_json({**document, "parameters": network.n_params(),
                    "diagnosis": diagnosis_of(document.get("training"))})
        return
    console = stdout()
    console.print(Text(network.summary()))
    console.print(info_table(network))

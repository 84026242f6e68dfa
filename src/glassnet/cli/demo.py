"""``glassnet demo``: the whole product in one command, on the bundled 8×8 digits.

The embedded default job — every number is fixed so the run repeats exactly:

    data      builtin:digits (1,797 images 8×8, values 0..16), scaled x / 16
    split     80 % train / 20 % test, stratified, seed 0
    network   64 inputs → Dense(64, sigmoid) → Dense(10, softmax)
    training  SGD, learning rate 1.0, batch 32, 30 epochs, seed 0

It prints the test accuracy, the confusion matrix, and one test prediction explained with
its real numbers (``gn.explain``), and writes DIR/model.safetensors and the self-contained
DIR/report.html and DIR/playground.html. ``run_demo`` is the Python API.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.text import Text

from glassnet.cli.show import confusion_table, stdout
from glassnet.errors import ConfigError
from glassnet.files import io
from glassnet.nn.layers import Dense

DATA, TEST_SIZE, SEED = "builtin:digits", 0.2, 0
HIDDEN, ACTIVATION, LEARNING_RATE, BATCH_SIZE, EPOCHS = (64,), "sigmoid", 1.0, 32, 30


def run_demo(out_dir="glassnet-demo", *, console=None, verbose=1) -> dict:
    """Train, evaluate, explain one prediction, save. Returns what was printed, as numbers."""
    from glassnet.data import Preprocessor, load
    from glassnet.explain.explainer import explain
    from glassnet.explain.playground import write_playground
    from glassnet.explain.render.text import renderables
    from glassnet.explain.report import write_report
    from glassnet.train.evaluate import evaluate
    from glassnet.train.optimizers import SGD
    from glassnet.train.sequential import build_classifier

    console = console or stdout()
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} is a file; the demo needs a folder to write into.")
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = load(DATA)
    train, test = dataset.split(TEST_SIZE, seed=SEED)
    model = build_classifier(dataset.image_shape, len(dataset.classes), hidden=HIDDEN, activation=ACTIVATION)
    model.preprocessor = Preprocessor.for_dataset(train, "scale").fit(train.X)
    console.print(Text(f"glassnet demo: {dataset.describe()}"))
    units = " → ".join(f"{layer.units} {layer.activation.name}" for layer in model.layers
                       if isinstance(layer, Dense))
    console.print(Text(f"network: {dataset.n_features} inputs → {units}; SGD lr {LEARNING_RATE}, "
                       f"batch {BATCH_SIZE}, {EPOCHS} epochs, seed {SEED}"))
    started = time.perf_counter()
    history = model.fit(train.X, train.y, epochs=EPOCHS, batch_size=BATCH_SIZE,
                        optimizer=SGD(LEARNING_RATE), seed=SEED, verbose=verbose)
    seconds = time.perf_counter() - started
    report = evaluate(model, test.X, test.y)
    model.meta["training"] = {
        "data": DATA, "n_train": len(train), "n_validation": 0, "epochs_run": history.epochs,
        "seed": SEED, "seconds": round(seconds, 3), "resumed": False,
        "settings": {"hidden": list(HIDDEN), "activation": ACTIVATION, "optimizer": "sgd",
                     "lr": LEARNING_RATE, "batch_size": BATCH_SIZE, "epochs": EPOCHS, "seed": SEED},
        "final": {"loss": history.loss[-1], "accuracy": history.accuracy[-1],
                  "test_accuracy": report["accuracy"], "test_log_loss": report["log_loss"]},
    }
    correct = round(report["accuracy"] * report["n_samples"])
    console.print()
    console.print(f"[bold]Test accuracy: {report['accuracy']:.4f}[/] ({correct} of "
                  f"{report['n_samples']} test images)   log-loss {report['log_loss']:.4f}")
    console.print(confusion_table(report))
    explained = explain(model, test.X[0], label=test.y[0], source=test.sources[0])
    console.print()
    for item in renderables(explained):
        console.print(item)
    path = io.save(model, out_dir / "model.safetensors")
    report_path = write_report(model, test, out_dir / "report.html", title="glassnet demo",
                               data_name=DATA, model_name=path.name)
    console.print(Text(f"Model written to {path}" + (f"; report: {report_path}" if report_path else "")))
    playground_path = write_playground(model, out_dir / "playground.html", title="glassnet demo playground")
    console.print(Text(f"Playground (draw a digit, watch the equations compute it): {playground_path}"))
    console.print(Text(f"Next: glassnet info {path}   ·   glassnet evaluate {path} {DATA}"))
    return {"accuracy": report["accuracy"], "model": path, "explained": explained, "report": report,
            "playground": playground_path}


@click.command("demo")
@click.option("--out", "out_dir", default="glassnet-demo", show_default=True, metavar="DIR",
              help="Folder for the model (created if needed).")
def demo(out_dir):
    """Train on the bundled digits, show the accuracy and explain one prediction.

    \b
    Examples:
      glassnet demo
      glassnet demo --out /tmp/my-demo

    Trains 64 → 64 sigmoid → 10 softmax with SGD on scikit-learn's 8×8 digits (seconds),
    prints the test accuracy and confusion matrix, explains one test prediction with its
    real numbers, and writes DIR/model.safetensors, DIR/report.html and DIR/playground.html
    (draw a digit and watch the equations compute it).
    """
    run_demo(out_dir)

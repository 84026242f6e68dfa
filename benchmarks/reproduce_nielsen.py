"""Reproduce the textbook's MNIST rows (Nielsen, "Neural Networks and Deep Learning", ch. 1–3).

    python benchmarks/reproduce_nielsen.py [--epochs 30] [--no-write]

Data: the real MNIST training set in ../shared/data/mnist (IDX, gzipped), split as Nielsen does:
the first 50,000 images train, the last 10,000 validate. Pixels / 255. Every network is
sigmoid + cross-entropy, plain SGD, η = 0.5, mini-batch 10, 30 epochs, seed 0, glassnet's
default glorot_uniform initialization (Nielsen's ch. 3 runs use N(0, 1/n_in) or N(0, 1)).
Nielsen reports his first two rows on the 10,000-image test set and the L2 row on validation;
here all rows are on the validation images (the test set is deliberately not in this repo).
The baseline row is the article's one-neuron case: multinomial logistic regression (L-BFGS).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glassnet as gn  # noqa: E402
from _report import EpochTimer, machine, write_section  # noqa: E402

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
ROWS = [  # (name, hidden units, λ, what Nielsen reports)
    ("[784, 30, 10]", 30, 0.0, "95.49 % (test)"),
    ("[784, 100, 10]", 100, 0.0, "96.82 % (test)"),
    ("[784, 100, 10], L2 λ = 5.0", 100, 5.0, "97.92 % (validation)"),
]


def load_mnist():
    with gzip.open(MNIST / "train-images-idx3-ubyte.gz") as f:
        X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(MNIST / "train-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    X = X.astype(np.float32) / 255.0
    return X[:50_000], y[:50_000], X[50_000:], y[50_000:]


def network_row(hidden, l2, data, epochs):
    Xtr, ytr, Xva, yva = data
    model = gn.Sequential([gn.Flatten(input_shape=(784,)), gn.Dense(hidden, "sigmoid"), gn.Dense(10, "softmax")])
    timer = EpochTimer(echo=lambda epoch, logs, seconds: print(
        f"  epoch {epoch + 1}: val acc {logs['val_accuracy']:.4f} ({seconds:.2f}s)", file=sys.stderr))
    history = model.fit(Xtr, ytr, epochs=epochs, batch_size=10, optimizer=gn.SGD(lr=0.5), l2=l2,
                        validation_data=(Xva, yva), seed=0, verbose=0, callbacks=[timer])
    best = max(history.val_accuracy)
    return history.val_accuracy[-1], best, float(np.median(timer.seconds))


def logistic_row(data):
    Xtr, ytr, Xva, yva = data
    start = time.perf_counter()
    model = gn.LogisticRegression(C=1.0, max_iter=500, tol=1e-5).fit(Xtr, ytr)
    return model.score(Xva, yva), time.perf_counter() - start, model.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    data = load_mnist()
    lines = [
        "## Reproducing Nielsen's MNIST rows",
        "",
        f"`python benchmarks/reproduce_nielsen.py --epochs {args.epochs}` — {machine()}, 2 BLAS threads. "
        "Train on the first 50,000 MNIST training images, report accuracy on the last 10,000. "
        f"Sigmoid + cross-entropy, SGD η = 0.5, mini-batch 10, {args.epochs} epochs, seed 0.",
        "",
        "| network | Nielsen | glassnet, last epoch | glassnet, best epoch | median epoch time |",
        "| --- | --- | --- | --- | --- |",
    ]
    with threadpool_limits(limits=2, user_api="blas"):
        for name, hidden, l2, theirs in ROWS:
            print(name, file=sys.stderr)
            last, best, seconds = network_row(hidden, l2, data, args.epochs)
            lines.append(f"| {name} | {theirs} | {last:.2%} | {best:.2%} | {seconds:.2f} s |")
            print(lines[-1])
        accuracy, seconds, iterations = logistic_row(data)
    lines.append(f"| logistic regression (multinomial, C = 1, L-BFGS, {iterations} iterations) | "
                 f"LeCun: linear classifier ≈ 88 % (12 % error) | {accuracy:.2%} | — | {seconds:.1f} s in all |")
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        write_section("nielsen", report, Path(__file__).resolve().parent.parent / "docs" / "reproductions.md")


if __name__ == "__main__":
    main()

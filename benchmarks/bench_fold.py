"""What the learning-rate fold (glassnet/train/step.py) buys: one SGD epoch, with and without it.

    python benchmarks/bench_fold.py [--rows 30000] [--repeats 5]

784-128-10 sigmoid/softmax, plain SGD lr 0.1, 2 BLAS threads, on the first ``--rows`` real
MNIST training digits (../shared/data/mnist) scaled to [0, 1]. "fold": SGD as shipped (η is
multiplied into the small output gradient, backprop delivers η·∂J/∂θ, the update is θ −= g).
"no fold": SGD asks for no fold and updates through a reused scratch buffer, θ −= η·g, which
leaves g as it is. Runs alternate after a warm-up; medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import glassnet as gn
from glassnet.data import load
from glassnet.train import optimizers

MNIST = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist"


class ScratchSGD(optimizers.SGD):
    """SGD without the fold: θ ← θ − η g through a reused buffer (g untouched)."""

    def grad_scale(self):
        return 1.0

    def update(self, key, theta, g, lr, grad_scale):
        step = self.scratch(key, g)
        np.multiply(g, theta.dtype.type(lr), out=step)
        theta -= step


def epoch_seconds(X, y, batch, optimizer) -> float:
    model = gn.Sequential([gn.Dense(128, "sigmoid"), gn.Dense(10, "softmax")])
    started = time.perf_counter()
    model.fit(X, y, epochs=1, batch_size=batch, optimizer=optimizer, seed=0, verbose=0,
              diagnose=False)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = load(MNIST)
    X = (np.asarray(data.X[: args.rows]).reshape(args.rows, -1) / 255).astype(np.float32)
    y = data.y[: args.rows]
    makers = {"fold": lambda: gn.SGD(lr=0.1), "no fold": lambda: ScratchSGD(lr=0.1)}
    with threadpool_limits(2):
        for batch in (64, 256):
            times = {name: [] for name in makers}
            for make in makers.values():
                epoch_seconds(X, y, batch, make())  # warm-up
            for _ in range(args.repeats):
                for name, make in makers.items():
                    times[name].append(epoch_seconds(X, y, batch, make()))
            fold, plain = (statistics.median(times[k]) for k in ("fold", "no fold"))
            print(f"batch {batch}: fold {fold:.3f} s, no fold {plain:.3f} s, "
                  f"fold/no fold {fold / plain:.3f}", file=sys.stdout)


if __name__ == "__main__":
    main()

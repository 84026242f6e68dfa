"""What the training doctor's instruments cost: one epoch of 784-128-64-10 at batch 32, with
and without them, alternating in the same process; medians.

    python benchmarks/bench_instruments.py            # builtin:mnist-5k, 4,500 rows per epoch
    python benchmarks/bench_instruments.py --repeats 15

The instruments run one forward and backward pass on a 256-row probe batch per epoch, plus a
copy of the weight matrices (for ‖ΔW‖/‖W‖). Printed: the median epoch time each way, their
difference as a share of an epoch, and the probe reading timed on its own.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import glassnet as gn
from glassnet.data import Preprocessor, load
from glassnet.train.instruments import measure, probe_rows
from glassnet.train.sequential import build_classifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--data", default="builtin:mnist-5k")
    args = parser.parse_args(argv)
    dataset = load(args.data)
    model = build_classifier(dataset.image_shape, 10, hidden=(128, 64), activation="sigmoid")
    model.preprocessor = Preprocessor.for_dataset(dataset, "scale").fit(dataset.X)
    rows = np.random.default_rng(0).permutation(len(dataset.X))[:4500]  # the file is sorted by label
    X, y = dataset.X[rows], dataset.y[rows]
    model.fit(X, y, epochs=1, optimizer=gn.SGD(lr=2.0), seed=0, verbose=0, diagnose=False)  # warm up
    times = {True: [], False: []}
    for _ in range(args.repeats):
        for diagnose in (False, True):
            started = time.perf_counter()
            model.fit(X, y, epochs=1, optimizer=gn.SGD(lr=2.0), seed=0, verbose=0, diagnose=diagnose)
            times[diagnose].append(time.perf_counter() - started)
    Xc, target = model.check_X(X), model.encode_labels(y)
    rows = probe_rows(len(Xc), 0)
    probe = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        measure(model, Xc[rows], target[rows], {k: v.copy() for k, v in model.get_weights().items()})
        probe.append(time.perf_counter() - started)
    without, with_ = statistics.median(times[False]), statistics.median(times[True])
    print(f"data {args.data}: {len(X):,} rows, batch 32, {int(np.ceil(len(X) / 32))} steps per epoch, "
          f"{args.repeats} epochs each way")
    print(f"median epoch without instruments {without * 1000:.1f} ms, with {with_ * 1000:.1f} ms: "
          f"{(with_ - without) / without:+.1%}")
    reading = statistics.median(probe)
    print(f"probe reading alone (256 rows, forward + backward + norms): median {reading * 1000:.2f} ms "
          f"= {reading / without:.1%} of an epoch")


if __name__ == "__main__":
    main()

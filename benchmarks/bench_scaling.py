"""Training on a Dask LocalCluster: throughput with 1 and 2 workers, and the bytes of each round.

    python benchmarks/bench_scaling.py [--repeats 3] [--sync 1 10 100] [--no-write]

784-128-10 (sigmoid, softmax), plain SGD lr 0.1, batch 64, on the 60,000 MNIST training digits
(/work/shared/data/mnist; random pixels if absent). The rows are written as 8 .npy chunks and
read by the workers themselves (``da.from_delayed(np.load)``), as a cluster reads shared
storage: the client never holds them. Every worker is one process with one thread and one
BLAS thread (Dask's nanny sets OPENBLAS_NUM_THREADS=1); the in-memory baseline runs with 1 BLAS
thread too, and with 2 for reference.

Measured, median of ``--repeats`` epochs after an untimed first epoch (which also places the
rows on the workers):
* seconds per epoch and samples/s: in memory; on 1 worker and on 2 workers for each sync_every;
* the compute of one step t_step (the in-memory 1-thread epoch / steps);
* the fixed cost of one round, t_round = (epoch − steps per worker · t_step) / rounds;
* bytes per round: the payload 2·S·|θ| (θ down to S workers and back), and what the loopback
  interface actually carried during the epoch (psutil), which adds the scheduler hop and
  Dask's protocol;
* the round trip of an empty task, and the loopback bandwidth of a 64 MB gather.
The figures feed the projection in docs/scaling.md.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glassnet as gn  # noqa: E402
import glassnet.data  # noqa: E402,F401
from _report import machine, write_section  # noqa: E402

N, D, H, K, LR, BATCH, CHUNKS = 60_000, 784, 128, 10, 0.1, 64, 8
MNIST = Path("/work/shared/data/mnist")


def data():
    if MNIST.exists():
        mnist = gn.data.load(str(MNIST))
        return mnist.X / np.float32(255), mnist.y, "the 60,000 MNIST training digits"
    rng = np.random.default_rng(0)
    return rng.random((N, D), dtype=np.float32), rng.integers(0, K, N), "60,000 × 784 random pixels"


def on_disk(X, folder):
    """X as a dask array whose chunks the workers read from .npy files."""
    import dask
    import dask.array as da

    blocks = []
    for i, part in enumerate(np.array_split(X, CHUNKS)):
        path = Path(folder) / f"x{i}.npy"
        np.save(path, part)
        blocks.append(da.from_delayed(dask.delayed(np.load)(str(path)), shape=part.shape, dtype=part.dtype))
    return da.concatenate(blocks)


def network():
    return gn.Sequential([gn.Flatten(input_shape=(D,)), gn.Dense(H, "sigmoid"), gn.Dense(K, "softmax")])


class EpochMeter(gn.Callback):
    """Seconds, loopback bytes and (on a cluster) the trainer's timing of every epoch."""

    def __init__(self):
        self.seconds, self.bytes, self.timing = [], [], []

    def on_epoch_begin(self, trainer, epoch):
        self.net = psutil.net_io_counters(pernic=True)["lo"].bytes_sent
        self.before = dict(getattr(trainer, "timing", {}))
        self.start = time.perf_counter()

    def on_epoch_end(self, trainer, epoch, logs):
        self.seconds.append(time.perf_counter() - self.start)
        self.bytes.append(psutil.net_io_counters(pernic=True)["lo"].bytes_sent - self.net)
        after = getattr(trainer, "timing", {})
        self.timing.append({k: after[k] - self.before[k] for k in after})


def in_memory(X, y, threads, repeats):
    meter = EpochMeter()
    with threadpool_limits(limits=threads, user_api="blas"):
        network().fit(X, y, epochs=repeats + 1, batch_size=BATCH, optimizer=gn.SGD(lr=LR), seed=0,
                      verbose=0, callbacks=[meter])
    return statistics.median(meter.seconds[1:])


def on_cluster(client, Xd, y, sync_every, repeats):
    meter = EpochMeter()
    model = network()
    history = model.fit(Xd, y, epochs=repeats + 1, batch_size=BATCH, optimizer=gn.SGD(lr=LR), seed=0,
                        verbose=0, client=client, sync_every=sync_every, callbacks=[meter])
    timed = meter.timing[1:]
    per_round = {k: statistics.median(t[k] / t["rounds"] for t in timed) for k in ("wall", "compute", "average")}
    return {"seconds": statistics.median(meter.seconds[1:]), "rounds": timed[0]["rounds"],
            "lo_bytes": statistics.median(meter.bytes[1:]), "slots": history.info["slots"],
            "accuracy": history.accuracy[-1], "params": model.n_params(), "per_round": per_round}


def _echo(x):
    return x


def _ones(n):
    return np.ones(n, dtype=np.uint8)


def latency_and_bandwidth(client):
    for _ in range(10):
        client.submit(_echo, 1, pure=False).result()
    trips = []
    for _ in range(50):
        start = time.perf_counter()
        client.submit(_echo, 1, pure=False).result()
        trips.append(time.perf_counter() - start)
    future = client.submit(_ones, 64 * 2**20, pure=False)
    future.result()  # warm: computed and fetched once
    speeds = []
    for _ in range(3):
        start = time.perf_counter()
        client.gather(client.submit(_ones, 64 * 2**20, pure=False)).sum()
        speeds.append(64 * 2**20 / (time.perf_counter() - start))
    return statistics.median(trips), statistics.median(speeds)


def main():
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sync", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    X, y, what = data()
    results = {"what": what, "memory": {}, "cluster": {}}
    for threads in (1, 2):
        results["memory"][threads] = in_memory(X, y, threads, args.repeats)
        print(f"in memory, {threads} BLAS thread(s): {results['memory'][threads]:.3f} s/epoch", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        Xd = on_disk(X, folder)
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                              dashboard_address=":0", silence_logs=40) as cluster, Client(cluster) as client:
                client.wait_for_workers(workers)
                if workers == 2:
                    results["latency"], results["bandwidth"] = latency_and_bandwidth(client)
                for sync in args.sync:
                    run = on_cluster(client, Xd, y, sync, args.repeats)
                    results["cluster"][(workers, sync)] = run
                    print(f"{workers} worker(s), sync_every {sync}: {run['seconds']:.2f} s/epoch, "
                          f"{run['rounds']} rounds, {run['lo_bytes'] / 1e6:.1f} MB on loopback, "
                          f"train acc {run['accuracy']:.3f}", flush=True)
    report = render(results, args)
    print(report)
    if not args.no_write:
        write_section("scaling", report)


def render(results, args) -> str:
    t_step = results["memory"][1] / math.ceil(N / BATCH)
    params = next(iter(results["cluster"].values()))["params"]
    rows = []
    for (workers, sync), run in sorted(results["cluster"].items()):
        r = run["per_round"]
        other = r["wall"] - r["compute"] - r["average"]
        payload = 2 * run["slots"] * params * 4
        rows.append(
            f"| {workers} | {sync} | {run['seconds']:.2f} | {N / run['seconds']:,.0f} | {run['rounds']:,} | "
            f"{r['wall'] * 1e3:.1f} | {r['compute'] * 1e3:.1f} ({r['compute'] / sync * 1e3:.2f}/step) | "
            f"{r['average'] * 1e3:.2f} | {other * 1e3:.1f} | {payload / 1e6:.2f} | "
            f"{run['lo_bytes'] / run['rounds'] / 1e6:.2f} | {payload / sync / 1e3:,.0f} | {run['accuracy']:.3f} |")
    memory = results["memory"]
    lines = [
        "## Scaling: training on a Dask cluster (parameter averaging)",
        "",
        f"`python benchmarks/bench_scaling.py --repeats {args.repeats}` — {machine()}; a LocalCluster of "
        f"1 or 2 worker processes (1 thread, 1 BLAS thread each) on the same 2 cores as the client and "
        f"the scheduler. 784-128-10, SGD lr {LR}, batch {BATCH}, {results['what']} read by the workers "
        f"from 8 .npy chunks. Median of {args.repeats} epochs after an untimed one. The machine is shared "
        "and noisy: treat differences under ~20 % as noise.",
        "",
        f"In memory, one process: {memory[1]:.3f} s/epoch with 1 BLAS thread ({N / memory[1]:,.0f} samples/s, "
        f"t_step = {t_step * 1e3:.2f} ms), {memory[2]:.3f} s/epoch with 2 BLAS threads "
        f"({N / memory[2]:,.0f} samples/s).",
        "",
        "| workers | sync_every | s/epoch | samples/s | rounds/epoch | round (ms) | worker compute (ms) | "
        "averaging (ms) | communication + scheduling (ms) | payload/round (MB) | loopback/round (MB) | "
        "payload/step (kB) | train accuracy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Per round (medians): *round* is the client's wall clock from sending θ to having averaged; *worker "
        "compute* the slowest worker's own time for its steps; *averaging* the client's weighted average; "
        "the rest is communication and Dask's scheduling. *Payload* = 2 · S · |θ| · 4 bytes "
        f"(|θ| = {params:,} float32 weights, to each of S workers and back); *loopback* is every byte the "
        "kernel moved between the processes: twice the payload, because each task's θ goes client → "
        "scheduler → worker and each result worker → scheduler → client. Empty-task round trip on the "
        f"2-worker cluster: {results['latency'] * 1e3:.1f} ms; loopback gather bandwidth "
        f"{results['bandwidth'] / 1e9:.2f} GB/s. The projection to 8, 64 and 512 workers is in docs/scaling.md.",
    ]
    return "\n".join(lines + [""] + projection(results))


def fitted(results) -> dict:
    """The cost model's inputs, fitted to the measured rounds (docs/scaling.md):
    worker compute per round = f + k·t_w (from 1 worker, the two largest sync_every);
    communication + scheduling per round = a + S·b (from 1 and 2 workers, median over sync_every)."""
    runs = results["cluster"]
    (k1, r1), (k2, r2) = sorted((k, run["per_round"]) for (s, k), run in runs.items() if s == 1)[-2:]
    t_w = (r2["compute"] - r1["compute"]) / (k2 - k1)
    f = max(r1["compute"] - k1 * t_w, 0.0)
    other = {s: statistics.median(run["per_round"]["wall"] - run["per_round"]["compute"]
                                  for (w, _), run in runs.items() if w == s) for s in (1, 2)}
    b = max(other[2] - other[1], 0.0)
    return {"t_w": t_w, "f": f, "a": other[1] - b, "b": b}


def projection(results, workers=(1, 2, 8, 64, 512), syncs=(1, 10, 100)) -> list[str]:
    m = fitted(results)
    lines = [
        "### Projection (cost model fitted to the rows above)",
        "",
        f"T_round(S, k) = f + k·t_w + a + S·b with t_w = {m['t_w'] * 1e3:.2f} ms per step, f = {m['f'] * 1e3:.2f} ms "
        f"per task, a = {m['a'] * 1e3:.1f} ms per round, b = {m['b'] * 1e3:.1f} ms per worker per round; "
        "samples/s = S·k·B / T_round, and in brackets the efficiency, samples/s ÷ (S·B / t_w) "
        "(S workers doing nothing but steps); the limit k·B/b is what no number of workers can pass, "
        "and at S = (f + k·t_w + a)/b the client-side cost S·b equals the rest of the round: half the limit.",
        "",
        "| sync_every | " + " | ".join(f"S = {s}" for s in workers)
        + " | throughput limit k·B/b | S at half the limit |",
        "| --- | " + " | ".join("---" for _ in workers) + " | --- | --- |",
    ]
    for k in syncs:
        cells = []
        for s in workers:
            rate = s * k * BATCH / (m["f"] + k * m["t_w"] + m["a"] + s * m["b"])
            cells.append(f"{rate:,.0f} ({rate / (s * BATCH / m['t_w']):.0%})")
        half = (m["f"] + k * m["t_w"] + m["a"]) / m["b"] if m["b"] else float("inf")
        lines.append(f"| {k} | " + " | ".join(cells) + f" | {k * BATCH / m['b']:,.0f} | {half:,.0f} |")
    return lines


if __name__ == "__main__":
    main()

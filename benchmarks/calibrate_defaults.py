"""Do the default settings train a useful model for every activation × optimizer × scaling?

Runs the real command, ``glassnet train DATA --out M --activation A --optimizer O
[--standardize] --seed S --quiet``, with nothing else given (so the default init, learning
rate, epochs and ``--keep best`` apply), then scores the saved model on data it never saw:

* digits: ``builtin:digits`` split(0.2, seed=0) (the demo's split); the 1,437 training rows
  go to the command as an .npz, the 360 test rows score it (target ≥ 0.95);
* mnist: ``builtin:mnist-5k`` trains; the last 10,000 images of the MNIST training file
  (/work/shared/data/mnist, none of them among the 5,000) score it (target ≥ 0.90).

It also records the warnings the training doctor printed (a default run should print none)
and whether ``--keep best`` put back an earlier epoch. Results are cached per run in a JSON
lines file, so a second call only prints the table.

    python benchmarks/calibrate_defaults.py --data digits --seeds 0 1 2
    python benchmarks/calibrate_defaults.py --data mnist --seeds 0 --cells all
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
OPTIMIZERS = ("sgd", "momentum", "adam")
SCALINGS = ("scale", "standardize")
TARGET = {"digits": 0.95, "mnist": 0.90}
MNIST_FILE = "/work/shared/data/mnist/"
WORK = Path(tempfile.gettempdir()) / "glassnet-calibrate-defaults"


def datasets(name):
    """(the DATA argument for the command, test X, test y)."""
    from glassnet.data import load

    if name == "mnist":
        full = load(MNIST_FILE)
        return "builtin:mnist-5k", full.X[-10000:], full.y[-10000:]
    train, test = load("builtin:digits").split(0.2, seed=0)
    path = WORK / "digits-train.npz"
    if not path.exists():
        np.savez(path, X=train.X, y=train.y)
    return str(path), test.X, test.y


def run(data, cell, seed) -> dict:
    """One ``glassnet train`` run; the model's file, warnings and exit code."""
    activation, optimizer, scaling = cell
    out = WORK / f"{Path(data).stem}-{activation}-{optimizer}-{scaling}-{seed}.safetensors"
    command = [sys.executable, "-m", "glassnet", "train", data, "--out", str(out), "--activation", activation,
               "--optimizer", optimizer, "--seed", str(seed), "--quiet", "--force"]
    if scaling == "standardize":
        command.append("--standardize")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    warnings = [line.split(":")[1].strip() for line in done.stderr.splitlines() if line.startswith("warning: ")]
    return {"path": str(out), "code": done.returncode, "warnings": warnings, "stderr": done.stderr[-400:]}


def score(result, X, y) -> dict:
    import glassnet as gn

    if result["code"] != 0:
        return {"accuracy": 0.0, "kept": None}
    model = gn.load(result["path"])
    kept = (model.meta.get("training") or {}).get("kept_best")
    return {"accuracy": float(model.score(X, y)), "kept": kept["epoch"] if kept else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=sorted(TARGET), default="digits")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cells", default="all",
                        help="'all', or activation/optimizer/scaling,… e.g. sigmoid/sgd/scale")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--results", default=str(WORK / "results.jsonl"))
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    cells = (list(itertools.product(ACTIVATIONS, OPTIMIZERS, SCALINGS)) if args.cells == "all"
             else [tuple(c.split("/")) for c in args.cells.split(",")])
    data, X, y = datasets(args.data)
    cache = _read_cache(args.results)
    todo = [(c, s) for c in cells for s in args.seeds if _key(args.data, c, s) not in cache]

    def one(job):
        cell, seed = job
        record = {"data": args.data, "cell": list(cell), "seed": seed, **run(data, cell, seed)}
        return record

    with ThreadPoolExecutor(args.workers) as pool:
        for record in pool.map(one, todo):
            record.update(score(record, X, y))
            cache[_key(args.data, tuple(record["cell"]), record["seed"])] = record
            with open(args.results, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(f"{record['cell']} seed {record['seed']}: {record['accuracy']:.4f} {record['warnings']}",
                  file=sys.stderr, flush=True)
    print(table(args.data, cells, args.seeds, cache))


def table(data, cells, seeds, cache) -> str:
    lines = [f"| activation | optimizer | scaling | {data} test accuracy, seeds {' / '.join(map(str, seeds))} | "
             "min | ≥ target | warnings | kept best (epoch) |", "|---|---|---|---|---|---|---|---|"]
    for cell in cells:
        runs = [cache[_key(data, cell, s)] for s in seeds]
        accuracies = [r["accuracy"] for r in runs]
        warned = sorted({w for r in runs for w in r["warnings"]}) or ["none"]
        kept = [f"s{r['seed']}: {r['kept']}" for r in runs if r.get("kept")] or ["–"]
        lines.append(f"| {' | '.join(cell)} | {' / '.join(f'{a:.3f}' for a in accuracies)} | {min(accuracies):.3f} | "
                     f"{'yes' if min(accuracies) >= TARGET[data] else '**no**'} | {', '.join(warned)} | "
                     f"{', '.join(kept)} |")
    return "\n".join(lines)


def _key(data, cell, seed) -> str:
    return json.dumps([data, list(cell), seed])


def _read_cache(path) -> dict:
    cache = {}
    if os.path.exists(path):
        for line in open(path):
            record = json.loads(line)
            cache[_key(record["data"], tuple(record["cell"]), record["seed"])] = record
    return cache


if __name__ == "__main__":
    main()

"""Benchmark: peak anonymous memory of one training epoch, against the raw uint8 pixels.

    .venv/bin/python benchmarks/bench_memory.py [--cases 1 2 3] [--rows 2000000] [--quick]

What is measured (issue "Memory: keep the pixels as they came"): the peak of RssAnon — the
anonymous resident pages from /proc/PID/status, of the process and all its descendants
(forked workers share pages: see ``tree_anon``), sampled every 20 ms by a watcher thread —
during one command, minus the same peak for the same command on a tiny data set (500 rows),
so interpreter, imports and thread pools are subtracted. File-backed pages (RssFile, e.g. a
memory-mapped .npy) are not counted: the kernel can drop and re-read them at will, while
anonymous pages must stay in RAM or swap — they are what runs a machine out of memory.

1. The 60,000 MNIST training digits from their gzipped IDX files (47 MB of raw uint8),
   one epoch of a 784-128-64-10 sigmoid net at batch 32 with the ``glassnet train`` CLI;
   beside it PyTorch (uint8 tensor resident, each batch converted to float) and
   scikit-learn's MLPClassifier (float32 X resident, max_iter=1). Target: glassnet ≤ 2.5×.
2. A generated X.npy / y.npy pair of ROWS × 784 uint8 (2,000,000 rows: 1.57 GB), one epoch
   with the CLI under an 8 GB address-space limit (RLIMIT_AS). Target: it completes, using
   ≤ 300 MB above the baseline. A failure is recorded with its exit code and last line.
3. A folder of 10,000 28×28 grayscale PNGs (MNIST digits, one subfolder per class), one
   epoch with the CLI. Target: ≤ 2× the uint8 pixels (7.84 MB).

The CLI runs as ``python -m glassnet``: the same code as the ``glassnet`` console script.
The markdown table goes to stdout and to --md (default /tmp/bench_memory.md).
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MNIST = Path("/work/shared/data/mnist")
IMAGES, LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
TINY, PIXELS, MB, GB = 500, 784, 1e6, 1e9
AS_LIMIT = 8 * 2**30


def read_mnist(folder: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first n digits as uint8 (n, 784) and labels, decompressed straight into place."""
    with gzip.open(folder / IMAGES) as f:
        _, count, rows, cols = struct.unpack(">4I", f.read(16))
        X = np.empty((min(n, count), rows * cols), np.uint8)
        view = memoryview(X).cast("B")
        for start in range(0, len(view), 1 << 20):  # 1 MB reads: no full-size temporary
            f.readinto(view[start:start + (1 << 20)])
    with gzip.open(folder / LABELS) as f:
        y = np.frombuffer(f.read(), np.uint8, len(X), 8)
    return X, y


def write_idx(folder: Path, X: np.ndarray, y: np.ndarray) -> Path:
    """A folder of gzipped IDX files holding X (n, 784) and y, as MNIST ships them."""
    folder.mkdir(parents=True)
    with gzip.open(folder / IMAGES, "wb", compresslevel=1) as f:
        f.write(struct.pack(">4I", 0x803, len(X), 28, 28) + X.tobytes())
    with gzip.open(folder / LABELS, "wb", compresslevel=1) as f:
        f.write(struct.pack(">2I", 0x801, len(y)) + y.tobytes())
    return folder


def write_npy_pair(folder: Path, rows: int, chunk: int = 50_000) -> Path:
    """X.npy (rows × 784 uint8, written in chunks through a memmap) and y.npy (int64).

    Each class is a random template plus noise, so the data is learnable."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    templates = rng.integers(0, 128, (10, PIXELS), dtype=np.uint8)
    y = rng.integers(0, 10, rows)
    X = np.lib.format.open_memmap(folder / "X.npy", "w+", np.uint8, (rows, PIXELS))
    for start in range(0, rows, chunk):
        part = y[start:start + chunk]
        X[start:start + len(part)] = templates[part] + rng.integers(0, 128, (len(part), PIXELS),
                                                                    dtype=np.uint8)
    X.flush()
    del X
    np.save(folder / "y.npy", y)
    return folder / "X.npy"


def write_pngs(folder: Path, X: np.ndarray, y: np.ndarray) -> Path:
    """One 28×28 grayscale PNG per digit, in class subfolders digit_0 … digit_9."""
    from PIL import Image

    for label in range(10):
        (folder / f"digit_{label}").mkdir(parents=True)
    for i, (pixels, label) in enumerate(zip(X, y)):
        Image.fromarray(pixels.reshape(28, 28)).save(folder / f"digit_{label}" / f"{i:05d}.png")
    return folder


def process_table() -> dict[int, tuple[int, int]]:
    """pid → (parent pid, RssAnon in KiB) for every process this user can see."""
    table = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = _fields(f"/proc/{entry}/status")
        except OSError:  # the process ended while we looked
            continue
        table[int(entry)] = (fields.get("PPid", 0), fields.get("RssAnon", 0))  # 0: a zombie
    return table


def _fields(path: str) -> dict[str, int]:
    """The numeric 'Name:  value' lines of a /proc file."""
    with open(path) as f:
        pairs = (line.split(":", 1) for line in f if ":" in line)
        return {k: int(v.split()[0]) for k, v in pairs if v.split() and v.split()[0].isdigit()}


def tree_anon(root: int) -> int:
    """Anonymous resident bytes of root and all its descendants.

    One process: its RssAnon. Several (glassnet forks image-decoding workers): the sum of
    their Pss_Anon, because a forked child shares its parent's pages copy-on-write and
    summed RssAnon would count those pages once per process. The tree is rebuilt from PPid
    at every sample (this kernel has no /proc/PID/task/TID/children)."""
    table = process_table()
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack += [child for child, (parent, _) in table.items() if parent == pid]
    if len(tree) == 1:
        return table.get(root, (0, 0))[1] * 1024
    total = 0
    for pid in tree:
        try:
            total += _fields(f"/proc/{pid}/smaps_rollup").get("Pss_Anon", 0) * 1024
        except OSError:
            continue
    return total


@dataclass
class Run:
    peak: int  # bytes of RssAnon, the largest sample
    rc: int | None  # exit code, None after a timeout
    last_line: str  # last non-empty stderr line
    seconds: float


def measure(cmd: list[str], limit: int | None, timeout: float, interval: float = 0.02) -> Run:
    """Run cmd while a watcher thread samples its tree's RssAnon every `interval` seconds."""
    def preexec():
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=preexec,
                                start_new_session=True)
        peak, done = [0], threading.Event()

        def watch():
            while not done.wait(interval):
                peak[0] = max(peak[0], tree_anon(proc.pid))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
        finally:  # a timeout, Ctrl-C or SIGTERM: the command and its workers go too
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            done.set()
            watcher.join()
        err.seek(0)
        lines = [line.strip() for line in err.read().splitlines() if line.strip()]
    return Run(peak[0], rc, lines[-1] if lines else "", time.perf_counter() - start)


@dataclass
class Row:
    case: str
    who: str
    raw: int  # bytes of the raw uint8 pixels
    target: float | None  # allowed bytes above baseline, for glassnet rows
    full: Run | None = None  # None: not run, see skipped
    base: Run | None = None
    skipped: str = ""

    @property
    def above(self) -> int:
        return self.full.peak - self.base.peak


def measure_row(case, who, raw, target, cmd_full, cmd_tiny, args, limit=None) -> Row:
    """Median peak over --repeats runs of the full and the tiny command."""
    def median_run(cmd):
        runs = [measure(cmd, limit, args.timeout) for _ in range(args.repeats)]
        runs.sort(key=lambda r: r.peak)
        return runs[len(runs) // 2]

    row = Row(case, who, raw, target, median_run(cmd_full), median_run(cmd_tiny))
    print(f"  {who}: {row.above / MB:.1f} MB above baseline (rc {row.full.rc}, "
          f"{row.full.seconds:.0f} s)", file=sys.stderr)
    return row


def glassnet_train(data: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "glassnet", "train", str(data), "--out", str(out), "--hidden",
            "128", "64", "--epochs", "1", "--batch-size", "32", "--quiet", "--force"]


def worker(kind: str, folder: Path, n: int) -> list[str]:
    return [sys.executable, __file__, "--worker", kind, str(folder), str(n)]


def case_mnist(tmp: Path, n: int, args) -> list[Row]:
    """Case 1: the IDX files, glassnet CLI vs PyTorch vs scikit-learn."""
    X, y = read_mnist(MNIST, n)
    full = MNIST if n >= 60_000 else write_idx(tmp / "idx", X, y)
    tiny = write_idx(tmp / "idx_tiny", X[:TINY], y[:TINY])
    raw, case = X.nbytes, f"1. MNIST IDX, {n:,} digits"
    rows = [measure_row(case, "glassnet CLI", raw, 2.5 * raw, glassnet_train(full, tmp / "m"),
                        glassnet_train(tiny, tmp / "m"), args)]
    for kind, name in (("torch", "PyTorch (uint8 resident)"),
                       ("sklearn", "sklearn MLPClassifier (float32 resident)")):
        rows.append(measure_row(case, name, raw, None, worker(kind, full, n),
                                worker(kind, tiny, TINY), args))
    return rows


def case_npy(tmp: Path, rows: int, args) -> list[Row]:
    """Case 2: a large uint8 .npy pair under an 8 GB address-space limit."""
    case = f"2. .npy pair, {rows:,} × 784 uint8, RLIMIT_AS 8 GB"
    raw, free = rows * PIXELS, shutil.disk_usage(tmp).free
    need = max(4 * GB, 1.5 * raw)  # X.npy, y.npy and some room to spare
    if free < need:
        why = (f"skipped: only {free / GB:.1f} GB free in {tmp.parent}, {need / GB:.1f} GB "
               f"needed. Free some space, set TMPDIR elsewhere, or pass a smaller --rows.")
        print(f"  {why}", file=sys.stderr)
        return [Row(case, "glassnet CLI", raw, 300 * MB, skipped=why)]
    full, tiny = write_npy_pair(tmp / "big", rows), write_npy_pair(tmp / "tiny", TINY)
    try:
        return [measure_row(case, "glassnet CLI", raw, 300 * MB, glassnet_train(full, tmp / "m"),
                            glassnet_train(tiny, tmp / "m"), args, limit=AS_LIMIT)]
    finally:
        shutil.rmtree(tmp / "big")  # 1.6 GB: gone before the next case starts


def case_pngs(tmp: Path, n: int, args) -> list[Row]:
    """Case 3: a folder of PNG files, one subfolder per class."""
    X, y = read_mnist(MNIST, n)
    full, tiny = write_pngs(tmp / "png", X, y), write_pngs(tmp / "png_tiny", X[:TINY], y[:TINY])
    return [measure_row(f"3. PNG folder, {n:,} files", "glassnet CLI", X.nbytes, 2 * X.nbytes,
                        glassnet_train(full, tmp / "m"), glassnet_train(tiny, tmp / "m"), args)]


def train_one_epoch(kind: str, folder: Path, n: int) -> None:
    """--worker mode: the comparison loops of case 1, in a process of their own."""
    X, y = read_mnist(folder, n)
    if kind == "torch":
        import torch
        from torch import nn

        torch.manual_seed(0)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
        net = nn.Sequential(nn.Linear(784, 128), nn.Sigmoid(), nn.Linear(128, 64), nn.Sigmoid(),
                            nn.Linear(64, 10))
        opt, loss_fn = torch.optim.SGD(net.parameters(), lr=0.5), nn.CrossEntropyLoss()
        for batch in torch.randperm(len(Xt)).split(32):
            opt.zero_grad()
            loss_fn(net(Xt[batch].float().div_(255)), yt[batch]).backward()
            opt.step()
    else:
        import warnings

        from sklearn.neural_network import MLPClassifier

        X = X.astype(np.float32) / np.float32(255)  # the uint8 array is freed here
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter=1 on purpose
        MLPClassifier((128, 64), activation="logistic", solver="sgd", batch_size=32,
                      learning_rate_init=0.5, max_iter=1, random_state=0).fit(X, y)


def verdict(row: Row) -> str:
    if row.full.rc != 0:
        what = "timed out" if row.full.rc is None else f"failed, exit {row.full.rc}"
        line = row.full.last_line.replace("|", "\\|")
        return f"{what}: `{line if len(line) <= 200 else line[:199] + '…'}`"
    if row.target is None:
        return "ok"
    return "meets target" if row.above <= row.target else "over target"


WHAT = """\
glassnet: `python -m glassnet train DATA --out M --hidden 128 64 --epochs 1 --batch-size 32 \
--quiet --force` (sigmoid, SGD, 10 % held out for validation). PyTorch: the same 784-128-64-10
sigmoid net, SGD at batch 32, the uint8 tensor resident and each batch converted with
`.float().div_(255)`. scikit-learn: `MLPClassifier((128, 64), activation="logistic",
solver="sgd", batch_size=32, max_iter=1)` on a resident float32 X. Case 2 runs under
`RLIMIT_AS` = 8 GiB (the tiny baseline too); its target is to finish within 300 MB."""


def markdown(rows: list[Row], command: str, repeats: int) -> str:
    lines = ["## Peak memory of one training epoch", "",
             "| case | who | raw uint8 | peak RssAnon | baseline (500 rows) | above baseline "
             "| × raw | target | result | time |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for r in rows:
        target = "—" if r.target is None else f"≤ {r.target / MB:.0f} MB"
        if r.skipped:
            lines.append(f"| {r.case} | {r.who} | {r.raw / MB:.1f} MB | | | | | {target} | "
                         f"{r.skipped} | |")
            continue
        lines.append(f"| {r.case} | {r.who} | {r.raw / MB:.1f} MB | {r.full.peak / MB:.1f} MB | "
                     f"{r.base.peak / MB:.1f} MB | {r.above / MB:.1f} MB | "
                     f"{r.above / r.raw:.2f}× | {target} | {verdict(r)} | "
                     f"{r.full.seconds:.0f} s |")
    lines += ["", f"Peak RssAnon (anonymous resident pages of the process and its children — "
                  f"Pss_Anon summed while forked workers share pages — sampled every 20 ms; "
                  f"file-backed and memory-mapped pages excluded), median "
                  f"of {repeats} run(s), minus the same command on 500 rows. "
                  f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
                  f"NumPy {np.__version__}.", "", WHAT, "", f"Command: `{command}`"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", type=int, choices=(1, 2, 3), default=[1, 2, 3])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--rows", type=int, help="rows of the case-2 .npy (default 2,000,000)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller data: 10,000 digits, 100,000 .npy rows, 3,000 PNGs (still "
                        "enough for glassnet's decoding pool)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per command")
    parser.add_argument("--md", type=Path, default=Path("/tmp/bench_memory.md"))
    parser.add_argument("--write-docs", action="store_true",
                        help="also replace the 'memory' section of docs/benchmarks.md")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return train_one_epoch(args.worker[0], Path(args.worker[1]), int(args.worker[2]))
    rows_npy = args.rows or (100_000 if args.quick else 2_000_000)
    cases = {1: lambda tmp: case_mnist(tmp, 10_000 if args.quick else 60_000, args),
             2: lambda tmp: case_npy(tmp, rows_npy, args),
             3: lambda tmp: case_pngs(tmp, 3_000 if args.quick else 10_000, args)}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # so temp files go
    rows = []
    for number in args.cases:
        print(f"case {number} …", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
            rows += cases[number](Path(tmp))
    text = markdown(rows, " ".join([".venv/bin/python", "benchmarks/bench_memory.py",
                                    *sys.argv[1:]]), args.repeats)
    args.md.write_text(text)
    if args.write_docs:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _report import write_section

        write_section("memory", text)
    print(text)


if __name__ == "__main__":
    main()

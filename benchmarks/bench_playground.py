"""The playground's update time: from a new input to new numbers on the page, in Chromium.

    python benchmarks/bench_playground.py [--moves 200] [--rounds 5] [--no-write]

A 784-128-64-10 sigmoid model (untrained weights: the arithmetic is the same) is written as a
playground page and opened from file:// in headless Chromium (/usr/bin/chromium). Two timings,
each a median over every call in every round:

* pointer move: the page's own ``performance.now()`` span per pointer move while a stroke is
  drawn with the mouse (drawing, MNIST-style preparation, forward pass, numbers written);
* setInput: the same span measured around ``glassnet.setInput(x)`` for rows of random pixels.

Target (issue: the playground): median ≤ 20 ms. Layout and repaint after the script are the
browser's and are not included.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import glassnet as gn  # noqa: E402
from _report import machine, write_section  # noqa: E402
from glassnet.explain.playground import write_playground  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def page_for_mnist_model(folder: Path) -> Path:
    model = gn.Sequential([gn.Flatten(input_shape=(28, 28)), gn.Dense(128, "sigmoid"),
                           gn.Dense(64, "sigmoid"), gn.Dense(10, "softmax")])
    model.build((28, 28), np.random.default_rng(0))
    model.encode_labels(np.arange(10))
    return write_playground(model, folder / "playground.html")


def measure(page, rows, moves: int) -> tuple[list[float], list[float]]:
    page.click("#clear")
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.8 * box["height"], steps=moves)
    page.mouse.up()
    pointer = list(page.evaluate("glassnet.timings()"))
    set_input = page.evaluate("""rows => rows.map(x => {
        const t = performance.now(); glassnet.setInput(x); return performance.now() - t; })""", rows)
    return pointer, set_input


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = np.random.default_rng(1).integers(0, 256, (args.moves, 784)).tolist()
    pointer, set_input = [], []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        path = page_for_mnist_model(Path(tmp))
        context = playwright.chromium.launch_persistent_context(
            str(Path(tmp) / "profile"), executable_path="/usr/bin/chromium", headless=True,
            args=ARGS, viewport={"width": 1366, "height": 900}, offline=True)
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        measure(page, rows[:20], 20)  # warm-up (JIT)
        for _ in range(args.rounds):
            p, s = measure(page, rows, args.moves)
            pointer += p
            set_input += s
        context.close()
    table = ["| timing | median (ms) | p90 (ms) | target |", "| --- | --- | --- | --- |"]
    for name, values in (("pointer move", pointer), ("setInput", set_input)):
        p90 = statistics.quantiles(values, n=10)[-1]
        table.append(f"| {name} | {statistics.median(values):.1f} | {p90:.1f} | ≤ 20 |")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    text = "\n".join(table) + f"\n\nLoad average during the run (1, 5, 15 min): {load}."
    print(text)
    if not args.no_write:
        write_section("playground", f"{machine()}\n\n`python benchmarks/bench_playground.py "
                                    f"--moves {args.moves} --rounds {args.rounds}`\n\n{text}\n")


if __name__ == "__main__":
    main()

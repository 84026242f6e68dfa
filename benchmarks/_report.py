"""Write one benchmark's results into its own section of docs/benchmarks.md.

Each benchmark owns the text between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``;
running it again replaces only that section.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = "# {title}\n\nEvery figure here was written by the script named in its section.\n"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        cpu = next(line.split(":", 1)[1].strip() for line in model.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


class EpochTimer:
    """A training callback that records each epoch's wall time in ``seconds``."""

    reads_gradients = False  # timing only: no need to undo the learning-rate fold per batch

    def __init__(self, echo=None):
        self.seconds = []
        self.echo = echo  # optional function(epoch, logs, seconds) called after each epoch

    def on_train_begin(self, trainer): ...

    def on_batch_end(self, trainer, batch, logs): ...

    def on_train_end(self, trainer): ...

    def on_epoch_begin(self, trainer, epoch):
        self.start = time.perf_counter()

    def on_epoch_end(self, trainer, epoch, logs):
        self.seconds.append(time.perf_counter() - self.start)
        if self.echo is not None:
            self.echo(epoch, logs, self.seconds[-1])


def median(values) -> float:
    return statistics.median(values)


def write_section(name: str, markdown: str, path: Path = DOC) -> None:
    text = path.read_text() if path.exists() else HEADER.format(title=path.stem.capitalize())
    block = f"<!-- begin {name} -->\n{markdown.strip()}\n<!-- end {name} -->"
    pattern = re.compile(rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)

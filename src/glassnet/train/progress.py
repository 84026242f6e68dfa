"""Progress reporting for the training loop: a rich bar in a terminal, lines elsewhere.

The math never prints: ``fit`` calls these reporters as callbacks, and ``verbose=0`` attaches
none. Everything goes to stderr so that stdout stays for results.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def format_logs(logs: dict) -> str:
    parts = []
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if logs.get(key) is not None:
            parts.append(f"{key} {logs[key]:.4f}")
    return "  ".join(parts)


class Callback:
    """Hooks called by the training loop; override what you need.

    A callback that never looks at ``layer.grads`` may set ``reads_gradients = False``: the
    loop then skips restoring the learning-rate fold after every batch (``train.step``)."""

    reads_gradients = True

    def on_train_begin(self, trainer): ...

    def on_epoch_begin(self, trainer, epoch): ...

    def on_batch_end(self, trainer, batch, logs): ...

    def on_epoch_end(self, trainer, epoch, logs): ...

    def on_train_end(self, trainer): ...


class EpochLines(Callback):
    """One plain line per epoch (for logs and pipes)."""

    reads_gradients = False

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.started = 0.0

    def on_epoch_begin(self, trainer, epoch):
        self.started = time.perf_counter()

    def on_epoch_end(self, trainer, epoch, logs):
        seconds = time.perf_counter() - self.started
        print(f"epoch {epoch + 1}/{trainer.epochs}  {format_logs(logs)}  ({seconds:.2f}s)",
              file=self.stream, flush=True)


class ProgressBar(Callback):
    """A rich progress bar per epoch: batches done, running loss and accuracy, ETA."""

    reads_gradients = False

    REFRESH_SECONDS = 0.1

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.progress = None
        self.task = None
        self.last_refresh = 0.0

    def on_train_begin(self, trainer):
        self.progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[metrics]}"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.progress.start()

    def on_epoch_begin(self, trainer, epoch):
        label = f"{epoch + 1}/{trainer.epochs}"
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task("", total=trainer.batches_per_epoch, epoch=label, metrics="")

    def on_batch_end(self, trainer, batch, logs):
        now = time.perf_counter()
        if now - self.last_refresh >= self.REFRESH_SECONDS:
            self.last_refresh = now
            self.progress.update(self.task, completed=batch + 1, metrics=format_logs(logs))

    def on_epoch_end(self, trainer, epoch, logs):
        self.progress.update(self.task, completed=trainer.batches_per_epoch, metrics=format_logs(logs))
        self.progress.console.print(f"epoch {epoch + 1}/{trainer.epochs}  {format_logs(logs)}")

    def on_train_end(self, trainer):
        if self.progress is not None:
            self.progress.stop()


def reporters_for(verbose) -> list[Callback]:
    """verbose: 0 silent; 1 a bar in a terminal (lines otherwise); 2 lines; 'auto' bar or silent."""
    in_terminal = sys.stderr.isatty()
    if verbose == "auto":
        verbose = 1 if in_terminal else 0
    if verbose == 0 or verbose is False:
        return []
    if verbose == 1 and in_terminal:
        return [ProgressBar()]
    return [EpochLines()]

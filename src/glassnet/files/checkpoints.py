"""Training runs that lose nothing: the Python API behind ``glassnet train`` and ``demo``.

A checkpoint is for a run that did not finish: ``discard_checkpoint`` removes it once the
finished model is saved (the CLI does so unless ``--keep-checkpoint``).

* ``fit_with_checkpoints`` — ``model.fit`` plus a checkpoint after every epoch (optimizer
  state included, so a resumed run ends with bit-identical weights), Ctrl-C / SIGTERM
  handled as "finish this batch, save, raise ``TrainingInterrupted``", and a diverging loss
  raised as ``DivergedError`` with the last good epoch still in the checkpoint.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

from glassnet.errors import TrainingInterrupted
from glassnet.files.io import save_checkpoint
from glassnet.train.progress import Callback

STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s)


class EpochCheckpoint(Callback):
    """Save a resumable checkpoint at the end of every epoch (atomically)."""

    reads_gradients = False

    def __init__(self, path, settings=None):
        self.path = path
        self.settings = settings or {}
        self.saved = 0

    def on_epoch_end(self, trainer, epoch, logs):
        done = trainer.epoch >= trainer.epochs or "stopped_epoch" in trainer.history.info
        save_checkpoint(self.path, trainer, trainer.model, settings=self.settings,
                        status="finished" if done else "running")
        self.saved += 1


@dataclass
class Run:
    """What ``fit_with_checkpoints`` knows after it returns or raises."""

    checkpoint: object
    trainer: object = None
    saved_epochs: int = 0
    resumed: bool = False
    signals: list = field(default_factory=list)

    @property
    def has_checkpoint(self) -> bool:
        """True when the checkpoint file holds this run's state (not a stale one)."""
        return self.saved_epochs > 0 or self.resumed


def fit_with_checkpoints(model, X, y, *, checkpoint, settings=None, resume=None,
                         handle_signals=True, callbacks=(), run: Run | None = None, **fit_options):
    """``model.fit(X, y, **fit_options)`` that can be stopped and resumed exactly.

    ``checkpoint``: the path written after every epoch. ``resume``: the ``state`` of a
    ``load_checkpoint`` result. With ``handle_signals`` the first SIGINT/SIGTERM asks the
    loop to stop after the current batch; the checkpoint is then saved (status
    "interrupted") and ``TrainingInterrupted`` raised. A second signal aborts at once
    (``KeyboardInterrupt``), the last epoch's checkpoint still intact. ``run`` (a ``Run``)
    receives the trainer and how many checkpoints were written, for the caller's messages.
    """
    run = run if run is not None else Run(checkpoint)
    run.resumed = resume is not None
    saver = EpochCheckpoint(checkpoint, settings)

    def hook(trainer):
        run.trainer = trainer
        if handle_signals:
            run.signals = _install_stop_handlers(trainer)

    try:
        return model.fit(X, y, callbacks=[saver, *callbacks], resume=resume, trainer_hook=hook,
                         **fit_options)
    except TrainingInterrupted:
        save_checkpoint(checkpoint, run.trainer, model, settings=settings, status="interrupted")
        raise
    finally:
        run.saved_epochs = saver.saved
        _restore_handlers(run.signals)


def discard_checkpoint(path) -> bool:
    """Remove a finished run's checkpoint (call it after the model itself is saved).

    Only a regular file is removed; returns whether one was. Any other kind of path
    (a folder, a FIFO) is left alone.
    """
    path = Path(path)
    if not path.is_file() or path.is_symlink():
        return False
    path.unlink()
    return True


def _install_stop_handlers(trainer) -> list:
    """First signal: trainer.request_stop(); a second one: KeyboardInterrupt now."""
    if threading.current_thread() is not threading.main_thread():
        return []
    received = []

    def on_signal(signum, frame):
        received.append(signum)
        if len(received) > 1:
            raise KeyboardInterrupt
        trainer.request_stop()

    return [(s, signal.signal(s, on_signal)) for s in STOP_SIGNALS]


def _restore_handlers(previous):
    for signum, handler in previous:
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

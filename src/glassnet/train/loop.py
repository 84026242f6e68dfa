"""The fit loop: shuffled mini-batches, validation, early stopping, checkpoints, progress.

One epoch: draw a permutation of the n training rows from (seed, epoch); for each batch of
rows, forward, loss, backward, optimizer step. Because every random choice is derived from
the seed and the epoch (not from a global RNG), the same seed gives bit-identical weights,
and a run resumed from a checkpoint continues exactly where it stopped.

On a device other than the CPU (``fit(..., device="cuda")`` or ``model.to("cuda")``) the data
are checked on the host, copied to the device once, and every step runs there; the
permutations and dropout masks are still drawn on the CPU from the seed, so a GPU run walks the
same batches as a CPU run.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import CPU, namespace_of, to_device, to_numpy
from glassnet.errors import ConfigError, DivergedError, TrainingInterrupted
from glassnet.nn.batches import block_permutation
from glassnet.nn.layers import Dropout
from glassnet.train.optimizers import get_optimizer
from glassnet.train.progress import Callback
from glassnet.train.step import fall_back, gradient_step, unfold, weights_finite
from glassnet.train.validation import evaluate_encoded, predicted_index

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


class History:
    """Per-epoch metrics: ``history.loss[e]``, ``history.val_accuracy[e]``, ``history.history``."""

    def __init__(self, history=None, **info):
        self.history = {key: list(history.get(key, [])) for key in METRICS} if history else {k: [] for k in METRICS}
        self.info = dict(info)  # seed, stopped_epoch, best_epoch, …

    def append(self, logs):
        for key in METRICS:
            self.history[key].append(logs.get(key))

    @property
    def epochs(self) -> int:
        return len(self.history["loss"])

    def __getattr__(self, name):
        if name in METRICS:
            return self.history[name]
        if name == "diagnosis":  # set by train.checkup after fit; a loaded history keeps it as data
            return self.info.get("diagnosis", [])
        raise AttributeError(name)

    def to_dict(self) -> dict:
        return {"history": self.history, "info": self.info}

    @classmethod
    def from_dict(cls, data) -> History:
        return cls(data.get("history", {}), **data.get("info", {}))

    def __repr__(self):
        last = {k: v[-1] for k, v in self.history.items() if v and v[-1] is not None}
        return f"History(epochs={self.epochs}, last={last})"


class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, and
    (``restore_best_weights``) put back the weights of the best epoch."""

    def __init__(self, patience=5, monitor="auto", min_delta=0.0, restore_best_weights=True):
        if int(patience) < 1:
            raise ConfigError(f"EarlyStopping: patience must be ≥ 1. Got {patience!r} instead.")
        self.patience, self.monitor = int(patience), monitor
        self.min_delta, self.restore_best_weights = float(min_delta), bool(restore_best_weights)
        self.best, self.best_epoch, self.wait, self.best_weights = math.inf, -1, 0, None

    def update(self, epoch, logs, model) -> bool:
        """Record this epoch; True when training should stop."""
        key = self.monitor if self.monitor != "auto" else ("val_loss" if logs.get("val_loss") is not None else "loss")
        value = logs[key] if "loss" in key else -logs[key]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_weights = {k: v.copy() for k, v in model.get_weights().items()}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, model):
        if self.restore_best_weights and self.best_weights is not None:
            model.set_weights(self.best_weights)


def _as_early_stopping(value):
    if value is None or value is False:
        return None
    if isinstance(value, EarlyStopping):
        return value
    return EarlyStopping(patience=int(value))


def positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be a positive integer. Got {value!r} instead.")
    return int(value)


class EpochLoop:
    """What every training loop shares: the running metrics, the end of an epoch (history,
    last good weights, early stopping, callbacks) and stopping on request. Subclasses run the
    steps of an epoch (``Trainer`` in one process, ``cluster_train.ClusterTrainer`` on Dask)."""

    def __init__(self, model, *, epochs, batch_size, optimizer, l2=0.0, seed=None, validation=None,
                 early_stopping=None, callbacks=(), **history_info):
        self.model = model
        self.epochs = positive_int("epochs", epochs)
        self.batch_size = positive_int("batch_size", batch_size)
        self.optimizer = get_optimizer(optimizer)
        self.l2 = float(l2)
        if not math.isfinite(self.l2) or self.l2 < 0:
            raise ConfigError(f"l2 must be a number ≥ 0. Got {l2!r} instead.")
        self.seed = int(np.random.SeedSequence().entropy % 2**32) if seed is None else int(seed)
        self.validation = validation  # (X, target), or a callable(model) -> logs
        self.early_stopping = _as_early_stopping(early_stopping)
        self.callbacks: list[Callback] = list(callbacks)
        self.gradient_readers = any(getattr(c, "reads_gradients", True) for c in self.callbacks)
        self.folded = 1.0  # the learning rate folded into the grads (train.step)
        self.history = History(seed=self.seed, **history_info)
        self.epoch, self.batch = 0, 0  # where the next step starts
        self.sums = {"loss": 0.0, "correct": 0, "seen": 0}
        self.stop_requested = False
        self.last_good = None
        self.convert = None  # a BatchConverter when X holds raw rows (nn.batches)

    def request_stop(self):
        """Ask the loop to stop after the current batch (safe to call from a signal handler)."""
        self.stop_requested = True

    def run(self) -> History:
        """Train until ``epochs`` are done, early stopping says so, or a stop is requested."""
        self._prepare()
        self._keep_good()
        for callback in self.callbacks:
            callback.on_train_begin(self)
        try:
            while self.epoch < self.epochs and not self._run_epoch():
                pass
        finally:
            for callback in self.callbacks:
                callback.on_train_end(self)
        if self.early_stopping is not None:
            self.early_stopping.restore(self.model)
            self.history.info["best_epoch"] = self.early_stopping.best_epoch
        self.history.info["epochs_run"] = self.history.epochs
        self._record_info()
        self.model.history = self.history
        return self.history

    def _prepare(self):
        """Set up before the first epoch (build the model, move data to its device, …)."""

    def _record_info(self):
        """Add loop-specific facts to ``history.info`` at the end."""

    def _running_logs(self) -> dict:
        seen = max(self.sums["seen"], 1)
        logs = {"loss": self.sums["loss"] / seen}
        if self.model.task != "regression":
            logs["accuracy"] = self.sums["correct"] / seen
        return logs

    def _epoch_logs(self) -> dict:
        logs = self._running_logs()  # each batch's J already includes its L2 penalty
        if callable(self.validation):
            logs.update(self.validation(self.model))
        elif self.validation is not None:
            Xv, tv = self.validation
            logs.update(evaluate_encoded(self.model, Xv, tv, prefix="val_", convert=self.convert))
        return logs

    def _finish_epoch(self, epoch) -> bool:
        """Record the epoch, move on, then early stopping and callbacks. True: stop training."""
        self.folded = unfold(self.model, self.folded)
        if not weights_finite(self.model):  # a finite loss, then a step that overflowed W
            raise self._diverged("The weights became NaN or infinite", epoch)
        logs = self._epoch_logs()
        self.history.append(logs)
        self.epoch, self.batch = epoch + 1, 0
        self.sums = {"loss": 0.0, "correct": 0, "seen": 0}
        self._keep_good()
        stop = self.early_stopping is not None and self.early_stopping.update(epoch, logs, self.model)
        if stop:
            self.history.info["stopped_epoch"] = epoch
        for callback in self.callbacks:
            callback.on_epoch_end(self, epoch, logs)
        if self.stop_requested and self.epoch < self.epochs:
            self._interrupt()
        return stop

    def _keep_good(self):
        """Copy the weights and optimizer state that a divergence falls back to."""
        self.last_good = {k: v.copy() for k, v in self.model.get_weights().items()}
        self.last_good_optimizer = self.optimizer.state_dict()

    def _diverged(self, what, epoch) -> DivergedError:
        self.folded = unfold(self.model, self.folded)
        return fall_back(self.model, self.optimizer, (self.last_good, self.last_good_optimizer), what, epoch)

    # ---- checkpoints -------------------------------------------------------------------
    def state_dict(self) -> tuple[dict, dict]:
        """(arrays, scalars): weights, optimizer state and loop position, to resume exactly."""
        arrays = {f"model.{k}": to_numpy(v) for k, v in self.model.get_weights().items()}
        opt_arrays, opt_scalars = self.optimizer.state_dict()
        arrays.update({f"optimizer.{k}": v for k, v in opt_arrays.items()})
        scalars = {"epoch": self.epoch, "batch": self.batch, "seed": self.seed, "sums": self.sums,
                   "optimizer": opt_scalars, "history": self.history.to_dict(), **self._extra_state()}
        if self.early_stopping is not None:
            stopper = self.early_stopping
            scalars["early_stopping"] = {"best": stopper.best, "best_epoch": stopper.best_epoch, "wait": stopper.wait}
            if stopper.best_weights is not None:
                arrays.update({f"best.{k}": to_numpy(v) for k, v in stopper.best_weights.items()})
        return arrays, scalars

    def load_state_dict(self, arrays, scalars):
        self.model.set_weights({k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
        optimizer_arrays = {k[10:]: v for k, v in arrays.items() if k.startswith("optimizer.")}
        self.optimizer.load_state_dict(optimizer_arrays, scalars["optimizer"])
        self.epoch, self.batch, self.seed = int(scalars["epoch"]), int(scalars["batch"]), int(scalars["seed"])
        self.sums = dict(scalars["sums"])
        self.history = History.from_dict(scalars["history"])
        self._load_extra_state(scalars)
        if self.early_stopping is not None and "early_stopping" in scalars:
            stopper, saved = self.early_stopping, scalars["early_stopping"]
            stopper.best, stopper.best_epoch = float(saved["best"]), int(saved["best_epoch"])
            stopper.wait = int(saved["wait"])
            best = {k[5:]: v.copy() for k, v in arrays.items() if k.startswith("best.")}
            stopper.best_weights = best or None

    def _extra_state(self) -> dict:
        """Loop-specific scalars saved with a checkpoint."""
        return {}

    def _load_extra_state(self, scalars):
        """Restore what ``_extra_state`` saved."""


class Trainer(EpochLoop):
    """Holds one training run's state so it can be stopped, saved and resumed exactly."""

    def __init__(self, model, X, y, *, sample_weight=None, convert=None, shuffle_block=None,
                 **settings):
        """``convert``: a ``BatchConverter`` when X holds raw rows (each batch is gathered and
        converted into reused buffers); None when X is already in the model's dtype.
        ``shuffle_block``: shuffle blocks of that many consecutive rows (``block_permutation``)."""
        super().__init__(model, **settings)
        self.X, self.target, self.weights = X, y, sample_weight
        self.convert = convert
        self.shuffle_block = None if shuffle_block is None else positive_int("shuffle_block",
                                                                             shuffle_block)

    @property
    def n(self) -> int:
        return len(self.X)

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def permutation(self, epoch):
        rng = np.random.default_rng([self.seed, 1, epoch])
        if self.shuffle_block:
            return block_permutation(self.n, self.shuffle_block, rng)
        return rng.permutation(self.n)

    def _seed_dropout(self, epoch):
        for i, layer in enumerate(self.model.layers):
            if isinstance(layer, Dropout):
                layer.rng = np.random.default_rng([self.seed, 2, epoch, i])

    def _prepare(self):
        model = self.model
        if not model.built:
            model.build(self.X.shape[1:], np.random.default_rng([self.seed, 0]))
        if model.device is not CPU:
            self._move_to(model.device)
        self.params = list(model.parameters())

    def _move_to(self, device):
        """Copy the training data, validation data and optimizer state to ``device`` once."""
        def move(a):
            return None if a is None else to_device(a, device)

        self.X, self.target, self.weights = move(self.X), move(self.target), move(self.weights)
        if self.validation is not None:
            self.validation = tuple(move(a) for a in self.validation)
        self.optimizer.to(device)

    def _run_epoch(self) -> bool:
        """Train one epoch (or its rest, after a resume). True when training should stop."""
        epoch, model = self.epoch, self.model
        self.optimizer.epoch = epoch
        if self.batch == 0:
            self._seed_dropout(epoch)
        for callback in self.callbacks:
            callback.on_epoch_begin(self, epoch)
        order = self.permutation(epoch)
        if model.device is not CPU:
            order = model.device.from_numpy(order)  # rows gathered on the device
        for batch in range(self.batch, self.batches_per_epoch):
            self._step(order[batch * self.batch_size : (batch + 1) * self.batch_size], epoch)
            self.batch = batch + 1
            logs = self._running_logs()
            if self.gradient_readers:
                self.folded = unfold(model, self.folded)
            for callback in self.callbacks:
                callback.on_batch_end(self, batch, logs)
            if self.stop_requested and self.batch < self.batches_per_epoch:
                self._interrupt()
        return self._finish_epoch(epoch)

    def _step(self, rows, epoch):
        model = self.model
        x = self.X[rows] if self.convert is None else self.convert.gather(self.X, rows)
        t = self.target[rows]
        w = self.weights[rows] if self.weights is not None else None
        loss, self.folded = gradient_step(model, self.optimizer, self.params, x, t, w, self.l2, self.n)
        if not math.isfinite(loss):
            raise self._diverged(f"The training loss became {loss}", epoch)
        self.sums["loss"] += loss * len(rows)
        self.sums["seen"] += len(rows)
        if model.task != "regression":
            self.sums["correct"] += int(namespace_of(t).count_nonzero(predicted_index(model, model.last_output) == t))

    def _interrupt(self):
        self.folded = unfold(self.model, self.folded)
        where = (f"after epoch {self.epoch}" if self.batch == 0
                 else f"in epoch {self.epoch + 1} after batch {self.batch}")
        raise TrainingInterrupted(f"Training stopped {where}.", epoch=self.epoch)

    # ---- checkpoints -------------------------------------------------------------------
    def _extra_state(self) -> dict:
        return {"dropout": {str(i): layer.rng.bit_generator.state for i, layer in enumerate(self.model.layers)
                            if isinstance(layer, Dropout)}}

    def _load_extra_state(self, scalars):
        for i, state in scalars.get("dropout", {}).items():
            self.model.layers[int(i)].rng.bit_generator.state = state

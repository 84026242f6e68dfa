"""The client side of parameter-averaging training: rounds, epochs, history, checkpoints.

``ClusterTrainer`` has the attributes and hooks of ``training.Trainer`` that callbacks,
progress bars and checkpoints use (``epochs``, ``epoch``, ``batch``, ``batches_per_epoch``,
``history``, ``request_stop``, ``state_dict``), so ``fit_with_checkpoints`` and the CLI work
unchanged. On a cluster a "batch" of the progress bar is one round (``sync_every`` steps on
every slot), and a checkpoint taken mid-epoch resumes at the next round.
"""

from __future__ import annotations

import time

from glassnet.distributed.sgd import (
    RoundPlan,
    RoundSpec,
    average,
    diverged,
    dropout_layers,
    dropout_streams,
    run_round,
)
from glassnet.errors import ConfigError, TrainingInterrupted
from glassnet.train.loop import EpochLoop, positive_int


class ClusterTrainer(EpochLoop):
    """One parameter-averaging run over ``shards`` (see ``cluster_sgd``)."""

    def __init__(self, client, model, shards, *, epochs, batch_size, optimizer, sync_every,
                 l2=0.0, seed=None, validation=None, early_stopping=None, callbacks=()):
        self.client, self.shards = client, shards
        self.sync_every = positive_int("sync_every", sync_every)
        super().__init__(model, epochs=epochs, batch_size=batch_size, optimizer=optimizer, l2=l2, seed=seed,
                         validation=validation, early_stopping=early_stopping, callbacks=callbacks,
                         slots=len(shards), sync_every=self.sync_every)
        self.plan = RoundPlan(shards.bounds, self.batch_size, self.sync_every)
        self.streams = None  # per-slot dropout generator states within the epoch
        self.rounds_run = 0
        # where the time goes, summed over rounds: wall clock on the client, compute of the
        # slowest slot on its worker, and averaging on the client (the rest is communication)
        self.timing = {"rounds": 0, "wall": 0.0, "compute": 0.0, "average": 0.0}

    @property
    def n(self) -> int:
        return self.shards.n

    @property
    def batches_per_epoch(self) -> int:
        return self.plan.rounds

    def _prepare(self):
        model = self.model  # built by the caller, from the same seed as ``Trainer``
        self.spec = RoundSpec(model.get_config(), tuple(model.input_shape), _fresh(self.optimizer),
                              self.l2, self.n, self.batch_size, self.seed)

    def _record_info(self):
        self.history.info["rounds"] = self.rounds_run
        self.history.info["timing"] = dict(self.timing)

    def _run_epoch(self) -> bool:
        epoch = self.epoch
        self.optimizer.epoch = epoch
        if self.batch == 0 or self.streams is None:
            layers = dropout_layers(self.model)
            self.streams = [dropout_streams(layers, self.seed, epoch, s) for s in range(len(self.shards))]
        for callback in self.callbacks:
            callback.on_epoch_begin(self, epoch)
        for round_index in range(self.batch, self.plan.rounds):
            self._round(epoch, round_index)
            self.batch = round_index + 1
            logs = self._running_logs()
            for callback in self.callbacks:
                callback.on_batch_end(self, round_index, logs)
            if self.stop_requested and self.batch < self.plan.rounds:
                self._interrupt()
        self.streams = None
        return self._finish_epoch(epoch)

    def _round(self, epoch, round_index):
        """Send θ to every slot with work left, run its steps there, average what comes back."""
        started = time.perf_counter()
        weights = self.model.get_weights()
        arrays, scalars = self.optimizer.state_dict()
        futures, slots = [], []
        for slot, first, count in self.plan.work(round_index):
            state = {"weights": weights, "optimizer": arrays, "iterations": scalars["iterations"],
                     "dropout": self.streams[slot]}
            futures.append(self.client.submit(
                run_round, self.spec, state, self.shards.futures[slot], self.shards.bounds[slot],
                epoch, first, count, workers=[self.shards.workers[slot]], allow_other_workers=True,
                pure=False, key=f"glassnet-round-{self.spec.token[:8]}-{epoch}-{round_index}-{slot}"))
            slots.append(slot)
        results = self.client.gather(futures)
        for result in results:
            if "diverged" in result:
                raise diverged(self.model, self.last_good, result["diverged"], epoch)
        averaging = time.perf_counter()
        self.model.set_weights(average(results, "weights"))
        self.optimizer.load_state_dict(average(results, "optimizer"),
                                       {"iterations": max(r["iterations"] for r in results), "epoch": epoch})
        done = time.perf_counter()
        self.timing["rounds"] += 1
        self.timing["wall"] += done - started
        self.timing["compute"] += max(r["seconds"] for r in results)
        self.timing["average"] += done - averaging
        for slot, result in zip(slots, results):
            self.streams[slot] = result["dropout"]
            self.sums["loss"] += result["loss"]
            self.sums["seen"] += result["seen"]
            self.sums["correct"] += result["correct"]
        self.rounds_run += 1

    def _interrupt(self):
        raise TrainingInterrupted(
            f"Training stopped in epoch {self.epoch + 1} after round {self.batch}.", epoch=self.epoch)

    # ---- checkpoints: the format of ``Trainer.state_dict`` plus the per-slot streams ----------
    def _extra_state(self) -> dict:
        return {"dropout": {}, "cluster": {"slots": len(self.shards), "sync_every": self.sync_every,
                                           "streams": self.streams if self.batch else None}}

    def load_state_dict(self, arrays, scalars):
        """Continue a checkpoint: any run at an epoch's end; mid-epoch only the same layout."""
        saved = scalars.get("cluster") or {}
        if int(scalars["batch"]) > 0 and (saved.get("slots") != len(self.shards)
                                          or saved.get("sync_every") != self.sync_every):
            raise ConfigError(
                f"This checkpoint stopped in the middle of epoch {int(scalars['epoch']) + 1}, "
                f"which only a run with the same slots and sync_every can continue (saved: "
                f"{saved.get('slots', 'single machine')} slots, sync_every {saved.get('sync_every', '-')}; "
                f"now {len(self.shards)}, {self.sync_every}). Resume with the same cluster size.")
        super().load_state_dict(arrays, scalars)

    def _load_extra_state(self, scalars):
        saved = scalars.get("cluster") or {}
        self.streams = saved.get("streams") if self.batch > 0 else None


def _fresh(optimizer):
    """The optimizer's settings without its state: what each round task starts from."""
    import copy

    fresh = copy.copy(optimizer)
    fresh.state, fresh.iterations = {}, 0
    return fresh

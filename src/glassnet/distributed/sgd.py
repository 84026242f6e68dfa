"""Data-parallel mini-batch training by periodic parameter averaging (local SGD).

S slots of rows, one per worker (``cluster_data``). A *round*, from the global parameters θ:

    every slot s, in parallel, on its own worker:
        θ_s ← θ;  run ``sync_every`` optimizer steps on its own mini-batches  → θ_s, m_s
    the client:
        θ ← Σ_s (m_s / M) θ_s        M = Σ_s m_s, m_s the samples slot s saw this round

Optimizer state (momentum's velocity v, Adam's moments m and v) is averaged the same way
and travels with θ; Adam's step count t is the steps each slot has taken (the largest).

Which mini-batches: in epoch e every slot draws the single-machine permutation of all n rows,
``default_rng([seed, 1, e]).permutation(n)`` (exactly ``Trainer.permutation``), and keeps the
rows that are its own, in that order; its batches are consecutive runs of ``batch_size``
of them. So with one slot (one worker) and ``sync_every=1`` the run walks exactly the batches
of ``Trainer``, takes exactly its steps, and ends with bit-identical weights. Dropout masks of
slot 0 come from the single-machine stream ``[seed, 2, e, layer]``; slot s > 0 uses
``[seed, 2, e, layer, s]``.

Each round is one task per slot, a pure function of (θ, optimizer state, the slot's rows,
seed, epoch, first step): when a worker dies mid-round, Dask runs the task again elsewhere
(recomputing the slot's rows from their lineage) and gets the same answer, so the run's
result does not change.

What travels per round: θ (and optimizer state) to each slot and back — 2·S·|θ| bytes for
plain SGD. With one worker and ``sync_every=1`` that is the cost of every single step; with
k steps per round it is shared by k steps (docs/scaling.md).
"""

from __future__ import annotations

import copy
import functools
import math
import threading
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from glassnet.errors import DivergedError
from glassnet.nn.layers import Dropout


@dataclass
class RoundSpec:
    """What every round task of one run shares (sent once per task, small)."""

    config: dict
    input_shape: tuple
    optimizer: object  # a fresh Optimizer (no state): copied on the worker
    l2: float
    n: int  # all training rows: the n of the L2 term (λ / 2n)‖W‖² and of the permutation
    batch_size: int
    seed: int
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


_local = threading.local()


def round_objects(spec: RoundSpec):
    """(network, optimizer, params) for this run, built once per worker thread."""
    cache = getattr(_local, "cache", None)
    if cache is None or cache[0] != spec.token:
        from glassnet.train.sequential import Sequential

        net = Sequential.from_config(spec.config)
        net.build(spec.input_shape, np.random.default_rng(0))
        optimizer = copy.deepcopy(spec.optimizer)
        cache = (spec.token, net, optimizer, list(net.parameters()))
        _local.cache = cache
    return cache[1:]


@functools.lru_cache(maxsize=4)
def slot_order(seed: int, epoch: int, n: int, a: int, b: int) -> np.ndarray:
    """Slot [a, b)'s rows (local indices) in the order of the epoch's global permutation."""
    order = np.random.default_rng([seed, 1, epoch]).permutation(n)
    if (a, b) != (0, n):
        order = order[(order >= a) & (order < b)] - a
    order.flags.writeable = False
    return order


def dropout_streams(n_layers_rngs, seed: int, epoch: int, slot: int) -> dict:
    """The dropout generator states slot ``slot`` starts epoch ``epoch`` with."""
    extra = [slot] if slot else []
    return {str(i): np.random.default_rng([seed, 2, epoch, i, *extra]).bit_generator.state
            for i in n_layers_rngs}


def run_round(spec: RoundSpec, state: dict, shard, bounds, epoch: int, first: int, count: int) -> dict:
    """On a worker: ``count`` optimizer steps of one slot from the global state. Pure."""
    from glassnet.train.loop import predicted_index
    from glassnet.train.step import gradient_step

    started = time.perf_counter()
    net, optimizer, params = round_objects(spec)
    net.set_weights(state["weights"])
    optimizer.load_state_dict(state["optimizer"], {"iterations": state["iterations"], "epoch": epoch})
    for i, rng_state in state["dropout"].items():
        net.layers[int(i)].rng.bit_generator.state = rng_state
    x, target, weights = shard
    order = slot_order(spec.seed, epoch, spec.n, *bounds)
    size, loss_sum, seen, correct = spec.batch_size, 0.0, 0, 0
    for batch in range(first, first + count):
        rows = order[batch * size : (batch + 1) * size]
        t = target[rows]
        loss, _ = gradient_step(net, optimizer, params, x[rows], t,
                                None if weights is None else weights[rows], spec.l2, spec.n)
        if not math.isfinite(loss):
            return {"diverged": loss}
        loss_sum += loss * len(rows)
        seen += len(rows)
        if net.task != "regression":
            correct += int(np.count_nonzero(predicted_index(net, net.last_output) == t))
    arrays, _ = optimizer.state_dict()
    return {
        "weights": {k: v.copy() for k, v in net.get_weights().items()},
        "optimizer": {k: v.copy() for k, v in arrays.items()},
        "iterations": optimizer.iterations,
        "dropout": {str(i): net.layers[int(i)].rng.bit_generator.state for i in state["dropout"]},
        "seen": seen, "loss": loss_sum, "correct": correct,
        "seconds": time.perf_counter() - started,  # compute on the worker, for the timing report
    }


def average(results: list[dict], key: str) -> dict:
    """Σ_s (m_s / M) θ_s for every array under ``key``, in float64, back in each dtype.
    One result is returned untouched (so one worker reproduces single-machine SGD exactly)."""
    if len(results) == 1:
        return results[0][key]
    total = sum(r["seen"] for r in results)
    averaged = {}
    for name, first in results[0][key].items():
        acc = np.zeros(first.shape, dtype=np.float64)
        for r in results:
            acc += (r["seen"] / total) * r[key][name]
        averaged[name] = acc.astype(first.dtype)
    return averaged


class RoundPlan:
    """How many steps each slot takes in an epoch, and in which round."""

    def __init__(self, bounds, batch_size: int, sync_every: int):
        self.steps = [math.ceil((b - a) / batch_size) for a, b in bounds]
        self.sync_every = sync_every
        self.rounds = math.ceil(max(self.steps) / sync_every)

    def work(self, round_index: int):
        """[(slot, first step, step count)] for the slots that still have batches."""
        first = round_index * self.sync_every
        return [(s, first, min(self.sync_every, steps - first))
                for s, steps in enumerate(self.steps) if steps > first]


def diverged(model, last_good, loss, epoch):
    model.set_weights(last_good)
    return DivergedError(
        f"The training loss became {loss} in epoch {epoch + 1} (on the cluster); the weights of "
        "the last good epoch were kept. Try a smaller learning rate or standardized inputs.",
        epoch=epoch,
    )


def dropout_layers(model) -> list[int]:
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, Dropout)]

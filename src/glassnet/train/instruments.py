"""Instruments: cheap readings of a network's health, taken once per epoch on a probe batch.

At the end of every epoch the ``Instruments`` callback runs one forward and one backward pass
on a fixed probe batch of (up to) 256 training rows — a few steps' worth of work against the
hundreds of steps of an epoch — and records, for every Dense layer,

* ‖∂J/∂W‖, the gradient norm on the probe batch (computed here with grad_scale 1, not taken
  from the last training step, whose grads carry the folded learning rate: ``train.step``);
* ‖ΔW‖/‖W‖, how far the epoch moved the weights relative to their size;
* for sigmoid and tanh layers, the share of saturated activations — σ(z) < 0.01 or > 0.99,
  where σ'(z) = σ(z)(1 − σ(z)) < 0.01 (for tanh: |tanh(z)| > 0.98, where 1 − tanh² < 0.04,
  the same point since tanh(z) = 2σ(2z) − 1);
* for ReLU layers, the share of dead units: z ≤ 0 for every row of the probe batch, so
  relu'(z) = 0 and no gradient reaches their weights.

The readings go to ``history.info["instruments"]`` (saved with checkpoints, so a resumed run
keeps them) together with the majority-class rate ("chance"); ``train.doctor`` reads them.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import to_numpy
from glassnet.nn.layers import Dense
from glassnet.train.progress import Callback

PROBE_ROWS = 256
SATURATION = 0.01  # σ(z) < 0.01 or > 0.99
TANH_SATURATION = 1.0 - 2 * SATURATION  # |tanh(z)| > 0.98 ⇔ σ(2z) < 0.01 or > 0.99


def probe_rows(n: int, seed: int, size: int = PROBE_ROWS) -> np.ndarray:
    """The fixed probe batch: ``size`` rows drawn once from the seed (sorted, for locality)."""
    rng = np.random.default_rng([int(seed), 3])
    return np.sort(rng.choice(n, size=min(n, size), replace=False))


def chance_rate(target) -> float:
    """The majority-class rate: the accuracy of always answering the most frequent class."""
    _, counts = np.unique(to_numpy(target).ravel(), return_counts=True)
    return float(counts.max() / counts.sum())


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _norm(a) -> float | None:
    return _number(np.linalg.norm(to_numpy(a).ravel().astype(np.float64)))


def unit_shares(layer) -> dict:
    """Saturated (sigmoid, tanh) or dead (ReLU family) shares of a hidden layer's probe output."""
    name, a = layer.activation.name, to_numpy(layer.a)
    if name == "sigmoid":
        return {"saturated": float(np.mean((a < SATURATION) | (a > 1 - SATURATION)))}
    if name == "tanh":
        return {"saturated": float(np.mean(np.abs(a) > TANH_SATURATION))}
    if name in ("relu", "leaky_relu"):
        return {"dead": float(np.mean(np.all(a <= 0, axis=0)))}
    return {}


def measure(model, x, target, previous=None) -> dict:
    """One reading on the probe batch (x preprocessed, target encoded); ``previous``: the
    weights at the last reading, for ‖ΔW‖/‖W‖."""
    kept = [{k: g.copy() for k, g in layer.grads.items()} for layer in model.layers]
    with np.errstate(all="ignore"):
        loss = model.loss_and_gradients(x, target, training=False)
        dense = [layer for layer in model.layers if isinstance(layer, Dense)]
        layers = []
        for number, layer in enumerate(dense, start=1):
            W = layer.params["W"]
            reading = {"layer": number, "units": layer.units, "size": int(W.size), "activation": layer.activation.name,
                       "grad_norm": _norm(layer.grads["W"]), "weight_norm": _norm(W)}
            key = f"layers.{model.layers.index(layer)}.W"
            if previous is not None and key in previous:
                before = _norm(previous[key])
                change = _norm(to_numpy(W) - to_numpy(previous[key]))
                reading["update_ratio"] = change / before if change is not None and before else None
            if layer is not dense[-1] and layer.a is not None:
                reading.update(unit_shares(layer))
            layers.append(reading)
    for layer, grads in zip(model.layers, kept):  # users still see the last step's ∂J/∂θ
        for k, g in grads.items():
            layer.grads[k][...] = g
    return {"probe_loss": _number(loss), "layers": layers}


class Instruments(Callback):
    """Takes a ``measure`` reading after every epoch (see the module docstring)."""

    reads_gradients = False

    def __init__(self, probe_size: int = PROBE_ROWS):
        self.probe_size = int(probe_size)
        self.x = self.target = self.previous = None

    def on_train_begin(self, trainer):
        if not hasattr(trainer, "X"):  # a cluster trainer holds no rows here
            return
        rows = probe_rows(trainer.n, trainer.seed, self.probe_size)
        self.x, self.target = trainer.X[rows], trainer.target[rows]
        info = trainer.history.info
        info.setdefault("instruments", [])
        if "chance" not in info and trainer.model.task != "regression":
            info["chance"] = chance_rate(trainer.target)
        self.previous = _copy(trainer.model)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.x is None:
            return
        reading = measure(trainer.model, self.x, self.target, self.previous)
        trainer.history.info["instruments"].append({"epoch": epoch + 1, **reading})
        self.previous = _copy(trainer.model)


def _copy(model) -> dict:
    return {k: v.copy() for k, v in model.get_weights().items() if k.endswith("W")}

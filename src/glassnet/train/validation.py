"""Scoring a model on already-checked rows during training: loss and accuracy per epoch.

Raw rows (uint8 pixels, a memory-mapped file) are converted and run ``CHUNK_ROWS`` at a time,
so the validation split never exists as one float array.
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import namespace_of
from glassnet.nn.batches import chunks


def predicted_index(model, out):
    if model.task == "binary":
        return (out[:, 0] > 0).astype(model.dtype)  # z > 0 ⇔ σ(z) > 0.5
    return namespace_of(out).argmax(out, axis=1)


def evaluate_encoded(model, X, target, prefix="", convert=None) -> dict:
    """Loss and accuracy of already-checked X and encoded targets, without touching grads.
    With ``convert`` X holds raw rows, converted and run in chunks (the loss weighted by rows)."""
    if convert is not None:
        return _evaluate_chunks(model, X, target, prefix, convert)
    out = model._forward_for_loss(X, training=False)
    loss, _ = model.loss.value_and_gradient(out, target)
    logs = {prefix + "loss": loss}
    if model.task != "regression":
        logs[prefix + "accuracy"] = float(namespace_of(out).mean(predicted_index(model, out) == target))
    return logs


def _evaluate_chunks(model, X, target, prefix, convert) -> dict:
    loss_sum, correct = 0.0, 0
    for start, stop in chunks(len(X)):
        out = model._forward_for_loss(convert.chunk(X, start, stop), training=False)
        t = target[start:stop]
        loss, _ = model.loss.value_and_gradient(out, t)
        loss_sum += loss * (stop - start)
        if model.task != "regression":
            correct += int(np.count_nonzero(predicted_index(model, out) == t))
    logs = {prefix + "loss": loss_sum / max(len(X), 1)}
    if model.task != "regression":
        logs[prefix + "accuracy"] = correct / max(len(X), 1)
    return logs

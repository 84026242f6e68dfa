"""One step of mini-batch gradient descent, and the learning-rate fold that makes it fast.

SGD and Momentum apply η·∂J/∂θ. Rather than multiply every weight gradient by η (one more pass
over each W), the step multiplies the small output gradient ∂L/∂z (batch × outputs) by s = η
before backpropagation, which then delivers s·∂J/∂θ directly (``Optimizer.grad_scale``).
Measured on one epoch of 784-128-10 on MNIST (benchmarks/bench_fold.py): the fold saves 4–7 %
at batch 64 and 0–3 % at batch 256 against an update through a scratch buffer that leaves the
gradients as they are.

The fold lives here and nowhere else. Until ``unfold`` runs, the layers' grads hold s·∂J/∂θ;
the training loops unfold before anything a user can see (a callback that reads gradients,
the end of an epoch, an interruption, a divergence), so ``layer.grads`` shows ∂J/∂θ to users.
"""

from __future__ import annotations

import math

from glassnet.errors import DivergedError


def gradient_step(model, optimizer, params, x, target, weights, l2, n) -> tuple[float, float]:
    """Forward, backward and update on one batch; returns (J, s): the batch's objective and
    the factor s the grads now carry. When J is not finite nothing is updated."""
    scale = optimizer.grad_scale()
    loss = model.loss_and_gradients(x, target, weights, l2, n, training=True, grad_scale=scale)
    if math.isfinite(loss):
        optimizer.step(params, scale)
    return loss, scale


def unfold(model, scale: float) -> float:
    """Divide every gradient by the folded s, so they hold ∂J/∂θ again; returns 1.0 (the new s)."""
    if scale != 1.0:
        inverse = 1.0 / scale
        for layer in model.layers:
            for g in layer.grads.values():
                g *= g.dtype.type(inverse)
    return 1.0


def weights_finite(model) -> bool:
    """True when every weight and bias is a finite number (checked once per epoch)."""
    return all(bool(model.xp.isfinite(theta).all()) for _, theta, _ in model.parameters())


def fall_back(model, optimizer, good, what, epoch) -> DivergedError:
    """Put back ``good`` = (weights, optimizer state) of the last good epoch, so that neither
    the model nor the optimizer (momentum, Adam's moments) keeps a non-finite number; returns
    the error to raise."""
    weights, state = good
    model.set_weights(weights)
    optimizer.load_state_dict(*state)
    optimizer.to(model.device)
    return DivergedError(f"{what} in epoch {epoch + 1}; the weights of the last good epoch were kept. "
                         "Try a smaller learning rate or standardized inputs.", epoch=epoch)

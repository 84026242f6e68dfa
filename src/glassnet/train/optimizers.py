"""Optimizers: how a gradient becomes a step. Each updates the parameters in place.

Notation: θ a parameter, g = ∂L/∂θ its gradient for this batch, η the learning rate.

* SGD        θ ← θ − η g
* Momentum   v ← μ v − η g;  θ ← θ + v            (Nesterov: θ ← θ + μ v − η g)
* Adam       m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − η m̂ / (√v̂ + ε)
             with m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ)

The learning rate is a number or a schedule (``schedules``: ``StepDecay``,
``ExponentialDecay``): a function of the epoch. L2 regularization is part of the loss
(see ``Sequential.fit(l2=…)``), so every optimizer sees it in g.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_device, namespace_of, to_device, to_numpy
from glassnet.errors import ConfigError, unknown_name
from glassnet.train.schedules import as_schedule


class Optimizer:
    """Base class: keeps per-parameter state in ``self.state[key][name]`` (key = 'layer_i.W')."""

    name = "optimizer"

    def __init__(self, lr=0.01):
        self.lr = as_schedule(lr)
        self.state: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}  # scratch space, not state
        self.iterations = 0
        self.epoch = 0

    def current_lr(self) -> float:
        return float(self.lr(self.epoch)) if callable(self.lr) else self.lr

    def grad_scale(self) -> float:
        """A factor s the training loop may fold into the loss gradient, so that backprop
        delivers s·g instead of g. SGD and Momentum ask for s = η: the learning rate then costs
        one multiply on the small output gradient instead of a pass over every weight."""
        return 1.0

    def step(self, params_and_grads, grad_scale=1.0):
        """Update every (key, θ, s·g) in place, s = ``grad_scale``; g may be overwritten."""
        self.iterations += 1
        lr = self.current_lr()
        for key, theta, g in params_and_grads:
            self.update(key, theta, g, lr, grad_scale)

    def update(self, key, theta, g, lr, grad_scale):
        raise NotImplementedError

    def scratch(self, key, like):
        """A reused work buffer shaped like ``like`` (not state: never saved in checkpoints)."""
        buffer = self.buffers.get(key)
        if buffer is None or buffer.shape != like.shape or buffer.dtype != like.dtype:
            buffer = self.buffers[key] = namespace_of(like).empty_like(like)
        return buffer

    def slot(self, key, like):
        if key not in self.state:
            self.state[key] = namespace_of(like).zeros_like(like)
        return self.state[key]

    def to(self, device):
        """Move the state arrays (velocities, moments) to ``device``; returns self."""
        device = get_device(device)
        self.state = {k: to_device(v, device) for k, v in self.state.items()}
        return self

    def get_config(self) -> dict:
        lr = self.lr.get_config() if hasattr(self.lr, "get_config") else self.lr
        return {"lr": lr}

    def state_dict(self) -> tuple[dict, dict]:
        """(arrays, scalars) — everything needed to resume exactly (arrays as NumPy)."""
        return {k: to_numpy(v) for k, v in self.state.items()}, {"iterations": self.iterations, "epoch": self.epoch}

    def load_state_dict(self, arrays, scalars):
        self.state = {k: np.array(v) for k, v in arrays.items()}
        self.iterations = int(scalars["iterations"])
        self.epoch = int(scalars["epoch"])

    def __repr__(self):
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Plain stochastic gradient descent: θ ← θ − η g."""

    name = "sgd"

    def grad_scale(self):
        return self.current_lr()

    def update(self, key, theta, g, lr, grad_scale):
        if lr != grad_scale:
            g *= theta.dtype.type(lr / grad_scale)  # now g holds η·∂J/∂θ
        theta -= g


class Momentum(Optimizer):
    """Gradient descent with momentum μ (a velocity that remembers past steps):
    v ← μ v − η g;  θ ← θ + v.  With ``nesterov=True`` the step looks ahead:
    θ ← θ + μ v − η g (the form Keras, PyTorch and scikit-learn use)."""

    name = "momentum"

    def __init__(self, lr=0.01, momentum=0.9, nesterov=False):
        super().__init__(lr)
        if not 0.0 <= float(momentum) < 1.0:
            raise ConfigError(f"Momentum: momentum must be in [0, 1). Got {momentum!r} instead.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def grad_scale(self):
        return self.current_lr()

    def update(self, key, theta, g, lr, grad_scale):
        v = self.slot(key, theta)
        mu = theta.dtype.type(self.momentum)
        if lr != grad_scale:
            g *= theta.dtype.type(lr / grad_scale)  # now g holds η·∂J/∂θ
        v *= mu
        v -= g
        if self.nesterov:
            theta += mu * v
            theta -= g
        else:
            theta += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): per-parameter step sizes from running averages of g and g²."""

    name = "adam"

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1 and self.epsilon > 0):
            raise ConfigError("Adam: need 0 ≤ beta1, beta2 < 1 and epsilon > 0.")

    def update(self, key, theta, g, lr, grad_scale):
        m = self.slot(key + ".m", theta)
        v = self.slot(key + ".v", theta)
        t = self.iterations
        dtype = theta.dtype.type
        m *= dtype(self.beta1)
        m += dtype(1 - self.beta1) * g
        g2 = self.scratch(key, g)
        namespace_of(g).multiply(g, g, out=g2)  # g² in a reused buffer: g itself stays ∂J/∂θ
        v *= dtype(self.beta2)
        v += dtype(1 - self.beta2) * g2
        step_size = lr * math.sqrt(1 - self.beta2**t) / (1 - self.beta1**t)
        denom = namespace_of(v).sqrt(v)
        denom += dtype(self.epsilon * math.sqrt(1 - self.beta2**t))
        theta -= dtype(step_size) * m / denom

    def get_config(self):
        return {
            **super().get_config(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
        }


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def get_optimizer(spec, **settings) -> Optimizer:
    """An optimizer from an instance, a name ('adam') plus settings, or a config dict."""
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, dict):
        settings = {**spec, **settings}
        spec = settings.pop("name", None)
    if not isinstance(spec, str) or spec.lower() not in OPTIMIZERS:
        raise unknown_name("optimizer", spec, OPTIMIZERS)
    return OPTIMIZERS[spec.lower()](**settings)

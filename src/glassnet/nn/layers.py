"""Layers: Flatten (the input layer), Dense (the weighted sum + activation), Dropout.

One contract for every layer:

* ``build(input_shape, dtype, rng)`` creates ``params`` from the input shape and returns
  the output shape (without the batch axis);
* ``forward(x, training)`` computes the output and keeps only what backward needs;
* ``backward(g, need_input_grad)`` takes g = ∂L/∂output, fills ``grads`` (same keys and
  shapes as ``params``) and returns ∂L/∂x (or None when nobody needs it);
* ``get_config()`` returns exactly the constructor arguments: ``type(layer)(**config)``
  rebuilds an unbuilt copy.

Layers never divide by the batch size: the loss averages once.

``to(device)`` moves ``params`` and ``grads`` to a device (``backend``) and keeps it in
``self.device``; ``self.xp`` is its array namespace (NumPy until then), so forward and backward
call ``self.xp.matmul`` and friends without inspecting any array.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import CPU, get_device, to_device
from glassnet.errors import ConfigError, DataError
from glassnet.limits import check_allocation
from glassnet.nn.activations import get_activation
from glassnet.nn.initializers import get_initializer


class Layer:
    formula = ""
    params: dict
    grads: dict
    device = CPU  # where params live; ``to`` changes it

    @property
    def xp(self):
        """The array namespace of the layer's device (numpy, cupy)."""
        return self.device.xp

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.input_shape = None
        self.output_shape = None

    @property
    def built(self) -> bool:
        return self.output_shape is not None

    def build(self, input_shape, dtype, rng):
        self.input_shape = tuple(input_shape)
        self.output_shape = self.input_shape
        return self.output_shape

    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def to(self, device):
        """Move params and grads to ``device`` ("cpu", "cuda", …); returns self."""
        device = get_device(device)
        self.params = {k: to_device(v, device) for k, v in self.params.items()}
        self.grads = {k: to_device(v, device) for k, v in self.grads.items()}
        self.device = device
        return self

    def get_config(self) -> dict:
        return {}

    def describe(self) -> str:
        return type(self).__name__

    def __repr__(self):
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"


class Flatten(Layer):
    """The input layer: unroll each image into a vector, x = vec(image).

    Shapes: in (batch, h, w) or (batch, h, w, c) or already (batch, d);
    out (batch, d) with d = h·w·c, pixels in row-major (C) order, channels last.
    It remembers ``input_shape`` so a vector (or a weight column) can be drawn as an image again.
    """

    formula = "x = vec(image)"

    def __init__(self, input_shape=None):
        super().__init__()
        self.image_shape = tuple(int(s) for s in input_shape) if input_shape is not None else None

    def build(self, input_shape, dtype, rng):
        shape = tuple(input_shape)
        if self.image_shape is None:
            self.image_shape = shape
        n_in = math.prod(self.image_shape)
        if shape not in (self.image_shape, (n_in,)):
            raise DataError(
                f"Flatten(input_shape={self.image_shape}): expected samples of shape "
                f"{self.image_shape} or ({n_in},), got {shape}."
            )
        self.input_shape = self.image_shape
        self.output_shape = (n_in,)
        return self.output_shape

    def forward(self, x, training=False):
        if x.ndim == 2 and x.shape[1] == self.output_shape[0]:
            return x
        if x.shape[1:] != self.image_shape:
            raise DataError(
                f"Flatten(input_shape={self.image_shape}): expected input of shape "
                f"(batch, {', '.join(map(str, self.image_shape))}), got {tuple(x.shape)}."
            )
        return x.reshape(len(x), -1)

    def backward(self, g, need_input_grad=True):
        return g.reshape((len(g),) + self.image_shape) if need_input_grad else None

    def get_config(self):
        return {"input_shape": list(self.image_shape) if self.image_shape else None}

    def describe(self):
        return f"Flatten {self.image_shape} → {self.output_shape[0] if self.built else '?'}"


class Dense(Layer):
    """The weighted sum and its activation: z = Wᵀx + b, a = f(z).

    Shapes: x (batch, n_in)  W (n_in, n_out)  b (n_out,)  z, a (batch, n_out).
    Column j of W is unit j's weight vector w_j, so z_j = w_jᵀx + b_j; a whole batch is
    Z = X·W + b in one matrix product.

    Backward, g = ∂L/∂a (batch, n_out), first through the activation: g_z = f'(z) ⊙ g, then
        ∂L/∂W = xᵀg_z    ∂L/∂b = Σ_batch g_z    ∂L/∂x = g_z Wᵀ
    """

    formula = "z = Wᵀx + b"

    def __init__(self, units, activation="identity", init="glorot_uniform", bias_init="zeros"):
        super().__init__()
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ConfigError(f"Dense: units must be a positive integer. Got {units!r} instead.")
        self.units = int(units)
        self.activation = get_activation(activation)
        self.init = init
        self.bias_init = bias_init
        get_initializer(init), get_initializer(bias_init)  # fail early on unknown names
        self.x = None
        self.a = None

    @property
    def n_in(self):
        return self.input_shape[0] if self.input_shape else None

    def build(self, input_shape, dtype, rng):
        if len(input_shape) != 1:
            raise DataError(
                f"Dense({self.units}): expected input of shape (batch, n_in), got (batch, "
                f"{', '.join(map(str, input_shape))}). Put Flatten() first."
            )
        self.input_shape = tuple(input_shape)
        self.output_shape = (self.units,)
        shape = (self.n_in, self.units)
        what = f"Dense({self.n_in:,} → {self.units:,}): W with its gradient"
        check_allocation(2 * self.n_in * self.units * np.dtype(dtype).itemsize, what)
        try:
            self.params = {
                "W": get_initializer(self.init)(shape, dtype, rng),
                "b": get_initializer(self.bias_init)((1, self.units), dtype, rng)[0].copy(),
            }
            self.grads = {"W": np.zeros_like(self.params["W"]), "b": np.zeros_like(self.params["b"])}
        except MemoryError:
            raise ConfigError(f"{what} does not fit in the memory free now. Use fewer units.") from None
        return self.output_shape

    def check_input(self, x):
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise DataError(
                f"Dense({self.n_in} → {self.units}): expected input of shape (batch, {self.n_in}), "
                f"got {tuple(x.shape)}." + (" Put Flatten() first." if x.ndim > 2 else "")
            )

    def weighted_sum(self, x):
        """Z = X·W + b, shape (batch, n_out)."""
        z = x @ self.params["W"]
        z += self.params["b"]
        return z

    def forward(self, x, training=False):
        self.check_input(x)
        self.x = x
        z = self.weighted_sum(x)
        self.a = self.activation.forward(z, out=z)
        return self.a

    def forward_logits(self, x, training=False):
        """z only: the output layer's activation is fused into the loss while training."""
        self.check_input(x)
        self.x = x
        self.a = None
        return self.weighted_sum(x)

    def backward(self, g, need_input_grad=True):
        return self.backward_logits(self.activation.backward(self.a, g), need_input_grad)

    def backward_logits(self, g, need_input_grad=True):
        """g = ∂L/∂z → fills grads W and b, returns ∂L/∂x."""
        self.xp.matmul(self.x.T, g, out=self.grads["W"])
        self.xp.sum(g, axis=0, out=self.grads["b"])
        self.x = None
        return g @ self.params["W"].T if need_input_grad else None

    def get_config(self):
        return {
            "units": self.units,
            "activation": self.activation.get_config()
            if len(self.activation.get_config()) > 1
            else self.activation.name,
            "init": self.init,
            "bias_init": self.bias_init,
        }

    def describe(self):
        return f"Dense {self.n_in if self.built else '?'} → {self.units}, {self.activation.name}"


class Dropout(Layer):
    """Inverted dropout: while training, each value is kept with probability 1 − rate and
    scaled by 1 / (1 − rate), so nothing changes at prediction time (then it is the identity).

    Shapes: x, out (batch, n). Backward: ∂L/∂x = g ⊙ mask (the same scaled mask).
    The random mask comes from ``self.rng``, which the training loop sets from the seed.
    """

    formula = "a = x ⊙ m / (1 − p), m_i ~ Bernoulli(1 − p)"

    def __init__(self, rate=0.5):
        super().__init__()
        if not 0.0 <= float(rate) < 1.0:
            raise ConfigError(f"Dropout: rate must be in [0, 1). Got {rate!r} instead.")
        self.rate = float(rate)
        self.rng = np.random.default_rng(0)
        self.mask = None

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        mask = (self.rng.random(x.shape, dtype=np.float64) < keep).astype(x.dtype)
        mask /= x.dtype.type(keep)
        # drawn on the CPU from the seeded generator, so every device drops the same units
        self.mask = mask if self.xp is np else self.device.from_numpy(mask)
        return x * self.mask

    def backward(self, g, need_input_grad=True):
        if not need_input_grad:
            return None
        return g if self.mask is None else g * self.mask

    def get_config(self):
        return {"rate": self.rate}

    def describe(self):
        return f"Dropout p={self.rate:g}"


LAYERS = {cls.__name__: cls for cls in (Flatten, Dense, Dropout)}


def layer_from_config(kind: str, config: dict) -> Layer:
    if kind not in LAYERS:
        from glassnet.errors import unknown_name

        raise unknown_name("layer", kind, LAYERS)
    return LAYERS[kind](**config)

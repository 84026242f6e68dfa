"""Weight initializers: how W is filled before the first step.

Every initializer takes the weight shape (n_in, n_out), a dtype and an explicit
``np.random.Generator`` (never the global RNG), and returns a new array.

* ``zeros``          W = 0. Fine for biases and for logistic regression, fatal for hidden
                     layers: every hidden unit computes the same z, gets the same gradient and
                     stays identical forever (the symmetry is never broken).
* ``normal``         W ~ N(0, 0.01²): small random numbers, the classic recipe.
* ``glorot_uniform`` W ~ U(−L, L), L = √(6 / (n_in + n_out))  (Glorot & Bengio, 2010);
                     keeps the variance of z and of the gradients roughly constant per layer.
* ``glorot_normal``  W ~ N(0, 2 / (n_in + n_out)).
* ``he_normal``      W ~ N(0, 2 / n_in)  (He et al., 2015), made for ReLU layers.
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import unknown_name


def zeros(shape, dtype, rng):
    return np.zeros(shape, dtype=dtype)


def normal(shape, dtype, rng, std=0.01):
    return (rng.standard_normal(shape) * std).astype(dtype)


def glorot_uniform(shape, dtype, rng):
    n_in, n_out = shape
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def glorot_normal(shape, dtype, rng):
    n_in, n_out = shape
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (n_in + n_out))).astype(dtype)


def he_normal(shape, dtype, rng):
    n_in = shape[0]
    return (rng.standard_normal(shape) * np.sqrt(2.0 / n_in)).astype(dtype)


INITIALIZERS = {
    "zeros": zeros,
    "normal": normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_normal": he_normal,
}


def get_initializer(name: str):
    """The initializer function called ``name`` (a closed table with a helpful error)."""
    if not isinstance(name, str) or name.lower() not in INITIALIZERS:
        raise unknown_name("initializer", name, INITIALIZERS)
    return INITIALIZERS[name.lower()]

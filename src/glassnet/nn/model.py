"""Network: a stack of layers — forward, backward (backpropagation), predict.

``glassnet.Sequential`` is this network plus ``fit`` (``glassnet.train.sequential``).

The output layer decides the task and the loss (the fused pairs of ``losses``):

    Dense(1, "sigmoid")   two classes    binary cross-entropy
    Dense(k, "softmax")   k classes      categorical cross-entropy
    Dense(m, "identity")  regression     mean squared error (any other output: MSE on a)

The training objective over n samples, with L2 strength λ on the weights (not the biases), is

    J = (1/n) Σ_i s_i ℓ_i  +  (λ / 2n) Σ_layers ‖W‖²

which is scikit-learn's convention with λ = 1/C and Nielsen's with λ as in his book.

Where it runs: ``model.to("cuda")`` moves every weight to a GPU (CuPy) and the same math runs
there (``backend``); ``model.to("cpu")`` moves it back.
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import CPU, device_of, get_device, namespace_of, to_device, to_numpy
from glassnet.errors import ConfigError, DataError, NotFittedError
from glassnet.nn.inputs import check_X, encode_labels, forward_rows
from glassnet.nn.layers import Dense, Dropout, Flatten, Layer, layer_from_config
from glassnet.nn.losses import LOSS_FOR_OUTPUT, get_loss

DTYPES = {"float32": np.float32, "float64": np.float64}


class Network:
    """Layers applied one after the other: a = f_L(… f_2(f_1(x))).

    Parameters
    ----------
    layers : list of Layer — usually Flatten, then Dense (and Dropout) layers.
    dtype : "float32" (default) or "float64".
    """

    def __init__(self, layers, dtype="float32"):
        self.layers: list[Layer] = list(layers)
        if not self.layers or not all(isinstance(layer, Layer) for layer in self.layers):
            raise ConfigError("Sequential needs a non-empty list of layers (Flatten, Dense, …).")
        if not any(isinstance(layer, Dense) for layer in self.layers):
            raise ConfigError("Sequential needs at least one Dense layer to compute anything.")
        if str(np.dtype(dtype)) not in DTYPES:
            raise ConfigError(f"dtype must be 'float32' or 'float64'. Got {dtype!r} instead.")
        self.dtype = np.dtype(dtype)
        self.classes_ = None
        self.preprocessor = None  # applied to raw inputs by fit/predict when set
        self.history = None
        self.meta: dict = {}  # free-form facts saved with the model (training summary, …)
        self.last_output = None  # the output (z or a) of the last training forward pass
        self._loss = None
        self._output_index = None
        self._first_trainable = None
        self.device = CPU  # where the weights live: see ``to``

    # ---- structure -------------------------------------------------------------------
    @property
    def output_layer(self) -> Dense:
        return self.layers[self.output_index]

    @property
    def output_index(self) -> int:
        """Position of the last Dense layer, whose activation pairs with the loss."""
        if self._output_index is None:
            self._output_index = max(i for i, layer in enumerate(self.layers) if isinstance(layer, Dense))
        return self._output_index

    @property
    def task(self) -> str:
        name = self.output_layer.activation.name
        if name == "sigmoid" and self.output_layer.units == 1:
            return "binary"
        if name == "softmax":
            return "multiclass"
        return "regression"

    @property
    def first_trainable_index(self) -> int:
        """Position of the first layer with weights: backprop needs no ∂L/∂x below it."""
        if self._first_trainable is None:
            self._first_trainable = min(i for i, layer in enumerate(self.layers) if isinstance(layer, Dense))
        return self._first_trainable

    @property
    def loss(self):
        name = LOSS_FOR_OUTPUT.get(self.output_layer.activation.name, "mse")
        if self._loss is None or self._loss.name != name:
            self._loss = get_loss(name)
        return self._loss

    @property
    def built(self) -> bool:
        return all(layer.built for layer in self.layers)

    @property
    def input_shape(self):
        return self.layers[0].input_shape

    @property
    def image_shape(self):
        first = self.layers[0]
        return first.image_shape if isinstance(first, Flatten) else None

    @property
    def n_features(self) -> int:
        return int(np.prod(self.input_shape))

    def build(self, input_shape, rng):
        """Create every layer's weights from the shape of one sample."""
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.build(shape, self.dtype, rng)
            if self.device is not CPU:
                layer.to(self.device)  # weights are drawn on the CPU: the same on every device
        return self

    def to(self, device) -> Network:
        """Run on ``device``: "cpu" (NumPy) or "cuda" (CuPy; imported only here). Moves every
        weight and gradient; an unbuilt model moves when it is built. Returns self."""
        device = get_device(device)
        for layer in self.layers:
            layer.to(device)
        self.device = device
        return self

    @property
    def xp(self):
        """The array namespace of the model's device: numpy, or cupy after ``to("cuda")``."""
        return self.device.xp

    def parameters(self):
        """(key, θ, g) for every parameter, key like 'layers.1.W' — what optimizers update."""
        for i, layer in enumerate(self.layers):
            for name, theta in layer.params.items():
                yield f"layers.{i}.{name}", theta, layer.grads[name]

    def get_weights(self) -> dict:
        return {key: theta for key, theta, _ in self.parameters()}

    def set_weights(self, weights: dict):
        for key, theta, _ in self.parameters():
            if key not in weights:
                raise DataError(f"set_weights: missing {key!r}.")
            value = weights[key]
            value = np.asarray(value) if device_of(value) is CPU else value
            if value.shape != theta.shape:
                raise DataError(
                    f"set_weights: {key} must have shape {theta.shape}, got {value.shape}."
                )
            theta[...] = to_device(value, self.device)

    def n_params(self) -> int:
        return sum(layer.n_params() for layer in self.layers)

    def get_config(self) -> dict:
        return {
            "dtype": str(self.dtype),
            "layers": [
                {"type": type(layer).__name__, "config": layer.get_config()}
                for layer in self.layers
            ],
        }

    @classmethod
    def from_config(cls, config: dict) -> Network:
        layers = [layer_from_config(item["type"], item["config"]) for item in config["layers"]]
        return cls(layers, dtype=config.get("dtype", "float32"))

    # ---- the math ----------------------------------------------------------------------
    def forward(self, X, training=False):
        """a of the output layer for a batch X (already preprocessed, in the model's dtype)."""
        a = X
        for layer in self.layers:
            a = layer.forward(a, training)
        return a

    def _forward_for_loss(self, X, training):
        a = X
        last = self.output_index
        for layer in self.layers[:last]:
            a = layer.forward(a, training)
        output = self.layers[last]
        if self.loss.from_logits:
            a = output.forward_logits(a, training)
        else:
            a = output.forward(a, training)
        for layer in self.layers[last + 1 :]:
            a = layer.forward(a, training)
        return a

    def _backward(self, g):
        """Backpropagation: hand g = ∂L/∂(output) down the layers, each filling its grads."""
        first_with_params = self.first_trainable_index
        last, fused = self.output_index, self.loss.from_logits
        for i in range(len(self.layers) - 1, first_with_params - 1, -1):
            layer = self.layers[i]
            need = i > first_with_params
            if i == last and fused:
                g = layer.backward_logits(g, need)
            else:
                g = layer.backward(g, need)

    def loss_and_gradients(self, X, target, weights=None, l2=0.0, n_total=None, training=False,
                           grad_scale=1.0):
        """One forward and backward pass. Returns J for this batch; fills every layer's grads.

        ``target`` is already encoded (class indices, 0/1 column or values); ``n_total`` is the
        training-set size n in the L2 term (λ / 2n) ‖W‖² (the batch size when None).
        ``grad_scale`` s multiplies every gradient (applied once, to the small ∂L/∂output);
        the training step uses it to fold the learning rate in (``glassnet.train.step``).
        """
        out = self._forward_for_loss(X, training)
        value, g = self.loss.value_and_gradient(out, target, weights)
        self.last_output = out
        if grad_scale != 1.0:
            g *= g.dtype.type(grad_scale)
        self._backward(g)
        if l2:
            coef = l2 / (n_total or len(X))  # J += (λ / 2n) ‖W‖², so ∂J/∂W += (λ / n) W
            for layer in self.layers:
                if "W" in layer.params:
                    W = layer.params["W"]
                    value += 0.5 * coef * float(self.xp.vdot(W, W))
                    layer.grads["W"] += W.dtype.type(grad_scale * coef) * W
        return value

    def objective(self, X, target, weights=None, l2=0.0, n_total=None) -> float:
        """J for a batch, forward only (what gradient checking differentiates numerically)."""
        value = self.loss.value(self._forward_for_loss(X, training=False), target, weights)
        return value + (self.l2_penalty(l2, n_total or len(X)) if l2 else 0.0)

    def l2_penalty(self, l2, n_total) -> float:
        squares = sum(float(self.xp.vdot(W, W)) for key, W in self.get_weights().items() if key.endswith("W"))
        return 0.5 * l2 / n_total * squares

    # ---- inputs and labels (the checks live in ``inputs``) ------------------------------
    def check_X(self, X, name="X", *, on_host=False) -> np.ndarray:
        """X as a C-contiguous array of the model's dtype, shape (n, n_features), all finite,
        on the model's device (``on_host=True``: a NumPy array wherever the model is)."""
        return check_X(self, X, name, on_host=on_host)

    def encode_labels(self, y, classes=None):
        """Original labels → the loss's targets; sets ``classes_`` on first use."""
        return encode_labels(self, y, classes)

    # ---- prediction --------------------------------------------------------------------
    def _check_fitted(self):
        if not self.built:
            raise NotFittedError("This model has no weights yet: call fit() or load a trained model.")

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) class probabilities (binary: [1 − p, p]), on X's device."""
        self._check_fitted()
        if self.task == "regression":
            raise ConfigError("predict_proba needs a sigmoid or softmax output layer; use predict().")
        p = forward_rows(self, X)
        if self.task == "binary":
            p = self.xp.hstack([1 - p, p])
        return p if self.device is CPU else self._like_input(p, X)

    def _like_input(self, values, X):
        """Results of a device model go back to where X came from (NumPy in, NumPy out)."""
        return to_device(values, device_of(X))

    def predict(self, X) -> np.ndarray:
        """Class labels (the original label values), or values for a regression network.
        Labels are NumPy arrays on every device (they may be strings)."""
        self._check_fitted()
        if self.task == "regression":
            out = forward_rows(self, X)
            out = out[:, 0] if out.shape[1] == 1 else out
            return out if self.device is CPU else self._like_input(out, X)
        proba = self.predict_proba(X)
        return self.classes_[to_numpy(namespace_of(proba).argmax(proba, axis=1))]

    def score(self, X, y) -> float:
        """Accuracy: the fraction of samples whose predicted label equals y."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def summary(self) -> str:
        """A table: each layer, its output shape, its parameter count and its formula."""
        rows = [("layer", "output shape", "params", "computes")]
        for layer in self.layers:
            shape = "(batch, " + ", ".join(map(str, layer.output_shape or ("?",))) + ")"
            formula = layer.formula
            if isinstance(layer, Dense):
                formula = f"{layer.formula}, a = {layer.activation.name}(z)"
            rows.append((layer.describe(), shape, f"{layer.n_params():,}", formula))
        widths = [max(len(row[k]) for row in rows) for k in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"Total parameters: {self.n_params():,}  (dtype {self.dtype})")
        return "\n".join(lines)

    def __repr__(self):
        inner = ",\n    ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n    {inner},\n])"


def network_text(model) -> str:
    """``64 → 32 sigmoid → 10 softmax``: input size, then each Dense layer's units."""
    parts = [str(model.n_features) if model.built else "?"]
    for layer in model.layers:
        if isinstance(layer, Dense):
            parts.append(f"{layer.units} {layer.activation.name}")
        elif isinstance(layer, Dropout):
            parts.append(f"dropout {layer.rate:g}")
    return " → ".join(parts)

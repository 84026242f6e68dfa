"""Export a trained network as a standard ONNX graph, to run it anywhere ONNX runs.

    glassnet.onnx.export(model, "digits.onnx")        # or: glassnet export MODEL --onnx OUT.onnx

The graph is the network's own equations, one standard operator each (opset 17 by default):

    input        "input", float32 (N, d), N any batch size; an image is flattened row-major
                 (channels last) first, exactly as ``Flatten`` does: x = image.reshape(N, -1)
    preprocessing  Div(x, v) for 'scale' (x / v);  Sub(x, mean) → Div(·, std) for 'standardize'
    Dense        Gemm: z = x·W + b     (W (n_in, n_out) and b stored as ``layers.{i}.W/b``)
    activation   Sigmoid | Tanh | Relu | LeakyRelu(alpha) | Softmax(axis=-1) | (identity: none)
    Dropout      nothing (it is the identity at prediction time)

Outputs: a classifier gives "probabilities" float32 (N, k) — two classes as [1 − p, p], like
``predict_proba`` — and "label" (N,), the class value (int64, double or string) of the most
probable class. A regression network gives "predictions" float32 (N, m). The model's metadata holds
``classes`` (JSON list), ``task``, ``input_shape`` (JSON, e.g. [28, 28]), ``preprocessing``
and ``glassnet_version``. A float64 network is exported in float32.

Needs the ``onnx`` package (``pip install 'glassnet[onnx]'``); ``onnx.checker`` validates the
graph before it is written (atomically).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from glassnet.errors import ConfigError, ModelFileError, NotFittedError
from glassnet.nn.layers import Dense, Dropout, Flatten
from glassnet.train.sequential import network_of

DEFAULT_OPSET = 17
IR_VERSION = 8  # the oldest IR that carries opset 17: loads in any runtime that supports it
OPERATORS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "leaky_relu": "LeakyRelu", "softmax": "Softmax"}


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ConfigError("ONNX export needs the 'onnx' package: pip install 'glassnet[onnx]'.") from None
    return onnx


class _Graph:
    """Collects nodes and constant tensors; every tensor name is unique."""

    def __init__(self, onnx):
        self.onnx, self.nodes, self.constants = onnx, [], []

    def constant(self, name, value):
        value = np.asarray(value)
        self.constants.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def node(self, op, inputs, output, **attributes):
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output, **attributes))
        return output


def _preprocessing(graph, pre, x):
    """Div / Sub nodes repeating ``Preprocessor.transform`` in float32."""
    kind = getattr(pre, "kind", None)
    if pre is None or kind == "none":
        return x
    if kind == "scale" and getattr(pre, "divisor_", None):
        return graph.node("Div", [x, graph.constant("preprocessing.divisor", np.float32(pre.divisor_))], "scaled")
    if kind == "standardize" and getattr(pre, "mean_", None) is not None:
        mean = graph.constant("preprocessing.mean", np.asarray(pre.mean_, dtype=np.float32))
        std = graph.constant("preprocessing.std", np.asarray(pre.std_, dtype=np.float32))
        return graph.node("Div", [graph.node("Sub", [x, mean], "centered"), std], "standardized")
    raise ConfigError(f"Cannot export the preprocessing {pre!r}: only fitted 'scale', "
                      "'standardize' and 'none' have ONNX equivalents.")


def _layers(graph, network, a):
    """One Gemm (+ activation) per Dense layer; Flatten and Dropout need no node."""
    for i, layer in enumerate(network.layers):
        if isinstance(layer, (Flatten, Dropout)):
            continue
        if not isinstance(layer, Dense):
            raise ConfigError(f"Cannot export layer {i} ({type(layer).__name__}): no ONNX equivalent.")
        W = graph.constant(f"layers.{i}.W", layer.params["W"].astype(np.float32))
        b = graph.constant(f"layers.{i}.b", layer.params["b"].astype(np.float32))
        a = graph.node("Gemm", [a, W, b], f"layers.{i}.z")
        name = layer.activation.name
        if name == "leaky_relu":
            a = graph.node("LeakyRelu", [a], f"layers.{i}.a", alpha=layer.activation.negative_slope)
        elif name == "softmax":
            a = graph.node("Softmax", [a], f"layers.{i}.a", axis=-1)
        elif name != "identity":
            a = graph.node(OPERATORS[name], [a], f"layers.{i}.a")
    return a


def _outputs(graph, network, a, n_samples):
    """(output value infos) for the task; renames the last tensor to the public names."""
    helper, FLOAT = graph.onnx.helper, graph.onnx.TensorProto.FLOAT
    if network.task == "regression":
        graph.node("Identity", [a], "predictions")
        return [helper.make_tensor_value_info("predictions", FLOAT, [n_samples, network.output_layer.units])]
    if network.task == "binary":
        one = graph.constant("one", np.float32(1.0))
        a = graph.node("Concat", [graph.node("Sub", [one, a], "p0"), a], "probabilities", axis=1)
    else:
        a = graph.node("Identity", [a], "probabilities")
    index = graph.node("ArgMax", [a], "label_index", axis=1, keepdims=0)
    classes = np.asarray(network.classes_)
    if classes.dtype.kind in "iub":
        values, kind = classes.astype(np.int64), graph.onnx.TensorProto.INT64
    elif classes.dtype.kind == "f":
        values, kind = classes.astype(np.float64), graph.onnx.TensorProto.DOUBLE
    else:
        values, kind = np.array([str(c) for c in classes], dtype=object), graph.onnx.TensorProto.STRING
    graph.node("Gather", [graph.constant("classes", values), index], "label", axis=0)
    k = len(classes)
    return [helper.make_tensor_value_info("probabilities", FLOAT, [n_samples, k]),
            helper.make_tensor_value_info("label", kind, [n_samples])]


def _metadata(network) -> dict[str, str]:
    from glassnet.version import __version__

    classes = None if network.classes_ is None else [c.item() if isinstance(c, np.generic) else c
                                                    for c in np.asarray(network.classes_)]
    pre = network.preprocessor
    return {
        "classes": json.dumps(classes),
        "task": network.task,
        "input_shape": json.dumps([int(s) for s in network.input_shape]),
        "preprocessing": "none" if pre is None else pre.describe(),
        "glassnet_version": __version__,
    }


def to_onnx(model, *, opset: int = DEFAULT_OPSET):
    """The ``onnx.ModelProto`` of a fitted ``Sequential`` or glassnet estimator, checked."""
    onnx = _onnx()
    if not isinstance(opset, int) or opset < DEFAULT_OPSET:
        raise ConfigError(f"opset must be an integer ≥ {DEFAULT_OPSET}. Got {opset!r} instead.")
    network = network_of(model, "export")
    if network.task != "regression" and network.classes_ is None:
        raise NotFittedError("The classifier has no classes yet: fit it before exporting.")
    graph = _Graph(onnx)
    n_samples = "N"
    x = "input"
    a = _layers(graph, network, _preprocessing(graph, network.preprocessor, x))
    outputs = _outputs(graph, network, a, n_samples)
    inputs = [onnx.helper.make_tensor_value_info(x, onnx.TensorProto.FLOAT, [n_samples, network.n_features])]
    body = onnx.helper.make_graph(graph.nodes, "glassnet", inputs, outputs, initializer=graph.constants,
                                  doc_string=network.summary())
    proto = onnx.helper.make_model(body, producer_name="glassnet", ir_version=IR_VERSION,
                                   opset_imports=[onnx.helper.make_opsetid("", opset)])
    from glassnet.version import __version__

    proto.producer_version = __version__
    onnx.helper.set_model_props(proto, _metadata(network))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export(model, path, *, opset: int = DEFAULT_OPSET) -> Path:
    """Write ``model`` as an ONNX file at ``path`` (atomically); returns the path."""
    from glassnet.files.atomic import atomic_write_bytes

    proto = to_onnx(model, opset=opset)
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder; give a file name for the ONNX model, e.g. {path / 'model.onnx'}.")
    try:
        return atomic_write_bytes(path, proto.SerializeToString())
    except OSError as e:
        raise ModelFileError(f"Cannot write {path}: {e.strerror or e}.") from None

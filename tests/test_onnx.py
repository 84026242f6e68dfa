"""ONNX export: the exported graph, run in onnxruntime, predicts what glassnet predicts."""

import json

import numpy as np
import pytest

import glassnet as gn
from cli_run import assert_error, glassnet
from glassnet.data.preprocess import Preprocessor
from glassnet.files import io
from glassnet.onnx import export, to_onnx
from glassnet.sklearn import GlassNetClassifier, GlassNetRegressor

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

HIDDEN = ["sigmoid", "tanh", "relu", {"name": "leaky_relu", "negative_slope": 0.2}, "identity"]
TASKS = {"binary": (1, "sigmoid"), "multiclass": (4, "softmax"), "regression": (2, "identity")}
STANDARD_OPS = {"Gemm", "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Softmax", "Sub", "Div", "Concat",
                "ArgMax", "Gather", "Identity"}
IMAGE = (4, 5)


def session(proto):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])


def network(hidden, task, depth, dropout, preprocessing, rng, dtype="float32"):
    """A trained-for-one-epoch network with random biases, on raw data it preprocesses itself."""
    units, output = TASKS[task]
    layers = [gn.Flatten(input_shape=IMAGE)]
    for width in (7, 6)[: depth - 1]:
        layers.append(gn.Dense(width, hidden))
        if dropout:
            layers.append(gn.Dropout(0.5))
    model = gn.Sequential([*layers, gn.Dense(units, output)], dtype=dtype)
    X = rng.integers(0, 256, (1000, *IMAGE)).astype(np.float32) if preprocessing else rng.normal(0, 3, (1000, *IMAGE))
    if preprocessing:
        model.preprocessor = Preprocessor(preprocessing).fit(X)
    y = {"binary": rng.choice(["cat", "dog"], 1000), "multiclass": rng.integers(0, 4, 1000) * 10,
         "regression": rng.normal(size=(1000, 2))}[task]
    model.fit(X, y, epochs=1, batch_size=100, seed=0, verbose=0)
    for layer in model.layers:
        if isinstance(layer, gn.Dense):
            layer.params["b"][...] = rng.normal(0, 1, layer.units)
    return model, X


def assert_same_predictions(model, proto, X, atol=1e-5):
    run = session(proto)
    assert [i.name for i in run.get_inputs()] == ["input"]
    for batch in (X[:1], X[:1000]):
        rows = batch.reshape(len(batch), -1).astype(np.float32)
        outputs = dict(zip([o.name for o in run.get_outputs()], run.run(None, {"input": rows})))
        if model.task == "regression":
            expected = model.predict(batch).reshape(len(batch), -1)
            np.testing.assert_allclose(outputs["predictions"], expected, rtol=0, atol=atol)
        else:
            assert outputs["probabilities"].dtype == np.float32
            np.testing.assert_allclose(outputs["probabilities"], model.predict_proba(batch), rtol=0, atol=atol)
            assert outputs["label"].shape == (len(batch),)
            assert list(outputs["label"]) == list(model.predict(batch))


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: h if isinstance(h, str) else h["name"])
def test_every_architecture_matches_predict_proba(hidden, task, rng):
    for depth in (1, 2, 3):
        for dropout in (False, True):
            for preprocessing in (None, "scale", "standardize"):
                model, X = network(hidden, task, depth, dropout, preprocessing, rng)
                assert_same_predictions(model, to_onnx(model), X)


def test_float64_networks_export_in_float32(rng):
    model, X = network("tanh", "multiclass", 3, False, "standardize", rng, dtype="float64")
    proto = to_onnx(model)
    assert {t.data_type for t in proto.graph.initializer if t.name.startswith("layers.")} == {onnx.TensorProto.FLOAT}
    assert_same_predictions(model, proto, X)


def test_other_output_activations_export_as_regression(rng):
    """A relu output, or several sigmoid units, trains with MSE: exported as "predictions"."""
    for output in (gn.Dense(3, "relu"), gn.Dense(3, "sigmoid")):
        model = gn.Sequential([gn.Flatten(input_shape=(6,)), gn.Dense(5, "tanh"), output])
        X = rng.normal(size=(1000, 6))
        model.fit(X, rng.random((1000, 3)), epochs=1, seed=0, verbose=0)
        assert_same_predictions(model, to_onnx(model), X)


def test_scikit_learn_estimators_and_logistic_regression_export(rng):
    X = rng.normal(size=(1000, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    for estimator in (GlassNetClassifier((8, 8), "relu", max_iter=3, random_state=0).fit(X, y),
                      GlassNetRegressor((8,), max_iter=3, random_state=0).fit(X, X[:, :2]),
                      gn.LogisticRegression().fit(X, y > 0), gn.LogisticRegression().fit(X, y)):
        run = session(to_onnx(estimator))
        outputs = run.run(None, {"input": X.astype(np.float32)})
        expected = estimator.predict(X) if isinstance(estimator, GlassNetRegressor) else estimator.predict_proba(X)
        np.testing.assert_allclose(outputs[0], expected, rtol=0, atol=1e-5)


def test_graph_is_standard_checked_and_described(rng):
    model, _ = network("sigmoid", "binary", 2, True, "scale", rng)
    proto = to_onnx(model)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].domain == "" and proto.opset_import[0].version >= 17
    assert {node.op_type for node in proto.graph.node} <= STANDARD_OPS
    assert [node.op_type for node in proto.graph.node][:3] == ["Div", "Gemm", "Sigmoid"]
    batch, features = proto.graph.input[0].type.tensor_type.shape.dim
    assert batch.dim_param == "N" and features.dim_value == 20  # dynamic batch, flat rows
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["classes"]) == ["cat", "dog"] and meta["task"] == "binary"
    assert json.loads(meta["input_shape"]) == list(IMAGE) and meta["glassnet_version"] == gn.__version__
    assert meta["preprocessing"] == "x / 255"
    integers = network("relu", "multiclass", 1, False, None, rng)[0]
    assert json.loads({p.key: p.value for p in to_onnx(integers).metadata_props}["classes"]) == [0, 10, 20, 30]


@pytest.mark.parametrize("labels", [np.array([1.0, 2.0, 5.0]), np.array([-3, 7, 9]), np.array(["a", "b", "c"])])
def test_label_output_has_the_class_type(labels, rng):
    model = gn.Sequential([gn.Flatten(input_shape=(3,)), gn.Dense(3, "softmax")])
    X = rng.normal(size=(300, 3))
    model.fit(X, labels[rng.integers(0, 3, 300)], epochs=2, seed=0, verbose=0)
    label = session(to_onnx(model)).run(["label"], {"input": X.astype(np.float32)})[0]
    assert list(label) == list(model.predict(X))


def test_export_writes_the_file_and_refuses_what_it_cannot(tmp_path, rng):
    model, X = network("relu", "multiclass", 2, False, None, rng)
    path = export(model, tmp_path / "m.onnx")
    assert path == tmp_path / "m.onnx" and [p.name for p in tmp_path.iterdir()] == ["m.onnx"]
    assert_same_predictions(model, onnx.load(str(path)), X)
    with pytest.raises(gn.ModelFileError, match="does not exist"):
        export(model, tmp_path / "missing" / "m.onnx")
    with pytest.raises(gn.ModelFileError, match="is a folder"):
        export(model, tmp_path)
    with pytest.raises(gn.NotFittedError):
        export(gn.Sequential([gn.Dense(2, "softmax")]), tmp_path / "x.onnx")
    with pytest.raises(gn.NotFittedError, match="GlassNetClassifier is not fitted"):
        to_onnx(GlassNetClassifier())
    with pytest.raises(gn.ConfigError, match="Cannot export a str"):
        to_onnx("model.safetensors")
    with pytest.raises(gn.ConfigError, match="opset must be an integer ≥ 17"):
        to_onnx(model, opset=13)


# ---- the command line ------------------------------------------------------------------------
@pytest.mark.cli
def test_cli_export_writes_a_runnable_model(tmp_path, rng):
    model, X = network("sigmoid", "binary", 2, False, "standardize", rng)
    saved = io.save(model, tmp_path / "m.safetensors")
    result = glassnet("export", saved, "--onnx", tmp_path / "m.onnx")
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "m.onnx" in result.stdout
    assert_same_predictions(model, onnx.load(str(tmp_path / "m.onnx")), X)


@pytest.mark.cli
@pytest.mark.parametrize("args, phrase", [
    (["export", "{tmp}/none.safetensors", "--onnx", "{tmp}/m.onnx"], "none.safetensors"),
    (["export", "{model}"], "--onnx"),
    (["export", "{model}", "--onnx", "{tmp}/missing/m.onnx"], "does not exist"),
])
def test_cli_export_errors_are_one_line_and_exit_2(tmp_path, rng, args, phrase):
    model, _ = network("relu", "binary", 1, False, None, rng)
    saved = io.save(model, tmp_path / "model.safetensors")
    result = glassnet(*[a.format(tmp=tmp_path, model=saved) for a in args])
    assert_error(result, phrase)

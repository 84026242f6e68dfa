"""The array namespace switch (backend): one implementation for NumPy and CuPy.

On a CPU machine the switch is exercised with a *fake device*: an ndarray subclass whose
namespace is NumPy behind a recorder. A model moved there must train through that namespace
(the recorder sees matmul, exp, …), give bit-identical weights to the plain NumPy run, and
hand NumPy arrays back to NumPy callers. The ``gpu``-marked tests run the same on CuPy where
a GPU is present and are skipped, saying why, everywhere else.
"""

import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

import glassnet as gn
from glassnet import backend
from glassnet.errors import ConfigError, DataError


class FakeArray(np.ndarray):
    """An array "on the fake device"."""


class RecordingNumpy:
    """NumPy, counting every function called through it; results land on the fake device."""

    def __init__(self):
        self.calls = Counter()

    def __getattr__(self, name):
        value = getattr(np, name)
        if not callable(value) or isinstance(value, type):
            return value

        def call(*args, **kwargs):
            self.calls[name] += 1
            out = value(*args, **kwargs)
            return out.view(FakeArray) if type(out) is np.ndarray else out

        return call


@pytest.fixture
def fake():
    xp = RecordingNumpy()
    device = backend.register_device(backend.Device(
        "fake", xp, FakeArray,
        from_numpy=lambda a: np.array(a).view(FakeArray),  # a copy, like a host → GPU transfer
        to_numpy=lambda a: np.array(a.view(np.ndarray)),
    ))
    yield device
    backend.unregister_device("fake")


def network(dropout=0.0):
    layers = [gn.Flatten(input_shape=(8, 8)), gn.Dense(24, "tanh")]
    layers += [gn.Dropout(dropout)] if dropout else []
    return gn.Sequential(layers + [gn.Dense(10, "softmax")])


def test_namespace_of_numpy_and_everything_else_is_numpy():
    assert backend.namespace_of(np.zeros(3)) is np
    assert backend.namespace_of([1.0, 2.0]) is np
    assert backend.namespace_of(np.float32(1)) is np
    assert backend.device_of(np.zeros(3)) is backend.CPU


def test_unknown_device_is_a_config_error_naming_the_choices():
    with pytest.raises(ConfigError, match="Unknown device 'tpu'. Expected one of: cpu, cuda"):
        gn.Sequential([gn.Dense(2)]).to("tpu")


@pytest.mark.parametrize("optimizer", [gn.SGD(lr=0.3), gn.Momentum(lr=0.1, nesterov=True), gn.Adam(lr=0.01)],
                         ids=["sgd", "momentum", "adam"])
def test_training_on_the_fake_device_equals_the_numpy_run(fake, digits_split, optimizer):
    X, Xt, y, yt = digits_split
    plain = network(dropout=0.2)
    plain.fit(X, y, epochs=2, batch_size=32, optimizer=optimizer.__class__(**optimizer.get_config()),
              seed=0, verbose=0, validation_data=(Xt, yt), l2=0.01)
    moved = network(dropout=0.2)
    moved.fit(X, y, epochs=2, batch_size=32, optimizer=optimizer.__class__(**optimizer.get_config()),
              seed=0, verbose=0, validation_data=(Xt, yt), l2=0.01, device="fake")
    assert moved.device is fake
    for key, theta in moved.get_weights().items():
        assert type(theta) is FakeArray, key
        np.testing.assert_array_equal(fake.to_numpy(theta), plain.get_weights()[key], err_msg=key)
    assert moved.history.history == plain.history.history
    for name in ("matmul", "exp", "sum", "argmax", "count_nonzero"):
        assert fake.xp.calls[name] > 0, name


def test_prediction_on_the_fake_device_returns_numpy_for_numpy_input(fake, digits_split):
    X, Xt, y, _ = digits_split
    model = network()
    model.fit(X, y, epochs=1, seed=1, verbose=0)
    expected = model.predict_proba(Xt)
    model.to("fake")
    proba = model.predict_proba(Xt)
    assert type(proba) is np.ndarray
    np.testing.assert_array_equal(proba, expected)
    assert type(model.predict_proba(fake.from_numpy(Xt))) is FakeArray  # device in, device out
    np.testing.assert_array_equal(model.predict(Xt), model.classes_[expected.argmax(axis=1)])
    model.to("cpu")
    assert all(type(v) is np.ndarray for v in model.get_weights().values())
    np.testing.assert_array_equal(model.predict_proba(Xt), expected)


def test_device_inputs_are_checked_on_the_device(fake):
    model = network().build((64,), np.random.default_rng(0)).to("fake")
    bad = fake.from_numpy(np.full((2, 64), np.nan, dtype=np.float32))
    with pytest.raises(DataError, match="NaN or infinity"):
        model.check_X(bad)
    with pytest.raises(DataError, match=r"expects \(n, 64\)"):
        model.check_X(fake.from_numpy(np.zeros((2, 3), dtype=np.float32)))


def test_checkpoint_state_comes_back_as_numpy(fake, digits_split):
    X, _, y, _ = digits_split
    model = network()
    seen = {}

    def hook(trainer):
        seen["trainer"] = trainer

    model.fit(X, y, epochs=1, optimizer=gn.Momentum(lr=0.1), seed=0, verbose=0, device="fake", trainer_hook=hook)
    arrays, _ = seen["trainer"].state_dict()
    assert arrays and all(type(v) is np.ndarray for v in arrays.values())


HOT = {"forward", "backward", "forward_logits", "backward_logits", "weighted_sum", "update", "step",
       "slot", "value_and_gradient", "_weighted_mean", "_sigmoid", "loss_and_gradients", "_step",
       "_run_epoch", "_predicted_index", "evaluate_encoded", "l2_penalty", "_check_X_across"}


@pytest.mark.parametrize("module", ["nn.activations", "nn.layers", "nn.losses", "train.optimizers",
                                    "nn.model", "train.loop"])
def test_the_hot_math_calls_no_numpy_function_directly(module):
    """Every array function in a training step comes from the array's namespace: a direct
    ``np.f(...)`` there would pull a GPU array through NumPy (or fail on it)."""
    import ast
    import importlib
    import inspect

    tree = ast.parse(inspect.getsource(importlib.import_module(f"glassnet.{module}")))
    direct = []
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.name in HOT:
            for node in ast.walk(function):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "np"
                        and node.func.attr != "errstate"):
                    direct.append(f"{function.name}: np.{node.func.attr}")
    assert direct == []


@pytest.mark.slow
def test_a_cpu_run_never_imports_cupy_or_dask(tmp_path):
    from sklearn.datasets import load_digits

    # load_digits' rows handed over in a .npz file: the child need not spend seconds importing sklearn
    X, y = load_digits(return_X_y=True)
    rows = tmp_path / "digits.npz"
    np.savez(rows, X=X, y=y)
    code = (
        "import sys, numpy as np, glassnet as gn\n"
        f"X, y = (lambda f: (f['X'], f['y']))(np.load({str(rows)!r}))\n"
        "m = gn.Sequential([gn.Flatten(input_shape=(64,)), gn.Dense(16, 'relu'), gn.Dense(10, 'softmax')])\n"
        "m.fit(X / 16, y, epochs=1, seed=0, verbose=0); m.predict(X / 16); m.predict_proba(X[:1] / 16)\n"
        "gn.LogisticRegression().fit(X / 16, y).predict(X / 16)\n"
        "assert gn.backend.is_dask_array(X) is False\n"
        "print(sorted(m for m in ('cupy', 'dask', 'distributed') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- on a real GPU (skipped, with the reason, on machines without one) ---------------------------
@pytest.fixture(scope="module")
def cuda():
    try:
        return backend.get_device("cuda")
    except ConfigError as e:
        pytest.skip(f"GPU test skipped: {e}")


@pytest.mark.gpu
def test_gpu_training_matches_cpu_training(cuda, digits_split):
    X, Xt, y, yt = digits_split
    cpu = network()
    cpu.fit(X, y, epochs=5, batch_size=32, optimizer=gn.SGD(lr=0.5), seed=0, verbose=0)
    gpu = network()
    gpu.fit(X, y, epochs=5, batch_size=32, optimizer=gn.SGD(lr=0.5), seed=0, verbose=0, device="cuda")
    assert all(type(v) is cuda.array_type for v in gpu.get_weights().values())
    for key, theta in gpu.get_weights().items():  # same batches; GEMMs round differently
        np.testing.assert_allclose(cuda.to_numpy(theta), cpu.get_weights()[key], atol=2e-4, err_msg=key)
    assert abs(gpu.score(Xt, yt) - cpu.score(Xt, yt)) <= 0.01


@pytest.mark.gpu
def test_gpu_prediction_follows_its_input(cuda, digits_split):
    X, Xt, y, _ = digits_split
    model = network()
    model.fit(X, y, epochs=2, seed=0, verbose=0)
    expected = model.predict_proba(Xt)
    model.to("cuda")
    np.testing.assert_allclose(model.predict_proba(Xt), expected, atol=1e-5)
    assert type(model.predict_proba(cuda.from_numpy(Xt))) is cuda.array_type
    assert (model.predict(Xt) == model.classes_[expected.argmax(axis=1)]).mean() > 0.99

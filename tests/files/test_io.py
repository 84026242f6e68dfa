"""Model files: save → load round trips, validation of every bad file, atomic writes,
checkpoints that resume exactly."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import Preprocessor, load
from glassnet.errors import DivergedError, ModelFileError, TrainingInterrupted
from glassnet.files import io
from glassnet.files.checkpoints import Run, fit_with_checkpoints
from glassnet.train.progress import Callback
from glassnet.train.sequential import build_classifier
from model_files import (
    flipped_header,
    png_renamed,
    read_raw,
    rewrite,
    truncated,
    unknown_version,
    wrong_shape,
)

INVALID = "is not a valid glassnet model file"


@pytest.fixture(scope="module")
def digits():
    return load("builtin:digits").split(0.2, seed=0)


def small_model(train, *, kind="scale", hidden=(16,), epochs=3):
    model = build_classifier(train.image_shape, len(np.unique(train.y)), hidden=hidden)
    model.preprocessor = Preprocessor.for_dataset(train, kind).fit(train.X)
    model.fit(train.X, train.y, epochs=epochs, batch_size=32, optimizer=gn.SGD(0.5), seed=0, verbose=0)
    return model


@pytest.fixture(scope="module")
def saved(digits, tmp_path_factory):
    """(model, path) of a small trained digits model saved once for the module."""
    model = small_model(digits[0])
    model.meta["training"] = {"data": "builtin:digits", "epochs_run": 3}
    path = io.save(model, tmp_path_factory.mktemp("saved") / "digits.safetensors")
    return model, path


# ---- round trips ------------------------------------------------------------------------------
def test_save_load_round_trip_predicts_identically(saved, digits):
    model, path = saved
    loaded = io.load(path)
    test = digits[1]
    np.testing.assert_array_equal(loaded.predict_proba(test.X), model.predict_proba(test.X))
    assert loaded.predict(test.X[:3]).tolist() == model.predict(test.X[:3]).tolist()
    assert isinstance(loaded.predict(test.X[:1])[0].item(), int)  # ints come back as ints
    assert loaded.get_config() == model.get_config()
    assert loaded.preprocessor.describe() == "x / 16"
    assert loaded.history.loss == model.history.loss
    assert loaded.meta["training"] == {"data": "builtin:digits", "epochs_run": 3}
    assert loaded.meta["file"]["format_version"] == io.FORMAT_VERSION


def test_file_is_plain_safetensors_with_one_json_document(saved):
    _, path = saved
    tensors, metadata = read_raw(path)
    assert set(metadata) == {"glassnet"}
    document = json.loads(metadata["glassnet"])
    assert document["format_version"] == 1
    assert document["input_shape"] == [8, 8] and document["channels"] == "L"
    assert document["classes"] == {"type": "int", "names": [str(i) for i in range(10)]}
    assert document["task"] == "multiclass"
    assert {"architecture", "preprocessing", "history", "glassnet_version", "training"} <= set(document)
    assert set(tensors) == {"layers.1.W", "layers.1.b", "layers.2.W", "layers.2.b"}


def test_loading_never_unpickles(saved, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    io.load(saved[1])


def test_string_labels_binary_model_and_standardization_round_trip(digits, tmp_path):
    train = digits[0].subset(np.isin(digits[0].y, [3, 8]))
    train.y = np.where(train.y == 3, "three", "eight")
    model = small_model(train, kind="standardize")
    assert model.task == "binary"
    path = io.save(model, tmp_path / "binary")  # no extension: .safetensors is added
    assert path.name == "binary.safetensors"
    tensors, _ = read_raw(path)
    assert {"preprocessing.mean", "preprocessing.std"} <= set(tensors)
    loaded = io.load(tmp_path / "binary")
    assert loaded.predict(train.X[:5]).tolist() == model.predict(train.X[:5]).tolist()
    assert isinstance(loaded.predict(train.X[:1])[0], str)
    np.testing.assert_array_equal(loaded.preprocessor.std_, model.preprocessor.std_)


def test_model_without_preprocessor_or_history_round_trips(digits, tmp_path):
    model = gn.Sequential([gn.Flatten(input_shape=(64,)), gn.Dense(10, "softmax")])
    model.fit(digits[0].X / 16, digits[0].y, epochs=1, seed=0, verbose=0)
    model.history = None
    loaded = io.load(io.save(model, tmp_path / "plain.safetensors"))
    assert loaded.preprocessor is None
    np.testing.assert_array_equal(loaded.predict_proba(digits[1].X / 16), model.predict_proba(digits[1].X / 16))


# ---- every bad file is one ModelFileError ------------------------------------------------------------
def _bad_tensors(change):
    return lambda src, dest: rewrite(src, dest, tensors=change)


def _bad_document(change):
    return lambda src, dest: rewrite(src, dest, edit_document=change)


BAD_FILES = {
    "truncated in the data": (lambda s, d: truncated(s, d, 0.9), "truncated"),
    "truncated in the header": (lambda s, d: truncated(s, d, 0.05), "header declares"),
    "empty": (lambda s, d: truncated(s, d, 0.0), "bytes long"),
    "flipped header bytes": (flipped_header, "header is not valid JSON"),
    "PNG renamed": (lambda s, d: png_renamed(d), "PNG image"),
    "tensor shape": (wrong_shape, "tensor layers.1.W has shape (64, 17), the architecture implies (64, 16)"),
    "unknown format version": (unknown_version, "unknown format version 99"),
    "format version missing": (_bad_document(lambda d: d.pop("format_version")), "format_version"),
    "missing tensor": (_bad_tensors(lambda t: {k: v for k, v in t.items() if k != "layers.2.b"}),
                       "layers.2.b is missing"),
    "extra tensor": (_bad_tensors(lambda t: {**t, "layers.7.W": np.zeros(3, np.float32)}), "'layers.7.W'"),
    "wrong dtype": (_bad_tensors(lambda t: {**t, "layers.1.b": t["layers.1.b"].astype(np.float64)}), "dtype float64"),
    "NaN weights": (_bad_tensors(lambda t: {**t, "layers.2.W": np.full_like(t["layers.2.W"], np.nan)}), "NaN"),
    "class count": (_bad_document(lambda d: d["classes"]["names"].pop()),
                    "lists 9 classes but its output layer predicts 10"),
    "unknown layer": (_bad_document(lambda d: d["architecture"]["layers"][1].update(type="Conv9")),
                      "architecture is not well-formed"),
    "bad activation": (_bad_document(
        lambda d: d["architecture"]["layers"][1]["config"].update(activation="sigmod")), "sigmod"),
    "bad input shape": (_bad_document(lambda d: d.update(input_shape=[8, -8])), "input_shape"),
    "bad preprocessing": (_bad_document(lambda d: d["preprocessing"].update(kind="magic")), "preprocessing"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_invalid_files_raise_one_model_file_error(saved, tmp_path, case):
    make, reason = BAD_FILES[case]
    path = make(saved[1], tmp_path / "bad.safetensors")
    with pytest.raises(ModelFileError) as error:
        io.load(path)
    message = str(error.value)
    assert message.startswith(f"{path} {INVALID}: "), message
    assert reason in message, message
    assert "\n" not in message


def test_metadata_that_is_not_json_or_not_glassnet(saved, tmp_path):
    tensors, _ = read_raw(saved[1])
    from safetensors.numpy import save_file

    save_file(tensors, str(tmp_path / "a.safetensors"), metadata={"glassnet": "{not json"})
    save_file(tensors, str(tmp_path / "b.safetensors"), metadata={"other": "x"})
    with pytest.raises(ModelFileError, match="not valid JSON"):
        io.load(tmp_path / "a.safetensors")
    with pytest.raises(ModelFileError, match="no glassnet metadata"):
        io.load(tmp_path / "b.safetensors")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        io.load(tmp_path / "nope.safetensors")
    with pytest.raises(ModelFileError, match="is a folder"):
        io.load(tmp_path)


# ---- atomic writes -------------------------------------------------------------------------------
def _only_file(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_write_keeps_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "m.safetensors"
    io.atomic_write_bytes(path, b"old contents")

    def crash(*args, **kwargs):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, failing, crash)
    with pytest.raises(ModelFileError, match=r"Cannot write .*m\.safetensors: simulated crash"):
        io.atomic_write_bytes(path, b"new contents that never arrive")
    assert path.read_bytes() == b"old contents"
    assert _only_file(tmp_path) == ["m.safetensors"]


def test_interrupt_during_write_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    io.atomic_write_bytes(path, b"old")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        io.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old" and _only_file(tmp_path) == ["m.safetensors"]


def test_write_into_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        io.atomic_write_bytes(tmp_path / "no" / "m.safetensors", b"x")


@pytest.mark.slow
def test_killing_a_writer_at_any_moment_leaves_a_whole_file(saved, tmp_path):
    """SIGKILL a process that keeps saving two different models: the file always loads."""
    path = tmp_path / "m.safetensors"
    script = textwrap.dedent(f"""
        import sys, glassnet.files.io as io, numpy as np
        model = io.load({str(saved[1])!r})
        print("ready", flush=True)
        for i in range(100000):
            model.layers[1].params["b"][:] = i % 2
            io.save(model, {str(path)!r})
    """)
    for delay in (0.05, 0.17):
        writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        if path.exists():
            assert set(np.unique(io.load(path).layers[1].params["b"])) <= {0.0, 1.0}


# ---- overwrite protection --------------------------------------------------------------------------
def test_check_overwrite(saved, digits, tmp_path):
    model, path = saved
    io.check_overwrite(path, model)  # same architecture: fine
    io.check_overwrite(tmp_path / "new.safetensors", model)  # nothing there: fine
    other = build_classifier((8, 8), 10, hidden=(32,))
    with pytest.raises(ModelFileError, match="different architecture"):
        io.save(other, path, overwrite_check=True)
    (tmp_path / "notes.safetensors").write_text("my notes")
    with pytest.raises(ModelFileError, match="not a glassnet model file"):
        io.check_overwrite(tmp_path / "notes.safetensors", model)


# ---- checkpoints -------------------------------------------------------------------------------
def _fresh(train, optimizer):
    model = build_classifier(train.image_shape, 10, hidden=(16,))
    model.preprocessor = Preprocessor.for_dataset(train, "scale").fit(train.X)
    return model, gn.Adam(0.01) if optimizer == "adam" else gn.Momentum(0.1)


class StopAt(Callback):
    """Ask the trainer to stop at (epoch, batch), as a Ctrl-C would."""

    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, trainer, batch, logs):
        if (trainer.epoch, batch) == self.at:
            trainer.request_stop()


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_interrupted_run_resumes_to_identical_weights(digits, tmp_path, optimizer):
    train, test = digits
    options = dict(epochs=3, batch_size=64, seed=7, verbose=0, validation_data=(test.X, test.y))
    whole, opt = _fresh(train, optimizer)
    whole.fit(train.X, train.y, optimizer=opt, **options)

    ckpt = tmp_path / "m.ckpt.safetensors"
    first, opt = _fresh(train, optimizer)
    with pytest.raises(TrainingInterrupted):
        fit_with_checkpoints(first, train.X, train.y, checkpoint=ckpt, optimizer=opt,
                             callbacks=[StopAt(1, 5)], settings={"note": "x"}, **options)
    saved = io.load_checkpoint(ckpt)
    assert saved.status == "interrupted" and saved.settings == {"note": "x"}
    assert (saved.state[1]["epoch"], saved.state[1]["batch"]) == (1, 6)

    model, opt = saved.model, (gn.Adam(0.01) if optimizer == "adam" else gn.Momentum(0.1))
    fit_with_checkpoints(model, train.X, train.y, checkpoint=ckpt, optimizer=opt,
                         resume=saved.state, **options)
    for key, value in whole.get_weights().items():
        assert np.array_equal(model.get_weights()[key], value), key
    assert model.history.loss == whole.history.loss
    assert io.load_checkpoint(ckpt).status == "finished"
    assert isinstance(io.load(ckpt), gn.Sequential)  # a checkpoint is also a model file


class Explode(Callback):
    """After epoch ``at`` (its checkpoint already written), make the next batch diverge."""

    def __init__(self, at):
        self.at = at

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == self.at:
            trainer.model.layers[-1].params["W"][...] = np.inf


def test_divergence_keeps_last_good_epoch_in_checkpoint(digits, tmp_path):
    train, _ = digits
    model, opt = _fresh(train, "momentum")
    ckpt = tmp_path / "m.ckpt.safetensors"
    run = Run(ckpt)
    with pytest.raises(DivergedError) as error, np.errstate(all="ignore"):
        fit_with_checkpoints(model, train.X, train.y, checkpoint=ckpt, optimizer=opt, epochs=5,
                             seed=0, verbose=0, callbacks=[Explode(1)], run=run)
    assert error.value.epoch == 2 and "epoch 3" in str(error.value)
    assert run.has_checkpoint and run.saved_epochs == 2
    kept = io.load_checkpoint(ckpt)
    assert kept.state[1]["epoch"] == 2
    for key, value in model.get_weights().items():  # the model holds the last good weights
        assert np.isfinite(value).all() and np.array_equal(kept.model.get_weights()[key], value)


def test_load_checkpoint_errors(saved, tmp_path):
    with pytest.raises(ModelFileError, match="No checkpoint"):
        io.load_checkpoint(tmp_path / "none.ckpt.safetensors")
    with pytest.raises(ModelFileError, match="not a training checkpoint"):
        io.load_checkpoint(saved[1])


def test_checkpoint_path():
    assert io.checkpoint_path("out/m.safetensors").name == "m.ckpt.safetensors"
    assert io.checkpoint_path("m").name == "m.ckpt.safetensors"
    assert io.checkpoint_path("m.bin").name == "m.bin.ckpt.safetensors"


def test_any_first_byte_of_the_header_length_is_fine(saved, tmp_path):
    """The file starts with the header length, so it may begin like a pickle or a PNG does."""
    model = saved[0]
    first_bytes = set()
    for pad in range(0, 256, 4):
        model.meta["pad"] = "x" * pad
        path = io.save(model, tmp_path / "m.safetensors")
        first_bytes.add(path.read_bytes()[0])
        io.load(path)
    model.meta.pop("pad")
    assert 0x80 in first_bytes  # what a pickle starts with

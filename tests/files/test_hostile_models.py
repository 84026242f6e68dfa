"""Hostile model files: whatever the bytes, ``load`` raises ModelFileError (exit 2) quickly,
reads no more than the file holds, and allocates nothing a header merely claims."""

from __future__ import annotations

import json
import os
import struct
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.model_files import read_raw, rewrite

import glassnet as gn
from glassnet.errors import GlassnetError, ModelFileError
from glassnet.files import io
from glassnet.files.modelfile import MAX_HEADER_BYTES

settings.register_profile("default", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A 2×2 grayscale-image model with a fitted scaling preprocessor (resize size stored)."""
    from glassnet.data import Preprocessor

    X = np.random.default_rng(0).random((30, 4)).astype(np.float32)
    model = gn.Sequential([gn.Dense(3, activation="sigmoid"), gn.Dense(2, activation="softmax")])
    model.fit(X, np.arange(30) % 2, epochs=1, seed=0, verbose=0)
    model.preprocessor = Preprocessor("scale", image_shape=(2, 2), channels="L", size=(2, 2),
                                      value_range=255).fit(X * 255)
    return gn.save(model, tmp_path_factory.mktemp("model") / "m.safetensors")


def safetensors_bytes(header: dict | str, data: bytes = b"") -> bytes:
    text = header if isinstance(header, str) else json.dumps(header)
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw + data


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# ---- the file itself ----------------------------------------------------------------------------
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "m.safetensors"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(ModelFileError, match=r"m\.safetensors is a FIFO \(named pipe\), not a regular file"):
        io.load(fifo)
    assert time.monotonic() - started < 5


def test_a_symlink_to_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "m.safetensors").symlink_to(tmp_path / "pipe")
    with pytest.raises(ModelFileError, match="FIFO"):
        io.load(tmp_path / "m.safetensors")


# ---- the safetensors header ---------------------------------------------------------------------
HEADERS = {
    "header longer than the cap": (struct.pack("<Q", MAX_HEADER_BYTES + 1) + b"{}" * 10,
                                   "header declares"),
    "header length 2**64-1": (b"\xff" * 8 + b"{}", "header declares"),
    "deeply nested header": (safetensors_bytes(nested(100_000)), "nests deeper than 64 levels"),
    "nested just over the limit": (safetensors_bytes(nested(65)), "nests deeper than 64 levels"),
    "header is a list": (safetensors_bytes("[]"), "header is not a JSON object"),
    "header not UTF-8": (struct.pack("<Q", 4) + b"\xff\xfe{}", "not valid JSON"),
    "tensor beyond the end": (safetensors_bytes({"a": {"dtype": "F32", "shape": [10**6],
                                                       "data_offsets": [0, 4 * 10**6]}}),
                              "truncated"),
    "tensor claims 2**62 values": (safetensors_bytes({"a": {"dtype": "F32", "shape": [2**62],
                                                            "data_offsets": [0, 2**64]}}),
                                   "truncated"),
    "metadata not strings": (safetensors_bytes({"__metadata__": {"glassnet": 1}}),
                             "not a mapping of strings"),
    "no glassnet metadata": (safetensors_bytes({"__metadata__": {}}), "no glassnet metadata"),
    "deeply nested metadata": (safetensors_bytes({"__metadata__": {"glassnet": nested(100_000)}}),
                               "nests deeper than 64 levels"),
    "metadata document nested 70 deep": (
        safetensors_bytes({"__metadata__": {"glassnet": json.dumps(
            {"format_version": 1, "meta": json.loads(nested(70))})}}), "nests deeper"),
    "empty file": (b"", "only 0 bytes"),
    "seven bytes": (b"\x00" * 7, "only 7 bytes"),
}


@pytest.mark.parametrize("case", sorted(HEADERS))
def test_hostile_headers_are_one_model_file_error(tmp_path, case):
    data, phrase = HEADERS[case]
    path = tmp_path / "m.safetensors"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=phrase):
        io.load(path)


# ---- a valid file whose contents disagree or ask for absurd sizes --------------------------------
def _edit(key, value):
    def edit(document):
        target = document
        *parents, last = key.split(".")
        for part in parents:
            target = target[part]
        target[last] = value

    return edit


DOCUMENTS = {
    "resize 60000x60000": (_edit("preprocessing.size", [60000, 60000]),
                           r"size \[60000, 60000\] does not match its image_shape \[2, 2\]"),
    "image_shape 60000x60000": (_edit("preprocessing.image_shape", [60000, 60000]),
                                r"image_shape \[60000, 60000\] holds 3,600,000,000 values"),
    "size without image_shape": (_edit("preprocessing.image_shape", None), "does not match"),
    "input_shape huge": (_edit("input_shape", [60000, 60000]), "layers.0.W has shape"),
    "units 10**10": (lambda d: d["architecture"]["layers"][0]["config"].update(units=10**10),
                     "layers.0.W has shape"),
    "negative units": (lambda d: d["architecture"]["layers"][0]["config"].update(units=-3),
                       "architecture is not well-formed"),
    "input_shape zero": (_edit("input_shape", [0]), "input_shape must be 1 to 3 positive"),
    "classes of the wrong count": (_edit("classes", {"type": "int", "names": ["0", "1", "2"]}),
                                   "lists 3 classes"),
    "format_version true": (_edit("format_version", True), "format_version must be an integer"),
}


@pytest.mark.parametrize("case", sorted(DOCUMENTS))
def test_documents_are_checked_against_the_tensors(tmp_path, model_file, case):
    edit, phrase = DOCUMENTS[case]
    path = rewrite(model_file, tmp_path / "m.safetensors", edit_document=edit)
    with pytest.raises(ModelFileError, match=phrase):
        io.load(path)


TENSORS = {
    "stray tensor": (lambda t: {**t, "extra.W": np.zeros(3, np.float32)}, "'extra.W'"),
    "stray preprocessing tensor": (lambda t: {**t, "preprocessing.mean": np.zeros(4, np.float32)},
                                   r"'preprocessing\.mean', which its preprocessing \(scale\)"),
    "stray trainer tensor in a model": (lambda t: {**t, "trainer.m": np.zeros(3, np.float32)},
                                        "'trainer.m'"),
    "missing bias": (lambda t: {k: v for k, v in t.items() if k != "layers.1.b"}, "layers.1.b is missing"),
    "float64 weights": (lambda t: {**t, "layers.0.W": t["layers.0.W"].astype(np.float64)}, "dtype"),
    "NaN weight": (lambda t: {**t, "layers.0.b": np.full_like(t["layers.0.b"], np.nan)}, "NaN"),
}


@pytest.mark.parametrize("case", sorted(TENSORS))
def test_tensors_must_match_the_architecture_exactly(tmp_path, model_file, case):
    change, phrase = TENSORS[case]
    path = rewrite(model_file, tmp_path / "m.safetensors", tensors=change)
    with pytest.raises(ModelFileError, match=phrase):
        io.load(path)


# ---- property: any mutation of a valid file is loaded or refused with a glassnet error ---------
def _mutations():
    position = st.integers(min_value=0, max_value=10_000)
    flip = st.tuples(st.just("flip"), position, st.integers(1, 255))
    cut = st.tuples(st.just("cut"), position, st.just(0))
    insert = st.tuples(st.just("insert"), position, st.integers(0, 255))
    return st.lists(st.one_of(flip, cut, insert), min_size=1, max_size=4)


def mutate(data: bytes, mutations) -> bytes:
    data = bytearray(data)
    for kind, at, value in mutations:
        at %= max(len(data), 1)
        if kind == "flip" and data:
            data[at] ^= value
        elif kind == "cut":
            del data[at:]
        else:
            data.insert(at, value)
    return bytes(data)


@settings(settings.get_profile(PROFILE))
@given(mutations=_mutations())
def test_fuzzed_model_files_raise_only_glassnet_errors(tmp_path, model_file, mutations):
    path = tmp_path / "m.safetensors"
    path.write_bytes(mutate(model_file.read_bytes(), mutations))
    try:
        io.load(path)
    except GlassnetError:
        pass


def test_the_original_loads(model_file):
    tensors, _ = read_raw(model_file)
    assert io.load(model_file).get_weights().keys() == {k for k in tensors if k.startswith("layers.")}

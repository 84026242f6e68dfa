"""Hostile data files: every loader refuses bad input with one DataError naming the file (and
the line or array), reads no more than the header's declared sizes, and never hangs."""

from __future__ import annotations

import gzip
import io
import os
import struct
import time
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassnet.data import load, load_images
from glassnet.data.idx import read_idx
from glassnet.errors import DataError, GlassnetError

settings.register_profile("default", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")


def idx_header(dims, type_code=0x08) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def write_idx_pair(folder, images: bytes, labels: bytes | None = None, gz=False):
    suffix = ".gz" if gz else ""
    (folder / f"train-images-idx3-ubyte{suffix}").write_bytes(gzip.compress(images) if gz else images)
    labels = labels if labels is not None else idx_header([2]) + b"\x00\x01"
    (folder / f"train-labels-idx1-ubyte{suffix}").write_bytes(gzip.compress(labels) if gz else labels)
    return folder


# ---- files that are not regular files ------------------------------------------------------------
@pytest.mark.parametrize("name", ["data.npz", "X.npy", "data.csv", "train-images-idx3-ubyte"])
def test_a_fifo_as_data_is_refused_at_once(tmp_path, name):
    os.mkfifo(tmp_path / name)
    if name == "X.npy":
        np.save(tmp_path / "y.npy", np.arange(2))
    if name.startswith("train"):
        (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_header([2]) + b"\x00\x01")
    started = time.monotonic()
    with pytest.raises(DataError, match=rf"{name} is a FIFO \(named pipe\), not a regular file"):
        load(tmp_path / name)
    assert time.monotonic() - started < 5


def test_a_fifo_named_like_an_image_is_a_bad_image(tmp_path):
    os.mkfifo(tmp_path / "x.png")
    with pytest.raises(DataError, match=r"Cannot read image .*x\.png: is a FIFO"):
        load_images([tmp_path / "x.png"])


# ---- IDX -----------------------------------------------------------------------------------------
IDX_CASES = {
    "dims whose product overflows int64": (idx_header([2**31, 2**31, 2**31]) + b"\0" * 16, False,
                                           "header claims 2,147,483,648 items"),
    "dims 2**32-1 each": (idx_header([2**32 - 1] * 3), False, "header claims 4,294,967,295 items"),
    "raw file longer than declared": (idx_header([2, 2, 2]) + b"\0" * 9, False, "1 bytes follow"),
    "raw file shorter than declared": (idx_header([2, 2, 2]) + b"\0" * 7, False, "truncated"),
    "gzip bomb: 10 MB of zeros for a 2x2x2 header": (idx_header([2, 2, 2]) + b"\0" * 10**7, True,
                                                     "bytes follow"),
    "gzip shorter than declared": (idx_header([2, 3, 3]) + b"\0" * 5, True, "truncated"),
    "gzip declares 6 GB": (idx_header([60000, 10000, 10000]) + b"\0" * 1000, True,
                           "needs 6.0 TB|truncated"),
    "bad magic": (b"\x01\x02\x03\x04" + b"\0" * 20, False, "bad magic number"),
    "2 dimensions for images": (idx_header([2, 4]) + b"\0" * 8, False, "header says 2 dimensions"),
    "ends inside the header": (bytes([0, 0, 8, 3, 0, 0]), False, "ends inside its header"),
}


@pytest.mark.parametrize("case", sorted(IDX_CASES))
def test_hostile_idx_images(tmp_path, case):
    data, gz, phrase = IDX_CASES[case]
    write_idx_pair(tmp_path, data, gz=gz)
    with pytest.raises(DataError, match=phrase):
        load(tmp_path)


def test_a_gzip_bomb_is_never_inflated_beyond_the_declared_size(tmp_path, monkeypatch):
    """200 KB of gzip that would inflate to 200 MB (the same holds for 3 MB → 3 GB, only slower
    to make): what comes out of the decompressor is bounded by the header, the declared values
    and one read-ahead of at most 64 KiB (plus the gzip reader's 8 KiB buffer) — not 200 MB."""
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    stream = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * 10**6
    with open(bomb, "wb") as f:
        f.write(stream.compress(idx_header([2, 2, 2])))
        for _ in range(200):
            f.write(stream.compress(chunk))
        f.write(stream.flush())
    assert bomb.stat().st_size < 10**6
    produced = []
    real = zlib.decompressobj

    class Counting:
        def __init__(self, *args, **kwargs):
            self.inner = real(*args, **kwargs)

        def decompress(self, data, max_length=0):
            out = self.inner.decompress(data, max_length)
            produced.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(zlib, "decompressobj", Counting)
    with pytest.raises(DataError, match="bytes follow"):
        read_idx(bomb, ndim=3)
    assert sum(produced) <= 16 + 8 + 2**16 + 2**13


def test_trailing_data_after_the_gzip_values_is_refused(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header([1, 1, 1]) + b"\x07")[:-4])  # CRC cut off
    with pytest.raises(DataError, match="cut short|truncated"):
        read_idx(path, ndim=3)


# ---- .npz / .npy ---------------------------------------------------------------------------------
def _npz(tmp_path, **arrays):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    return path


def _truncated(tmp_path):
    path = _npz(tmp_path, X=np.zeros((50, 4), np.float32), y=np.arange(50) % 2)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _text(tmp_path):
    path = tmp_path / "d.npz"
    path.write_text("X,y\n1,2\n")
    return path


def _npy_renamed(tmp_path):
    path = tmp_path / "d.npz"
    np.save(tmp_path / "a.npy", np.zeros(3))
    (tmp_path / "a.npy").rename(path)
    return path


def _empty(tmp_path):
    path = tmp_path / "d.npz"
    path.write_bytes(b"")
    return path


def _patched_zip(flags: int = 0, method: int | None = None):
    """A valid .npz whose zip headers claim an encrypted member or an unknown compression."""
    def make(tmp_path):
        path = _npz(tmp_path, X=np.zeros((2, 2), np.float32), y=np.arange(2))
        data = bytearray(path.read_bytes())
        for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
            at = data.find(signature)
            while at >= 0:
                data[at + flag_at] |= flags
                if method is not None:
                    data[at + method_at : at + method_at + 2] = method.to_bytes(2, "little")
                at = data.find(signature, at + 4)
        path.write_bytes(bytes(data))
        return path

    return make


NPZ_CASES = {
    "member flagged as encrypted (found by fuzzing)": (_patched_zip(flags=1), "encrypted"),
    "unknown compression method 99": (_patched_zip(method=99), "compression"),
    "zero rows": (lambda p: _npz(p, X=np.zeros((0, 4), np.float32), y=np.zeros(0, int)), "holds no rows"),
    "truncated archive": (_truncated, "not a readable .npz archive|not a zip"),
    "text file named .npz": (_text, "not a .npz archive: it is not a zip archive"),
    ".npy renamed .npz": (_npy_renamed, r"it is a \.npy array"),
    "empty file": (_empty, "it is empty"),
    "scalar X": (lambda p: _npz(p, X=np.float32(3), y=np.arange(1)), r"got shape \(\)"),
    "scalar y": (lambda p: _npz(p, X=np.zeros((2, 2)), y=np.int64(1)), r"labels must be one value per row"),
    "complex X": (lambda p: _npz(p, X=np.zeros((2, 2), complex), y=np.arange(2)), "X must hold numbers"),
    "object X": (lambda p: _npz(p, X=np.array([None, 1], object), y=np.arange(2)), "Python objects"),
    "missing y": (lambda p: _npz(p, X=np.zeros((2, 2))), "expected arrays named 'X' and 'y'"),
}


@pytest.mark.parametrize("case", sorted(NPZ_CASES))
def test_hostile_npz(tmp_path, case):
    make, phrase = NPZ_CASES[case]
    with pytest.raises(DataError, match=phrase):
        load(make(tmp_path))


def npy_bytes(shape, data: bytes, descr="<f8") -> bytes:
    """A .npy file whose header declares ``shape`` whatever ``data`` holds."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False,
                                                  "shape": shape})
    return buffer.getvalue() + data


def test_npz_member_declaring_more_than_it_stores(tmp_path):
    path = tmp_path / "d.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", npy_bytes((10**6, 10**6), b"\0" * 32))
        archive.writestr("y.npy", npy_bytes((2,), b"\0" * 16, "<i8"))
    with pytest.raises(DataError, match=r"array 'X'.*declares shape \(1000000, 1000000\).*"
                                        r"only 32 bytes follow"):
        load(path)


def test_npy_declaring_a_terabyte(tmp_path):
    (tmp_path / "X.npy").write_bytes(npy_bytes((10**6, 10**6), b"\0" * 32))
    np.save(tmp_path / "y.npy", np.arange(2))
    with pytest.raises(DataError, match=r"X\.npy: its header declares shape \(1000000, 1000000\)"):
        load(tmp_path / "X.npy")


def test_scalar_npy_pair(tmp_path):
    np.save(tmp_path / "X.npy", np.float32(3))
    np.save(tmp_path / "y.npy", np.int64(1))
    with pytest.raises(DataError, match=r"X\.npy: X must be .* got shape \(\)"):
        load(tmp_path / "X.npy")


# ---- CSV -------------------------------------------------------------------------------------------
CSV_CASES = {
    "a row with an extra cell": ("a,b,label\n1,2,x\n3,4,y,5\n", "line 3 has 4 cells, expected 3"),
    "a row with a missing cell": ("a,b,label\n1,2,x\n3,y\n", "line 3 has 2 cells, expected 3"),
    "an empty line between rows": ("a,b,label\n1,2,x\n\n3,4,y\n", "line 3 is empty but data follows"),
    "header only": ("a,b,label\n", "no data rows after its header"),
    "a feature that is text": ("a,b,label\n1,2,x\n3,zz,y\n", r"line 3, column 1 \('b'\): 'zz' is not a number"),
    "NaN feature": ("a,b,label\n1,nan,x\n3,4,y\n", "NaN or infinite"),
    "empty label": ("a,b,label\n1,2,\n3,4,y\n", "label column 'label' is empty"),
    "invalid UTF-8 on the last line (found by fuzzing)": ("a,b,label\n1,2,x\n3,4,y\udcca",
                                                          r"line 3 is not UTF-8 text \(byte 0xca"),
    "not UTF-8": (b"a,b,label\n1,2,\xff\xfe\n".decode("latin-1"), "cannot read as UTF-8|label"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_hostile_csv(tmp_path, case):
    text, phrase = CSV_CASES[case]
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode("latin-1") if case == "not UTF-8" else text.encode("utf-8", "surrogateescape"))
    with pytest.raises(DataError, match=phrase):
        load(path)


def test_trailing_empty_lines_are_fine(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,2,x\n3,4,y\n\n\n")
    assert len(load(path)) == 2


# ---- property: mutated files give a Dataset or a glassnet error, nothing else ------------------------
BYTE_EDITS = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert"]),
                                st.integers(0, 4000), st.integers(0, 255)), min_size=1, max_size=4)


def mutate(data: bytes, edits) -> bytes:
    data = bytearray(data)
    for kind, at, value in edits:
        at %= max(len(data), 1)
        if kind == "flip" and data:
            data[at] ^= value or 1
        elif kind == "cut":
            del data[at:]
        else:
            data.insert(at, value)
    return bytes(data)


def _seed_files(folder):
    rng = np.random.default_rng(0)
    images = idx_header([4, 3, 3]) + rng.integers(0, 255, 36, dtype=np.uint8).tobytes()
    labels = idx_header([4]) + bytes([0, 1, 0, 1])
    np.savez(folder / "seed.npz", X=rng.random((4, 3)).astype(np.float32), y=np.arange(4) % 2)
    csv = b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n"
    return {"idx": images, "idx.gz": gzip.compress(images), "labels": labels,
            "npz": (folder / "seed.npz").read_bytes(), "csv": csv}


@settings(settings.get_profile(PROFILE))
@given(kind=st.sampled_from(["idx", "idx.gz", "npz", "csv"]), edits=BYTE_EDITS)
def test_fuzzed_data_files_raise_only_glassnet_errors(tmp_path, kind, edits):
    folder = tmp_path / f"case-{kind}"
    folder.mkdir(exist_ok=True)
    seeds = _seed_files(folder)
    if kind.startswith("idx"):
        suffix = ".gz" if kind == "idx.gz" else ""
        path = folder / f"train-images-idx3-ubyte{suffix}"
        (folder / "train-labels-idx1-ubyte").write_bytes(seeds["labels"])
    else:
        path = folder / f"data.{kind}"
    path.write_bytes(mutate(seeds[kind], edits))
    try:
        load(path)
    except GlassnetError:
        pass

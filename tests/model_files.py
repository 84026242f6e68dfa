"""Helpers for the model-file tests: small trained models and the ways a file goes bad."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from safetensors import safe_open
from safetensors.numpy import save_file


def read_raw(path) -> tuple[dict, dict]:
    """(tensors, metadata) of a safetensors file, bypassing glassnet's checks."""
    with safe_open(str(path), "np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})


def rewrite(src, dest, *, tensors=None, edit_document=None) -> Path:
    """Copy a model file with changed tensors and/or an edited "glassnet" JSON document."""
    old_tensors, metadata = read_raw(src)
    if edit_document is not None:
        document = json.loads(metadata["glassnet"])
        edit_document(document)
        metadata["glassnet"] = json.dumps(document)
    save_file(tensors(old_tensors) if tensors else old_tensors, str(dest), metadata=metadata)
    return Path(dest)


def truncated(src, dest, keep_fraction=0.5) -> Path:
    data = Path(src).read_bytes()
    Path(dest).write_bytes(data[: int(len(data) * keep_fraction)])
    return Path(dest)


def flipped_header(src, dest) -> Path:
    """Flip (XOR 0xFF) a few bytes in the middle of the JSON header."""
    data = bytearray(Path(src).read_bytes())
    length = int.from_bytes(data[:8], "little")
    for offset in range(8 + length // 2, 8 + length // 2 + 4):
        data[offset] ^= 0xFF
    Path(dest).write_bytes(bytes(data))
    return Path(dest)


def png_renamed(dest) -> Path:
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(dest, format="PNG")
    return Path(dest)


def wrong_shape(src, dest) -> Path:
    def widen(tensors):
        W = tensors["layers.1.W"]
        return {**tensors, "layers.1.W": np.zeros((W.shape[0], W.shape[1] + 1), W.dtype)}

    return rewrite(src, dest, tensors=widen)


def unknown_version(src, dest, version=99) -> Path:
    return rewrite(src, dest, edit_document=lambda d: d.update(format_version=version))


def make_image_folder(root, n_per_class=10, shape=(10, 10)) -> Path:
    """Two classes of small RGB images: 'red' (red-dominant) and 'blue' (blue-dominant)."""
    rng = np.random.default_rng(0)
    for name, channel in (("blue", 2), ("red", 0)):
        (Path(root) / name).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            pixels = rng.integers(0, 80, size=(*shape, 3), dtype=np.uint8)
            pixels[..., channel] = rng.integers(170, 256, size=shape, dtype=np.uint8)
            Image.fromarray(pixels, "RGB").save(Path(root) / name / f"{i:03d}.png")
    return Path(root)

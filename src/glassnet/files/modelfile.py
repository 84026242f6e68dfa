"""The model-file format itself: bytes ↔ (JSON document, tensors) ↔ a validated Sequential.

``glassnet.files.io`` is the public face (save, load, checkpoints, atomic writes); this module
holds the format and every check ``load`` makes before it trusts a file:

1. the safetensors header: its declared length fits in the file, it is JSON, every tensor's
   bytes lie inside the file (so a truncated file is caught), then the library decodes it;
2. the ``"glassnet"`` document: JSON, a known ``format_version``, every field present;
3. the architecture rebuilds, and every tensor it implies is there — no more, no fewer —
   with the right dtype and shape, and only finite values;
4. the classes match the output layer; the preprocessing rebuilds and fits the input size.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np

from glassnet.errors import GlassnetError, ModelFileError
from glassnet.limits import MAX_JSON_DEPTH, json_depth, read_regular

FORMAT_VERSION = 1
SUFFIX = ".safetensors"
METADATA_KEY = "glassnet"
CHECKPOINT_KEY = "glassnet.checkpoint"
MAX_HEADER_BYTES = 16_000_000  # glassnet's headers are kilobytes; the library allows 100 MB
CLASS_TYPES = {"int": int, "str": str, "float": float, "bool": lambda s: s == "True"}
KNOWN_MAGIC = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
               b"PK\x03\x04": "a zip (.npz?) file", b"\x93NUMPY": "a .npy array file",
               b"\x80\x02": "a pickle file", b"\x80\x03": "a pickle file", b"\x80\x04": "a pickle file",
               b"\x80\x05": "a pickle file"}


def invalid(path, reason) -> ModelFileError:
    return ModelFileError(f"{path} is not a valid glassnet model file: {reason}.")


def encode_json(document) -> str:
    return json.dumps(document, default=_plain, sort_keys=True)


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set, Path)):
        return list(value) if not isinstance(value, Path) else str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def decode_json(path, metadata: dict, key: str) -> dict:
    if key not in metadata:
        raise invalid(path, "it has no glassnet metadata (a safetensors file from another program?)")
    document = _json(path, metadata[key], f"its {key!r} metadata")
    if not isinstance(document, dict):
        raise invalid(path, f"its {key!r} metadata is not a JSON object")
    if key == METADATA_KEY:
        _check_version(path, document.get("format_version"))
    return document


def _json(path, text: str, what: str):
    """Parse JSON from a file, refusing nesting deeper than MAX_JSON_DEPTH (a file of 100,000
    ``[`` would otherwise exhaust the parser's recursion)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise invalid(path, f"{what} nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as e:
        raise invalid(path, f"{what} is not valid JSON (corrupt file?): {_first_line(e)}") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise invalid(path, f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def _check_version(path, version):
    if not isinstance(version, int) or isinstance(version, bool):
        raise invalid(path, f"format_version must be an integer, got {version!r}")
    if version != FORMAT_VERSION:
        newer = " (written by a newer glassnet? upgrade glassnet)" if version > FORMAT_VERSION else ""
        raise invalid(path, f"unknown format version {version} (this glassnet reads version "
                            f"{FORMAT_VERSION}){newer}")


# ---- bytes → header, metadata, tensors -------------------------------------------------------
def read_file(path) -> tuple[dict, dict, dict]:
    """(header, metadata, tensors) of a safetensors file, each check before the next."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"Model file {path} does not exist. Check the path, or train one "
                             f"with: glassnet train DATA --out {path}")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file.")
    data = read_regular(path, ModelFileError, "model file")
    header = parse_header(path, data)
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise invalid(path, "its metadata is not a mapping of strings")
    from safetensors.numpy import load as from_bytes

    try:
        tensors = from_bytes(data)
    except Exception as e:  # the library's SafetensorError, or anything a corrupt file causes
        raise invalid(path, f"safetensors cannot decode it ({_first_line(e)})") from None
    return header, metadata, tensors


def parse_header(path, data: bytes) -> dict:
    """The JSON header, after checking its declared length against the file's size.

    A safetensors file starts with that length (8 bytes, little-endian), so any first bytes
    are possible; only when the length is impossible do we name a known other format.
    """
    if len(data) < 8:
        raise invalid(path, f"it is only {len(data)} bytes long (empty or truncated)")
    (length,) = struct.unpack("<Q", data[:8])
    if length > min(len(data) - 8, MAX_HEADER_BYTES):
        kind = next((kind for magic, kind in KNOWN_MAGIC.items() if data.startswith(magic)), None)
        if kind is not None:
            raise invalid(path, f"it is {kind}, not a safetensors file")
        raise invalid(path, f"its header declares {length:,} bytes but the file has {len(data) - 8:,} "
                            "after the length field (truncated, or not a safetensors file)")
    try:
        text = data[8 : 8 + length].decode("utf-8")
    except UnicodeDecodeError as e:
        raise invalid(path, f"its header is not valid JSON (corrupt file?): {_first_line(e)}") from None
    header = _json(path, text, "its header")
    if not isinstance(header, dict):
        raise invalid(path, "its header is not a JSON object")
    ends = [entry.get("data_offsets", [0, 0])[-1] for key, entry in header.items()
            if key != "__metadata__" and isinstance(entry, dict)]
    needed = max((e for e in ends if isinstance(e, int)), default=0)
    if needed > len(data) - 8 - length:
        raise invalid(path, f"it is truncated: its tensors need {needed:,} bytes of data but only "
                            f"{len(data) - 8 - length:,} are there")
    return header


def _first_line(error) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


# ---- model → document, tensors ------------------------------------------------------------------
def model_document(model) -> tuple[dict, dict]:
    """The JSON document and the tensors that describe a trained ``model``."""
    from glassnet.backend import to_numpy
    from glassnet.version import __version__

    model._check_fitted()
    tensors = {key: to_numpy(theta) for key, theta in model.get_weights().items()}  # GPU → host
    pre = model.preprocessor
    if pre is not None:
        tensors.update({f"preprocessing.{k}": np.asarray(v) for k, v in pre.arrays().items()})
    meta = {k: v for k, v in model.meta.items() if k not in ("file", "training")}
    document = {
        "format_version": FORMAT_VERSION,
        "glassnet_version": __version__,
        "architecture": model.get_config(),
        "input_shape": list(model.input_shape),
        "channels": getattr(pre, "channels", None),
        "channel_order": "channels_last",
        "classes": encode_classes(model.classes_),
        "task": model.task,
        "preprocessing": pre.to_dict(include_arrays=False) if pre is not None else None,
        "training": model.meta.get("training"),
        "history": model.history.to_dict() if model.history is not None else None,
        "meta": meta,
    }
    return document, tensors


def diagnosis_of(training) -> list[dict]:
    """The training doctor's findings stored under ``training["diagnosis"]`` (a list of
    objects with problem, epoch, layer, evidence, what, why, fix). Files written before the
    doctor existed have none: []. Malformed entries are left out rather than trusted."""
    found = training.get("diagnosis") if isinstance(training, dict) else None
    if not isinstance(found, list):
        return []
    return [d for d in found if isinstance(d, dict) and isinstance(d.get("problem"), str)]


def encode_classes(classes):
    if classes is None:
        return None
    values = np.asarray(classes)
    kind = {"i": "int", "u": "int", "U": "str", "S": "str", "O": "str", "f": "float", "b": "bool"}
    type_name = kind.get(values.dtype.kind, "str")
    if type_name == "float":
        return {"type": "float", "names": [repr(float(v)) for v in values]}
    return {"type": type_name, "names": [str(v.item() if isinstance(v, np.generic) else v) for v in values]}


def decode_classes(path, data, expected: int | None):
    if data is None:
        if expected is not None:
            raise invalid(path, f"it has no class names but its output layer predicts {expected} classes")
        return None
    if not isinstance(data, dict) or data.get("type") not in CLASS_TYPES or not isinstance(data.get("names"), list):
        raise invalid(path, 'its "classes" must be {"type": int|str|float|bool, "names": [...]}')
    names = data["names"]
    if not all(isinstance(name, str) for name in names):
        raise invalid(path, "its class names must be strings")
    try:
        values = np.array([CLASS_TYPES[data["type"]](name) for name in names])
    except ValueError as e:
        raise invalid(path, f"its class names do not match their type {data['type']!r} ({e})") from None
    if expected is None:
        raise invalid(path, "it has class names but its output layer is a regression output")
    if len(values) != expected:
        raise invalid(path, f"it lists {len(values)} classes but its output layer predicts {expected}")
    if len(np.unique(values)) != len(values) or not (values[:-1] < values[1:]).all():
        raise invalid(path, "its class names must be unique and sorted")
    return values


# ---- document, tensors → model ------------------------------------------------------------------
def model_from_document(path, document: dict, tensors: dict, extra_prefixes=()):
    """Rebuild and validate the ``Sequential`` a document and its tensors describe."""
    from glassnet.train.loop import History
    from glassnet.train.sequential import Sequential

    model = _build(path, document, tensors, Sequential)
    weights = _check_tensors(path, model, tensors, extra_prefixes)
    model.set_weights(weights)
    expected = {"binary": 2, "multiclass": model.output_layer.units}.get(model.task)
    model.classes_ = decode_classes(path, document.get("classes"), expected)
    model.preprocessor = _preprocessor(path, document, tensors, model.n_features)
    history = document.get("history")
    if history is not None:
        try:
            model.history = History.from_dict(history)
        except (AttributeError, TypeError, ValueError) as e:
            raise invalid(path, f"its training history is malformed ({e})") from None
    meta = document.get("meta")
    model.meta = dict(meta) if isinstance(meta, dict) else {}
    if document.get("training") is not None:
        model.meta["training"] = document["training"]
    model.meta["file"] = {"path": str(path), "format_version": document["format_version"],
                          "glassnet_version": document.get("glassnet_version"),
                          "channels": document.get("channels")}
    return model


def _build(path, document, tensors, Sequential):
    architecture = document.get("architecture")
    if not isinstance(architecture, dict) or not isinstance(architecture.get("layers"), list):
        raise invalid(path, 'its "architecture" must be an object with a "layers" list')
    try:
        model = Sequential.from_config(architecture)
    except (GlassnetError, TypeError, KeyError, ValueError, AttributeError, IndexError) as e:
        raise invalid(path, f"its architecture is not well-formed ({_first_line(e)})") from None
    shape = document.get("input_shape")
    if (not isinstance(shape, list) or not 1 <= len(shape) <= 3
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)):
        raise invalid(path, f"its input_shape must be 1 to 3 positive integers, got {shape!r}")
    _check_sizes(path, model, math.prod(shape), tensors)
    try:
        model.build(shape, np.random.default_rng(0))
    except (GlassnetError, TypeError, ValueError) as e:
        raise invalid(path, f"its input_shape {shape} does not fit its architecture ({_first_line(e)})") from None
    return model


def _check_sizes(path, model, n, tensors):
    """Each Dense W in the file has the shape (n_in, units) the architecture implies — checked
    before building, so a file cannot make ``build`` allocate more than the file holds."""
    from glassnet.nn.layers import Dense

    for i, layer in enumerate(model.layers):
        if not isinstance(layer, Dense):
            continue
        key, implied = f"layers.{i}.W", (n, layer.units)
        if key not in tensors:
            raise invalid(path, f"tensor {key} is missing (the architecture needs it, shape {implied})")
        if tensors[key].shape != implied:
            raise invalid(path, f"tensor {key} has shape {tensors[key].shape}, the architecture implies {implied}")
        n = layer.units


def _check_tensors(path, model, tensors, extra_prefixes) -> dict:
    expected = {key: theta for key, theta, _ in model.parameters()}
    allowed = ("preprocessing.", *extra_prefixes)
    extra = sorted(k for k in tensors if k not in expected and not k.startswith(allowed))
    if extra:
        raise invalid(path, f"it holds tensor {extra[0]!r}, which its architecture does not have")
    for key, theta in expected.items():
        if key not in tensors:
            raise invalid(path, f"tensor {key} is missing (the architecture needs it, shape {theta.shape})")
        value = tensors[key]
        if value.dtype != theta.dtype:
            raise invalid(path, f"tensor {key} has dtype {value.dtype}, the architecture implies {theta.dtype}")
        if value.shape != theta.shape:
            raise invalid(path, f"tensor {key} has shape {value.shape}, the architecture implies {theta.shape}")
    for key, value in tensors.items():
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise invalid(path, f"tensor {key} holds NaN or infinite values")
    return {key: tensors[key] for key in expected}


def _preprocessor(path, document, tensors, n_features):
    settings = document.get("preprocessing")
    arrays = {k[len("preprocessing."):]: v for k, v in tensors.items() if k.startswith("preprocessing.")}
    if settings is None:
        if arrays:
            raise invalid(path, "it holds preprocessing tensors but no preprocessing settings")
        return None
    from glassnet.data import Preprocessor

    try:
        pre = Preprocessor.from_dict(settings, arrays)
        out = pre.transform(np.zeros((1, n_features)))
    except (GlassnetError, TypeError, KeyError, ValueError, AttributeError, IndexError) as e:
        raise invalid(path, f"its preprocessing is malformed or does not fit the input ({_first_line(e)})") from None
    if np.shape(out) != (1, n_features):
        raise invalid(path, f"its preprocessing turns {n_features} features into {np.shape(out)[1:]}")
    _check_geometry(path, pre, n_features)
    stray = sorted(set(arrays) - set(pre.arrays()))
    if stray:
        raise invalid(path, f"it holds tensor 'preprocessing.{stray[0]}', which its preprocessing "
                            f"({pre.kind}) does not use")
    return pre


def _check_geometry(path, pre, n_features):
    """The stored image shape and resize size agree with the input layer, so no stored number
    can make ``predict`` decode or resize to a size the weights were not trained on."""
    shape = pre.image_shape
    if shape is not None and math.prod(shape) != n_features:
        raise invalid(path, f"its preprocessing image_shape {list(shape)} holds {math.prod(shape):,} "
                            f"values, but the input layer takes {n_features:,}")
    if pre.size is not None and (shape is None or tuple(pre.size) != tuple(shape[:2])):
        raise invalid(path, f"its preprocessing size {list(pre.size)} does not match its image_shape "
                            f"{None if shape is None else list(shape)}")

"""Model files: safetensors for the tensors, one JSON document for everything else.

A model file is an ordinary ``.safetensors`` file (no pickle anywhere):

* tensors ``layers.{i}.W`` / ``layers.{i}.b`` — exactly ``model.get_weights()`` — plus
  ``preprocessing.{name}`` for the preprocessor's vectors (e.g. the mean and std of
  standardization);
* one metadata key ``"glassnet"`` holding a JSON document: ``format_version``,
  ``glassnet_version``, ``architecture`` (``model.get_config()``), ``input_shape``,
  ``channels`` (``"L"``, ``"RGB"`` or null; channels last), ``classes`` (their text and
  their type, so predictions come back as the same Python type), ``task``,
  ``preprocessing``, ``training`` (settings and results), ``history`` and free-form ``meta``.

A checkpoint (``MODEL.ckpt.safetensors``) is a model file with two additions: tensors
``trainer.*`` (optimizer state, early-stopping best weights) and a metadata key
``"glassnet.checkpoint"`` (loop position, sums, history, run settings). ``load()`` reads a
checkpoint as the model it holds.

``load()`` validates everything before use and turns every problem — truncation, a corrupt
header, a PNG renamed, a tensor that disagrees with the architecture — into one
``ModelFileError``: ``PATH is not a valid glassnet model file: <reason>``.
Writes are atomic (``atomic``): a temporary file in the same folder, flush + fsync, ``os.replace``.
"""

from __future__ import annotations

import csv
import io as text_io
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from glassnet.errors import ModelFileError
from glassnet.files.atomic import atomic_write_bytes
from glassnet.files.modelfile import (
    CHECKPOINT_KEY,
    FORMAT_VERSION,
    METADATA_KEY,
    SUFFIX,
    decode_json,
    encode_json,
    invalid,
    model_document,
    model_from_document,
    read_file,
)

__all__ = [
    "FORMAT_VERSION", "SUFFIX", "Checkpoint", "atomic_write_bytes", "checkpoint_path",
    "check_overwrite", "load", "load_checkpoint", "read_metadata", "save", "save_checkpoint",
    "save_mistakes", "with_suffix",
]


# ---- atomic writes ----------------------------------------------------------------------
# ---- paths ------------------------------------------------------------------------------
def with_suffix(path) -> Path:
    """``model`` → ``model.safetensors``: the default extension when a path has none."""
    path = Path(path)
    return path if path.suffix else path.with_name(path.name + SUFFIX)


def checkpoint_path(model_path) -> Path:
    """``m.safetensors`` → ``m.ckpt.safetensors`` (next to the model)."""
    path = with_suffix(model_path)
    stem = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.name
    return path.with_name(stem + ".ckpt" + SUFFIX)


def _existing(path) -> Path:
    path = Path(path)
    if not path.exists() and not path.suffix and with_suffix(path).exists():
        return with_suffix(path)
    return path


# ---- models -------------------------------------------------------------------------------
def save(model, path, *, overwrite_check: bool = False) -> Path:
    """Write ``model`` (weights, preprocessing, classes, history, meta) to ``path``, atomically.

    ``path`` without an extension gets ``.safetensors``. With ``overwrite_check=True`` an
    existing file is replaced only when it holds a glassnet model of the same architecture
    (see ``check_overwrite``). Returns the path written.
    """
    path = with_suffix(path)
    if overwrite_check:
        check_overwrite(path, model)
    document, tensors = model_document(model)
    return atomic_write_bytes(path, _serialize(tensors, {METADATA_KEY: encode_json(document)}))


def load(path):
    """Read and validate a model file (or a checkpoint); returns a ready ``Sequential``.

    Restored: weights, ``preprocessor``, ``classes_``, ``history`` and ``meta`` (with
    ``meta["file"]``: path, format and glassnet version). Any problem raises
    ``ModelFileError``.
    """
    path = _existing(path)
    header, metadata, tensors = read_file(path)
    document = decode_json(path, metadata, METADATA_KEY)
    allowed = ("trainer.",) if CHECKPOINT_KEY in metadata else ()
    return model_from_document(path, document, tensors, extra_prefixes=allowed)


def read_metadata(path) -> dict:
    """The JSON document of a valid model file, as stored (for ``glassnet info --json``)."""
    path = _existing(path)
    load(path)
    _, metadata, _ = read_file(path)
    return decode_json(path, metadata, METADATA_KEY)


API_FIX = "Choose another path, or save with overwrite_check=False to replace it."


def check_overwrite(path, model, fix: str = API_FIX):
    """Raise ``ModelFileError`` if ``path`` exists and is not a model of ``model``'s architecture.

    Retraining the same network into the same file is fine; replacing a different network
    (or a file that is not a glassnet model at all) needs an explicit decision. ``fix`` ends
    the message (the command line names --force there).
    """
    path = with_suffix(path)
    if not path.exists():
        return
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder; give a file name for the model, e.g. {path / 'model.safetensors'}.")
    try:
        _, metadata, _ = read_file(path)
        existing = decode_json(path, metadata, METADATA_KEY).get("architecture")
    except ModelFileError:
        raise ModelFileError(f"Refusing to replace {path}: it exists and is not a glassnet model file. {fix}") from None
    if _normalized(existing) != _normalized(model.get_config()):
        raise ModelFileError(f"Refusing to replace {path}: it holds a model with a different architecture. {fix}")


def _normalized(config):
    return json.loads(json.dumps(config, default=str))


def _serialize(tensors: dict, metadata: dict) -> bytes:
    from safetensors.numpy import save as to_bytes

    return to_bytes({k: np.ascontiguousarray(v) for k, v in tensors.items()}, metadata=metadata)


# ---- checkpoints --------------------------------------------------------------------------
class Checkpoint(NamedTuple):
    """What ``load_checkpoint`` returns; ``state`` goes to ``fit(resume=…)``."""

    model: object            # the Sequential, with the weights of the checkpoint
    state: tuple             # (arrays, scalars) for Trainer.load_state_dict
    settings: dict           # the run's settings, as given to save_checkpoint
    status: str              # "running" (or killed), "interrupted", "finished"


def save_checkpoint(path, trainer, model, *, settings=None, status="running") -> Path:
    """Write everything needed to resume ``trainer`` exactly (atomically) to ``path``.

    The file is also a valid model file (``load(path)`` gives the model as it is now).
    """
    arrays, scalars = trainer.state_dict()
    history = model.history
    model.history = trainer.history
    try:
        document, tensors = model_document(model)
    finally:
        model.history = history
    from glassnet.backend import to_numpy

    for key, value in arrays.items():
        if not key.startswith("model."):
            tensors[f"trainer.{key}"] = to_numpy(value)
    state = {"status": status, "scalars": scalars, "settings": settings or {}}
    metadata = {METADATA_KEY: encode_json(document), CHECKPOINT_KEY: encode_json(state)}
    return atomic_write_bytes(path, _serialize(tensors, metadata))


def load_checkpoint(path) -> Checkpoint:
    """Read and validate a checkpoint written by ``save_checkpoint``."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"No checkpoint {path} to resume from (a finished run removes its "
                             "checkpoint unless trained with --keep-checkpoint); train without "
                             "--resume.")
    header, metadata, tensors = read_file(path)
    if CHECKPOINT_KEY not in metadata:
        raise invalid(path, "it is a model file, not a training checkpoint")
    document = decode_json(path, metadata, METADATA_KEY)
    model = model_from_document(path, document, tensors, extra_prefixes=("trainer.",))
    state = decode_json(path, metadata, CHECKPOINT_KEY)
    scalars = state.get("scalars")
    needed = ("epoch", "batch", "seed", "sums", "optimizer", "history")
    if not isinstance(scalars, dict) or any(key not in scalars for key in needed):
        raise invalid(path, f"its checkpoint state lacks one of {', '.join(needed)}")
    arrays = {f"model.{k}": v for k, v in model.get_weights().items()}
    arrays.update({k[len("trainer."):]: v for k, v in tensors.items() if k.startswith("trainer.")})
    for key, value in arrays.items():
        if not np.isfinite(value).all():
            raise invalid(path, f"tensor {key} holds NaN or infinite values")
    settings = state.get("settings") if isinstance(state.get("settings"), dict) else {}
    return Checkpoint(model, (arrays, scalars), settings, str(state.get("status", "running")))


# ---- per-file results ------------------------------------------------------------------------
MISTAKE_COLUMNS = ("source", "true", "predicted", "probability")


def save_mistakes(mistakes: list[dict], path) -> Path:
    """Every mistake of an evaluation as CSV (source, true, predicted, probability), atomically:
    a spreadsheet of the files to look at, most confident first."""
    buffer = text_io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MISTAKE_COLUMNS)
    for m in mistakes:
        writer.writerow([m["source"], m["true"], m["predicted"], f"{m['probability']:.6f}"])
    return atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))

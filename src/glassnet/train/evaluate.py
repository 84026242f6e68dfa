"""Using a trained model on new data: the Python API behind ``evaluate`` and ``predict``.

* ``load_for_model(spec, model)`` loads DATA the way the model was trained (resized to the
  trained size, converted to its channels) and checks it fits the input layer.
* ``evaluate(model, X, y)`` — accuracy, log-loss, per-class precision/recall/F1 and the
  confusion matrix (train/metrics.py, scikit-learn's definitions).
* ``read_inputs(paths, model)`` turns image files, folders of images and array files into
  raw rows; ``predictions(model, names, X)`` gives label and probability for each.

Rows stay RAW here: the model applies its stored preprocessing itself.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from glassnet.backend import is_dask_array
from glassnet.errors import ConfigError, DataError


def json_scalar(value):
    """A NumPy scalar as the plain Python value JSON can hold (other values unchanged)."""
    return value.item() if isinstance(value, np.generic) else value


# ---- data shaped like the training data --------------------------------------------------------
def load_for_model(spec, model, **options):
    """DATA as a Dataset whose rows fit ``model``: same size, channels and features."""
    from glassnet import data

    pre = model.preprocessor
    is_folder = not str(spec).startswith("builtin:") and Path(spec).is_dir()
    if pre is not None and pre.size is not None and is_folder:
        options.setdefault("size", tuple(pre.size))
    if pre is not None and pre.channels == "L" and is_folder:
        options.setdefault("grayscale", True)
    if pre is not None and pre.channels == "RGB" and is_folder:
        options.setdefault("color", True)  # gray files are widened, never the set made gray
    training = model.meta.get("training") if isinstance(model.meta.get("training"), dict) else {}
    label_column = (training.get("settings") or {}).get("label_column")
    if label_column is not None and str(spec).lower().endswith((".csv", ".tsv")):
        options.setdefault("label_column", label_column)
    dataset = data.load(spec, **options)
    dataset.X = fit_channels(dataset.X, dataset.channels, model)
    if dataset.X.shape[1] != model.n_features:
        raise DataError(
            f"{spec}: rows of {dataset.X.shape[1]:,} features ({dataset.describe()}), but the model "
            f"expects {model.n_features:,} (input shape {tuple(model.input_shape)}). Use data "
            "with the same image size as in training, or retrain with --size."
        )
    return dataset


def fit_channels(X, channels, model):
    """Gray rows for an RGB model are repeated into three channels (colour → gray is the loader's)."""
    wanted = getattr(model.preprocessor, "channels", None)
    if wanted == "RGB" and channels == "L" and X.shape[1] * 3 == model.n_features:
        return np.repeat(np.asarray(X)[:, :, None], 3, axis=2).reshape(len(X), -1)
    return X


def align_labels(y, classes, origin="DATA"):
    """Labels in the type of the model's classes ("3" → 3 for an int model), all known."""
    y = np.asarray(y)
    if classes.dtype.kind in "iu" and y.dtype.kind in "US":
        try:
            y = y.astype(np.int64)
        except ValueError:
            pass
    elif classes.dtype.kind in "US" and y.dtype.kind in "iu":
        y = y.astype(str)
    unknown = sorted(set(np.unique(y).tolist()) - set(classes.tolist()), key=str)
    if unknown:
        raise DataError(
            f"{origin} has labels the model does not know: {', '.join(map(repr, unknown[:5]))}"
            f"{' …' if len(unknown) > 5 else ''}. The model's classes are "
            f"{', '.join(map(str, classes.tolist()))}."
        )
    return y


# ---- metrics ---------------------------------------------------------------------------------
# scikit-learn's definitions exactly (confusion_matrix, precision_recall_fscore_support with
# zero_division=0, log_loss with p clipped to [ε, 1 − ε]), checked against scikit-learn in
# tests/train/test_metrics.py. Written here from counts because importing sklearn.metrics costs
# about 2 s, which every `glassnet evaluate` and validated `glassnet train` would pay.
def class_indices(y, classes) -> np.ndarray:
    """The position of each label of ``y`` in ``classes`` (every label must be one of them)."""
    classes = np.asarray(classes)
    y = np.asarray(y)
    if classes.dtype.kind == "O" or y.dtype.kind == "O":
        where = {c: i for i, c in enumerate(classes.tolist())}
        return np.fromiter((where[v] for v in y.tolist()), np.intp, len(y))
    order = np.argsort(classes, kind="stable")
    return order[np.searchsorted(classes, y, sorter=order)]


def confusion(true_index, predicted_index, n_classes: int) -> np.ndarray:
    """C[i, j] = how many rows of class i were predicted as class j."""
    pairs = np.asarray(true_index, np.int64) * n_classes + np.asarray(predicted_index, np.int64)
    return np.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def precision_recall_f1(matrix: np.ndarray):
    """(precision, recall, F1, support) per class from a confusion matrix; 0 where undefined.

    precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2·TP / (2·TP + FP + FN)."""
    hits = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)

    def ratio(top, bottom):
        return np.divide(top, bottom, out=np.zeros_like(top), where=bottom > 0)

    f1 = ratio(2 * hits, support + predicted)
    return ratio(hits, predicted), ratio(hits, support), f1, support


def log_loss(proba: np.ndarray, true_index: np.ndarray) -> float:
    """−(1/n) Σ log p(true class), p clipped to [ε, 1 − ε] so a confident mistake stays finite."""
    eps = np.finfo(proba.dtype if proba.dtype.kind == "f" else np.float64).eps
    p_true = proba[np.arange(len(true_index)), true_index].astype(np.float64)
    return float(-np.mean(np.log(np.clip(p_true, eps, 1 - eps))))


LIKELY_MISLABELED = 0.9  # a mistake the model makes with p ≥ this is worth a look at the label


class Evaluation(dict):
    """The result of ``evaluate``: a plain dict (JSON as it is) that a notebook shows as a
    table (``_repr_html_`` is attached by ``glassnet.explain.notebook``)."""

    def likely_mislabeled(self, threshold: float = LIKELY_MISLABELED) -> list[dict]:
        """The mistakes made with probability ≥ ``threshold``: often the label is wrong."""
        return [m for m in self.get("mistakes", []) if m["probability"] >= threshold]


def evaluate(model, X, y, sources=None) -> Evaluation:
    """Accuracy, log-loss, per-class precision/recall/F1/support, confusion matrix and every
    mistake with its source (JSON-able).

    ``sources`` names each row (``Dataset.sources``: a file path or ``file[row]``); without
    it a mistake's source is its row index. Mistakes are sorted most confident first.
    """
    if model.task == "regression":
        raise ConfigError("evaluate needs a classifier (sigmoid or softmax output layer).")
    if is_dask_array(X):  # chunk-parallel on the cluster, the same keys
        from glassnet.train.fit import distributed

        return Evaluation(distributed().evaluate(model, X, y))
    classes = model.classes_
    y = align_labels(y, classes)
    proba = model.predict_proba(X)
    truth, chosen = class_indices(y, classes), np.argmax(proba, axis=1)
    predicted = classes[chosen]
    matrix = confusion(truth, chosen, len(classes))
    precision, recall, f1, support = precision_recall_f1(matrix)
    return Evaluation({
        "n_samples": int(len(y)),
        "accuracy": float(np.mean(predicted == y)),
        "log_loss": log_loss(proba, truth),
        "macro_f1": float(np.mean(f1)),
        "classes": [json_scalar(c) for c in classes],
        "per_class": [
            {"class": json_scalar(c), "precision": float(p), "recall": float(r), "f1": float(f),
             "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)
        ],
        "confusion_matrix": matrix.tolist(),
        "mistakes": mistakes(y, predicted, proba.max(axis=1), sources),
    })


def mistakes(y, predicted, p_predicted, sources=None) -> list[dict]:
    """Every row where ``predicted`` differs from ``y``, most confident first (ties by row)."""
    wrong = np.flatnonzero(np.asarray(predicted) != np.asarray(y))
    if sources is not None and len(sources) != len(y):
        raise DataError(f"sources has {len(sources):,} names for {len(y):,} rows; give one per row.")
    order = wrong[np.argsort(-np.asarray(p_predicted)[wrong], kind="stable")]
    return [
        {"row": int(i), "source": str(sources[i]) if sources is not None else int(i),
         "true": json_scalar(y[i]), "predicted": json_scalar(predicted[i]),
         "probability": float(p_predicted[i])}
        for i in order
    ]


# ---- prediction inputs --------------------------------------------------------------------------
ARRAY_SUFFIXES = (".npy", ".npz", ".csv")


def read_inputs(paths, model, notices: list | None = None) -> tuple[list[str], np.ndarray]:
    """(names, raw rows) for image files, folders of images and .npy/.npz/.csv array files.

    Files in a folder that are not images are left out; ``notices`` (a list) receives the
    same "Ignored … non-image entries" line that loading an image folder gives.
    """
    names, rows = [], []
    for item in paths:
        for name, row in _rows_of(Path(item), model, notices):
            names.append(name)
            rows.append(row)
    if not rows:
        raise DataError("No inputs given: pass image files, a folder of images, or an array file.")
    return names, np.vstack(rows)


def _rows_of(path: Path, model, notices=None):
    from glassnet.data import IMAGE_SUFFIXES

    if not path.exists():
        raise DataError(f"INPUT {path} does not exist. Pass image files, a folder of images, "
                        "or a .npy/.npz/.csv array file.")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")]
        if notices is not None:
            chosen = set(images)
            notices += ignored_notices([str(p.relative_to(path)) for p in files if p not in chosen])
        if not images:
            raise DataError(f"INPUT folder {path} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
        return [(str(p), image_row(p, model)) for p in images]
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return [(str(path), image_row(path, model))]
    if suffix in ARRAY_SUFFIXES:
        X = _array_file(path, model)
        return [(f"{path}[{i}]", X[i : i + 1]) for i in range(len(X))]
    raise DataError(f"INPUT {path}: unsupported file type {suffix or '(none)'!r}. Expected an "
                    f"image ({', '.join(sorted(IMAGE_SUFFIXES))}), a folder, or .npy/.npz/.csv.")


def ignored_notices(ignored: list[str]) -> list[str]:
    """The loaders' "Ignored N non-image entries: …" line for files left out of a folder."""
    from glassnet.data.folders import Layout, folder_notices

    return folder_notices(Layout(ignored=ignored), [])


def image_row(path, model) -> np.ndarray:
    """One image file → the model's raw (1, d) row: converted to the trained channels and
    resized to the trained size (an error when the sizes differ and no size was trained)."""
    from glassnet.data import prepare_image

    raw = _raw_preprocessor(model)
    return np.asarray(prepare_image(path, raw), dtype=np.float32).reshape(1, -1)


def _raw_preprocessor(model):
    """A 'none' preprocessor with the model's image format: prepare_image then yields raw rows."""
    from glassnet.data import Preprocessor

    pre = model.preprocessor
    if pre is not None:
        settings = {**pre.to_dict(include_arrays=False), "kind": "none"}
    else:
        shape = model.image_shape
        channels = {2: "L", 3: "RGB"}.get(len(shape)) if shape is not None else None
        settings = {"kind": "none", "image_shape": list(shape) if channels else None,
                    "channels": channels, "n_features": model.n_features}
    return Preprocessor.from_dict(settings)


def _array_file(path: Path, model) -> np.ndarray:
    from glassnet.data.limits import check_input_file, input_rows

    check_input_file(path)
    try:
        if path.suffix.lower() == ".csv":
            X = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
        else:
            X = np.load(path, allow_pickle=False)
            if isinstance(X, np.lib.npyio.NpzFile):
                with X:
                    key = "X" if "X" in X.files else X.files[0] if len(X.files) == 1 else None
                    if key is None:
                        raise DataError(f"INPUT {path}: expected an array named 'X'; found {', '.join(X.files)}.")
                    X = X[key]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, RuntimeError, NotImplementedError) as e:
        raise DataError(f"INPUT {path}: cannot read numeric rows ({str(e).splitlines()[0]}).") from None
    if X.dtype.kind not in "biuf":
        raise DataError(f"INPUT {path}: expected numbers, got dtype {X.dtype}.")
    return input_rows(X, f"INPUT {path}")


def predictions(model, names, X) -> list[dict]:
    """For each row: its name, the predicted label, its probability, and every class's."""
    proba = model.predict_proba(X)
    classes = [json_scalar(c) for c in model.classes_]
    best = np.argmax(proba, axis=1)
    return [
        {"input": name, "label": classes[k], "probability": float(p[k]),
         "probabilities": {str(c): float(v) for c, v in zip(classes, p)}}
        for name, k, p in zip(names, best, proba)
    ]

"""Outgrow one machine: train and predict on a Dask cluster, with the same model code.

Give ``fit``, ``predict``, ``predict_proba`` a ``dask.array`` (chunked by rows) instead of a
NumPy array and they run here, on the workers of a ``dask.distributed.Client`` (``client=``,
or the default client — the last one created)::

    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")          # or Client() for a local cluster
    X = glassnet.data.load_lazy("photos/", size=(32, 32)).X   # decoded on the workers
    model.fit(X, y, epochs=10, sync_every=10)        # parameter averaging (cluster_sgd)
    model.predict(X).compute()                       # map_blocks, chunk by chunk

Two honest strategies (the maths in docs/scaling.md):

* **Exact full-batch gradients** for ``LogisticRegression(solver="lbfgs")`` (``cluster_lbfgs``):
  J(θ) = (1/n) Σ_chunks Σ_i s_i ℓ_i(θ) + (λ/2n)‖W‖², so each evaluation sends θ to every
  worker and gets back one number and one gradient vector per worker. The sum is the
  in-memory objective (up to rounding), and L-BFGS reaches the same optimum.
* **Data-parallel mini-batch training by periodic parameter averaging** for networks
  (``cluster_sgd``): each worker trains its own rows for ``sync_every`` steps from the same
  weights; the weights are averaged, weighted by the samples seen; repeat. One worker with
  ``sync_every=1`` reproduces single-machine SGD bit for bit.

The rows stay on the workers (``cluster_data``): the client holds only the labels (small),
the weights and one gradient or weight vector per worker at a time. Training on the cluster
runs on the workers' CPUs (a model moved to a GPU is refused here).

Needs the optional extra ``dask`` (``dask[array,distributed]``) on the client and on every
worker, and glassnet installed on the workers.
"""

from __future__ import annotations

import uuid

import numpy as np

from glassnet.backend import CPU, is_dask_array, to_numpy
from glassnet.distributed.data import Shards, as_rows, get_client, host_labels, make_shards
from glassnet.distributed.lbfgs import fit_logistic
from glassnet.errors import ConfigError, DataError

__all__ = ["evaluate", "fit", "fit_estimator", "fit_logistic", "get_client",
           "predict", "predict_proba"]

DEFAULT_SYNC_EVERY = 10


def fit(model, X, y, epochs=10, batch_size=32, optimizer="sgd", *, client=None,
        sync_every=DEFAULT_SYNC_EVERY, slots=None, validation_data=None, validation_split=0.0,
        early_stopping=None, seed=None, verbose="auto", l2=0.0, sample_weight=None,
        classes=None, callbacks=(), resume=None, trainer_hook=None, device=None, diagnose=True):
    """``Sequential.fit`` on a dask array X: parameter averaging over the cluster's workers.
    (``diagnose`` is accepted and ignored: the training doctor's probe needs rows on one machine.)

    Options are those of ``fitting.fit``, plus ``client`` (default: the default client),
    ``sync_every`` (optimizer steps each worker takes between two averagings) and ``slots``
    (how many parts the rows are split into; default: one per worker at the start).
    ``validation_data`` may hold a dask array too. Returns the ``History``.
    """
    from glassnet.distributed.trainer import ClusterTrainer
    from glassnet.train.fit import check_sample_weight, warn_symmetric_hidden
    from glassnet.train.progress import reporters_for

    if device not in (None, "cpu") or model.device is not CPU:
        raise ConfigError("Training on a Dask cluster runs on the workers' CPUs: call "
                          "model.to('cpu') and leave device out (or train in memory on the GPU).")
    if validation_split:
        raise ConfigError("validation_split needs the rows in memory; with a dask X pass "
                          "validation_data=(X_val, y_val) instead.")
    client = get_client(client)
    X = as_rows(X)
    n = int(X.shape[0])
    target = model.encode_labels(host_labels(y, n), classes)
    if sample_weight is not None:
        sample_weight = check_sample_weight(host_labels(sample_weight, n, "sample_weight"), n, model.dtype)
    seed = int(np.random.SeedSequence().entropy % 2**32) if seed is None else int(seed)
    if not model.built:
        model.build((int(X.shape[1]),), np.random.default_rng([seed, 0]))
    warn_symmetric_hidden(model)
    _check_width(model, X)
    shards = make_shards(client, model, X, target, sample_weight, slots)
    validation = _validation(client, model, validation_data, slots)
    try:
        trainer = ClusterTrainer(client, model, shards, epochs=epochs, batch_size=batch_size,
                                 optimizer=optimizer, sync_every=sync_every, l2=l2, seed=seed,
                                 validation=validation, early_stopping=early_stopping,
                                 callbacks=[*reporters_for(verbose), *callbacks])
        if resume is not None:
            trainer.load_state_dict(*resume)
        if trainer_hook is not None:
            trainer_hook(trainer)
        return trainer.run()
    finally:
        shards.release()
        if isinstance(validation, _ShardedEvaluation):
            validation.shards.release()


def _check_width(model, X):
    if X.shape[1] != model.n_features:
        raise DataError(f"X has rows of {X.shape[1]:,} features but the model expects "
                        f"{tuple(model.input_shape)} ({model.n_features:,} features).")


def _validation(client, model, validation_data, slots):
    if validation_data is None:
        return None
    Xv, yv = validation_data
    if not is_dask_array(Xv):
        return (model.check_X(Xv, "validation X"), model.encode_labels(np.asarray(to_numpy(yv))))
    Xv = as_rows(Xv)
    _check_width(model, Xv)
    target = model.encode_labels(host_labels(yv, int(Xv.shape[0]), "validation y"))
    return _ShardedEvaluation(client, make_shards(client, model, Xv, target, None, slots))


class _ShardedEvaluation:
    """Validation loss and accuracy over rows held on the workers (one task per slot)."""

    def __init__(self, client, shards: Shards):
        self.client, self.shards = client, shards

    def __call__(self, model) -> dict:
        from glassnet.distributed.sgd import RoundSpec

        spec = RoundSpec(model.get_config(), tuple(model.input_shape), None, 0.0, self.shards.n, 1, 0)
        weights = model.get_weights()
        futures = [self.client.submit(_evaluate_shard, spec, weights, future, pure=False,
                                      workers=[worker], allow_other_workers=True)
                   for future, worker in zip(self.shards.futures, self.shards.workers)]
        parts = self.client.gather(futures)
        n = sum(p[2] for p in parts)
        logs = {"val_loss": sum(p[0] for p in parts) / n}
        if model.task != "regression":
            logs["val_accuracy"] = sum(p[1] for p in parts) / n
        return logs


def _evaluate_shard(spec, weights, shard):
    """On a worker: (Σ loss, correct, rows) of one slot, forward only."""
    from glassnet.distributed.sgd import round_objects
    from glassnet.train.loop import predicted_index

    net = round_objects(spec)[0]
    net.set_weights(weights)
    x, target, _ = shard
    out = net._forward_for_loss(x, training=False)
    loss, _ = net.loss.value_and_gradient(out, target)
    correct = 0 if net.task == "regression" else int(np.count_nonzero(predicted_index(net, out) == target))
    return loss * len(x), correct, len(x)


# ---- prediction: chunk by chunk, with map_blocks -------------------------------------------------
def _shipped(model):
    """A lean CPU copy of a fitted model (weights, classes, preprocessing) for the workers."""
    import dask

    from glassnet.train.sequential import Sequential

    model._check_fitted()
    lean = Sequential.from_config(model.get_config())
    lean.build(tuple(model.input_shape), np.random.default_rng(0))
    lean.set_weights({k: to_numpy(v) for k, v in model.get_weights().items()})
    lean.classes_, lean.preprocessor = model.classes_, model.preprocessor
    return dask.delayed(lean, name=f"glassnet-model-{uuid.uuid4().hex}")


def _proba_block(x, model):
    return model.predict_proba(x)


def _predict_block(x, model):
    return model.predict(x)


def predict_proba(model, X):
    """(n, n_classes) probabilities as a dask array, one ``predict_proba`` per chunk."""
    if model.task == "regression":
        raise ConfigError("predict_proba needs a sigmoid or softmax output layer; use predict().")
    X = as_rows(X)
    _check_width(model, X)
    k = 2 if model.task == "binary" else model.output_layer.units
    return X.map_blocks(_proba_block, _shipped(model), chunks=(X.chunks[0], (k,)),
                        meta=np.empty((0, 0), dtype=model.dtype))


def predict(model, X):
    """Labels (or regression values) as a dask array, one ``predict`` per chunk."""
    X = as_rows(X)
    _check_width(model, X)
    shipped = _shipped(model)
    units = model.output_layer.units
    if model.task == "regression" and units > 1:
        return X.map_blocks(_predict_block, shipped, chunks=(X.chunks[0], (units,)),
                            meta=np.empty((0, 0), dtype=model.dtype))
    dtype = model.dtype if model.task == "regression" else model.classes_.dtype
    return X.map_blocks(_predict_block, shipped, drop_axis=1, chunks=(X.chunks[0],),
                        meta=np.empty((0,), dtype=dtype))


def evaluate(model, X, y) -> dict:
    """``evaluation.evaluate`` for a dask X: accuracy, log-loss, per-class precision/recall/F1,
    confusion matrix — each chunk reduced on its worker to a k×k confusion matrix and a log-loss
    sum, so only (k² + 2) numbers per chunk come back."""
    import dask

    if model.task == "regression":
        raise ConfigError("evaluate needs a classifier (sigmoid or softmax output layer).")
    X = as_rows(X)
    _check_width(model, X)
    bounds = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(int)
    if is_dask_array(y):
        labels = y.rechunk((X.chunks[0],)).to_delayed().ravel()
    else:
        y = host_labels(y, int(X.shape[0]))
        labels = [y[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    shipped = _shipped(model)
    parts = dask.compute(*[dask.delayed(_evaluate_block)(shipped, x, t)
                           for x, t in zip(X.to_delayed().ravel(), labels)])
    confusion = sum(p[0] for p in parts)
    return _metrics(model.classes_, confusion, sum(p[1] for p in parts))


def _evaluate_block(model, x, y):
    from glassnet.train.evaluate import align_labels

    classes = model.classes_
    y = align_labels(y, classes)
    proba = model.predict_proba(x)
    truth = np.searchsorted(classes, y)
    guess = np.argmax(proba, axis=1)
    k = len(classes)
    confusion = np.bincount(truth * k + guess, minlength=k * k).reshape(k, k)
    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba[np.arange(len(y)), truth].astype(np.float64), eps, 1.0)
    return confusion, float(-np.log(picked).sum())


def _metrics(classes, confusion, log_loss_sum) -> dict:
    from glassnet.train.evaluate import json_scalar

    n = int(confusion.sum())
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    hits = np.diag(confusion).astype(np.float64)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
    return {
        "n_samples": n,
        "accuracy": float(hits.sum() / n),
        "log_loss": log_loss_sum / n,
        "macro_f1": float(np.mean(f1)),
        "classes": [json_scalar(c) for c in classes],
        "per_class": [{"class": json_scalar(c), "precision": float(p), "recall": float(r), "f1": float(f),
                       "support": int(s)} for c, p, r, f, s in zip(classes, precision, recall, f1, support)],
        "confusion_matrix": confusion.tolist(),
    }


# ---- scikit-learn estimators and preprocessing -------------------------------------------------
def fit_estimator(estimator, X, y, sample_weight=None):
    """``GlassNetClassifier.fit`` on a dask X: the estimator's own training, by parameter averaging."""
    if estimator.early_stopping:
        raise ConfigError("early_stopping=True holds out rows in memory; with a dask X leave it "
                          "off (training stops on the training loss).")
    X = as_rows(X)
    n = int(X.shape[0])
    y = estimator._labels(host_labels(y, n))
    estimator.classes_ = np.unique(y)
    if len(estimator.classes_) < 2:
        raise DataError(f"y has only 1 class ({estimator.classes_.tolist()[0]!r}): a classifier needs at least two.")
    estimator.n_features_in_ = int(X.shape[1])
    weights = host_labels(sample_weight, n, "sample_weight")
    return estimator._train(X, y, weights, incremental=False, classes=estimator.classes_)

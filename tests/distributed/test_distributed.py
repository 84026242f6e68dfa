"""Training and prediction on a real Dask cluster: LocalCluster, 2 worker processes, 1 thread each.

One cluster serves every cluster test (``dask_client`` in conftest: started once, ~1 s). What must hold:
* one worker (one slot) with sync_every=1 walks exactly the single-machine batches: same weights, bit for bit;
* two workers reach the in-memory accuracy on digits within 1 point;
* predict on a dask array gives exactly the in-memory labels;
* logistic regression by sharded full-batch L-BFGS reaches the in-memory optimum (same J, same
  probabilities, to the solver's tol: tests/optimum.py);
* killing a worker mid-training loses nothing: Dask reruns the lost tasks, the result is identical.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import glassnet as gn  # noqa: E402
from glassnet.distributed import api as cluster  # noqa: E402
from glassnet.errors import ConfigError  # noqa: E402
from glassnet.sklearn import GlassNetClassifier  # noqa: E402
from optimum import assert_same_optimum  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


@pytest.fixture
def client(dask_client):
    return dask_client


@pytest.fixture(scope="module")
def digits(digits_split):
    X, Xt, y, yt = digits_split
    return X, Xt, y, yt, da.from_array(X, chunks=(256, -1)), da.from_array(Xt, chunks=(128, -1))


def network(dropout=0.0, hidden=32):
    layers = [gn.Flatten(input_shape=(64,)), gn.Dense(hidden, "sigmoid")]
    layers += [gn.Dropout(dropout)] if dropout else []
    return gn.Sequential(layers + [gn.Dense(10, "softmax")])


OPTIMIZERS = {"sgd": lambda: gn.SGD(lr=0.5), "momentum": lambda: gn.Momentum(lr=0.1, nesterov=True),
              "adam": lambda: gn.Adam(lr=0.01)}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_one_worker_with_sync_every_1_reproduces_single_machine_training_exactly(client, digits, name):
    X, Xt, y, yt, _, _ = digits
    # 600 rows: one round per batch, so fewer rows, fewer rounds; the chunks stay uneven
    # (256, 256, 88) and the last batch of each epoch is short (600 = 18 · 32 + 24)
    X, y = X[:600], y[:600]
    Xd = da.from_array(X, chunks=(256, -1))
    options = dict(epochs=2, batch_size=32, seed=3, verbose=0, l2=0.01, validation_data=(Xt, yt))
    alone = network(dropout=0.1)
    alone.fit(X, y, optimizer=OPTIMIZERS[name](), **options)
    spread = network(dropout=0.1)
    spread.fit(Xd, y, optimizer=OPTIMIZERS[name](), client=client, slots=1, sync_every=1, **options)
    for key, theta in alone.get_weights().items():
        np.testing.assert_array_equal(spread.get_weights()[key], theta, err_msg=key)
    assert spread.history.history == alone.history.history


def test_two_workers_reach_the_in_memory_accuracy_on_digits(client, digits):
    X, Xt, y, yt, Xd, Xtd = digits
    options = dict(epochs=25, batch_size=32, optimizer=gn.SGD(lr=0.5), seed=0, verbose=0)
    alone = network()
    alone.fit(X, y, **options)
    spread = network()
    history = spread.fit(Xd, y, client=client, sync_every=8, validation_data=(Xtd, yt), **options)
    assert history.info["slots"] == 2
    in_memory, on_dask = alone.score(Xt, yt), spread.score(Xt, yt)
    assert in_memory > 0.95
    assert on_dask >= in_memory - 0.01, (on_dask, in_memory)
    assert history.val_accuracy[-1] == pytest.approx(on_dask)


def test_predict_on_dask_equals_in_memory_predict(client, digits):
    X, Xt, y, yt, _, Xtd = digits
    model = network()
    model.fit(X, y, epochs=3, seed=0, verbose=0)
    labels = model.predict(Xtd)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), model.predict(Xt))
    np.testing.assert_allclose(model.predict_proba(Xtd).compute(), model.predict_proba(Xt), atol=1e-6)


def test_evaluate_on_dask_matches_in_memory_evaluation(client, digits):
    from glassnet.train.evaluate import evaluate

    X, Xt, y, yt, _, Xtd = digits
    model = network()
    model.fit(X, y, epochs=3, optimizer=gn.SGD(lr=0.5), seed=0, verbose=0)
    expected, got = evaluate(model, Xt, yt), cluster.evaluate(model, Xtd, da.from_array(yt, chunks=50))
    assert got["confusion_matrix"] == expected["confusion_matrix"]
    assert got["accuracy"] == expected["accuracy"]
    assert got["log_loss"] == pytest.approx(expected["log_loss"], rel=1e-5)
    assert got["macro_f1"] == pytest.approx(expected["macro_f1"])
    for mine, theirs in zip(got["per_class"], expected["per_class"], strict=True):
        assert mine == pytest.approx(theirs)
    dispatched = evaluate(model, Xtd, da.from_array(yt, chunks=50))  # the one entry point
    assert dispatched["confusion_matrix"] == expected["confusion_matrix"]


@pytest.mark.parametrize("classes", [2, 3])
def test_logistic_regression_on_dask_reaches_the_in_memory_optimum(client, digits, classes):
    X, _, y, _, Xd, _ = digits
    keep = y < classes
    X, y, Xd = X[keep], y[keep], da.from_array(X[keep], chunks=(200, -1))
    settings = dict(C=0.5, max_iter=2000, tol=1e-8, dtype="float64")
    in_memory = gn.LogisticRegression(**settings).fit(X, y)
    on_dask = gn.LogisticRegression(**settings).fit(Xd, y)
    assert_same_optimum(X, y, 0.5, on_dask, in_memory, tol=1e-8)  # not the same iterates: sums differ
    assert on_dask.n_features_in_ == 64
    np.testing.assert_array_equal(on_dask.predict(X), in_memory.predict(X))


def test_glassnet_classifier_fits_a_dask_array(client, digits):
    X, Xt, y, yt, Xd, Xtd = digits
    estimator = GlassNetClassifier(hidden_layer_sizes=(32,), optimizer="sgd", learning_rate=0.5,
                                   max_iter=16, batch_size=32, random_state=0, dtype="float32")
    with pytest.warns(Warning):  # ConvergenceWarning: max_iter reached
        estimator.fit(Xd, y)
    assert estimator.n_features_in_ == 64 and estimator.score(Xt, yt) > 0.93
    np.testing.assert_array_equal(estimator.predict(Xtd).compute(), estimator.predict(Xt))


def test_dask_options_that_need_rows_in_memory_are_refused(client, digits):
    _, _, y, _, Xd, _ = digits
    with pytest.raises(ConfigError, match="validation_split"):
        network().fit(Xd, y, validation_split=0.1)
    with pytest.raises(ConfigError, match="early_stopping"):
        GlassNetClassifier(early_stopping=True).fit(Xd, y)


class KillOneWorker(gn.Callback):
    """After round ``at`` of epoch 1, SIGKILL one worker process (the one holding slot 1's
    rows) while the next rounds run; count the rounds that finish after it died."""

    def __init__(self, client, at=3):
        self.client, self.at, self.killed, self.rounds_after = client, at, None, 0

    def on_batch_end(self, trainer, batch, logs):
        if self.killed is not None and time.monotonic() > self.killed[2]:
            self.rounds_after += 1
        if self.killed is None and trainer.epoch == 1 and batch == self.at:
            address, pid = sorted(self.client.run(os.getpid).items())[-1]
            self.killed = (address, pid, time.monotonic() + 0.005)
            threading.Timer(0.005, os.kill, (pid, signal.SIGKILL)).start()


def test_killing_a_worker_mid_training_does_not_lose_the_run(client, digits):
    X, Xt, y, yt, Xd, _ = digits
    options = dict(epochs=3, batch_size=32, optimizer=gn.Momentum(lr=0.1), seed=0, verbose=0, sync_every=4)
    undisturbed = network()
    undisturbed.fit(Xd, y, client=client, **options)
    pids_before = set(client.run(os.getpid).values())
    killer = KillOneWorker(client)
    survivor = network()
    survivor.fit(Xd, y, client=client, callbacks=[killer], **dict(options, optimizer=gn.Momentum(lr=0.1)))
    assert killer.killed is not None and killer.rounds_after >= 3
    removed = [event for _, event in client.get_events(killer.killed[0])
               if isinstance(event, dict) and event.get("action") == "remove-worker"]
    assert removed, "the scheduler never saw the worker die"
    for key, theta in undisturbed.get_weights().items():
        np.testing.assert_array_equal(survivor.get_weights()[key], theta, err_msg=key)
    assert survivor.score(Xt, yt) == undisturbed.score(Xt, yt)
    deadline = time.monotonic() + 30  # the nanny restarts the killed worker
    while len(client.scheduler_info()["workers"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert killer.killed[1] in pids_before and killer.killed[1] not in set(client.run(os.getpid).values())


class StopAt(gn.Callback):
    def __init__(self, epoch, round_index):
        self.at = (epoch, round_index)

    def on_batch_end(self, trainer, batch, logs):
        if (trainer.epoch, batch) == self.at:
            trainer.request_stop()


def test_a_run_stopped_mid_epoch_resumes_to_the_same_weights(client, digits):
    from glassnet.errors import TrainingInterrupted

    X, _, y, _, Xd, _ = digits
    options = dict(epochs=3, batch_size=32, seed=0, verbose=0, sync_every=4, client=client)
    whole = network(dropout=0.2)
    whole.fit(Xd, y, optimizer=gn.Adam(lr=0.01), **options)
    seen = {}
    first = network(dropout=0.2)
    with pytest.raises(TrainingInterrupted, match="epoch 2 after round 3"):
        first.fit(Xd, y, optimizer=gn.Adam(lr=0.01), callbacks=[StopAt(1, 2)],
                  trainer_hook=lambda trainer: seen.setdefault("trainer", trainer), **options)
    state = seen["trainer"].state_dict()
    resumed = network(dropout=0.2)
    resumed.fit(Xd, y, optimizer=gn.Adam(lr=0.01), resume=state, **options)
    for key, theta in whole.get_weights().items():
        np.testing.assert_array_equal(resumed.get_weights()[key], theta, err_msg=key)
    assert resumed.history.history == whole.history.history

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn.layers import Dense, Dropout, Flatten

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def digits_net(hidden=64, activation="sigmoid", **kw):
    return gn.Sequential([Flatten(input_shape=(64,)), Dense(hidden, activation, **kw), Dense(10, "softmax")])


@pytest.mark.slow
def test_xor_needs_a_hidden_layer():
    logistic = gn.LogisticRegression(C=1e6).fit(XOR_X, XOR_Y)
    assert logistic.score(XOR_X, XOR_Y) <= 0.75  # no line separates XOR
    net = gn.Sequential([Flatten(input_shape=(2,)), Dense(4, "sigmoid"), Dense(1, "sigmoid")])
    net.fit(XOR_X, XOR_Y, epochs=2000, batch_size=4, optimizer=gn.SGD(lr=2.0), seed=0, verbose=0)
    assert net.score(XOR_X, XOR_Y) == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_sigmoid_network_reaches_97_percent_on_digits(digits_split, seed):
    Xtr, Xte, ytr, yte = digits_split
    model = digits_net()
    history = model.fit(Xtr, ytr, epochs=50, batch_size=32, optimizer=gn.SGD(lr=2.0), seed=seed, verbose=0)
    assert history.epochs == 50 and len(history.loss) == 50
    assert model.score(Xte, yte) >= 0.97
    assert history.loss[-1] < history.loss[0]


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", [gn.Momentum(lr=0.1), gn.Momentum(lr=0.1, nesterov=True), gn.Adam(lr=0.01),
                                       gn.SGD(lr=gn.StepDecay(2.0, factor=0.5, every=10)),
                                       gn.SGD(lr=gn.ExponentialDecay(2.0, rate=0.97))])
def test_every_optimizer_learns_digits(digits_split, optimizer):
    Xtr, Xte, ytr, yte = digits_split
    model = digits_net()
    model.fit(Xtr, ytr, epochs=25, batch_size=32, optimizer=optimizer, seed=0, verbose=0)
    assert model.score(Xte, yte) >= 0.95


def test_schedules_follow_their_formulas():
    assert [gn.StepDecay(1.0, factor=0.5, every=2)(e) for e in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert gn.ExponentialDecay(2.0, rate=0.5)(3) == 0.25


def test_sgd_momentum_adam_single_step_by_formula():
    theta, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    gn.SGD(lr=0.1).step([("p", theta, g.copy())])
    np.testing.assert_allclose(theta, [0.95, -2.025])
    opt, theta = gn.Momentum(lr=0.1, momentum=0.9), np.array([1.0, -2.0])
    opt.step([("p", theta, g.copy())])  # v = −0.1 g
    opt.step([("p", theta, g.copy())])  # v = 0.9·(−0.1 g) − 0.1 g = −0.19 g
    np.testing.assert_allclose(theta, [1.0 - 0.29 * 0.5, -2.0 - 0.29 * 0.25])
    opt, theta = gn.Adam(lr=0.1), np.array([1.0, -2.0])
    opt.step([("p", theta, g.copy())])  # first Adam step moves every entry by lr·sign(g)
    np.testing.assert_allclose(theta, [0.9, -2.1], rtol=1e-6)


def test_same_seed_same_weights_different_seed_different_weights(digits_split):
    Xtr, _, ytr, _ = digits_split
    runs = []
    for seed in (3, 3, 4):
        model = gn.Sequential([Flatten(input_shape=(64,)), Dense(16, "relu"), Dropout(0.2), Dense(10, "softmax")])
        model.fit(Xtr, ytr, epochs=2, batch_size=50, optimizer=gn.Adam(), seed=seed, verbose=0)
        runs.append(model.get_weights())
    assert all(np.array_equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert not np.array_equal(runs[0]["layers.1.W"], runs[2]["layers.1.W"])


def test_string_labels_and_binary_output(rng):
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = np.where(X[:, 0] + X[:, 1] > 0, "cat", "dog")
    model = gn.Sequential([Flatten(input_shape=(3,)), Dense(1, "sigmoid")])
    model.fit(X, y, epochs=30, batch_size=16, optimizer=gn.SGD(lr=0.5), seed=0, verbose=0)
    assert list(model.classes_) == ["cat", "dog"]
    assert set(model.predict(X)) <= {"cat", "dog"}
    proba = model.predict_proba(X)
    assert proba.shape == (200, 2) and np.allclose(proba.sum(axis=1), 1)
    assert model.score(X, y) > 0.95


@pytest.mark.slow
def test_early_stopping_restores_the_best_weights(digits_split):
    Xtr, Xte, ytr, yte = digits_split
    model = digits_net()
    history = model.fit(Xtr, ytr, epochs=200, batch_size=32, optimizer=gn.SGD(lr=2.0), seed=0,
                        validation_data=(Xte, yte), early_stopping=gn.EarlyStopping(patience=3), verbose=0)
    best = history.info["best_epoch"]
    assert history.epochs < 200 and history.epochs == best + 4
    val_loss = gn.train.loop.evaluate_encoded(model, model.check_X(Xte), model.encode_labels(yte))["loss"]
    assert val_loss == pytest.approx(min(history.val_loss), rel=1e-5)


def test_validation_split_and_history(digits_split):
    Xtr, _, ytr, _ = digits_split
    model = digits_net()
    history = model.fit(Xtr, ytr, epochs=3, batch_size=64, optimizer=gn.SGD(lr=1.0),
                        validation_split=0.25, seed=0, verbose=0)
    assert len(history.val_accuracy) == 3 and all(0 <= a <= 1 for a in history.val_accuracy)
    assert history.history["loss"] == history.loss


def test_resume_from_a_mid_epoch_state_gives_identical_weights(digits_split):
    Xtr, _, ytr, _ = digits_split

    def fresh():
        return gn.Sequential([Flatten(input_shape=(64,)), Dense(16, "tanh"), Dropout(0.1), Dense(10, "softmax")])

    straight = fresh()
    straight.fit(Xtr, ytr, epochs=3, batch_size=40, optimizer=gn.Adam(lr=0.01), seed=7, verbose=0)

    class StopMidway(gn.Callback):
        def on_batch_end(self, trainer, batch, logs):
            if trainer.epoch == 1 and batch == 10:
                trainer.request_stop()

    stopped, saved = fresh(), {}
    with pytest.raises(gn.TrainingInterrupted, match="epoch 2 after batch 11"):
        stopped.fit(Xtr, ytr, epochs=3, batch_size=40, optimizer=gn.Adam(lr=0.01), seed=7, verbose=0,
                    callbacks=[StopMidway()], trainer_hook=lambda t: saved.setdefault("trainer", t))
    arrays, scalars = saved["trainer"].state_dict()
    resumed = fresh()
    history = resumed.fit(Xtr, ytr, epochs=3, batch_size=40, optimizer=gn.Adam(lr=0.01), seed=7, verbose=0,
                          resume=({k: v.copy() for k, v in arrays.items()}, scalars))
    assert history.epochs == 3
    for key, value in straight.get_weights().items():
        assert np.array_equal(value, resumed.get_weights()[key]), key
    assert history.loss == straight.history.loss


def test_divergence_keeps_the_last_good_weights(digits_split):
    Xtr, _, ytr, _ = digits_split
    model = gn.Sequential([Flatten(input_shape=(64,)), Dense(32, "relu"), Dense(10, "softmax")])
    model.fit(Xtr, ytr, epochs=1, batch_size=32, optimizer=gn.SGD(lr=0.1), seed=0, verbose=0)
    good = {k: v.copy() for k, v in model.get_weights().items()}
    with pytest.raises(gn.DivergedError, match=r"in epoch 1.*smaller learning rate"), np.errstate(all="ignore"):
        model.fit(Xtr * 1e15, ytr, epochs=5, batch_size=32, optimizer=gn.SGD(lr=1e20), seed=0, verbose=0)
    for key, value in model.get_weights().items():
        assert np.all(np.isfinite(value))
        assert np.array_equal(value, good[key])


def test_regression_with_identity_output(rng):
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3
    model = gn.Sequential([Flatten(input_shape=(4,)), Dense(1, "identity")])
    model.fit(X, y, epochs=60, batch_size=16, optimizer=gn.SGD(lr=0.05), seed=0, verbose=0)
    np.testing.assert_allclose(model.predict(X), y, atol=0.05)


def test_float64_on_request(digits_split):
    Xtr, _, ytr, _ = digits_split
    model = gn.Sequential([Flatten(input_shape=(64,)), Dense(10, "softmax")], dtype="float64")
    model.fit(Xtr, ytr, epochs=1, optimizer=gn.SGD(lr=0.1), seed=0, verbose=0)
    assert model.get_weights()["layers.1.W"].dtype == np.float64
    assert model.predict_proba(Xtr).dtype == np.float64


def test_summary_lists_layers_shapes_and_counts():
    model = gn.Sequential([Flatten(input_shape=(28, 28)), Dense(128, "sigmoid"), Dense(10, "softmax")])
    model.build((28, 28), np.random.default_rng(0))
    text = model.summary()
    assert "Flatten (28, 28) → 784" in text and "100,480" in text and "1,290" in text
    assert "Total parameters: 101,770" in text and "z = Wᵀx + b" in text


# ---- bad input: a ValueError subclass whose message names the problem ----------------------
def test_length_mismatch(digits_split):
    Xtr, _, ytr, _ = digits_split
    with pytest.raises(ValueError, match="X has 1437 rows but y has 1436"):
        digits_net().fit(Xtr, ytr[:-1], verbose=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_X(digits_split, bad):
    Xtr, _, ytr, _ = digits_split
    X = Xtr.copy()
    X[5, 7] = bad
    with pytest.raises(gn.DataError, match=r"NaN or infinity \(first at row 5, column 7\)"):
        digits_net().fit(X, ytr, verbose=0)


def test_one_class_only(digits_split):
    Xtr, _, _, _ = digits_split
    with pytest.raises(gn.DataError, match="only one class.*needs at least two"):
        digits_net().fit(Xtr, np.zeros(len(Xtr)), verbose=0)


def test_output_units_must_match_classes(digits_split):
    Xtr, _, ytr, _ = digits_split
    model = gn.Sequential([Flatten(input_shape=(64,)), Dense(3, "softmax")])
    with pytest.raises(gn.DataError, match=r"predicts 3 classes, but y has 10\. Use Dense\(10, 'softmax'\)"):
        model.fit(Xtr, ytr, verbose=0)


def test_wrong_feature_count_at_predict_time(digits_split):
    Xtr, _, ytr, _ = digits_split
    model = digits_net()
    model.fit(Xtr, ytr, epochs=1, optimizer=gn.SGD(lr=1.0), seed=0, verbose=0)
    with pytest.raises(gn.DataError, match=r"samples of shape \(63,\) but the model expects \(64,\)"):
        model.predict(Xtr[:, :63])


def test_unknown_optimizer_name_lists_valid_ones(digits_split):
    Xtr, _, ytr, _ = digits_split
    with pytest.raises(gn.ConfigError, match=r"Unknown optimizer 'adagrad'\. Expected one of: adam, momentum, sgd\."):
        digits_net().fit(Xtr, ytr, optimizer="adagrad", verbose=0)


@pytest.mark.parametrize("option, value, message", [
    ("epochs", 0, "epochs must be a positive integer"),
    ("batch_size", -1, "batch_size must be a positive integer"),
    ("l2", -0.5, "l2 must be a number ≥ 0"),
])
def test_bad_training_settings(digits_split, option, value, message):
    Xtr, _, ytr, _ = digits_split
    with pytest.raises(gn.ConfigError, match=message):
        digits_net().fit(Xtr, ytr, verbose=0, **{option: value})


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), "fast"])
def test_bad_learning_rate(lr):
    with pytest.raises(gn.ConfigError, match="lr must be a positive number"):
        gn.SGD(lr=lr)


def test_fractional_float_labels_are_refused(digits_split):
    Xtr, _, _, _ = digits_split
    with pytest.raises(gn.DataError, match="floats with fractions"):
        digits_net().fit(Xtr, np.linspace(0, 9, len(Xtr)), verbose=0)


def test_predict_before_fit():
    with pytest.raises(gn.NotFittedError, match="call fit"):
        digits_net().predict(np.zeros((1, 64)))


def test_a_stop_requested_at_an_epoch_boundary_names_the_finished_epoch(digits_split):
    Xtr, _, ytr, _ = digits_split

    class StopAfterFirstEpoch(gn.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            trainer.request_stop()

    with pytest.raises(gn.TrainingInterrupted, match=r"^Training stopped after epoch 1\.$"):
        digits_net().fit(Xtr, ytr, epochs=3, optimizer=gn.SGD(lr=1.0), seed=0, verbose=0,
                         callbacks=[StopAfterFirstEpoch()])


@pytest.mark.parametrize("optimizer", [gn.SGD(lr=0.5), gn.Momentum(lr=0.5), gn.Adam(lr=0.01)])
def test_reported_loss_with_l2_is_the_objective_j(digits_split, optimizer):
    """One full-batch epoch: history.loss[0] is J = mean ℓ + (λ/2n)‖W‖² at the starting weights."""
    Xtr, _, ytr, _ = digits_split

    class StartingWeights(gn.Callback):
        def on_train_begin(self, trainer):
            self.weights = {k: v.copy() for k, v in trainer.model.get_weights().items()}

    start = StartingWeights()
    model = digits_net()
    history = model.fit(Xtr, ytr, epochs=1, batch_size=len(Xtr), optimizer=optimizer, l2=5.0,
                        seed=0, verbose=0, callbacks=[start])
    model.set_weights(start.weights)
    expected = model.objective(model.check_X(Xtr), model.encode_labels(ytr), l2=5.0, n_total=len(Xtr))
    assert history.loss[0] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("optimizer", [gn.SGD(lr=0.5), gn.Momentum(lr=0.3), gn.Adam(lr=0.01)])
def test_grads_after_fit_hold_dJ_dtheta_not_the_folded_step(digits_split, optimizer):
    """The learning-rate fold (train.step) never shows: one full-batch step from known weights,
    then every layer's grads equal ∂J/∂θ at those weights, computed separately."""
    Xtr, _, ytr, _ = digits_split
    X, y = Xtr[:200].astype(np.float64), ytr[:200]
    model = gn.Sequential([gn.Dense(16, "sigmoid"), gn.Dense(10, "softmax")], dtype="float64")
    model.build((64,), np.random.default_rng(3))
    start = {k: v.copy() for k, v in model.get_weights().items()}
    model.fit(X, y, epochs=1, batch_size=len(X), optimizer=optimizer, l2=0.5, seed=0, verbose=0)
    twin = gn.Sequential([gn.Dense(16, "sigmoid"), gn.Dense(10, "softmax")], dtype="float64")
    twin.build((64,), np.random.default_rng(0))
    twin.set_weights(start)
    twin.loss_and_gradients(X, twin.encode_labels(y), l2=0.5, n_total=len(X))
    for (key, _, g), (_, _, expected) in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-12, err_msg=key)

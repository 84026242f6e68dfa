"""evaluate's own metrics and the validation split agree with scikit-learn's definitions."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, log_loss, precision_recall_fscore_support
from sklearn.model_selection import train_test_split as sklearn_split

from glassnet.data.split import split_rows
from glassnet.train.evaluate import class_indices, confusion, precision_recall_f1
from glassnet.train.evaluate import log_loss as our_log_loss


@pytest.mark.parametrize("labels", [np.array([3, 7, 9, 11]), np.array(["cat", "dog", "eel"]),
                                    np.array([0, 1])])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_metrics_equal_scikit_learns(labels, dtype):
    rng = np.random.default_rng(len(labels))
    n, k = 500, len(labels)
    y = labels[rng.integers(0, k, n)]
    logits = rng.normal(size=(n, k)) * 4
    logits[:7] = [100] + [-100] * (k - 1)  # confident rows: p rounds to exactly 1 and 0
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba = (proba / proba.sum(axis=1, keepdims=True)).astype(dtype)
    predicted_index = np.argmax(proba, axis=1)
    predicted_index[predicted_index == k - 1] = 0  # one class never predicted: precision 0/0
    truth = class_indices(y, labels)
    np.testing.assert_array_equal(labels[truth], y)

    matrix = confusion(truth, predicted_index, k)
    np.testing.assert_array_equal(
        matrix, confusion_matrix(y, labels[predicted_index], labels=labels))
    ours = precision_recall_f1(matrix)
    theirs = precision_recall_fscore_support(y, labels[predicted_index], labels=labels,
                                             zero_division=0)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert our_log_loss(proba, truth) == pytest.approx(log_loss(y, proba, labels=labels),
                                                       rel=1e-6)


def test_object_labels_are_found_too():
    classes = np.array([1, "b", 2.5], dtype=object)
    y = np.array(["b", 2.5, 1, "b"], dtype=object)
    np.testing.assert_array_equal(class_indices(y, classes), [1, 2, 0, 1])


@pytest.mark.parametrize("n, fraction", [(1797, 0.1), (100, 0.25), (90, 0.3), (4500, 0.2)])
def test_split_sizes_and_class_shares_match_scikit_learn(n, fraction):
    rng = np.random.default_rng(n)
    y = rng.choice(10, size=n, p=np.r_[[0.3], np.full(9, 0.7 / 9)])
    train, test = split_rows(y, fraction, seed=0)
    assert sorted(np.r_[train, test].tolist()) == list(range(n))  # a partition of the rows
    _, _, y_train, y_test = sklearn_split(np.arange(n), y, test_size=fraction, stratify=y,
                                          random_state=0)
    assert (len(train), len(test)) == (len(y_train), len(y_test))
    ours, theirs = np.bincount(y[test], minlength=10), np.bincount(y_test, minlength=10)
    assert np.abs(ours - theirs).max() <= 1  # both round each class's exact share
    exact = np.bincount(y, minlength=10) * len(test) / n
    assert np.abs(ours - exact).max() < 1


def test_split_is_random_but_seeded():
    y = np.arange(200) % 4
    first, again = split_rows(y, 0.2, seed=5), split_rows(y, 0.2, seed=5)
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(np.sort(split_rows(y, 0.2, seed=6)[1]), np.sort(first[1]))


def test_split_refuses_a_class_of_one_row_and_too_few_test_rows():
    with pytest.raises(ValueError, match="class 2 has only 1 row"):
        split_rows(np.array([0, 0, 1, 1, 2]), 0.4)
    with pytest.raises(ValueError, match="at least one row per class"):
        split_rows(np.repeat(np.arange(5), 4), 0.1)

"""``shuffle_block``: a shuffle that reads a memory-mapped file in runs, and still sees every row."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ConfigError
from glassnet.nn.batches import block_permutation
from glassnet.train.loop import Trainer
from glassnet.train.sequential import build_classifier


@pytest.mark.parametrize("n, block", [(1000, 100), (1003, 64), (10, 32)])
def test_a_block_permutation_is_a_shuffle_of_whole_blocks(n, block):
    order = block_permutation(n, block, np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(n))  # every row once
    runs = np.split(order, np.cumsum([min(block, n - s) for s in range(0, n, block)])[:-1])
    blocks = [set(run // block) for run in runs]
    assert all(len(b) == 1 for b in blocks)  # each run is one block of the file …
    assert len({b.pop() for b in blocks}) == len(runs)  # … and every block comes once
    if n >= 2 * block:  # the blocks are shuffled, and so are the rows inside them
        assert [r[0] // block for r in runs] != sorted(r[0] // block for r in runs)
        assert any(not np.array_equal(r, np.sort(r)) for r in runs)


def test_every_batch_reads_at_most_two_blocks_of_the_file(tmp_path, digits_split):
    Xtr, _, ytr, _ = digits_split
    np.save(tmp_path / "X.npy", (Xtr * 255).astype(np.uint8))
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    model = build_classifier((64,), 10, hidden=(16,), activation="relu", init="he_normal")
    seen, views = [], []

    def hook(trainer):
        original = trainer._step
        views.append(trainer.X)

        def step(rows, epoch):
            seen.append(np.asarray(rows))
            return original(rows, epoch)

        trainer._step = step

    model.fit(X, ytr, epochs=2, batch_size=32, validation_split=0.1, seed=0, verbose=0,
              shuffle_block=256, trainer_hook=hook)
    # the training rows are the file's rows in file order (the split only leaves some out) …
    file_rows = views[0].index
    assert views[0].base is X and np.all(np.diff(file_rows) > 0)
    # … and each batch takes them from at most two blocks of 256 consecutive ones
    assert all(len(set((rows // 256).tolist())) <= 2 for rows in seen)
    for rows in seen:  # so a batch reads one or two stretches of the file, < 600 rows in all
        read = np.sort(file_rows[rows])
        stretches = np.split(read, np.flatnonzero(np.diff(read) > 300) + 1)
        assert len(stretches) <= 2 and sum(np.ptp(s) for s in stretches) < 600
    assert len(seen) == 2 * int(np.ceil(len(file_rows) / 32))


def test_it_learns_and_repeats_bit_for_bit(digits_split):
    Xtr, Xte, ytr, yte = digits_split

    def trained():
        model = build_classifier((64,), 10, hidden=(32,), activation="relu", init="he_normal")
        model.fit(Xtr, ytr, epochs=15, optimizer=gn.SGD(lr=0.2), seed=3, verbose=0,
                  shuffle_block=128)
        return model

    first, again = trained(), trained()
    assert first.score(Xte, yte) > 0.93
    for key, value in first.get_weights().items():
        np.testing.assert_array_equal(value, again.get_weights()[key])


def test_a_block_must_hold_a_row(digits_split):
    Xtr, _, ytr, _ = digits_split
    with pytest.raises(ConfigError, match="shuffle_block"):
        Trainer(build_classifier((64,), 10, hidden=(4,)), Xtr, ytr, epochs=1, batch_size=8, optimizer="sgd",
                shuffle_block=0)

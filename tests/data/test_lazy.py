"""An image folder as a lazy dask array, decoded on the Dask workers (glassnet.data.lazy)."""

import numpy as np
import pytest
from PIL import Image

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

import glassnet as gn  # noqa: E402
import glassnet.data.decode as decode  # noqa: E402
import glassnet.data.lazy as lazy  # noqa: E402
from glassnet.data import Preprocessor, load, load_lazy  # noqa: E402
from glassnet.data.lazy import fit_preprocessor  # noqa: E402
from glassnet.errors import DataError  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def folder(root, n=40, size=(6, 5), rgb_at=None, seed=0):
    """root/{a,b,c}/NNN.png: random gray images whose class shifts their mean brightness."""
    rng = np.random.default_rng(seed)
    for c, name in enumerate("abc"):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pixels = np.clip(rng.normal(60 + 60 * c, 30, size), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:03d}.png")
    if rgb_at is not None:
        Image.new("RGB", size[::-1], (200, 10, 10)).save(root / rgb_at)
    return root


def test_the_lazy_folder_has_the_in_memory_rows_labels_and_facts(tmp_path, dask_client):
    root = folder(tmp_path, rgb_at="b/zz.png")  # one colour image among gray ones: the majority
    data, eager = load_lazy(root, chunk_rows=16), load(root)  # (gray) wins, lazily too …
    assert isinstance(data.X, da.Array) and data.X.chunks[0][0] == 16
    np.testing.assert_array_equal(data.X.compute(), eager.X)
    assert data.channels == eager.channels == "L" and any("Converted 1 colour" in n for n in data.notices)
    coloured = load_lazy(root, color=True, chunk_rows=16)  # … and color=True keeps colour
    np.testing.assert_array_equal(coloured.X.compute(), load(root, color=True).X)
    assert list(data.y) == list(eager.y) and data.sources == eager.sources
    assert (data.classes, data.image_shape, data.channels, data.value_range) == \
        (eager.classes, eager.image_shape, eager.channels, eager.value_range)
    resized = load_lazy(root, size=(4, 4), grayscale=True, chunk_rows=50)
    np.testing.assert_array_equal(resized.X.compute(), load(root, size=(4, 4), grayscale=True).X)


def test_pixels_are_decoded_on_the_workers_not_on_the_client(tmp_path, dask_client, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("decoded on the client")

    monkeypatch.setattr(decode, "decode_chunk", refuse)  # only this (client) process is patched
    monkeypatch.setattr(lazy, "decode_chunk", refuse)
    data = load_lazy(folder(tmp_path), chunk_rows=32)
    assert data.X.sum().compute() > 0


def test_unreadable_files_are_skipped_or_named(tmp_path, dask_client):
    root = folder(tmp_path, n=5)
    (root / "a" / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match="broken.png"):
        load_lazy(root)
    data = load_lazy(root, skip_bad=True)
    assert len(data) == 15 and [p.endswith("broken.png") for p, _ in data.skipped] == [True]
    assert any("Skipped 1 unreadable image" in note for note in data.notices)


def test_images_of_different_sizes_need_size(tmp_path, dask_client):
    root = folder(tmp_path, n=3)
    Image.new("L", (9, 9)).save(root / "c" / "big.png")
    with pytest.raises(DataError, match="Images differ in size.*c/big.png"):
        load_lazy(root)
    assert load_lazy(root, size=(6, 5)).X.shape == (10, 30)


@pytest.mark.parametrize("kind", ["scale", "standardize"])
def test_preprocessing_fits_on_the_workers_like_in_memory(tmp_path, dask_client, kind):
    root = folder(tmp_path, n=10)
    data, eager = load_lazy(root, chunk_rows=7), load(root)
    mine = fit_preprocessor(Preprocessor.for_dataset(data, kind), data.X)
    theirs = Preprocessor.for_dataset(eager, kind).fit(eager.X)
    np.testing.assert_allclose(mine.transform(eager.X), theirs.transform(eager.X), rtol=1e-6, atol=1e-6)
    assert mine.n_fit_rows_ == theirs.n_fit_rows_ == 30


def test_a_lazy_folder_trains_exactly_like_the_loaded_one(tmp_path, dask_client):
    root = folder(tmp_path, n=30)
    data, eager = load_lazy(root, chunk_rows=20), load(root)
    pre = fit_preprocessor(Preprocessor.for_dataset(data, "scale"), data.X)
    models = []
    for X in (data.X, eager.X):
        model = gn.Sequential([gn.Flatten(input_shape=(6, 5)), gn.Dense(8, "tanh"), gn.Dense(3, "softmax")])
        model.preprocessor = pre
        options = {"slots": 1, "sync_every": 1} if X is data.X else {}
        model.fit(X, data.y, epochs=3, batch_size=8, optimizer=gn.SGD(lr=0.3), seed=0, verbose=0, **options)
        models.append(model)
    for key, theta in models[1].get_weights().items():
        np.testing.assert_array_equal(models[0].get_weights()[key], theta, err_msg=key)
    assert models[0].score(eager.X, eager.y) > 0.9

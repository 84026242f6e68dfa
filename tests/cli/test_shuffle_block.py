"""``--shuffle-block N`` through the command: stored with the run, refused with Dask."""

from __future__ import annotations

import json

import numpy as np

from cli_run import assert_error, glassnet


def test_shuffle_block_trains_a_memory_mapped_pair_and_is_stored(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "X.npy", rng.integers(0, 256, (300, 16), dtype=np.uint8))
    np.save(tmp_path / "y.npy", np.arange(300) % 3)
    result = glassnet("train", tmp_path / "X.npy", "--out", tmp_path / "m", "--hidden", "8",
                      "--epochs", "2", "--shuffle-block", "64", "--quiet")
    assert result.returncode == 0, result.stderr
    info = json.loads(glassnet("info", tmp_path / "m.safetensors", "--json").stdout)
    assert info["training"]["settings"]["shuffle_block"] == 64
    refused = glassnet("train", tmp_path / "X.npy", "--out", tmp_path / "d", "--dask-local", "2",
                       "--shuffle-block", "64")
    assert_error(refused, "--shuffle-block", "Dask")

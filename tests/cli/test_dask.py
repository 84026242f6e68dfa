"""``glassnet train DATA --dask-scheduler ADDRESS`` and ``--dask-local N`` through a real subprocess."""

from __future__ import annotations

import numpy as np
import pytest

from cli_run import assert_error, glassnet, in_process
from glassnet.files import io
from model_files import make_image_folder

pytest.importorskip("distributed")
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def test_one_local_worker_trains_exactly_like_one_machine(tmp_path):
    common = ["--hidden", "16", "--epochs", "2", "--batch-size", "32", "--seed", "1", "-q"]
    alone, spread = tmp_path / "alone.safetensors", tmp_path / "spread.safetensors"
    assert in_process("train", "builtin:digits", "--out", alone, *common) == 0  # the reference
    result = glassnet("train", "builtin:digits", "--out", spread, "--dask-local", "1", "--sync-every", "1", *common)
    assert result.returncode == 0, result.stderr
    a, b = io.load(alone).get_weights(), io.load(spread).get_weights()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_an_image_folder_trains_on_a_running_cluster(tmp_path, dask_client, capsys):
    data = make_image_folder(tmp_path / "colours")
    model = tmp_path / "colours.safetensors"
    result = glassnet("train", data, "--out", model, "--size", "6x6", "--hidden", "8", "--epochs", "20",
                      "--standardize", "--optimizer", "adam", "--lr", "0.05", "--validation-split", "0",
                      "--dask-scheduler", dask_client.scheduler.address, "--sync-every", "2", "-q")
    assert result.returncode == 0, result.stderr
    assert in_process("evaluate", model, data, "--json") == 0  # reading the file: in process
    assert '"accuracy"' in capsys.readouterr().out
    trained = io.load(model)
    assert trained.meta["training"]["settings"]["sync_every"] == 2
    assert trained.preprocessor.kind == "standardize" and trained.preprocessor.n_fit_rows_ > 0


def test_dask_options_are_checked(tmp_path):
    out = tmp_path / "m.safetensors"
    assert_error(glassnet("train", "builtin:digits", "--out", out, "--dask-local", "1",
                          "--dask-scheduler", "tcp://127.0.0.1:9"), "exclude each other")
    result = glassnet("train", "builtin:digits", "--out", out, "--dask-local", "0")
    assert result.returncode == 2 and "--dask-local" in result.stderr

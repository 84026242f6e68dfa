import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

# One BLAS thread per process. `make test` runs two xdist workers on two cores, and each
# starts `glassnet` processes: OpenBLAS's default of one thread per core then oversubscribes
# the machine, and its spinning threads make a 32×784·784×128 product 10× slower (measured
# 0.7–1.1 ms with one thread, 9–18 ms with two, while other processes ran). The environment
# reaches the xdist workers and every command started by a test; threadpoolctl covers a
# process that had loaded NumPy before this file ran.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
threadpool_limits(limits=1)

# The commands the tests start may cache their bytecode (some machines set
# PYTHONDONTWRITEBYTECODE, which makes every `glassnet` process compile glassnet anew).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


@pytest.fixture
def rng():
    """A seeded generator: every test's randomness is explicit and repeatable."""
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def digits_split():
    """scikit-learn's 8×8 digits, features / 16, 80/20 stratified split, random_state=0."""
    from sklearn.datasets import load_digits  # here: the xdist controller need not import it
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)


# ---- markers (described in pyproject.toml and docs/testing.md) ------------------------------
CLI_TESTS = Path(__file__).parent / "cli"


def pytest_collection_modifyitems(items):
    """Every test under tests/cli/ runs the command: marked ``cli`` (elsewhere: by hand)."""
    for item in items:
        if CLI_TESTS in Path(item.path).parents:
            item.add_marker(pytest.mark.cli)


class NoCommand:
    """Stands in for ``subprocess`` inside cli_run for a test without the ``cli`` marker."""

    PIPE = subprocess.PIPE

    def run(self, *args, **kwargs):
        raise AssertionError("this test runs the glassnet command: mark it @pytest.mark.cli "
                             "(make test-fast leaves those out)")

    Popen = run


@pytest.fixture(autouse=True)
def cli_runs_are_marked(request, monkeypatch):
    """Keeps the ``cli`` marker honest: an unmarked test that starts the command fails, so
    ``make test-fast`` never quietly spends seconds on subprocesses."""
    if request.node.get_closest_marker("cli") is None:
        import cli_run

        monkeypatch.setattr(cli_run, "subprocess", NoCommand())


@pytest.fixture(scope="session")
def dask_client():
    """A real Dask cluster: LocalCluster of 2 worker processes, 1 thread each (started once)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=":0", silence_logs=40) as cluster:
        with distributed.Client(cluster) as client:
            client.wait_for_workers(2)
            yield client

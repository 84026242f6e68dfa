import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@pytest.fixture
def rng():
    """A seeded generator: every test's randomness is explicit and repeatable."""
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def digits_split():
    """scikit-learn's 8×8 digits, features / 16, 80/20 stratified split, random_state=0."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)


def pytest_configure(config):
    # (also belong in pyproject's [tool.pytest.ini_options] markers)
    config.addinivalue_line("markers", "gpu: needs CuPy and an NVIDIA GPU; skipped, saying why, elsewhere")
    config.addinivalue_line("markers", "cluster: uses the session's Dask LocalCluster "
                                       "(the dask_client fixture, 2 worker processes)")


@pytest.fixture(scope="session")
def dask_client():
    """A real Dask cluster: LocalCluster of 2 worker processes, 1 thread each (started once)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=":0", silence_logs=40) as cluster:
        with distributed.Client(cluster) as client:
            client.wait_for_workers(2)
            yield client

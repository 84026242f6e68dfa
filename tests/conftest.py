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

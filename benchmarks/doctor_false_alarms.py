"""Nielsen's rows (``reproduce_nielsen.py`` settings: sigmoid, SGD η = 0.5, mini-batch 10) with the
training doctor on: a healthy run must raise no diagnosis and no warning.

    python benchmarks/doctor_false_alarms.py [EPOCHS]      # default 30, as Nielsen
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import glassnet as gn  # noqa: E402
from reproduce_nielsen import ROWS, load_mnist  # noqa: E402


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    Xtr, ytr, Xva, yva = load_mnist()
    for name, hidden, l2, _ in ROWS:
        model = gn.Sequential([gn.Flatten(input_shape=(784,)), gn.Dense(hidden, "sigmoid"), gn.Dense(10, "softmax")])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(Xtr, ytr, epochs=epochs, batch_size=10, optimizer=gn.SGD(lr=0.5), l2=l2,
                                validation_data=(Xva, yva), seed=0, verbose=0)
        problems = [w for w in caught if issubclass(w.category, gn.TrainingProblemWarning)]
        print(f"{name}: {epochs} epochs, val acc {history.val_accuracy[-1]:.4f}, "
              f"diagnosis {[d.problem for d in history.diagnosis]}, warnings {len(problems)}", flush=True)


if __name__ == "__main__":
    main()

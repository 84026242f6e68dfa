"""``gn.diagnose(model, X, y)``: the training doctor's examination of any fitted model."""

from __future__ import annotations

from glassnet.backend import to_numpy
from glassnet.nn.inputs import rows_and_converter
from glassnet.train.checkup import n_classes_of, warn_about
from glassnet.train.doctor import Diagnosis, Facts, examine
from glassnet.train.instruments import chance_rate, measure, probe_rows
from glassnet.train.loop import evaluate_encoded
from glassnet.train.sequential import network_of


def diagnose(model, X, y, *, warn: bool = False) -> list[Diagnosis]:
    """The doctor's findings for a fitted ``model`` on data (X, y).

    A fresh reading on a probe batch of (X, y) (saturated and dead units, the gradient of
    every layer, accuracy against the majority-class rate of y), together with the per-epoch
    record of ``model.history`` when the model was trained with glassnet. ``warn=True`` also
    issues the warnings.
    """
    network = network_of(model, "diagnose")
    X, convert = rows_and_converter(network, X)  # raw rows on the CPU, converted per chunk
    target = network.encode_labels(to_numpy(y))
    rows = probe_rows(len(X), seed=0)
    probe = convert.gather(X, rows).copy() if convert is not None else X[rows]
    reading = measure(network, probe, target[rows])
    history = network.history
    facts = Facts(history=history.history if history is not None else {},
                  readings=[*(history.info.get("instruments", []) if history is not None else []),
                            {"epoch": history.epochs if history is not None else 0, **reading}],
                  chance=chance_rate(target) if network.task != "regression" else None,
                  n_classes=n_classes_of(network))
    if network.task != "regression":
        facts.data_accuracy = evaluate_encoded(network, X, target, convert=convert)["accuracy"]
    found = examine(facts)
    if warn:
        warn_about(found, stacklevel=2)
    return found

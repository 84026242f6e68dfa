"""Diagnosing a run: after ``fit``, when the loss diverges, or for any fitted model.

``run_diagnosed`` runs a trainer (whose callbacks include ``Instruments``), hands the
readings to the doctor's rules and puts the findings where users look: ``history.diagnosis``
(a list of ``Diagnosis``), ``history.info["diagnosis"]`` (the same as plain data, saved with the
model) and one ``TrainingProblemWarning`` subclass per problem. A ``DivergedError`` carries
them too (``error.diagnosis``). ``train.diagnosis.diagnose`` examines any fitted model on data.
"""

from __future__ import annotations

import warnings

from glassnet.errors import PROBLEM_WARNINGS, DivergedError
from glassnet.train.doctor import Diagnosis, Facts, examine

WARNING_DEPTH = 5  # warn_about ← run_diagnosed ← fit ← Sequential.fit ← the user's line


def n_classes_of(model) -> int | None:
    if model.task == "binary":
        return 2
    return model.output_layer.units if model.task == "multiclass" else None


def learning_rate(optimizer) -> float | None:
    try:
        return float(optimizer.current_lr())
    except (AttributeError, TypeError, ValueError):
        return None


def facts_of(history, model, lr=None, n_validation=0, diverged_epoch=None) -> Facts:
    return Facts(history=history.history, readings=list(history.info.get("instruments", [])),
                 chance=history.info.get("chance"), n_classes=n_classes_of(model), lr=lr,
                 n_validation=n_validation, diverged_epoch=diverged_epoch)


def run_diagnosed(trainer):
    """``trainer.run()``, then the diagnosis (also when the loss diverges)."""
    validation = trainer.validation
    n_validation = len(validation[1]) if isinstance(validation, tuple) else 0
    try:
        history = trainer.run()
    except DivergedError as error:
        found = examine(facts_of(trainer.history, trainer.model, learning_rate(trainer.optimizer),
                                 n_validation, diverged_epoch=error.epoch))
        record(trainer.history, found)
        error.diagnosis = found
        warn_about(found)
        raise
    found = examine(facts_of(history, trainer.model, learning_rate(trainer.optimizer), n_validation))
    record(history, found)
    warn_about(found)
    return history


def record(history, found: list[Diagnosis]):
    history.diagnosis = found
    history.info["diagnosis"] = [d.to_dict() for d in found]


def warn_about(found: list[Diagnosis], stacklevel: int = WARNING_DEPTH):
    for d in found:
        warnings.warn(f"{d.problem}: {d.what}. {d.why} Try: {d.fix}", PROBLEM_WARNINGS[d.problem],
                      stacklevel=stacklevel)

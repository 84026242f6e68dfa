"""The report's "Training health" section: instruments drawn per epoch, diagnoses with their math."""

import re
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import TrainingProblemWarning
from glassnet.explain.report import build_report
from glassnet.train.sequential import build_classifier


def trained(digits_split, activation, optimizer, epochs):
    Xtr, _, ytr, _ = digits_split
    model = build_classifier((64,), 10, activation=activation, init="he_normal")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", TrainingProblemWarning)
        model.fit(Xtr, ytr, epochs=epochs, optimizer=optimizer, seed=0, verbose=0)
    return model


def health_of(html):
    return re.search(r'<section id="health">(.*?)</section>', html, flags=re.S).group(1)


@pytest.mark.slow
def test_dead_units_are_shown_with_their_math_and_the_instruments(digits_split):
    _, Xte, _, yte = digits_split
    section = health_of(build_report(trained(digits_split, "relu", gn.Adam(lr=0.3), 3), (Xte, yte)))
    assert "<strong>dead_units</strong>" in section and "relu&#x27;(z) = 0" in section
    assert 'alt="training instruments per epoch"' in section and "<code>--lr 0.03" in section


@pytest.mark.slow
def test_a_healthy_run_says_no_problem_was_found(digits_split):
    _, Xte, _, yte = digits_split
    section = health_of(build_report(trained(digits_split, "relu", gn.SGD(lr=0.2), 10), (Xte, yte)))
    assert "found no problem" in section and "<li>" not in section

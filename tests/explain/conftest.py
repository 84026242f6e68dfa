"""The report of the digits model, written once for the whole run.

Three modules read the same report (test_report, test_report_browser, test_report_math) and
drawing its pictures takes seconds. Under pytest-xdist every worker is its own process, so the
first worker to ask writes it into the run's shared temporary folder while holding a lock; the
others wait for it and read the same file.
"""

from __future__ import annotations

import fcntl

import pytest

from glassnet.explain.report import write_report
from see_models import preprocessed_model, raw_digits


@pytest.fixture(scope="session")
def digits_report(tmp_path_factory, request):
    """Path of the report of ``preprocessed_model()`` on builtin:digits' test split, named
    digits.safetensors (written by ``write_report``, every section, three examples)."""
    base = tmp_path_factory.getbasetemp()
    worker = hasattr(request.config, "workerinput")  # an xdist worker
    folder = base.parent if worker else base  # base.parent: shared by the run's workers
    path = folder / "digits-report" / "report.html"
    path.parent.mkdir(exist_ok=True)
    with open(folder / "digits-report.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            _, test = raw_digits()
            assert write_report(preprocessed_model(), test, path, model_name="digits.safetensors") == path
    return path

# glassnet — `make demo` and `make test` work on a fresh machine: they create .venv and
# install everything they need first, at the known-good versions of requirements/constraints.txt.
# `make test-fast` is the inner loop; `make test-latest` tries the newest releases (docs/testing.md).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt
LATEST := .venv-latest
FAST   := not browser and not cluster and not cli and not slow

.PHONY: demo test test-fast test-latest lint install system-deps bench clean fuzz

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/glassnet demo

# Debian packages the test suite needs (headless Chromium for the report's browser test).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# ruff (settings in pyproject.toml) and the layout rules of docs/architecture.md
lint: install
	$(VENV)/bin/ruff check src tests benchmarks

test: install system-deps lint
	$(PY) -m pytest -q -n 2 --dist loadgroup

# The property-based hostile-input tests with a long budget (5,000 mutated files per parser
# instead of the 50 that `make test` runs); the profiles are registered in the test modules.
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q -p no:cacheprovider -k fuzzed \
	  tests/files/test_hostile_models.py tests/data/test_hostile_loaders.py

# The inner loop: no subprocess runs of the command, no browser, no Dask cluster, no slow tests
# (and no hypothesis pytest plugin: the property tests run without it, and each xdist worker
# would spend seconds importing it).
test-fast: install
	$(PY) -m pytest -q -n 2 -p no:hypothesispytest -m "$(FAST)"

# The whole suite on the newest releases pyproject.toml allows (no constraints; eager upgrades
# also move the dependencies already in .venv-latest), to see drift before users do.
test-latest: system-deps
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip
	$(LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[test]'
	$(LATEST)/bin/python -m pytest -q -n 2 --dist loadgroup

bench: install
	$(PY) -m pip install -q 'torch==2.13.0'
	$(PY) benchmarks/bench_training.py

clean:
	rm -rf $(VENV) $(LATEST) build *.egg-info .pytest_cache glassnet-demo

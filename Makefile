# The two commands of the README: `make run` and `make test`. Both build .venv from scratch when needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check

.PHONY: run test perf clean

$(VENV)/.stamp-run: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	touch $(VENV)/.stamp-run $@

## run: set up .venv and run the main job (writes experiments/results/quickstart/)
run: $(VENV)/.stamp-run
	$(VENV)/bin/mlmon run experiments/quickstart.yaml

## test: set up .venv with the dev extras and run the whole suite
test: $(VENV)/.stamp-dev
	$(PY) -m pytest -n 2 -q

## perf: speed ratios against peer libraries (by hand; not part of the suite)
perf: $(VENV)/.stamp-dev
	$(PY) perf/run.py

clean:
	rm -rf $(VENV) experiments/results

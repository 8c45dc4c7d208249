# The two commands of the README: `make run` and `make test`. Both build .venv from scratch when needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check

.PHONY: run test test-np126 perf clean

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

## test: set up .venv with the dev extras and run the whole suite, then again on the NumPy 1.26 stack
test: $(VENV)/.stamp-dev
	$(PY) -m pytest -n 2 -q
	$(MAKE) test-np126

## test-np126: the suite again on NumPy 1.26 / pandas 2 / river 0.23, the stack the alibi extra
## resolves to (pyarrow 26 needs NumPy 2 without saying so, hence its pin)
.venv-np126/.stamp: pyproject.toml
	test -x .venv-np126/bin/python || $(PYTHON) -m venv .venv-np126
	.venv-np126/bin/python -m pip install -q --upgrade pip
	.venv-np126/bin/python -m pip install -q -e ".[dev]" "numpy==1.26.4" "pandas<3" "numba<0.60" "river<0.24" "pyarrow<26"
	touch $@

test-np126: .venv-np126/.stamp
	NUMBA_CACHE_DIR=.venv-np126/numba-cache .venv-np126/bin/python -m pytest -n 2 -q -p no:cacheprovider

## perf: speed ratios against peer libraries (by hand; not part of the suite)
perf: $(VENV)/.stamp-dev
	$(PY) perf/run.py

clean:
	rm -rf $(VENV) .venv-np126 experiments/results

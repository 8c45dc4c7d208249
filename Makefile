# The two commands of the README: `make run` and `make test`. Both build their environments from
# scratch when needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
# The second test environment: NumPy 1.26 / pandas 2 / river 0.23 with alibi-detect and torch,
# the stack `pip install "mlmon[alibi]"` resolves to.
ALIBI_VENV ?= .venv-np126
ALIBI_PIP  := $(ALIBI_VENV)/bin/python -m pip --disable-pip-version-check
# torch goes in first and pinned, before anything that depends on it: the pinned release is a
# CPU wheel on local disk, an unpinned one would download a multi-GB CUDA build.
TORCH  := torch==2.13.0

.PHONY: run test test-alibi lab perf clean

## run: set up .venv (core dependencies only, no torch) and run the main job
## (writes experiments/results/quickstart/)
$(VENV)/.stamp-run: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH)"
	$(PIP) install -q -e ".[dev,notebooks,browser]"
	touch $(VENV)/.stamp-run $@

run: $(VENV)/.stamp-run
	$(VENV)/bin/mlmon run experiments/quickstart.yaml

## test: set up .venv (NumPy 2, dev extras, torch) and run the whole suite, then run it again in
## the alibi environment (test-alibi). Two pytest workers with one thread each: torch's own
## threads on a machine already busy with the other worker run many times slower.
test: $(VENV)/.stamp-dev
	OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 -q
	$(MAKE) test-alibi

## test-alibi: the whole suite on NumPy 1.26 / pandas 2 / river 0.23 with alibi-detect and torch,
## so the alibi-detect adapter tests run and the core is checked on the older stack
$(ALIBI_VENV)/.stamp: pyproject.toml
	test -x $(ALIBI_VENV)/bin/python || $(PYTHON) -m venv $(ALIBI_VENV)
	$(ALIBI_PIP) install -q --upgrade pip
	$(ALIBI_PIP) install -q "$(TORCH)"
	$(ALIBI_PIP) install -q -e ".[dev,alibi]" "numpy==1.26.4"
	touch $@

test-alibi: $(ALIBI_VENV)/.stamp
	OMP_NUM_THREADS=1 NUMBA_CACHE_DIR=$(ALIBI_VENV)/numba-cache \
		$(ALIBI_VENV)/bin/python -m pytest -n 2 -q -p no:cacheprovider

## lab: JupyterLab on notebooks/ in .venv (the test environment, which has the notebooks extra),
## whose kernel the notebooks use
lab: $(VENV)/.stamp-dev
	$(VENV)/bin/jupyter lab notebooks/

## perf: speed ratios against peer libraries (by hand; not part of the suite)
perf: $(VENV)/.stamp-dev
	$(PY) perf/run.py

clean:
	rm -rf $(VENV) $(ALIBI_VENV) experiments/results

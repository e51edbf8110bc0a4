# tppo-analysis — the two commands are `make report` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Matplotlib's font cache per checkout: a cache shared between environments (~/.cache/matplotlib) can list the font
# files of a deleted one, and the findfont warnings it then prints would land in notebook outputs and fail nbval.
export MPLCONFIGDIR ?= $(CURDIR)/$(VENV)/mplconfig
# One BLAS thread, whatever the machine: the interval model's bootstrap draws numpy's Poisson and gamma variates by
# rejection, so a difference in the last digits of a fit (another thread count) reshuffles the draws and moves
# notebook 01's prediction-interval ends by Monte Carlo noise. The committed outputs are made with one thread.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
NBVAL_OPTS := --nbval --nbval-sanitize-with nbval_sanitize.cfg -p no:cacheprovider

.PHONY: help venv report lint test test-unit test-notebooks test-slow scan browser-deps java-deps lab bench bench-tiny lock notebooks clean

help:
	@echo "make report      run the notebooks on the embedded data and render report/index.html"
	@echo "make test        lint, unit tests, privacy scan, browser check and strict nbval on every notebook"
	@echo "make lint        ruff (lint + format check), numpydoc validation and mypy"
	@echo "make test-slow   the slow studies (coverage, large bad inputs)"
	@echo "make lab         JupyterLab in the project environment"
	@echo "make bench       benchmarks (bench/RESULTS.md)"

venv: $(STAMP)

# The environment is installed from the committed lock file, so every machine gets the same versions.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/tppo report

# Style that keeps the shape (pyproject.toml configures each tool; .pre-commit-config.yaml runs the same commands).
LINT_PATHS := src tests scripts bench
# Notebooks get ruff's lint rules but not its formatter: formatting would split calls over more lines than the
# 8-line cells of a thin notebook (tests/test_notebooks_thin.py) allow.
lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS) notebooks
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/python scripts/check_docstrings.py
	$(BIN)/mypy

# Lint first. The HTML report is rendered from the committed notebooks (no execution) so the browser check and the
# privacy scan see the real report; strict nbval then re-executes every notebook and compares with the committed
# outputs.
test: lint browser-deps java-deps
	$(BIN)/tppo report --no-execute
	$(BIN)/python -m pytest -q
	$(BIN)/tppo scan
	$(BIN)/python -m pytest -q $(NBVAL_OPTS) notebooks/

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest -q $(NBVAL_OPTS) notebooks/

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

scan: $(STAMP)
	$(BIN)/tppo scan

# Headless Chromium for the report's browser check (Debian packages; installed when root and missing).
browser-deps:
	@bash scripts/ensure_browser.sh

# A Java runtime (Debian's default-jre-headless) for Spark's local mode: the Spark vs DuckDB check.
java-deps:
	@bash scripts/ensure_java.sh

notebooks: $(STAMP)
	$(BIN)/python -m tppo_analysis.output.notebooks notebooks/*.ipynb

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

bench-tiny: $(STAMP)
	$(BIN)/python bench/run_all.py --tiny

# Regenerate the lock file (maintainers only; needs network access to PyPI and `uv`).
lock:
	uv pip compile pyproject.toml --extra test --extra lint --python-version 3.11 -o requirements.lock

clean:
	rm -rf report build .pytest_cache

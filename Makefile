# Two commands do everything on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup demo test lint dev bench febrl clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/ac-export demo

test: setup
	$(BIN)/ruff check ac_export ac_export_tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/dagster definitions validate -m ac_export.definitions
	# Tests that start servers of their own in parallel (a test file per worker); then the end-to-end
	# tests one at a time, as each drives a Dagster webserver and daemon of its own.
	$(BIN)/pytest -n 2 --dist loadfile --ignore=ac_export_tests/e2e
	$(BIN)/pytest ac_export_tests/e2e

lint: setup
	$(BIN)/ruff check ac_export ac_export_tests benchmarks
	$(BIN)/ruff format --check ac_export ac_export_tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

dev: setup
	$(BIN)/ac-export dev

# The harness is not in the wheel: it runs from this checkout (benchmarks/README.md).
bench: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

# The FEBRL benchmark files scored by the probabilistic model (examples/febrl/README.md).
febrl: setup
	$(BIN)/python examples/febrl/write_data.py
	$(BIN)/ac-export unify-quality --config-dir examples/febrl/febrl3/config --truth-file examples/febrl/febrl3/truth.csv
	$(BIN)/ac-export unify-quality --config-dir examples/febrl/febrl4/config --truth-file examples/febrl/febrl4/truth.csv

clean:
	rm -rf data/warehouse bench_out .pytest_cache

# Two commands do everything on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_LOGS := test-artefacts
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
	# Tests that start servers of their own run in parallel (a test file per worker). Beside them, in a
	# process of their own, the end-to-end tests run one at a time: each drives a Dagster webserver and
	# daemon, and most of their time is spent waiting on Dagster's daemons (a backfill is picked up
	# every 30 s), not on the CPU. Their report follows the others'; either failing fails the target.
	@mkdir -p $(TEST_LOGS)
	@$(BIN)/pytest ac_export_tests/e2e > $(TEST_LOGS)/e2e.log 2>&1 & e2e=$$!; \
	trap 'kill $$e2e 2>/dev/null' INT TERM; \
	$(BIN)/pytest -n 2 --dist loadfile --ignore=ac_export_tests/e2e; fast=$$?; \
	wait $$e2e; ends=$$?; \
	echo "--- end-to-end tests ($(TEST_LOGS)/e2e.log) ---"; cat $(TEST_LOGS)/e2e.log; \
	test $$fast -eq 0 && test $$ends -eq 0

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

# DW Simulator: the human entry points. `make help` lists them.
# Only Python 3.11+ is needed: uv is bootstrapped into .tools/, the workspace into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# pytest-xdist processes for `make test` (each runs stacks of its own; 0 runs in one process).
TEST_WORKERS ?= 2
FUZZ := api-gateway/tests/test_fuzz.py

.DEFAULT_GOAL := help
DBT_ENV := $(TOOLS)/dbt
DBT_REQUIREMENTS := tests/dbt/requirements.txt
.PHONY: help install demo up test test-unit bench lint format clean dbt-env

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: every service process starts about 1.5 s sooner, even where
# PYTHONDONTWRITEBYTECODE keeps Python from caching bytecode itself.
$(STAMP): $(UV) uv.lock pyproject.toml $(wildcard */pyproject.toml)
	@echo "installing the workspace into $(VENV) (uv sync, from uv.lock)..."
	@$(UV) sync --all-packages --frozen --compile-bytecode --quiet --python $(PYTHON)
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install every package of the workspace (from uv.lock)

$(DBT_ENV)/.installed: $(UV) $(DBT_REQUIREMENTS)
	@echo "installing dbt into $(DBT_ENV) (from $(DBT_REQUIREMENTS))..."
	@$(UV) venv --quiet --allow-existing --python $(PYTHON) $(DBT_ENV)
	@$(UV) pip install --quiet --python $(DBT_ENV)/bin/python -r $(DBT_REQUIREMENTS)
	@touch $@

dbt-env: $(DBT_ENV)/.installed ## dbt-core 1.10 with dbt-redshift and dbt-snowflake in .tools/dbt (its own venv)

demo: install ## start every service with embedded defaults, run the scripted scenario, stop
	$(BIN)/dw-sim-admin demo

up: install ## run every service locally until Ctrl-C (honours DWSIM_* variables)
	$(BIN)/dw-sim-admin up

test: install ## the whole suite: unit tests, end-to-end and browser tests against real servers
	@command -v chromium >/dev/null 2>&1 || test -x "$${DWSIM_CHROMIUM:-/usr/bin/chromium}" || \
		echo "note: no chromium: the browser tests (tests/browser) will be SKIPPED;" \
			"enable them with: apt-get install -y chromium (as .ci/run does)"
	@# The schemathesis module runs in one process: under pytest-xdist its per-operation tests
	@# share one node id and collapse into one (29 tests lost), so it is not given to xdist.
	@status=0; \
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=20 --ignore=$(FUZZ) $(PYTEST_ARGS) || status=$$?; \
	$(BIN)/pytest -p no:xdist $(FUZZ) $(PYTEST_ARGS) || status=$$?; \
	exit $$status

test-unit: install ## only the tests that need no server
	$(BIN)/pytest -m "not integration" $(PYTEST_ARGS)

bench: install ## run the benchmarks and print their BENCH lines (BENCH=generate: one family)
	$(BIN)/python -m benchmarks $(BENCH)

lint: install ## ruff (lint + format check) and mypy on every package
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared/src api-gateway/src generator-worker/src loader-worker/src query-service/src cli/src

format: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## remove the venvs, embedded state (.dwsim) and caches
	rm -rf $(VENV) $(TOOLS) .dwsim .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

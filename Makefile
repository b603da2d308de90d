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
# 6 on 2 cores: the workers spend much of their time waiting on servers (a whole run used 1.3
# of the 2 cores with 4 workers). At most 6 (Redis databases 2-13; tests/conftest.py).
TEST_WORKERS ?= 6
FUZZ := api-gateway/tests/test_fuzz.py

.DEFAULT_GOAL := help
DBT_ENV := $(TOOLS)/dbt
DBT_REQUIREMENTS := tests/dbt/requirements.txt
.PHONY: help install demo up test test-unit bench screenshots lint format clean dbt-env

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

# Where the environment sets PYTHONDONTWRITEBYTECODE, pytest cannot cache its rewritten test
# and plugin modules: every xdist worker then compiles them all again (collection took 13.3 s
# of CPU instead of 9.1 s per process). An empty value lets the caches be written.
test: export PYTHONDONTWRITEBYTECODE :=
test: install ## the whole suite: unit tests, end-to-end and browser tests against real servers
	@command -v chromium >/dev/null 2>&1 || test -x "$${DWSIM_CHROMIUM:-/usr/bin/chromium}" || \
		echo "note: no chromium: the browser tests (tests/browser) will be SKIPPED;" \
			"enable them with: apt-get install -y chromium (as .ci/run does)"
	@# The schemathesis module runs in one process: under pytest-xdist its per-operation tests
	@# share one node id and collapse into one (29 tests lost), so it is not given to xdist. It
	@# runs beside the xdist workers (its own stack; theirs spend much of their time waiting),
	@# and its output follows theirs.
	@status=0; fuzz_log=$$(mktemp); \
	$(BIN)/pytest -p no:xdist $(FUZZ) $(PYTEST_ARGS) >$$fuzz_log 2>&1 & fuzz=$$!; \
	trap 'kill -INT $$fuzz 2>/dev/null' INT TERM; \
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=20 --ignore=$(FUZZ) $(PYTEST_ARGS) || status=$$?; \
	wait $$fuzz || status=$$?; cat $$fuzz_log; rm -f $$fuzz_log; \
	exit $$status

test-unit: install ## only the tests that need no server
	$(BIN)/pytest -m "not integration" $(PYTEST_ARGS)

bench: install ## run the benchmarks and print their BENCH lines (BENCH=generate: one family)
	$(BIN)/python -m benchmarks $(BENCH)

screenshots: install ## docs/screenshots/<width>-<tab>.png: each tab at 1440 and 390 px (embedded stack, chromium)
	$(BIN)/python tests/browser/shoot_tabs.py docs/screenshots

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

# govlake — targets mirror the CLI. `make help` lists them.
# Everything installs itself: a bootstrap venv with a pinned uv, then `uv sync --frozen`.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= tiny
SEED ?= 42
PORT ?= 8080
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install run airflow test lint bench clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/govlake: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(BIN)/govlake ## install the locked environment into .venv

run: install ## sample extracts (if landing is empty) → whole pipeline → summary
	$(BIN)/govlake run --scale $(SCALE) --seed $(SEED)

airflow: install ## Airflow's own UI on the embedded configuration, 127.0.0.1:PORT (8080); Ctrl-C stops it
	$(BIN)/govlake airflow --port $(PORT)

test: install ## the whole test suite (what CI runs)
	$(BIN)/pytest

lint: install ## ruff
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install ## benchmarks → bench/RESULTS.md
	$(BIN)/python bench/run.py

clean: ## remove the local lake and build outputs (not the venv)
	rm -rf lake var dbt_project/target dbt_project/logs

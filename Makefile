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
# the browser tests drive Debian's Chromium (tests/browser.py) and need a font with Chinese
CHROMIUM ?= /usr/lib/chromium/chromium
BROWSER_DEBS := chromium fonts-wqy-microhei
export GOVLAKE_CHROMIUM := $(CHROMIUM)
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install browser run airflow portal publish api test lint bench clean

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

portal: install ## start the local CKAN portal (installs CKAN on first use) and leave it running
	$(BIN)/govlake portal start

api: install ## the exchange read API on 127.0.0.1:API_PORT (8800); OpenAPI docs at /docs
	$(BIN)/govlake api --port $(or $(API_PORT),8800)

publish: install ## open catalogue entries → CKAN (the local portal, or GOVLAKE_CKAN_URL); after `make run`
	$(BIN)/govlake publish

test: install browser ## the whole test suite (what CI runs)
	$(BIN)/pytest

browser: ## Chromium + a CJK font for the browser tests (apt-get as root, only when missing)
	@if [ -x "$(CHROMIUM)" ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "make: $(CHROMIUM) or a Chinese font is missing and only root can install them;" \
	    "the browser tests will fail. As root: apt-get install --no-install-recommends $(BROWSER_DEBS)"; \
	  exit 0; \
	fi; \
	echo "installing $(BROWSER_DEBS) with apt-get (once)"; \
	log=$$(mktemp); export DEBIAN_FRONTEND=noninteractive; \
	apt="apt-get install -y -qq --no-install-recommends $(BROWSER_DEBS)"; \
	{ $$apt || { apt-get update -qq && $$apt; }; } >$$log 2>&1 || { cat $$log; exit 1; }; \
	rm -f $$log; \
	[ -x "$(CHROMIUM)" ] || { echo "make: $(BROWSER_DEBS) installed but $(CHROMIUM) is missing"; exit 1; }

lint: install ## ruff
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install ## benchmarks → bench/RESULTS.md
	$(BIN)/python bench/run.py

clean: ## remove the local lake and build outputs (not the venv)
	rm -rf lake var dbt_project/target dbt_project/logs

# EnterpriseHub — every command the README and CI use. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
export UV_PROJECT_ENVIRONMENT := .venv
export DO_NOT_TRACK := 1

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python python3.11 --quiet
	@touch $@

install: .venv/.synced ## create .venv from uv.lock (exact pinned versions)

demo: install ## the main job: simulate a brokerage, replay its GHL traffic into the store, show a summary
	$(PY) -m hub.cli demo

test: install ## the whole test suite against real PostgreSQL, Redis, Prefect and Chromium (installed/started if absent)
	scripts/browser.sh && eval "$$(scripts/services.sh)" && $(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff lint + format check, mypy strict on hub/ and ml/
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy hub ml

bench: install ## run the benchmarks (each prints a ratio against an in-run baseline)
	@command -v wrk >/dev/null || { echo "installing wrk (the intake load generator)"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq wrk; }
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lock: $(UV) ## re-resolve uv.lock after editing pyproject.toml
	$(UV) lock --python python3.11

clean: ## remove the virtualenvs and local data
	rm -rf .venv $(TOOLS) var

.PHONY: help install demo test lint bench lock clean

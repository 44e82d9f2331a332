# The two commands of the README: `make demo` and `make test`. Each sets up what it needs on a
# fresh machine (a Python >= 3.12 virtual environment, the pinned packages, the Cypher linter,
# Debian's chromium for the browser test) and then runs.

SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed
LINT_STAMP := queries/lint/node_modules/.installed

# The first Python >= 3.12 found: on PATH, then pyenv's versions (Debian 12 ships 3.11 only).
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3 python3.13 \
	$$HOME/.pyenv/versions/3.13*/bin/python3 /usr/local/bin/python3.1[2-9] python3; do \
	  if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo "$$p"; break; fi; done)

.PHONY: demo test setup setup-test bench lint clean-venv

demo: setup
	$(VENV)/bin/tamga demo

# The lint first: a tree that does not pass it is not tested.
test: setup-test lint
	$(VENV)/bin/pytest

# ruff over the whole tree with the rules of pyproject.toml; mypy over the packages it names there
# (strict on graph/domain, graph/engine, graph/network).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Tamga needs Python >= 3.12: install it (pyenv install 3.12, or your distribution's package) and run again" >&2; exit 1; }
	@echo "using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	touch $@

setup-test: setup $(LINT_STAMP) /usr/bin/chromium

# Neo4j's own Cypher front-end (npm), pinned by queries/lint/package-lock.json.
$(LINT_STAMP): queries/lint/package.json queries/lint/package-lock.json
	npm ci --prefix queries/lint --no-audit --no-fund
	touch $@

# Debian's chromium for the investigator's page test in a real browser.
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is not installed and this is not root: the browser test will be skipped (sudo apt-get install chromium)"; fi

bench: setup
	$(VENV)/bin/python bench/bench_ingest.py
	$(VENV)/bin/python bench/bench_score.py
	$(VENV)/bin/python bench/bench_api.py

clean-venv:
	rm -rf $(VENV)

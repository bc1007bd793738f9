# Two commands matter: `make run` (server on SQLite with the demo brand) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: run test lint format install dev bench bench-export clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

.make-install: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[postgres,redis]'
	@touch $@

.make-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ .make-install

install: .make-install
dev: .make-dev

run: .make-install
	$(BIN)/clopos serve --seed-demo

lint: .make-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src

# Debian's chromium for the browser tests (tests/e2e/test_till_dashboard.py): installed with
# apt-get when /usr/bin/chromium is missing and we are root. Never fatal: without it those tests
# skip and the summary says why.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian chromium for the browser tests (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      || echo "WARNING: apt-get could not install chromium: the browser tests will SKIP"; \
	  else \
	    echo "WARNING: /usr/bin/chromium is missing and we are not root: the browser tests will SKIP"; \
	  fi; \
	fi

# Two pytest workers: the API tests mostly wait on the databases, so this halves the run.
test: lint chromium
	$(BIN)/pytest -n 2

format: .make-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: .make-dev
	$(BIN)/python bench/client_overhead.py
	$(BIN)/python bench/unified_overhead.py

# 100 000 receipts: seeds, exports in every format and prints rows/s and peak RSS (minutes).
bench-export: .make-dev
	$(BIN)/python bench/export.py

clean:
	rm -rf $(VENV) .make-install .make-dev .mypy_cache .ruff_cache .pytest_cache

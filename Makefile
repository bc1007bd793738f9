# Two commands matter: `make run` (server on SQLite with the demo brand) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: run test lint format install dev bench clean

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

# Two pytest workers: the API tests mostly wait on the databases, so this halves the run.
test: lint
	$(BIN)/pytest -n 2

format: .make-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: .make-dev
	$(BIN)/python bench/client_overhead.py

clean:
	rm -rf $(VENV) .make-install .make-dev .mypy_cache .ruff_cache .pytest_cache

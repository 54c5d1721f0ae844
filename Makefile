# The README's commands. `make run` sets everything up and serves on 127.0.0.1:8000;
# `make test` sets up and runs the whole suite (what .ci/run calls).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP_RUNTIME := $(VENV)/.runtime-installed
STAMP_DEV := $(VENV)/.dev-installed

.PHONY: setup setup-dev index run test lint typecheck pytest clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# CPU PyTorch first, so that sentence-transformers does not pull a CUDA build.
$(STAMP_RUNTIME): pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[st]'
	touch $@

$(STAMP_DEV): $(STAMP_RUNTIME) pyproject.toml
	$(PIP) install --quiet -e '.[st,dev]'
	touch $@

setup: $(STAMP_RUNTIME)

setup-dev: $(STAMP_DEV)

## Build the store if the corpus, the model or the chunker settings changed.
index: setup
	$(PY) -m indexer build

## Set up, build the index if needed, and serve on RAG_HOST:RAG_PORT (127.0.0.1:8000).
run: index
	$(PY) -m app

lint: setup-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: setup-dev
	$(VENV)/bin/mypy app indexer

pytest: setup-dev
	$(PY) -m pytest -q

## Set up and run the whole suite: lint, types, tests.
test: lint typecheck pytest

clean:
	rm -rf $(VENV) store data test-artifacts eval/reports .pytest_cache .ruff_cache .mypy_cache

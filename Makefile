# Contract RAG: every target installs what it needs first (.venv/ with torch==2.13.0 CPU first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install test test-fast lint index run api eval bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	# CPU torch first: otherwise sentence-transformers pulls a multi-GB CUDA build.
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv/ and install everything (torch CPU first)

test: $(STAMP) ## run the whole test suite (real-model tests included)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## run the tests that need no real model
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check rag index ui evals tests
	$(BIN)/ruff format --check rag index ui evals tests
	$(BIN)/mypy rag index evals

index: $(STAMP) ## build or update the search index over the contracts folder
	$(BIN)/rag index

run: $(STAMP) ## install, index and answer a question (the chat UI arrives with a later issue)
	$(BIN)/rag index
	$(BIN)/rag ask "哪家数据保留期最长？"
	@echo "Ask your own: $(BIN)/rag ask \"你的问题\"  (the chat UI arrives with a later issue)"

api: $(STAMP) ## start the HTTP API and widget on 127.0.0.1:8000 (index built first)
	$(BIN)/rag index
	$(BIN)/rag serve

eval: $(STAMP) ## measure retrieval on the dev set (bm25 / dense / hybrid); fails on a regression
	$(BIN)/python -m evals.run

bench: $(STAMP) ## build and search benchmarks, bundled corpus and 100k clauses, with peers
	$(BIN)/python -m evals.bench

clean: ## remove the virtualenv, caches and built indexes
	rm -rf $(VENV) data/index .pytest_cache .mypy_cache .ruff_cache

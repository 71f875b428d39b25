# Contract RAG: every target installs what it needs first (.venv/ with torch==2.13.0 CPU first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
UI_PORT ?= 8501

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
	# The browser tests drive Debian's chromium (Playwright's own browser download cannot work here).
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		apt-get install -y -qq chromium fonts-wqy-microhei; } || \
		echo "warning: install Debian's chromium (and a CJK font) for the browser tests"
	touch $(STAMP)

install: $(STAMP) ## create .venv/ and install everything (torch CPU first)

test: $(STAMP) ## run the whole test suite (real-model tests included)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## run the tests that need no real model
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check core rag index ui evals tests
	$(BIN)/ruff format --check core rag index ui evals tests
	$(BIN)/mypy core rag index evals

index: $(STAMP) ## build or update the search index over the contracts folder
	$(BIN)/rag index

run: $(STAMP) ## install, build the index and start the chat UI (prints its URL)
	$(BIN)/rag index
	@echo "Chat UI: http://127.0.0.1:$(UI_PORT)  (API and widget: make api)"
	$(BIN)/streamlit run ui/app.py --server.address 127.0.0.1 --server.port $(UI_PORT) \
		--server.headless true --browser.gatherUsageStats false

api: $(STAMP) ## start the HTTP API and widget on 127.0.0.1:8000 (index built first)
	$(BIN)/rag index
	$(BIN)/rag serve

eval: $(STAMP) ## measure retrieval and answers with baselines; fails on a regression (index updated first)
	$(BIN)/rag index --quiet
	$(BIN)/python -m evals.run
	$(BIN)/python -m evals.reading
	$(BIN)/python -m evals.conversations --split dev
	$(BIN)/python -m evals.conversations --split heldout
	$(BIN)/python -m evals.paraphrase
	$(BIN)/python -m evals.question_topics

bench: $(STAMP) ## build, search, ask, load and Milvus benchmarks with peers (about 22 minutes)
	$(BIN)/python -m evals.bench

clean: ## remove the virtualenv, caches and built indexes
	rm -rf $(VENV) data/index .pytest_cache .mypy_cache .ruff_cache

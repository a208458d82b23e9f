# Every target sets itself up: the virtual environment is made (or refreshed) from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled

.PHONY: help test unit integration lint format openapi check-openapi clean

help:
	@echo "make test      lint, OpenAPI freshness and the whole test suite"
	@echo "make lint      ruff (lint and format check) and mypy"
	@echo "make format    apply ruff's formatting and safe fixes"
	@echo "make openapi   write docs/openapi.json from the handlers"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

test: lint check-openapi
	$(BIN)/python -m pytest -n 2

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests/integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(STAMP)
	TABLE_NAME=unused $(BIN)/python -m functions.api.openapi docs/openapi.json

check-openapi: $(STAMP)
	@TABLE_NAME=unused $(BIN)/python -m functions.api.openapi | diff -q docs/openapi.json - >/dev/null \
		|| { echo "docs/openapi.json is stale: run make openapi"; exit 1; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

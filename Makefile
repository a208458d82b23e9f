# Every target sets itself up: the virtual environment is made (or refreshed) from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled

CONFIG ?= infra/config.json
CDK := node_modules/.bin/cdk

.PHONY: help run bench fuzz test browser unit integration lint format openapi check-openapi synth deploy destroy redrive migrate clean

help:
	@echo "make run       run the whole system locally on embedded AWS (moto), with demo data (EMPTY=1: none)"
	@echo "make test      lint, OpenAPI freshness, the browser (installed the first time) and the whole test suite"
	@echo "make lint      ruff (lint and format check) and mypy"
	@echo "make format    apply ruff's formatting and safe fixes"
	@echo "make openapi   write docs/openapi.json from the handlers"
	@echo "make bench     benchmarks on moto in process: table, bench/results.json, one-line summary (~5 min)"
	@echo "make fuzz      Schemathesis against the local stack: every phase over every route, about 3,000 cases"
	@echo "make synth     synthesize the CDK stack (cdk-nag checks) and lint the template (cfn-lint)"
	@echo "make deploy    deploy the stack to the AWS account of your credentials (CONFIG=infra/config.json)"
	@echo "make destroy   remove the stack (the table, user pool, key and buckets are retained)"
	@echo "make redrive   deliver again the stream records the deployed notify function gave up on"
	@echo "make migrate   after a deploy: bring records of an earlier version up to this one"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

PORT ?= 8000
run: $(STAMP)
	$(BIN)/python -m functions.local --port $(PORT) $(if $(EMPTY),--empty,)

test: lint check-openapi browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The browser tests' chromium: found, or installed the first time (tests/browser/provision.py).
browser: $(STAMP)
	@$(BIN)/python -m tests.browser.provision

bench: $(STAMP)
	$(BIN)/python -m bench.run

fuzz: $(STAMP)
	TEST_LOG_LEVEL=WARNING FUZZ_PHASES=examples,coverage,fuzzing,stateful FUZZ_EXAMPLES=100 FUZZ_MIN_CASES=2500 \
		$(BIN)/python -m pytest -p no:xdist -s tests/fuzz

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

# cfn-lint: every finding fails but two that CDK writes itself: W3005 (its own redundant
# DependsOn) and W3045 (the log bucket's LogDeliveryWrite ACL, which CloudFront's standard
# logging needs).
synth: $(STAMP)
	CDK_OUTDIR=cdk.out PORTAL_CONFIG=$(CONFIG) $(BIN)/python -m infra.app
	$(BIN)/cfn-lint --ignore-checks W3005 W3045 -- cdk.out/ClientPortal.template.json

$(CDK): package.json
	npm install --no-audit --no-fund
	@touch $(CDK)

deploy: $(STAMP) $(CDK) synth
	$(CDK) deploy --app "$(BIN)/python -m infra.app" -c config=$(CONFIG) --require-approval broadening

destroy: $(STAMP) $(CDK)
	$(CDK) destroy --app "$(BIN)/python -m infra.app" -c config=$(CONFIG)

# The failure queue's batches, read back from the stream and given to the deployed notify function.
redrive: $(STAMP)
	$(BIN)/python -m functions.notify.redrive --config $(CONFIG)

# Records written by an earlier version, brought up to this one (once; safe to repeat).
migrate: $(STAMP)
	$(BIN)/python -m functions.store.migrate --config $(CONFIG)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache cdk.out build node_modules

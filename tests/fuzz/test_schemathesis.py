"""Schemathesis against the running local stack, from its own /openapi.json: every route, with
valid tokens for /me (a client's) and /staff (staff's). No 5xx, and every response matches the
documented status codes, content type and schema.

`make test` runs a short pass (FUZZ_EXAMPLES, default 5 per route); `make fuzz` runs 60 per route,
over 1,000 cases in all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from functions.local.provision import CLIENT, STAFF
from functions.local.stack import LocalStack
from functions.local.token import id_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
MINIMUM_CASES = int(os.environ.get("FUZZ_MIN_CASES", "0"))
CASES: list[str] = []
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    running = LocalStack(port=0, state_file=None, pump_interval=0.2).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tokens(stack: LocalStack) -> dict[str, str]:
    return {"/me": id_token(stack.url, *CLIENT), "/staff": id_token(stack.url, *STAFF)}


def _operations() -> list[Any]:
    """Every operation of the document the API serves (generated in-process; the test checks
    the served one is the same)."""
    from functions.api.openapi import document

    loaded = schemathesis.openapi.from_dict(document())
    operations = []
    for result in loaded.get_all_operations():
        assert not isinstance(result, schemathesis.core.result.Err), result
        operations.append(result.ok())
    return operations


OPERATIONS = _operations()


def test_the_served_document_is_the_one_fuzzed(stack: LocalStack) -> None:
    import json
    import urllib.request

    from functions.api.openapi import document

    with urllib.request.urlopen(f"{stack.url}/openapi.json", timeout=10) as answer:
        assert json.load(answer) == document()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{o.method.upper()} {o.path}" for o in OPERATIONS])
def test_api_answers_as_documented(operation: Any, stack: LocalStack, tokens: dict[str, str]) -> None:
    headers = {}
    for prefix, token in tokens.items():
        if operation.path.startswith(prefix):
            headers["Authorization"] = f"Bearer {token}"

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        CASES.append(operation.path)
        case.call_and_validate(base_url=stack.url, headers=headers, checks=CHECKS)

    run()


def test_enough_cases_were_generated() -> None:
    print(f"\nschemathesis: {len(CASES)} generated cases over {len(set(CASES))} paths")
    assert len(CASES) >= MINIMUM_CASES

"""Schemathesis against the running local stack, from its own /openapi.json, as its command line
runs it: every phase (examples, coverage, fuzzing, stateful) over every operation, public routes
without a token, /me with a client's and /staff with staff's. Every check but one must pass: no
5xx, documented status codes, content types, headers and schemas, schema-violating requests
refused, undeclared methods answered 405 with Allow, authentication not ignored.

The one left out, `positive_data_acceptance`, expects every schema-valid request to be accepted;
the contract refuses many of them on rules a schema cannot state (a time that is not offered is a
422, a taken one a 409, a name with a digit a 422).

`make fuzz` runs every phase with up to 100 cases per operation and phase, and says how many cases
it ran. `make test` runs a short pass: 3 per operation, without the coverage phase, whose thousand
or so cases take a minute whatever the number asked for (FUZZ_PHASES, FUZZ_EXAMPLES); what the
coverage phase found has regression tests in tests/local and tests/integration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from functions.api.openapi import document
from functions.local.provision import CLIENT, STAFF
from functions.local.stack import LocalStack
from functions.local.token import id_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
MINIMUM_CASES = int(os.environ.get("FUZZ_MIN_CASES", "0"))
PHASES = tuple(os.environ.get("FUZZ_PHASES", "examples,fuzzing,stateful").split(","))
SEED = 13


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    running = LocalStack(port=0, state_file=None, pump_interval=0.2).start()
    yield running
    running.stop()


def _config(stack: LocalStack) -> str:
    """Schemathesis' configuration: the token each part of the API needs."""
    tokens = {"^/me/": id_token(stack.url, *CLIENT), "^/staff/": id_token(stack.url, *STAFF)}
    return "".join(
        f'[[operations]]\ninclude-path-regex = "{prefix}"\n'
        f'headers = {{ Authorization = "Bearer {token}" }}\n\n'
        for prefix, token in tokens.items()
    )


@pytest.fixture(scope="module")
def run(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of `schemathesis run` with every phase; its JSON report."""
    folder = tmp_path_factory.mktemp("schemathesis")
    config = folder / "schemathesis.toml"
    config.write_text(_config(stack))
    report = folder / "report.json"
    # From the document as a file: loaded from its URL, Schemathesis leaves GET /openapi.json out.
    schema = folder / "openapi.json"
    schema.write_text(json.dumps(document()))
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        str(schema),
        "--url",
        stack.url,
        "--phases",
        ",".join(PHASES),
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--suppress-health-check",
        "all",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--output-truncate",
        "false",
        # moto's, not the API's: the stateful phase fills the practice's one configuration record
        # with dozens of clinicians of 200 time-off entries each, and moto then spends seconds on
        # every write (up to 19 s seen), which DynamoDB does not. Beyond 60 s it is a failure.
        "--request-timeout",
        "60",
        "--max-response-time",
        "60",
    ]
    # In its own folder: Schemathesis keeps a cache of what it found in the working directory.
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)  # noqa: S603
    (folder / "output.txt").write_text(done.stdout + done.stderr)
    assert report.exists(), done.stdout[-4000:] + done.stderr[-4000:]
    result: dict[str, Any] = json.loads(report.read_text())
    result["output"] = done.stdout
    return result


def test_the_served_document_is_the_one_fuzzed(stack: LocalStack) -> None:
    with urllib.request.urlopen(f"{stack.url}/openapi.json", timeout=10) as answer:
        assert json.load(answer) == document()


def test_every_phase_ran_over_every_operation(run: dict[str, Any]) -> None:
    operations = sum(
        method in ("get", "put", "post", "patch", "delete")
        for ops in document()["paths"].values()
        for method in ops
    )
    assert run["operations"]["selected"] == run["operations"]["tested"] == operations
    assert {phase: run["phases"][phase]["status"] for phase in PHASES} == dict.fromkeys(PHASES, "success"), (
        run["output"][-20000:]
    )
    cases = run["test_cases"]["generated"]
    print(f"\nschemathesis: {cases} test cases, phases {', '.join(PHASES)}, over {operations} operations")
    assert cases >= MINIMUM_CASES


def test_no_failure_was_found(run: dict[str, Any]) -> None:
    assert run["failures"] == [], run["output"][-20000:]
    assert run["errors"] == [], run["output"][-20000:]
    assert run["exit_code"] == 0, run["output"][-20000:]

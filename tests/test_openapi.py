"""The committed OpenAPI document is the one the handlers generate, and the API serves it."""

from __future__ import annotations

import json
from pathlib import Path

from functions.api.openapi import document
from functions.api.routes import ROUTES

DOCUMENT = Path(__file__).parent.parent / "docs" / "openapi.json"


def test_committed_document_is_current():
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == document(), "docs/openapi.json is stale: run make openapi"


def test_document_has_every_route_of_the_table():
    paths = document()["paths"]
    for route in ROUTES:
        assert route.method.lower() in paths[route.path], f"{route.method} {route.path} missing"


def test_api_serves_the_document(table):
    from tests.integration.conftest import call

    answer = call("GET", "/openapi.json")

    assert answer.status == 200
    assert answer.body["openapi"].startswith("3.1")
    assert "/staff/requests/{id}/approve" in answer.body["paths"]

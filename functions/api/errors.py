"""The one place where refusals become HTTP responses with the contract's error body."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.scheduling.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unavailable

STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Invalid, 422),
    (Unavailable, 503),
)
HEADERS = {"Cache-Control": "no-store"}


class Unauthorized(DomainError):
    code = "unauthorized"
    message = "Sign in to continue."


class BadHeader(DomainError):
    """A request header that is malformed for its route (a 400, as malformed JSON is)."""


class PreconditionFailed(DomainError):
    """If-Match named a version of the record that is no longer the stored one (a 412)."""

    code = "changed_meanwhile"
    message = "Someone else saved a change to this meanwhile. Reload it, then make your change again."


def error_response(
    status: int, code: str, message: str, fields: Sequence[Mapping[str, str]] | None = None
) -> Response[str]:
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = list(fields)
    headers = dict(HEADERS)
    if status == 503:
        headers["Retry-After"] = "1"
    return Response(status, "application/json", json.dumps({"error": detail}), headers)


def from_domain(exc: DomainError) -> Response[str]:
    if isinstance(exc, Unauthorized):
        return error_response(401, exc.code, exc.message)
    if isinstance(exc, BadHeader):
        return error_response(400, exc.code, exc.message)
    if isinstance(exc, PreconditionFailed):
        return error_response(412, exc.code, exc.message)
    status = next((s for family, s in STATUS if isinstance(exc, family)), 500)
    fields = [{"field": exc.field, "message": exc.message}] if exc.field and status == 422 else None
    return error_response(status, exc.code, exc.message, fields)


_LOCATIONS = {"body", "query", "path", "header", "headers"}


def from_validation(errors: Iterable[Mapping[str, Any]]) -> Response[str]:
    """pydantic's errors as the contract's 400 (malformed JSON) or 422; no input is echoed."""
    errors = list(errors)
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    fields = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        parts = loc[1:] if loc and loc[0] in _LOCATIONS else loc
        name = ".".join(parts) if parts else (loc[0] if loc else "body")
        fields.append({"field": name, "message": _message(e)})
    return error_response(422, "validation_failed", "Some fields are not valid.", fields)


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "model_attributes_type" or kind == "dict_type":
        return "must be a JSON object"
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")

"""API Gateway REST proxy events built from the route table, as API Gateway builds them.

Used by the local gateway and the tests, so both call handlers with the events Lambda gets.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from .routes import ROUTES, Route

_PATTERNS = [
    (route, re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path)) + "$"))
    for route in ROUTES
]


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route, pattern in _PATTERNS:
        found = pattern.match(path)
        if found and route.method == method.upper():
            return route, found.groupdict()
    return None


def methods_at(path: str) -> list[str]:
    return [route.method for route, pattern in _PATTERNS if pattern.match(path)]


def resource_at(path: str) -> str | None:
    """The route table's resource a concrete path falls under, whatever the method."""
    return next((route.path for route, pattern in _PATTERNS if pattern.match(path)), None)


def proxy_event(
    method: str,
    path: str,
    *,
    body: str | Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The proxy event for a request; `resource` and path parameters from the matched route."""
    matched = match(method, path)
    resource, params = (matched[0].path, matched[1]) if matched else (path, {})
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method.upper(),
        "path": f"/api{path}",
        "stage": "api",
        "requestId": str(uuid.uuid4()),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity": {"sourceIp": source_ip, "userAgent": all_headers.get("User-Agent", "")},
        "accountId": "123456789012",
        "apiId": "local",
    }
    if claims is not None:
        context["authorizer"] = {"claims": dict(claims)}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


class LocalContext(LambdaContext):
    """The Lambda context object as the runtime passes it, for calling handlers locally."""

    def __init__(self, function_name: str):
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._memory_limit_in_mb = 256
        self._invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000

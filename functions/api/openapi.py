"""The OpenAPI 3.1 document of every route, generated from the handlers and the route table.

`python -m functions.api.openapi docs/openapi.json` writes it (make openapi).
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from .http import new_resolver, register
from .routes import FUNCTIONS, ROUTES

TITLE = "Client portal API"
VERSION = "1.0.0"


def document() -> dict[str, Any]:
    app = new_resolver()
    for route in ROUTES:
        module = importlib.import_module(FUNCTIONS[route.function])
        register(app, route, getattr(module, route.endpoint))
    schema = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="The public HTTP contract of the client portal (contract v1). "
        "Errors always have the body {error: {code, message, fields?}}.",
        security_schemes={
            "cognito": HTTPBearer(
                bearerFormat="JWT", description="A Cognito ID token; staff are members of the group `staff`."
            )
        },
    )
    result: dict[str, Any] = json.loads(schema)
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            if method == "post" and path:
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            if method == "put":
                operation.setdefault("parameters", []).append(IF_NONE_MATCH_PARAMETER)
                operation["responses"]["400"]["description"] = (
                    "Malformed JSON, or an If-None-Match header other than `*` (`invalid_if_none_match`)"
                )
    return result


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key with the same body returns the first response again and changes nothing; "
    "with another body it is a 409. Keys are kept for 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "`*`: create only. When something already has this id, the answer is a 409 "
    "`already_exists` and nothing changes. Any other value (an entity tag, an empty header) is a 400 "
    "`invalid_if_none_match` and nothing changes.",
    "schema": {"type": "string", "enum": ["*"]},
}


def main(argv: list[str]) -> int:
    text = json.dumps(document(), indent=2, sort_keys=True) + "\n"
    if len(argv) > 1:
        with open(argv[1], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

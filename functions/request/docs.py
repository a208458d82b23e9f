"""GET /openapi.json: the API's own description, generated from the handlers on first use."""

from __future__ import annotations

import json
from functools import cache

from aws_lambda_powertools.event_handler import Response

from functions.api.http import lambda_handler, returns
from functions.api.models import OpenApiDocument
from functions.api.openapi import document


@cache
def _document() -> str:
    return json.dumps(document(), sort_keys=True)


@returns(OpenApiDocument)
def get_openapi() -> Response[str]:
    return Response(200, "application/json", _document(), {"Cache-Control": "public, max-age=300"})


handler = lambda_handler(__name__, "docs")

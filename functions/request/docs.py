"""GET /openapi.json: the API's own description. On Lambda it is the document bundled at synth
(infra/bundling.py writes it next to this module), so a cold start imports no other handler and
none of Powertools' OpenAPI models; elsewhere (make run, tests) it is generated on first use."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

from functions.api.http import lambda_handler, returns
from functions.api.models import OpenApiDocument

BUNDLED = Path(__file__).with_name("openapi.json")


def generate() -> str:
    from functions.api.openapi import document

    return json.dumps(document(), sort_keys=True)


@cache
def _document() -> str:
    return BUNDLED.read_text(encoding="utf-8") if BUNDLED.is_file() else generate()


@returns(OpenApiDocument)
def get_openapi() -> Response[str]:
    return Response(200, "application/json", _document(), {"Cache-Control": "public, max-age=300"})


handler = lambda_handler(__name__, "docs")

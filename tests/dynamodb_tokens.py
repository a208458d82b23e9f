"""DynamoDB's rule for ClientRequestToken, which moto does not apply: a token names one
transaction, and the same token with other TransactItems is refused with
IdempotentParameterMismatchException (within 10 minutes, longer than any test). Installed on
every DynamoDB client the tests make (among botocore's built-in handlers, as moto installs its
own), so that code giving one token to two different transactions fails here as it would on
AWS.

Also DynamoDB's refusal of an empty ExpressionAttributeNames or ExpressionAttributeValues map
(ValidationException), which moto checks for some operations only (not BatchGetItem)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


def enforce_request_tokens() -> None:
    from botocore.handlers import BUILTIN_HANDLERS

    seen: dict[str, str] = {}

    def check(request: Any, **_: Any) -> None:
        # Registered on the operation's own event: it runs before moto's handler, so a refused
        # call changes nothing, as DynamoDB refuses it before applying anything.
        body = json.loads(request.body or b"{}")
        token = body.get("ClientRequestToken")
        if token is None:
            return
        items = json.dumps(body.get("TransactItems"), sort_keys=True)
        if seen.setdefault(token, items) != items:
            raise ClientError(
                {
                    "Error": {
                        "Code": "IdempotentParameterMismatchException",
                        "Message": "The same client token was used for a different transaction.",
                    }
                },
                "TransactWriteItems",
            )

    BUILTIN_HANDLERS.append(("before-send.dynamodb.TransactWriteItems", check))


def _empty_maps(value: Any) -> bool:
    """Whether a request holds an empty expression map, at any depth (RequestItems,
    TransactItems)."""
    if isinstance(value, dict):
        for name, part in value.items():
            if name in ("ExpressionAttributeNames", "ExpressionAttributeValues") and part == {}:
                return True
            if _empty_maps(part):
                return True
    elif isinstance(value, list):
        return any(_empty_maps(part) for part in value)
    return False


def refuse_empty_expression_maps() -> None:
    from botocore.handlers import BUILTIN_HANDLERS

    def check(request: Any, event_name: str, **_: Any) -> None:
        if _empty_maps(json.loads(request.body or b"{}")):
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": "ExpressionAttributeNames and ExpressionAttributeValues must not be empty",
                    }
                },
                event_name.rsplit(".", 1)[-1],
            )

    BUILTIN_HANDLERS.append(("before-send.dynamodb", check))

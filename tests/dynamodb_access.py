"""Each Lambda function's DynamoDB calls, checked against what its role allows in AWS.

The stack turns `functions.store.schema.ACCESS` into IAM statements conditioned on
`dynamodb:LeadingKeys` (infra/api.py `table_policy`): a function may read (GetItem,
BatchGetItem, ConditionCheckItem) and write (PutItem, UpdateItem, DeleteItem) only items whose
partition key matches its patterns, and Query only the indexes named, for the partition keys
named. moto applies no IAM, so a call outside those rules passes every test and is refused
(AccessDeniedException) only once deployed. This check, installed on every DynamoDB client the
tests make (as tests/dynamodb_tokens.py is), finds such a call where it is made.

Which function is calling is read from the call stack: the outermost frame in one of the
functions' modules (functions.api.routes FUNCTIONS and BACKGROUND). Calls made by the tests
themselves, the demo data or the local stack's set-up belong to no function and are not checked.
Every call found outside its function's rules is kept in `VIOLATIONS`; tests/conftest.py fails
the test that made it.
"""

from __future__ import annotations

import json
import re
import sys
from fnmatch import fnmatchcase
from typing import Any

from functions.api.routes import BACKGROUND, FUNCTIONS
from functions.store.schema import ACCESS, INDEXES

MODULES = {module: name for name, module in {**FUNCTIONS, **BACKGROUND}.items()}
INDEX_KEYS = {index["name"]: index["pk"] for index in INDEXES}
# Statements of their own in the stack: an UpdateItem of a few attributes only, returning
# nothing (infra/notify.py: a request's notification status; infra/waitlist.py: an entry's
# notices).
UPDATE_ONLY = {"notify": ("APPT#*",), "waitlistnotify": ("WAIT#*",)}
VIOLATIONS: list[str] = []
_EQUALS = re.compile(r"(#?\w+)\s*=\s*(:\w+)")


def calling_function() -> str | None:
    frame = sys._getframe(2)
    found = None
    while frame is not None:
        name = MODULES.get(frame.f_globals.get("__name__", ""))
        if name is not None:
            found = name
        frame = frame.f_back  # type: ignore[assignment]
    return found


def _pk(item: dict[str, Any]) -> str:
    return str(item["pk"]["S"])


def _query_key(body: dict[str, Any]) -> tuple[str, str]:
    """(what is queried: the index, or "table"; the partition key value asked for)."""
    index = body.get("IndexName")
    attribute = INDEX_KEYS[index] if index else "pk"
    names = body.get("ExpressionAttributeNames", {})
    for name, placeholder in _EQUALS.findall(body.get("KeyConditionExpression", "")):
        if names.get(name, name) == attribute:
            return index or "table", str(body["ExpressionAttributeValues"][placeholder]["S"])
    return index or "table", "?"


def needs(operation: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    """What a call needs: (rule, partition key) pairs, the rule being read, write, check (read
    or write), update (write, or an update-only statement) or an index's name."""
    if operation == "GetItem":
        return [("read", _pk(body["Key"]))]
    if operation == "BatchGetItem":
        return [("read", _pk(k)) for table in body["RequestItems"].values() for k in table["Keys"]]
    if operation == "PutItem":
        return [("write", _pk(body["Item"]))]
    if operation == "DeleteItem":
        return [("write", _pk(body["Key"]))]
    if operation == "UpdateItem":
        plain = body.get("ReturnValues", "NONE") == "NONE"
        return [("update" if plain else "write", _pk(body["Key"]))]
    if operation == "TransactWriteItems":
        found = []
        for item in body["TransactItems"]:
            ((kind, part),) = item.items()
            key = _pk(part["Item"] if kind == "Put" else part["Key"])
            found.append(("check" if kind == "ConditionCheck" else "write", key))
        return found
    if operation == "TransactGetItems":
        return [("read", _pk(item["Get"]["Key"])) for item in body["TransactItems"]]
    if operation == "BatchWriteItem":
        return [
            ("write", _pk(r["PutRequest"]["Item"] if "PutRequest" in r else r["DeleteRequest"]["Key"]))
            for table in body["RequestItems"].values()
            for r in table
        ]
    if operation == "Query":
        return [_query_key(body)]
    return [(operation, "*")]  # Scan, DescribeTable, ...: no function's role allows them


def allowed(function: str, rule: str, key: str) -> bool:
    rules = ACCESS.get(function, {})

    def matches(name: str) -> bool:
        return any(fnmatchcase(key, pattern) for pattern in rules.get(name, ()))

    if rule == "check":
        return matches("read") or matches("write")
    if rule == "update":
        return matches("write") or any(fnmatchcase(key, p) for p in UPDATE_ONLY.get(function, ()))
    if rule in ("read", "write"):
        return matches(rule)
    if rule == "table":
        return False  # roles allow Query on indexes only
    return rule in rules and matches(rule)


def enforce_access() -> None:
    from botocore.handlers import BUILTIN_HANDLERS

    def check(request: Any, event_name: str, **_: Any) -> None:
        function = calling_function()
        if function is None:
            return
        operation = event_name.rsplit(".", 1)[-1]
        body = json.loads(request.body or b"{}")
        for rule, key in needs(operation, body):
            if not allowed(function, rule, key):
                VIOLATIONS.append(f"{function}: {operation} needs {rule} on {key}")

    BUILTIN_HANDLERS.append(("before-send.dynamodb", check))

"""The check of functions' DynamoDB calls against their IAM roles (tests/dynamodb_access.py)
finds what AWS would refuse, and only that."""

from __future__ import annotations

from typing import Any

from tests.dynamodb_access import allowed, needs


def rule_ok(function: str, operation: str, body: dict[str, Any]) -> bool:
    return all(allowed(function, rule, key) for rule, key in needs(operation, body))


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "x"}}


def test_reads_and_writes_follow_the_leading_keys():
    assert rule_ok("availability", "GetItem", {"Key": key("PRACTICE")})
    assert not rule_ok("availability", "GetItem", {"Key": key("APPT#1")})
    assert not rule_ok("availability", "PutItem", {"Item": key("PRACTICE")})
    assert rule_ok("submit", "TransactWriteItems", {"TransactItems": [{"Put": {"Item": key("APPT#1")}}]})
    assert not rule_ok("submit", "TransactWriteItems", {"TransactItems": [{"Put": {"Item": key("OFFER#1")}}]})
    batch = {"RequestItems": {"t": {"Keys": [key("PRACTICE"), key("WAIT#1")]}}}
    assert rule_ok("waitlistreview", "BatchGetItem", batch)
    assert not rule_ok(
        "waitlistexpiry", "BatchGetItem", {"RequestItems": {"t": {"Keys": [key("CLAIM#c#1")]}}}
    )


def test_an_update_only_statement_allows_plain_updates_only():
    assert rule_ok("notify", "UpdateItem", {"Key": key("APPT#1")})
    assert not rule_ok("notify", "UpdateItem", {"Key": key("APPT#1"), "ReturnValues": "ALL_NEW"})
    assert not rule_ok("notify", "PutItem", {"Item": key("APPT#1")})


def test_queries_only_of_the_indexes_and_keys_named():
    busy = {
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :p AND gsi2sk BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {":p": {"S": "BUSY"}, ":lo": {"S": "a"}, ":hi": {"S": "b"}},
    }
    assert rule_ok("availability", "Query", busy)
    assert not rule_ok("appointments", "Query", busy)
    named = {**busy, "KeyConditionExpression": "#k = :p", "ExpressionAttributeNames": {"#k": "gsi2pk"}}
    assert rule_ok("availability", "Query", named)
    table = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "PRACTICE"}}}
    assert not rule_ok("availability", "Query", table)
    assert not rule_ok("availability", "Scan", {})

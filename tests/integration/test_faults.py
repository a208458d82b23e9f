"""Fault injection: DynamoDB throttling and cancelled transactions, a handler dying between its
steps, SES failing in bursts. Nothing is half written, lost or done twice."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions import aws
from functions.api.gateway import LocalContext
from functions.notify import handler as notify
from tests.integration.conftest import STAFF, at, call, new_request, next_weekday


def table_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws.dynamodb().scan(TableName=aws.settings().table_name)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def inject(
    operation: str, error: Exception | None = None, *, after: bool = False, times: int = 1
) -> list[int]:
    """Make the next `times` calls of a DynamoDB operation fail, before or after it took effect."""
    left = [times]

    def fail(**_: Any) -> None:
        if left[0] > 0:
            left[0] -= 1
            raise error or RuntimeError("the function died here")

    event = f"{'after' if after else 'before'}-call.dynamodb.{operation}"
    aws.dynamodb().meta.events.register(event, fail)
    return left


def throttled(code: str = "ThrottlingException") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}}, "TransactWriteItems")


def cancelled(reason: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
            "CancellationReasons": [{"Code": reason}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException"])
def test_throttled_write_is_a_503_with_retry_after_and_nothing_written(practice, code):
    day = next_weekday()
    before = table_items()
    inject("TransactWriteItems", throttled(code), times=99)

    answer = call("POST", "/requests", new_request(at(day, 9)))

    assert answer.status == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.code == "temporarily_unavailable"
    assert table_items() == before


def test_transaction_conflict_is_a_503_and_a_retry_succeeds(practice):
    day = next_weekday()
    before = table_items()
    inject("TransactWriteItems", cancelled("TransactionConflict"))
    key = {"Idempotency-Key": "conflict-then-retry"}

    first = call("POST", "/requests", new_request(at(day, 9)), headers=key)
    assert (first.status, table_items()) == (503, before)
    second = call("POST", "/requests", new_request(at(day, 9)), headers=key)

    assert second.status == 201
    assert len(call("GET", "/staff/requests", who=STAFF).body["requests"]) == 1


def test_read_throttling_is_a_503(practice):
    inject("BatchGetItem", throttled("ProvisionedThroughputExceededException"), times=99)

    answer = call("POST", "/requests", new_request(at(next_weekday(), 9)))

    assert (answer.status, answer.headers.get("Retry-After")) == (503, "1")


def test_handler_dying_after_its_write_completes_once_on_retry(practice):
    day = next_weekday()
    key = {"Idempotency-Key": "died-after-commit"}
    inject("TransactWriteItems", after=True)

    with pytest.raises(RuntimeError):
        call("POST", "/requests", new_request(at(day, 9)), headers=key)
    retried = call("POST", "/requests", new_request(at(day, 9)), headers=key)

    assert retried.status == 201
    queue = call("GET", "/staff/requests", who=STAFF).body["requests"]
    assert [r["id"] for r in queue] == [retried.body["request"]["id"]]


def test_handler_dying_before_its_write_completes_once_on_retry(practice):
    day = next_weekday()
    key = {"Idempotency-Key": "died-before-commit"}
    before = table_items()
    inject("TransactWriteItems")

    with pytest.raises(RuntimeError):
        call("POST", "/requests", new_request(at(day, 9)), headers=key)
    assert table_items() == before
    retried = call("POST", "/requests", new_request(at(day, 9)), headers=key)

    assert retried.status == 201
    assert len(call("GET", "/staff/requests", who=STAFF).body["requests"]) == 1


def test_approval_dying_after_its_write_is_not_applied_twice(practice):
    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9)))
    path = f"/staff/requests/{made.body['request']['id']}/approve"
    key = {"Idempotency-Key": "approve-died"}
    inject("TransactWriteItems", after=True)

    with pytest.raises(RuntimeError):
        call("POST", path, {"note": "See you"}, who=STAFF, headers=key)
    retried = call("POST", path, {"note": "See you"}, who=STAFF, headers=key)

    assert retried.status == 200
    assert retried.body["request"]["status"] == "approved"


def sent_to(address: str) -> int:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    count = 0
    for message in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
        to = message.destinations if isinstance(message, RawMessage) else message.destinations["ToAddresses"]
        count += address in to
    return count


def test_ses_failure_burst_loses_nothing_and_sends_nothing_twice(stream):
    day = next_weekday()
    clients = [f"burst{i}@example.org" for i in range(6)]
    for i, email in enumerate(clients):
        made = call(
            "POST",
            "/requests",
            new_request(
                at(day, (9, 10, 11, 13, 14, 15)[i]), clinician=("c-rivera", "c-okafor")[i // 3], email=email
            ),
        )
        assert made.status == 201, made.body
        call("POST", f"/staff/requests/{made.body['request']['id']}/approve", who=STAFF)
    codes = iter(["TooManyRequestsException", "InternalFailure", "ServiceUnavailable"] * 4)
    failures = [10]

    def burst(**_: Any) -> None:
        if failures[0] > 0:
            failures[0] -= 1
            raise ClientError({"Error": {"Code": next(codes), "Message": "injected"}}, "SendEmail")

    aws.sesv2().meta.events.register("before-call.sesv2.SendEmail", burst)

    rounds = 0
    while True:
        rounds += 1
        delivered = stream.deliver(notify.handler, lambda: LocalContext("notify"))
        pending = len(stream.pending())
        if not pending or rounds > 30:
            break
    assert failures[0] == 0
    assert delivered is not None
    assert pending == 0
    assert [sent_to(email) for email in clients] == [1] * len(clients)
    assert sent_to("frontdesk@demo.test") == 6

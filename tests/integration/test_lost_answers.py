"""A write that succeeded while its answer was lost: the SDK retries it, and the caller is told
the truth (201/200, as the write happened), with everything written once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from functions import aws
from tests.integration.conftest import (
    CLIENT_A,
    STAFF,
    at,
    call,
    confirmed_appointment,
    new_request,
    next_weekday,
)
from tests.integration.mail import lose_answers
from tests.integration.support import stored_appointments, stored_claims, table_items


@dataclass(frozen=True)
class Write:
    """One write route: how to get the practice ready for it, then the call."""

    name: str
    ready: Callable[[], dict[str, Any]]
    send: Callable[[dict[str, Any], dict[str, str]], Any]
    status: int
    # The appointment's version once the write is done: each write bumps it once.
    version: int


def _pending_request() -> dict[str, Any]:
    made = call("POST", "/requests", new_request(at(next_weekday(), 9)))
    assert made.status == 201
    return {"request": made.body["request"]["id"]}


def _confirmed() -> dict[str, Any]:
    return {"appointment": confirmed_appointment(CLIENT_A, next_weekday(), 10)}


WRITES = [
    Write(
        "submit",
        dict,
        lambda _, h: call("POST", "/requests", new_request(at(next_weekday(), 11)), headers=h),
        201,
        1,
    ),
    Write(
        "submit signed in",
        dict,
        lambda _, h: call(
            "POST",
            "/me/requests",
            {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(next_weekday(), 11)},
            who=CLIENT_A,
            headers=h,
        ),
        201,
        1,
    ),
    Write(
        "approve",
        _pending_request,
        lambda r, h: call("POST", f"/staff/requests/{r['request']}/approve", {}, who=STAFF, headers=h),
        200,
        2,
    ),
    Write(
        "deny",
        _pending_request,
        lambda r, h: call("POST", f"/staff/requests/{r['request']}/deny", {}, who=STAFF, headers=h),
        200,
        2,
    ),
    Write(
        "reschedule",
        _confirmed,
        lambda r, h: call(
            "POST",
            f"/me/appointments/{r['appointment']}/reschedule",
            {"start": at(next_weekday(), 14)},
            who=CLIENT_A,
            headers=h,
        ),
        201,
        3,
    ),
    Write(
        "cancel",
        _confirmed,
        lambda r, h: call("POST", f"/me/appointments/{r['appointment']}/cancel", who=CLIENT_A, headers=h),
        201,
        3,
    ),
]


@pytest.mark.parametrize("with_key", [False, True], ids=["no key", "Idempotency-Key"])
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_a_transaction_whose_answer_was_lost_is_reported_as_done_and_written_once(
    practice, write: Write, with_key: bool
):
    # Given a practice ready for the write, and DynamoDB losing the answer of the next transaction
    # after carrying it out
    ready = write.ready()
    headers = {"Idempotency-Key": f"lost-{write.name}"} if with_key else {}
    attempts = lose_answers(aws.dynamodb(), "TransactWriteItems")

    # When the caller makes the write (the SDK retries the transaction)
    answer = write.send(ready, headers)

    # Then it is told the truth: the write happened
    assert answer.status == write.status, answer.body
    assert len(attempts) == 2
    # the retry was the same transaction, under the same token, the one the record carries
    tokens = [a.get("ClientRequestToken") for a in attempts]
    assert tokens[0]
    assert tokens[0] == tokens[1]
    # and it was written once: one appointment per id, each held cell claimed once
    stored = table_items()
    request_id = answer.body["request"]["id"]
    assert sum(1 for i in stored if i["sk"] == f"REQ#{request_id}") == 1
    appointment = next(a for a in stored_appointments() if a["id"] == answer.body["request"]["appointmentId"])
    assert appointment["version"] == write.version
    assert appointment["writeToken"] == tokens[0]
    claims = stored_claims()
    assert len({(c["pk"], c["sk"]) for c in claims}) == len(claims)
    if with_key:
        # A later call with the same key replays this very answer.
        again = write.send(ready, headers)
        assert (again.status, again.body) == (answer.status, answer.body)


STAFF_WRITES = {
    # name: (what the appointment is before, the call, the appointment's version after)
    "staff book": (
        dict,
        lambda _, h: call(
            "POST",
            "/staff/appointments",
            {
                "clientId": "client-a",
                "clinicianId": "c-okafor",
                "appointmentTypeId": "session",
                "start": at(next_weekday(), 11),
            },
            who=STAFF,
            headers=h,
        ),
        201,
        1,
    ),
    "staff move": (
        _confirmed,
        lambda r, h: call(
            "POST",
            f"/staff/appointments/{r['appointment']}/reschedule",
            {"start": at(next_weekday(), 15)},
            who=STAFF,
            headers=h,
        ),
        200,
        3,
    ),
    "staff cancel": (
        _confirmed,
        lambda r, h: call("POST", f"/staff/appointments/{r['appointment']}/cancel", {}, who=STAFF, headers=h),
        200,
        3,
    ),
}


@pytest.mark.parametrize("with_key", [False, True], ids=["no key", "Idempotency-Key"])
@pytest.mark.parametrize("name", list(STAFF_WRITES))
def test_a_staff_calendar_write_whose_answer_was_lost_is_done_once(practice, name: str, with_key: bool):
    # Given an appointment (or none) and DynamoDB losing the answer of the next transaction after
    # carrying it out
    ready, send, status, version = STAFF_WRITES[name]
    before = ready()
    headers = {"Idempotency-Key": f"lost-{name}"} if with_key else {}
    attempts = lose_answers(aws.dynamodb(), "TransactWriteItems")

    # When staff make the change (the SDK retries the transaction)
    answer = send(before, headers)

    # Then they are told it is done, and it is done once, under one token
    assert answer.status == status, answer.body
    assert len(attempts) == 2
    assert attempts[0].get("ClientRequestToken") == attempts[1].get("ClientRequestToken")
    appointment = next(a for a in stored_appointments() if a["id"] == answer.body["appointment"]["id"])
    assert appointment["version"] == version
    assert appointment["writeToken"] == attempts[0]["ClientRequestToken"]
    requests = [
        i for i in table_items() if i["pk"] == f"APPT#{appointment['id']}" and i["sk"].startswith("REQ#")
    ]
    assert len(requests) == appointment["requests"]
    claims = stored_claims()
    assert len({(c["pk"], c["sk"]) for c in claims}) == len(claims)
    if with_key:
        again = send(before, headers)
        assert (again.status, again.body) == (answer.status, answer.body)


def test_a_refused_write_is_still_refused_when_its_answer_is_lost(practice):
    # Given a time already held by someone else
    day = next_weekday()
    first = call("POST", "/requests", new_request(at(day, 9)))
    assert first.status == 201
    lose_answers(aws.dynamodb(), "TransactWriteItems")

    # When another request for it is made and the refusal's answer is lost
    second = call("POST", "/requests", new_request(at(day, 9), email="second@example.org"))

    # Then it is refused, as it was
    assert (second.status, second.code) == (409, "slot_unavailable")
    queue = call("GET", "/staff/requests", who=STAFF).body["requests"]
    assert [r["id"] for r in queue] == [first.body["request"]["id"]]


def test_a_staff_setting_whose_answer_was_lost_is_saved_once(practice):
    # Given DynamoDB losing the answer of the next configuration write after carrying it out
    lose_answers(aws.dynamodb(), "PutItem")

    # When staff add an appointment type that only may be created, not replaced
    answer = call(
        "PUT",
        "/staff/appointment-types/couples",
        {"name": "Couples Session", "durationMinutes": 50, "clientType": "existing"},
        who=STAFF,
        headers={"If-None-Match": "*"},
    )

    # Then it is saved, and the retry is not taken for someone else's type
    assert answer.status == 200, answer.body
    types = call("GET", "/staff/appointment-types", who=STAFF).body["appointmentTypes"]
    assert [t["id"] for t in types].count("couples") == 1


KATHERINE = {
    "firstName": "Katherine",
    "lastName": "Johnson",
    "dateOfBirth": "1978-08-26",
    "email": "kj@example.org",
    "mobilePhone": "+1 757 555 0142",
}


@pytest.mark.parametrize("with_key", [False, True], ids=["no key", "Idempotency-Key"])
def test_adding_a_client_whose_answer_was_lost_adds_one_client(practice, with_key):
    # Given DynamoDB losing the answer of the next transaction after carrying it out
    lose_answers(aws.dynamodb(), "TransactWriteItems")
    headers = {"Idempotency-Key": "add-katherine"} if with_key else {}

    # When staff add a client (and, with a key, send the same call again)
    answer = call("POST", "/staff/clients", KATHERINE, who=STAFF, headers=headers)
    if with_key:
        again = call("POST", "/staff/clients", KATHERINE, who=STAFF, headers=headers)
        assert (again.status, again.body) == (answer.status, answer.body)

    # Then the client is added, once
    assert answer.status == 201, answer.body
    clients = call("GET", "/staff/clients", who=STAFF).body["clients"]
    assert [c["email"] for c in clients].count("kj@example.org") == 1


def test_a_key_used_again_after_its_answer_expired_adds_a_new_client_and_shows_no_other(practice):
    # Given a client added with a key whose kept answer has expired (after 24 hours)
    key = {"Idempotency-Key": "reused-later"}
    first = call("POST", "/staff/clients", KATHERINE, who=STAFF, headers=key)
    assert first.status == 201
    table = aws.settings().table_name
    for item in aws.dynamodb().scan(TableName=table)["Items"]:
        if item["pk"]["S"].startswith("IDEM#"):
            aws.dynamodb().update_item(
                TableName=table,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET expiresAt = :past",
                ExpressionAttributeValues={":past": {"N": "0"}},
            )

    # When the key is used again for another person
    other = {**KATHERINE, "firstName": "Dorothy", "lastName": "Vaughan", "email": "dv@example.org"}
    second = call("POST", "/staff/clients", other, who=STAFF, headers=key)

    # Then that person is added, and the answer holds nothing of the first client
    assert second.status == 201, second.body
    assert second.body["client"]["id"] != first.body["client"]["id"]
    assert second.body["client"]["email"] == "dv@example.org"
    assert "Katherine" not in str(second.body)

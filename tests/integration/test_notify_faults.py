"""Notify when things go wrong: answers lost after a claim or a send, a change that is not
stored, an email that cannot be built, two deliveries of one batch at once, a record that keeps
failing among good ones. Every email the help article promises arrives exactly once, and none
holds up the others."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from functions import aws
from functions.api.gateway import LocalContext
from functions.notify import handler as notify
from functions.notify.decide import Notice
from tests.integration.conftest import STAFF, at, call, new_request, next_weekday
from tests.integration.mail import lose_answers, outbox, pump, to


def approved_request(day_offset: int = 0, hour: int = 9, email: str = "ada@example.com") -> dict[str, Any]:
    day = next_weekday() + timedelta(days=day_offset)
    made = call("POST", "/requests", new_request(at(day, hour), email=email))
    assert made.status == 201, made.body
    decided = call("POST", f"/staff/requests/{made.body['request']['id']}/approve", {}, who=STAFF)
    assert decided.status == 200, decided.body
    return dict(decided.body["request"])


def ledger(request: dict[str, Any], version: int, notice: str) -> dict[str, Any] | None:
    return aws.ledger().entry(f"{request['id']}#v{version}#{notice}")


def notification(request_id: str) -> dict[str, Any] | None:
    for status in ("pending", "approved", "denied"):
        for found in call("GET", "/staff/requests", who=STAFF, query={"status": status}).body["requests"]:
            if found["id"] == request_id:
                return dict(found["notification"]) if "notification" in found else None
    raise AssertionError(f"no request {request_id}")


def fail_sends(address: str, code: str, times: int = 99) -> list[int]:
    """SES answers `code` to the next sends to an address (nothing is sent)."""
    left = [times]

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if address in params.get("Destination", {}).get("ToAddresses", []) and left[0] > 0:
            left[0] -= 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, "SendEmail")

    aws.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", refuse)
    return left


def test_a_claim_whose_answer_was_lost_is_the_same_owners_and_sends_once(stream):
    # Given an approval, and DynamoDB losing the answer of the claim of its confirmation
    request = approved_request()
    attempts = lose_answers(
        aws.dynamodb(), "UpdateItem", when=lambda body: body["Key"]["pk"]["S"].endswith("#confirmed")
    )

    # When the stream is delivered
    answer = pump(stream)

    # Then the SDK's retry found its own claim: sent at once, once, counted as one attempt
    assert answer == {"batchItemFailures": []}
    assert len([a for a in attempts if a["Key"]["pk"]["S"].endswith("#confirmed")]) >= 3  # claim x2, settle
    assert len(to("ada@example.com")) == 1
    entry = ledger(request, 2, "confirmed")
    assert entry is not None
    assert entry["state"] == "sent"
    assert len(entry["owners"]) == 1


def test_a_send_whose_answer_was_lost_is_never_sent_again(stream):
    # Given an approval, and SES losing its answer after accepting the confirmation
    request = approved_request()
    attempts = lose_answers(aws.sesv2(), "SendEmail", when=lambda body: "ada@example.com" in str(body))

    # When the stream is delivered, and the same batch delivered again
    records = stream.read()
    first = pump(stream)
    again = notify.handler({"Records": records}, LocalContext("notify"))

    # Then the SDK did not send it twice, and nobody sends it again: one email, recorded as sent
    # without SES's confirmation
    assert first == again == {"batchItemFailures": []}
    assert len([a for a in attempts if "ada@example.com" in str(a)]) == 1
    assert len(to("ada@example.com")) == 1
    assert notification(request["id"]) == {"status": "sent", "detail": "unconfirmed", "notice": "confirmed"}


def test_a_send_that_could_not_connect_is_tried_again_and_arrives_once(stream):
    # Given an approval, and SES unreachable for one send (the request never left)
    request = approved_request()
    failed = [0]

    def unreachable(params: dict[str, Any], **_: Any) -> None:
        if "ada@example.com" in str(params.get("Destination")) and not failed[0]:
            failed[0] += 1
            raise EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com")

    aws.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", unreachable)

    # When the stream is delivered, and the failed record delivered again
    first = pump(stream)
    second = pump(stream)

    # Then the first delivery gave the claim back (the record failed alone), the second sent it:
    # one email, recorded as sent
    assert first["batchItemFailures"]
    assert second == {"batchItemFailures": []}
    assert len(to("ada@example.com")) == 1
    assert notification(request["id"]) == {"status": "sent", "notice": "confirmed"}


def test_a_send_whose_bookkeeping_failed_for_a_while_is_sent_once(stream, monkeypatch):
    # Given an approval, and DynamoDB refusing the first two writes that record its email as sent
    request = approved_request()
    monkeypatch.setattr(notify, "SETTLE_BACKOFF", (0.0,) * 5)
    left = [2]

    def throttle(params: dict[str, Any], **_: Any) -> None:
        values = params.get("ExpressionAttributeValues", {})
        confirmation = params["Key"]["pk"]["S"].endswith("#confirmed")
        if values.get(":outcome") == {"S": "sent"} and confirmation and left[0] > 0:
            left[0] -= 1
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, "UpdateItem"
            )

    aws.dynamodb().meta.events.register("before-parameter-build.dynamodb.UpdateItem", throttle)

    # When the stream is delivered twice
    pump(stream)
    pump(stream)

    # Then the confirmation went out once and is recorded as sent
    assert left == [0]
    assert len(to("ada@example.com")) == 1
    assert ledger(request, 2, "confirmed")["state"] == "sent"  # type: ignore[index]


def test_a_send_whose_bookkeeping_never_succeeds_is_never_sent_again(stream, monkeypatch):
    # Given an approval, and DynamoDB refusing every write that would record its email as sent
    request = approved_request()
    monkeypatch.setattr(notify, "SETTLE_BACKOFF", (0.0,) * 5)

    def throttle(params: dict[str, Any], **_: Any) -> None:
        values = params.get("ExpressionAttributeValues", {})
        if values.get(":outcome") == {"S": "sent"} and params["Key"]["pk"]["S"].endswith("#confirmed"):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "UpdateItem")

    aws.dynamodb().meta.events.register("before-parameter-build.dynamodb.UpdateItem", throttle)

    # When the stream is delivered, then again within the lease
    first = pump(stream)
    second = pump(stream)

    # Then the record failed (for the event source mapping to retry) but the email went out once:
    # the claim stays its sender's until the lease ends
    assert len(first["batchItemFailures"]) == 1
    assert len(second["batchItemFailures"]) == 1
    assert len(to("ada@example.com")) == 1
    assert ledger(request, 2, "confirmed")["state"] == "sending"  # type: ignore[index]

    # And when it is delivered after the lease
    stored = aws.store().request_of(request["id"], request["appointmentId"])
    assert stored is not None
    later = datetime.now(UTC) + timedelta(minutes=2)
    outcome = notify.deliver(Notice("confirmed", stored), "next-owner", later)

    # Then it is not sent again: staff see that its delivery is unknown, with Send Again
    assert outcome == "failed"
    assert len(to("ada@example.com")) == 1
    assert notification(request["id"]) == {
        "status": "failed",
        "detail": "delivery_unknown",
        "notice": "confirmed",
    }


def test_a_change_whose_request_is_gone_is_skipped_and_leaves_nothing_claimed(stream, caplog):
    # Given a new request whose record is gone before its stream record is delivered (removed by
    # TTL, or the record of a transaction that was rolled back)
    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9)))
    request = made.body["request"]
    aws.dynamodb().delete_item(
        TableName=aws.settings().table_name,
        Key={"pk": {"S": f"APPT#{request['appointmentId']}"}, "sk": {"S": f"REQ#{request['id']}"}},
    )
    caplog.set_level(logging.INFO)

    # When the stream is delivered
    answer = pump(stream)

    # Then it finishes cleanly: no email, the ledger says skipped (request_gone), nothing claimed
    assert answer == {"batchItemFailures": []}
    assert to("frontdesk@demo.test") == []
    entry = ledger(request, 1, "received")
    assert entry is not None
    assert (entry["state"], entry["detail"]) == ("skipped", "request_gone")
    assert "record failed" not in caplog.text


def test_a_record_of_a_rolled_back_write_sends_nothing(stream):
    # Given a stream record of a new request whose transaction was refused after all (the moto
    # server emits such records under concurrent transactions): a request that was never stored
    call("POST", "/requests", new_request(at(next_weekday(), 9)))
    [record] = stream.read()
    stream.discard()
    never = "f" * 32
    image = {**record["dynamodb"]["NewImage"], "id": {"S": f"{never}-1"}, "appointmentId": {"S": never}}
    rolled_back = {**record, "dynamodb": {**record["dynamodb"], "NewImage": image}}

    # When it is delivered
    answer = notify.handler({"Records": [rolled_back]}, LocalContext("notify"))

    # Then nothing is sent and nothing is left claimed
    assert answer == {"batchItemFailures": []}
    assert outbox() == []
    assert aws.ledger().entry(f"{never}-1#v1#received")["state"] == "skipped"  # type: ignore[index]


def test_an_email_that_cannot_be_built_is_recorded_failed_at_once_and_the_stream_goes_on(stream):
    # Given a practice name with a line break (stored before names were checked), which no
    # email header may carry, and a request made and approved
    aws.store().update_config(
        lambda c: c.model_copy(
            update={"practice": c.practice.model_copy(update={"name": "Demo\nCounseling"})}
        )
    )
    request = approved_request()

    # When the stream is delivered
    answer = pump(stream)

    # Then nothing is sent, nothing retried, and staff see why
    assert answer == {"batchItemFailures": []}
    assert outbox() == []
    assert notification(request["id"]) == {
        "status": "failed",
        "detail": "render:ValueError",
        "notice": "confirmed",
    }
    assert ledger(request, 2, "confirmed")["state"] == "failed"  # type: ignore[index]
    assert ledger(request, 1, "received")["state"] == "failed"  # type: ignore[index]


def test_two_deliveries_of_one_batch_at_once_send_each_email_once(stream):
    # Given three approvals on the stream
    emails = [f"client{i}@example.org" for i in range(3)]
    for i, address in enumerate(emails):
        approved_request(hour=9 + i, email=address)
    records = stream.read()
    stream.discard()
    start = threading.Barrier(2)
    answers: list[dict[str, Any]] = []

    def deliver() -> None:
        start.wait()
        answers.append(notify.handler({"Records": records}, LocalContext("notify")))

    # When two invocations deliver the same batch at the same time, then the failed records again
    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = {f["itemIdentifier"] for a in answers for f in a["batchItemFailures"]}
    again = notify.handler(
        {"Records": [r for r in records if r["dynamodb"]["SequenceNumber"] in failed]}, LocalContext("notify")
    )

    # Then every email went out exactly once
    assert again == {"batchItemFailures": []}
    assert [len(to(address)) for address in emails] == [1, 1, 1]
    assert len(to("frontdesk@demo.test")) == 3


def test_a_record_that_keeps_failing_ends_failed_without_holding_up_the_twenty_behind_it(stream):
    # Given 21 approvals, the first of whose confirmation SES keeps refusing with a server error
    slots = [(0, h) for h in (9, 10, 11, 13, 14, 15, 16)] + [(1, h) for h in (9, 10, 11, 13, 14, 15, 16)]
    slots += [(2, h) for h in (9, 10, 11, 13, 14, 15, 16)]
    poison = approved_request(*slots[0], email="poison@example.org")
    good = [f"good{i}@example.org" for i in range(20)]
    for address, (offset, hour) in zip(good, slots[1:], strict=True):
        approved_request(offset, hour, email=address)
    fail_sends("poison@example.org", "InternalFailure")

    # When the stream is delivered once
    first = pump(stream)

    # Then the twenty are sent at once, and only the poison record is retried
    assert [len(to(address)) for address in good] == [1] * 20
    assert len(first["batchItemFailures"]) == 1

    # and after its third attempt it is recorded as not sent, and the stream moves on
    second, third = pump(stream), pump(stream)
    assert len(second["batchItemFailures"]) == 1
    assert third == {"batchItemFailures": []}
    assert stream.pending() == []
    assert to("poison@example.org") == []
    assert notification(poison["id"]) == {
        "status": "failed",
        "detail": "InternalFailure",
        "notice": "confirmed",
    }
    assert [len(to(address)) for address in good] == [1] * 20


def test_staff_send_a_failed_email_again_and_it_arrives_once(stream):
    # Given a confirmation SES refused three times (SES is fine again now)
    request = approved_request()
    left = fail_sends("ada@example.com", "InternalFailure", times=3)
    for _ in range(3):
        pump(stream)
    assert (left, notification(request["id"])["status"]) == ([0], "failed")  # type: ignore[index]

    # When staff press "Send Again" (twice, the second a retry with the same key), and the stream
    # is delivered
    key = {"Idempotency-Key": "send-again-1"}
    path = f"/staff/requests/{request['id']}/resend"
    first = call("POST", path, who=STAFF, headers=key)
    repeat = call("POST", path, who=STAFF, headers=key)
    pump(stream)
    pump(stream)

    # Then it is queued once, and the client gets the confirmation once
    assert (first.status, first.body) == (202, {"notification": {"status": "queued", "notice": "confirmed"}})
    assert (repeat.status, repeat.body) == (first.status, first.body)
    [sent] = to("ada@example.com")
    assert sent["subject"].startswith("Your appointment is confirmed")
    assert notification(request["id"]) == {"status": "sent", "notice": "confirmed"}

    # and an email that was sent cannot be sent again
    refused = call("POST", path, who=STAFF)
    assert (refused.status, refused.code) == (409, "notification_not_failed")
    missing = call("POST", f"/staff/requests/{'0' * 32}-1/resend", who=STAFF)
    assert (missing.status, missing.code) == (404, "request_not_found")


class Context(LocalContext):
    """A Lambda context whose function has `seconds` left."""

    def __init__(self, seconds: int) -> None:
        super().__init__("notify")
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return self.seconds * 1000


def test_a_claim_lasts_the_functions_timeout_and_a_dead_owners_claim_is_never_sent_again(stream):
    # Given a notify function with 90 seconds to run, and the claims it writes
    request = approved_request()
    claims: list[dict[str, Any]] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        if ":until" in params.get("ExpressionAttributeValues", {}):
            claims.append(params["ExpressionAttributeValues"])

    aws.dynamodb().meta.events.register("before-parameter-build.dynamodb.UpdateItem", note)
    records = stream.read()
    stream.discard()

    # When it delivers the records
    notify.handler({"Records": records}, Context(90))

    # Then each claim lasts past the function's timeout: 90 s and a 30 s margin
    assert claims
    assert {int(c[":until"]["N"]) - int(c[":now"]["N"]) for c in claims} == {120}

    # And given a confirmation whose claim an invocation took and then died with
    stored = aws.store().request_of(request["id"], request["appointmentId"])
    assert stored is not None
    key = f"{request['id']}#v2#confirmed#resend1"
    now = datetime.now(UTC)
    assert aws.ledger().claim(key, "dead-owner", now, timedelta(seconds=60)).state == "claimed"
    notice = Notice("confirmed", stored, resend=1)

    # When it is delivered within the lease, then after it
    with pytest.raises(notify.SendInProgress):
        notify.deliver(notice, "next-owner", now + timedelta(seconds=30))
    outcome = notify.deliver(notice, "last-owner", now + timedelta(seconds=61))

    # Then it waits, and then, as the dead owner may have sent it, it is not sent again but
    # recorded for staff
    assert outcome == "failed"
    assert len(to("ada@example.com")) == 1  # the confirmation the handler sent above
    assert aws.ledger().entry(key)["detail"] == "delivery_unknown"  # type: ignore[index]


def test_every_failure_of_a_record_is_logged_once_with_its_change_and_no_personal_data(stream, caplog):
    # Given a confirmation SES refuses once with throttling
    request = approved_request()
    fail_sends("ada@example.com", "TooManyRequestsException", times=1)
    caplog.set_level(logging.INFO)

    # When the stream is delivered
    pump(stream)

    # Then one line says which change failed and why, and nothing personal
    failures = [r for r in caplog.records if r.getMessage() == "record failed"]
    assert len(failures) == 1
    assert failures[0].change == f"{request['id']}#v2#confirmed"
    assert failures[0].error == "TooManyRequestsException"
    for private in ("ada@example.com", "Lovelace", "1990-04-01"):
        assert private not in caplog.text


def test_a_notice_delivered_directly_is_claimed_by_its_own_invocation(stream):
    # Given an approval's notice handed to deliver() directly (as a redrive would)
    request = approved_request()
    stored = aws.store().request_of(request["id"], request["appointmentId"])
    assert stored is not None

    # When it is delivered twice
    results = [notify.deliver(Notice("confirmed", stored)), notify.deliver(Notice("confirmed", stored))]

    # Then it is sent once
    assert results == ["sent", "duplicate"]
    assert len(to("ada@example.com")) == 1

"""Notify: real stream records from changes made through the handlers, read with GetRecords and
handed to the notify handler in the shape Lambda delivers them; emails read back from moto's SES."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

from functions import aws
from functions.api.gateway import LocalContext
from functions.notify import handler as notify
from tests.integration.conftest import (
    CLIENT_A,
    NEW_CLIENT,
    STAFF,
    at,
    call,
    confirmed_appointment,
    new_request,
    next_weekday,
)
from tests.integration.mail import event_of, pump, to


def test_new_request_tells_the_front_desk_without_personal_details(stream):
    day = next_weekday()
    call("POST", "/requests", new_request(at(day, 9), comments="private worries"))

    answer = pump(stream)

    assert answer == {"batchItemFailures": []}
    [sent] = to("frontdesk@demo.test")
    assert sent["subject"] == "New appointment request awaiting review - Demo Counseling"
    assert "https://portal.demo.test/staff" in sent["text"]
    assert "Dr. Ana Rivera" in sent["text"]
    for private in ("1990-04-01", "617", "private worries", "Lovelace", "ada@example.com"):
        assert private not in sent["text"]
    assert to("ada@example.com") == []


def test_approval_emails_the_client_a_calendar_invite(stream):
    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9)))
    call(
        "POST",
        f"/staff/requests/{made.body['request']['id']}/approve",
        {"note": "Parking is at the back"},
        who=STAFF,
    )

    pump(stream)

    [sent] = to("ada@example.com")
    assert sent["subject"] == "Your appointment is confirmed - Demo Counseling"
    assert "Dr. Ana Rivera" not in sent["subject"]
    assert "at 9:00 AM EST" in sent["text"]
    assert "Therapy Intake" in sent["text"]
    assert "Parking is at the back" in sent["text"]
    assert "1990-04-01" not in sent["text"] + sent["html"]
    calendar, event = event_of(sent["ics"])
    assert str(calendar["method"]) == "REQUEST" == sent["method"]
    assert event.decoded("dtstart").isoformat() == at(day, 9)
    assert str(event["uid"]) == f"{made.body['request']['appointmentId']}@client-portal"
    assert int(event["sequence"]) == 0
    assert "BEGIN:VTIMEZONE" in sent["ics"]
    assert "TZID:America/New_York" in sent["ics"]
    decided = call("GET", "/staff/requests", who=STAFF, query={"status": "approved"}).body["requests"][0]
    assert decided["notification"] == {"status": "sent", "notice": "confirmed"}


def test_reschedule_changed_by_staff_and_cancel_keep_one_uid_with_growing_sequence(stream):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    asked = call("POST", f"/me/appointments/{appointment}/reschedule", {"start": at(day, 14)}, who=CLIENT_A)
    call("POST", f"/staff/requests/{asked.body['request']['id']}/approve", {"start": at(day, 15)}, who=STAFF)
    cancel = call("POST", f"/me/appointments/{appointment}/cancel", who=CLIENT_A)
    call("POST", f"/staff/requests/{cancel.body['request']['id']}/approve", who=STAFF)

    pump(stream)

    confirmed, moved, cancelled = to(CLIENT_A["email"])
    assert [m["subject"].split(" - ")[0] for m in (confirmed, moved, cancelled)] == [
        "Your appointment is confirmed",
        "Your appointment has been rescheduled",
        "Your appointment has been cancelled",
    ]
    assert "the practice changed the time" in moved["text"]
    assert "Previous time: " in moved["text"]
    assert "10:00 AM EST" in moved["text"]
    events = [event_of(m["ics"])[1] for m in (confirmed, moved, cancelled)]
    assert len({str(e["uid"]) for e in events}) == 1
    assert [int(e["sequence"]) for e in events] == [0, 1, 2]
    assert events[1].decoded("dtstart").isoformat() == at(day, 15)
    assert cancelled["method"] == "CANCEL"
    assert str(event_of(cancelled["ics"])[0]["method"]) == "CANCEL"
    assert events[2].decoded("dtstart").isoformat() == at(day, 15)


def test_denial_sends_the_client_nothing(stream):
    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9)))
    call("POST", f"/staff/requests/{made.body['request']['id']}/deny", {"note": "full"}, who=STAFF)

    pump(stream)

    assert to("ada@example.com") == []
    assert len(to("frontdesk@demo.test")) == 1


def test_same_record_or_whole_batch_delivered_twice_sends_once(stream):
    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9)))
    call("POST", f"/staff/requests/{made.body['request']['id']}/approve", who=STAFF)
    records = stream.read()
    batch = {"Records": records}

    notify.handler(batch, LocalContext("notify"))
    notify.handler(batch, LocalContext("notify"))
    notify.handler({"Records": [records[-1], records[-1]]}, LocalContext("notify"))

    assert len(to("ada@example.com")) == 1
    assert len(to("frontdesk@demo.test")) == 1


def _fail_sends_to(address: str, code: str, times: int) -> list[int]:
    left = [times]

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if address in params.get("Destination", {}).get("ToAddresses", []) and left[0] > 0:
            left[0] -= 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, "SendEmail")

    aws.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", refuse)
    return left


def test_throttled_record_is_retried_alone_and_nobody_gets_two(stream):
    day = next_weekday()
    first = call("POST", "/requests", new_request(at(day, 9)))
    second = call("POST", "/requests", new_request(at(day, 10), email="grace@example.com"))
    for made in (first, second):
        call("POST", f"/staff/requests/{made.body['request']['id']}/approve", who=STAFF)
    _fail_sends_to("grace@example.com", "TooManyRequestsException", times=1)

    answer = pump(stream)

    assert len(answer["batchItemFailures"]) == 1
    assert len(to("ada@example.com")) == 1
    assert to("grace@example.com") == []

    again = pump(stream)

    assert again == {"batchItemFailures": []}
    assert len(to("grace@example.com")) == 1
    assert len(to("ada@example.com")) == 1
    assert len(to("frontdesk@demo.test")) == 2


def test_rejected_address_is_recorded_and_does_not_block(stream):
    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9)))
    call("POST", f"/staff/requests/{made.body['request']['id']}/approve", who=STAFF)
    _fail_sends_to("ada@example.com", "MessageRejected", times=99)

    answer = pump(stream)

    assert answer == {"batchItemFailures": []}
    assert to("ada@example.com") == []
    decided = call("GET", "/staff/requests", who=STAFF, query={"status": "approved"}).body["requests"][0]
    assert decided["notification"] == {"status": "failed", "detail": "MessageRejected", "notice": "confirmed"}
    assert pump(stream) == {"batchItemFailures": []}


def test_signed_in_request_confirmation_goes_to_the_account_address(stream):
    day = next_weekday()
    made = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, 9)},
        who=CLIENT_A,
    )
    call("POST", f"/staff/requests/{made.body['request']['id']}/approve", who=STAFF)
    call("PATCH", "/staff/settings", {"practice": {"replyToEmail": "hello@example.org"}}, who=STAFF)

    pump(stream)

    [sent] = to(CLIENT_A["email"])
    assert sent["reply_to"] == "hello@example.org"


def test_no_personal_data_in_notify_logs(stream, capsys, caplog):
    caplog.set_level(logging.INFO)
    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9), comments="private worries"))
    call("POST", f"/staff/requests/{made.body['request']['id']}/approve", who=STAFF)
    capsys.readouterr()

    pump(stream)

    logged = capsys.readouterr().out + caplog.text
    assert "email sent" in logged
    for value in (*NEW_CLIENT.values(), "private worries", "+16175550100"):
        assert value not in logged


def test_confirmations_go_to_the_client_records_address_never_the_tokens(stream):
    # Given client A, whose sign-in account now says another address (a changed, unverified email
    # claim in the ID token), and a confirmed appointment
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    redirected = {**CLIENT_A, "email": "mallory@example.net"}

    # When they request an appointment, ask to reschedule the other and staff approve both
    made = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, 14)},
        who=redirected,
    )
    moved = call("POST", f"/me/appointments/{appointment}/reschedule", {"start": at(day, 15)}, who=redirected)
    for asked in (made, moved):
        assert asked.status == 201, asked.body
        call("POST", f"/staff/requests/{asked.body['request']['id']}/approve", who=STAFF)
    pump(stream)

    # Then every confirmation goes to the address staff keep on the client record, and staff see it
    assert to("mallory@example.net") == []
    assert sorted(m["subject"].split(" - ")[0] for m in to(CLIENT_A["email"])) == [
        "Your appointment has been rescheduled",
        "Your appointment is confirmed",
        "Your appointment is confirmed",
    ]
    decided = call("GET", "/staff/requests", who=STAFF, query={"status": "approved"}).body["requests"]
    assert {r["client"]["email"] for r in decided} == {CLIENT_A["email"]}

    # and so does a cancellation's
    asked = call("POST", f"/me/appointments/{appointment}/cancel", who=redirected)
    call("POST", f"/staff/requests/{asked.body['request']['id']}/approve", who=STAFF)
    pump(stream)
    assert to("mallory@example.net") == []
    subjects = [m["subject"].split(" - ")[0] for m in to(CLIENT_A["email"])]
    assert "Your appointment has been cancelled" in subjects


def test_lost_connection_to_ses_is_retried_and_sends_once(stream):
    from botocore.exceptions import EndpointConnectionError

    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9)))
    call("POST", f"/staff/requests/{made.body['request']['id']}/approve", who=STAFF)
    left = [1]

    def drop(params: dict[str, Any], **_: Any) -> None:
        if "ada@example.com" in params.get("Destination", {}).get("ToAddresses", []) and left[0]:
            left[0] -= 1
            raise EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com")

    aws.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", drop)

    assert len(pump(stream)["batchItemFailures"]) == 1
    assert pump(stream) == {"batchItemFailures": []}
    assert len(to("ada@example.com")) == 1


def test_a_refused_transaction_streams_nothing_and_the_stream_goes_on(stream):
    day = next_weekday()
    first = call("POST", "/requests", new_request(at(day, 9)))
    second = call("POST", "/requests", new_request(at(day, 10), email="second.come@example.org"))
    pump(stream)

    # Staff try to move the second onto the first's time: refused, nothing changes.
    clash = call(
        "POST", f"/staff/requests/{second.body['request']['id']}/approve", {"start": at(day, 9)}, who=STAFF
    )
    assert clash.status == 409
    pump(stream)
    assert to("second.come@example.org") == []

    # The stream still delivers what comes after.
    call("POST", f"/staff/requests/{first.body['request']['id']}/approve", who=STAFF)
    pump(stream)
    assert len(to("ada@example.com")) == 1

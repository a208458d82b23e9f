"""(v2) Reminders: the scheduled job run at chosen instants on moto. One email per confirmed
appointment and configured hour, exactly once, never early and at most 15 minutes late; none for
a cancelled appointment, a moved one's old time, or one due before the time was confirmed."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from functions import aws
from functions.jobs import reminders
from functions.scheduling.reminders import LATEST
from tests.integration.conftest import CLIENT_A, CLIENT_B, NY, STAFF, add_client, at, call, next_weekday
from tests.integration.mail import lose_answers, to
from tests.integration.support import table_items

SUBJECT = "Appointment reminder - Demo Counseling"
MINUTE = timedelta(minutes=1)
CAROL = "carol@example.com"


def book(start: str, client: str = "client-a", **extra: Any) -> str:
    body = {"clientId": client, "clinicianId": "c-rivera", "appointmentTypeId": "session", "start": start}
    answer = call("POST", "/staff/appointments", {**body, **extra}, who=STAFF)
    assert answer.status == 201, answer.body
    return str(answer.body["appointment"]["id"])


def remind(now: datetime) -> dict[str, int]:
    return reminders.run(aws.store(), now).outcomes


def reminded(address: str = CLIENT_A["email"]) -> list[dict[str, Any]]:
    return [m for m in to(address) if m["subject"] == SUBJECT]


def hours_before(*hours: int) -> None:
    answer = call("PATCH", "/staff/settings", {"reminders": {"hoursBefore": list(hours)}}, who=STAFF)
    assert answer.status == 200, answer.body


def start_of(day, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(at(day, hour, minute))


def ledger_entries() -> list[dict[str, Any]]:
    return [i for i in table_items() if i["pk"].startswith("SENT#reminder#")]


# ---- when ---------------------------------------------------------------------------------------


def test_a_reminder_is_sent_when_due_never_a_minute_before(stream):
    # Given client A's appointment at 10:00 a week or more away, and the default [24]
    day = next_weekday(1)
    book(at(day, 10))
    due = start_of(day, 10) - timedelta(hours=24)

    # When the job runs a minute before it is due
    assert remind(due - MINUTE) == {}

    # Then nothing is sent; and when it runs at the due time, the reminder is
    assert reminded() == []
    assert remind(due) == {"sent": 1}
    [email] = reminded()
    assert email["to"] == [CLIENT_A["email"]]


def test_the_reminder_names_the_time_the_clinician_and_the_portal_and_nothing_private(stream):
    # Given an appointment whose client, request and note carry personal details
    day = next_weekday(2)
    book(at(day, 14, 30), note="Bring the forms. Call me on 617 555 0100.")
    sent: list[dict[str, Any]] = []
    aws.sesv2().meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: sent.append(params)
    )

    # When its reminder is sent
    remind(start_of(day, 14, 30) - timedelta(hours=24))

    # Then the subject names only the practice; the body gives the local time and the clinician,
    # and links the portal, in the text and in the HTML alternative
    [email] = reminded()
    assert email["subject"] == "Appointment reminder - Demo Counseling"
    [params] = sent
    body = params["Content"]["Simple"]["Body"]
    text, html = body["Text"]["Data"], body["Html"]["Data"]
    local = start_of(day, 14, 30).astimezone(NY)
    for part in (text, html):
        assert f"{local:%A}, {local:%B} {local.day}, {local.year} at 2:30 PM E" in part
        assert "Dr. Ana Rivera" in part
        assert "Hello Ada," in part
    assert "client portal: https://portal.demo.test/" in text
    assert '<a href="https://portal.demo.test/">client portal</a>' in html
    # and no date of birth, phone, note or comments, nor the appointment type
    for private in ("1985", "12-09", "617", "555", "0101", "forms", "Therapy Session", "Session"):
        assert private not in text, private
        assert private not in html, private


def test_a_reminder_is_sent_at_most_fifteen_minutes_late(stream):
    day = next_weekday(3)
    late, later = book(at(day, 9)), book(at(day, 11))
    due_late = start_of(day, 9) - timedelta(hours=24)
    due_later = start_of(day, 11) - timedelta(hours=24)

    # A run 15 minutes after the first is due still sends it
    assert remind(due_late + LATEST) == {"sent": 1}
    # A run 16 minutes after the second is due is too late for it: it is never sent late
    assert remind(due_later + LATEST + MINUTE) == {}
    assert remind(due_later + 2 * LATEST) == {}
    assert len(reminded()) == 1
    assert [e["pk"].split("#")[2] for e in ledger_entries()] == [late]
    assert later not in str(ledger_entries())


def test_every_run_while_due_sends_it_once(stream):
    day = next_weekday(4)
    book(at(day, 10))
    due = start_of(day, 10) - timedelta(hours=24)

    outcomes = [remind(due + timedelta(minutes=m)) for m in (0, 1, 5, 10, 15)]

    assert outcomes[0] == {"sent": 1}
    assert outcomes[1:] == [{"duplicate": 1}] * 4
    assert len(reminded()) == 1
    [entry] = ledger_entries()
    assert entry["state"] == "sent"


def test_two_runs_at_once_send_each_reminder_once(stream):
    # Given three clients' appointments all due at the same time
    day = next_weekday(1, weeks_ahead=2)
    add_client("client-c", None, CAROL, "Carol")
    for client, clinician in (("client-a", "c-rivera"), ("client-b", "c-okafor"), ("client-c", "c-chen")):
        body = {
            "clientId": client,
            "clinicianId": clinician,
            "appointmentTypeId": "session",
            "start": at(day, 10),
        }
        assert call("POST", "/staff/appointments", body, who=STAFF).status == 201
    due = start_of(day, 10) - timedelta(hours=24)

    # When two runs start together (a retried invocation beside the next scheduled one)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def run() -> None:
        barrier.wait()
        results.append(remind(due + MINUTE))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then each client has one reminder, and the runs between them sent three
    assert [len(reminded(a)) for a in (CLIENT_A["email"], CLIENT_B["email"], "carol@example.com")] == [
        1,
        1,
        1,
    ]
    assert sum(r.get("sent", 0) for r in results) == 3
    assert all(set(r) <= {"sent", "busy", "duplicate"} for r in results), results


# ---- which --------------------------------------------------------------------------------------


def test_a_cancelled_appointment_is_not_reminded_and_leaves_the_reminder_index(stream):
    day = next_weekday(2, weeks_ahead=2)
    appointment = book(at(day, 10))
    [stored] = [i for i in table_items() if i["pk"] == f"APPT#{appointment}" and i["sk"] == "APPT"]
    assert stored["gsi4pk"] == "REMIND"

    # When staff cancel it before the reminder is due
    assert call("POST", f"/staff/appointments/{appointment}/cancel", {}, who=STAFF).status == 200

    # Then it is out of the index (in the cancellation's own transaction) and nothing is sent
    [stored] = [i for i in table_items() if i["pk"] == f"APPT#{appointment}" and i["sk"] == "APPT"]
    assert "gsi4pk" not in stored
    assert remind(start_of(day, 10) - timedelta(hours=24)) == {}
    assert reminded() == []


def test_a_client_cancellation_approved_by_staff_stops_the_reminder(stream):
    day = next_weekday(3, weeks_ahead=2)
    appointment = book(at(day, 10))
    asked = call("POST", f"/me/appointments/{appointment}/cancel", {"reason": "Away"}, who=CLIENT_A)
    assert asked.status in (200, 201), asked.body
    # While the client's request awaits review the appointment stands, and is reminded of
    due = start_of(day, 10) - timedelta(hours=24)
    request_id = asked.body["request"]["id"]
    assert call("POST", f"/staff/requests/{request_id}/approve", {}, who=STAFF).status == 200

    assert remind(due) == {}
    assert reminded() == []


def test_an_appointment_whose_cancellation_awaits_review_is_still_reminded(stream):
    day = next_weekday(4, weeks_ahead=2)
    appointment = book(at(day, 10))
    asked = call("POST", f"/me/appointments/{appointment}/cancel", {}, who=CLIENT_A)
    assert asked.status in (200, 201), asked.body

    assert remind(start_of(day, 10) - timedelta(hours=24)) == {"sent": 1}


def test_a_moved_appointment_is_reminded_of_its_new_time_only(stream):
    day = next_weekday(1, weeks_ahead=3)
    appointment = book(at(day, 10))

    # When staff move it to 15:00 the next day
    moved = call(
        "POST",
        f"/staff/appointments/{appointment}/reschedule",
        {"start": at(day + timedelta(days=1), 15)},
        who=STAFF,
    )
    assert moved.status == 200, moved.body

    # Then nothing is sent for the old time, and one reminder for the new
    assert remind(start_of(day, 10) - timedelta(hours=24)) == {}
    new_due = start_of(day + timedelta(days=1), 15) - timedelta(hours=24)
    assert remind(new_due) == {"sent": 1}
    [email] = reminded()
    assert "3:00 PM" in email["text"]


def test_a_reschedule_approved_moves_the_reminder(stream):
    day = next_weekday(2, weeks_ahead=3)
    appointment = book(at(day, 10))
    asked = call("POST", f"/me/appointments/{appointment}/reschedule", {"start": at(day, 16)}, who=CLIENT_A)
    assert asked.status in (200, 201), asked.body
    approved = call("POST", f"/staff/requests/{asked.body['request']['id']}/approve", {}, who=STAFF)
    assert approved.status == 200, approved.body

    assert remind(start_of(day, 10) - timedelta(hours=24)) == {}
    assert remind(start_of(day, 16) - timedelta(hours=24)) == {"sent": 1}


def test_a_pending_or_declined_request_is_never_reminded(stream):
    day = next_weekday(3, weeks_ahead=3)
    body = {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, 10)}
    made = call("POST", "/me/requests", body, who=CLIENT_B)
    assert made.status == 201, made.body
    due = start_of(day, 10) - timedelta(hours=24)
    assert remind(due) == {}
    assert call("POST", f"/staff/requests/{made.body['request']['id']}/deny", {}, who=STAFF).status == 200
    assert remind(due) == {}
    assert reminded(CLIENT_B["email"]) == []


def test_a_booking_made_twelve_hours_ahead_gets_no_24_hour_reminder(stream):
    # Given reminders 24 and 2 hours before, and an appointment booked now for 12 hours ahead
    hours_before(24, 2)
    now = datetime.now(NY)
    start = (now + timedelta(hours=12)).replace(minute=0, second=0, microsecond=0)
    book(start.isoformat())

    # When the job runs at what would have been the 24-hour reminder's time (before the booking)
    assert remind(start - timedelta(hours=24)) == {"confirmed_after_due": 1}
    # Then nothing is sent; the 2-hour reminder is sent when due
    assert remind(start - timedelta(hours=2)) == {"sent": 1}
    assert len(reminded()) == 1


def test_each_configured_hour_is_a_reminder_and_an_empty_list_turns_them_off(stream):
    hours_before(48, 3)
    day = next_weekday(4, weeks_ahead=3)
    book(at(day, 10))
    start = start_of(day, 10)

    assert remind(start - timedelta(hours=48)) == {"sent": 1}
    assert remind(start - timedelta(hours=24)) == {}
    assert remind(start - timedelta(hours=3)) == {"sent": 1}
    assert len(reminded()) == 2

    # A change of the hours applies to reminders not yet sent
    day2 = next_weekday(0, weeks_ahead=4)
    book(at(day2, 10))
    hours_before()
    assert remind(start_of(day2, 10) - timedelta(hours=48)) == {}
    hours_before(1)
    assert remind(start_of(day2, 10) - timedelta(hours=1)) == {"sent": 1}
    assert len(reminded()) == 3


# ---- exactly once when AWS loses answers or SES fails -------------------------------------------


def test_a_lost_answer_to_the_claim_still_sends_one_reminder(stream):
    day = next_weekday(1, weeks_ahead=4)
    book(at(day, 10))
    lose_answers(aws.dynamodb(), "UpdateItem", when=lambda body: "SENT#reminder#" in str(body.get("Key")))

    assert remind(start_of(day, 10) - timedelta(hours=24)) == {"sent": 1}
    assert len(reminded()) == 1


def test_a_lost_answer_from_ses_is_recorded_sent_and_never_sent_again(stream, monkeypatch):
    day = next_weekday(2, weeks_ahead=4)
    book(at(day, 10))
    due = start_of(day, 10) - timedelta(hours=24)
    lose_answers(aws.sesv2(), "SendEmail")

    assert remind(due) == {"sent": 1}
    assert remind(due + 5 * MINUTE) == {"duplicate": 1}
    # SES took it once (the SDK does not retry a send whose answer was lost)
    assert len(reminded()) == 1
    [entry] = ledger_entries()
    assert (entry["state"], entry.get("detail")) == ("sent", "unconfirmed")


def test_ses_throttling_is_retried_by_the_next_run_while_due(stream, monkeypatch):
    day = next_weekday(3, weeks_ahead=4)
    book(at(day, 10))
    due = start_of(day, 10) - timedelta(hours=24)
    real = aws.sesv2().send_email
    refusals = [1]

    def busy_once(**message: Any) -> Any:
        if refusals[0]:
            refusals[0] -= 1
            raise ClientError({"Error": {"Code": "TooManyRequestsException"}}, "SendEmail")
        return real(**message)

    monkeypatch.setattr(aws.sesv2(), "send_email", busy_once)
    assert remind(due) == {"retry": 1}
    assert reminded() == []
    assert remind(due + 5 * MINUTE) == {"sent": 1}
    assert len(reminded()) == 1


def test_an_address_ses_refuses_is_recorded_failed_and_not_tried_again(stream, monkeypatch):
    day = next_weekday(4, weeks_ahead=4)
    book(at(day, 10))
    due = start_of(day, 10) - timedelta(hours=24)

    def refuse(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "MessageRejected"}}, "SendEmail")

    monkeypatch.setattr(aws.sesv2(), "send_email", refuse)
    assert remind(due) == {"failed": 1}
    assert remind(due + MINUTE) == {"duplicate": 1}
    [entry] = ledger_entries()
    assert (entry["state"], entry.get("detail")) == ("failed", "MessageRejected")


def test_a_run_that_died_after_sending_is_never_followed_by_a_second_email(stream, monkeypatch):
    # Given a run that sends a reminder and dies before it can record it
    day = next_weekday(0, weeks_ahead=5)
    book(at(day, 10))
    due = start_of(day, 10) - timedelta(hours=24)
    ledger = aws.ledger()
    real_settle = ledger.settle

    def die(*args: Any, **kwargs: Any) -> None:
        raise ReadTimeoutError(endpoint_url="https://dynamodb")

    monkeypatch.setattr(ledger, "settle", die)
    assert remind(due) == {"error": 1}
    monkeypatch.setattr(ledger, "settle", real_settle)
    assert len(reminded()) == 1

    # When the next runs find its claim: still held (its lease), then orphaned
    assert remind(due + MINUTE) == {"busy": 1}
    assert remind(due + 5 * MINUTE) == {"failed": 1}

    # Then the client has the one email, and the reminder is recorded as of unknown delivery
    assert len(reminded()) == 1
    [entry] = ledger_entries()
    assert (entry["state"], entry.get("detail")) == ("failed", "delivery_unknown")


@pytest.mark.parametrize("hours", [[24], [24, 2]])
def test_a_run_reads_only_the_due_reminders(stream, hours):
    from tests.integration.support import dynamodb_calls

    hours_before(*hours)
    day = next_weekday(1, weeks_ahead=5)
    for hour in (9, 11, 13, 15):
        book(at(day, hour))
    due = start_of(day, 11) - timedelta(hours=24)

    with dynamodb_calls() as calls:
        assert remind(due) == {"sent": 1}

    # Then: the configuration, one Query of the reminder index per hour, one batch read of the
    # due appointment, one of its ledger entry, and its claim and settlement
    assert calls.names == [
        "GetItem",
        *["Query"] * len(hours),
        "BatchGetItem",
        "BatchGetItem",
        "UpdateItem",
        "UpdateItem",
    ]

    # And a run while it is still due finds it sent without claiming it again
    with dynamodb_calls() as calls:
        assert remind(due + 5 * MINUTE) == {"duplicate": 1}
    assert calls.names == ["GetItem", *["Query"] * len(hours), "BatchGetItem", "BatchGetItem"]


# ---- records from before reminders ----------------------------------------------------------------


def test_make_migrate_gives_earlier_confirmed_appointments_their_reminders_once(stream):
    from functions.store import migrate

    # Given a confirmed appointment stored as the version before reminders stored it (no reminder
    # index entry, no confirmedAt), and a cancelled one
    day = next_weekday(2, weeks_ahead=5)
    earlier, gone = book(at(day, 10)), book(at(day, 13))
    call("POST", f"/staff/appointments/{gone}/cancel", {}, who=STAFF)
    for appointment in (earlier, gone):
        aws.dynamodb().update_item(
            TableName=aws.settings().table_name,
            Key={"pk": {"S": f"APPT#{appointment}"}, "sk": {"S": "APPT"}},
            UpdateExpression="REMOVE gsi4pk, gsi4sk, confirmedAt",
        )
    due = start_of(day, 10) - timedelta(hours=24)
    assert remind(due) == {}

    # When the operator runs the migration, twice
    first = migrate.reminder_index(aws.dynamodb(), aws.settings().table_name)
    second = migrate.reminder_index(aws.dynamodb(), aws.settings().table_name)

    # Then the confirmed one is reminded when due, the cancelled one never, and the second run had
    # nothing to do
    assert (first.migrated, second.migrated) == (1, 0)
    assert remind(due) == {"sent": 1}
    assert remind(start_of(day, 13) - timedelta(hours=24)) == {}

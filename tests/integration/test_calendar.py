"""The staff calendar (contract v2): what it shows, and appointments staff book, move and cancel
themselves, with the emails the client gets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from functions import aws
from tests.integration.conftest import (
    CLIENT_A,
    CLIENT_B,
    STAFF,
    at,
    call,
    confirmed_appointment,
    new_request,
    next_weekday,
)
from tests.integration.mail import event_of, pump, to
from tests.integration.support import assert_error, dynamodb_calls, race, stored_claims, table_items


def book(start: str, *, client: str = "client-a", clinician: str = "c-rivera", **extra):
    body = {"clientId": client, "clinicianId": clinician, "appointmentTypeId": "session", "start": start}
    return call("POST", "/staff/appointments", {**body, **extra}, who=STAFF)


def calendar(day, last=None, **query):
    last = last or day
    return call(
        "GET",
        "/staff/appointments",
        who=STAFF,
        query={"from": day.isoformat(), "to": last.isoformat(), **query},
    )


def test_the_calendar_shows_what_holds_time_with_the_clients_name(practice):
    # Given a confirmed appointment, one with a pending reschedule, one with a pending
    # cancellation, a pending new request, a declined one and a cancelled one
    day = next_weekday()
    confirmed = confirmed_appointment(CLIENT_A, day, 9)
    moving = confirmed_appointment(CLIENT_A, day, 10)
    call("POST", f"/me/appointments/{moving}/reschedule", {"start": at(day, 15)}, who=CLIENT_A)
    leaving = confirmed_appointment(CLIENT_B, day, 11)
    call("POST", f"/me/appointments/{leaving}/cancel", {}, who=CLIENT_B)
    pending = call("POST", "/requests", new_request(at(day, 13))).body["request"]
    declined = call("POST", "/requests", new_request(at(day, 14), email="x@example.org")).body["request"]
    call("POST", f"/staff/requests/{declined['id']}/deny", {}, who=STAFF)
    gone = confirmed_appointment(CLIENT_B, day, 16)
    call("POST", f"/staff/appointments/{gone}/cancel", {}, who=STAFF)

    # When staff open the day
    answer = calendar(day)

    # Then they see the four that hold time, by start, with names and states
    assert answer.status == 200, answer.body
    shown = answer.body["appointments"]
    assert [(a["id"], a["status"]) for a in shown] == [
        (confirmed, "confirmed"),
        (moving, "reschedule_requested"),
        (leaving, "cancel_requested"),
        (pending["appointmentId"], "requested"),
    ]
    assert shown[0]["client"] == {"firstName": "Ada", "lastName": "Hopper", "clientId": "client-a"}
    assert shown[3]["client"] == {"firstName": "Ada", "lastName": "Lovelace"}
    assert shown[1]["requestedStart"] == at(day, 15)
    assert shown[1]["pendingRequestId"]
    assert "pendingRequestId" not in shown[0]
    assert {a["madeBy"] for a in shown} == {"portal"}
    assert shown[0]["start"] == at(day, 9)
    assert shown[0]["clinicianName"] == "Dr. Ana Rivera"
    # and nothing a calendar block does not need
    for a in shown:
        assert set(a["client"]) <= {"firstName", "lastName", "clientId"}


def test_the_calendar_filters_by_clinician_and_range(practice):
    day = next_weekday()
    rivera = confirmed_appointment(CLIENT_A, day, 9)
    okafor = book(at(day, 10), clinician="c-okafor").body["appointment"]["id"]
    later = book(at(day + timedelta(days=1), 9)).body["appointment"]["id"]

    assert [a["id"] for a in calendar(day, clinicianId="c-okafor").body["appointments"]] == [okafor]
    assert [a["id"] for a in calendar(day).body["appointments"]] == [rivera, okafor]
    week = calendar(day, day + timedelta(days=6)).body["appointments"]
    assert [a["id"] for a in week] == [rivera, okafor, later]
    assert calendar(day + timedelta(days=2)).body["appointments"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2030-01-01", "to": "2030-02-01"}, "to"),  # 32 days
        ({"from": "2030-01-05", "to": "2030-01-04"}, "to"),
        ({"from": "2030-02-30", "to": "2030-03-01"}, "from"),
    ],
)
def test_a_bad_range_is_refused(practice, query, field):
    answer = call("GET", "/staff/appointments", who=STAFF, query=query)
    assert_error(answer, 422, field=field)


def test_only_staff_see_the_calendar(practice):
    day = next_weekday()
    confirmed_appointment(CLIENT_A, day, 9)
    query = {"from": day.isoformat(), "to": day.isoformat()}
    assert_error(call("GET", "/staff/appointments", who=CLIENT_A, query=query), 403, "forbidden")
    assert_error(call("GET", "/staff/appointments", query=query), 401)


# ---- booking ------------------------------------------------------------------------------------


def test_staff_book_a_confirmed_appointment_and_the_client_is_emailed_an_invite(stream):
    # Given a Sunday early morning: outside every clinician's hours and the portal's offer
    day = next_weekday(6)

    # When staff book client A there
    answer = book(at(day, 7, 45), note="As agreed on the phone.")

    # Then it is confirmed at once, in the calendar as staff-made, and in the client's portal
    assert answer.status == 201, answer.body
    made = answer.body["appointment"]
    assert made["status"] == "confirmed"
    assert made["start"] == at(day, 7, 45)
    assert made["end"] == at(day, 8, 35)
    [shown] = calendar(day).body["appointments"]
    assert shown["madeBy"] == "staff"
    mine = call("GET", "/me/appointments", who=CLIENT_A).body
    assert [a["id"] for a in mine["appointments"]] == [made["id"]]
    assert mine["next"]["id"] == made["id"]
    assert call("GET", "/me/appointments", who=CLIENT_B).body == {"next": None, "appointments": []}
    # and it is not a request anyone reviews
    assert call("GET", "/staff/requests", who=STAFF, query={"status": "approved"}).body["requests"] == []
    assert call("GET", "/staff/requests", who=STAFF).body["requests"] == []

    # And the client gets a confirmation with an invite; the practice gets no "awaiting review"
    pump(stream)
    [sent] = to(CLIENT_A["email"])
    assert sent["subject"] == "Your appointment is confirmed - Demo Counseling"
    assert "Demo Counseling has booked an appointment for you." in sent["text"]
    assert "As agreed on the phone." in sent["text"]
    assert sent["method"] == "REQUEST"
    _, event = event_of(sent["ics"])
    assert event.decoded("dtstart").isoformat() == at(day, 7, 45)
    assert int(event["sequence"]) == 0
    assert to("frontdesk@demo.test") == []


@pytest.mark.parametrize(
    ("start", "code"),
    [
        ("T10:05", "not_on_quarter_hour"),
        ("T10:00:30", "not_on_quarter_hour"),
        ("past", "start_in_past"),
    ],
)
def test_a_start_off_the_quarter_hour_or_past_is_refused(practice, start, code):
    day = next_weekday()
    when = {
        "T10:05": at(day, 10, 5),
        "T10:00:30": (datetime.fromisoformat(at(day, 10)) + timedelta(seconds=30)).isoformat(),
        "past": at(day - timedelta(days=21), 10),
    }[start]
    before = table_items()

    answer = book(when)

    assert_error(answer, 422, code, "start")
    assert table_items() == before


def test_booking_over_another_hold_is_refused(practice):
    # Given a pending request 10:00-11:00 (an intake) with Dr. Rivera
    day = next_weekday()
    call("POST", "/requests", new_request(at(day, 10)))
    before = table_items()

    # When staff book 10:45 (overlapping its last quarter) / 11:00 (just after)
    overlapping = book(at(day, 10, 45))
    after = book(at(day, 11))

    assert_error(overlapping, 409, "slot_unavailable")
    assert after.status == 201, after.body
    assert len(table_items()) > len(before)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"client": "nobody"}, 404, "client_not_found"),
        ({"clinician": "c-nobody"}, 404, "clinician_not_found"),
        ({"appointmentTypeId": "nothing"}, 422, "unknown_appointment_type"),
    ],
)
def test_unknown_client_clinician_or_type(practice, change, status, code):
    day = next_weekday()
    before = table_items()
    body = {"clientId": "client-a", "clinicianId": "c-rivera", "appointmentTypeId": "session"}
    body["clientId"] = change.get("client", body["clientId"])
    body["clinicianId"] = change.get("clinician", body["clinicianId"])
    body["appointmentTypeId"] = change.get("appointmentTypeId", body["appointmentTypeId"])

    answer = call("POST", "/staff/appointments", {**body, "start": at(day, 9)}, who=STAFF)

    assert_error(answer, status, code)
    assert table_items() == before


def test_staff_booking_and_a_client_request_for_the_same_time_one_wins(practice):
    day = next_weekday()
    answers = race(
        [
            lambda: book(at(day, 10), client="client-b"),
            lambda: call(
                "POST",
                "/me/requests",
                {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, 10)},
                who=CLIENT_A,
            ),
        ]
    )

    assert sorted(a.status for a in answers) == [201, 409], [a.body for a in answers]
    assert {a.code for a in answers if a.status == 409} == {"slot_unavailable"}
    [shown] = calendar(day).body["appointments"]
    assert shown["status"] == ("confirmed" if answers[0].status == 201 else "requested")
    assert len(stored_claims()) == 4  # 50 minutes: four quarter-hour cells, held once


def test_a_retried_booking_with_its_key_is_one_appointment(practice):
    day = next_weekday()
    key = {"Idempotency-Key": "book-1"}
    body = {
        "clientId": "client-a",
        "clinicianId": "c-rivera",
        "appointmentTypeId": "session",
        "start": at(day, 9),
    }

    first = call("POST", "/staff/appointments", body, who=STAFF, headers=key)
    again = call("POST", "/staff/appointments", body, who=STAFF, headers=key)

    assert first.status == again.status == 201
    assert first.body == again.body
    assert len(calendar(day).body["appointments"]) == 1


# ---- moving and cancelling ----------------------------------------------------------------------


def test_staff_move_an_appointment_and_the_client_gets_the_updated_invite(stream):
    # Given client A's confirmed appointment at 10:00
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)

    # When staff move it to 15:00 with Sam Okafor
    moved = call(
        "POST",
        f"/staff/appointments/{appointment}/reschedule",
        {"start": at(day, 15), "clinicianId": "c-okafor", "note": "Dr. Rivera is ill."},
        who=STAFF,
    )

    # Then it is there at once, and the old time is free for anyone
    assert moved.status == 200, moved.body
    assert moved.body["appointment"]["start"] == at(day, 15)
    assert moved.body["appointment"]["clinicianId"] == "c-okafor"
    assert moved.body["appointment"]["status"] == "confirmed"
    [shown] = calendar(day).body["appointments"]
    assert (shown["start"], shown["clinicianId"]) == (at(day, 15), "c-okafor")
    assert book(at(day, 10), client="client-b").status == 201
    # And the client is emailed the new time: same UID, higher SEQUENCE
    pump(stream)
    confirmed, rescheduled = to(CLIENT_A["email"])
    assert rescheduled["subject"] == "Your appointment has been rescheduled - Demo Counseling"
    assert "Demo Counseling has moved your appointment to a new time." in rescheduled["text"]
    assert "Dr. Rivera is ill." in rescheduled["text"]
    assert "Previous time: " in rescheduled["text"]
    first, second = (event_of(m["ics"])[1] for m in (confirmed, rescheduled))
    assert str(first["uid"]) == str(second["uid"])
    assert int(second["sequence"]) == int(first["sequence"]) + 1
    assert second.decoded("dtstart").isoformat() == at(day, 15)


def test_a_move_by_less_than_its_length_works(practice):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    moved = call(
        "POST", f"/staff/appointments/{appointment}/reschedule", {"start": at(day, 10, 15)}, who=STAFF
    )
    assert moved.status == 200, moved.body
    assert len(stored_claims()) == 4


def test_staff_cancel_an_appointment_frees_its_time_and_sends_a_cancelling_invite(stream):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)

    cancelled = call(
        "POST", f"/staff/appointments/{appointment}/cancel", {"note": "We will call you."}, who=STAFF
    )

    assert cancelled.status == 200, cancelled.body
    assert cancelled.body["appointment"]["status"] == "cancelled"
    assert calendar(day).body["appointments"] == []
    assert stored_claims() == []
    mine = call("GET", "/me/appointments", who=CLIENT_A).body["appointments"]
    assert [a["status"] for a in mine] == ["cancelled"]
    pump(stream)
    confirmed, gone = to(CLIENT_A["email"])
    assert gone["subject"] == "Your appointment has been cancelled - Demo Counseling"
    assert "as you asked" not in gone["text"]
    assert "Please contact the practice if you would like another time." in gone["text"]
    assert gone["method"] == "CANCEL"
    assert int(event_of(gone["ics"])[1]["sequence"]) == int(event_of(confirmed["ics"])[1]["sequence"]) + 1


@pytest.mark.parametrize("action", ["reschedule", "cancel"])
def test_refused_while_the_clients_own_request_awaits_review(practice, action):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    call("POST", f"/me/appointments/{appointment}/cancel", {}, who=CLIENT_A)
    before = table_items()

    answer = call(
        "POST",
        f"/staff/appointments/{appointment}/{action}",
        {"start": at(day, 15)} if action == "reschedule" else {},
        who=STAFF,
    )

    assert_error(answer, 409, "change_pending")
    assert table_items() == before


@pytest.mark.parametrize("action", ["reschedule", "cancel"])
def test_refused_for_what_is_not_confirmed(practice, action):
    day = next_weekday()
    pending = call("POST", "/requests", new_request(at(day, 10))).body["request"]["appointmentId"]
    body = {"start": at(day, 15)} if action == "reschedule" else {}

    answer = call("POST", f"/staff/appointments/{pending}/{action}", body, who=STAFF)
    unknown = call("POST", f"/staff/appointments/nothing-here/{action}", body, who=STAFF)

    assert_error(answer, 409, "not_confirmed")
    assert_error(unknown, 404, "appointment_not_found")


def test_moving_onto_another_hold_is_refused_and_changes_nothing(practice):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    confirmed_appointment(CLIENT_B, day, 14)
    before = table_items()

    onto = call(
        "POST", f"/staff/appointments/{appointment}/reschedule", {"start": at(day, 14, 30)}, who=STAFF
    )
    off_grid = call(
        "POST", f"/staff/appointments/{appointment}/reschedule", {"start": at(day, 15, 10)}, who=STAFF
    )

    assert_error(onto, 409, "slot_unavailable")
    assert_error(off_grid, 422, "not_on_quarter_hour", "start")
    assert table_items() == before


def test_a_cancelled_appointment_cannot_be_moved_or_cancelled_again(practice):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    call("POST", f"/staff/appointments/{appointment}/cancel", {}, who=STAFF)

    again = call("POST", f"/staff/appointments/{appointment}/cancel", {}, who=STAFF)
    moved = call("POST", f"/staff/appointments/{appointment}/reschedule", {"start": at(day, 15)}, who=STAFF)

    assert_error(again, 409, "not_confirmed")
    assert_error(moved, 409, "not_confirmed")


def test_a_client_can_ask_to_change_what_staff_booked(practice):
    day = next_weekday()
    made = book(at(day, 10)).body["appointment"]["id"]

    asked = call("POST", f"/me/appointments/{made}/reschedule", {"start": at(day, 15)}, who=CLIENT_A)

    assert asked.status == 201, asked.body
    [shown] = calendar(day).body["appointments"]
    assert shown["status"] == "reschedule_requested"


# ---- cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stored", [1_000, 100_000])
def test_the_calendar_costs_two_calls_whatever_is_stored(practice, stored, monkeypatch):
    # Given a practice with `stored` appointments, most of them in past years, written as the
    # benchmark writes them; moto's index Query walks and sorts the whole table on every call
    # (36 s at 100,000), so the benchmark's replacement answers it: the same items, in the same
    # order, paged as DynamoDB pages them (bench/motopatch.py, checked against moto's own below)
    from moto.dynamodb.models.table import Table

    from bench import motopatch
    from bench.practice import Seeder

    monkeypatch.setitem(motopatch._original, "query", Table.query)
    monkeypatch.setattr(Table, "query", motopatch._query)
    seeder = Seeder(aws.store().config(), seed=7)
    seeder.seed(aws.settings().table_name, min(stored, 1_000))
    if stored > 1_000:
        seeder.seed(aws.settings().table_name, stored - 1_000, past=True)
    first = next_weekday(0)

    # When staff open a 31-day month
    with dynamodb_calls() as calls:
        answer = calendar(first, first + timedelta(days=30))

    # Then two calls, no Scan, and the month's appointments
    assert answer.status == 200
    assert calls.names == ["GetItem", "Query"]
    assert len(answer.body["appointments"]) > 50, "the seeded practice has appointments in the range"
    if stored == 1_000:
        monkeypatch.setattr(Table, "query", motopatch._original["query"])
        assert calendar(first, first + timedelta(days=30)).body == answer.body


# ---- records from before the calendar ------------------------------------------------------------


def test_make_migrate_puts_earlier_appointments_in_the_calendar_once(practice):
    # Given two appointments stored as the version before the calendar stored them (no calendar
    # index entry, no projected name), and a cancelled one
    from functions.store import migrate

    day = next_weekday()
    earlier = [confirmed_appointment(CLIENT_A, day, 9), confirmed_appointment(CLIENT_B, day, 11)]
    gone = confirmed_appointment(CLIENT_A, day, 14)
    call("POST", f"/staff/appointments/{gone}/cancel", {}, who=STAFF)
    for appointment in earlier:
        aws.dynamodb().update_item(
            TableName=aws.settings().table_name,
            Key={"pk": {"S": f"APPT#{appointment}"}, "sk": {"S": "APPT"}},
            UpdateExpression="REMOVE gsi3pk, gsi3sk, clientName",
        )
    assert calendar(day).body["appointments"] == []

    # When the operator runs the migration, twice
    first = migrate.calendar_index(aws.dynamodb(), aws.settings().table_name)
    second = migrate.calendar_index(aws.dynamodb(), aws.settings().table_name)

    # Then both appear, with their clients' names, and the second run has nothing to do
    assert (first.migrated, second.migrated) == (2, 0)
    shown = calendar(day).body["appointments"]
    assert [a["id"] for a in shown] == earlier
    assert [a["client"]["firstName"] for a in shown] == ["Ada", "Grace"]

"""(v2) The waitlist on moto: joining (every rule and refusal of the contract), staff's list and
removal, the emails about freed times (which entries, exactly once, at most 3 a day), the page
behind the link, the ordinary request it leads to, and the scheduled job that drops past entries."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from functions import aws
from functions.api.gateway import LocalContext
from functions.jobs import offers as offer_job
from functions.jobs import waitlist as expiry
from functions.jobs.outcomes import Incomplete
from functions.local.stream import StreamReader
from functions.store.waitlist import Freed, WaitlistStore
from functions.waitlist import handler as waitlist_function
from functions.waitlist import mapping
from tests.integration.conftest import (
    CLIENT_A,
    CLIENT_B,
    NEW_CLIENT,
    NY,
    STAFF,
    UNLINKED,
    at,
    call,
    new_request,
    next_weekday,
)
from tests.integration.mail import lose_answers, outbox, to
from tests.integration.mail import pump as notify_pump
from tests.integration.support import assert_error, call_in_container, race, table_items

SUBJECT = "A time has opened up - Demo Counseling"
LINK = re.compile(r"https://portal\.demo\.test/#waitlist/([A-Za-z0-9_-]+)")
TODAY = datetime.now(NY).date()


def person(n: int) -> dict[str, str]:
    return {
        "firstName": "Wanda",
        "lastName": f"Waiter{'abcdefghij'[n % 10]}",
        "dateOfBirth": "1991-02-03",
        "email": f"wanda{n}@example.org",
        "mobilePhone": f"+1 617 555 03{n % 100:02d}",
    }


def entry_body(**overrides: Any) -> dict[str, Any]:
    return {
        "clientType": "existing",
        "appointmentTypeId": "session",
        "from": TODAY.isoformat(),
        "to": (TODAY + timedelta(days=30)).isoformat(),
        **person(0),
        **overrides,
    }


def join(**overrides: Any) -> str:
    answer = call("POST", "/waitlist", entry_body(**overrides))
    assert answer.status == 201, answer.body
    return str(answer.body["entry"]["id"])


def settings(**scheduling: Any) -> None:
    answer = call("PATCH", "/staff/settings", {"scheduling": scheduling}, who=STAFF)
    assert answer.status == 200, answer.body


def staff_list() -> list[dict[str, Any]]:
    answer = call("GET", "/staff/waitlist", who=STAFF)
    assert answer.status == 200, answer.body
    return list(answer.body["entries"])


def stored_entries() -> list[dict[str, Any]]:
    return [i for i in table_items() if i["sk"] == "WAIT"]


def tally_of(email: str) -> int | None:
    from functions.store import keys

    pk = keys.tally(f"waitlist:email:{email.casefold()}")["pk"]["S"]
    found = [i for i in table_items() if i["pk"] == pk]
    return int(found[0]["waiting"]) if found else None


@pytest.fixture
def waitlist(practice: str) -> None:
    """The demo practice with the waitlist turned on."""
    settings(waitlist=True)


@pytest.fixture
def freed(stream: StreamReader, waitlist: None) -> StreamReader:
    """The table's stream as the waitlist function's event source mapping reads it (its own
    filter and positions), from after what the set-up wrote; SES ready (the `stream` fixture)."""
    reader = StreamReader.of_table(
        aws.dynamodb(), boto3.client("dynamodbstreams"), aws.settings().table_name, wanted=mapping.wanted
    )
    reader.read()
    reader.discard()
    return reader


def pump(reader: StreamReader) -> list[dict[str, Any]]:
    """One delivery per shard of what is new or still failing; the answers."""
    answers = []
    for delivery in reader.deliver(waitlist_function.handler, lambda: LocalContext("waitlistnotify")):
        assert delivery.error is None, delivery.error
        answers.append(delivery.answer or {})
    return answers


def told(address: str) -> list[dict[str, Any]]:
    return [m for m in to(address) if m["subject"] == SUBJECT]


def token_of(message: dict[str, Any]) -> str:
    found = LINK.search(message["text"])
    assert found, message["text"]
    return found.group(1)


def cancel(appointment: str) -> None:
    answer = call("POST", f"/staff/appointments/{appointment}/cancel", {}, who=STAFF)
    assert answer.status == 200, answer.body


def book(day: date, hour: int, clinician: str = "c-rivera", client: str = "client-a") -> str:
    body = {
        "clientId": client,
        "clinicianId": clinician,
        "appointmentTypeId": "session",
        "start": at(day, hour),
    }
    answer = call("POST", "/staff/appointments", body, who=STAFF)
    assert answer.status == 201, answer.body
    return str(answer.body["appointment"]["id"])


# ---- joining ------------------------------------------------------------------------------------


def test_joining_answers_the_entry_without_personal_data_and_staff_see_it_with_the_client(waitlist):
    # Given a practice with the waitlist on
    # When someone joins it for sessions with Dr. Rivera over the next 30 days
    body = entry_body(clinicianId="c-rivera", comments="mornings if possible")
    answer = call("POST", "/waitlist", body)

    # Then the entry is answered as the contract gives it, without personal data
    assert answer.status == 201, answer.body
    entry = answer.body["entry"]
    assert set(entry) == {
        "id",
        "status",
        "clientType",
        "appointmentTypeId",
        "clinicianId",
        "from",
        "to",
        "createdAt",
    }
    assert entry["status"] == "waiting"
    assert (entry["from"], entry["to"], entry["clinicianId"]) == (body["from"], body["to"], "c-rivera")
    assert datetime.fromisoformat(entry["createdAt"]).utcoffset() is not None
    # and staff see it with the client's details and no email yet
    [listed] = staff_list()
    assert listed["id"] == entry["id"]
    assert listed["client"] == {
        "firstName": "Wanda",
        "lastName": "Waitera",
        "dateOfBirth": "1991-02-03",
        "email": "wanda0@example.org",
        "mobilePhone": "+16175550300",
    }
    assert (listed["notified"], listed["comments"]) == (0, "mornings if possible")


def test_a_clinician_may_be_left_out(waitlist):
    answer = call("POST", "/waitlist", entry_body())
    assert answer.status == 201, answer.body
    assert "clinicianId" not in answer.body["entry"]


def test_the_waitlist_turned_off_is_a_403_whatever_the_body(practice):
    # Given the waitlist off (the contract's default)
    # When someone joins, with a good body or a bad one / Then 403 waitlist_disabled, nothing written
    before = table_items()
    assert_error(call("POST", "/waitlist", entry_body()), 403, "waitlist_disabled")
    assert_error(call("POST", "/waitlist", {"from": "soon", "colour": "red"}), 403, "waitlist_disabled")
    assert_error(
        call("POST", "/me/waitlist", {"appointmentTypeId": "session"}, who=CLIENT_A), 403, "waitlist_disabled"
    )
    assert table_items() == before


def test_scheduling_turned_off_is_a_403(waitlist):
    settings(enabled=False)
    assert_error(call("POST", "/waitlist", entry_body()), 403, "scheduling_disabled")
    assert_error(call("POST", "/me/waitlist", {"bad": 1}, who=CLIENT_A), 403, "scheduling_disabled")


def test_without_anonymous_requests_only_signed_in_clients_may_join(waitlist):
    # Given a practice that takes requests only from signed-in clients (the link leads to one)
    settings(anonymousRequests=False)

    # When someone joins without signing in, and a signed-in client does
    anonymous = call("POST", "/waitlist", entry_body())
    signed_in = call(
        "POST",
        "/me/waitlist",
        {"appointmentTypeId": "session", "from": TODAY.isoformat(), "to": TODAY.isoformat()},
        who=CLIENT_A,
    )

    # Then only the signed-in client is on the waitlist
    assert_error(anonymous, 403, "anonymous_requests_disabled")
    assert signed_in.status == 201, signed_in.body


BAD_FIELDS = [
    ("firstName", {"firstName": "R2D2"}),
    ("lastName", {"lastName": ""}),
    ("dateOfBirth", {"dateOfBirth": "2999-01-01"}),
    ("email", {"email": "not-an-address"}),
    ("mobilePhone", {"mobilePhone": "12"}),
    ("comments", {"comments": "x" * 1001}),
    ("from", {"from": (TODAY - timedelta(days=1)).isoformat()}),
    ("to", {"to": (TODAY + timedelta(days=61)).isoformat()}),
    ("to", {"from": (TODAY + timedelta(days=5)).isoformat(), "to": (TODAY + timedelta(days=4)).isoformat()}),
    ("from", {"from": "2026-02-30"}),
    ("clientType", {"clientType": "returning"}),
    ("appointmentTypeId", {"appointmentTypeId": "massage"}),
    ("appointmentTypeId", {"clientType": "new"}),  # a session is for existing clients
    ("appointmentTypeId", {"clinicianId": "c-chen", "clientType": "new", "appointmentTypeId": "intake"}),
    ("clinicianId", {"clinicianId": "c-nobody"}),
    ("colour", {"colour": "blue"}),
]


@pytest.mark.parametrize(
    ("field", "change"), BAD_FIELDS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_FIELDS)]
)
def test_each_broken_field_rule_is_a_422_naming_the_field_and_changes_nothing(waitlist, field, change):
    before = table_items()
    answer = call("POST", "/waitlist", entry_body(**change))
    assert_error(answer, 422, field=field)
    assert table_items() == before
    # and the error never echoes what was sent
    assert "R2D2" not in str(answer.body)
    assert "not-an-address" not in str(answer.body)


def test_the_range_may_span_sixty_days_from_today(waitlist):
    answer = call("POST", "/waitlist", entry_body(to=(TODAY + timedelta(days=60)).isoformat()))
    assert answer.status == 201, answer.body


def test_personal_fields_are_refused_from_a_signed_in_client(waitlist):
    body = {
        "appointmentTypeId": "session",
        "from": TODAY.isoformat(),
        "to": TODAY.isoformat(),
        "email": "x@y.org",
    }
    assert_error(call("POST", "/me/waitlist", body, who=CLIENT_A), 422, field="email")


def test_a_signed_in_client_joins_as_the_client_record_says(waitlist):
    # When client A joins for an intake (the type decides the client type)
    answer = call(
        "POST",
        "/me/waitlist",
        {"appointmentTypeId": "intake", "from": TODAY.isoformat(), "to": TODAY.isoformat()},
        who=CLIENT_A,
    )

    # Then staff see the client record's details, with its id
    assert answer.status == 201, answer.body
    assert answer.body["entry"]["clientType"] == "new"
    [listed] = staff_list()
    assert listed["client"]["clientId"] == "client-a"
    assert listed["client"]["email"] == CLIENT_A["email"]


def test_a_signed_in_client_may_send_the_client_type_the_type_has(waitlist):
    # The contract's body is POST /waitlist's without the personal fields, so clientType may come
    body = {"appointmentTypeId": "session", "from": TODAY.isoformat(), "to": TODAY.isoformat()}
    answer = call("POST", "/me/waitlist", {**body, "clientType": "existing"}, who=CLIENT_A)
    assert answer.status == 201, answer.body
    assert answer.body["entry"]["clientType"] == "existing"


def test_a_client_type_that_disagrees_with_the_type_is_a_422_and_changes_nothing(waitlist):
    before = table_items()
    body = {"appointmentTypeId": "session", "from": TODAY.isoformat(), "to": TODAY.isoformat()}
    answer = call("POST", "/me/waitlist", {**body, "clientType": "new"}, who=CLIENT_A)
    assert_error(answer, 422, field="appointmentTypeId")
    assert_error(
        call("POST", "/me/waitlist", {**body, "clientType": "returning"}, who=CLIENT_A),
        422,
        field="clientType",
    )
    assert table_items() == before


@pytest.mark.parametrize("who", [STAFF, UNLINKED], ids=["staff", "unlinked"])
def test_an_account_that_is_not_a_client_cannot_join_as_one(waitlist, who):
    body = {"appointmentTypeId": "session", "from": TODAY.isoformat(), "to": TODAY.isoformat()}
    assert_error(call("POST", "/me/waitlist", body, who=who), 403, "not_a_client")


def test_an_email_address_may_have_three_waiting_entries(waitlist):
    # Given three entries for one address (its case does not make it another address)
    for n in range(3):
        join(
            to=(TODAY + timedelta(days=10 + n)).isoformat(),
            email="Wanda0@Example.org" if n else "wanda0@example.org",
        )
    before = table_items()

    # When a fourth is asked for, with another phone number, and signed in with that address
    fourth = call("POST", "/waitlist", entry_body(mobilePhone="+1 617 555 0399"))

    # Then it is refused and nothing is written
    assert_error(fourth, 409, "waitlist_full")
    assert table_items() == before
    assert tally_of("wanda0@example.org") == 3
    # and another address is not limited by it
    join(**person(1))

    # and once staff remove one of the three, the address may join again
    first = staff_list()[0]["id"]
    assert call("DELETE", f"/staff/waitlist/{first}", who=STAFF).status == 204
    assert tally_of("wanda0@example.org") == 2
    join()


def test_a_signed_in_client_counts_against_the_address_of_the_client_record(waitlist):
    body = {"appointmentTypeId": "session", "from": TODAY.isoformat(), "to": TODAY.isoformat()}
    for _ in range(3):
        assert call("POST", "/me/waitlist", body, who=CLIENT_A).status == 201
    assert_error(call("POST", "/me/waitlist", body, who=CLIENT_A), 409, "waitlist_full")
    assert_error(call("POST", "/waitlist", entry_body(email=CLIENT_A["email"])), 409, "waitlist_full")


# ---- idempotency and lost answers ------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_answer_the_first_entry_again(waitlist):
    key = {"Idempotency-Key": "join-once"}
    first = call("POST", "/waitlist", entry_body(), headers=key)
    again = call("POST", "/waitlist", entry_body(), headers=key)
    other = call("POST", "/waitlist", entry_body(comments="changed"), headers=key)

    assert first.status == again.status == 201
    assert again.body == first.body
    assert_error(other, 409, "idempotency_key_reused")
    assert len(stored_entries()) == 1
    assert tally_of("wanda0@example.org") == 1


@pytest.mark.parametrize("with_key", [False, True], ids=["no key", "Idempotency-Key"])
def test_a_join_whose_answer_was_lost_is_reported_as_done_and_written_once(waitlist, with_key):
    # Given DynamoDB losing the answer of the next transaction after carrying it out
    attempts = lose_answers(aws.dynamodb(), "TransactWriteItems")
    headers = {"Idempotency-Key": "lost-join"} if with_key else {}

    # When someone joins (the SDK retries the transaction)
    answer = call("POST", "/waitlist", entry_body(), headers=headers)

    # Then they are told the truth, and the entry and its tally are written once
    assert answer.status == 201, answer.body
    assert len(attempts) == 2
    assert [e["id"] for e in stored_entries()] == [answer.body["entry"]["id"]]
    assert tally_of("wanda0@example.org") == 1
    if with_key:
        assert call("POST", "/waitlist", entry_body(), headers=headers).body == answer.body


def test_a_removal_whose_answer_was_lost_is_a_204_and_gives_the_tally_back_once(waitlist):
    entry = join()
    lose_answers(aws.dynamodb(), "TransactWriteItems")
    assert call("DELETE", f"/staff/waitlist/{entry}", who=STAFF).status == 204
    assert tally_of("wanda0@example.org") == 0
    assert staff_list() == []


# ---- staff ----------------------------------------------------------------------------------------


def test_staff_see_the_waitlist_oldest_first_and_remove_entries(waitlist):
    ids = [join(**person(n)) for n in range(3)]

    assert [e["id"] for e in staff_list()] == ids
    assert call("DELETE", f"/staff/waitlist/{ids[1]}", who=STAFF).status == 204
    assert [e["id"] for e in staff_list()] == [ids[0], ids[2]]
    # removing it again changes nothing; an entry that never was is a 404
    assert call("DELETE", f"/staff/waitlist/{ids[1]}", who=STAFF).status == 204
    assert_error(call("DELETE", "/staff/waitlist/nothing-here", who=STAFF), 404, "entry_not_found")
    # and a removed entry keeps no personal data
    [removed] = [e for e in stored_entries() if e["id"] == ids[1]]
    assert removed["status"] == "removed"
    assert "client" not in removed
    assert "Waiterb" not in str(removed)


def test_only_staff_see_or_change_the_waitlist(waitlist):
    entry = join()
    for who in (None, CLIENT_A):
        assert call("GET", "/staff/waitlist", who=who).status in (401, 403)
        assert call("DELETE", f"/staff/waitlist/{entry}", who=who).status in (401, 403)
    assert len(staff_list()) == 1


# ---- a freed time ---------------------------------------------------------------------------------


def test_a_cancelled_appointment_emails_the_oldest_three_fitting_entries_a_link(freed):
    # Given client A's session on a Tuesday at 10:00 with Dr. Rivera, and five waiting entries for
    # sessions, the oldest first
    day = next_weekday(1)
    appointment = book(day, 10)
    entries = [join(**person(n)) for n in range(5)]
    pump(freed)

    # When staff cancel it
    cancel(appointment)
    pump(freed)

    # Then the three oldest entries are emailed the time with a link, the others not
    assert [len(told(person(n)["email"])) for n in range(5)] == [1, 1, 1, 0, 0]
    message = told(person(0)["email"])[0]
    assert "Hello Wanda" in message["text"]
    assert "Tuesday" in message["text"]
    assert "10:00 AM" in message["text"]
    assert "Dr. Ana Rivera" in message["text"]
    # and no date of birth, phone or comments
    for private in ("1991-02-03", "555", "Therapy Session"):
        assert private not in message["text"]
        assert private not in message["html"]
    # and staff see who was told
    assert [e["notified"] for e in staff_list()] == [1, 1, 1, 0, 0]
    assert [e["id"] for e in staff_list()] == entries

    # When the first follows the link
    token = token_of(message)
    page = call("GET", f"/waitlist/{token}")

    # Then the page shows the time, and nothing personal
    assert page.status == 200, page.body
    assert page.body == {
        "time": {
            "start": at(day, 10),
            "end": at(day, 10, 50),
            "clinicianId": "c-rivera",
            "clinicianName": "Dr. Ana Rivera",
            "appointmentTypeId": "session",
        },
        "available": True,
        "practice": {"name": "Demo Counseling"},
    }
    # and "Request This Time" makes an ordinary pending request
    asked = call(
        "POST",
        "/requests",
        new_request(at(day, 10), clientType="existing", appointmentTypeId="session", **person(0)),
    )
    assert asked.status == 201, asked.body
    assert asked.body["request"]["status"] == "pending"
    queue = call("GET", "/staff/requests", who=STAFF).body["requests"]
    assert asked.body["request"]["id"] in [r["id"] for r in queue]
    # after which the time is no longer available to the others
    other = token_of(told(person(1)["email"])[0])
    assert call("GET", f"/waitlist/{other}").body["available"] is False


def test_only_entries_that_fit_the_time_are_told(freed):
    # Given a session freed on a Tuesday at 10:00 with Dr. Rivera, and entries that do not fit it:
    # another clinician, days that do not hold it, another type (an intake fits too: it is told)
    day = next_weekday(1)
    appointment = book(day, 10)
    join(**person(1), clinicianId="c-okafor")
    join(**person(2), to=(day - timedelta(days=1)).isoformat())
    join(
        **person(3),
        **{"from": (day + timedelta(days=1)).isoformat(), "to": (day + timedelta(days=2)).isoformat()},
    )
    join(**person(4), clientType="new", appointmentTypeId="intake")
    join(**person(5), clinicianId="c-rivera", **{"from": day.isoformat(), "to": day.isoformat()})
    pump(freed)

    cancel(appointment)
    pump(freed)

    assert [len(told(person(n)["email"])) for n in range(1, 6)] == [0, 0, 0, 1, 1]
    intake = call("GET", f"/waitlist/{token_of(told(person(4)['email'])[0])}").body["time"]
    assert (intake["appointmentTypeId"], intake["start"], intake["end"]) == (
        "intake",
        at(day, 10),
        at(day, 11),
    )


def test_a_time_availability_does_not_offer_is_not_emailed(freed):
    # Given a practice that takes requests 30 days ahead at the earliest, and an appointment
    # staff booked inside that notice (staff may), freed
    settings(minimumNoticeHours=720)
    appointment = book(next_weekday(1), 10)
    join()
    pump(freed)

    cancel(appointment)
    pump(freed)

    # Then nobody is told of a time they could not request
    assert told(person(0)["email"]) == []


def test_nothing_is_emailed_while_the_waitlist_is_off(freed):
    day = next_weekday(1)
    appointment = book(day, 10)
    join()
    settings(waitlist=False)
    pump(freed)

    cancel(appointment)
    pump(freed)

    assert told(person(0)["email"]) == []


def test_a_denial_and_a_reschedule_moving_away_free_their_time(freed):
    # Given a request for a session at 11:00 and client A's appointment at 14:00, and an entry
    day = next_weekday(1)
    pending = call(
        "POST",
        "/requests",
        new_request(at(day, 11), clientType="existing", appointmentTypeId="session", **person(9)),
    )
    assert pending.status == 201
    appointment = book(day, 14)
    join()
    pump(freed)

    # When staff deny the request, and move the appointment to 16:00
    assert call("POST", f"/staff/requests/{pending.body['request']['id']}/deny", {}, who=STAFF).status == 200
    moved = call("POST", f"/staff/appointments/{appointment}/reschedule", {"start": at(day, 16)}, who=STAFF)
    assert moved.status == 200
    pump(freed)

    # Then the entry is told of both freed times, and not of the new one
    starts = sorted(
        call("GET", f"/waitlist/{token_of(m)}").body["time"]["start"] for m in told(person(0)["email"])
    )
    assert starts == [at(day, 11), at(day, 14)]


def test_a_record_delivered_again_emails_nobody_twice(freed):
    day = next_weekday(1)
    appointment = book(day, 10)
    join()
    pump(freed)
    cancel(appointment)
    records = freed.read()
    assert records

    # When the function gets the same records twice (at-least-once delivery)
    for _ in range(2):
        waitlist_function.handler({"Records": records}, LocalContext("waitlistnotify"))

    assert len(told(person(0)["email"])) == 1
    assert staff_list()[0]["notified"] == 1


def test_an_entry_gets_at_most_three_emails_a_day_and_the_next_entry_is_told_instead(freed):
    # Given four appointments of one day and four entries, oldest first
    day = next_weekday(1)
    appointments = [book(day, hour) for hour in (9, 10, 11, 13)]
    for n in range(4):
        join(**person(n))
    pump(freed)

    # When all four are cancelled
    for appointment in appointments:
        cancel(appointment)
        pump(freed)

    # Then the three oldest are told of the first three times (three per time), and of the fourth
    # none of them (each had three emails that day): the next in line is told instead
    assert [len(told(person(n)["email"])) for n in range(4)] == [3, 3, 3, 1]
    assert [e["notified"] for e in staff_list()] == [3, 3, 3, 1]


def test_a_time_freed_again_goes_to_the_next_entries_and_never_twice_to_one(freed):
    # Given four entries, and the three oldest told of 10:00 when it was freed
    day = next_weekday(1)
    appointment = book(day, 10)
    for n in range(4):
        join(**person(n))
    pump(freed)
    cancel(appointment)
    pump(freed)
    assert [len(told(person(n)["email"])) for n in range(4)] == [1, 1, 1, 0]

    # When 10:00 is booked and freed again, later (claims and changes are timed to the second)
    time.sleep(1.05 - time.time() % 1)
    again = book(day, 10)
    pump(freed)
    cancel(again)
    pump(freed)

    # Then the fourth entry hears of it, and the first three are not told of it twice
    assert [len(told(person(n)["email"])) for n in range(4)] == [1, 1, 1, 1]
    assert [e["notified"] for e in staff_list()] == [1, 1, 1, 1]


def test_one_change_freeing_adjacent_times_tells_three_entries_of_each_time(stream, freed):
    # Given 30-minute slots, twelve waiting entries, and a request denied with 14:00 and 15:00
    # offered (held until the expiry job frees both in one transaction: two stream records)
    settings(waitlist=True, slotIntervalMinutes=30)
    day = next_weekday(1)
    asked = call("POST", "/requests", new_request(at(day, 10), email="olive@example.org"))
    assert asked.status == 201, asked.body
    offers = [{"start": at(day, 14)}, {"start": at(day, 15)}]
    denied = call(
        "POST", f"/staff/requests/{asked.body['request']['id']}/deny", {"offers": offers}, who=STAFF
    )
    assert denied.status == 200, denied.body
    for n in range(12):
        join(**person(n))
    pump(freed)
    before = {m["text"] for n in range(12) for m in told(person(n)["email"])}

    # When the offer expires (14:30 to 15:20 now fits across both freed hours)
    [offer] = [i for i in table_items() if i["sk"] == "OFFER"]
    ends = datetime.fromisoformat(offer["expiresAt"])
    assert offer_job.run(aws.store(), ends + timedelta(minutes=1)) == {"expired": 1}
    answers = pump(freed)

    # Then each time that opened was emailed to three entries at most, 14:30 included
    assert [a.get("batchItemFailures") for a in answers] == [[]]
    by_time: Counter[str] = Counter()
    for n in range(12):
        for message in told(person(n)["email"]):
            if message["text"] not in before:
                by_time[call("GET", f"/waitlist/{token_of(message)}").body["time"]["start"]] += 1
    assert by_time[at(day, 14, 30)] == 3
    assert max(by_time.values()) == 3


def test_a_time_held_back_by_the_daily_limit_reaches_the_entry_when_freed_on_another_day(freed):
    # Given four entries, and the three oldest told of three times today: of the fourth time
    # (13:00) only the fourth entry heard, the others having had their three emails
    day = next_weekday(1) + timedelta(days=7)
    appointments = [book(day, hour) for hour in (9, 10, 11, 13)]
    entries = [join(**person(n)) for n in range(4)]
    pump(freed)
    for appointment in appointments:
        cancel(appointment)
        pump(freed)
    assert [len(told(person(n)["email"])) for n in range(4)] == [3, 3, 3, 1]

    # When 13:00 is booked and freed again tomorrow
    again = book(day, 13)
    pump(freed)
    cancel(again)
    start = datetime.fromisoformat(at(day, 13))
    freeing = Freed("c-rivera", start, start + timedelta(minutes=50), (f"APPT#{again}", "APPT"), None)
    tried = waitlist_function.tell(freeing, "another-freeing@tomorrow", datetime.now(UTC) + timedelta(days=1))

    # Then the three oldest hear of it now (a new day), and the fourth, told of it before, is not
    # told twice, nor counted among the three
    assert [(entry, outcome) for entry, _, outcome in tried] == [
        (entries[0], "sent"),
        (entries[1], "sent"),
        (entries[2], "sent"),
    ]
    assert [len(told(person(n)["email"])) for n in range(4)] == [4, 4, 4, 1]


def test_a_removed_entry_is_not_emailed(freed):
    day = next_weekday(1)
    appointment = book(day, 10)
    entry = join()
    assert call("DELETE", f"/staff/waitlist/{entry}", who=STAFF).status == 204
    pump(freed)

    cancel(appointment)
    pump(freed)

    assert told(person(0)["email"]) == []


def test_a_link_that_is_not_ours_is_a_404_and_the_token_is_not_stored(freed):
    day = next_weekday(1)
    appointment = book(day, 10)
    join()
    pump(freed)
    cancel(appointment)
    pump(freed)
    token = token_of(told(person(0)["email"])[0])

    assert len(token) >= 22  # at least 128 bits of URL-safe base64
    assert token not in str(table_items())
    assert_error(call("GET", "/waitlist/not-a-token"), 404, "not_found")


def test_two_waitlisted_clients_requesting_the_freed_time_at_once_make_one_pending_request(freed):
    # Given a freed time both waiting entries were told of
    day = next_weekday(1)
    appointment = book(day, 10)
    join(**person(0))
    join(**person(1))
    pump(freed)
    cancel(appointment)
    pump(freed)
    assert len(told(person(0)["email"])) == len(told(person(1)["email"])) == 1

    # When both request it at the same moment
    answers = race(
        [
            partial(
                call_in_container,
                "POST",
                "/requests",
                new_request(at(day, 10), clientType="existing", appointmentTypeId="session", **person(n)),
            )
            for n in range(2)
        ]
    )

    # Then exactly one pending request holds it, and the other is told it was taken
    assert Counter(a.status for a in answers) == Counter({201: 1, 409: 1})
    assert [a.code for a in answers if a.status == 409] == ["slot_unavailable"]
    pending = [
        r for r in call("GET", "/staff/requests", who=STAFF).body["requests"] if r["start"] == at(day, 10)
    ]
    assert len(pending) == 1


def test_an_email_ses_cannot_take_now_is_sent_on_a_later_delivery(freed):
    from botocore.exceptions import EndpointConnectionError

    day = next_weekday(1)
    appointment = book(day, 10)
    join()
    pump(freed)
    cancel(appointment)

    # Given SES unreachable for the first attempt
    ses = aws.sesv2()
    failures = [1]

    def unreachable(**_: Any) -> None:
        if failures[0]:
            failures[0] -= 1
            raise EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com")

    ses.meta.events.register("before-call.sesv2.SendEmail", unreachable)
    try:
        first = pump(freed)
        # a later second: the retry's bookkeeping writes are another request, not the first again
        time.sleep(1.05 - time.time() % 1)
        second = pump(freed)
    finally:
        ses.meta.events.unregister("before-call.sesv2.SendEmail", unreachable)

    # Then the record failed once, and the next delivery sent the email, once
    assert first[0]["batchItemFailures"]
    assert second == [] or not second[0]["batchItemFailures"]
    assert len(told(person(0)["email"])) == 1


# ---- the scheduled job ----------------------------------------------------------------------------


def test_the_job_drops_entries_whose_last_day_has_passed_and_gives_their_tally_back(waitlist):
    # Given two entries, one ending tomorrow and one in ten days
    ending = join(to=(TODAY + timedelta(days=1)).isoformat())
    staying = join(**person(1), to=(TODAY + timedelta(days=10)).isoformat())

    # When the job runs on their last day, and on the day after the first's
    last_day = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=NY).replace(
        hour=23, minute=59
    )
    assert expiry.run(aws.store(), last_day) == {}
    ran = call_tick(last_day + timedelta(minutes=2))

    # Then only the entry whose last day has passed is gone, and its address may join again
    assert ran == {"dropped": 1}
    assert [e["id"] for e in staff_list()] == [staying]
    assert tally_of("wanda0@example.org") == 0
    [gone] = [e for e in stored_entries() if e["id"] == ending]
    assert gone["status"] == "expired"
    assert "client" not in gone
    # and running it again, or twice at once, changes nothing
    assert expiry.run(aws.store(), last_day + timedelta(minutes=3)) == {}
    assert tally_of("wanda0@example.org") == 0


def test_the_scheduled_job_fails_when_it_left_an_entry_for_the_next_run(waitlist, monkeypatch):
    # Given an entry whose last day has passed, and DynamoDB refusing to drop it
    join(to=TODAY.isoformat())
    after = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=NY).replace(hour=1)

    class Tomorrow(datetime):
        @classmethod
        def now(cls, tz=None):
            return after.astimezone(tz)

    def refused(*args: Any, **kwargs: Any) -> bool:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "-"}}, "TransactWriteItems")

    monkeypatch.setattr(expiry, "datetime", Tomorrow)
    monkeypatch.setattr(WaitlistStore, "remove", refused)

    # When the scheduled function runs, it fails (the error alarm sees it; EventBridge retries)
    with pytest.raises(Incomplete):
        expiry.handler({}, LocalContext("waitlistexpiry"))
    # and the entry still waits for the next run
    assert len(staff_list()) == 1


def call_tick(now: datetime) -> dict[str, int]:
    from functions import jobs

    assert "waitlist" in jobs.JOBS
    return expiry.run(aws.store(), now)


def test_the_job_and_staff_removing_one_entry_at_once_give_its_tally_back_once(waitlist):
    entry = join(to=TODAY.isoformat())
    after = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=NY).replace(hour=1)
    answers = race(
        [
            lambda: call_in_container("DELETE", f"/staff/waitlist/{entry}", who=STAFF),
            lambda: (expiry.run(aws.store(), after), call("GET", "/portal"))[1],
        ],
        all_read_before_any_write=False,
    )
    assert answers[0].status == 204
    assert tally_of("wanda0@example.org") == 0
    assert staff_list() == []


# ---- logs -----------------------------------------------------------------------------------------


def test_no_personal_data_in_the_waitlists_logs(freed, caplog, capsys):
    caplog.set_level(logging.INFO)
    day = next_weekday(1)
    appointment = book(day, 10)
    join(comments="grief after my father")
    call("POST", "/waitlist", entry_body(email="broken"))
    call("GET", "/staff/waitlist", who=STAFF)
    pump(freed)
    cancel(appointment)
    pump(freed)
    token = token_of(told(person(0)["email"])[0])
    call("GET", f"/waitlist/{token}")

    logged = caplog.text + capsys.readouterr().out
    assert "waitlist email sent" in logged
    for value in ("Wanda", "Waitera", "wanda0", "1991-02-03", "555", "grief", token, NEW_CLIENT["email"]):
        assert value not in logged, value
    assert CLIENT_B  # the other client is untouched
    assert outbox()


# ---- any record that held time, and lost answers ---------------------------------------------------


def test_any_record_that_held_time_frees_it_when_it_goes_as_an_expired_offer_would(freed):
    # Given a record of a kind the waitlist function knows nothing of (as an offered time is),
    # holding Tuesday 10:00 to 10:50 with Dr. Rivera in the held-time index, and an entry
    from functions.store import keys

    day = next_weekday(1)
    start = datetime.fromisoformat(at(day, 10))
    held = {"pk": {"S": "OFFER#o-1"}, "sk": {"S": "TIME#1"}, "type": {"S": "offer"}, "gsi2pk": {"S": "BUSY"}}
    held["gsi2sk"] = {"S": keys.busy_sort(start, start + timedelta(minutes=50), "c-rivera")}
    aws.dynamodb().put_item(TableName=aws.settings().table_name, Item=held)
    join()
    pump(freed)
    assert told(person(0)["email"]) == []

    # When it is deleted (an offer expiring frees its times)
    aws.dynamodb().delete_item(TableName=aws.settings().table_name, Key={"pk": held["pk"], "sk": held["sk"]})
    pump(freed)

    # Then the entry is told of the time
    [message] = told(person(0)["email"])
    assert call("GET", f"/waitlist/{token_of(message)}").body["time"]["start"] == at(day, 10)


def test_a_time_an_accepted_offer_took_is_not_emailed_while_the_index_lags(stream, freed, monkeypatch):
    # Given a request denied with 14:00 and 15:00 offered, and an entry waiting for an intake
    day = next_weekday(1)
    asked = call("POST", "/requests", new_request(at(day, 10), email="olive@example.org"))
    assert asked.status == 201, asked.body
    offers = [{"start": at(day, 14)}, {"start": at(day, 15)}]
    denied = call(
        "POST", f"/staff/requests/{asked.body['request']['id']}/deny", {"offers": offers}, who=STAFF
    )
    assert denied.status == 200, denied.body
    notify_pump(stream)
    [offer_email] = [m for m in to("olive@example.org") if m["subject"].startswith("Other appointment times")]
    token = re.findall(r"#offer/([A-Za-z0-9_-]+)", offer_email["text"])[0]
    pump(freed)
    join(clientType="new", appointmentTypeId="intake", **person(0))

    # When the client accepts 14:00, and the held-time index has not caught up with the
    # appointment that now holds it (in AWS a global secondary index lags behind the table)
    accepted = call("POST", f"/offers/{token}/accept", {"start": at(day, 14)})
    assert accepted.status == 201, accepted.body
    monkeypatch.setattr(WaitlistStore, "held", lambda self, *args: [])
    answers = pump(freed)

    # Then the entry is told of 15:00, which the acceptance freed, and never of 14:00
    starts = [call("GET", f"/waitlist/{token_of(m)}").body["time"]["start"] for m in told(person(0)["email"])]
    assert at(day, 15) in starts
    assert at(day, 14) not in starts
    # and every record was handled at its first delivery
    assert [a.get("batchItemFailures") for a in answers] == [[]]


@pytest.mark.parametrize("lost", ["claim", "count", "mark"])
def test_an_email_whose_bookkeeping_answer_was_lost_is_sent_once(freed, lost):
    # Given DynamoDB losing the answer of one of the waitlist function's updates (the SDK retries it)
    day = next_weekday(1)
    appointment = book(day, 10)
    join()
    pump(freed)
    cancel(appointment)
    if lost == "count":
        # the day's and the time's counts, one transaction
        attempts = lose_answers(
            aws.dynamodb(), "TransactWriteItems", when=lambda body: "SENT#waitday#" in str(body)
        )
    else:
        marker = {"claim": "SENT#waitlist#", "mark": "WAIT#"}[lost]
        attempts = lose_answers(
            aws.dynamodb(),
            "UpdateItem",
            when=lambda body: body.get("Key", {}).get("pk", {}).get("S", "").startswith(marker),
        )

    # When the freed time is delivered
    answers = pump(freed)

    # Then the update was retried, the email went out once, and it counts once
    assert len(attempts) >= 2
    assert [a.get("batchItemFailures") for a in answers] == [[]]
    assert len(told(person(0)["email"])) == 1
    assert staff_list()[0]["notified"] == 1


def test_a_claim_given_back_for_the_daily_limit_whose_answer_was_lost_leaves_no_claim(freed):
    # Given one entry that had three emails today, and a fourth time freed
    day = next_weekday(1)
    appointments = [book(day, hour) for hour in (9, 10, 11, 13)]
    join()
    pump(freed)
    for appointment in appointments[:3]:
        cancel(appointment)
        pump(freed)
    assert len(told(person(0)["email"])) == 3
    cancel(appointments[3])
    attempts = lose_answers(aws.dynamodb(), "DeleteItem", when=lambda body: "SENT#waitlist#" in str(body))

    # When the freed time is delivered and the answer to giving the claim back is lost
    answers = pump(freed)

    # Then the delete was retried, the record succeeded, and no claim of the time is left
    assert len(attempts) >= 2
    assert [a.get("batchItemFailures") for a in answers] == [[]]
    assert len(told(person(0)["email"])) == 3
    claims = [i for i in table_items() if i["pk"].startswith("SENT#waitlist#")]
    assert [c["state"] for c in claims] == ["sent"] * 3


def test_a_job_run_whose_answer_was_lost_drops_the_entry_and_gives_the_tally_back_once(waitlist):
    join(to=TODAY.isoformat())
    lose_answers(aws.dynamodb(), "TransactWriteItems")
    after = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=NY).replace(hour=1)

    assert expiry.run(aws.store(), after) == {"dropped": 1}
    assert tally_of("wanda0@example.org") == 0
    assert staff_list() == []

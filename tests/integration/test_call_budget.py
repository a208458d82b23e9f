"""How many DynamoDB calls each operation makes: the budgets that keep latency and cost flat as the
practice grows, and no Scan anywhere. `pytest -s` prints the measured counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.awsrequest
import pytest
from botocore.compat import HTTPHeaders

from functions import aws
from functions.api.routes import ROUTES, Access, Route
from tests.integration.conftest import CLIENT_A, CLIENT_B, STAFF, Answer, at, call, new_request
from tests.integration.support import (  # noqa: F401 (fixtures)
    STRANGER,
    Who,
    World,
    _shared_world_fixture,
    _world_fixture,
    dynamodb_calls,
    example,
    waitlist_entry,
)

KEY = {"Idempotency-Key": "budget-key-1"}
MEASURED: dict[str, tuple[int, int, list[str]]] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_table() -> Iterator[None]:
    yield
    if MEASURED:
        width = max(len(name) for name in MEASURED)
        print(f"\n\nDynamoDB calls per operation\n{'operation':<{width}}  calls  budget  calls made")
        for name, (count, budget, names) in MEASURED.items():
            shown = str(budget) if budget >= 0 else "-"
            print(f"{name:<{width}}  {count:>5}  {shown:>6}  {', '.join(names)}")


def measure(name: str, budget: int, send: Callable[[], Answer], status: int) -> list[str]:
    with dynamodb_calls() as calls:
        answer = send()
    assert answer.status == status, answer.body
    MEASURED[name] = (len(calls), budget, calls.names)
    assert "Scan" not in calls.names
    return calls.names


def _session(world: World, hour: int) -> dict[str, Any]:
    return {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(world.day, hour)}


def _range(world: World, **more: str) -> dict[str, str]:
    last = world.day + timedelta(days=30)
    return {"clientType": "existing", "from": world.day.isoformat(), "to": last.isoformat(), **more}


@dataclass(frozen=True)
class Operation:
    budget: int
    status: int
    prepare: Callable[[World], Callable[[], Answer]]


def _replay(path: str, body: Callable[[World], Any], who: Who) -> Callable[[World], Callable[[], Answer]]:
    def prepare(world: World) -> Callable[[], Answer]:
        first = call("POST", path, body(world), who=who, headers=KEY)
        assert first.status in (200, 201), first.body
        return lambda: call("POST", path, body(world), who=who, headers=KEY)

    return prepare


def _approved_appointment(world: World) -> None:
    """Client A's pending request, approved: a second confirmed appointment."""
    assert call("POST", f"/staff/requests/{world.pending_a}/approve", {}, who=STAFF).status == 200


def _busy_practice(world: World) -> None:
    """Some more holds across the month, so the reads have something to read."""
    for weeks in range(3):
        day = world.day + timedelta(weeks=weeks)
        # Three people: one address or phone may have only two requests awaiting review.
        person = {"email": f"busy{weeks}@example.org", "mobilePhone": f"+1 617 555 02{weeks:02d}"}
        made = call("POST", "/requests", new_request(at(day, 11), clinician="c-okafor", **person))
        assert made.status == 201, made.body


def _take(world: World, hour: int) -> None:
    made = call("POST", "/requests", new_request(at(world.day, hour), clinician="c-okafor"))
    assert made.status == 201, made.body


def _then(
    setup: Callable[[World], None], send: Callable[[World], Answer]
) -> Callable[[World], Callable[[], Answer]]:
    def prepare(world: World) -> Callable[[], Answer]:
        setup(world)
        return lambda: send(world)

    return prepare


def _nothing(world: World) -> None:
    return None


def _accepted(world: World) -> None:
    taken = call("POST", f"/offers/{world.offer_token}/accept", {"start": at(world.day, 13)})
    assert taken.status == 201, taken.body


_WAITER = {**STRANGER, "email": "waiter@example.org"}


def _my_entry(world: World) -> dict[str, Any]:
    return {"appointmentTypeId": "session", "from": world.day.isoformat(), "to": world.day.isoformat()}


def _waitlist_full(world: World) -> None:
    for _ in range(3):
        assert call("POST", "/waitlist", waitlist_entry(world.day, **_WAITER)).status == 201


def _long_waitlist(world: World) -> None:
    for n in range(20):
        waiter = {**STRANGER, "email": f"waiter{n}@example.org"}
        assert call("POST", "/waitlist", waitlist_entry(world.day, **waiter)).status == 201


OPERATIONS: dict[str, Operation] = {
    "GET /availability, one clinician, 31 days": Operation(
        2,
        200,
        _then(
            _busy_practice, lambda w: call("GET", "/availability", query=_range(w, clinicianId="c-okafor"))
        ),
    ),
    "GET /availability, any clinician, 31 days": Operation(
        2, 200, _then(_busy_practice, lambda w: call("GET", "/availability", query=_range(w)))
    ),
    "POST /requests": Operation(
        3,
        201,
        _then(
            _nothing, lambda w: call("POST", "/requests", new_request(at(w.day, 11), clinician="c-okafor"))
        ),
    ),
    "POST /requests with Idempotency-Key": Operation(
        3,
        201,
        _then(
            _nothing,
            lambda w: call(
                "POST", "/requests", new_request(at(w.day, 11), clinician="c-okafor"), headers=KEY
            ),
        ),
    ),
    "POST /requests, replay": Operation(
        3, 201, _replay("/requests", lambda w: new_request(at(w.day, 11), clinician="c-okafor"), None)
    ),
    "POST /requests, slot taken (409)": Operation(
        3,
        409,
        _then(
            lambda w: _take(w, 11),
            lambda w: call("POST", "/requests", new_request(at(w.day, 11), clinician="c-okafor")),
        ),
    ),
    "POST /me/requests": Operation(
        3, 201, _then(_nothing, lambda w: call("POST", "/me/requests", _session(w, 11), who=CLIENT_B))
    ),
    "POST /me/requests with Idempotency-Key": Operation(
        3,
        201,
        _then(_nothing, lambda w: call("POST", "/me/requests", _session(w, 11), who=CLIENT_B, headers=KEY)),
    ),
    "POST /me/requests, replay": Operation(
        3, 201, _replay("/me/requests", lambda w: _session(w, 11), CLIENT_B)
    ),
    "POST /staff/requests/{id}/approve": Operation(
        3,
        200,
        _then(_nothing, lambda w: call("POST", f"/staff/requests/{w.pending_a}/approve", {}, who=STAFF)),
    ),
    "POST /staff/requests/{id}/approve, moved": Operation(
        3,
        200,
        _then(
            _nothing,
            lambda w: call(
                "POST",
                f"/staff/requests/{w.pending_a}/approve",
                {"start": at(w.day, 15)},
                who=STAFF,
                headers=KEY,
            ),
        ),
    ),
    "POST /staff/requests/{id}/deny": Operation(
        3, 200, _then(_nothing, lambda w: call("POST", f"/staff/requests/{w.pending_a}/deny", {}, who=STAFF))
    ),
    # (v2) Offers: the denial's transaction holds the times (and KMS seals the link, not counted).
    "POST /staff/requests/{id}/deny with 3 offers": Operation(
        3,
        200,
        _then(
            _nothing,
            lambda w: call(
                "POST",
                f"/staff/requests/{w.pending_a}/deny",
                {"offers": [{"start": at(w.day, h)} for h in (9, 11, 15)]},
                who=STAFF,
            ),
        ),
    ),
    "GET /offers/{token}": Operation(
        1, 200, _then(_nothing, lambda w: call("GET", f"/offers/{w.offer_token}"))
    ),
    "POST /offers/{token}/accept": Operation(
        2,
        201,
        _then(_nothing, lambda w: call("POST", f"/offers/{w.offer_token}/accept", {"start": at(w.day, 13)})),
    ),
    "POST /offers/{token}/accept, taken up already (409)": Operation(
        2,
        409,
        _then(_accepted, lambda w: call("POST", f"/offers/{w.offer_token}/accept", {"start": at(w.day, 13)})),
    ),
    "POST /staff/requests/{id}/deny with Idempotency-Key": Operation(
        3,
        200,
        _then(
            _nothing,
            lambda w: call("POST", f"/staff/requests/{w.pending_a}/deny", {}, who=STAFF, headers=KEY),
        ),
    ),
    "GET /me/appointments": Operation(
        2, 200, _then(_approved_appointment, lambda w: call("GET", "/me/appointments", who=CLIENT_A))
    ),
    "GET /staff/requests": Operation(
        2, 200, _then(_busy_practice, lambda w: call("GET", "/staff/requests", who=STAFF))
    ),
    "POST /me/appointments/{id}/reschedule": Operation(
        3,
        201,
        _then(
            _nothing,
            lambda w: call(
                "POST",
                f"/me/appointments/{w.appointment_a}/reschedule",
                {"start": at(w.day, 15)},
                who=CLIENT_A,
            ),
        ),
    ),
    "POST /me/appointments/{id}/reschedule with Idempotency-Key": Operation(
        3,
        201,
        _then(
            _nothing,
            lambda w: call(
                "POST",
                f"/me/appointments/{w.appointment_a}/reschedule",
                {"start": at(w.day, 15)},
                who=CLIENT_A,
                headers=KEY,
            ),
        ),
    ),
    "POST /me/appointments/{id}/cancel": Operation(
        3,
        201,
        _then(
            _nothing, lambda w: call("POST", f"/me/appointments/{w.appointment_a}/cancel", {}, who=CLIENT_A)
        ),
    ),
    "POST /me/appointments/{id}/cancel with Idempotency-Key": Operation(
        3,
        201,
        _then(
            _nothing,
            lambda w: call(
                "POST",
                f"/me/appointments/{w.appointment_a}/cancel",
                {"reason": "Moving"},
                who=CLIENT_A,
                headers=KEY,
            ),
        ),
    ),
    # (v2) the waitlist
    "POST /waitlist": Operation(
        2, 201, _then(_nothing, lambda w: call("POST", "/waitlist", waitlist_entry(w.day, **_WAITER)))
    ),
    "POST /waitlist with Idempotency-Key": Operation(
        2,
        201,
        _then(_nothing, lambda w: call("POST", "/waitlist", waitlist_entry(w.day, **_WAITER), headers=KEY)),
    ),
    "POST /waitlist, replay": Operation(
        2, 201, _replay("/waitlist", lambda w: waitlist_entry(w.day, **_WAITER), None)
    ),
    "POST /waitlist, full (409)": Operation(
        2, 409, _then(_waitlist_full, lambda w: call("POST", "/waitlist", waitlist_entry(w.day, **_WAITER)))
    ),
    "POST /me/waitlist": Operation(
        3, 201, _then(_nothing, lambda w: call("POST", "/me/waitlist", _my_entry(w), who=CLIENT_B))
    ),
    "POST /me/waitlist with Idempotency-Key": Operation(
        3,
        201,
        _then(_nothing, lambda w: call("POST", "/me/waitlist", _my_entry(w), who=CLIENT_B, headers=KEY)),
    ),
    "GET /waitlist/{token}": Operation(
        2, 200, _then(_busy_practice, lambda w: call("GET", f"/waitlist/{w.waitlist_token}"))
    ),
    "GET /staff/waitlist, 20 entries": Operation(
        2, 200, _then(_long_waitlist, lambda w: call("GET", "/staff/waitlist", who=STAFF))
    ),
    "DELETE /staff/waitlist/{id}": Operation(
        2, 204, _then(_nothing, lambda w: call("DELETE", f"/staff/waitlist/{w.waitlist_entry}", who=STAFF))
    ),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_operation_stays_within_its_dynamodb_call_budget(world: World, name: str):
    # Given the World, and what the operation needs first
    operation = OPERATIONS[name]
    send = operation.prepare(world)

    # When the operation runs / Then it makes at most its budget of DynamoDB calls, and no Scan
    names = measure(name, operation.budget, send, operation.status)
    assert len(names) <= operation.budget, names


def _caller(route: Route) -> Who:
    return {Access.PUBLIC: None, Access.SIGNED_IN: CLIENT_A, Access.STAFF: STAFF}[route.access]


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
def test_no_route_scans_the_table(world: World, route: Route):
    # Given each route's valid example call, by someone allowed to make it
    sent = example(route, world)
    who = _caller(route)

    # When it is made / Then none of its DynamoDB calls is a Scan (the counts go to the table too)
    names = measure(
        f"{route.method} {route.path} (example)",
        -1,
        lambda: call(route.method, sent.path, sent.body, who=who, query=sent.query),
        route.status,
    )
    assert "Scan" not in names


# ---- (v2) the reminder job ----------------------------------------------------------------------


def _stored_confirmed(count: int, start: datetime, first: int = 0) -> None:
    """`count` confirmed appointments at `start`, written straight to the table (as the
    transactions that confirm appointments write them), to measure the job alone."""
    from functions.scheduling.lifecycle import Appointment
    from functions.store import keys
    from functions.store.table import _appointment_item, _item

    client = aws.dynamodb()
    table = aws.settings().table_name
    items = [
        keys.appointment(f"budget-{first + n}")
        | _item(
            _appointment_item(
                Appointment.model_validate(
                    {
                        "id": f"budget-{first + n}",
                        "status": "confirmed",
                        "clinicianId": "c-rivera",
                        "appointmentTypeId": "session",
                        "start": start,
                        "end": start + timedelta(minutes=50),
                        "client": {**CLIENT_DETAILS, "email": f"client{first + n}@example.com"},
                        "newClient": False,
                        "createdAt": start - timedelta(days=30),
                        "confirmedAt": start - timedelta(days=30),
                    }
                )
            )
        )
        for n in range(count)
    ]
    for low in range(0, len(items), 25):
        client.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[low : low + 25]]}
        )


@contextmanager
def _answered_at_once(wanted: bool) -> Iterator[None]:
    """Claims (UpdateItem) and sends (SendEmail) answered as AWS answers a first claim and an
    accepted email, without reaching moto: botocore uses an answer a before-call hook gives."""
    if not wanted:
        yield
        return
    ok = botocore.awsrequest.AWSResponse("https://aws", 200, HTTPHeaders(), None)
    answers = {"UpdateItem": {}, "SendEmail": {"MessageId": "stood-in"}}

    def answer(model: Any, **_: Any) -> Any:
        parsed = answers.get(model.name)
        return None if parsed is None else (ok, parsed)

    # At the service's level, after the counting hook (botocore calls the more specific first)
    hooks = [(aws.dynamodb(), "before-call.dynamodb", answer), (aws.sesv2(), "before-call.sesv2", answer)]
    for client, event, hook in hooks:
        client.meta.events.register(event, hook)
    try:
        yield
    finally:
        for client, event, hook in hooks:
            client.meta.events.unregister(event, hook)


CLIENT_DETAILS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "dateOfBirth": "1990-04-01",
    "mobilePhone": "+16175550100",
}


NOT_DUE = 200


@pytest.mark.parametrize("due", [0, 10, 1_000])
def test_the_reminder_job_reads_only_the_due_reminders_and_claims_each_once(world: World, due: int):
    import boto3

    from functions.jobs import reminders

    boto3.client("ses").verify_email_identity(EmailAddress=aws.settings().sender_email)
    # Given `due` appointments whose 24-hour reminder is due now, and 200 that are not (an hour
    # later), beside the World's
    start = datetime(2027, 2, 2, 15, 0, tzinfo=UTC)
    now = start - timedelta(hours=24)
    _stored_confirmed(due, start)
    _stored_confirmed(NOT_DUE, start + timedelta(hours=1), first=10_000)

    # When the job runs (with 1,000 due, moto's answers to the claims and sends are stood in for:
    # moto spends about 60 ms of CPU on each reminder, which AWS does not)
    with dynamodb_calls() as calls, _answered_at_once(due >= 1_000):
        outcomes = reminders.run(aws.store(), now, budget=timedelta(minutes=5)).outcomes

    # Then: the configuration, one Query of the reminder index, a batch read per 100 due (of the
    # appointments, and of their ledger entries), and a claim and its settlement per reminder
    # sent; no Scan, nothing per appointment not due
    assert outcomes == ({"sent": due} if due else {})
    batches = 2 * -(-due // 100)
    assert calls.names == ["GetItem", "Query", *["BatchGetItem"] * batches, *["UpdateItem"] * (2 * due)]
    MEASURED[f"reminder job, {due:,} due of {due + NOT_DUE:,}+"] = (
        len(calls),
        2 + batches + 2 * due,
        calls.names[:3],
    )


# ---- (v2) the waitlist's stream consumer and job ---------------------------------------------------


@pytest.mark.parametrize("waiting", [1, 30])
def test_a_freed_time_costs_a_read_of_its_holds_and_claims_a_query_per_type_and_five_calls_per_email(
    world: World, waiting: int
):
    import boto3

    from functions.store.waitlist import Freed
    from functions.waitlist import handler as waitlist_function

    boto3.client("ses").verify_email_identity(EmailAddress=aws.settings().sender_email)
    # Given client A's session at 10:00 cancelled, and `waiting` entries for sessions that day
    # (the World's stranger among them)
    for n in range(waiting - 1):
        waiter = {**STRANGER, "email": f"waiting{n}@example.org"}
        assert call("POST", "/waitlist", waitlist_entry(world.day, **waiter)).status == 201
    cancelled = call("POST", f"/staff/appointments/{world.appointment_a}/cancel", {}, who=STAFF)
    assert cancelled.status == 200
    start = datetime.fromisoformat(at(world.day, 10))
    freed = Freed(
        "c-rivera", start, start + timedelta(minutes=50), (f"APPT#{world.appointment_a}", "APPT"), None
    )

    # When the waitlist function tells the waiting entries
    with dynamodb_calls() as calls:
        tried = waitlist_function.tell(freed, "budget", datetime.now(UTC))

    # Then: the configuration, the holds around the time (one Query of gsi2), one consistent
    # BatchGetItem of the claims of the times it opened (the index may lag), one Query of gsi1 per
    # type the time opened (a session and an intake), and per email a claim, the day's count, the
    # entry's count, the link's notice and the settled claim; no Scan, nothing per entry not told
    emails = min(waiting, 3)
    assert [outcome for *_, outcome in tried] == ["sent"] * emails
    assert calls.names[:3] == ["GetItem", "Query", "BatchGetItem"]
    assert calls.names.count("Query") == 3
    assert calls.names.count("GetItem") == 1
    assert calls.names.count("BatchGetItem") == 1
    assert len(calls) == 5 + 5 * emails
    MEASURED[f"waitlist function, a freed time, {waiting} waiting"] = (
        len(calls),
        5 + 5 * emails,
        calls.names[:5],
    )


@pytest.mark.parametrize("after_their_day", [False, True], ids=["none passed", "21 passed"])
def test_the_waitlist_job_reads_only_the_entries_whose_last_day_has_passed(
    world: World, after_their_day: bool
):
    from functions.jobs import waitlist as expiry

    # Given 21 entries whose last day is the World's day (a week or more away)
    for n in range(20):
        waiter = {**STRANGER, "email": f"later{n}@example.org"}
        assert call("POST", "/waitlist", waitlist_entry(world.day, **waiter)).status == 201

    # When the job runs now (none has passed), or the day after theirs (all 21 have)
    now = datetime.now(UTC)
    if after_their_day:
        now = datetime.combine(world.day + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=6
        )
    with dynamodb_calls() as calls:
        outcomes = expiry.run(aws.store(), now)

    # Then: the configuration and one Query of gsi4 `WAITEND` up to today; when any has passed, a
    # batch read of them and one transaction each. Nothing is read of the entries still waiting.
    dropped = 21 if after_their_day else 0
    assert outcomes == ({"dropped": dropped} if dropped else {})
    assert "Scan" not in calls.names
    expected = 2 + (1 + dropped if dropped else 0)
    assert calls.names == [
        "GetItem",
        "Query",
        *(["BatchGetItem"] if dropped else []),
        *["TransactWriteItems"] * dropped,
    ]
    MEASURED[f"waitlist job, {dropped} passed of 21"] = (len(calls), expected, calls.names[:3])

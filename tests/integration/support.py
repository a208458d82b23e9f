"""What several integration test files share: one valid example call per route, the table as it is
stored, DynamoDB call counting, error-body checks and calls racing each other."""

from __future__ import annotations

import importlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from unittest.mock import patch

import pytest
from boto3.dynamodb.types import TypeDeserializer

from functions import aws, demo
from functions.api import links
from functions.api.gateway import LocalContext, match, proxy_event
from functions.api.http import lambda_handler
from functions.api.routes import FUNCTIONS, Access, Route
from functions.local.embedded import serialize_moto_writes
from functions.store.schema import create_table_request
from tests.conftest import offer_key
from tests.integration.conftest import (
    ANONYMOUS,
    CLIENT_A,
    CLIENT_B,
    STAFF,
    UNLINKED,
    Answer,
    add_client,
    at,
    call,
    confirmed_appointment,
    new_request,
    next_weekday,
)

Who = Mapping[str, Any] | None

CALLERS: dict[str, Who] = {
    "anonymous": ANONYMOUS,
    "client_a": CLIENT_A,
    "client_b": CLIENT_B,
    "unlinked": UNLINKED,
    "staff": STAFF,
}

# What the practice knows about client A (tests/integration/conftest.py add_client): none of it
# may reach anybody but client A and staff.
CLIENT_A_PERSONAL = ("Ada", "Hopper", "ada@example.com", "1985-12-09", "6175550101")

# Someone else who asks for an appointment without signing in.
STRANGER = {
    "firstName": "Linus",
    "lastName": "Torvalds",
    "dateOfBirth": "1969-12-28",
    "email": "linus@example.org",
    "mobilePhone": "+1 212 555 0199",
}

PERSONAL_FIELDS = ("firstName", "lastName", "dateOfBirth", "email", "mobilePhone")
# Not personal, but no more to be echoed back than they are: the practice's own phone number.
ECHO_FIELDS = (*PERSONAL_FIELDS, "phone")
FREE_TEXT_FIELDS = ("comments", "reason", "note")


# ---- the stored table ----------------------------------------------------------------------------

_deserializer = TypeDeserializer()


def table_items() -> list[dict[str, Any]]:
    """Every item in the table, plain values, in key order (a scan: fine in a test, never in a handler)."""
    client = aws.dynamodb()
    items: list[dict[str, Any]] = []
    args: dict[str, Any] = {"TableName": aws.settings().table_name, "ConsistentRead": True}
    while True:
        page = client.scan(**args)
        items.extend({k: _deserializer.deserialize(v) for k, v in item.items()} for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["pk"], i["sk"]))


def item_count() -> int:
    answer = aws.dynamodb().scan(TableName=aws.settings().table_name, Select="COUNT", ConsistentRead=True)
    assert "LastEvaluatedKey" not in answer
    return int(answer["Count"])


def stored_appointments() -> list[dict[str, Any]]:
    return [i for i in table_items() if i["sk"] == "APPT"]


def stored_claims() -> list[dict[str, Any]]:
    return [i for i in table_items() if i["sk"] == "CLAIM"]


# ---- a practice with something in it ------------------------------------------------------------


@dataclass(frozen=True)
class World:
    day: date
    appointment_a: str  # client A's confirmed session, day at 10:00 with c-rivera
    pending_a: str  # client A's pending request for a session, day at 14:00 with c-rivera
    not_sent: str  # the approved request of appointment_a, whose confirmation SES refused
    # the link of the time offered to a new client instead of their request: 13:00 with c-rivera
    offer_token: str = ""
    # (v2) the waitlist, which the World's practice keeps: a stranger's waiting entry, and the
    # link's token of a time (day at 16:00 with c-okafor) it was emailed about
    waitlist_entry: str = ""
    waitlist_token: str = ""


def build_world() -> World:
    """Needs the `practice` fixture."""
    day = next_weekday(1)
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    made = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, 14)},
        who=CLIENT_A,
    )
    assert made.status == 201, made.body
    approved = aws.store().request_of(f"{appointment}-1", appointment)
    assert approved is not None
    # As the notify function records a confirmation SES refused.
    aws.ledger().settle(
        f"{approved.id}#v{approved.version}#confirmed",
        "world",
        "failed",
        "MessageRejected",
        "confirmed",
        approved,
        datetime.now(UTC),
    )
    # A new client's request for 15:00, denied with 13:00 offered instead (the link's token known
    # here; in life only the client's email has it).
    asked = call("POST", "/requests", new_request(at(day, 15), email="offered.world@example.org"))
    assert asked.status == 201, asked.body
    with patch.object(links, "new_token", lambda: WORLD_OFFER_TOKEN):
        denied = call(
            "POST",
            f"/staff/requests/{asked.body['request']['id']}/deny",
            {"offers": [{"start": at(day, 13)}]},
            who=STAFF,
        )
    assert denied.status == 200, denied.body
    entry, token = _world_waitlist(day)
    return World(
        day,
        appointment,
        made.body["request"]["id"],
        approved.id,
        offer_token=WORLD_OFFER_TOKEN,
        waitlist_entry=entry,
        waitlist_token=token,
    )


WORLD_OFFER_TOKEN = "world-offer-link-token-00000001"


WAITLIST_TOKEN = "world-waitlist-link-token-0123456789"


def _world_waitlist(day: date) -> tuple[str, str]:
    """The waitlist turned on, a stranger waiting for a session, and the notice behind a link
    about a time (as the waitlist function leaves one after emailing it)."""
    from datetime import timedelta

    from functions.scheduling.waitlist import token_hash
    from functions.store.waitlist import Notice, WaitlistStore

    aws.store().update_config(
        lambda c: c.model_copy(update={"scheduling": c.scheduling.model_copy(update={"waitlist": True})})
    )
    joined = call("POST", "/waitlist", waitlist_entry(day))
    assert joined.status == 201, joined.body
    entry = str(joined.body["entry"]["id"])
    start = datetime.fromisoformat(at(day, 16))
    WaitlistStore(aws.store()).put_notice(
        token_hash(WAITLIST_TOKEN), Notice(entry, "c-okafor", "session", start, start + timedelta(minutes=50))
    )
    return entry, WAITLIST_TOKEN


def waitlist_entry(day: date, **person: str) -> dict[str, Any]:
    """A body of POST /waitlist: a stranger (by default) waiting for a session around `day`."""
    return {
        "clientType": "existing",
        "appointmentTypeId": "session",
        "from": day.isoformat(),
        "to": day.isoformat(),
        **(person or STRANGER),
    }


def _raw_items() -> dict[tuple[str, str], dict[str, Any]]:
    client = aws.dynamodb()
    items: dict[tuple[str, str], dict[str, Any]] = {}
    args: dict[str, Any] = {"TableName": aws.settings().table_name, "ConsistentRead": True}
    while True:
        page = client.scan(**args)
        items.update({(i["pk"]["S"], i["sk"]["S"]): i for i in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return items
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _restore(baseline: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Put the table back as it was: whatever a test added is deleted, whatever it changed is rewritten."""
    current = _raw_items()
    writes: list[dict[str, Any]] = [
        {"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
        for pk, sk in current
        if (pk, sk) not in baseline
    ]
    writes += [{"PutRequest": {"Item": item}} for key, item in baseline.items() if current.get(key) != item]
    for i in range(0, len(writes), 25):
        aws.dynamodb().batch_write_item(RequestItems={aws.settings().table_name: writes[i : i + 25]})  # type: ignore[dict-item]


WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@dataclass
class _Shared:
    world: World
    baseline: dict[tuple[str, str], dict[str, Any]]
    written: bool = False


@pytest.fixture(scope="module", name="shared_world")
def _shared_world_fixture() -> Iterator[_Shared]:
    """The `practice` fixture with a World in it, made once per module: a moto table and a World
    cost about half a second, and a module of a hundred tests cannot afford one each."""
    from moto import mock_aws

    serialize_moto_writes()
    with mock_aws():
        aws.reset()
        aws.dynamodb().create_table(**create_table_request(aws.settings().table_name))
        offer_key()
        aws.store().update_config(lambda _: demo.config())
        add_client("client-a", CLIENT_A["sub"], CLIENT_A["email"], "Ada")
        add_client("client-b", CLIENT_B["sub"], CLIENT_B["email"], "Grace")
        shared = _Shared(build_world(), _raw_items())

        def note_writes(model: Any, **_: Any) -> None:
            if model.name in WRITES:
                shared.written = True

        aws.dynamodb().meta.events.register("before-call.dynamodb", note_writes)
        yield shared
        aws.reset()


@pytest.fixture(name="world")
def _world_fixture(shared_world: _Shared) -> World:
    """A World as `build_world` leaves it, put back before each test that follows a write, so that
    tests do not see each other. A test module imports both fixtures from here to use them."""
    if shared_world.written:
        _restore(shared_world.baseline)
        shared_world.written = False
    return shared_world.world


@dataclass(frozen=True)
class Example:
    path: str
    body: Any = None
    query: dict[str, str] | None = None


def _clinician_chen() -> dict[str, Any]:
    return {
        "name": "Mei Chen, LMFT",
        "appointmentTypeIds": ["session"],
        "hours": {"monday": [{"start": "08:00", "end": "12:00"}]},
    }


# One call per route that the route's own users may make successfully in a World.
EXAMPLES: dict[tuple[str, str], Callable[[World], Example]] = {
    ("GET", "/portal"): lambda w: Example("/portal"),
    ("GET", "/clinicians"): lambda w: Example("/clinicians", query={"clientType": "new"}),
    ("GET", "/availability"): lambda w: Example(
        "/availability", query={"clientType": "new", "from": w.day.isoformat(), "to": w.day.isoformat()}
    ),
    ("POST", "/requests"): lambda w: Example(
        "/requests", new_request(at(w.day, 15), clinician="c-okafor", **STRANGER)
    ),
    ("POST", "/me/requests"): lambda w: Example(
        "/me/requests", {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(w.day, 11)}
    ),
    ("GET", "/me/appointments"): lambda w: Example("/me/appointments"),
    ("POST", "/me/appointments/{id}/reschedule"): lambda w: Example(
        f"/me/appointments/{w.appointment_a}/reschedule", {"start": at(w.day, 16)}
    ),
    ("POST", "/me/appointments/{id}/cancel"): lambda w: Example(
        f"/me/appointments/{w.appointment_a}/cancel", {"reason": "Feeling better"}
    ),
    ("GET", "/staff/requests"): lambda w: Example("/staff/requests"),
    ("POST", "/staff/requests/{id}/approve"): lambda w: Example(
        f"/staff/requests/{w.pending_a}/approve", {"note": "See you then"}
    ),
    ("POST", "/staff/requests/{id}/deny"): lambda w: Example(
        f"/staff/requests/{w.pending_a}/deny", {"note": "Fully booked"}
    ),
    ("POST", "/staff/requests/{id}/resend"): lambda w: Example(f"/staff/requests/{w.not_sent}/resend"),
    ("GET", "/staff/appointments"): lambda w: Example(
        "/staff/appointments", query={"from": w.day.isoformat(), "to": w.day.isoformat()}
    ),
    ("POST", "/staff/appointments"): lambda w: Example(
        "/staff/appointments",
        {
            "clientId": "client-b",
            "clinicianId": "c-okafor",
            "appointmentTypeId": "session",
            "start": at(w.day, 8),
        },
    ),
    ("POST", "/staff/appointments/{id}/reschedule"): lambda w: Example(
        f"/staff/appointments/{w.appointment_a}/reschedule", {"start": at(w.day, 16), "note": "Moved"}
    ),
    ("POST", "/staff/appointments/{id}/cancel"): lambda w: Example(
        f"/staff/appointments/{w.appointment_a}/cancel", {"note": "The clinician is ill"}
    ),
    ("GET", "/staff/settings"): lambda w: Example("/staff/settings"),
    ("PATCH", "/staff/settings"): lambda w: Example(
        "/staff/settings",
        {
            "practice": {"phone": "+1 617 555 0123"},
            "scheduling": {"horizonDays": 90, "changeCutoffHours": 24},
            "reminders": {"hoursBefore": [48, 2]},
        },
    ),
    ("GET", "/staff/appointment-types"): lambda w: Example("/staff/appointment-types"),
    ("PUT", "/staff/appointment-types/{id}"): lambda w: Example(
        "/staff/appointment-types/intake",
        {"name": "Therapy Intake", "durationMinutes": 60, "clientType": "new"},
    ),
    ("GET", "/staff/clinicians"): lambda w: Example("/staff/clinicians"),
    ("PUT", "/staff/clinicians/{id}"): lambda w: Example("/staff/clinicians/c-chen", _clinician_chen()),
    ("POST", "/staff/clinicians/{id}/time-off"): lambda w: Example(
        "/staff/clinicians/c-okafor/time-off", {"start": at(w.day, 8), "end": at(w.day, 12)}
    ),
    ("DELETE", "/staff/clinicians/{id}/time-off/{entryId}"): lambda w: Example(
        "/staff/clinicians/c-okafor/time-off/off-1"
    ),
    ("GET", "/staff/clients"): lambda w: Example("/staff/clients"),
    ("POST", "/staff/clients"): lambda w: Example(
        "/staff/clients",
        {
            "firstName": "Katherine",
            "lastName": "Johnson",
            "dateOfBirth": "1978-08-26",
            "email": "kj@example.org",
            "mobilePhone": "+1 757 555 0142",
        },
    ),
    # Client A has an account already, so the invitation answers without calling Cognito.
    ("POST", "/staff/clients/{id}/invite"): lambda w: Example("/staff/clients/client-a/invite"),
    ("GET", "/offers/{token}"): lambda w: Example(f"/offers/{w.offer_token}"),
    ("POST", "/offers/{token}/accept"): lambda w: Example(
        f"/offers/{w.offer_token}/accept", {"start": at(w.day, 13)}
    ),
    ("GET", "/openapi.json"): lambda w: Example("/openapi.json"),
    # (v2) the waitlist
    ("POST", "/waitlist"): lambda w: Example(
        "/waitlist", waitlist_entry(w.day, **{**STRANGER, "email": "waiting@example.org"})
    ),
    ("POST", "/me/waitlist"): lambda w: Example(
        "/me/waitlist",
        {
            "appointmentTypeId": "session",
            "clinicianId": "c-okafor",
            "from": w.day.isoformat(),
            "to": w.day.isoformat(),
        },
    ),
    ("GET", "/waitlist/{token}"): lambda w: Example(f"/waitlist/{w.waitlist_token}"),
    ("GET", "/staff/waitlist"): lambda w: Example("/staff/waitlist"),
    ("DELETE", "/staff/waitlist/{id}"): lambda w: Example(f"/staff/waitlist/{w.waitlist_entry}"),
}


def example(route: Route, world: World) -> Example:
    return EXAMPLES[(route.method, route.path)](world)


def expected(route: Route, who: Who) -> tuple[int, str | None]:
    """The status and error code the contract gives a caller for a route's valid example call."""
    if route.access is Access.PUBLIC:
        return route.status, None
    if who is ANONYMOUS:
        return 401, "unauthorized"
    if route.access is Access.STAFF:
        return (route.status, None) if who is STAFF else (403, "forbidden")
    if route.method == "GET":
        return 200, None
    if who is STAFF or who is UNLINKED:
        return 403, "not_a_client"
    if who is CLIENT_B and "{id}" in route.path:
        return 404, "appointment_not_found"
    return route.status, None


# ---- answers ------------------------------------------------------------------------------------


def text_of(answer: Answer) -> str:
    return json.dumps(answer.body, ensure_ascii=False) + json.dumps(dict(answer.headers), ensure_ascii=False)


def leaked(answer: Answer, values: Iterator[str] | tuple[str, ...] | list[str]) -> list[str]:
    """The values found in an answer's body or headers (names as whole words)."""
    text = text_of(answer)
    return [v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text)]


def personal_values(payload: Any) -> list[str]:
    """The personal and free-text values a payload carries, long enough to be recognised if echoed;
    read from the text when the payload is not valid JSON."""
    names = ECHO_FIELDS + FREE_TEXT_FIELDS
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError):
            pairs = re.findall(r'"(\w+)"\s*:\s*"([^"]*)"', payload)
            return [value for name, value in pairs if name in names and len(value.strip()) >= 3]
    found: list[str] = []
    if isinstance(payload, dict):
        for name in names:
            value = payload.get(name)
            if value is not None and len(str(value).strip()) >= 3:
                found.append(str(value))
        for part in ("practice", "client"):
            found += personal_values(payload.get(part))
    return found


def assert_error(answer: Answer, status: int, code: str | None = None, field: str | None = None) -> None:
    """The contract's error body: {"error": {"code", "message", "fields"?}}, fields only for a 422."""
    assert answer.status == status, (answer.status, answer.body)
    assert isinstance(answer.body, dict), answer.body
    assert set(answer.body) == {"error"}, answer.body
    error = answer.body["error"]
    assert set(error) <= {"code", "message", "fields"}, error
    assert isinstance(error["code"], str), error
    assert isinstance(error["message"], str), error
    assert error["code"], error
    assert error["message"], error
    if code is not None:
        assert error["code"] == code, error
    if status == 422:
        assert error.get("fields"), error
        for item in error["fields"]:
            assert set(item) == {"field", "message"}, item
            assert item["message"], item
        if field is not None:
            assert field in [f["field"] for f in error["fields"]], error
    else:
        assert "fields" not in error, error


# ---- DynamoDB calls ------------------------------------------------------------------------------


@dataclass
class Calls:
    names: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.names)


@contextmanager
def dynamodb_calls() -> Iterator[Calls]:
    """Every DynamoDB API call the code under test makes in the block, by operation name."""
    calls = Calls()

    def count(model: Any, **_: Any) -> None:
        calls.names.append(model.name)

    events = aws.dynamodb().meta.events
    events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", count)


# ---- races --------------------------------------------------------------------------------------

_parsing = threading.Lock()


def call_in_container(
    method: str,
    path: str,
    body: Any = None,
    *,
    who: Who = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """`call`, but on a handler of its own, as a separate Lambda execution environment would run it."""
    matched = match(method, path)
    assert matched is not None, f"no route for {method} {path}"
    function = matched[0].function
    module = importlib.import_module(FUNCTIONS[function])
    handler = lambda_handler(module.__name__, function)
    event = proxy_event(method, path, body=body, query=query, headers=headers, claims=who)
    result = handler(event, LocalContext(function))
    text = result.get("body")
    return Answer(result["statusCode"], json.loads(text) if text else None, result.get("headers") or {})


def race(calls: Sequence[Callable[[], Answer]], *, all_read_before_any_write: bool = True) -> list[Answer]:
    """Run calls at the same time, one thread each, and return their answers in order.

    In Lambda each concurrent call has its own execution environment; in one process Powertools keeps
    the event being parsed on a class attribute, so each call parses its event alone and the calls run
    freely from their first DynamoDB call on. With `all_read_before_any_write`, every call has read
    before any writes: the worst interleaving, in which every call saw the slot free."""
    parties = len(calls)
    meet = threading.Barrier(parties)
    local = threading.local()

    def before_call(model: Any, **_: Any) -> None:
        if getattr(local, "parsing", False):
            local.parsing = False
            _parsing.release()
        if not all_read_before_any_write or model.name != "TransactWriteItems":
            return
        if not getattr(local, "met", True):
            local.met = True
            # A call that never writes (a refusal) breaks the barrier: the others go on.
            with suppress(threading.BrokenBarrierError):
                meet.wait(timeout=10)

    def run(thunk: Callable[[], Answer]) -> Answer:
        _parsing.acquire()
        local.parsing, local.met = True, False
        try:
            return thunk()
        finally:
            if local.parsing:
                local.parsing = False
                _parsing.release()

    for module in FUNCTIONS.values():
        importlib.import_module(module)
    events = aws.dynamodb().meta.events
    events.register("before-call.dynamodb", before_call)
    try:
        with ThreadPoolExecutor(max_workers=parties) as pool:
            return list(pool.map(run, calls))
    finally:
        events.unregister("before-call.dynamodb", before_call)

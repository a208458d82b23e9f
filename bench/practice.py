"""The practice the benchmark runs on: the environment, tables, the demo configuration, clients,
free slots handed out one at a time, calls to the handlers, and seeded appointments."""

from __future__ import annotations

import importlib
import itertools
import os
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")

# As tests/conftest.py: never real AWS, whatever the machine's profile says.
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "TABLE_NAME": "portal-bench",
    "USER_POOL_ID": "us-east-1_PortalClients",
    "STAFF_USER_POOL_ID": "us-east-1_PortalStaff",
}
# Tokens' issuers: clients' from the clients' user pool, staff's from the staff's.
_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/"
CLIENTS, STAFF_POOL = _ISSUER + ENV["USER_POOL_ID"], _ISSUER + ENV["STAFF_USER_POOL_ID"]

CLIENT_A = {"sub": "sub-client-a", "iss": CLIENTS, "email": "ada@example.com"}
CLIENT_B = {"sub": "sub-client-b", "iss": CLIENTS, "email": "grace@example.com"}
CLIENT_C = {"sub": "sub-client-c", "iss": CLIENTS, "email": "katherine@example.com"}
STAFF = {"sub": "sub-staff", "iss": STAFF_POOL, "email": "staff@demo.test", "cognito:groups": "staff"}
NEW_CLIENT = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "dateOfBirth": "1990-04-01",
    "email": "ada@example.com",
    "mobilePhone": "+1 617 555 0100",
}
HORIZON_DAYS = 365  # the demo's 60 days hold too few free slots for ~1,500 fresh requests


def use_environment() -> None:
    os.environ.update(ENV)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)


def use_table(name: str) -> None:
    """Point the handlers at another table: settings and clients are made again on next use."""
    from functions import aws

    os.environ["TABLE_NAME"] = name
    aws.reset()


def create_table(name: str) -> None:
    from functions import aws
    from functions.store.schema import create_table_request

    use_table(name)
    aws.dynamodb().create_table(**create_table_request(name))


def configure_practice() -> Any:
    """The contract's demo practice, with a longer booking horizon."""
    from functions import aws, demo

    config = demo.config()
    config = config.model_copy(
        update={"scheduling": config.scheduling.model_copy(update={"horizonDays": HORIZON_DAYS})}
    )
    return aws.store().update_config(lambda _: config)


def add_client(client_id: str, sub: str | None, email: str, first: str) -> None:
    from functions import aws
    from functions.scheduling.lifecycle import ClientRecord

    store = aws.store()
    record = ClientRecord(
        id=client_id,
        firstName=first,
        lastName="Hopper",
        dateOfBirth=date(1985, 12, 9),
        email=email,
        mobilePhone="+16175550101",
        createdAt=datetime.now(UTC),
    )
    store.create_client(record)
    if sub:
        store.link_user(record, sub)


def local_iso(instant: datetime) -> str:
    return instant.astimezone(NY).isoformat()


_people = itertools.count()


def new_request(start: datetime, clinician: str) -> dict[str, Any]:
    """A request made without signing in, each by another person: one email address or phone
    number may have only two requests awaiting review (409 too_many_pending)."""
    n = next(_people)
    return {
        "clientType": "new",
        "clinicianId": clinician,
        "appointmentTypeId": "intake",
        "start": local_iso(start),
        **NEW_CLIENT,
        "email": f"client.{n}@example.com",
        "mobilePhone": f"+1 617 {200 + n // 10_000:03d} {n % 10_000:04d}",
    }


def session(start: datetime, clinician: str) -> dict[str, Any]:
    return {"clinicianId": clinician, "appointmentTypeId": "session", "start": local_iso(start)}


# ---- calling the handlers -------------------------------------------------------------------------


@dataclass
class Prepared:
    """One invocation, built before the clock starts: the handler, its event and context."""

    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    event: dict[str, Any]
    context: Any
    status: int


def prepare(
    method: str,
    path: str,
    body: Any = None,
    *,
    who: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
    idempotent: bool = False,
) -> Prepared:
    from functions.api.gateway import LocalContext, match, proxy_event
    from functions.api.routes import FUNCTIONS

    matched = match(method, path)
    assert matched is not None, f"no route for {method} {path}"
    route = matched[0]
    module = importlib.import_module(FUNCTIONS[route.function])
    headers = {"Idempotency-Key": uuid.uuid4().hex} if idempotent else None
    event = proxy_event(method, path, body=body, query=query, headers=headers, claims=who)
    return Prepared(module.handler, event, LocalContext(route.function), route.status)


def call(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Call a handler outside any measurement (to prepare data); fails unless it succeeds."""
    import json

    prepared = prepare(method, path, body, **kwargs)
    result = prepared.handler(prepared.event, prepared.context)
    answer = json.loads(result["body"]) if result.get("body") else None
    assert result["statusCode"] == prepared.status, (method, path, result["statusCode"], answer)
    return cast(dict[str, Any], answer)


# ---- free slots -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    clinician_id: str
    start: datetime


class Slots:
    """Offered starts (by the product's own rules) from two days ahead to the horizon, each handed
    out once, earliest first, so that every request made by the benchmark is for a free time."""

    def __init__(self, config: Any, first: date, last: date) -> None:
        from functions.scheduling.slots import open_slots

        now = datetime.now(UTC)
        self._free: dict[tuple[str, str], list[Slot]] = {}
        for client_type, type_id in (("new", "intake"), ("existing", "session")):
            for s in open_slots(config, client_type, first, last, now, (), None, type_id):  # type: ignore[arg-type]
                self._free.setdefault((type_id, s.clinician_id), []).append(Slot(s.clinician_id, s.start))
        for slots in self._free.values():
            slots.reverse()  # pop() takes the earliest
        self._used: set[tuple[str, datetime]] = set()

    def take(self, type_id: str, clinician_id: str | None = None) -> Slot:
        best: tuple[str, str] | None = None
        for key, slots in self._free.items():
            if key[0] != type_id or (clinician_id is not None and key[1] != clinician_id):
                continue
            while slots and (slots[-1].clinician_id, slots[-1].start) in self._used:
                slots.pop()
            if slots and (best is None or slots[-1].start < self._free[best][-1].start):
                best = key
        if best is None:
            raise RuntimeError(f"no free {type_id} slot left")
        slot = self._free[best].pop()
        self._used.add((slot.clinician_id, slot.start))
        return slot


# ---- seeded appointments ----------------------------------------------------------------------------


def _moto_backend() -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# What item_at writes afresh for every seeded appointment; the rest is its template's.
_PER_ITEM = frozenset({"pk", "sk", "id", "start", "end", "createdAt", "gsi2sk", "gsi3sk", "gsi4sk"})


class Seeder:
    """Confirmed appointments in the store's own item format (functions.store.table
    `_appointment_item`, key `keys.appointment`), holding time in gsi2, at random 15-minute
    starts within the clinicians' working hours, uniformly over the year around today."""

    def __init__(self, config: Any, seed: int = 2026) -> None:
        from functions.scheduling.config import GRID_MINUTES

        self.config = config
        self.rng = random.Random(seed)  # noqa: S311 (test data, reproducible)
        today = datetime.now(NY).date()
        self.first_day = today - timedelta(days=182)
        self.days = 365
        zone = config.zone
        self.candidates: list[tuple[str, str, datetime, datetime]] = []
        step = timedelta(minutes=GRID_MINUTES)
        for offset in range(self.days):
            day = self.first_day + timedelta(days=offset)
            for clinician in config.clinicians.values():
                for type_id in clinician.appointmentTypeIds:
                    length = timedelta(minutes=config.appointmentTypes[type_id].durationMinutes)
                    for window_start, window_end in clinician.working_windows(day, zone):
                        start = window_start
                        while start + length <= window_end:
                            self.candidates.append((clinician.id, type_id, start, start + length))
                            start += step
        self._templates: dict[tuple[str, str], dict[str, Any]] = {}

    def _real_item(
        self, appointment_id: str, clinician: str, type_id: str, start: datetime, end: datetime
    ) -> Any:
        from functions.scheduling.lifecycle import Appointment, ClientDetails
        from functions.store import keys
        from functions.store.table import _appointment_item, _item

        appointment = Appointment(
            id=appointment_id,
            status="confirmed",
            clinicianId=clinician,
            appointmentTypeId=type_id,
            start=start,
            end=end,
            client=ClientDetails(
                firstName="Grace",
                lastName="Hopper",
                dateOfBirth=date(1985, 12, 9),
                email="grace.hopper@example.org",
                mobilePhone="+16175550101",
            ),
            newClient=type_id == "intake",
            createdAt=start - timedelta(days=14),
        )
        return {**keys.appointment(appointment_id), **_item(_appointment_item(appointment))}

    def item(self, past: bool = False) -> dict[str, Any]:
        """One appointment; `past` moves it back by 1 to 20 years (whole weeks): history."""
        clinician, type_id, start, end = self.rng.choice(self.candidates)
        if past:
            back = timedelta(weeks=self.rng.randint(53, 1040))
            start, end = start - back, end - back
        return self.item_at(clinician, type_id, start, end)

    def item_at(self, clinician: str, type_id: str, start: datetime, end: datetime) -> dict[str, Any]:
        from functions.store import keys

        appointment_id = uuid.UUID(int=self.rng.getrandbits(128)).hex
        template = self._templates.get((clinician, type_id))
        if template is None:
            made: dict[str, Any] = self._real_item(appointment_id, clinician, type_id, start, end)
            self._templates[(clinician, type_id)] = made
            return made
        item = dict(template)
        item.update(
            {
                **keys.appointment(appointment_id),
                "id": {"S": appointment_id},
                "start": {"S": _iso(start)},
                "end": {"S": _iso(end)},
                "createdAt": {"S": _iso(start - timedelta(days=14))},
                "gsi2sk": {"S": keys.busy_sort(start, end, clinician)},
                "gsi3sk": {"S": keys.calendar_sort(start, appointment_id)},
                "gsi4sk": {"S": keys.calendar_sort(start, appointment_id)},
            }
        )
        return item

    def check_format(self) -> None:
        """The fast copies equal what the store itself writes."""
        for _ in range(20):
            made = self.item()
            clinician = made["clinicianId"]["S"]
            type_id = made["appointmentTypeId"]["S"]
            start = datetime.fromisoformat(made["start"]["S"])
            end = datetime.fromisoformat(made["end"]["S"])
            assert made == self._real_item(made["id"]["S"], clinician, type_id, start, end), made

    def book_every_slot(self, table: str, first: date, last: date) -> int:
        """A session at every start the portal offers from `first` to `last`, each clinician's
        holds side by side and clear of those already held (the fullest calendar the claims allow
        at these starts); written through moto's put_item. Returns how many."""
        from functions import aws
        from functions.scheduling.slots import open_slots

        zone = self.config.zone
        held = aws.store().busy(
            datetime.combine(first, datetime.min.time(), tzinfo=zone),
            datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone),
        )
        backend = _moto_backend()
        moto_table = backend.get_table(table)
        shard, moto_table.stream_shard = moto_table.stream_shard, None
        now = datetime.combine(first - timedelta(days=3), datetime.min.time(), tzinfo=UTC)
        made = 0
        try:
            for slot in open_slots(self.config, "existing", first, last, now, held, None, "session"):
                backend.put_item(table, self.item_at(slot.clinician_id, "session", slot.start, slot.end))
                made += 1
        finally:
            moto_table.stream_shard = shard
        return made

    def seed(self, table: str, count: int, past: bool = False) -> None:
        """Write `count` appointments into moto's backend. The first 25 go through its put_item
        (as BatchWriteItem does); the rest straight into the table's storage, built as moto
        builds an item but without its per-attribute size re-validation, which costs 0.4 ms an
        item. The table's stream is detached meanwhile: seeded items are no events."""
        from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

        from . import motopatch

        backend = _moto_backend()
        moto_table = backend.get_table(table)
        shard, moto_table.stream_shard = moto_table.stream_shard, None
        try:
            for _ in range(min(25, count)):
                backend.put_item(table, self.item(past))
            # An attribute every item copies unchanged from its template (the client, the status,
            # ...) is one DynamoType shared by those items: nothing changes a seeded item in place.
            shared: dict[tuple[str, int], Any] = {}
            for _ in range(count - 25):
                values = self.item(past)
                item: Any = Item.__new__(Item)
                item.hash_key = DynamoType(values["pk"])
                item.range_key = DynamoType(values["sk"])
                attrs = LimitedSizeDict.__new__(LimitedSizeDict)
                dict.__init__(attrs)
                for name, value in values.items():
                    typed: Any
                    if name in _PER_ITEM:
                        typed = DynamoType(value)
                    elif (typed := shared.get((name, id(value)))) is None:
                        typed = shared[(name, id(value))] = DynamoType(value)
                    dict.__setitem__(attrs, name, typed)
                item.attrs = attrs
                moto_table.items[item.hash_key][item.range_key] = item
        finally:
            moto_table.stream_shard = shard
            motopatch.invalidate()
        probe = self.item()
        built = moto_table.items[item.hash_key][item.range_key] if count > 25 else None
        assert built is None or built == Item(built.hash_key, built.range_key, built.to_json()["Attributes"])
        assert Item(DynamoType(probe["pk"]), DynamoType(probe["sk"]), probe).size() > 0

    def in_range(self, first: datetime, last: datetime) -> float:
        """The share of candidates (so of seeded appointments) that hold time in [first, last)."""
        held = sum(1 for _, _, s, e in self.candidates if e > first and s < last)
        return held / len(self.candidates)

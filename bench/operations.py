"""The API operations measured, each with fresh data per invocation, prepared before timing.

The practice: the demo configuration (horizon 365 days), clients A, B and C linked to their
accounts, 1,000 confirmed appointments seeded over the year around today, client A with three
confirmed appointments and a pending request, and 20 requests awaiting review. Reads run first,
on that state; then the changes, each on data made for it: a free slot per request, a confirmed
appointment per reschedule or cancellation, a pending request per approval or denial. Every POST
carries a fresh Idempotency-Key, as the portal sends one with every POST.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .practice import (
    CLIENT_A,
    CLIENT_B,
    CLIENT_C,
    HORIZON_DAYS,
    NY,
    STAFF,
    Prepared,
    Seeder,
    Slots,
    add_client,
    call,
    configure_practice,
    create_table,
    local_iso,
    new_request,
    prepare,
    session,
)

TABLE = "portal-bench"
SEEDED = 1_000
QUEUE = 20


@dataclass
class World:
    config: Any
    slots: Slots
    first: date  # the availability range: 31 days from here

    @property
    def range(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": (self.first + timedelta(days=30)).isoformat()}


def availability_start() -> date:
    """The first Monday at least a week away, as a client would look."""
    today = datetime.now(NY).date()
    return today + timedelta(days=(0 - today.weekday()) % 7 + 7)


def build() -> World:
    create_table(TABLE)
    config = configure_practice()
    add_client("client-a", CLIENT_A["sub"], CLIENT_A["email"], "Ada")
    add_client("client-b", CLIENT_B["sub"], CLIENT_B["email"], "Grace")
    add_client("client-c", CLIENT_C["sub"], CLIENT_C["email"], "Katherine")
    seeder = Seeder(config)
    seeder.check_format()
    seeder.seed(TABLE, SEEDED)
    today = datetime.now(NY).date()
    world = World(
        config,
        Slots(config, today + timedelta(days=2), today + timedelta(days=HORIZON_DAYS - 3)),
        availability_start(),
    )
    for _ in range(3):
        confirmed(world, CLIENT_A)
    slot = world.slots.take("session")
    call("POST", "/me/requests", session(slot.start, slot.clinician_id), who=CLIENT_A, idempotent=True)
    for _ in range(QUEUE):
        pending(world)
    return world


def confirmed(world: World, who: dict[str, str]) -> tuple[str, str]:
    """A signed-in client's session, approved by staff: (appointment id, clinician id)."""
    slot = world.slots.take("session")
    made = call("POST", "/me/requests", session(slot.start, slot.clinician_id), who=who, idempotent=True)
    call("POST", f"/staff/requests/{made['request']['id']}/approve", {}, who=STAFF, idempotent=True)
    return made["request"]["appointmentId"], slot.clinician_id


def pending(world: World) -> str:
    """A new client's request awaiting review: its id."""
    slot = world.slots.take("intake")
    made = call("POST", "/requests", new_request(slot.start, slot.clinician_id), idempotent=True)
    return str(made["request"]["id"])


@dataclass(frozen=True)
class Operation:
    name: str
    prepare: Callable[[World, int], list[Prepared]]
    after: Callable[[World], None] | None = None


def _same(method: str, path: str, **kwargs: Any) -> Callable[[World, int], list[Prepared]]:
    return lambda world, n: [prepare(method, path, **kwargs) for _ in range(n)]


def _availability(world: World, n: int, **more: str) -> list[Prepared]:
    query = {"clientType": "existing", **world.range, **more}
    return [prepare("GET", "/availability", query=query) for _ in range(n)]


def _letters(n: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "ba": a practice name may not hold digits."""
    text = ""
    while True:
        n, digit = divmod(n, 26)
        text = chr(ord("a") + digit) + text
        if not n:
            return text


def _settings(world: World, n: int) -> list[Prepared]:
    return [
        prepare(
            "PATCH", "/staff/settings", {"practice": {"name": f"Demo Counseling {_letters(i)}"}}, who=STAFF
        )
        for i in range(n)
    ]


def _restore_name(world: World) -> None:
    call("PATCH", "/staff/settings", {"practice": {"name": "Demo Counseling"}}, who=STAFF)


def _requests(world: World, n: int) -> list[Prepared]:
    prepared = []
    for _ in range(n):
        slot = world.slots.take("intake")
        prepared.append(
            prepare("POST", "/requests", new_request(slot.start, slot.clinician_id), idempotent=True)
        )
    return prepared


def _my_requests(world: World, n: int) -> list[Prepared]:
    prepared = []
    for _ in range(n):
        slot = world.slots.take("session")
        body = session(slot.start, slot.clinician_id)
        prepared.append(prepare("POST", "/me/requests", body, who=CLIENT_B, idempotent=True))
    return prepared


def _moves(base: str, who: Mapping[str, Any]) -> Callable[[World, int], list[Prepared]]:
    """Client C's confirmed appointments moved by `who` through `{base}/{id}/reschedule`, each to
    another time of its clinician."""

    def made(world: World, n: int) -> list[Prepared]:
        prepared = []
        for _ in range(n):
            appointment, clinician = confirmed(world, CLIENT_C)
            target = world.slots.take("session", clinician)
            path = f"{base}/{appointment}/reschedule"
            prepared.append(
                prepare("POST", path, {"start": local_iso(target.start)}, who=who, idempotent=True)
            )
        return prepared

    return made


def _cancellations(
    base: str, body: dict[str, str], who: Mapping[str, Any]
) -> Callable[[World, int], list[Prepared]]:
    """Client C's confirmed appointments cancelled by `who` through `{base}/{id}/cancel`."""

    def made(world: World, n: int) -> list[Prepared]:
        prepared = []
        for _ in range(n):
            appointment, _ = confirmed(world, CLIENT_C)
            path = f"{base}/{appointment}/cancel"
            prepared.append(prepare("POST", path, body, who=who, idempotent=True))
        return prepared

    return made


def _decisions(decision: str) -> Callable[[World, int], list[Prepared]]:
    def made(world: World, n: int) -> list[Prepared]:
        ids = [pending(world) for _ in range(n)]
        return [
            prepare("POST", f"/staff/requests/{rid}/{decision}", {}, who=STAFF, idempotent=True)
            for rid in ids
        ]

    return made


def _bookings(world: World, n: int) -> list[Prepared]:
    prepared = []
    for _ in range(n):
        slot = world.slots.take("session")
        body = {
            "clientId": "client-b",
            "clinicianId": slot.clinician_id,
            "appointmentTypeId": "session",
            "start": local_iso(slot.start),
        }
        prepared.append(prepare("POST", "/staff/appointments", body, who=STAFF, idempotent=True))
    return prepared


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET /portal", _same("GET", "/portal")),
    Operation("GET /clinicians", _same("GET", "/clinicians", query={"clientType": "new"})),
    Operation(
        "GET /availability, one clinician, 31 days",
        lambda world, n: _availability(world, n, clinicianId="c-okafor"),
    ),
    Operation("GET /availability, any clinician, 31 days", _availability),
    Operation("GET /me/appointments", _same("GET", "/me/appointments", who=CLIENT_A)),
    Operation("GET /staff/requests", _same("GET", "/staff/requests", who=STAFF)),
    Operation("PATCH /staff/settings", _settings, _restore_name),
    Operation("POST /requests", _requests),
    Operation("POST /me/requests", _my_requests),
    Operation("POST /me/appointments/{id}/reschedule", _moves("/me/appointments", CLIENT_C)),
    Operation(
        "POST /me/appointments/{id}/cancel",
        _cancellations("/me/appointments", {"reason": "Feeling better"}, CLIENT_C),
    ),
    Operation("POST /staff/requests/{id}/approve", _decisions("approve")),
    Operation("POST /staff/requests/{id}/deny", _decisions("deny")),
    Operation(
        "GET /staff/appointments, 31 days",
        lambda world, n: [
            prepare("GET", "/staff/appointments", query=world.range, who=STAFF) for _ in range(n)
        ],
    ),
    Operation("POST /staff/appointments", _bookings),
    Operation("POST /staff/appointments/{id}/reschedule", _moves("/staff/appointments", STAFF)),
    Operation(
        "POST /staff/appointments/{id}/cancel",
        _cancellations("/staff/appointments", {"note": "The clinician is ill"}, STAFF),
    ),
)

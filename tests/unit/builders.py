"""Small builders for the pure scheduling tests: a practice in America/New_York, clinicians with
weekly hours, appointment types, client details and appointments/requests in a given state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.scheduling.config import (
    WEEKDAYS,
    AppointmentType,
    Clinician,
    Interval,
    Practice,
    PracticeConfig,
    Scheduling,
    TimeOff,
)
from functions.scheduling.lifecycle import Appointment, ClientDetails, Request
from functions.scheduling.slots import Slot

NY = ZoneInfo("America/New_York")

# Monday 2 March 2026, 12:00 UTC (07:00 in New York, EST): a week before the spring-forward change.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

INTAKE = AppointmentType(id="intake", name="Therapy Intake", durationMinutes=60, clientType="new")
SESSION = AppointmentType(id="session", name="Therapy Session", durationMinutes=50, clientType="existing")


def ny(day: date, hh: int, mm: int = 0, *, fold: int = 0) -> datetime:
    """A New York wall time as an aware instant (fold=1 picks the second of a repeated time)."""
    return datetime.combine(day, time(hh, mm), tzinfo=NY).replace(fold=fold)


def utc(year: int, month: int, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(year, month, day, hh, mm, tzinfo=UTC)


def hours(*spans: tuple[str, str], days: Iterable[str] = WEEKDAYS) -> dict[str, list[Interval]]:
    """The same working intervals on each of `days` (every day of the week by default)."""
    return {day: [Interval(start=s, end=e) for s, e in spans] for day in days}


def clinician(
    cid: str = "c-a",
    name: str = "Alex Adams",
    *,
    types: Sequence[str] = ("intake", "session"),
    work: dict[str, list[Interval]] | None = None,
    time_off: Sequence[tuple[datetime, datetime]] = (),
    shown: bool = True,
) -> Clinician:
    return Clinician(
        id=cid,
        name=name,
        shownInPortal=shown,
        appointmentTypeIds=list(types),
        hours=hours(("09:00", "17:00")) if work is None else work,
        timeOff=[TimeOff(id=f"off-{i}", start=s, end=e) for i, (s, e) in enumerate(time_off)],
    )


def practice(
    *clinicians: Clinician,
    types: Sequence[AppointmentType] = (INTAKE, SESSION),
    **scheduling: Any,
) -> PracticeConfig:
    """A New York practice; scheduling settings default to no minimum notice, a long horizon
    and hourly starts, and any of them can be overridden by keyword."""
    settings: dict[str, Any] = {"minimumNoticeHours": 0, "horizonDays": 365, "slotIntervalMinutes": 60}
    settings.update(scheduling)
    return PracticeConfig(
        practice=Practice(timeZone="America/New_York"),
        scheduling=Scheduling(**settings),
        appointmentTypes={t.id: t for t in types},
        clinicians={c.id: c for c in (clinicians or (clinician(),))},
    )


def local_starts(slots: Iterable[Slot]) -> list[str]:
    """Slot starts as New York ISO strings, offset included: '2026-03-08T01:00:00-05:00'."""
    return [s.start.astimezone(NY).isoformat() for s in slots]


def utc_hours(slots: Iterable[Slot]) -> list[int]:
    return [s.start.astimezone(UTC).hour for s in slots]


def client() -> ClientDetails:
    return ClientDetails(
        firstName="Jo",
        lastName="Client",
        dateOfBirth=date(1990, 1, 2),
        email="jo@example.test",
        mobilePhone="+15555550100",
    )


def confirmed(
    start: datetime,
    *,
    minutes: int = 50,
    clinician_id: str = "c-a",
    type_id: str = "session",
    appointment_id: str = "a1",
    sequence: int = 0,
    requests: int = 1,
    version: int = 3,
) -> Appointment:
    """A confirmed appointment with no pending request."""
    return Appointment(
        id=appointment_id,
        status="confirmed",
        clinicianId=clinician_id,
        appointmentTypeId=type_id,
        start=start,
        end=start + timedelta(minutes=minutes),
        client=client(),
        newClient=type_id == "intake",
        clientId="cl-1",
        sequence=sequence,
        requests=requests,
        version=version,
        createdAt=NOW - timedelta(days=30),
    )


def decided(request: Request, status: str = "approved") -> Request:
    return request.model_copy(update={"status": status})

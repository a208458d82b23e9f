"""Records as the contract shows them: instants in the practice's time zone with their offset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from operator import itemgetter

from functions.scheduling.config import PracticeConfig
from functions.scheduling.fast_slots import Run
from functions.scheduling.lifecycle import Appointment, CalendarEntry, Request, can_cancel, can_reschedule
from functions.scheduling.waitlist import WaitlistEntry

from .models import (
    AppointmentOut,
    AvailabilityOut,
    ClientOut,
    MyAppointmentOut,
    RequestOut,
    SlotOut,
    StaffAppointmentOut,
    StaffRequestOut,
    StaffWaitlistEntryOut,
    WaitlistEntryOut,
)


def instant(config: PracticeConfig, value: datetime) -> str:
    return config.local(value).isoformat()


# A slot as availability writes it: (start, rank, type id, length, its JSON); sorted, the first
# four give the reference's order (by start, then clinician name).
Written = tuple[int, int, str, int, str]
_JSON = itemgetter(4)
# Each template day's slots as written, by what they are made of (see availability).
_WRITTEN: dict[tuple[str, int, int, int, str, int, Sequence[int]], list[Written]] = {}


def availability(config: PracticeConfig, runs: Iterable[Run]) -> str:
    """The body of GET /availability: what `AvailabilityOut(...).model_dump_json()` writes, without
    a model per slot. The models still write every part that holds names (so escaping is
    theirs); an instant's text is put together from its date, its minute of the day and its
    offset (the zone is asked only on a day with a clock change).

    A day without a clock change takes slices of its template (fast_slots.Run): every slot of the
    template on that day is written once and kept while the process runs, as the day tables and
    templates are, for the next call that shows the same day (holds and "now" only choose the
    slices)."""
    zone = config.zone
    fronts: dict[tuple[str, str], str] = {}
    slots: list[Written] = []
    for base, offset, rank, type_id, length, clinician_id, starts, low, high in runs:
        front = fronts.get((clinician_id, type_id))
        if front is None:
            name = config.clinician_name(clinician_id)
            front = fronts[(clinician_id, type_id)] = _front(clinician_id, name, type_id)
        if offset is None:
            slots += [
                (
                    base + s,
                    rank,
                    type_id,
                    length,
                    f'{front}{_exact(base + s, zone)}","end":"{_exact(base + s + length, zone)}"}}',
                )
                for s in starts[low:high]
            ]
            continue
        key = (front, base, offset, rank, type_id, length, starts)
        written = _WRITTEN.get(key)
        if written is None:
            if len(_WRITTEN) >= 4_096:
                _WRITTEN.clear()
            written = _WRITTEN[key] = _template_day(front, base, offset, rank, type_id, length, starts)
        slots += written[low:high]
    slots.sort()
    return f"{_head(config.practice.timeZone)}{','.join(map(_JSON, slots))}]}}"


def _template_day(
    front: str, base: int, offset: int, rank: int, type_id: str, length: int, starts: Sequence[int]
) -> list[Written]:
    """Every slot of a template on one day (base: its local midnight), written."""
    east = _offset_text(offset)
    on = _date_text((base + offset) // 86_400)
    if offset % 60 or length % 60 or any(s % 60 for s in starts) or starts[-1] + length >= 86_400:
        # Seconds in an offset, or slots that end on the next day: each instant on its own.
        midnight = base + offset
        return [
            (
                base + s,
                rank,
                type_id,
                length,
                f'{front}{_wall(midnight + s, east)}","end":"{_wall(midnight + s + length, east)}"}}',
            )
            for s in starts
        ]
    clocks = _clocks()
    minutes = length // 60
    return [
        (
            base + s,
            rank,
            type_id,
            length,
            f'{front}{on}{clocks[s // 60]}{east}","end":"{on}{clocks[s // 60 + minutes]}{east}"}}',
        )
        for s in starts
    ]


@lru_cache(maxsize=1_024)
def _head(time_zone: str) -> str:
    """The answer's text up to its first slot."""
    return AvailabilityOut(timeZone=time_zone, slots=[]).model_dump_json().removesuffix("]}")


@lru_cache(maxsize=1_024)
def _front(clinician_id: str, clinician_name: str, type_id: str) -> str:
    """A slot's text up to its start."""
    empty = SlotOut(
        clinicianId=clinician_id, clinicianName=clinician_name, appointmentTypeId=type_id, start="", end=""
    ).model_dump_json()
    return empty.removesuffix('"start":"","end":""}') + '"start":"'


def _exact(instant: int, zone: tzinfo) -> str:
    return datetime.fromtimestamp(instant, zone).isoformat()


def _wall(local: int, east: str) -> str:
    """An instant as isoformat writes it, from its wall time (seconds since the epoch, as if the
    zone were UTC) and its offset's text."""
    day, second = divmod(local, 86_400)
    minute, second = divmod(second, 60)
    clock = f"T{minute // 60:02d}:{minute % 60:02d}:{second:02d}" if second else _clocks()[minute]
    return f"{_date_text(day)}{clock}{east}"


_EPOCH_DAY = date(1970, 1, 1).toordinal()


@cache
def _clocks() -> list[str]:
    """Each minute of the day as isoformat writes it after the date: T09:30:00."""
    return [f"T{m // 60:02d}:{m % 60:02d}:00" for m in range(1440)]


def _date_text(day: int) -> str:
    return date.fromordinal(_EPOCH_DAY + day).isoformat()


def _offset_text(seconds: int) -> str:
    """A UTC offset as isoformat writes it: +HH:MM, or +HH:MM:SS when it has seconds."""
    return datetime(2000, 1, 1, tzinfo=timezone(timedelta(seconds=seconds))).isoformat()[19:]


def _optional(config: PracticeConfig, **values: datetime | None) -> dict[str, str]:
    return {k: instant(config, v) for k, v in values.items() if v is not None}


def _request_fields(config: PracticeConfig, r: Request) -> dict[str, object]:
    return {
        "id": r.id,
        "kind": r.kind,
        "status": r.status,
        "appointmentId": r.appointmentId,
        "clinicianId": r.clinicianId,
        "clinicianName": config.clinician_name(r.clinicianId),
        "appointmentTypeId": r.appointmentTypeId,
        "start": instant(config, r.start),
        "end": instant(config, r.end),
        "createdAt": instant(config, r.createdAt),
        **_optional(config, decidedAt=r.decidedAt),
    }


def request(config: PracticeConfig, r: Request) -> RequestOut:
    return RequestOut.model_validate(_request_fields(config, r))


def staff_request(
    config: PracticeConfig, r: Request, notification: dict[str, str] | None = None
) -> StaffRequestOut:
    extra: dict[str, object] = {
        "client": ClientOut(
            firstName=r.client.firstName,
            lastName=r.client.lastName,
            dateOfBirth=r.client.dateOfBirth,
            email=r.client.email,
            mobilePhone=r.client.mobilePhone,
            **({"clientId": r.clientId} if r.clientId else {}),
        ),
        "newClient": r.newClient,
        "changes": r.changes,
        **_optional(config, originalStart=r.originalStart, originalEnd=r.originalEnd),
    }
    for name in ("comments", "note", "originalClinicianId"):
        if (value := getattr(r, name)) is not None:
            extra[name] = value
    if notification:
        extra["notification"] = notification
    return StaffRequestOut.model_validate({**_request_fields(config, r), **extra})


def staff_appointment(config: PracticeConfig, e: CalendarEntry) -> StaffAppointmentOut:
    """A block of the staff calendar: the appointment and its client's name."""
    values: dict[str, object] = {
        "id": e.id,
        "status": e.status,
        "clinicianId": e.clinicianId,
        "clinicianName": config.clinician_name(e.clinicianId),
        "appointmentTypeId": e.appointmentTypeId,
        "start": instant(config, e.start),
        "end": instant(config, e.end),
        **_optional(config, requestedStart=e.requestedStart, requestedEnd=e.requestedEnd),
        "client": {"firstName": e.clientName.firstName, "lastName": e.clientName.lastName}
        | ({"clientId": e.clientId} if e.clientId else {}),
        "madeBy": e.madeBy,
    }
    if e.pendingRequestId and e.status != "confirmed":
        values["pendingRequestId"] = e.pendingRequestId
    return StaffAppointmentOut.model_validate(values)


def _appointment_fields(config: PracticeConfig, a: Appointment) -> dict[str, object]:
    pending = a.status in ("requested", "reschedule_requested", "cancel_requested")
    values: dict[str, object] = {
        "id": a.id,
        "status": a.status,
        "clinicianId": a.clinicianId,
        "clinicianName": config.clinician_name(a.clinicianId),
        "appointmentTypeId": a.appointmentTypeId,
        "start": instant(config, a.start),
        "end": instant(config, a.end),
        **_optional(config, requestedStart=a.requestedStart, requestedEnd=a.requestedEnd),
    }
    if pending and a.pendingRequestId:
        values["pendingRequestId"] = a.pendingRequestId
    return values


def appointment(config: PracticeConfig, a: Appointment) -> AppointmentOut:
    return AppointmentOut.model_validate(_appointment_fields(config, a))


def my_appointment(config: PracticeConfig, a: Appointment, now: datetime) -> MyAppointmentOut:
    """An appointment for its client: with what the portal may offer to do with it now."""
    return MyAppointmentOut.model_validate(
        {
            **_appointment_fields(config, a),
            "canReschedule": can_reschedule(config, a, now),
            "canCancel": can_cancel(config, a, now),
        }
    )


def waitlist_entry(config: PracticeConfig, entry: WaitlistEntry) -> WaitlistEntryOut:
    """(v2) A waitlist entry as its client sees it: what it asks for, no personal data."""
    return WaitlistEntryOut.model_validate(_entry_fields(config, entry))


def staff_waitlist_entry(
    config: PracticeConfig, entry: WaitlistEntry, notified: int
) -> StaffWaitlistEntryOut:
    c = entry.client
    client = ClientOut(
        firstName=c.firstName,
        lastName=c.lastName,
        dateOfBirth=c.dateOfBirth,
        email=c.email,
        mobilePhone=c.mobilePhone,
        **({"clientId": entry.clientId} if entry.clientId else {}),
    )
    extra = {"comments": entry.comments} if entry.comments else {}
    return StaffWaitlistEntryOut.model_validate(
        {**_entry_fields(config, entry), "client": client, "notified": notified, **extra}
    )


def _entry_fields(config: PracticeConfig, entry: WaitlistEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "status": entry.status,
        "clientType": entry.clientType,
        "appointmentTypeId": entry.appointmentTypeId,
        **({"clinicianId": entry.clinicianId} if entry.clinicianId else {}),
        "from": entry.fromDate.isoformat(),
        "to": entry.toDate.isoformat(),
        "createdAt": instant(config, entry.createdAt),
    }

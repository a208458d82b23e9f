"""Records as the contract shows them: instants in the practice's time zone with their offset."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from functools import cache

from functions.scheduling.config import PracticeConfig
from functions.scheduling.fast_slots import Opening
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


_NO_TIMES = '"start":"","end":""}'


def availability(config: PracticeConfig, openings: Sequence[Opening]) -> str:
    """The body of GET /availability: what `AvailabilityOut(...).model_dump_json()` writes, without
    a model per slot. The models still write every part that holds names (so escaping is
    theirs); an instant's text is put together from its date, its minute of the day and its
    offset (the zone is asked only on a day with a clock change). Slots come by start, so the
    date changes only from one day's slots to the next."""
    head = AvailabilityOut(timeZone=config.practice.timeZone, slots=[]).model_dump_json()
    zone = config.zone
    fronts: dict[tuple[str, str], str] = {}
    clocks = _clocks()
    east, last_offset = "", None
    # The local day being written: its date, and its first minute and the next day's (in minutes
    # since the epoch, as if the zone were UTC).
    on, first_minute, next_minute = "", 0, 0
    parts = []
    for start, _, type_id, length, offset, clinician_id in openings:
        front = fronts.get((clinician_id, type_id))
        if front is None:
            empty = SlotOut(
                clinicianId=clinician_id,
                clinicianName=config.clinician_name(clinician_id),
                appointmentTypeId=type_id,
                start="",
                end="",
            ).model_dump_json()
            front = fronts[(clinician_id, type_id)] = empty.removesuffix(_NO_TIMES) + '"start":"'
        if offset is None or (start + offset) % 60 or length % 60:
            start_text = datetime.fromtimestamp(start, zone).isoformat()
            end_text = datetime.fromtimestamp(start + length, zone).isoformat()
            parts.append(f'{front}{start_text}","end":"{end_text}"}}')
            continue
        if offset != last_offset:
            east, last_offset = _offset_text(offset), offset
        minute = (start + offset) // 60
        if not first_minute <= minute < next_minute:
            first_minute = minute - minute % 1440
            next_minute = first_minute + 1440
            on = _date_text(first_minute // 1440)
        minute -= first_minute
        end_minute = minute + length // 60
        if end_minute < 1440:
            parts.append(f'{front}{on}{clocks[minute]}{east}","end":"{on}{clocks[end_minute]}{east}"}}')
        else:
            days, end_minute = divmod(end_minute, 1440)
            end_on = _date_text(first_minute // 1440 + days)
            parts.append(f'{front}{on}{clocks[minute]}{east}","end":"{end_on}{clocks[end_minute]}{east}"}}')
    return f"{head.removesuffix('[]}')}[{','.join(parts)}]}}"


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

"""Appointments staff make, move and cancel themselves: decided at once, no review.

Each change is stored like a client's request that staff approved on the spot: a request record
(`madeBy: "staff"`, status `approved`) beside the appointment, so the calendar invite, the
sequence and the confirmation email follow the very path approvals take. Staff may book outside
what the portal offers (notice, horizon, working hours, time off, the slot interval), but only on
a quarter hour, only in the future, and never over another hold: the claims decide that, as for
every hold.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .config import PracticeConfig
from .errors import Conflict, Invalid, NotFound
from .lifecycle import (
    Appointment,
    ClientRecord,
    Plan,
    Request,
    cells_of,
    claims_moves,
    request_id,
)
from .slots import on_grid


def _start(start: datetime, now: datetime) -> None:
    if not on_grid(start):
        raise Invalid(
            "not_on_quarter_hour", "Choose a start on a quarter hour (:00, :15, :30 or :45).", "start"
        )
    if start <= now:
        raise Invalid("start_in_past", "Choose a start in the future.", "start")


def _clinician(config: PracticeConfig, clinician_id: str, type_id: str) -> None:
    clinician = config.clinicians.get(clinician_id)
    if clinician is None:
        raise NotFound("clinician_not_found", "There is no such clinician.")
    if not clinician.offers(type_id):
        raise Invalid(
            "type_not_offered", "This clinician does not offer this appointment type.", "appointmentTypeId"
        )


def book(
    config: PracticeConfig,
    client: ClientRecord,
    *,
    appointment_id: str,
    now: datetime,
    clinician_id: str,
    type_id: str,
    start: datetime,
    note: str | None,
) -> Plan:
    """A confirmed appointment for a client of the practice (one who called, say)."""
    _start(start, now)
    kind = config.appointmentTypes.get(type_id)
    if kind is None or not kind.active:
        raise Invalid("unknown_appointment_type", "There is no such appointment type.", "appointmentTypeId")
    _clinician(config, clinician_id, type_id)
    end = start + timedelta(minutes=kind.durationMinutes)
    rid = request_id(appointment_id, 1)
    both = {
        "clinicianId": clinician_id,
        "appointmentTypeId": type_id,
        "start": start,
        "end": end,
        "clientId": client.id,
        "client": client.details(),
        "newClient": kind.clientType == "new",
        "madeBy": "staff",
        "createdAt": now,
    }
    appointment = Appointment.model_validate(
        {"id": appointment_id, "status": "confirmed", "confirmedAt": now, **both}
    )
    request = Request.model_validate(
        {
            "id": rid,
            "kind": "new",
            "status": "approved",
            "appointmentId": appointment_id,
            "signedIn": False,
            "note": note,
            "decidedAt": now,
            **both,
        }
    )
    return Plan(appointment, request, None, None, claim=cells_of(clinician_id, start, end))


def _changeable(appointment: Appointment, now: datetime) -> None:
    """Staff may move or cancel a confirmed appointment that has not ended, inside the late-change
    window too; not while the client's own request about it awaits review."""
    if appointment.status in ("reschedule_requested", "cancel_requested") or (
        appointment.status == "confirmed" and appointment.pendingRequestId is not None
    ):
        raise Conflict(
            "change_pending",
            "The client's request about this appointment awaits review: approve or deny it first.",
        )
    if appointment.status != "confirmed":
        raise Conflict("not_confirmed", "Only a confirmed appointment can be moved or cancelled.")
    if appointment.end <= now:
        raise Conflict("appointment_ended", "This appointment has already ended.")


def _staff_change(appointment: Appointment, now: datetime, note: str | None, **fields: object) -> Request:
    return Request.model_validate(
        {
            "id": request_id(appointment.id, appointment.requests + 1),
            "status": "approved",
            "madeBy": "staff",
            "appointmentId": appointment.id,
            "appointmentTypeId": appointment.appointmentTypeId,
            "clientId": appointment.clientId,
            "client": appointment.client,
            "newClient": appointment.newClient,
            "signedIn": False,
            "originalStart": appointment.start,
            "originalEnd": appointment.end,
            "originalClinicianId": appointment.clinicianId,
            "note": note,
            "createdAt": now,
            "decidedAt": now,
            "sequence": appointment.sequence + 1,
            **fields,
        }
    )


def move(
    config: PracticeConfig,
    appointment: Appointment,
    *,
    now: datetime,
    start: datetime,
    clinician_id: str | None,
    note: str | None,
) -> Plan:
    """Move a confirmed appointment to another time (and clinician); the type and length stay."""
    _start(start, now)
    _changeable(appointment, now)
    clinician_id = clinician_id or appointment.clinicianId
    _clinician(config, clinician_id, appointment.appointmentTypeId)
    if start == appointment.start and clinician_id == appointment.clinicianId:
        raise Invalid("same_time", "The appointment is already at this time with this clinician.", "start")
    end = start + (appointment.end - appointment.start)
    request = _staff_change(
        appointment, now, note, kind="reschedule", clinicianId=clinician_id, start=start, end=end
    )
    moved = appointment.model_copy(
        update={
            "clinicianId": clinician_id,
            "start": start,
            "end": end,
            "sequence": appointment.sequence + 1,
            "requests": appointment.requests + 1,
            "confirmedAt": now,
            "version": appointment.version + 1,
        }
    )
    release, claim = claims_moves(
        cells_of(appointment.clinicianId, appointment.start, appointment.end),
        cells_of(clinician_id, start, end),
    )
    return Plan(moved, request, appointment.version, None, claim=claim, release=release)


def cancel(appointment: Appointment, *, now: datetime, note: str | None) -> Plan:
    """Cancel a confirmed appointment; its time is free at once."""
    _changeable(appointment, now)
    request = _staff_change(
        appointment,
        now,
        note,
        kind="cancel",
        clinicianId=appointment.clinicianId,
        start=appointment.start,
        end=appointment.end,
    )
    cancelled = appointment.model_copy(
        update={
            "status": "cancelled",
            "sequence": appointment.sequence + 1,
            "requests": appointment.requests + 1,
            "version": appointment.version + 1,
        }
    )
    release = cells_of(appointment.clinicianId, appointment.start, appointment.end)
    return Plan(cancelled, request, appointment.version, None, release=release)

"""The practice's calendar: what is booked and pending in a range, and appointments staff make,
move and cancel themselves (decided at once, the client emailed as after an approval)."""

from __future__ import annotations

import uuid
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from functions import aws
from functions.api import present
from functions.api.fields import Day, Id, check_range, day_span
from functions.api.http import (
    IdempotencyKey,
    commit,
    current,
    idempotency_key,
    lambda_handler,
    replay,
    respond,
    returns,
)
from functions.api.models import (
    AppointmentEnvelope,
    BookIn,
    DecisionIn,
    StaffAppointmentsOut,
    StaffMoveIn,
)
from functions.scheduling import booking
from functions.scheduling.errors import Conflict, NotFound
from functions.scheduling.lifecycle import Appointment
from functions.store import Snapshot


@returns(StaffAppointmentsOut)
def get_appointments(
    from_: Annotated[Day, Query(alias="from")],
    to: Annotated[Day, Query()],
    clinicianId: Annotated[Id | None, Query()] = None,
) -> Response[str]:
    check_range(from_, to)
    store = aws.store()
    config = store.config()
    first, last = day_span(from_, to, config.zone)
    entries = store.calendar(first, last, clinicianId)
    entries.sort(key=lambda e: (e.start, e.clinicianId, e.id))
    return respond(
        200, StaffAppointmentsOut(appointments=[present.staff_appointment(config, e) for e in entries])
    )


def _changed_meanwhile() -> Conflict:
    # The appointment changed between the read and the write: most often a client's request
    # about it arrived; its new state decides, so staff read it again.
    return Conflict(
        "change_pending", "This appointment changed meanwhile. Reload the calendar and try again."
    )


@returns(AppointmentEnvelope)
def book_appointment(body: Annotated[BookIn, Body()]) -> Response[str]:
    call = current()
    key = idempotency_key()
    snapshot = aws.store().read(
        client_id=body.clientId, idempotency_scope=key.scope if key else None, now=call.now
    )
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    if snapshot.client is None:
        raise NotFound("client_not_found", "There is no such client.")
    plan = booking.book(
        snapshot.config,
        snapshot.client,
        appointment_id=uuid.uuid4().hex,
        now=call.now,
        clinician_id=body.clinicianId,
        type_id=body.appointmentTypeId,
        start=body.start,
        note=body.note,
    )
    envelope = AppointmentEnvelope(appointment=present.appointment(snapshot.config, plan.appointment))
    return commit(plan, 201, envelope, key, Conflict("conflict", "The appointment could not be saved."))


def _read(appointment_id: str) -> tuple[Snapshot, IdempotencyKey | None]:
    key = idempotency_key()
    snapshot = aws.store().read(
        appointment_id=appointment_id, idempotency_scope=key.scope if key else None, now=current().now
    )
    return snapshot, key


def _found(snapshot: Snapshot) -> Appointment:
    if snapshot.appointment is None:
        raise NotFound("appointment_not_found", "There is no such appointment.")
    return snapshot.appointment


@returns(AppointmentEnvelope)
def move_appointment(id: Id, body: Annotated[StaffMoveIn, Body()]) -> Response[str]:
    snapshot, key = _read(id)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    appointment = _found(snapshot)
    plan = booking.move(
        snapshot.config,
        appointment,
        now=current().now,
        start=body.start,
        clinician_id=body.clinicianId,
        note=body.note,
    )
    envelope = AppointmentEnvelope(appointment=present.appointment(snapshot.config, plan.appointment))
    return commit(plan, 200, envelope, key, _changed_meanwhile())


@returns(AppointmentEnvelope)
def cancel_appointment(id: Id, body: Annotated[DecisionIn | None, Body()] = None) -> Response[str]:
    snapshot, key = _read(id)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    appointment = _found(snapshot)
    plan = booking.cancel(appointment, now=current().now, note=body.note if body else None)
    envelope = AppointmentEnvelope(appointment=present.appointment(snapshot.config, plan.appointment))
    return commit(plan, 200, envelope, key, _changed_meanwhile())


handler = lambda_handler(__name__, "calendar")

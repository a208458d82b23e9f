"""What reschedule and cancel share: the client's own appointment, read with everything else
in one batch; another client's appointment is not found."""

from __future__ import annotations

from functions import aws
from functions.api.http import IdempotencyKey, check_gate, current, idempotency_key
from functions.scheduling.errors import Conflict, NotFound
from functions.scheduling.lifecycle import Appointment
from functions.store import Snapshot


def own_appointment(appointment_id: str) -> tuple[Snapshot, Appointment, IdempotencyKey | None]:
    call = current()
    key = idempotency_key()
    snapshot = aws.store().read(
        appointment_id=appointment_id,
        user_sub=call.caller.account,
        idempotency_scope=key.scope if key else None,
        now=call.now,
    )
    check_gate(call.route, snapshot)
    appointment = snapshot.appointment
    if appointment is None or appointment.clientId is None or appointment.clientId != snapshot.client_id:
        raise NotFound("appointment_not_found", "There is no such appointment.")
    return snapshot, appointment, key


def changed_meanwhile() -> Conflict:
    return Conflict("change_pending", "A request for this appointment is already awaiting review.")

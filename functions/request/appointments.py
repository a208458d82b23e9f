"""The signed-in client's appointments: the next confirmed one and everything upcoming."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from functions import aws
from functions.api import present
from functions.api.http import current, lambda_handler, respond, returns
from functions.api.models import MyAppointmentsOut

CONFIRMED = frozenset({"confirmed", "reschedule_requested", "cancel_requested"})


@returns(MyAppointmentsOut)
def get_my_appointments() -> Response[str]:
    call = current()
    store = aws.store()
    snapshot = store.read(user_sub=call.caller.account)
    if snapshot.client_id is None:
        return respond(200, MyAppointmentsOut(next=None, appointments=[]))
    found = sorted(store.client_appointments(snapshot.client_id, call.now), key=lambda a: (a.start, a.id))
    upcoming = [present.my_appointment(snapshot.config, a, call.now) for a in found]
    # A confirmed appointment stays confirmed while a reschedule or cancellation awaits review.
    following = next((a for a in found if a.status in CONFIRMED and a.start > call.now), None)
    return respond(
        200,
        MyAppointmentsOut(
            next=present.my_appointment(snapshot.config, following, call.now) if following else None,
            appointments=upcoming,
        ),
    )


handler = lambda_handler(__name__, "appointments")

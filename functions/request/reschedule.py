"""A client asks to move a confirmed appointment; the new time is held until staff decide."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.api import present
from functions.api.http import commit, current, lambda_handler, replay, returns
from functions.api.models import RequestEnvelope, RescheduleIn
from functions.request.changes import changed_meanwhile, own_appointment
from functions.scheduling import lifecycle


@returns(RequestEnvelope)
def post_reschedule(id: str, body: Annotated[RescheduleIn, Body()]) -> Response[str]:
    snapshot, appointment, key = own_appointment(id)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    plan = lifecycle.request_reschedule(
        snapshot.config,
        appointment,
        now=current().now,
        start=body.start,
        clinician_id=body.clinicianId,
        comments=body.comments,
    )
    envelope = RequestEnvelope(request=present.request(snapshot.config, plan.request))
    return commit(plan, 201, envelope, key, changed_meanwhile())


handler = lambda_handler(__name__, "reschedule")

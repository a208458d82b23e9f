"""A client asks to cancel a confirmed appointment; it keeps its time until staff decide."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.api import present
from functions.api.http import commit, current, lambda_handler, replay, returns
from functions.api.models import CancelIn, RequestEnvelope
from functions.request.changes import changed_meanwhile, own_appointment
from functions.scheduling import lifecycle


@returns(RequestEnvelope)
def post_cancel(id: str, body: Annotated[CancelIn | None, Body()] = None) -> Response[str]:
    snapshot, appointment, key = own_appointment(id)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    plan = lifecycle.request_cancel(
        snapshot.config,
        appointment,
        now=current().now,
        reason=body.reason if body else None,
    )
    envelope = RequestEnvelope(request=present.request(snapshot.config, plan.request))
    return commit(plan, 201, envelope, key, changed_meanwhile())


handler = lambda_handler(__name__, "cancel")

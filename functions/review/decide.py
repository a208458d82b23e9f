"""Staff review: the queue of requests, approve (optionally changing details) and deny."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from functions import aws
from functions.api import links, present
from functions.api.fields import Limit
from functions.api.http import (
    IdempotencyKey,
    commit,
    current,
    idempotency_key,
    lambda_handler,
    logger,
    remembered,
    replay,
    respond,
    returns,
    write_token,
)
from functions.api.models import (
    ApproveIn,
    DenyIn,
    Notification,
    NotificationEnvelope,
    RequestEnvelope,
    StaffRequestsOut,
)
from functions.scheduling import lifecycle, offers
from functions.scheduling.errors import Conflict, NotFound
from functions.store import Snapshot


@returns(StaffRequestsOut)
def get_requests(
    status: Annotated[Literal["pending", "approved", "denied"], Query()] = "pending",
    limit: Annotated[Limit, Query()] = 100,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response[str]:
    store = aws.store()
    config = store.config()
    found, following = store.requests(status, limit, cursor)
    answer = StaffRequestsOut(requests=[present.staff_request(config, r, sent) for r, sent in found])
    if following:
        answer.cursor = following
    return respond(200, answer)


def _pending(
    request_id: str,
) -> tuple[Snapshot, lifecycle.Appointment, lifecycle.Request, IdempotencyKey | None]:
    call = current()
    key = idempotency_key()
    appointment_id = lifecycle.appointment_id_of(request_id)
    snapshot = aws.store().read(
        appointment_id=appointment_id,
        request_id=request_id,
        idempotency_scope=key.scope if key else None,
        now=call.now,
    )
    if snapshot.request is None or snapshot.appointment is None:
        raise NotFound("request_not_found", "There is no such request.")
    return snapshot, snapshot.appointment, snapshot.request, key


def _decided() -> Conflict:
    return Conflict("request_already_decided", "This request has already been decided.")


@returns(RequestEnvelope)
def post_approve(id: str, body: Annotated[ApproveIn | None, Body()] = None) -> Response[str]:
    body = body or ApproveIn()
    snapshot, appointment, request, key = _pending(id)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    plan = lifecycle.approve(
        snapshot.config,
        appointment,
        request,
        now=current().now,
        note=body.note,
        start=body.start,
        clinician_id=body.clinicianId,
        type_id=body.appointmentTypeId,
    )
    envelope = RequestEnvelope(request=present.request(snapshot.config, plan.request))
    return commit(plan, 200, envelope, key, _decided())


@returns(RequestEnvelope)
def post_deny(id: str, body: Annotated[DenyIn | None, Body()] = None) -> Response[str]:
    snapshot, appointment, request, key = _pending(id)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    note = body.note if body else None
    if body is not None and body.offers:
        # Other times instead of a plain denial: held for the client, who gets a secret link.
        token = links.new_token()
        offer_id = links.token_hash(token)
        plan = offers.deny_with_offers(
            snapshot.config,
            appointment,
            request,
            now=current().now,
            note=note,
            wanted=[offers.Wanted(o.start, o.clinicianId, o.appointmentTypeId) for o in body.offers],
            offer_id=offer_id,
            sealed_token=links.seal(token, offer_id),
            new_appointment_id=uuid.uuid4().hex,
        )
    else:
        plan = lifecycle.deny(appointment, request, now=current().now, note=note)
    envelope = RequestEnvelope(request=present.request(snapshot.config, plan.request))
    return commit(plan, 200, envelope, key, _decided())


@returns(NotificationEnvelope)
def post_resend(id: str) -> Response[str]:
    """Staff saw "Not sent" and ask for the email once more: the notify function sends it."""
    call = current()
    key = idempotency_key()
    appointment_id = lifecycle.appointment_id_of(id)
    store = aws.store()
    snapshot = store.read(idempotency_scope=key.scope if key else None, now=call.now)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    notification = store.resend(
        appointment_id, id, write_token(key, "resend", across_invocations=True), call.now
    )
    logger.info("email queued again", extra={"request_id": id})
    return remembered(202, NotificationEnvelope(notification=Notification.model_validate(notification)))


handler = lambda_handler(__name__, "review")

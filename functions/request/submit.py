"""Requesting an appointment, without an account or signed in."""

from __future__ import annotations

import uuid
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions import aws
from functions.api import present
from functions.api.http import (
    check_gate,
    commit,
    current,
    idempotency_key,
    lambda_handler,
    not_a_client,
    replay,
    returns,
)
from functions.api.models import MyRequestIn, NewRequestIn, RequestEnvelope
from functions.scheduling import lifecycle
from functions.scheduling.errors import Conflict


@returns(RequestEnvelope)
def post_request(body: Annotated[NewRequestIn, Body()]) -> Response[str]:
    call = current()
    key = idempotency_key()
    snapshot = aws.store().read(idempotency_scope=key.scope if key else None, now=call.now)
    check_gate(call.route, snapshot)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    client = lifecycle.ClientDetails(
        firstName=body.firstName,
        lastName=body.lastName,
        dateOfBirth=body.dateOfBirth,
        email=body.email,
        mobilePhone=body.mobilePhone,
    )
    plan = lifecycle.request_new(
        snapshot.config,
        appointment_id=uuid.uuid4().hex,
        now=call.now,
        client_type=body.clientType,
        clinician_id=body.clinicianId,
        type_id=body.appointmentTypeId,
        start=body.start,
        client=client,
        client_id=None,
        signed_in=False,
        comments=body.comments,
    )
    envelope = RequestEnvelope(request=present.request(snapshot.config, plan.request))
    return commit(plan, 201, envelope, key, _duplicate())


@returns(RequestEnvelope)
def post_my_request(body: Annotated[MyRequestIn, Body()]) -> Response[str]:
    call = current()
    key = idempotency_key()
    store = aws.store()
    snapshot = store.read(
        user_sub=call.caller.account, idempotency_scope=key.scope if key else None, now=call.now
    )
    check_gate(call.route, snapshot)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    record = store.client_record(snapshot.client_id) if snapshot.client_id else None
    if record is None:
        raise not_a_client()
    kind = snapshot.config.appointmentTypes.get(body.appointmentTypeId)
    plan = lifecycle.request_new(
        snapshot.config,
        appointment_id=uuid.uuid4().hex,
        now=call.now,
        # The type decides: an existing client may still be offered an intake, and vice versa.
        client_type=kind.clientType if kind else "existing",
        clinician_id=body.clinicianId,
        type_id=body.appointmentTypeId,
        start=body.start,
        # Confirmations go to the client record's address, whatever the account's token says.
        client=record.details(),
        client_id=record.id,
        signed_in=True,
        comments=body.comments,
    )
    envelope = RequestEnvelope(request=present.request(snapshot.config, plan.request))
    return commit(plan, 201, envelope, key, _duplicate())


def _duplicate() -> Conflict:
    # Only a random appointment id colliding with an existing one gets here.
    return Conflict("conflict", "The request could not be saved. Please try again.")


handler = lambda_handler(__name__, "submit")

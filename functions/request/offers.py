"""Offered times (contract v2): what an offer's link shows, and accepting one of its times.

Public routes: the token in the path is the only key (a random secret from the client's email;
the table knows only its hash). Neither answer holds personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions import aws
from functions.api import present
from functions.api.http import commit_with, current, idempotency_key, lambda_handler, replay, respond, returns
from functions.api.links import token_hash
from functions.api.models import (
    AcceptIn,
    AppointmentEnvelope,
    OfferedTimeOut,
    OfferEnvelope,
    OfferOut,
    OfferPracticeOut,
)
from functions.scheduling import offers
from functions.scheduling.config import PracticeConfig
from functions.scheduling.errors import Conflict, NotFound
from functions.scheduling.offers import Offer


def _not_found() -> NotFound:
    return NotFound("offer_not_found", "There is no such offer. Please check the link in your email.")


def _shown(config: PracticeConfig, offer: Offer, now: datetime) -> OfferOut:
    practice = OfferPracticeOut(name=config.practice.name)
    if config.practice.phone:
        practice.phone = config.practice.phone
    status = offer.status_at(now)
    # An open offer shows the times that can still be accepted (the offer expires by its last
    # start, so there is one at least); an ended one shows every time, as it was.
    times = [t for t in offer.times if t.start > now] if status == "open" else offer.times
    return OfferOut(
        status=status,
        expiresAt=present.instant(config, offer.expiresAt),
        practice=practice,
        times=[
            OfferedTimeOut(
                start=present.instant(config, t.start),
                end=present.instant(config, t.end),
                clinicianId=t.clinicianId,
                clinicianName=config.clinician_name(t.clinicianId),
                appointmentTypeId=t.appointmentTypeId,
            )
            for t in times
        ],
    )


@returns(OfferEnvelope)
def get_offer(token: str) -> Response[str]:
    snapshot = aws.store().read(offer_id=token_hash(token))
    if snapshot.offer is None:
        raise _not_found()
    return respond(200, OfferEnvelope(offer=_shown(snapshot.config, snapshot.offer, current().now)))


@returns(AppointmentEnvelope)
def post_accept(token: str, body: Annotated[AcceptIn, Body()]) -> Response[str]:
    call = current()
    key = idempotency_key()
    store = aws.store()
    offer_id = token_hash(token)
    snapshot = store.read(offer_id=offer_id, idempotency_scope=key.scope if key else None, now=call.now)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    if snapshot.offer is None:
        raise _not_found()
    acceptance = offers.accept(snapshot.offer, body.start, now=call.now)
    envelope = AppointmentEnvelope(appointment=present.appointment(snapshot.config, acceptance.appointment))

    def decided_meanwhile() -> Conflict:
        # Another acceptance or the expiry came first: the offer as it is now says which.
        now_stored = store.offer(offer_id)
        if now_stored is not None and now_stored.status == "accepted":
            return Conflict("offer_accepted", "This offer has already been accepted.")
        return Conflict("offer_expired", "This offer has expired; please contact the practice.")

    return commit_with(
        lambda token_, record: store.accept_offer(acceptance, call.now, token_, record),
        201,
        envelope,
        key,
        decided_meanwhile,
        log={"appointment_id": acceptance.appointment.id, "offer_id": offer_id[:12]},
    )


handler = lambda_handler(__name__, "offers")

"""Offering other times instead of a plain denial (contract v2). Pure: the clock is a parameter.

Staff deny a new appointment request and offer 1 to 3 other times. In the denial's own
transaction each offered time is held for the client: its cells are claimed (the same claims
as every hold, so nothing can take them) in the name of the appointment an acceptance will
create, and each time has a record of its own in the held-time index, so availability hides it.
The client follows the emailed link and accepts one time: the appointment is confirmed at once
and the other times are freed. Nobody accepting by `expiresAt`: the scheduled job frees them all.

The link's token is a random secret; the table keeps only its hash (the offer's key) and the
token sealed with a key only the notify function may open, so reading the table is not enough to
accept an offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .claims import cells
from .config import Model, PracticeConfig
from .errors import Conflict, Invalid
from .lifecycle import Appointment, Claim, ClientDetails, Plan, Request, deny, request_id
from .slots import check_staff_time

OfferStatus = Literal["open", "accepted", "expired"]
MAX_OFFERS = 3


class OfferedTime(Model):
    start: datetime
    end: datetime
    clinicianId: str
    appointmentTypeId: str


class Offer(Model):
    id: str  # the hash of the link's token
    status: OfferStatus = "open"
    requestId: str  # the request denied with it
    appointmentId: str  # the appointment an acceptance creates; the held cells are claimed for it
    clientId: str | None = None
    client: ClientDetails
    newClient: bool
    signedIn: bool
    times: list[OfferedTime]
    expiresAt: datetime
    createdAt: datetime
    sealedToken: str
    acceptedStart: datetime | None = None
    version: int = 1

    def status_at(self, now: datetime) -> OfferStatus:
        if self.status == "open" and self.expiresAt <= now:
            return "expired"
        return self.status


@dataclass(frozen=True)
class Wanted:
    """One time staff offer: the clinician and type default to the request's."""

    start: datetime
    clinician_id: str | None = None
    type_id: str | None = None


def _held_cells(offer: Offer) -> list[Claim]:
    found: dict[Claim, None] = {}
    for time in offer.times:
        for cell in cells(time.start, time.end):
            found[Claim(time.clinicianId, cell, owner=offer.appointmentId)] = None
    return list(found)


def deny_with_offers(
    config: PracticeConfig,
    appointment: Appointment,
    request: Request,
    *,
    now: datetime,
    note: str | None,
    wanted: list[Wanted],
    offer_id: str,
    sealed_token: str,
    new_appointment_id: str,
) -> Plan:
    """The denial, plus the offer and the holds of its times (422 for a time staff may not book)."""
    if request.kind != "new":
        raise Invalid(
            "offers_not_allowed", "Other times can be offered only when denying a new appointment.", "offers"
        )
    if not 1 <= len(wanted) <= MAX_OFFERS:
        raise Invalid("offers_count", f"Offer 1 to {MAX_OFFERS} times.", "offers")
    times: list[OfferedTime] = []
    for n, want in enumerate(wanted):
        clinician_id = want.clinician_id or request.clinicianId
        type_id = want.type_id or request.appointmentTypeId
        try:
            end = check_staff_time(config, clinician_id, type_id, want.start, now)
        except Invalid as exc:
            raise Invalid(exc.code, exc.message, f"offers.{n}.{exc.field or 'start'}") from None
        time = OfferedTime(start=want.start, end=end, clinicianId=clinician_id, appointmentTypeId=type_id)
        if time in times:
            raise Invalid("offers_repeated", "The same time is offered twice.", f"offers.{n}.start")
        times.append(time)
    denied = deny(appointment, request, now=now, note=note)
    released = set(denied.release)
    offer = Offer(
        id=offer_id,
        requestId=request.id,
        appointmentId=new_appointment_id,
        clientId=request.clientId,
        client=request.client,
        newClient=request.newClient,
        signedIn=request.signedIn,
        times=times,
        # Held for `offerHoldHours`, but never past the last offered start: a time that has
        # begun cannot be accepted, and the job frees the others then.
        expiresAt=min(now + timedelta(hours=config.scheduling.offerHoldHours), max(t.start for t in times)),
        createdAt=now,
        sealedToken=sealed_token,
    )
    held = _held_cells(offer)
    if any(Claim(c.clinician_id, c.cell) in released for c in held):
        raise Invalid(
            "offer_overlaps_request",
            "An offered time overlaps the time being denied; offer other times.",
            "offers",
        )
    decided = denied.request.model_copy(update={"offerId": offer_id})
    return Plan(
        denied.appointment,
        decided,
        denied.appointment_version,
        denied.request_version,
        claim=held,
        release=denied.release,
        tallies=denied.tallies,
        offer=offer,
    )


@dataclass
class Acceptance:
    """What accepting writes: the offer (on its version, still open and unexpired), the new
    confirmed appointment and its approved request, the times deleted from the held-time index,
    and the cells of the times not chosen released."""

    offer: Offer
    offer_version: int
    appointment: Appointment
    request: Request
    release: list[Claim]


def accept(offer: Offer, start: datetime, *, now: datetime) -> Acceptance:
    """Refusals in the contract's order: the body (a time not offered, 422), then the state
    (accepted, expired: 409), then a time that has begun (422 `start`, `time_passed`: the offer
    stays open for its later times)."""
    chosen = next((t for t in offer.times if t.start == start), None)
    if chosen is None:
        raise Invalid("not_offered", "This time is not one of the offered times.", "start")
    status = offer.status_at(now)
    if status == "accepted":
        raise Conflict("offer_accepted", "This offer has already been accepted.")
    if status == "expired":
        raise Conflict("offer_expired", "This offer has expired; please contact the practice.")
    if chosen.start <= now:
        raise Invalid("time_passed", "This time has already begun; please choose another.", "start")
    both = {
        "clinicianId": chosen.clinicianId,
        "appointmentTypeId": chosen.appointmentTypeId,
        "start": chosen.start,
        "end": chosen.end,
        "clientId": offer.clientId,
        "client": offer.client,
        "newClient": offer.newClient,
        "createdAt": now,
    }
    appointment = Appointment.model_validate(
        {"id": offer.appointmentId, "status": "confirmed", "confirmedAt": now, **both}
    )
    request = Request.model_validate(
        {
            "id": request_id(offer.appointmentId, 1),
            "kind": "new",
            "status": "approved",
            "appointmentId": offer.appointmentId,
            "signedIn": offer.signedIn,
            "decidedAt": now,
            "offerId": offer.id,
            **both,
        }
    )
    kept = {Claim(chosen.clinicianId, c, owner=offer.appointmentId) for c in cells(chosen.start, chosen.end)}
    accepted = offer.model_copy(
        update={"status": "accepted", "acceptedStart": chosen.start, "version": offer.version + 1}
    )
    return Acceptance(
        accepted, offer.version, appointment, request, [c for c in _held_cells(offer) if c not in kept]
    )


def expire(offer: Offer, *, now: datetime) -> tuple[Offer, list[Claim]] | None:
    """An open offer past its time: expired, every held cell released. None if not due."""
    if offer.status != "open" or offer.expiresAt > now:
        return None
    expired = offer.model_copy(update={"status": "expired", "version": offer.version + 1})
    return expired, _held_cells(offer)

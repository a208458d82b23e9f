"""Appointments and the requests that create, move or cancel them.

A new request creates the appointment in status `requested`; staff approve or deny every
request. An appointment has at most one pending request. Each transition returns the records
as they must be stored and the claim cells to take and release, for the store to write in one
transaction; it never decides whether a time is free (the claims do that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from . import claims
from .config import AppointmentType, ClientType, Model, PracticeConfig
from .errors import Conflict, DomainError, Forbidden, Invalid, NotFound, slot_not_offered
from .slots import check_staff_time, is_offered

if TYPE_CHECKING:
    from .offers import Offer

AppointmentStatus = Literal[
    "requested", "confirmed", "reschedule_requested", "cancel_requested", "cancelled", "declined"
]
RequestKind = Literal["new", "reschedule", "cancel"]
RequestStatus = Literal["pending", "approved", "denied"]
# Who made an appointment or a change: the client through the portal (a request staff review)
# or staff themselves (decided at once).
MadeBy = Literal["portal", "staff"]
HOLDING: frozenset[str] = frozenset({"requested", "confirmed", "reschedule_requested", "cancel_requested"})
# Confirmed at its time: a change the client asked for awaits review, and until staff decide it
# the appointment stands as it is (and is reminded of).
CONFIRMED: frozenset[str] = frozenset({"confirmed", "reschedule_requested", "cancel_requested"})


class ClientDetails(Model):
    firstName: str
    lastName: str
    dateOfBirth: date
    email: str
    mobilePhone: str


class Appointment(Model):
    id: str
    status: AppointmentStatus
    clinicianId: str
    appointmentTypeId: str
    start: datetime
    end: datetime
    clientId: str | None = None
    client: ClientDetails
    newClient: bool
    pendingRequestId: str | None = None
    requestedStart: datetime | None = None
    requestedEnd: datetime | None = None
    requestedClinicianId: str | None = None
    # Bumped on every change of time or status that a calendar must follow (the invite's SEQUENCE).
    sequence: int = 0
    # How many requests this appointment has had; request ids are "<appointment id>-<n>".
    requests: int = 1
    madeBy: MadeBy = "portal"
    # When its current time was confirmed (an approval, or staff booking or moving it): a
    # reminder due before then is never sent. None for appointments stored before reminders.
    confirmedAt: datetime | None = None
    version: int = 1
    createdAt: datetime

    @property
    def holds_time(self) -> bool:
        return self.status in HOLDING

    @property
    def is_confirmed(self) -> bool:
        return self.status in CONFIRMED


class Addressee(Model):
    firstName: str
    email: str


class Confirmed(Model):
    """What the reminder job reads of an appointment: its state and time, and whom to write to
    (never the client's date of birth or phone)."""

    id: str
    status: AppointmentStatus
    clinicianId: str
    start: datetime
    end: datetime
    client: Addressee
    confirmedAt: datetime | None = None

    @property
    def is_confirmed(self) -> bool:
        return self.status in CONFIRMED


class ClientName(Model):
    firstName: str
    lastName: str


class CalendarEntry(Model):
    """An appointment as the staff calendar shows it: what the calendar index holds."""

    id: str
    status: AppointmentStatus
    clinicianId: str
    appointmentTypeId: str
    start: datetime
    end: datetime
    clientId: str | None = None
    clientName: ClientName
    madeBy: MadeBy = "portal"
    pendingRequestId: str | None = None
    requestedStart: datetime | None = None
    requestedEnd: datetime | None = None
    requestedClinicianId: str | None = None


class Request(Model):
    id: str
    kind: RequestKind
    status: RequestStatus = "pending"
    appointmentId: str
    clinicianId: str
    appointmentTypeId: str
    start: datetime
    end: datetime
    clientId: str | None = None
    client: ClientDetails
    newClient: bool
    signedIn: bool
    comments: str | None = None
    originalStart: datetime | None = None
    originalEnd: datetime | None = None
    originalClinicianId: str | None = None
    note: str | None = None
    # Fields staff changed when approving: "start", "clinicianId", "appointmentTypeId".
    changes: list[str] = Field(default_factory=list)
    # The appointment's sequence once this request was decided, for the calendar invite.
    sequence: int = 0
    # "staff": a change staff made themselves (approved as it was made), not a client's request.
    madeBy: MadeBy = "portal"
    # (v2) A denial with other times offered: the offer's id. An appointment made by accepting an
    # offer: the request that confirmed it names the offer too.
    offerId: str | None = None
    version: int = 1
    createdAt: datetime
    decidedAt: datetime | None = None

    @property
    def holds_time(self) -> bool:
        """A pending reschedule holds its new time beside the appointment's current one."""
        return self.kind == "reschedule" and self.status == "pending"


@dataclass(frozen=True)
class Claim:
    clinician_id: str
    cell: datetime
    # Whose the cell is, when not the plan's appointment: the times offered instead of a denial
    # are held for the appointment an acceptance will create (functions/scheduling/offers.py).
    owner: str | None = None


# Requests made without signing in hold real time until staff act, so one email address or one
# phone number may have only this many of them awaiting review at once (409 too_many_pending).
MAX_PENDING_ANONYMOUS = 2


@dataclass(frozen=True)
class Tally:
    """A change of the count of anonymous requests awaiting review for one contact (an email
    address or a phone number): +1 with the limit it may not pass, or -1 once one is decided."""

    contact: str
    change: int
    limit: int | None = None


@dataclass
class Plan:
    """What one transition writes, atomically: records (with the version each must still have,
    None for new ones), cells to claim and cells to release, and pending counts to change."""

    appointment: Appointment
    request: Request
    appointment_version: int | None
    request_version: int | None
    claim: list[Claim] = field(default_factory=list)
    release: list[Claim] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)
    # Other times offered with a denial, held in the same transaction.
    offer: Offer | None = None


def _contacts(client: ClientDetails) -> list[str]:
    return [f"email:{client.email.casefold()}", f"phone:{client.mobilePhone}"]


def _counted(request: Request) -> bool:
    """Whether a request counts against its contacts' limit: a new one made without signing in."""
    return request.kind == "new" and not request.signedIn and request.madeBy == "portal"


def _decided_tallies(request: Request) -> list[Tally]:
    return [Tally(c, -1) for c in _contacts(request.client)] if _counted(request) else []


def request_id(appointment_id: str, n: int) -> str:
    return f"{appointment_id}-{n}"


def appointment_id_of(request_id: str) -> str:
    appointment_id, sep, n = request_id.rpartition("-")
    if not sep or not appointment_id or not (n.isascii() and n.isdigit()):
        raise NotFound("request_not_found", "There is no such request.")
    return appointment_id


def _bookable_type(config: PracticeConfig, client_type: ClientType, clinician_id: str, type_id: str) -> None:
    kind = config.appointmentTypes.get(type_id)
    if kind is None or not kind.active or kind.clientType != client_type:
        raise Invalid(
            "unknown_appointment_type",
            "This appointment type cannot be requested by this kind of client.",
            "appointmentTypeId",
        )
    clinician = config.clinicians.get(clinician_id)
    if clinician is None or not clinician.shownInPortal:
        raise Invalid("unknown_clinician", "There is no such clinician.", "clinicianId")
    if not clinician.offers(type_id):
        raise Invalid(
            "type_not_offered", "This clinician does not offer this appointment type.", "appointmentTypeId"
        )


def _require_scheduling(config: PracticeConfig) -> None:
    if not config.scheduling.enabled:
        raise Forbidden("scheduling_disabled", "This practice does not take requests through the portal.")


def check_new_allowed(config: PracticeConfig, signed_in: bool) -> None:
    _require_scheduling(config)
    if not signed_in and not config.scheduling.anonymousRequests:
        raise Forbidden("anonymous_requests_disabled", "Please sign in to request an appointment.")


def check_reschedule_allowed(config: PracticeConfig) -> None:
    _require_scheduling(config)
    if not config.scheduling.reschedule:
        raise Forbidden("reschedule_disabled", "This practice does not take reschedule requests online.")


def check_cancel_allowed(config: PracticeConfig) -> None:
    _require_scheduling(config)
    if not config.scheduling.cancel:
        raise Forbidden("cancel_disabled", "This practice does not take cancellation requests online.")


def request_new(
    config: PracticeConfig,
    *,
    appointment_id: str,
    now: datetime,
    client_type: ClientType,
    clinician_id: str,
    type_id: str,
    start: datetime,
    client: ClientDetails,
    client_id: str | None,
    signed_in: bool,
    comments: str | None,
) -> Plan:
    check_new_allowed(config, signed_in)
    _bookable_type(config, client_type, clinician_id, type_id)
    if not is_offered(config, client_type, clinician_id, type_id, start, now):
        raise slot_not_offered()
    end = start + timedelta(minutes=config.appointmentTypes[type_id].durationMinutes)
    rid = request_id(appointment_id, 1)
    both = {
        "clinicianId": clinician_id,
        "appointmentTypeId": type_id,
        "start": start,
        "end": end,
        "clientId": client_id,
        "client": client,
        "newClient": client_type == "new",
        "createdAt": now,
    }
    appointment = Appointment.model_validate(
        {"id": appointment_id, "status": "requested", "pendingRequestId": rid, **both}
    )
    request = Request.model_validate(
        {
            "id": rid,
            "kind": "new",
            "appointmentId": appointment_id,
            "signedIn": signed_in,
            "comments": comments,
            **both,
        }
    )
    wanted = [Claim(clinician_id, c) for c in claims.cells(start, end)]
    tallies = [Tally(c, +1, MAX_PENDING_ANONYMOUS) for c in _contacts(client)] if _counted(request) else []
    return Plan(appointment, request, None, None, claim=wanted, tallies=tallies)


def change_window_open(config: PracticeConfig, start: datetime, now: datetime) -> bool:
    """Whether a client may still ask to move or cancel an appointment starting at `start`: only
    while it starts more than `changeCutoffHours` from now. Elapsed time, compared in UTC, so a
    clock change in between neither widens nor narrows the window."""
    cutoff = timedelta(hours=config.scheduling.changeCutoffHours)
    return start.astimezone(UTC) - now.astimezone(UTC) > cutoff


def _changeable(config: PracticeConfig, appointment: Appointment, now: datetime) -> None:
    """The state refusals of a client's change, most specific first: a change awaiting review,
    an appointment that is not confirmed or has begun, then the late-change window."""
    if appointment.pendingRequestId is not None:
        raise Conflict("change_pending", "A request for this appointment is already awaiting review.")
    if appointment.status != "confirmed" or appointment.start <= now:
        raise Conflict("appointment_not_changeable", "This appointment can no longer be changed.")
    if not change_window_open(config, appointment.start, now):
        raise Conflict(
            "change_window_closed",
            "This appointment starts too soon to change online. Please contact the practice.",
        )


def _kept_type(config: PracticeConfig, appointment: Appointment) -> AppointmentType:
    """The type a rescheduled appointment keeps; one staff removed since cannot be rebooked."""
    kind = config.appointmentTypes.get(appointment.appointmentTypeId)
    if kind is None:
        raise Conflict("appointment_not_changeable", "This appointment can no longer be changed.")
    return kind


def can_reschedule(config: PracticeConfig, appointment: Appointment, now: datetime) -> bool:
    """Whether the client may ask to move it now: what `request_reschedule` checks before the
    new time (the feature, the state, the window), so the portal offers only what is taken."""
    try:
        check_reschedule_allowed(config)
        _changeable(config, appointment, now)
        _kept_type(config, appointment)
    except DomainError:
        return False
    return True


def can_cancel(config: PracticeConfig, appointment: Appointment, now: datetime) -> bool:
    """Whether the client may ask to cancel it now (the feature, the state, the window)."""
    try:
        check_cancel_allowed(config)
        _changeable(config, appointment, now)
    except DomainError:
        return False
    return True


def _change_request(appointment: Appointment, kind: RequestKind, now: datetime, **fields: object) -> Request:
    """A request about an existing appointment. Its confirmation goes where the appointment's did:
    the client record's address, never one the signed-in account says."""
    n = appointment.requests + 1
    return Request.model_validate(
        {
            "id": request_id(appointment.id, n),
            "kind": kind,
            "appointmentId": appointment.id,
            "appointmentTypeId": appointment.appointmentTypeId,
            "clientId": appointment.clientId,
            "client": appointment.client,
            "newClient": appointment.newClient,
            "signedIn": True,
            "originalStart": appointment.start,
            "originalEnd": appointment.end,
            "originalClinicianId": appointment.clinicianId,
            "createdAt": now,
            **fields,
        }
    )


def request_reschedule(
    config: PracticeConfig,
    appointment: Appointment,
    *,
    now: datetime,
    start: datetime,
    clinician_id: str | None,
    comments: str | None,
) -> Plan:
    _changeable(config, appointment, now)
    clinician_id = clinician_id or appointment.clinicianId
    # The appointment's type stays; an existing client's session moves as a session.
    kind = _kept_type(config, appointment)
    _bookable_type(config, kind.clientType, clinician_id, appointment.appointmentTypeId)
    if not is_offered(config, kind.clientType, clinician_id, appointment.appointmentTypeId, start, now):
        raise slot_not_offered()
    end = start + timedelta(minutes=kind.durationMinutes)
    request = _change_request(
        appointment,
        "reschedule",
        now,
        clinicianId=clinician_id,
        start=start,
        end=end,
        comments=comments,
    )
    moved = appointment.model_copy(
        update={
            "status": "reschedule_requested",
            "pendingRequestId": request.id,
            "requestedStart": start,
            "requestedEnd": end,
            "requestedClinicianId": clinician_id,
            "requests": appointment.requests + 1,
            "version": appointment.version + 1,
        }
    )
    # The new time is claimed now, so that nobody else can take it while staff decide; cells the
    # appointment already holds (a move by less than its length) stay with the appointment.
    held = cells_of(appointment.clinicianId, appointment.start, appointment.end)
    wanted = cells_of(clinician_id, start, end)
    _, claim = claims_moves(held, wanted)
    return Plan(moved, request, appointment.version, None, claim=claim)


def request_cancel(
    config: PracticeConfig,
    appointment: Appointment,
    *,
    now: datetime,
    reason: str | None,
) -> Plan:
    _changeable(config, appointment, now)
    request = _change_request(
        appointment,
        "cancel",
        now,
        clinicianId=appointment.clinicianId,
        start=appointment.start,
        end=appointment.end,
        comments=reason,
    )
    moved = appointment.model_copy(
        update={
            "status": "cancel_requested",
            "pendingRequestId": request.id,
            "requests": appointment.requests + 1,
            "version": appointment.version + 1,
        }
    )
    return Plan(moved, request, appointment.version, None)


def cells_of(clinician_id: str, start: datetime, end: datetime) -> list[Claim]:
    return [Claim(clinician_id, c) for c in claims.cells(start, end)]


def claims_moves(held: list[Claim], wanted: list[Claim]) -> tuple[list[Claim], list[Claim]]:
    """The cells to release and to claim when an appointment holding `held` ends up holding
    `wanted`; cells in both stay as they are, so no cell is written twice in one transaction."""
    keep, want = set(held), set(wanted)
    return [c for c in held if c not in want], [c for c in wanted if c not in keep]


def _pending(appointment: Appointment, request: Request) -> None:
    if request.status != "pending" or appointment.pendingRequestId != request.id:
        raise Conflict("request_already_decided", "This request has already been decided.")


def _held(appointment: Appointment, request: Request) -> list[Claim]:
    """Every cell held for this appointment while the request is pending."""
    held = cells_of(appointment.clinicianId, appointment.start, appointment.end)
    if request.holds_time:
        held += [c for c in cells_of(request.clinicianId, request.start, request.end) if c not in set(held)]
    return held


def approve(
    config: PracticeConfig,
    appointment: Appointment,
    request: Request,
    *,
    now: datetime,
    note: str | None,
    start: datetime | None = None,
    clinician_id: str | None = None,
    type_id: str | None = None,
) -> Plan:
    _pending(appointment, request)
    if request.kind == "cancel":
        if start is not None or clinician_id is not None or type_id is not None:
            raise Invalid(
                "changes_not_allowed", "A cancellation is approved as it is.", _first_set(start, clinician_id)
            )
        return _decide_cancel(appointment, request, now, note)
    changes = [
        name
        for name, value, current in (
            ("start", start, request.start),
            ("clinicianId", clinician_id, request.clinicianId),
            ("appointmentTypeId", type_id, request.appointmentTypeId),
        )
        if value is not None and value != current
    ]
    final_clinician = clinician_id or request.clinicianId
    final_type = type_id or request.appointmentTypeId
    final_start = start or request.start
    if changes:
        final_end = check_staff_time(config, final_clinician, final_type, final_start, now)
    else:
        final_end = request.end
        if request.start <= now:
            raise Conflict(
                "request_expired", "The requested time has passed; choose another time to approve."
            )
    sequence = appointment.sequence + (1 if request.kind == "reschedule" or changes else 0)
    decided = request.model_copy(
        update={
            "status": "approved",
            "note": note,
            "changes": changes,
            "clinicianId": final_clinician,
            "appointmentTypeId": final_type,
            "start": final_start,
            "end": final_end,
            "decidedAt": now,
            "sequence": sequence,
            "version": request.version + 1,
        }
    )
    confirmed = appointment.model_copy(
        update={
            "status": "confirmed",
            "clinicianId": final_clinician,
            "appointmentTypeId": final_type,
            "start": final_start,
            "end": final_end,
            "pendingRequestId": None,
            "requestedStart": None,
            "requestedEnd": None,
            "requestedClinicianId": None,
            "sequence": sequence,
            "confirmedAt": now,
            "version": appointment.version + 1,
        }
    )
    release, claim = claims_moves(
        _held(appointment, request), cells_of(final_clinician, final_start, final_end)
    )
    return Plan(
        confirmed,
        decided,
        appointment.version,
        request.version,
        claim=claim,
        release=release,
        tallies=_decided_tallies(request),
    )


def _first_set(start: datetime | None, clinician_id: str | None) -> str:
    if start is not None:
        return "start"
    return "clinicianId" if clinician_id is not None else "appointmentTypeId"


def _decide_cancel(appointment: Appointment, request: Request, now: datetime, note: str | None) -> Plan:
    decided = request.model_copy(
        update={
            "status": "approved",
            "note": note,
            "decidedAt": now,
            "sequence": appointment.sequence + 1,
            "version": request.version + 1,
        }
    )
    cancelled = appointment.model_copy(
        update={
            "status": "cancelled",
            "pendingRequestId": None,
            "sequence": appointment.sequence + 1,
            "version": appointment.version + 1,
        }
    )
    return Plan(cancelled, decided, appointment.version, request.version, release=_held(appointment, request))


def deny(appointment: Appointment, request: Request, *, now: datetime, note: str | None) -> Plan:
    """Deny a request: a new one is declined and its time released; a reschedule or cancellation
    leaves the appointment confirmed as it was, releasing only the new time a reschedule held."""
    _pending(appointment, request)
    decided = request.model_copy(
        update={"status": "denied", "note": note, "decidedAt": now, "version": request.version + 1}
    )
    if request.kind == "new":
        after = appointment.model_copy(
            update={"status": "declined", "pendingRequestId": None, "version": appointment.version + 1}
        )
        release = _held(appointment, request)
    else:
        after = appointment.model_copy(
            update={
                "status": "confirmed",
                "pendingRequestId": None,
                "requestedStart": None,
                "requestedEnd": None,
                "requestedClinicianId": None,
                "version": appointment.version + 1,
            }
        )
        kept = cells_of(appointment.clinicianId, appointment.start, appointment.end)
        release = [c for c in _held(appointment, request) if c not in set(kept)]
    return Plan(
        after,
        decided,
        appointment.version,
        request.version,
        release=release,
        tallies=_decided_tallies(request),
    )


class ClientRecord(Model):
    """A client of the practice, created by staff; `userSub` links a portal account."""

    id: str
    firstName: str
    lastName: str
    dateOfBirth: date
    email: str
    mobilePhone: str
    userSub: str | None = None
    version: int = 1
    createdAt: datetime

    def details(self) -> ClientDetails:
        """What a request carries of its client: the record's own address, which staff set (or
        the invitation used); never one a signed-in account claims."""
        return ClientDetails(
            firstName=self.firstName,
            lastName=self.lastName,
            dateOfBirth=self.dateOfBirth,
            email=self.email,
            mobilePhone=self.mobilePhone,
        )

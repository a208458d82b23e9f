"""The waitlist's rules (contract v2): who may join, what an entry asks for, which freed times
fit which entries, and how many emails an entry may get.

An entry asks for one appointment type, optionally one clinician, on any day from `fromDate` to
`toDate` (the practice's dates, inclusive). When a time opens that availability then offers, the
oldest waiting entries that fit it are told of it; the time is not held for them. No boto3 here.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Literal

from .config import ClientType, Model, PracticeConfig
from .errors import Forbidden, Invalid
from .lifecycle import ClientDetails
from .slots import Busy, Slot, open_slots

# Waiting entries one email address may have at once (409 waitlist_full past it).
MAX_WAITING = 3
# An entry may span at most this many days after its first (61 days inclusive).
MAX_SPAN_DAYS = 60
# The oldest fitting entries emailed about one time.
EMAILED_PER_TIME = 3
# Emails one entry may get per day of the practice's calendar.
EMAILS_PER_DAY = 3

EntryStatus = Literal["waiting"]


class WaitlistEntry(Model):
    id: str
    status: EntryStatus = "waiting"
    clientType: ClientType
    appointmentTypeId: str
    clinicianId: str | None = None
    fromDate: date
    toDate: date
    clientId: str | None = None
    client: ClientDetails
    signedIn: bool
    comments: str | None = None
    # How many emails the entry has had about freed times.
    notified: int = 0
    createdAt: datetime
    version: int = 1


class Candidate(Model):
    """What the stream consumer reads of a waiting entry: what it asked for and whom to write
    to (never the date of birth or phone)."""

    id: str
    status: str
    appointmentTypeId: str
    clinicianId: str | None = None
    fromDate: date
    toDate: date
    firstName: str
    email: str
    createdAt: datetime


def check_join_allowed(config: PracticeConfig, signed_in: bool) -> None:
    """The gate of `POST /waitlist` and `POST /me/waitlist`, before the body is looked at."""
    if not config.scheduling.enabled:
        raise Forbidden("scheduling_disabled", "This practice does not take requests through the portal.")
    if not config.scheduling.waitlist:
        raise Forbidden("waitlist_disabled", "This practice does not keep a waitlist.")
    if not signed_in and not config.scheduling.anonymousRequests:
        # The email's link leads to an ordinary request, which this client could not make.
        raise Forbidden("anonymous_requests_disabled", "Please sign in to join the waitlist.")


def join(
    config: PracticeConfig,
    *,
    entry_id: str,
    now: datetime,
    client_type: ClientType,
    type_id: str,
    clinician_id: str | None,
    first: date,
    last: date,
    client: ClientDetails,
    client_id: str | None,
    signed_in: bool,
    comments: str | None,
) -> WaitlistEntry:
    """A new waiting entry, or Invalid naming the field at fault."""
    check_join_allowed(config, signed_in)
    kind = config.appointmentTypes.get(type_id)
    if kind is None or not kind.active or kind.clientType != client_type:
        raise Invalid(
            "unknown_appointment_type",
            "This appointment type cannot be requested by this kind of client.",
            "appointmentTypeId",
        )
    if clinician_id is not None:
        clinician = config.clinicians.get(clinician_id)
        if clinician is None or not clinician.shownInPortal:
            raise Invalid("unknown_clinician", "There is no such clinician.", "clinicianId")
        if not clinician.offers(type_id):
            raise Invalid(
                "type_not_offered",
                "This clinician does not offer this appointment type.",
                "appointmentTypeId",
            )
    elif not any(type_id in offered for _, offered in config.portal_clinicians(client_type)):
        raise Invalid("type_not_offered", "No clinician offers this appointment type.", "appointmentTypeId")
    today = config.local(now).date()
    if first < today:
        raise Invalid("date_in_past", "must be today or later", "from")
    if last < first:
        raise Invalid("invalid_range", "must not be before from", "to")
    if (last - first).days > MAX_SPAN_DAYS:
        raise Invalid("invalid_range", f"must be at most {MAX_SPAN_DAYS} days after from", "to")
    return WaitlistEntry(
        id=entry_id,
        clientType=client_type,
        appointmentTypeId=type_id,
        clinicianId=clinician_id,
        fromDate=first,
        toDate=last,
        clientId=client_id,
        client=client,
        signedIn=signed_in,
        comments=comments,
        createdAt=now,
    )


def new_entry_id() -> str:
    """A random id that sorts by when it was made, to the microsecond: entries joined within
    one second (`createdAt` is to the second) stay in the order they joined."""
    return f"{time.time_ns() // 1000:014x}{secrets.token_hex(9)}"


def email_contact(email: str) -> str:
    """What the waiting-entry tally of an address is keyed on (hashed by the store)."""
    return f"waitlist:email:{email.casefold()}"


def token_hash(token: str) -> str:
    """What a link's secret token is stored under: its SHA-256, so that a read of the table gives
    nobody a working link."""
    return hashlib.sha256(token.encode()).hexdigest()


def passed(config: PracticeConfig, last: date, now: datetime) -> bool:
    """Whether an entry's last day is over in the practice's time zone."""
    return last < config.local(now).date()


# ---- freed times ----------------------------------------------------------------------------------


def offered_in(
    config: PracticeConfig,
    clinician_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    busy: Iterable[Busy],
) -> list[Slot]:
    """The times availability offers now that overlap a freed interval of one clinician, for
    every type the clinician offers in the portal, by start: what opened (a longer type may fit
    where a shorter appointment was, and a freed interval may join free time beside it)."""
    if not (config.scheduling.enabled and config.scheduling.waitlist):
        return []
    held = list(busy)
    first = config.local(start).date()
    last = config.local(end).date()
    found: list[Slot] = []
    for client_type in ("new", "existing"):
        for clinician, offered in config.portal_clinicians(client_type):
            if clinician.id != clinician_id:
                continue
            for type_id in offered:
                slots = open_slots(config, client_type, first, last, now, held, clinician_id, type_id)
                found += [s for s in slots if s.start < end and s.end > start]
    return sorted(found, key=lambda s: (s.start, s.type_id))


def fits(config: PracticeConfig, entry: Candidate, slot: Slot, now: datetime) -> bool:
    """Whether a time is what a waiting entry asks for: its type, its clinician when it named
    one, and a start on a day from its first to its last."""
    day = config.local(slot.start).date()
    return (
        entry.status == "waiting"
        and entry.appointmentTypeId == slot.type_id
        and entry.clinicianId in (None, slot.clinician_id)
        and entry.fromDate <= day <= entry.toDate
        and not passed(config, entry.toDate, now)
    )


def email_day(config: PracticeConfig, now: datetime) -> str:
    """The practice's date that an email counts against (at most `EMAILS_PER_DAY` per entry)."""
    return config.local(now).date().isoformat()


def notice_key(entry_id: str, slot: Slot) -> str:
    """Names one email: an entry told of one time (start and clinician). Each is sent once, ever."""
    return f"waitlist#{entry_id}#{slot.start.astimezone(UTC):%Y%m%dT%H%MZ}#{slot.clinician_id}"

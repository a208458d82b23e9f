"""Key builders: the one place that spells pk, sk and index keys."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

Key = dict[str, dict[str, str]]

CONFIG_PK, CONFIG_SK = "PRACTICE", "CONFIG"


def _key(pk: str, sk: str) -> Key:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def compact(instant: datetime) -> str:
    """A UTC instant as a short, sortable key part: 20261203T1500Z."""
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def from_compact(text: str) -> datetime:
    """The inverse of `compact`. Sliced rather than strptime'd: availability parses two per hold
    read, and strptime costs five times as much (docs/performance.md)."""
    digits = text[0:8] + text[9:13]
    shaped = len(text) == 14 and text[8] == "T" and text[13] == "Z"
    try:
        if not (shaped and digits.isascii() and digits.isdigit()):
            raise ValueError("not in the form 20261203T1500Z")
        return datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]), tzinfo=UTC
        )
    except ValueError as exc:
        raise ValueError(f"not a compact UTC instant: {text!r}") from exc


def config() -> Key:
    return _key(CONFIG_PK, CONFIG_SK)


def appointment(appointment_id: str) -> Key:
    return _key(f"APPT#{appointment_id}", "APPT")


def request(appointment_id: str, request_id: str) -> Key:
    # A request lives beside its appointment, so one batch read fetches both.
    return _key(f"APPT#{appointment_id}", f"REQ#{request_id}")


def claim(clinician_id: str, cell: datetime) -> Key:
    return _key(f"CLAIM#{clinician_id}#{compact(cell)}", "CLAIM")


def client(client_id: str) -> Key:
    return _key(f"CLIENT#{client_id}", "CLIENT")


def user(sub: str) -> Key:
    return _key(f"USER#{sub}", "USER")


def idempotency(scope_hash: str) -> Key:
    return _key(f"IDEM#{scope_hash}", "IDEM")


def sent(change_key: str) -> Key:
    return _key(f"SENT#{change_key}", "SENT")


def client_appointments(client_id: str) -> str:
    return f"CLIENT#{client_id}"


def requests_by_status(status: str) -> str:
    return f"REQUESTS#{status}"


CLIENTS = "CLIENTS"
BUSY = "BUSY"
CALENDAR = "CALENDAR"
REMIND = "REMIND"


def calendar_sort(start: datetime, appointment_id: str) -> str:
    return f"{compact(start)}#{appointment_id}"


def busy_sort(start: datetime, end: datetime, clinician_id: str) -> str:
    return f"{compact(start)}#{compact(end)}#{clinician_id}"


def parse_busy_sort(text: str) -> tuple[datetime, datetime, str]:
    start, end, clinician_id = text.split("#", 2)
    return from_compact(start), from_compact(end), clinician_id


def tally(contact: str) -> Key:
    """The count of a contact's pending anonymous requests, keyed by a hash of the contact (an
    email address or a phone number), not the contact itself."""
    return _key(f"TALLY#{hashlib.sha256(contact.encode()).hexdigest()}", "TALLY")


# ---- (v2) the waitlist ----------------------------------------------------------------------------

WAITEND = "WAITEND"


def waitlist_entry(entry_id: str) -> Key:
    return _key(f"WAIT#{entry_id}", "WAIT")


def waitlist_by_type(type_id: str) -> str:
    """gsi1: the waiting entries of one appointment type, oldest first (the stream consumer's)."""
    return f"WAITLIST#{type_id}"


def waitlist_end_sort(last: str, entry_id: str) -> str:
    """gsi4 (partition `WAITEND`): a waiting entry by its last day, so that the scheduled job
    finds the entries whose last day has passed, and staff all waiting entries."""
    return f"{last}#{entry_id}"


def waitlist_notice(token_hash: str) -> Key:
    """A time a waiting entry was emailed about, keyed by the hash of the link's secret token."""
    return _key(f"WAITNOTE#{token_hash}", "WAITNOTE")

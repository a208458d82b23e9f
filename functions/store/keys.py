"""Key builders: the one place that spells pk, sk and index keys."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

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


_EPOCH_DAY = date(1970, 1, 1).toordinal()
# The parts of compact instants already read, in seconds: dates ("20261203", a range's holds
# share a few dozen) and times of day ("T1500Z", at most 1,440). Only valid parts are kept.
_DATES: dict[str, int] = {}
_CLOCKS: dict[str, int] = {}


def seconds_of(text: str) -> int:
    """A compact instant as seconds since the epoch, without making a datetime: availability
    reads two per hold."""
    day, clock = _DATES.get(text[:8]), _CLOCKS.get(text[8:])
    if day is None or clock is None or len(text) != 14:
        day, clock = _parse_compact(text)
    return day + clock


def _parse_compact(text: str) -> tuple[int, int]:
    digits = text[0:8] + text[9:13]
    if not (len(text) == 14 and text[8] == "T" and text[13] == "Z" and digits.isascii() and digits.isdigit()):
        raise ValueError(f"not a compact UTC instant: {text!r}")
    hours, minutes = int(text[9:11]), int(text[11:13])
    try:
        day = date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise ValueError(f"not a compact UTC instant: {text!r}") from exc
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a compact UTC instant: {text!r}")
    if len(_DATES) > 10_000:
        _DATES.clear()
    _DATES[text[:8]] = (day.toordinal() - _EPOCH_DAY) * 86_400
    _CLOCKS[text[8:]] = hours * 3_600 + minutes * 60
    return _DATES[text[:8]], _CLOCKS[text[8:]]


def config() -> Key:
    return _key(CONFIG_PK, CONFIG_SK)


def appointment(appointment_id: str) -> Key:
    return _key(f"APPT#{appointment_id}", "APPT")


def request(appointment_id: str, request_id: str) -> Key:
    # A request lives beside its appointment, so one batch read fetches both.
    return _key(f"APPT#{appointment_id}", f"REQ#{request_id}")


def claim(clinician_id: str, cell: datetime) -> Key:
    return _key(f"CLAIM#{clinician_id}#{compact(cell)}", "CLAIM")


def offer(offer_id: str) -> Key:
    """An offer of other times, keyed by the hash of its link's token (never the token)."""
    return _key(f"OFFER#{offer_id}", "OFFER")


def offer_time(offer_id: str, n: int) -> Key:
    """One offered time: its entry in the held-time index."""
    return _key(f"OFFER#{offer_id}", f"TIME#{n}")


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
OPEN_OFFERS = "OFFERS"


def calendar_sort(start: datetime, appointment_id: str) -> str:
    return f"{compact(start)}#{appointment_id}"


def busy_sort(start: datetime, end: datetime, clinician_id: str) -> str:
    return f"{compact(start)}#{compact(end)}#{clinician_id}"


def busy_seconds(text: str) -> tuple[int, int, str]:
    """`parse_busy_sort` in seconds since the epoch, for availability's fast path: the key's
    parts are at fixed places, and the dates and times of day already seen are looked up."""
    start_day, start_clock = _DATES.get(text[0:8]), _CLOCKS.get(text[8:14])
    end_day, end_clock = _DATES.get(text[15:23]), _CLOCKS.get(text[23:29])
    if start_day is None or start_clock is None or end_day is None or end_clock is None or text[14:15] != "#":
        start, end, clinician_id = text.split("#", 2)
        return seconds_of(start), seconds_of(end), clinician_id
    if text[29:30] != "#":
        raise ValueError(f"not a busy sort key: {text!r}")
    return start_day + start_clock, end_day + end_clock, text[30:]


# Busy keys already read, in seconds: availability reads the same holds again on every call
# that shows their days, and a key's text always reads the same.
_BUSY: dict[str, tuple[int, int, str]] = {}


def busy_spans(texts: list[str]) -> list[tuple[int, int, str]]:
    """`busy_seconds` of many keys (a range's holds), each key read once while the process runs."""
    known = _BUSY.get
    found = []
    for text in texts:
        span = known(text)
        if span is None:
            if len(_BUSY) >= 20_000:
                _BUSY.clear()
            span = _BUSY[text] = busy_seconds(text)
        found.append(span)
    return found


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

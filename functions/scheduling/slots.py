"""Which times a client may book: working hours, time off, holds, minimum notice and horizon.

Starts are generated in absolute time from the start of each working window, so a window that
spans a clock change yields every real instant once: none missing, none twice.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .config import GRID_MINUTES, MAX_DURATION_MINUTES, ClientType, Clinician, PracticeConfig
from .errors import Invalid, slot_not_offered


@dataclass(frozen=True, order=True)
class Busy:
    """Time a clinician cannot be booked for: an appointment or a pending request holding it."""

    clinician_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Slot:
    clinician_id: str
    type_id: str
    start: datetime
    end: datetime


def on_grid(instant: datetime) -> bool:
    utc = instant.astimezone(UTC)
    return utc.second == 0 and utc.microsecond == 0 and utc.minute % GRID_MINUTES == 0


def _overlaps(start: datetime, end: datetime, spans: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(s < end and start < e for s, e in spans)


class _BusyIndex:
    """Busy intervals per clinician, sorted by start, for overlap checks in O(log n)."""

    def __init__(self, busy: Iterable[Busy]):
        by_clinician: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        for b in busy:
            by_clinician[b.clinician_id].append((b.start, b.end))
        self._spans = {k: sorted(v) for k, v in by_clinician.items()}
        self._starts = {k: [s for s, _ in v] for k, v in self._spans.items()}

    def overlaps(self, clinician_id: str, start: datetime, end: datetime) -> bool:
        spans = self._spans.get(clinician_id)
        if not spans:
            return False
        i = bisect_left(self._starts[clinician_id], start - timedelta(minutes=MAX_DURATION_MINUTES))
        while i < len(spans) and spans[i][0] < end:
            if spans[i][1] > start:
                return True
            i += 1
        return False


def _window(config: PracticeConfig, now: datetime) -> tuple[datetime, date]:
    """The earliest bookable instant and the last bookable local date."""
    earliest = now + timedelta(hours=config.scheduling.minimumNoticeHours)
    last_day = config.local(now).date() + timedelta(days=config.scheduling.horizonDays)
    return earliest, last_day


def _candidates(
    config: PracticeConfig, clinician: Clinician, type_ids: list[str], first: date, last: date, now: datetime
) -> Iterable[Slot]:
    zone = config.zone
    earliest, last_day = _window(config, now)
    step = timedelta(minutes=config.scheduling.slotIntervalMinutes)
    time_off = [(t.start, t.end) for t in clinician.timeOff]
    day = first
    while day <= min(last, last_day):
        for window_start, window_end in clinician.working_windows(day, zone):
            for type_id in type_ids:
                length = timedelta(minutes=config.appointmentTypes[type_id].durationMinutes)
                start = window_start
                while start + length <= window_end:
                    if start >= earliest and start > now and not _overlaps(start, start + length, time_off):
                        yield Slot(clinician.id, type_id, start, start + length)
                    start += step
        day += timedelta(days=1)


def open_slots(
    config: PracticeConfig,
    client_type: ClientType,
    first: date,
    last: date,
    now: datetime,
    busy: Iterable[Busy],
    clinician_id: str | None = None,
    type_id: str | None = None,
) -> list[Slot]:
    """Open slots from `first` to `last` (local dates, inclusive) for one clinician or any clinician,
    sorted by start, then clinician name."""
    if not config.scheduling.enabled:
        return []
    index = _BusyIndex(busy)
    slots: list[tuple[datetime, str, Slot]] = []
    for clinician, offered in config.portal_clinicians(client_type):
        if clinician_id is not None and clinician.id != clinician_id:
            continue
        type_ids = [t for t in offered if type_id is None or t == type_id]
        for slot in _candidates(config, clinician, type_ids, first, last, now):
            if not index.overlaps(clinician.id, slot.start, slot.end):
                slots.append((slot.start, clinician.name.casefold(), slot))
    slots.sort(key=lambda s: (s[0], s[1], s[2].clinician_id, s[2].type_id))
    return [s for _, _, s in slots]


def is_offered(
    config: PracticeConfig,
    client_type: ClientType,
    clinician_id: str,
    type_id: str,
    start: datetime,
    now: datetime,
) -> bool:
    """Whether availability offers this start by the practice's rules, whoever holds it now.

    A start that is offered but held by someone else is a conflict, found when the time is claimed."""
    day = config.local(start).date()
    candidates = open_slots(config, client_type, day, day, now, (), clinician_id, type_id)
    return any(slot.start == start for slot in candidates)


def check_staff_time(
    config: PracticeConfig, clinician_id: str, type_id: str, start: datetime, now: datetime
) -> datetime:
    """Validate a time chosen by staff when approving: staff may book outside the slot interval,
    the minimum notice and the horizon, but only in the future, on the grid, within the clinician's
    working hours and outside their time off. Returns the end."""
    clinician = config.clinicians.get(clinician_id)
    kind = config.appointmentTypes.get(type_id)
    if clinician is None:
        raise Invalid("unknown_clinician", "There is no such clinician.", "clinicianId")
    if kind is None:
        raise Invalid("unknown_appointment_type", "There is no such appointment type.", "appointmentTypeId")
    if not clinician.offers(type_id):
        raise Invalid(
            "type_not_offered", "This clinician does not offer this appointment type.", "appointmentTypeId"
        )
    end = start + timedelta(minutes=kind.durationMinutes)
    if start <= now or not on_grid(start):
        raise slot_not_offered()
    day = config.local(start).date()
    windows = [w for d in (day - timedelta(days=1), day) for w in clinician.working_windows(d, config.zone)]
    inside = any(ws <= start and end <= we for ws, we in windows)
    time_off = [(t.start, t.end) for t in clinician.timeOff]
    if not inside or _overlaps(start, end, time_off):
        raise slot_not_offered()
    return end

"""Open slots in whole seconds since the epoch: the fast path of availability.

`slots.open_slots` is the reference: exact across clock changes, it makes a datetime for every
working window of every clinician on every day, and for every candidate. This gives the same
slots in the same order, in integers:

* Each clinician's weekly hours become a template: for each weekday and type, every start in
  seconds after local midnight, in order.
* The UTC offset is looked up once per day, at its midnight and the next. A day whose two
  offsets agree (and whose midnights are neither skipped nor repeated) has no clock change, so
  its wall times are its midnight plus the template.
  A day with a clock change (or any offset it could not prove constant) takes its windows
  from the reference's `Clinician.working_windows`, which is exact.
* Holds and time off become one sorted list of disjoint blocked spans per clinician. A day
  takes its template's starts less those too soon and those that overlap a span: found by
  bisection, a day keeps whole slices of its template (the whole of it when nothing touches
  it). A day with a clock change takes, from each exact working window less the spans, the
  starts that fit in each free interval (one `range`).
* Minimum notice, "in the future" and the horizon are one lower bound and one last day.

`tests/unit/test_fast_slots.py` compares it with the reference over random practices.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from operator import le
from zoneinfo import ZoneInfo

from .config import WEEKDAYS, ClientType, Clinician, PracticeConfig

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = EPOCH.date().toordinal()
_DAY = 86_400
_MICROSECOND = timedelta(microseconds=1)

# Time held per clinician id: (start, end) in seconds since the epoch.
Held = Mapping[str, Sequence[tuple[int, int]]]


# Open slots of one clinician, type and day: (base, offset, rank, type id, length, clinician id,
# starts, low, high). They start at base + s for each s of starts[low:high] (seconds since the
# epoch, UTC) and last `length` seconds; rank is the clinician's place in the portal's order (by
# name). On a day without a clock change base is the epoch second of its local midnight, starts
# the day's template (seconds after midnight, on whole minutes, the same object for every such
# day while the configuration is unchanged) and offset the day's UTC offset (seconds east); on a
# day with one, base is 0, starts the slots' own starts and offset None. A plain tuple: a few
# hundred are made per call.
Run = tuple[int, int | None, int, str, int, str, Sequence[int], int, int]


def seconds(instant: datetime) -> int:
    """Seconds since the epoch of an instant on a whole second."""
    return (instant - EPOCH) // timedelta(seconds=1)


def instant(value: int) -> datetime:
    return EPOCH + timedelta(seconds=value)


def _micros(instant: datetime) -> int:
    return (instant - EPOCH) // _MICROSECOND


DayPlan = tuple[date, int, int | None, int | None]
# Day tables already made, by zone and range (see _MIDNIGHTS).
_DAY_TABLES: dict[tuple[tzinfo, date, date], list[DayPlan]] = {}


def _days(zone: tzinfo, first: date, last: date) -> list[DayPlan]:
    """(day, weekday, the epoch second of its midnight, its UTC offset in seconds); the last two
    None on a day with a clock change."""
    key = (zone, first, last)
    found = _DAY_TABLES.get(key)
    if found is not None:
        return found
    found = []
    day = first
    offset = _midnight_offset(zone, day)
    while day <= last:
        following = day + timedelta(days=1)
        next_offset = _midnight_offset(zone, following)
        if offset is not None and offset == next_offset:
            found.append((day, day.weekday(), (day.toordinal() - _EPOCH_DAY) * _DAY - offset, offset))
        else:
            found.append((day, day.weekday(), None, None))
        day, offset = following, next_offset
    if len(_DAY_TABLES) > 10_000:
        _DAY_TABLES.clear()
    _DAY_TABLES[key] = found
    return found


# The offsets of midnights already looked up, by zone and day: the same few dozen days are asked
# for again and again, and a zone's rules do not change while the process runs.
_MIDNIGHTS: dict[tuple[tzinfo, date], int | None] = {}


def _midnight_offset(zone: tzinfo, day: date) -> int | None:
    """The UTC offset (seconds) of a day's midnight; None when that midnight was skipped or
    repeated by a clock change (its two readings differ)."""
    key = (zone, day)
    if key in _MIDNIGHTS:
        return _MIDNIGHTS[key]
    midnight = datetime.combine(day, time())
    first, second = zone.utcoffset(midnight), zone.utcoffset(midnight.replace(fold=1))
    found = None if first is None or first != second else first // timedelta(seconds=1)
    if len(_MIDNIGHTS) > 100_000:
        _MIDNIGHTS.clear()
    _MIDNIGHTS[key] = found
    return found


def _week(clinician: Clinician) -> list[list[tuple[int, int]]]:
    """Working intervals per weekday (Monday first), in seconds after local midnight."""
    week: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    for i, name in enumerate(WEEKDAYS):
        for interval in clinician.hours.get(name, []):
            start, end = interval.minutes()
            week[i].append((start * 60, end * 60))
    return week


Plan = tuple[int, int, list[tuple[str, int, tuple[int, ...]]]]


def _plans(week: list[list[tuple[int, int]]], lengths: list[tuple[str, int]], step: int) -> list[Plan | None]:
    """Per weekday (None on a day off): the earliest and latest working second after midnight,
    and for each type (id, length) every start that fits, in seconds after midnight, in order."""
    plans: list[Plan | None] = []
    for spans in week:
        if not spans:
            plans.append(None)
            continue
        per_type = [
            (tid, length, tuple([s for a, b in sorted(spans) for s in range(a, b - length + 1, step)]))
            for tid, length in lengths
        ]
        plans.append((min(a for a, _ in spans), max(b for _, b in spans), per_type))
    return plans


# Templates already made, by clinician (the configuration, and so each clinician, is kept between
# calls while it is unchanged: functions.store.Store): the clinician, the types and step they
# were made for, and the templates.
_TEMPLATES: dict[int, tuple[Clinician, list[tuple[str, int]], int, list[Plan | None]]] = {}


def _templates(clinician: Clinician, lengths: list[tuple[str, int]], step: int) -> list[Plan | None]:
    made = _TEMPLATES.get(id(clinician))
    if made is not None and made[0] is clinician and made[1] == lengths and made[2] == step:
        return made[3]
    plans = _plans(_week(clinician), lengths, step)
    if len(_TEMPLATES) > 1_000:
        _TEMPLATES.clear()
    _TEMPLATES[id(clinician)] = (clinician, lengths, step, plans)
    return plans


def _blocked(clinician: Clinician, held: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Time off and holds as sorted spans (starts, ends) in seconds, none overlapping another
    (they may touch). Time off may fall between seconds: its start is rounded down and its end
    up, which keeps "overlaps a slot of whole seconds" exactly as it was."""
    spans = [(_micros(t.start) // 1_000_000, -(-_micros(t.end) // 1_000_000)) for t in clinician.timeOff]
    spans.extend(held)
    spans.sort()
    starts = [start for start, _ in spans]
    ends = [end for _, end in spans]
    if all(map(le, ends, starts[1:])):
        return starts, ends  # none overlaps (as the holds of booked slots): nothing to merge
    starts, ends = [], []
    for start, end in spans:
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def open_times(
    config: PracticeConfig,
    client_type: ClientType,
    first: date,
    last: date,
    now: datetime,
    held: Held,
    clinician_id: str | None = None,
    type_id: str | None = None,
) -> list[Run]:
    """What `slots.open_slots` answers, for holds given in seconds: the same slots, in runs of a
    clinician's day (in no order: the reference's is by start, then clinician name, which is by
    start, rank, type id and length)."""
    scheduling = config.scheduling
    if not scheduling.enabled:
        return []
    zone = config.zone
    now_us = _micros(now)
    earliest_us = now_us + scheduling.minimumNoticeHours * 3_600_000_000
    # The first start allowed: at or after the minimum notice, and after now.
    lowest = max(-(-earliest_us // 1_000_000), now_us // 1_000_000 + 1)
    last = min(last, now.astimezone(zone).date() + timedelta(days=scheduling.horizonDays))
    step = scheduling.slotIntervalMinutes * 60
    days = _days(zone, first, last)
    found: list[Run] = []
    for rank, (clinician, offered) in enumerate(config.portal_clinicians(client_type)):
        if clinician_id is not None and clinician.id != clinician_id:
            continue
        lengths = [
            (t, config.appointmentTypes[t].durationMinutes * 60)
            for t in offered
            if type_id is None or t == type_id
        ]
        plans = _templates(clinician, lengths, step)
        starts, ends = _blocked(clinician, held.get(clinician.id, ()))
        cid = clinician.id
        for day, weekday, base, east in days:
            plan = plans[weekday]
            if plan is None:
                continue
            if base is None:
                _exact_day(found, clinician, day, zone, starts, ends, lowest, step, lengths, rank)
                continue
            earliest, latest, per_type = plan
            # The blocked spans that reach into the working day: from the first that ends after
            # its earliest second to the last that starts before its latest.
            first_span = bisect_right(ends, base + earliest)
            last_span = bisect_left(starts, base + latest, first_span)
            for tid, length, template in per_type:
                # The template's starts, less those too soon and those that overlap a span.
                k = bisect_left(template, lowest - base)
                for j in range(first_span, last_span):
                    cut = bisect_right(template, starts[j] - base - length, k)
                    if cut > k:
                        found.append((base, east, rank, tid, length, cid, template, k, cut))
                    k = bisect_left(template, ends[j] - base, cut)
                if k < len(template):
                    found.append((base, east, rank, tid, length, cid, template, k, len(template)))
    return found


def _exact_day(
    found: list[Run],
    clinician: Clinician,
    day: date,
    zone: ZoneInfo,
    starts: list[int],
    ends: list[int],
    lowest: int,
    step: int,
    lengths: list[tuple[str, int]],
    rank: int,
) -> None:
    """The open slots of a day with a clock change, from its exact working windows: each window
    less the blocked spans leaves free intervals, and the starts that fit in each are a range."""
    cid = clinician.id
    for a, b in clinician.working_windows(day, zone):
        window_start, window_end = seconds(a), seconds(b)
        free_start = window_start
        i = bisect_right(ends, free_start)  # the first span that ends after it
        while free_start < window_end:
            free_end = window_end
            if i < len(starts) and starts[i] < window_end:
                free_end = starts[i]
            if free_start < free_end:
                low = max(free_start, lowest) - window_start
                # Starts are window_start + k * step: the first at or after `low`.
                first_start = window_start - (-low // step) * step
                for tid, length in lengths:
                    fit = range(first_start, free_end - length + 1, step)
                    if fit:
                        found.append((0, None, rank, tid, length, cid, fit, 0, len(fit)))
            if free_end == window_end:
                break
            free_start = ends[i]
            i += 1

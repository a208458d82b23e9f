"""Availability's fast path gives exactly the reference's slots, and the same JSON, byte for byte.

The reference is `slots.open_slots` (datetimes, exact across clock changes) with the answer
written by the contract's models; the fast path is `fast_slots.open_times` (integers, a weekly
template per clinician) with `present.availability` writing the JSON. Hypothesis draws the
practices, hours, time off, holds, ranges and clocks; the ranges gather around both clock
changes of several years, in zones with and without them, north and south.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api import present
from functions.api.models import AvailabilityOut, SlotOut
from functions.scheduling.config import (
    WEEKDAYS,
    AppointmentType,
    ClientType,
    Clinician,
    Interval,
    Practice,
    PracticeConfig,
    Scheduling,
    TimeOff,
)
from functions.scheduling.fast_slots import Held, instant, open_times, seconds
from functions.scheduling.slots import Busy, open_slots

# New York and London (northern), Sydney and Santiago (southern; Santiago changes at midnight),
# Lord Howe (a half-hour change) and Kolkata (no clock changes).
ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
)
YEARS = (2026, 2027, 2028, 2029, 2030)
QUARTER = 15 * 60


@cache
def clock_changes(zone_name: str, year: int) -> tuple[date, ...]:
    """The local days of a year whose midnight and the next have different UTC offsets."""
    zone = ZoneInfo(zone_name)
    day, found = date(year, 1, 1), []
    while day.year == year:
        following = day + timedelta(days=1)
        if zone.utcoffset(datetime.combine(day, time())) != zone.utcoffset(
            datetime.combine(following, time())
        ):
            found.append(day)
        day = following
    return tuple(found)


def test_the_zones_drawn_change_their_clocks_as_expected():
    # Given the zones the property draws from, Then the DST ones change twice a year, Kolkata never
    assert all(len(clock_changes(z, 2027)) == 2 for z in ZONES if z != "Asia/Kolkata")
    assert clock_changes("Asia/Kolkata", 2027) == ()


def _wall(quarter: int) -> str:
    return "24:00" if quarter == 96 else f"{quarter // 4:02d}:{quarter % 4 * 15:02d}"


@st.composite
def week(draw: st.DrawFn) -> dict[str, list[Interval]]:
    """Working intervals on a 15-minute grid, the same every day or different each day, with
    midnight at either end and the small hours (where clocks change) drawn often."""
    quarter = st.one_of(st.sampled_from((0, 4, 8, 9, 12, 88, 92, 96)), st.integers(0, 96))

    def intervals(fewest: int = 0) -> list[Interval]:
        count = draw(st.integers(fewest, 2))
        points = sorted(draw(st.sets(quarter, min_size=2 * count, max_size=2 * count)))
        if points and draw(st.integers(0, 2)) < 2:
            points[-1] = 96  # up to midnight, often: the next day's clock change is its end
        return [
            Interval(start=_wall(a), end=_wall(b)) for a, b in zip(points[::2], points[1::2], strict=True)
        ]

    if draw(st.booleans()):
        every = intervals(fewest=1)
        return {day: every for day in WEEKDAYS}
    return {day: spans for day in WEEKDAYS if (spans := intervals())}


def _instant(draw: st.DrawFn, around: datetime, spread: timedelta, step: int = 1) -> datetime:
    """An instant within `spread` of `around`, on a multiple of `step` seconds."""
    span = int(spread.total_seconds()) // step
    return around + timedelta(seconds=step * draw(st.integers(-span, span)))


def test_holds_that_touch_overlap_or_nest_answer_as_the_reference():
    # Given a clinician in New York with holds back to back, overlapping, nested and apart, on
    # ordinary days and on the day the clocks go back
    zone = ZoneInfo("America/New_York")
    config = PracticeConfig(
        practice=Practice(timeZone="America/New_York"),
        scheduling=Scheduling(minimumNoticeHours=0, horizonDays=730, slotIntervalMinutes=15),
        appointmentTypes={"a": AppointmentType(id="a", name="A", durationMinutes=50, clientType="new")},
        clinicians={
            "c0": Clinician(
                id="c0",
                name="Ana Alves",
                appointmentTypeIds=["a"],
                hours={d: [Interval(start="00:00", end="12:00")] for d in WEEKDAYS},
            )
        },
    )
    touching: list[tuple[int, int]] = []
    overlapping: list[tuple[int, int]] = []
    for day in (date(2026, 10, 27), date(2026, 10, 28), date(2026, 11, 1)):
        nine = seconds(datetime.combine(day, time(9), tzinfo=zone))
        # 09:00 to 10:00 and 10:00 to 11:00; 01:00 to 01:15 apart
        touching += [(nine, nine + 3_600), (nine + 3_600, nine + 7_200), (nine - 28_800, nine - 27_900)]
        # 07:00 to 07:30 and 07:15 to 08:00; 04:00 to 06:00 and 04:30 to 05:00 inside it
        overlapping += [
            (nine - 7_200, nine - 5_400),
            (nine - 6_300, nine - 3_600),
            (nine - 18_000, nine - 10_800),
            (nine - 16_200, nine - 14_400),
        ]
    now = datetime(2026, 10, 1, tzinfo=UTC)
    for held in (touching, touching + overlapping):
        case = Case(config, "new", date(2026, 10, 26), date(2026, 11, 2), now, {"c0": held})

        # When availability is worked out both ways / Then the answers are the same bytes
        assert fast_body(case) == reference_body(case)


def _some(types: list[AppointmentType], leave_out: str) -> st.SearchStrategy[list[str]]:
    ids = [t.id for t in types if t.id != leave_out]
    return st.lists(st.sampled_from(ids), unique=True) if ids else st.just([])


@dataclass(frozen=True)
class Case:
    config: PracticeConfig
    client_type: ClientType
    first: date
    last: date
    now: datetime
    held: Held
    clinician_id: str | None = None
    type_id: str | None = None


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    year = draw(st.sampled_from(YEARS))
    changes = clock_changes(zone_name, year)
    if changes and draw(st.integers(0, 3)) < 3:
        anchor = draw(st.sampled_from(changes))
    else:
        anchor = date(year, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    # A range of 1 to 31 days that holds the anchor, and a day each side of it when it can.
    back = draw(st.integers(0, 29))
    first = anchor - timedelta(days=back)
    last = first + timedelta(days=draw(st.integers(min(back + 1, 30), 30)))
    middle = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)

    types = [
        AppointmentType(
            id=f"t{i}",
            name=f"Type {i}",
            durationMinutes=draw(st.sampled_from((15, 30, 45, 50, 60, 90, 120, 240))),
            clientType=draw(st.sampled_from(("new", "existing"))),
            active=draw(st.booleans()) or i == 0,
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    clinicians = []
    for i in range(draw(st.integers(1, 3))):
        offs = []
        for j in range(draw(st.integers(0, 3))):
            off = _instant(draw, middle, timedelta(days=32)) + timedelta(
                microseconds=draw(st.integers(0, 999_999))
            )
            offs.append(
                TimeOff(
                    id=f"off-{j}",
                    start=off,
                    end=off + timedelta(seconds=draw(st.integers(1, 3 * 86_400))),
                )
            )
        clinicians.append(
            Clinician(
                id=f"c{i}",
                # Names that tie once case is ignored are ordered by id.
                name=draw(st.sampled_from(("Ana Alves", "ana alves", "Bo Berg", "Zoë Zhu"))),
                shownInPortal=draw(st.booleans()) or i == 0,
                # The first clinician offers the first type, which is active: most cases have slots.
                appointmentTypeIds=(["t0"] if i == 0 else [])
                + draw(_some(types, leave_out="t0" if i == 0 else "")),
                hours=draw(week()) or {"monday": [Interval(start="00:00", end="24:00")]},
                timeOff=offs,
            )
        )
    held: dict[str, list[tuple[int, int]]] = {}
    for _ in range(draw(st.integers(0, 25))):
        start = seconds(_instant(draw, middle + timedelta(days=15), timedelta(days=17), QUARTER))
        clinician_id = draw(st.sampled_from([c.id for c in clinicians]))
        held.setdefault(clinician_id, []).append((start, start + QUARTER * draw(st.integers(1, 16))))
    config = PracticeConfig(
        practice=Practice(timeZone=zone_name),
        scheduling=Scheduling(
            minimumNoticeHours=draw(st.integers(0, 72)),
            horizonDays=draw(st.sampled_from((365, 365, 30, 10, 1))),
            slotIntervalMinutes=draw(st.sampled_from((15, 30, 45, 60))),
        ),
        appointmentTypes={t.id: t for t in types},
        clinicians={c.id: c for c in clinicians},
    )
    now = _instant(draw, middle, timedelta(days=4)) + timedelta(microseconds=draw(st.integers(0, 999_999)))
    return Case(
        config=config,
        # (Hypothesis leans to the first of each choice: the first ones give slots.)
        client_type=draw(st.sampled_from((types[0].clientType, types[0].clientType, "new", "existing"))),
        first=first,
        last=last,
        now=now,
        held=held,
        clinician_id=draw(st.sampled_from((None, None, "c0", None, "c1", "nobody"))),
        type_id=draw(st.sampled_from((None, None, None, "t0", "t1"))),
    )


def reference_body(case: Case) -> str:
    """The answer as the handler wrote it before the fast path: open_slots, then one model per slot."""
    config = case.config
    busy = [Busy(c, instant(s), instant(e)) for c, spans in case.held.items() for s, e in spans]
    slots = open_slots(
        config, case.client_type, case.first, case.last, case.now, busy, case.clinician_id, case.type_id
    )
    return AvailabilityOut(
        timeZone=config.practice.timeZone,
        slots=[
            SlotOut(
                clinicianId=s.clinician_id,
                clinicianName=config.clinician_name(s.clinician_id),
                appointmentTypeId=s.type_id,
                start=present.instant(config, s.start),
                end=present.instant(config, s.end),
            )
            for s in slots
        ],
    ).model_dump_json(exclude_unset=True)


def fast_body(case: Case) -> str:
    found = open_times(
        case.config,
        case.client_type,
        case.first,
        case.last,
        case.now,
        case.held,
        case.clinician_id,
        case.type_id,
    )
    return present.availability(case.config, found)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_fast_path_answers_exactly_what_the_reference_answers(case):
    # Given a random practice, its holds, a range of days and a clock
    # When availability is worked out both ways
    fast = fast_body(case)
    reference = reference_body(case)

    # Then the answers are the same bytes
    assert fast == reference


def test_each_clock_change_of_two_years_in_each_zone_answers_as_the_reference():
    # Given a practice working evenings, nights and mornings (every clock change's hour), busy
    # at times, with time off, in each zone
    for zone_name in ZONES:
        zone = ZoneInfo(zone_name)
        config = PracticeConfig(
            practice=Practice(timeZone=zone_name),
            scheduling=Scheduling(minimumNoticeHours=0, horizonDays=730, slotIntervalMinutes=30),
            appointmentTypes={
                "a": AppointmentType(id="a", name="A", durationMinutes=50, clientType="new"),
                "b": AppointmentType(id="b", name="B", durationMinutes=90, clientType="new"),
            },
            clinicians={
                "c0": Clinician(
                    id="c0",
                    name="Night Owl",
                    appointmentTypeIds=["a", "b"],
                    hours={
                        d: [Interval(start="00:00", end="03:30"), Interval(start="22:00", end="24:00")]
                        for d in WEEKDAYS
                    },
                ),
                "c1": Clinician(
                    id="c1",
                    name="Early Bird",
                    appointmentTypeIds=["a"],
                    hours={d: [Interval(start="01:15", end="12:00")] for d in WEEKDAYS[:6]},
                    timeOff=[
                        TimeOff(
                            id="o",
                            start=datetime(2027, 1, 4, 3, 7, 5, tzinfo=UTC),
                            end=datetime(2027, 1, 20, tzinfo=UTC),
                        )
                    ],
                ),
            },
        )
        now = datetime(2025, 12, 30, 8, 0, 30, tzinfo=UTC)
        changes = clock_changes(zone_name, 2026) + clock_changes(zone_name, 2027) or (date(2026, 6, 1),)
        # Ranges of 31 days a week apart that hold each change (and the day before it), at the
        # start, in the middle and at the end of the range
        for first in (change - timedelta(days=back) for change in changes for back in range(1, 30, 7)):
            # With a hold every 3 hours and 15 minutes across the range
            start = seconds(datetime.combine(first, time(), tzinfo=zone))
            held = {"c0": [(s, s + 3_600) for s in range(start, start + 31 * 86_400, 11_700)]}
            case = Case(config, "new", first, first + timedelta(days=30), now, held)

            # When availability is worked out both ways / Then the answers are the same bytes
            assert fast_body(case) == reference_body(case), (zone_name, first)

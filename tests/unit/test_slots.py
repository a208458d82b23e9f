"""Open slots: clock changes, notice, horizon, intervals, busy time, time off, merging, staff times."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from functions.scheduling.config import AppointmentType, ClientType, PracticeConfig
from functions.scheduling.errors import Invalid
from functions.scheduling.slots import Busy, Slot, check_staff_time, is_offered, on_grid, open_slots
from tests.unit.builders import (
    INTAKE,
    NOW,
    NY,
    SESSION,
    clinician,
    hours,
    local_starts,
    ny,
    practice,
    utc,
    utc_hours,
)

SPRING_FORWARD = date(2026, 3, 8)  # Sunday: 02:00 EST jumps to 03:00 EDT (07:00Z)
FALL_BACK = date(2026, 11, 1)  # Sunday: 02:00 EDT falls back to 01:00 EST (06:00Z)
TUESDAY = date(2026, 3, 10)  # an ordinary day (EDT: 09:00 local is 13:00Z)
QUARTER = AppointmentType(id="quarter", name="Check-in", durationMinutes=15, clientType="new")


def slots_on(
    config: PracticeConfig,
    day: date,
    *,
    client_type: ClientType = "new",
    now: datetime = NOW,
    busy: Iterable[Busy] = (),
    clinician_id: str | None = None,
    type_id: str | None = None,
) -> list[Slot]:
    return open_slots(config, client_type, day, day, now, busy, clinician_id, type_id)


def wall(slots: Iterable[Slot]) -> list[str]:
    """Local HH:MM of each slot's start."""
    return [s.start.astimezone(NY).strftime("%H:%M") for s in slots]


def quarter_hours(first: datetime, last: datetime) -> list[datetime]:
    """Every quarter-hour instant from first to last, inclusive."""
    count = int((last - first) / timedelta(minutes=15)) + 1
    return [first + timedelta(minutes=15 * i) for i in range(count)]


def sunday_night(*spans: tuple[str, str], types: Sequence[str] = ("intake", "quarter"), **scheduling):
    """A practice whose only clinician works the given intervals on Sundays only."""
    return practice(
        clinician(types=types, work=hours(*spans, days=["sunday"])),
        types=[INTAKE, SESSION, QUARTER],
        **scheduling,
    )


# --- clock changes -----------------------------------------------------------------------------


def test_spring_forward_night_offers_each_real_hour_once_with_the_right_offsets():
    # Given a clinician working 00:00-04:00 on the Sunday the clocks spring forward
    config = sunday_night(("00:00", "04:00"))

    # When hour-long intake slots are listed
    slots = slots_on(config, SPRING_FORWARD, type_id="intake")

    # Then the three real hours are offered, 02:00 (which does not exist) is skipped
    assert local_starts(slots) == [
        "2026-03-08T00:00:00-05:00",
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T03:00:00-04:00",
    ]
    assert utc_hours(slots) == [5, 6, 7]
    # And each slot lasts a real hour, the one over the change ending at 03:00 EDT
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)
    assert [s.end.astimezone(NY).isoformat() for s in slots][1] == "2026-03-08T03:00:00-04:00"


def test_fall_back_night_offers_each_real_hour_once_including_the_repeated_one():
    config = sunday_night(("00:00", "04:00"))

    slots = slots_on(config, FALL_BACK, type_id="intake")

    # The repeated 01:00 appears twice, once per offset: five real hours in all
    assert local_starts(slots) == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T03:00:00-05:00",
    ]
    assert utc_hours(slots) == [4, 5, 6, 7, 8]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (SPRING_FORWARD, ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"]),
        (
            FALL_BACK,
            [
                "2026-11-01T01:00:00-04:00",
                "2026-11-01T01:00:00-05:00",
                "2026-11-01T02:00:00-05:00",
                "2026-11-01T03:00:00-05:00",
            ],
        ),
    ],
)
def test_window_starting_at_one_covers_the_real_time_to_four(day, expected):
    config = sunday_night(("01:00", "04:00"))
    assert local_starts(slots_on(config, day, type_id="intake")) == expected


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        # 00:00 EST (05:00Z) to 04:00 EDT (08:00Z): three real hours
        (SPRING_FORWARD, utc(2026, 3, 8, 5), utc(2026, 3, 8, 7, 45)),
        # 00:00 EDT (04:00Z) to 04:00 EST (09:00Z): five real hours
        (FALL_BACK, utc(2026, 11, 1, 4), utc(2026, 11, 1, 8, 45)),
    ],
)
def test_every_real_quarter_hour_across_a_change_is_offered_exactly_once(day, first, last):
    # Given quarter-hour appointments every 15 minutes through the night of a change
    config = sunday_night(("00:00", "04:00"), slotIntervalMinutes=15)

    starts = [s.start for s in slots_on(config, day, type_id="quarter")]

    # Then the starts are exactly the real quarter hours of the window: none missing, none twice
    assert starts == quarter_hours(first, last)
    assert len(set(starts)) == len(starts)


def test_interval_ending_in_the_skipped_hour_does_not_duplicate_the_next_interval():
    # Given intervals 01:00-02:30 and 03:00-04:00 on the spring-forward Sunday (valid: they do not
    # overlap in wall time), with 15-minute check-ins starting every half hour
    config = sunday_night(("01:00", "02:30"), ("03:00", "04:00"), slotIntervalMinutes=30)

    # When the night's slots are listed
    slots = slots_on(config, SPRING_FORWARD, type_id="quarter")

    # Then every real half hour from 01:00 EST to 03:45 EDT is offered once (today 03:00 EDT is listed
    # twice: the first interval runs to 07:30Z, past the second one's 07:00Z start)
    assert local_starts(slots) == [
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T01:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
        "2026-03-08T03:30:00-04:00",
    ]


@pytest.mark.parametrize(
    ("day", "utc_nine_am"),
    [
        (date(2026, 3, 7), 14),  # Saturday before spring forward: EST
        (date(2026, 3, 9), 13),  # Monday after: EDT
        (date(2026, 10, 31), 13),  # Saturday before fall back: EDT
        (date(2026, 11, 2), 14),  # Monday after: EST
    ],
)
def test_ordinary_hours_around_a_change_map_to_the_right_utc_hours(day, utc_nine_am):
    # Given 09:00-17:00 every day and hourly intake slots
    config = practice(clinician(types=["intake"], work=hours(("09:00", "17:00"))))

    slots = slots_on(config, day)

    assert wall(slots) == [f"{h:02d}:00" for h in range(9, 17)]
    assert utc_hours(slots) == list(range(utc_nine_am, utc_nine_am + 8))


# --- notice, horizon, switch, interval --------------------------------------------------------


def test_slot_inside_the_minimum_notice_is_not_offered_and_one_at_or_after_it_is():
    # Given 24 hours' notice and quarter-hour starts; now is Monday 11:30Z (06:30 EST)
    work = hours(("06:00", "10:00"))
    config = practice(clinician(types=["intake"], work=work), minimumNoticeHours=24, slotIntervalMinutes=15)
    now = utc(2026, 3, 2, 11, 30)

    # Then nothing on Monday, and Tuesday starts exactly 24 hours from now
    assert slots_on(config, date(2026, 3, 2), now=now) == []
    assert wall(slots_on(config, date(2026, 3, 3), now=now))[:2] == ["06:30", "06:45"]
    # And a minute later, the 06:30 start is inside the notice: the next one is first
    assert wall(slots_on(config, date(2026, 3, 3), now=now + timedelta(minutes=1)))[:1] == ["06:45"]


def test_without_notice_a_start_must_still_be_after_now():
    config = practice(clinician(types=["intake"]), minimumNoticeHours=0)
    now = ny(date(2026, 3, 3), 10)  # exactly the 10:00 start

    assert wall(slots_on(config, date(2026, 3, 3), now=now)) == [
        "11:00",
        "12:00",
        "13:00",
        "14:00",
        "15:00",
        "16:00",
    ]


@pytest.mark.parametrize(
    ("now", "last_day"),
    [
        (utc(2026, 3, 2, 12), date(2026, 3, 5)),  # Monday 07:00 EST
        (utc(2026, 3, 3, 3), date(2026, 3, 5)),  # Monday 22:00 EST, already Tuesday in UTC
    ],
)
def test_last_offered_local_date_is_today_plus_horizon(now, last_day):
    config = practice(clinician(types=["intake"]), horizonDays=3)

    slots = open_slots(config, "new", date(2026, 3, 2), date(2026, 3, 12), now, ())

    assert max(s.start.astimezone(NY).date() for s in slots) == last_day
    assert wall(s for s in slots if s.start.astimezone(NY).date() == last_day)[-1] == "16:00"


def test_scheduling_disabled_offers_nothing():
    config = practice(clinician(), enabled=False)
    assert open_slots(config, "new", date(2026, 3, 2), date(2026, 3, 20), NOW, ()) == []
    assert open_slots(config, "existing", date(2026, 3, 2), date(2026, 3, 20), NOW, ()) == []


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (15, ["09:00", "09:15", "09:30", "09:45", "10:00"]),
        (30, ["09:00", "09:30", "10:00"]),
        (45, ["09:00", "09:45"]),
        (60, ["09:00", "10:00"]),
    ],
)
def test_starts_are_slot_interval_apart_from_the_window_start_and_fit_inside_it(interval, expected):
    # Given 09:00-11:00 and hour-long intakes
    config = practice(
        clinician(types=["intake"], work=hours(("09:00", "11:00"))), slotIntervalMinutes=interval
    )

    assert wall(slots_on(config, TUESDAY)) == expected


def test_each_working_interval_starts_its_own_sequence():
    config = practice(clinician(types=["intake"], work=hours(("09:00", "10:30"), ("13:15", "15:15"))))
    assert wall(slots_on(config, TUESDAY)) == ["09:00", "13:15", "14:15"]


def test_days_without_hours_offer_nothing():
    config = practice(clinician(work=hours(("09:00", "17:00"), days=["tuesday"])))
    assert open_slots(config, "new", date(2026, 3, 11), date(2026, 3, 16), NOW, ()) == []


def test_date_range_is_inclusive_and_in_local_dates():
    config = practice(clinician(types=["intake"], work=hours(("09:00", "10:00"))))
    slots = open_slots(config, "new", date(2026, 3, 10), date(2026, 3, 12), NOW, ())
    assert [s.start.astimezone(NY).date().day for s in slots] == [10, 11, 12]


# --- busy time ---------------------------------------------------------------------------------


def busy(day: date, hh: int, mm: int, minutes: int, clinician_id: str = "c-a") -> Busy:
    start = ny(day, hh, mm)
    return Busy(clinician_id, start, start + timedelta(minutes=minutes))


def _quarter_hourly(*, type_id: str) -> PracticeConfig:
    return practice(clinician(types=[type_id], work=hours(("09:00", "13:00"))), slotIntervalMinutes=15)


def test_fifty_minute_hold_blocks_exactly_the_overlapping_hour_slots():
    # Given a 50-minute session held 10:00-10:50 and hour-long intakes every 15 minutes
    config = _quarter_hourly(type_id="intake")

    slots = slots_on(config, TUESDAY, busy=[busy(TUESDAY, 10, 0, 50)])

    # Then 09:00 (ends as it starts) and 11:00 onward stay; 10:45 overlaps its last 5 minutes
    assert wall(slots) == ["09:00", "11:00", "11:15", "11:30", "11:45", "12:00"]


def test_sixty_minute_hold_blocks_exactly_the_overlapping_fifty_minute_slots():
    # Given an hour held 10:00-11:00 and 50-minute sessions every 15 minutes
    config = _quarter_hourly(type_id="session")

    slots = slots_on(config, TUESDAY, client_type="existing", busy=[busy(TUESDAY, 10, 0, 60)])

    # Then 09:00-09:50 fits before it, 09:15 (to 10:05) does not, 11:00 touches its end
    assert wall(slots) == ["09:00", "11:00", "11:15", "11:30", "11:45", "12:00"]


def test_holds_of_both_lengths_together():
    config = _quarter_hourly(type_id="intake")

    slots = slots_on(config, TUESDAY, busy=[busy(TUESDAY, 9, 15, 50), busy(TUESDAY, 11, 30, 60)])

    # 09:15-10:05 blocks up to 10:00; 11:30-12:30 blocks 10:45 to 12:15
    assert wall(slots) == ["10:15", "10:30"]


def test_touching_holds_do_not_block():
    # Given holds ending exactly at 10:00 and starting exactly at 12:00
    config = practice(clinician(types=["intake"], work=hours(("09:00", "13:00"))))

    slots = slots_on(config, TUESDAY, busy=[busy(TUESDAY, 9, 0, 60), busy(TUESDAY, 12, 0, 50)])

    assert wall(slots) == ["10:00", "11:00"]


def test_hold_of_another_clinician_blocks_nothing():
    config = practice(clinician(types=["intake"], work=hours(("09:00", "11:00"))))
    slots = slots_on(config, TUESDAY, busy=[busy(TUESDAY, 9, 0, 120, clinician_id="c-other")])
    assert wall(slots) == ["09:00", "10:00"]


def test_many_random_holds_block_exactly_the_slots_they_overlap():
    # Given many holds of random lengths on the grid over a fortnight
    rng = random.Random(20260308)
    config = practice(
        clinician(types=["intake"], work=hours(("08:00", "18:00"))),
        slotIntervalMinutes=15,
    )
    first, last = date(2026, 3, 3), date(2026, 3, 16)
    everything = open_slots(config, "new", first, last, NOW, ())
    base = ny(first, 7)
    holds = [
        Busy("c-a", s, s + timedelta(minutes=rng.randint(15, 240)))
        for s in (base + timedelta(minutes=15 * rng.randrange(14 * 96)) for _ in range(150))
    ]

    # When slots are listed with those holds
    slots = open_slots(config, "new", first, last, NOW, holds)

    # Then exactly the slots overlapping no hold remain
    expected = [s for s in everything if not any(h.start < s.end and s.start < h.end for h in holds)]
    assert slots == expected
    assert 0 < len(slots) < len(everything)


# --- time off ----------------------------------------------------------------------------------


def test_time_off_removes_only_the_slots_it_overlaps():
    # Given time off 10:30-11:15 and hour-long intakes every 15 minutes
    off = (ny(TUESDAY, 10, 30), ny(TUESDAY, 11, 15))
    config = practice(
        clinician(types=["intake"], work=hours(("09:00", "13:00")), time_off=[off]),
        slotIntervalMinutes=15,
    )

    # Then slots ending by 10:30 or starting at 11:15 or later stay
    assert wall(slots_on(config, TUESDAY)) == ["09:00", "09:15", "09:30", "11:15", "11:30", "11:45", "12:00"]


def test_time_off_over_days_removes_those_days_only():
    off = (ny(date(2026, 3, 10), 0), ny(date(2026, 3, 12), 0))
    config = practice(clinician(types=["intake"], work=hours(("09:00", "10:00")), time_off=[off]))

    slots = open_slots(config, "new", date(2026, 3, 9), date(2026, 3, 13), NOW, ())

    assert [s.start.astimezone(NY).date().day for s in slots] == [9, 12, 13]


def test_time_off_of_one_clinician_leaves_the_other_bookable():
    off = (ny(TUESDAY, 0), ny(TUESDAY, 23))
    config = practice(
        clinician("c-a", "Alex Adams", types=["intake"], work=hours(("09:00", "10:00")), time_off=[off]),
        clinician("c-b", "Bea Brown", types=["intake"], work=hours(("09:00", "10:00"))),
    )
    assert [s.clinician_id for s in slots_on(config, TUESDAY)] == ["c-b"]


# --- any clinician -----------------------------------------------------------------------------


def _team() -> PracticeConfig:
    return practice(
        clinician("c-1", "bob Baker", types=["intake", "session"], work=hours(("09:00", "11:00"))),
        clinician("c-2", "Alice Archer", types=["session", "intake"], work=hours(("10:00", "12:00"))),
        clinician(
            "c-3", "Hal Hidden", types=["intake", "session"], work=hours(("09:00", "12:00")), shown=False
        ),
        clinician("c-4", "Sam Sessions", types=["session"], work=hours(("09:00", "10:00"))),
    )


def test_any_clinician_merges_new_client_slots_by_start_then_name():
    slots = slots_on(_team(), TUESDAY, client_type="new")

    # Alice sorts before bob whatever the case; Hal is hidden; Sam offers no intake
    assert [(t, s.clinician_id, s.type_id) for t, s in zip(wall(slots), slots, strict=True)] == [
        ("09:00", "c-1", "intake"),
        ("10:00", "c-2", "intake"),
        ("10:00", "c-1", "intake"),
        ("11:00", "c-2", "intake"),
    ]


def test_any_clinician_for_existing_clients_offers_sessions_only():
    slots = slots_on(_team(), TUESDAY, client_type="existing")

    assert {s.type_id for s in slots} == {"session"}
    assert [(t, s.clinician_id) for t, s in zip(wall(slots), slots, strict=True)] == [
        ("09:00", "c-1"),
        ("09:00", "c-4"),
        ("10:00", "c-2"),
        ("10:00", "c-1"),
        ("11:00", "c-2"),
    ]


def test_one_clinician_only_when_asked():
    assert {s.clinician_id for s in slots_on(_team(), TUESDAY, clinician_id="c-2")} == {"c-2"}


@pytest.mark.parametrize("clinician_id", ["c-3", "c-4", "c-nobody"])
def test_hidden_unknown_or_non_offering_clinician_gets_no_slots(clinician_id):
    assert slots_on(_team(), TUESDAY, client_type="new", clinician_id=clinician_id) == []


def test_type_of_the_other_client_type_gets_no_slots():
    assert slots_on(_team(), TUESDAY, client_type="new", type_id="session") == []


def test_same_name_clinicians_are_ordered_by_id():
    config = practice(
        clinician("c-9", "Pat Lee", types=["intake"], work=hours(("09:00", "10:00"))),
        clinician("c-1", "pat lee", types=["intake"], work=hours(("09:00", "10:00"))),
    )
    assert [s.clinician_id for s in slots_on(config, TUESDAY)] == ["c-1", "c-9"]


# --- is_offered --------------------------------------------------------------------------------


def _offered(
    config: PracticeConfig, start: datetime, *, type_id: str = "intake", now: datetime = NOW
) -> bool:
    client_type = config.appointmentTypes[type_id].clientType
    return is_offered(config, client_type, "c-a", type_id, start, now)


def test_is_offered_accepts_a_listed_start_in_any_offset():
    config = practice(clinician())
    assert _offered(config, ny(TUESDAY, 10))
    assert _offered(config, ny(TUESDAY, 10).astimezone(UTC))


@pytest.mark.parametrize(
    ("start", "why"),
    [
        (ny(TUESDAY, 10, 15), "between hourly starts"),
        (ny(TUESDAY, 8), "before working hours"),
        (ny(TUESDAY, 16, 30), "would end after working hours"),
        (ny(date(2026, 3, 3), 9), "inside the 48-hour notice"),
        (ny(date(2026, 3, 20), 9), "beyond the 14-day horizon"),
        (ny(TUESDAY, 13), "in time off"),
    ],
)
def test_is_offered_refuses_what_availability_does_not_list(start, why):
    off = (ny(TUESDAY, 12, 30), ny(TUESDAY, 14))
    config = practice(clinician(time_off=[off]), minimumNoticeHours=48, horizonDays=14)
    assert not _offered(config, start), why


def test_is_offered_refuses_a_type_of_the_other_client_type_or_not_offered():
    config = practice(clinician(types=["session"]))
    assert not is_offered(config, "new", "c-a", "session", ny(TUESDAY, 10), NOW)
    assert not is_offered(config, "new", "c-a", "intake", ny(TUESDAY, 10), NOW)
    assert is_offered(config, "existing", "c-a", "session", ny(TUESDAY, 10), NOW)


def test_is_offered_across_the_spring_change():
    config = sunday_night(("00:00", "04:00"))
    assert _offered(config, utc(2026, 3, 8, 7))  # 03:00 EDT
    assert not _offered(config, utc(2026, 3, 8, 8))  # 04:00 EDT, the window's end


# --- staff times -------------------------------------------------------------------------------


def _staff(config: PracticeConfig, start: datetime, *, cid: str = "c-a", type_id: str = "intake") -> datetime:
    return check_staff_time(config, cid, type_id, start, NOW)


def test_staff_may_book_off_the_slot_interval_inside_notice_and_beyond_horizon():
    config = practice(clinician(), minimumNoticeHours=72, horizonDays=1)

    # 09:45 is no hourly start, Tuesday is inside the notice, and April is past the horizon
    assert _staff(config, ny(date(2026, 3, 3), 9, 45)) == ny(date(2026, 3, 3), 10, 45)
    assert _staff(config, ny(date(2026, 4, 7), 16)) == ny(date(2026, 4, 7), 17)
    assert _staff(config, ny(TUESDAY, 9), type_id="session") == ny(TUESDAY, 9, 50)


def _refusal(config: PracticeConfig, start: datetime, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(Invalid) as caught:
        _staff(config, start, **kwargs)
    return caught.value.code, caught.value.field


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(ny(TUESDAY, 10, 10), id="off-grid"),
        pytest.param(ny(TUESDAY, 10, 0) + timedelta(seconds=30), id="off-grid-seconds"),
        pytest.param(NOW, id="now"),
        pytest.param(NOW - timedelta(days=1), id="past"),
        pytest.param(ny(TUESDAY, 8, 45), id="starts-before-hours"),
        pytest.param(ny(TUESDAY, 16, 15), id="ends-after-hours"),
        pytest.param(ny(TUESDAY, 11, 45), id="spans-the-lunch-gap"),
        pytest.param(ny(date(2026, 3, 14), 10), id="saturday-no-hours"),
        pytest.param(ny(TUESDAY, 14, 30), id="ends-inside-time-off"),
        pytest.param(ny(TUESDAY, 15), id="starts-inside-time-off"),
    ],
)
def test_staff_time_refused_as_not_offered(start):
    off = (ny(TUESDAY, 15), ny(TUESDAY, 15, 30))
    work = hours(("09:00", "12:00"), ("13:00", "17:00"), days=["tuesday"])
    config = practice(clinician(work=work, time_off=[off]))
    assert _refusal(config, start) == ("slot_not_offered", "start")


def test_staff_time_must_be_after_now():
    # Given it is 10:00 on a working Tuesday
    config = practice(clinician())
    now = ny(TUESDAY, 10)

    # Then 10:00 itself is refused and the next quarter hour is accepted
    with pytest.raises(Invalid, match="slot_not_offered"):
        check_staff_time(config, "c-a", "intake", now, now)
    assert check_staff_time(config, "c-a", "intake", ny(TUESDAY, 10, 15), now) == ny(TUESDAY, 11, 15)


def test_staff_time_just_after_time_off_is_accepted():
    off = (ny(TUESDAY, 15), ny(TUESDAY, 15, 30))
    config = practice(clinician(time_off=[off]))
    assert _staff(config, ny(TUESDAY, 15, 30)) == ny(TUESDAY, 16, 30)
    assert _staff(config, ny(TUESDAY, 14)) == ny(TUESDAY, 15)


@pytest.mark.parametrize(
    ("cid", "type_id", "refusal"),
    [
        ("c-a", "intake", ("type_not_offered", "appointmentTypeId")),
        ("c-nobody", "session", ("unknown_clinician", "clinicianId")),
        ("c-a", "nothing", ("unknown_appointment_type", "appointmentTypeId")),
    ],
)
def test_staff_time_refuses_unknown_or_not_offered_combinations(cid, type_id, refusal):
    config = practice(clinician(types=["session"]))
    assert _refusal(config, ny(TUESDAY, 10), cid=cid, type_id=type_id) == refusal


def test_staff_may_book_a_hidden_clinician():
    config = practice(clinician(shown=False))
    assert _staff(config, ny(TUESDAY, 10)) == ny(TUESDAY, 11)


def test_staff_time_in_the_repeated_hour_of_the_fall_change():
    # 01:30 EST, the second 01:30 of the night, inside 00:00-04:00
    config = sunday_night(("00:00", "04:00"))
    second = ny(FALL_BACK, 1, 30, fold=1)
    assert second.astimezone(UTC) == utc(2026, 11, 1, 6, 30)
    assert _staff(config, second) == utc(2026, 11, 1, 7, 30)
    # while 03:30 EST would end after 04:00
    assert _refusal(config, ny(FALL_BACK, 3, 30)) == ("slot_not_offered", "start")


def test_on_grid_is_judged_in_utc_to_the_second():
    assert on_grid(utc(2026, 3, 10, 14, 45))
    assert on_grid(ny(TUESDAY, 9, 15))
    assert not on_grid(utc(2026, 3, 10, 14, 50))
    assert not on_grid(utc(2026, 3, 10, 14, 45) + timedelta(microseconds=1))

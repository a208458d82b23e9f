"""web/js/zone.js, the pages' one helper between instants and the practice's wall time, in
chromium against Python's zoneinfo: the days the clocks change, zones that change them at
midnight or by half an hour, and a day a zone skipped."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

DAYS = [
    ("America/New_York", date(2025, 3, 9)),  # 02:00 -> 03:00: 23 hours
    ("America/New_York", date(2025, 11, 2)),  # 02:00 -> 01:00: 25 hours
    ("America/New_York", date(2025, 7, 1)),
    ("Europe/London", date(2025, 3, 30)),
    ("Europe/London", date(2025, 10, 26)),
    ("America/Havana", date(2025, 3, 9)),  # midnight skipped: the day starts at 01:00
    ("America/Santiago", date(2024, 9, 8)),  # midnight skipped as well
    ("Australia/Lord_Howe", date(2025, 4, 6)),  # half an hour back
    ("Asia/Kolkata", date(2025, 3, 9)),  # +05:30, no change
    ("Pacific/Apia", date(2011, 12, 30)),  # skipped: it begins and ends when Dec 31 begins
    ("UTC", date(2025, 1, 1)),
]


def zone_js(page: Any, stack: Any, script: str, *args: Any) -> Any:
    """Runs `script` (a function of the module and the arguments) in the portal's page."""
    if not page.url.startswith(stack.url):
        page.goto(stack.url)
        page.locator("body[data-ready]").wait_for(state="attached")
    return page.evaluate(
        f"async (args) => {{ const zone = await import('/js/zone.js'); return ({script})(zone, ...args); }}",
        list(args),
    )


def exists(wall: datetime, tz: ZoneInfo) -> bool:
    return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant whose date on the zone's clock is `day` (or later, for a skipped day)."""
    wall = datetime.combine(day, time())
    while not exists(wall, tz):
        wall += timedelta(minutes=1)
    return wall.replace(tzinfo=tz).astimezone(UTC)  # fold 0: the earlier of two


def written(text: str, tz: ZoneInfo) -> datetime:
    """An instant as zone.js writes it: the wall time with the zone's offset at that moment."""
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() == parsed.astimezone(tz).utcoffset(), text
    return parsed.astimezone(UTC)


def test_day_bounds_follow_the_zones_clock_across_clock_changes(page, stack):
    # When zone.js gives the bounds of each day
    found = zone_js(
        page,
        stack,
        "(zone, days) => days.map(([tz, day]) => zone.dayBounds(day, tz))",
        [[tz, day.isoformat()] for tz, day in DAYS],
    )

    # Then each starts when the zone's clock reaches that date and ends when it reaches the next
    for (name, day), bounds in zip(DAYS, found, strict=True):
        tz = ZoneInfo(name)
        start, end = written(bounds["start"], tz), written(bounds["end"], tz)
        assert (start, end) == (day_start(day, tz), day_start(day + timedelta(days=1), tz)), (name, day)
    hours = {
        key: (datetime.fromisoformat(b["end"]) - datetime.fromisoformat(b["start"])) / timedelta(hours=1)
        for key, b in zip(DAYS, found, strict=True)
    }
    assert hours[("America/New_York", date(2025, 3, 9))] == 23
    assert hours[("America/New_York", date(2025, 11, 2))] == 25
    assert hours[("Australia/Lord_Howe", date(2025, 4, 6))] == 24.5
    assert hours[("Pacific/Apia", date(2011, 12, 30))] == 0


@pytest.mark.parametrize(
    "name", ["America/New_York", "Europe/London", "America/Havana", "Australia/Lord_Howe"]
)
def test_a_wall_time_is_its_instant_and_back_and_a_skipped_one_is_none(page, stack, name):
    # Given every quarter hour of the days around the zone's clock changes in 2025
    tz = ZoneInfo(name)
    changes = _change_days(tz, 2025)
    walls = [datetime.combine(day, time()) + timedelta(minutes=15 * q) for day in changes for q in range(96)]

    # When zone.js reads each on the zone's clock, and writes the instant back as a wall time
    found = zone_js(
        page,
        stack,
        "(zone, tz, walls) => walls.map((w) => { const i = zone.instant(w, tz);"
        " return [i, i && zone.wallTime(i, tz), i && zone.offsetMinutes(i, tz)]; })",
        name,
        [w.strftime("%Y-%m-%dT%H:%M") for w in walls],
    )

    # Then a wall time that exists is an instant of it (one of the two where the clock went back),
    # with the zone's offset then, and reads back as itself; one that was skipped is none
    for wall, (written_instant, back, offset) in zip(walls, found, strict=True):
        if not exists(wall, tz):
            assert written_instant is None, wall
            continue
        at = written(written_instant, tz)
        assert at in {wall.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1)}, wall
        assert back == wall.strftime("%Y-%m-%dT%H:%M")
        assert offset * 60 == at.astimezone(tz).utcoffset().total_seconds()  # type: ignore[union-attr]


def _change_days(tz: ZoneInfo, year: int) -> list[date]:
    """The dates on which the zone's offset changes in a year."""
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        noon = [datetime.combine(day + timedelta(days=n), time(12), tzinfo=tz).utcoffset() for n in (0, 1)]
        if noon[0] != noon[1]:
            days.append(day + timedelta(days=1))
        day += timedelta(days=1)
    return days


def test_the_quarter_hours_of_a_day_are_the_zones_clock_across_clock_changes(page, stack):
    # When zone.js lists the quarter hours of each day, as the staff calendar draws its rows
    found = zone_js(
        page,
        stack,
        "(zone, days) => days.map(([tz, day]) => zone.quarterHours(day, tz))",
        [[tz, day.isoformat()] for tz, day in DAYS],
    )

    # Then they are every quarter hour from the day's start to the next day's, each with its
    # wall time on the zone's clock, and the second time round is marked as such
    for (name, day), quarters in zip(DAYS, found, strict=True):
        tz = ZoneInfo(name)
        first, last = day_start(day, tz), day_start(day + timedelta(days=1), tz)
        expected = [first + timedelta(minutes=15 * i) for i in range((last - first) // timedelta(minutes=15))]
        assert [written(q["start"], tz) for q in quarters] == expected, (name, day)
        walls = [e.astimezone(tz).strftime("%H:%M") for e in expected]
        assert [q["time"] for q in quarters] == walls, (name, day)
        assert [q["again"] for q in quarters] == [w in walls[:i] for i, w in enumerate(walls)], (name, day)
    counts = {key: len(q) for key, q in zip(DAYS, found, strict=True)}
    assert counts[("America/New_York", date(2025, 3, 9))] == 92
    assert counts[("America/New_York", date(2025, 11, 2))] == 100
    assert counts[("America/New_York", date(2025, 7, 1))] == 96


def test_a_range_of_days_reads_as_people_write_it(page, stack):
    # When zone.js writes weeks within a month, across months and across years, and one the
    # staff calendar writes with the months in full
    found = zone_js(
        page,
        stack,
        "(zone, ranges) => ranges.map(([first, last, month]) => zone.formatDateRange(first, last, month))",
        [
            ["2026-12-07", "2026-12-13", "short"],
            ["2026-11-30", "2026-12-06", "short"],
            ["2026-12-28", "2027-01-03", "short"],
            ["2026-11-30", "2026-12-06", "long"],
        ],
    )

    # Then a month or year both dates share is written once, the dates joined by a dash
    assert [re.sub(r"[\u2009\u202f]", " ", text) for text in found] == [
        "Dec 7 – 13, 2026",
        "Nov 30 – Dec 6, 2026",
        "Dec 28, 2026 – Jan 3, 2027",
        "November 30 – December 6, 2026",
    ]

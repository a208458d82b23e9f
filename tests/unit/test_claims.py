"""Claim cells: two intervals starting on the grid overlap exactly when they share a cell."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from functions.scheduling.claims import cells
from tests.unit.builders import NY, utc

BASE = utc(2026, 3, 1, 0)


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_cells_are_the_quarter_hours_touched_in_utc():
    start = datetime(2026, 3, 10, 9, 0, tzinfo=NY)

    assert cells(start, start + timedelta(minutes=50)) == [
        utc(2026, 3, 10, 13, 0),
        utc(2026, 3, 10, 13, 15),
        utc(2026, 3, 10, 13, 30),
        utc(2026, 3, 10, 13, 45),  # touched by the last 5 minutes
    ]
    assert all(c.tzinfo is UTC for c in cells(start, start + timedelta(minutes=50)))


@pytest.mark.parametrize(("minutes", "count"), [(15, 1), (16, 2), (45, 3), (50, 4), (60, 4), (240, 16)])
def test_cell_count_is_the_length_rounded_up_to_quarter_hours(minutes, count):
    assert len(cells(BASE, BASE + timedelta(minutes=minutes))) == count


def test_cells_step_absolute_time_across_a_clock_change():
    # 01:00 EST to 03:00 EDT on 8 March 2026 is one real hour: four cells
    start = datetime(2026, 3, 8, 1, 0, tzinfo=NY)
    assert cells(start, datetime(2026, 3, 8, 3, 0, tzinfo=NY)) == [
        utc(2026, 3, 8, 6, m) for m in (0, 15, 30, 45)
    ]


@pytest.mark.parametrize(
    "start",
    [
        utc(2026, 3, 10, 13, 5),
        utc(2026, 3, 10, 13, 0) + timedelta(seconds=1),
        datetime(2026, 3, 10, 9, 7, tzinfo=NY),
    ],
)
def test_claims_refuse_a_start_off_the_grid(start):
    with pytest.raises(ValueError, match="on the grid"):
        cells(start, start + timedelta(minutes=60))


def test_adjacent_intervals_share_no_cell():
    first = cells(BASE, BASE + timedelta(minutes=60))
    second = cells(BASE + timedelta(minutes=60), BASE + timedelta(minutes=110))
    assert not set(first) & set(second)


@pytest.mark.parametrize("step", [15, 1], ids=["grid-lengths", "any-lengths"])
def test_intervals_overlap_iff_their_cells_intersect(step):
    # Given many random pairs of intervals starting on the grid near each other, 15 to 240 minutes long
    # (lengths on the grid, or any whole minute as for a 50-minute session)
    rng = random.Random(1508 + step)
    overlapping = disjoint = 0
    for _ in range(4000):
        a_start = BASE + timedelta(minutes=15 * rng.randrange(64))
        b_start = BASE + timedelta(minutes=15 * rng.randrange(64))
        a = (a_start, a_start + timedelta(minutes=rng.randrange(15, 241, step)))
        b = (b_start, b_start + timedelta(minutes=rng.randrange(15, 241, step)))

        # Then the intervals overlap exactly when their cell sets intersect
        shared = bool(set(cells(*a)) & set(cells(*b)))
        assert shared == _overlap(a, b), (a, b)
        overlapping += shared
        disjoint += not shared

    # And both outcomes were actually exercised
    assert overlapping > 500
    assert disjoint > 500

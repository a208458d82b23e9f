"""The compact instants of the busy index: what availability reads back for every hold."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from functions.store import keys


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 6, 45, tzinfo=UTC),
        datetime(1999, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 1, 30, tzinfo=timezone(timedelta(hours=-4))),
    ],
)
def test_compact_round_trips_to_the_same_utc_instant(instant: datetime) -> None:
    text = keys.compact(instant)
    assert len(text) == 14
    back = keys.from_compact(text)
    assert back == instant
    assert back.tzinfo is UTC


def test_busy_sort_keys_order_as_their_instants_and_parse_back() -> None:
    start = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    later = keys.busy_sort(start + timedelta(minutes=15), start + timedelta(minutes=65), "c-okafor")
    earlier = keys.busy_sort(start, start + timedelta(minutes=50), "c-lee#2")
    assert earlier < later
    assert keys.parse_busy_sort(earlier) == (start, start + timedelta(minutes=50), "c-lee#2")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "20261203T1500",
        "20261203 1500Z",
        "2026120T31500Z",
        "2026+203T1500Z",
        "2026１203T1500Z",
        "20261303T1500Z",
    ],
)
def test_a_malformed_compact_instant_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="compact UTC instant"):
        keys.from_compact(text)
    with pytest.raises(ValueError, match="compact UTC instant"):
        keys.seconds_of(text)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def test_busy_keys_read_as_seconds_give_the_same_instants_read_twice() -> None:
    # Given a hold's key, and one whose date and time of day were seen before
    start = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    first = keys.busy_sort(start, start + timedelta(minutes=50), "c-lee#2")
    again = keys.busy_sort(start, start + timedelta(minutes=50), "c-okafor")

    # When they are read as seconds since the epoch
    found = [keys.busy_seconds(first), keys.busy_seconds(again)]

    # Then both give the instants and the clinician they were made of
    seconds = (start - EPOCH) // timedelta(seconds=1)
    assert found == [(seconds, seconds + 3_000, "c-lee#2"), (seconds, seconds + 3_000, "c-okafor")]


@pytest.mark.parametrize(
    "text",
    [
        "20261203T1500Z#20261203T1600Zc-okafor#",
        "20261203T1500Z#20261203T1660Z#c-okafor",
        "20261203T2400Z#20261204T0100Z#c-okafor",
        "2026120XT1500Z#20261203T1600Z#c-okafor",
        "20261203T1500Z#2026１203T1600Z#c-okafor",
    ],
)
def test_a_malformed_busy_key_is_refused_even_after_good_ones(text: str) -> None:
    keys.busy_seconds("20261203T1500Z#20261203T1600Z#c-okafor")
    with pytest.raises(ValueError, match=r"compact UTC instant|busy sort key"):
        keys.busy_seconds(text)

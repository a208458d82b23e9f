"""Validation of the practice configuration: hours, wall times, time zone, time off."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from functions import demo
from functions.scheduling.config import Clinician, Interval, Practice, PracticeConfig, Reminders, TimeOff
from functions.store import Store
from functions.store.table import _item
from tests.unit.builders import NY, SESSION, clinician, hours, practice, utc


def _working(*spans: tuple[str, str]) -> Clinician:
    return Clinician(
        id="c-a", name="Alex Adams", hours={"monday": [Interval(start=s, end=e) for s, e in spans]}
    )


# --- working intervals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spans",
    [
        [("09:00", "12:00"), ("11:45", "14:00")],  # the second starts before the first ends
        [("13:00", "17:00"), ("09:00", "13:15")],  # overlap found whatever the order given
        [("09:00", "17:00"), ("10:00", "11:00")],  # one inside the other
        [("09:00", "12:00"), ("09:00", "12:00")],  # the same interval twice
    ],
)
def test_overlapping_working_intervals_on_a_day_are_rejected(spans):
    with pytest.raises(ValidationError, match="working intervals on monday overlap"):
        _working(*spans)


def test_touching_working_intervals_are_accepted():
    # Given intervals where one ends exactly when the next begins
    given = _working(("09:00", "12:00"), ("12:00", "17:00"), ("17:00", "24:00"))

    # Then both are kept as given
    assert [i.minutes() for i in given.hours["monday"]] == [(540, 720), (720, 1020), (1020, 1440)]


def test_same_interval_on_different_days_is_not_an_overlap():
    given = Clinician(id="c-a", name="Alex Adams", hours=hours(("09:00", "17:00")))
    assert len(given.hours) == 7


@pytest.mark.parametrize("wall", ["09:10", "09:05", "12:01", "23:59", "00:50"])
def test_wall_times_off_the_15_minute_grid_are_rejected(wall):
    with pytest.raises(ValidationError, match="15-minute boundary"):
        Interval(start=wall, end="24:00")


@pytest.mark.parametrize("wall", ["9:00", "24:15", "25:00", "12:60", "noon", "", "09:00:00", " 09:00"])
def test_malformed_wall_times_are_rejected(wall):
    with pytest.raises(ValidationError, match="HH:MM"):
        Interval(start="00:00", end=wall)


@pytest.mark.parametrize("start", ["00:00", "00:15", "09:30", "23:45"])
def test_grid_wall_times_and_end_of_day_are_accepted(start):
    assert Interval(start=start, end="24:00").minutes() == (
        int(start[:2]) * 60 + int(start[3:]),
        24 * 60,
    )


@pytest.mark.parametrize(("start", "end"), [("10:00", "10:00"), ("10:00", "09:45"), ("24:00", "24:00")])
def test_interval_must_end_after_it_starts(start, end):
    with pytest.raises(ValidationError, match="end must be after start"):
        Interval(start=start, end=end)


# --- time zone ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Not/AZone", "america/new_york", "", "../etc/passwd", "EST+5", "New York"])
def test_invalid_time_zone_is_rejected(name):
    with pytest.raises(ValidationError, match="IANA time zone"):
        Practice(timeZone=name)


@pytest.mark.parametrize("name", ["America", "Europe"])
def test_time_zone_region_folder_is_rejected_as_a_validation_error(name):
    with pytest.raises(ValidationError, match="IANA time zone"):
        Practice(timeZone=name)


@pytest.mark.parametrize("name", ["America/New_York", "Europe/Berlin", "UTC", "Asia/Kathmandu"])
def test_valid_time_zones_are_accepted(name):
    assert PracticeConfig(practice=Practice(timeZone=name)).zone.key == name


# --- time off ----------------------------------------------------------------------------------


def test_time_off_ending_before_it_starts_is_rejected():
    with pytest.raises(ValidationError, match="end must be after start"):
        TimeOff(id="off", start=utc(2026, 3, 10, 15), end=utc(2026, 3, 10, 14))


def test_empty_time_off_is_rejected():
    with pytest.raises(ValidationError, match="end must be after start"):
        TimeOff(id="off", start=utc(2026, 3, 10, 15), end=utc(2026, 3, 10, 15))


def test_time_off_without_an_offset_is_rejected():
    with pytest.raises(ValidationError, match="UTC offset"):
        TimeOff.model_validate({"id": "off", "start": "2026-03-10T09:00:00", "end": "2026-03-10T10:00:00"})


def test_time_off_is_stored_in_utc():
    off = TimeOff(
        id="off", start=utc(2026, 3, 10, 14).astimezone(NY), end=utc(2026, 3, 10, 15).astimezone(NY)
    )
    assert off.start.utcoffset() == timedelta(0)
    assert off.start == utc(2026, 3, 10, 14)


# --- the rest of the model ---------------------------------------------------------------------


def test_unknown_fields_are_rejected():
    with pytest.raises(ValidationError, match="Extra inputs"):
        PracticeConfig.model_validate({"practice": {"name": "X", "colour": "blue"}})


@pytest.mark.parametrize("interval", [10, 20, 90])
def test_slot_interval_must_be_one_of_the_allowed_values(interval):
    with pytest.raises(ValidationError):
        practice(slotIntervalMinutes=interval)


def test_portal_clinicians_are_sorted_by_name_and_list_only_active_types_of_the_client_type():
    # Given a hidden clinician, one offering nothing for new clients, and an inactive type
    inactive = SESSION.model_copy(update={"id": "old", "active": False})
    config = practice(
        clinician("c-z", "zed Zane", types=["intake", "session", "old"]),
        clinician("c-b", "Bea Brown", types=["session", "intake"]),
        clinician("c-h", "Hidden Hale", types=["intake"], shown=False),
        clinician("c-s", "Sam Sessions", types=["session"]),
        types=[*practice().appointmentTypes.values(), inactive],
    )

    # Then new clients see the visible clinicians offering intake, by name regardless of case
    assert [(c.id, t) for c, t in config.portal_clinicians("new")] == [
        ("c-b", ["intake"]),
        ("c-z", ["intake"]),
    ]
    # And the inactive type is offered to nobody
    assert [(c.id, t) for c, t in config.portal_clinicians("existing")] == [
        ("c-b", ["session"]),
        ("c-s", ["session"]),
        ("c-z", ["session"]),
    ]


def test_demo_practice_is_valid_and_works_weekdays_only():
    config = demo.config()
    assert config.practice.timeZone == "America/New_York"
    monday, sunday = date(2026, 3, 9), date(2026, 3, 8)
    rivera = config.clinicians["c-rivera"]
    assert rivera.working_windows(monday, NY) == [
        (utc(2026, 3, 9, 13), utc(2026, 3, 9, 16)),
        (utc(2026, 3, 9, 17), utc(2026, 3, 9, 21)),
    ]
    assert rivera.working_windows(sunday, NY) == []
    assert config.clinician_name("c-gone") == "Former clinician"


# --- (v2) the late-change window, reminders, offers, waitlist ------------------------------------


def test_a_configuration_stored_before_v2_reads_with_the_defaults():
    # Given a configuration as the code before contract v2 stored it (numbers as DynamoDB gives them)
    stored = {
        "practice": {"name": "Demo Counseling", "timeZone": "America/New_York", "notificationEmail": None},
        "scheduling": {"enabled": True, "minimumNoticeHours": Decimal(24), "horizonDays": Decimal(60)},
    }

    # When it is read
    config = PracticeConfig.model_validate(stored)

    # Then every v2 field has the contract's default
    assert config.practice.phone is None
    assert (config.scheduling.changeCutoffHours, config.scheduling.offerHoldHours) == (0, 48)
    assert config.scheduling.waitlist is False
    assert config.reminders.hoursBefore == [24]


def test_stored_reminder_hours_read_back_as_whole_numbers():
    # Given reminders as DynamoDB returns them / When read / Then they are the hours stored, in order
    config = PracticeConfig.model_validate({"reminders": {"hoursBefore": [Decimal(2), Decimal(48)]}})
    assert config.reminders.hoursBefore == [2, 48]


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([0], "greater than or equal to 1"),
        ([169], "less than or equal to 168"),
        ([48, 24, 2], "at most 2 items"),
        ([24, 24], "same hour twice"),
    ],
    ids=["0", "169", "three", "twice"],
)
def test_reminder_hours_outside_the_rules_are_refused(hours, message):
    with pytest.raises(ValidationError, match=message):
        Reminders(hoursBefore=hours)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("changeCutoffHours", -1),
        ("changeCutoffHours", 721),
        ("offerHoldHours", 0),
        ("offerHoldHours", 169),
    ],
)
def test_window_and_offer_hours_outside_their_ranges_are_refused(field, value):
    with pytest.raises(ValidationError, match=field):
        practice(**{field: value})


# --- the configuration read on every call, parsed when it changed ---------------------------------


def _as_read(config: PracticeConfig, version: int) -> dict[str, Any]:
    """The item as a GetItem gives it: made afresh on every read."""
    values = {**config.model_dump(mode="json"), "version": version}
    item: dict[str, Any] = json.loads(json.dumps(_item(values)))
    return item


def test_the_configuration_is_parsed_again_only_when_its_item_changed():
    # Given a store that read the practice's configuration once
    store = Store(client=None, table_name="t")  # type: ignore[arg-type]
    first = store._config_from(_as_read(demo.config(), 1))

    # When the same item is read again / Then it is the configuration already parsed
    assert store._config_from(_as_read(demo.config(), 1)) is first

    # When staff renamed a clinician / Then the next read has the new name
    clinician = next(iter(demo.config().clinicians.values()))
    renamed = demo.config().model_copy(
        update={"clinicians": {clinician.id: clinician.model_copy(update={"name": "Renamed Clinician"})}}
    )
    changed = store._config_from(_as_read(renamed, 2))
    assert changed.clinicians[clinician.id].name == "Renamed Clinician"

    # When the item is read with its attributes in another order / Then it reads the same
    item = _as_read(renamed, 2)
    assert store._config_from(dict(reversed(list(item.items())))) == changed

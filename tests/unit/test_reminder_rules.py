"""When a reminder is due: elapsed hours before the start, so its local hour shifts across a clock
change; never early, at most 15 minutes late, and never one due before the time was confirmed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from functions.scheduling.lifecycle import Confirmed
from functions.scheduling.reminders import LATEST, Reminder, due_at, starts_due, why_not

NY = ZoneInfo("America/New_York")


def appointment(
    start: datetime, *, status: str = "confirmed", confirmed_at: datetime | None = None
) -> Confirmed:
    return Confirmed.model_validate(
        {
            "id": "a1",
            "status": status,
            "clinicianId": "c-rivera",
            "start": start,
            "end": start + timedelta(minutes=50),
            "client": {"firstName": "Ada", "email": "ada@example.com"},
            "confirmedAt": confirmed_at or start - timedelta(days=30),
        }
    )


def test_across_the_spring_change_a_day_before_nine_is_eight_on_the_saturday():
    # Given a 9:00 appointment on Sunday 14 March 2027, the day New York's clocks go forward
    start = datetime(2027, 3, 14, 9, 0, tzinfo=NY)

    # When its 24-hour reminder falls due
    due = due_at(start, 24).astimezone(NY)

    # Then it is 8:00 on the Saturday: 24 elapsed hours, with one hour skipped in between
    assert due == datetime(2027, 3, 13, 8, 0, tzinfo=NY)
    assert start.astimezone(UTC) - due.astimezone(UTC) == timedelta(hours=24)


def test_across_the_fall_change_a_day_before_nine_is_ten_on_the_saturday():
    # Given a 9:00 appointment on Sunday 1 November 2026, the day the clocks go back
    start = datetime(2026, 11, 1, 9, 0, tzinfo=NY)

    # Then its 24-hour reminder is due at 10:00 on the Saturday (an hour is repeated in between)
    assert due_at(start, 24).astimezone(NY) == datetime(2026, 10, 31, 10, 0, tzinfo=NY)


def test_on_an_ordinary_day_the_local_hour_is_kept():
    start = datetime(2026, 12, 8, 9, 0, tzinfo=NY)
    assert due_at(start, 24).astimezone(NY) == datetime(2026, 12, 7, 9, 0, tzinfo=NY)
    assert due_at(start, 2).astimezone(NY) == datetime(2026, 12, 8, 7, 0, tzinfo=NY)


def test_the_spring_reminder_is_sent_from_eight_and_not_a_minute_before():
    start = datetime(2027, 3, 14, 9, 0, tzinfo=NY)
    reminder = Reminder(appointment(start), 24)
    eight = datetime(2027, 3, 13, 8, 0, tzinfo=NY)

    assert why_not(reminder, eight - timedelta(minutes=1)) == "not_due"
    assert why_not(reminder, eight) is None
    assert why_not(reminder, eight + LATEST) is None
    assert why_not(reminder, eight + LATEST + timedelta(seconds=1)) == "too_late"


def test_the_window_a_run_reads_holds_exactly_the_starts_whose_reminder_it_may_send():
    now = datetime(2026, 12, 7, 14, 7, 30, tzinfo=UTC)
    low, high = starts_due(now, 24)
    assert high == now + timedelta(hours=24)
    assert low == high - LATEST
    for start in (low, high, low + timedelta(minutes=7)):
        assert why_not(Reminder(appointment(start), 24), now) is None
    for start in (low - timedelta(seconds=1), high + timedelta(seconds=1)):
        assert why_not(Reminder(appointment(start), 24), now) is not None


def test_a_reminder_due_before_the_time_was_confirmed_is_never_sent():
    # Given an appointment booked 12 hours ahead
    booked = datetime(2026, 12, 7, 21, 0, tzinfo=NY)
    start = booked + timedelta(hours=12)
    made = appointment(start, confirmed_at=booked)

    # Then it has no 24-hour reminder, ever, and its 2-hour one is sent when due
    assert why_not(Reminder(made, 24), due_at(start, 24)) == "due_before_confirmed"
    assert why_not(Reminder(made, 2), due_at(start, 2)) is None


def test_a_reminder_due_the_minute_the_time_was_confirmed_is_sent():
    start = datetime(2026, 12, 9, 9, 0, tzinfo=NY)
    made = appointment(start, confirmed_at=due_at(start, 24))
    assert why_not(Reminder(made, 24), due_at(start, 24)) is None


@pytest.mark.parametrize("status", ["requested", "cancelled", "declined"])
def test_only_a_confirmed_appointment_is_reminded(status: str):
    start = datetime(2026, 12, 9, 9, 0, tzinfo=NY)
    assert why_not(Reminder(appointment(start, status=status), 24), due_at(start, 24)) == "not_confirmed"


@pytest.mark.parametrize("status", ["reschedule_requested", "cancel_requested"])
def test_an_appointment_whose_change_awaits_review_is_still_reminded_of_its_time(status: str):
    start = datetime(2026, 12, 9, 9, 0, tzinfo=NY)
    assert why_not(Reminder(appointment(start, status=status), 24), due_at(start, 24)) is None


def test_a_moved_appointment_is_a_new_reminder_and_each_hour_its_own():
    start = datetime(2026, 12, 9, 9, 0, tzinfo=NY)
    keys = {
        Reminder(appointment(start), 24).key,
        Reminder(appointment(start), 2).key,
        Reminder(appointment(start + timedelta(hours=1)), 24).key,
    }
    assert len(keys) == 3
    assert Reminder(appointment(start), 24).key == "reminder#a1#20261209T1400Z#24h"

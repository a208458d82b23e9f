"""When a reminder is due, and whether one may be sent now. Pure: the clock is a parameter.

A reminder `h` hours before an appointment is due at `start - h` in elapsed time, so across a
clock change its local hour shifts: 24 hours before a 9:00 appointment on the Sunday the clocks
go forward is 8:00 on the Saturday, and on the Sunday they go back, 10:00. It is sent never
before it is due and at most `LATEST` after; a reminder that falls due before its appointment's
time was confirmed (a booking made 12 hours ahead has no 24-hour reminder) is not sent at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .lifecycle import Confirmed

# A reminder is sent at most this long after it fell due; the schedule runs the job more often
# than that (every 5 minutes in AWS, every minute locally), so each reminder has several chances.
LATEST = timedelta(minutes=15)


def due_at(start: datetime, hours_before: int) -> datetime:
    """`hours_before` elapsed hours before `start`, in UTC."""
    return start.astimezone(UTC) - timedelta(hours=hours_before)


def starts_due(now: datetime, hours_before: int) -> tuple[datetime, datetime]:
    """The starts whose `hours_before` reminder may be sent at `now`: due no later than now and
    no earlier than `LATEST` before it (both ends included)."""
    latest_start = now.astimezone(UTC) + timedelta(hours=hours_before)
    return latest_start - LATEST, latest_start


@dataclass(frozen=True)
class Reminder:
    appointment: Confirmed
    hours_before: int

    @property
    def due(self) -> datetime:
        return due_at(self.appointment.start, self.hours_before)

    @property
    def key(self) -> str:
        """Names this reminder on the ledger: one email per appointment, time and hour, ever. A
        moved appointment's new time is a new reminder; its old time's is never sent."""
        start = self.appointment.start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
        return f"reminder#{self.appointment.id}#{start}#{self.hours_before}h"


def why_not(reminder: Reminder, now: datetime) -> str | None:
    """None when the reminder may be sent at `now`; else a code saying why not."""
    appointment = reminder.appointment
    if not appointment.is_confirmed:
        return "not_confirmed"
    due = reminder.due
    if due > now:
        return "not_due"
    if now - due > LATEST:
        return "too_late"
    if appointment.confirmedAt is not None and due < appointment.confirmedAt:
        return "due_before_confirmed"
    return None

"""The practice's configuration: settings, appointment types and clinicians with hours and time off.

It lives in one record so that one consistent read gives a handler everything it needs to decide,
and a change made by staff applies to the very next request.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

ClientType = Literal["new", "existing"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Claims of a clinician's time are made in cells of this many minutes (see functions.scheduling.claims);
# every start and every working-hours boundary lies on this grid.
GRID_MINUTES = 15
MAX_DURATION_MINUTES = 240

# One rule for every id (in paths, in bodies, of types and clinicians): at most 128 characters.
ID_PATTERN = r"[A-Za-z0-9_-]{1,128}"
Id = Annotated[str, StringConstraints(pattern=f"^{ID_PATTERN}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "America" names a folder: OSError
        raise ValueError("must be an IANA time zone such as America/New_York") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]


class Practice(Model):
    name: Label = "Demo Counseling"
    timeZone: TimeZoneName = "America/New_York"
    # Where "a request awaits review" emails go; None sends none.
    notificationEmail: str | None = None
    # Replies to client emails go here; None leaves the sender as the reply address.
    replyToEmail: str | None = None
    # E.164 (the API checks and normalizes it); shown to clients wherever they must call instead.
    phone: str | None = None


class Scheduling(Model):
    enabled: bool = True
    anonymousRequests: bool = True
    reschedule: bool = True
    cancel: bool = True
    minimumNoticeHours: int = Field(24, ge=0, le=720)
    horizonDays: int = Field(60, ge=1, le=730)
    # Offered starts are this far apart within each working interval.
    slotIntervalMinutes: Literal[15, 30, 45, 60] = 60
    # The late-change window: a client may ask to move or cancel only while the appointment
    # starts more than this many hours from now (functions.scheduling.lifecycle.change_window_open).
    changeCutoffHours: int = Field(0, ge=0, le=720)
    # How long times offered instead of a plain denial stay held (stored now; offers come later).
    offerHoldHours: int = Field(48, ge=1, le=168)
    # Whether clients may join the waitlist (stored now; the waitlist comes later).
    waitlist: bool = False


# Reminder emails: at most this many per appointment, each this many hours before its start.
MAX_REMINDERS = 2
REMINDER_HOURS = (1, 168)
ReminderHours = Annotated[int, Field(ge=REMINDER_HOURS[0], le=REMINDER_HOURS[1])]


class Reminders(Model):
    # Each reminder goes this many hours (elapsed time) before the start; [] sends none.
    hoursBefore: list[ReminderHours] = Field(default_factory=lambda: [24], max_length=MAX_REMINDERS)

    @field_validator("hoursBefore")
    @classmethod
    def _distinct(cls, hours: list[int]) -> list[int]:
        if len(set(hours)) != len(hours):
            raise ValueError("must not name the same hour twice")
        return hours


class AppointmentType(Model):
    id: Id
    name: Label
    durationMinutes: int = Field(ge=GRID_MINUTES, le=MAX_DURATION_MINUTES)
    clientType: ClientType
    active: bool = True


_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def _wall_time(value: str) -> str:
    match = _HHMM.match(value)
    if not match:
        raise ValueError("must be a time of day as HH:MM")
    if value != "24:00" and int(match.group(2)) % GRID_MINUTES:
        raise ValueError(f"must be on a {GRID_MINUTES}-minute boundary")
    return value


WallTime = Annotated[str, AfterValidator(_wall_time)]


class Interval(Model):
    """Working time on one weekday, in the practice's wall-clock time."""

    start: WallTime
    end: WallTime

    @model_validator(mode="after")
    def _end_after_start(self) -> Interval:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def minutes(self) -> tuple[int, int]:
        sh, sm = (int(p) for p in self.start.split(":"))
        eh, em = (int(p) for p in self.end.split(":"))
        return sh * 60 + sm, eh * 60 + em


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a UTC offset")
    return value.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(_aware)]


# Time off entries a clinician may have (those that have not ended; ended ones are dropped).
MAX_TIME_OFF = 500


class TimeOff(Model):
    id: Id
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _end_after_start(self) -> TimeOff:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


WeeklyHours = dict[Weekday, list[Interval]]


class Clinician(Model):
    id: Id
    name: Label
    shownInPortal: bool = True
    appointmentTypeIds: list[Id] = Field(default_factory=list, max_length=20)
    hours: WeeklyHours = Field(default_factory=dict)
    timeOff: list[TimeOff] = Field(default_factory=list, max_length=MAX_TIME_OFF)

    def without_past_time_off(self, now: datetime) -> Clinician:
        """Time off that has ended is of no use to any decision: it is not kept."""
        return self.model_copy(update={"timeOff": [t for t in self.timeOff if t.end > now]})

    @field_validator("hours")
    @classmethod
    def _no_overlaps(cls, hours: WeeklyHours) -> WeeklyHours:
        for day, intervals in hours.items():
            spans = sorted(i.minutes() for i in intervals)
            if any(a[1] > b[0] for a, b in pairwise(spans)):
                raise ValueError(f"working intervals on {day} overlap")
        return hours

    def offers(self, type_id: str) -> bool:
        return type_id in self.appointmentTypeIds

    def working_windows(self, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
        """The UTC instants this clinician works on a local date; exact across clock changes."""
        windows = []
        for interval in self.hours.get(WEEKDAYS[day.weekday()], []):
            start_min, end_min = interval.minutes()
            windows.append((_local_instant(day, start_min, zone), _local_instant(day, end_min, zone)))
        return windows


def _local_instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The instant of a wall-clock time on a local date. A wall time skipped by a spring-forward
    change is the moment of the change (02:30 becomes 03:00); a repeated one takes its first
    occurrence."""
    if minutes == 24 * 60:
        return _local_instant(day + timedelta(days=1), 0, zone)
    naive = datetime.combine(day, time(minutes // 60, minutes % 60))
    instant = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    # In a gap, fold=1 reads the wall time with the offset after the change, an instant before
    # it; the first instant whose wall time is not earlier is the change itself.
    while instant.astimezone(zone).replace(tzinfo=None) < naive:
        instant += timedelta(minutes=GRID_MINUTES)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        # Not in a gap: take the first occurrence of a repeated wall time.
        return naive.replace(tzinfo=zone).astimezone(UTC)
    return instant


class PracticeConfig(Model):
    practice: Practice = Field(default_factory=Practice)
    scheduling: Scheduling = Field(default_factory=Scheduling)
    reminders: Reminders = Field(default_factory=Reminders)
    appointmentTypes: dict[str, AppointmentType] = Field(default_factory=dict)
    clinicians: dict[str, Clinician] = Field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.practice.timeZone)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def types_for(self, client_type: ClientType) -> list[AppointmentType]:
        return [t for t in self.appointmentTypes.values() if t.active and t.clientType == client_type]

    def portal_clinicians(self, client_type: ClientType) -> list[tuple[Clinician, list[str]]]:
        """Clinicians shown in the portal with the active types they offer to this kind of client."""
        type_ids = {t.id for t in self.types_for(client_type)}
        found = []
        for clinician in sorted(self.clinicians.values(), key=lambda c: (c.name.casefold(), c.id)):
            offered = [t for t in clinician.appointmentTypeIds if t in type_ids]
            if clinician.shownInPortal and offered:
                found.append((clinician, offered))
        return found

    def clinician_name(self, clinician_id: str) -> str:
        clinician = self.clinicians.get(clinician_id)
        return clinician.name if clinician else "Former clinician"

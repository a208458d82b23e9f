"""Field rules of the contract, as reusable pydantic types. Messages never repeat the input."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

from functions.scheduling.config import ID_PATTERN, MAX_REMINDERS, REMINDER_HOURS
from functions.scheduling.errors import Invalid

# Contract v2: spaces, apostrophes (' and ’), hyphens and periods ("St. John", "King Jr.").
_NAME_PUNCTUATION = frozenset(" '’-.")


def _name(value: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= 100:
        raise ValueError("must be 1 to 100 characters")
    if not any(unicodedata.category(ch)[0] == "L" for ch in value) or not all(
        unicodedata.category(ch)[0] in "LM" or ch in _NAME_PUNCTUATION for ch in value
    ):
        raise ValueError("may contain letters, spaces, apostrophes, hyphens and periods only")
    return value


def _date_of_birth(value: date) -> date:
    today = datetime.now(UTC).date()
    if value >= today:
        raise ValueError("must be in the past")
    try:
        oldest = today.replace(year=today.year - 120)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - 120, day=28)
    if value < oldest:
        raise ValueError("must be at most 120 years ago")
    return value


def _strict_date(value: Any) -> Any:
    if not isinstance(value, str | date):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _email(value: str) -> str:
    from functions import aws

    try:
        return validate_email(
            value, check_deliverability=False, test_environment=aws.settings().allow_test_email_domains
        ).normalized
    except EmailNotValidError as exc:
        raise ValueError("must be a valid email address") from exc


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("must be a valid phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("must be a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _hours_before(value: Any) -> Any:
    """Reminder hours, checked as one field so that every breach names `hoursBefore` itself (the
    staff page ties it to its inputs), not an item of it. JSON's true is no number of hours."""
    low, high = REMINDER_HOURS
    if not isinstance(value, list):
        raise ValueError("must be a list of whole numbers of hours")
    if len(value) > MAX_REMINDERS:
        raise ValueError(f"must hold at most {MAX_REMINDERS} numbers of hours")
    if not all(type(h) is int and low <= h <= high for h in value):
        raise ValueError(f"must hold whole numbers of hours from {low} to {high}")
    if len(set(value)) != len(value):
        raise ValueError("must not hold the same number of hours twice")
    return value


def _instant(value: Any) -> Any:
    # Numbers would be read as Unix times; the contract wants ISO 8601 text with an offset.
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date and time with a UTC offset")
    return value


# Instants and dates outside these years are refused before any arithmetic on them can overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2200


def _to_utc(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value.astimezone(UTC)


def _sane_date(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


# Bidirectional controls, which can make a name read as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _one_line(value: str) -> str:
    """A name shown in emails' headers and the pages: one line of visible text."""
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS for ch in value):
        raise ValueError("must be one line, without control characters")
    return value


Name = Annotated[str, StringConstraints(max_length=400), AfterValidator(_name)]
# The name of a practice, an appointment type or a clinician: any text on one line, 1 to 100
# characters ("Smith & Jones Counseling, LLC", "Sam Okafor, LCSW").
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_one_line)
]
DateOfBirth = Annotated[date, BeforeValidator(_strict_date), AfterValidator(_date_of_birth)]
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_phone)]
_ReminderHours = Annotated[int, Field(ge=REMINDER_HOURS[0], le=REMINDER_HOURS[1])]
# Given, it is checked whole (null included: `[]` is how reminders are turned off); the inner
# constraints say the same in the OpenAPI document.
HoursBefore = Annotated[
    Annotated[list[_ReminderHours], Field(max_length=MAX_REMINDERS, json_schema_extra={"uniqueItems": True})]
    | None,
    BeforeValidator(_hours_before),
]
Text = Annotated[str, StringConstraints(max_length=1000)]
Instant = Annotated[AwareDatetime, BeforeValidator(_instant), AfterValidator(_to_utc)]
Id = Annotated[str, StringConstraints(pattern=f"^{ID_PATTERN}$")]
Limit = Annotated[int, Field(ge=1, le=200)]
Day = Annotated[date, AfterValidator(_sane_date)]


# A range of days asked for (availability, the staff calendar): from and to inclusive.
MAX_RANGE_DAYS = 30


def check_range(first: date, last: date) -> None:
    """A reversed or too long range of days is a 422 on `to` (before anything is read)."""
    if last < first:
        raise Invalid("invalid_range", "must not be before from", "to")
    if (last - first).days > MAX_RANGE_DAYS:
        raise Invalid("invalid_range", f"must be at most {MAX_RANGE_DAYS} days after from", "to")


def day_span(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The instants a range of days spans in the practice's zone: from the start of `first` to
    the start of the day after `last`."""
    return (
        datetime.combine(first, time(), tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=zone),
    )

"""Emails from templates: plain text and HTML, discreet subjects, and the calendar invite.

Subjects never name a clinician, a specialty or a reason for the visit; no email carries a date
of birth, a phone number or the client's comments. Everything inserted into HTML is escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from string import Template

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from functions.scheduling.config import PracticeConfig

from .decide import Notice

SUBJECTS = {
    "received": "New appointment request awaiting review",
    "confirmed": "Your appointment is confirmed",
    "moved": "Your appointment has been rescheduled",
    "cancelled": "Your appointment has been cancelled",
    "offered": "Other appointment times for you",
}
KINDS = {"new": "New appointment", "reschedule": "Reschedule", "cancel": "Cancellation"}
# The first sentence of a client's email: a decision on their request, or staff's own change.
LEADS = {
    ("confirmed", "portal"): "{practice} has confirmed your appointment.",
    ("confirmed", "staff"): "{practice} has booked an appointment for you.",
    ("moved", "portal"): "{practice} has approved your request to reschedule.",
    ("moved", "staff"): "{practice} has moved your appointment to a new time.",
    ("cancelled", "portal"): "{practice} has cancelled your appointment as you asked.",
    ("cancelled", "staff"): "{practice} has cancelled your appointment. Please contact the practice "
    "if you would like another time.",
    ("offered", "portal"): "{practice} cannot confirm the time you asked for, and is holding other "
    "times for you instead.",
}
CHANGED = {"start": "the time", "clinicianId": "the clinician", "appointmentTypeId": "the appointment type"}


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    invite: bytes | None = None
    method: str | None = None


@cache
def _template(name: str) -> Template:
    return Template(resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8"))


def when(config: PracticeConfig, instant: datetime) -> str:
    """Tuesday, December 8, 2026 at 9:00 AM EST"""
    local = config.local(instant)
    hour = local.hour % 12 or 12
    return (
        f"{local:%A}, {local:%B} {local.day}, {local.year} at {hour}:{local:%M} "
        f"{'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
    )


def _type_name(config: PracticeConfig, type_id: str) -> str:
    kind = config.appointmentTypes.get(type_id)
    return kind.name if kind else "Appointment"


@dataclass(frozen=True)
class OfferLinks:
    """The times of an offer, each with the link that accepts it, and when the hold ends."""

    times: list[tuple[datetime, str, str]]  # start, clinician id, link
    expires: datetime


def render(
    notice: Notice,
    config: PracticeConfig,
    *,
    sender: str,
    staff_url: str,
    now: datetime,
    offer: OfferLinks | None = None,
) -> Email | None:
    r = notice.request
    values = {
        "practice": config.practice.name,
        "kind": KINDS[r.kind],
        "when": when(config, r.start),
        "clinician": config.clinician_name(r.clinicianId),
        "type": _type_name(config, r.appointmentTypeId),
        "first_name": r.client.firstName,
        "previous": when(config, r.originalStart) if r.originalStart else "",
        "staff_url": staff_url,
    }
    if not notice.to_practice:
        values["lead"] = LEADS[(notice.kind, r.madeBy)].format(practice=config.practice.name)
    text_extra = {"original": "", "changes": "", "note": ""}
    html_extra = dict(text_extra)
    if r.kind == "reschedule" and r.originalStart and notice.kind == "received":
        text_extra["original"] = f"Current time: {values['previous']}\n"
        html_extra["original"] = (
            f'<tr><th align="left">Current time</th><td>{html.escape(values["previous"])}</td></tr>'
        )
    if r.changes:
        changed = " and ".join(CHANGED[c] for c in r.changes if c in CHANGED)
        sentence = f"Please note: the practice changed {changed} from what you requested."
        text_extra["changes"] = f"\n{sentence}\n"
        html_extra["changes"] = f"<p><strong>{html.escape(sentence)}</strong></p>"
    if r.note and not notice.to_practice:
        text_extra["note"] = f"\nMessage from the practice: {r.note}\n"
        html_extra["note"] = f"<p>Message from the practice: {html.escape(r.note)}</p>"
    to = config.practice.notificationEmail if notice.to_practice else r.client.email
    if not to:
        return None
    if notice.kind == "offered":
        if offer is None:
            raise ValueError("an offer's email needs its times")
        return _offered(notice, config, values, to, offer, text_extra["note"], html_extra["note"])
    text = _template(f"{notice.kind}.txt").substitute(values, **text_extra)
    body = _template(f"{notice.kind}.html").substitute(
        {k: html.escape(v) for k, v in values.items()}, **html_extra
    )
    subject = f"{SUBJECTS[notice.kind]} - {config.practice.name}"
    if notice.to_practice:
        return Email(to, subject, text, body)
    method = "CANCEL" if notice.kind == "cancelled" else "REQUEST"
    return Email(to, subject, text, body, invite(notice, config, sender, now, method), method)


REMINDER_SUBJECT = "Appointment reminder - {practice}"


def reminder(
    config: PracticeConfig, *, to: str, first_name: str, start: datetime, clinician_id: str, portal_url: str
) -> Email:
    """A reminder of an appointment: when and with whom, and the portal. Never the appointment
    type (it can say what the visit is for), the date of birth, a phone or comments."""
    values = {
        "practice": config.practice.name,
        "first_name": first_name,
        "when": when(config, start),
        "clinician": config.clinician_name(clinician_id),
        "portal_url": portal_url,
    }
    text = _template("reminder.txt").substitute(values)
    body = _template("reminder.html").substitute({k: html.escape(v) for k, v in values.items()})
    return Email(to, REMINDER_SUBJECT.format(practice=config.practice.name), text, body)


def _offered(
    notice: Notice,
    config: PracticeConfig,
    values: dict[str, str],
    to: str,
    offer: OfferLinks,
    note_text: str,
    note_html: str,
) -> Email:
    lines, items = [], []
    for start, clinician_id, link in offer.times:
        label = f"{when(config, start)} with {config.clinician_name(clinician_id)}"
        lines.append(f"- {label}\n  Choose this time: {link}")
        items.append(f'<li>{html.escape(label)}: <a href="{html.escape(link)}">Choose this time</a></li>')
    values = {**values, "expires": when(config, offer.expires)}
    text = _template("offered.txt").substitute(values, times="\n".join(lines), note=note_text)
    body = _template("offered.html").substitute(
        {k: html.escape(v) for k, v in values.items()}, times="\n".join(items), note=note_html
    )
    subject = f"{SUBJECTS['offered']} - {config.practice.name}"
    return Email(to, subject, text, body)


def invite(notice: Notice, config: PracticeConfig, sender: str, now: datetime, method: str) -> bytes:
    """An iCalendar invite with a stable UID per appointment and a SEQUENCE that grows with each
    change; the practice's time zone stated in full (VTIMEZONE) so calendars show the right hour."""
    r = notice.request
    zone = config.zone
    calendar = Calendar()
    calendar.add("prodid", "-//Client Portal//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    first = date(r.start.year - 1, 1, 1)
    calendar.add_component(
        Timezone.from_tzinfo(zone, config.practice.timeZone, first, date(r.end.year + 2, 1, 1))
    )
    event = Event()
    event.add("uid", f"{r.appointmentId}@client-portal")
    event.add("sequence", r.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", r.start.astimezone(zone))
    event.add("dtend", r.end.astimezone(zone))
    event.add("summary", f"Appointment at {config.practice.name}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(config.practice.name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{r.client.email}")
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee)
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics

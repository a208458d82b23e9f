"""Bad input is refused with the contract's error body, names the field, stores nothing and echoes
no personal data back; and it is never a 500."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from functions.api.routes import ROUTES, Access
from tests.integration.conftest import CLIENT_A, STAFF, Answer, at, call, new_request, next_weekday
from tests.integration.support import (  # noqa: F401 (fixtures)
    Who,
    World,
    _shared_world_fixture,
    _world_fixture,
    assert_error,
    item_count,
    leaked,
    personal_values,
    table_items,
)

# The World's day (a Tuesday at least a week away); c-okafor works 10:00-18:00 on weekdays, c-rivera
# 09:00-12:00 and 13:00-17:00, c-chen 08:00-12:00 (sessions only); slots start on the hour.
DAY = next_weekday(1)
TODAY = datetime.now(UTC).date()
PAST_DAY = DAY - timedelta(days=14)
SATURDAY = next_weekday(5)
BEYOND_HORIZON = next_weekday(1, weeks_ahead=10)
OK_START = at(DAY, 10)


def _years_ago(years: int) -> date:
    try:
        return TODAY.replace(year=TODAY.year - years)
    except ValueError:  # 29 February
        return TODAY.replace(year=TODAY.year - years, day=28)


def req(**overrides: Any) -> dict[str, Any]:
    """A valid anonymous request for an intake with c-okafor, changed as given."""
    return {**new_request(OK_START, clinician="c-okafor"), **overrides}


def without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}


def mine(**overrides: Any) -> dict[str, Any]:
    return {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": OK_START, **overrides}


def okafor(**changes: Any) -> dict[str, Any]:
    hours = {d: [{"start": "10:00", "end": "18:00"}] for d in ("monday", "tuesday", "wednesday", "thursday")}
    hours["friday"] = [{"start": "10:00", "end": "18:00"}]
    return {
        "name": "Sam Okafor, LCSW",
        "appointmentTypeIds": ["intake", "session"],
        "hours": hours,
        **changes,
    }


def b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@dataclass(frozen=True)
class Bad:
    method: str
    path: str  # {a}: client A's confirmed appointment; {p}: client A's pending request
    body: Any = None
    status: int = 422
    code: str = "validation_failed"
    field: str | None = None
    who: Who = None
    query: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    # Staff calls that set the scene first: (method, path, body).
    setup: tuple[tuple[str, str, Any], ...] = ()


def sent_by(who: Who, params: list[Any]) -> list[Any]:
    """The same cases, sent by this caller."""
    return [pytest.param(replace(p.values[0], who=who), marks=p.marks, id=p.id) for p in params]


def requests(body: Any, field_: str | None = None, code: str = "validation_failed", **more: Any) -> Bad:
    status = more.pop("status", 400 if code == "malformed_json" else 422)
    return Bad("POST", "/requests", body, status, code, field_, **more)


NOT_OFFERED = "slot_not_offered"
MALFORMED = json.dumps(req(comments="Please call after five"))[:-1]
REQUESTS = [
    pytest.param(requests(MALFORMED, code="malformed_json"), id="malformed-json"),
    pytest.param(requests(json.dumps(req())[:-1] + ",}", code="malformed_json"), id="trailing-comma"),
    pytest.param(requests("firstName=Ada&lastName=Lovelace", code="malformed_json"), id="form-encoded"),
    # Deeper than Python's JSON parser goes: a 400, never a 500.
    pytest.param(requests("[" * 1000 + "]" * 1000, code="malformed_json"), id="array-1000-deep"),
    pytest.param(requests('{"a":' * 1000 + "1" + "}" * 1000, code="malformed_json"), id="object-1000-deep"),
    pytest.param(requests("[" * 100_000 + "]" * 100_000, code="malformed_json"), id="array-100000-deep"),
    pytest.param(requests([], "body"), id="empty-array"),
    pytest.param(requests([req()], "body"), id="array-holding-a-request"),
    pytest.param(requests("null", "body"), id="null"),
    pytest.param(requests("", "body"), id="empty-body"),
    pytest.param(requests({}, "start"), id="empty-object"),
    pytest.param(requests(req(favouriteColour="blue"), "favouriteColour"), id="unknown-field"),
    pytest.param(requests(without(req(), "firstName"), "firstName"), id="missing-firstName"),
    pytest.param(requests(without(req(), "lastName"), "lastName"), id="missing-lastName"),
    pytest.param(requests(without(req(), "dateOfBirth"), "dateOfBirth"), id="missing-dateOfBirth"),
    pytest.param(requests(without(req(), "email"), "email"), id="missing-email"),
    pytest.param(requests(without(req(), "mobilePhone"), "mobilePhone"), id="missing-mobilePhone"),
    pytest.param(requests(without(req(), "start"), "start"), id="missing-start"),
    pytest.param(requests(without(req(), "clinicianId"), "clinicianId"), id="missing-clinicianId"),
    pytest.param(requests(without(req(), "clientType"), "clientType"), id="missing-clientType"),
    pytest.param(requests(req(firstName=""), "firstName"), id="firstName-empty"),
    pytest.param(requests(req(firstName="   "), "firstName"), id="firstName-blank"),
    pytest.param(requests(req(lastName="L" * 101), "lastName"), id="lastName-101-chars"),
    pytest.param(requests(req(lastName="L" * 401), "lastName"), id="lastName-401-chars"),
    pytest.param(requests(req(firstName="Ada2"), "firstName"), id="firstName-digits"),
    pytest.param(requests(req(lastName="<b>Lovelace</b>"), "lastName"), id="lastName-markup"),
    pytest.param(requests(req(firstName="Ada; DROP TABLE"), "firstName"), id="firstName-semicolon"),
    pytest.param(requests(req(lastName="'-'"), "lastName"), id="lastName-no-letter"),
    pytest.param(requests(req(firstName=42), "firstName"), id="firstName-number"),
    pytest.param(requests(req(lastName="."), "lastName"), id="lastName-period-only"),
    pytest.param(requests(req(lastName=". -'"), "lastName"), id="lastName-punctuation-only"),
    pytest.param(requests(req(lastName="King Jr.,"), "lastName"), id="lastName-period-and-comma"),
    pytest.param(requests(req(firstName="St. John 2"), "firstName"), id="firstName-period-and-digit"),
    pytest.param(requests(req(firstName="St.John!"), "firstName"), id="firstName-period-and-bang"),
    pytest.param(
        requests(req(dateOfBirth=(TODAY + timedelta(days=30)).isoformat()), "dateOfBirth"), id="dob-future"
    ),
    pytest.param(requests(req(dateOfBirth=TODAY.isoformat()), "dateOfBirth"), id="dob-today"),
    pytest.param(
        requests(req(dateOfBirth=_years_ago(121).isoformat()), "dateOfBirth"), id="dob-121-years-ago"
    ),
    pytest.param(requests(req(dateOfBirth="not a date"), "dateOfBirth"), id="dob-not-a-date"),
    pytest.param(requests(req(dateOfBirth="2001-02-30"), "dateOfBirth"), id="dob-february-30"),
    pytest.param(requests(req(dateOfBirth=19900401), "dateOfBirth"), id="dob-number"),
    pytest.param(requests(req(dateOfBirth="04/01/1990"), "dateOfBirth"), id="dob-us-format"),
    pytest.param(requests(req(email="ada.example.com"), "email"), id="email-no-at"),
    pytest.param(requests(req(email="ada@"), "email"), id="email-no-domain"),
    pytest.param(requests(req(email="ada lovelace@example.com"), "email"), id="email-space"),
    pytest.param(requests(req(email="ada@example"), "email"), id="email-no-dot-in-domain"),
    pytest.param(requests(req(email="a" * 310 + "@example.com"), "email"), id="email-too-long"),
    pytest.param(requests(req(mobilePhone="12345"), "mobilePhone"), id="phone-too-short"),
    pytest.param(requests(req(mobilePhone="call me maybe"), "mobilePhone"), id="phone-letters"),
    pytest.param(requests(req(mobilePhone="+1 123 456 7890"), "mobilePhone"), id="phone-invalid-area"),
    pytest.param(requests(req(mobilePhone=6175550100), "mobilePhone"), id="phone-number-type"),
    pytest.param(requests(req(comments="x" * 1001), "comments"), id="comments-1001-chars"),
    pytest.param(requests(req(start=OK_START[:19]), "start"), id="start-without-offset"),
    pytest.param(requests(req(start=DAY.isoformat()), "start"), id="start-date-only"),
    pytest.param(requests(req(start=1_800_000_000), "start"), id="start-number"),
    pytest.param(requests(req(start="next tuesday at ten"), "start"), id="start-words"),
    pytest.param(requests(req(start=at(DAY, 10, 7)), "start", NOT_OFFERED), id="start-off-grid"),
    pytest.param(requests(req(start=at(DAY, 10, 30)), "start", NOT_OFFERED), id="start-between-slots"),
    pytest.param(
        requests(req(start=at(DAY, 10)[:16] + ":30" + at(DAY, 10)[19:]), "start", NOT_OFFERED),
        id="start-with-seconds",
    ),
    pytest.param(requests(req(start=at(PAST_DAY, 10)), "start", NOT_OFFERED), id="start-in-the-past"),
    pytest.param(requests(req(start=at(DAY, 7)), "start", NOT_OFFERED), id="start-before-hours"),
    pytest.param(requests(req(start=at(DAY, 18)), "start", NOT_OFFERED), id="start-after-hours"),
    pytest.param(
        requests(req(start=at(DAY, 12), clinicianId="c-rivera"), "start", NOT_OFFERED), id="start-at-lunch"
    ),
    pytest.param(requests(req(start=at(SATURDAY, 10)), "start", NOT_OFFERED), id="start-on-saturday"),
    pytest.param(
        requests(req(start=at(BEYOND_HORIZON, 10)), "start", NOT_OFFERED), id="start-past-the-horizon"
    ),
    pytest.param(
        requests(
            req(),
            "start",
            NOT_OFFERED,
            setup=(("PATCH", "/staff/settings", {"scheduling": {"minimumNoticeHours": 720}}),),
        ),
        id="start-inside-the-notice",
    ),
    pytest.param(
        requests(
            req(),
            "start",
            NOT_OFFERED,
            setup=(
                (
                    "PUT",
                    "/staff/clinicians/c-okafor",
                    okafor(timeOff=[{"start": at(DAY, 9), "end": at(DAY, 13)}]),
                ),
            ),
        ),
        id="start-in-time-off",
    ),
    pytest.param(
        requests(
            req(start=at(DAY, 12), appointmentTypeId="intake", clinicianId="c-rivera"), "start", NOT_OFFERED
        ),
        id="start-runs-past-the-window",
    ),
    pytest.param(
        requests(req(start="0001-01-01T00:00:00+00:00"), "start"),
        id="start-year-1",
    ),
    pytest.param(
        requests(req(clinicianId="c-nobody"), "clinicianId", "unknown_clinician"), id="unknown-clinician"
    ),
    pytest.param(requests(req(clinicianId="../admin"), "clinicianId"), id="clinicianId-pattern"),
    pytest.param(
        requests(
            req(),
            "clinicianId",
            "unknown_clinician",
            setup=(("PUT", "/staff/clinicians/c-okafor", okafor(shownInPortal=False)),),
        ),
        id="clinician-hidden-from-portal",
    ),
    pytest.param(
        requests(req(appointmentTypeId="session"), "appointmentTypeId", "unknown_appointment_type"),
        id="type-for-existing-clients",
    ),
    pytest.param(
        requests(req(clientType="existing"), "appointmentTypeId", "unknown_appointment_type"),
        id="existing-client-asks-for-intake",
    ),
    pytest.param(
        requests(req(appointmentTypeId="massage"), "appointmentTypeId", "unknown_appointment_type"),
        id="unknown-type",
    ),
    pytest.param(
        requests(req(clinicianId="c-chen", start=at(DAY, 9)), "appointmentTypeId", "type_not_offered"),
        id="type-the-clinician-does-not-offer",
    ),
    pytest.param(requests(req(clientType="returning"), "clientType"), id="clientType-unknown"),
    pytest.param(
        requests(req(), "Idempotency-Key", "invalid_idempotency_key", headers={"Idempotency-Key": "k" * 256}),
        id="idempotency-key-too-long",
    ),
    pytest.param(
        requests(req(), "Idempotency-Key", "invalid_idempotency_key", headers={"Idempotency-Key": "clé-1"}),
        id="idempotency-key-not-ascii",
    ),
]

MY_REQUESTS = [
    pytest.param(Bad("POST", "/me/requests", mine(firstName="Ada"), field="firstName"), id="unknown-field"),
    pytest.param(Bad("POST", "/me/requests", without(mine(), "start"), field="start"), id="missing-start"),
    pytest.param(
        Bad("POST", "/me/requests", mine(comments="x" * 1001), field="comments"), id="comments-1001"
    ),
    pytest.param(Bad("POST", "/me/requests", mine(start=OK_START[:19]), field="start"), id="start-no-offset"),
    pytest.param(
        Bad("POST", "/me/requests", mine(start=at(DAY, 10, 15)), code=NOT_OFFERED, field="start"),
        id="start-off-the-slots",
    ),
    pytest.param(
        Bad(
            "POST",
            "/me/requests",
            mine(clinicianId="c-nobody"),
            code="unknown_clinician",
            field="clinicianId",
        ),
        id="unknown-clinician",
    ),
    pytest.param(
        Bad(
            "POST",
            "/me/requests",
            mine(appointmentTypeId="massage"),
            code="unknown_appointment_type",
            field="appointmentTypeId",
        ),
        id="unknown-type",
    ),
    pytest.param(
        Bad("POST", "/me/requests", json.dumps(mine())[:-2], 400, "malformed_json"), id="malformed-json"
    ),
    pytest.param(
        Bad("POST", "/me/requests", '{"a":' * 2000 + "1" + "}" * 2000, 400, "malformed_json"), id="deep-json"
    ),
    pytest.param(
        Bad("POST", "/me/requests", mine(start="0001-01-01T00:00:00Z"), field="start"),
        id="start-year-1",
    ),
]
MY_REQUESTS = sent_by(CLIENT_A, MY_REQUESTS)

RESCHEDULE = "/me/appointments/{a}/reschedule"
CANCEL = "/me/appointments/{a}/cancel"
CHANGES = [
    pytest.param(Bad("POST", RESCHEDULE, {}, field="start"), id="reschedule-missing-start"),
    pytest.param(
        Bad("POST", RESCHEDULE, {"start": at(DAY, 16)[:19]}, field="start"), id="reschedule-no-offset"
    ),
    pytest.param(
        Bad("POST", RESCHEDULE, {"start": at(DAY, 16, 5)}, code=NOT_OFFERED, field="start"),
        id="reschedule-off-grid",
    ),
    pytest.param(
        Bad("POST", RESCHEDULE, {"start": at(PAST_DAY, 16)}, code=NOT_OFFERED, field="start"),
        id="reschedule-in-the-past",
    ),
    pytest.param(
        Bad("POST", RESCHEDULE, {"start": at(SATURDAY, 10)}, code=NOT_OFFERED, field="start"),
        id="reschedule-to-saturday",
    ),
    pytest.param(
        Bad("POST", RESCHEDULE, {"start": at(DAY, 16), "when": "later"}, field="when"),
        id="reschedule-unknown-field",
    ),
    pytest.param(
        Bad("POST", RESCHEDULE, {"start": at(DAY, 16), "comments": "x" * 1001}, field="comments"),
        id="reschedule-comments-1001",
    ),
    pytest.param(
        Bad(
            "POST",
            RESCHEDULE,
            {"start": at(DAY, 16), "clinicianId": "c-nobody"},
            code="unknown_clinician",
            field="clinicianId",
        ),
        id="reschedule-unknown-clinician",
    ),
    pytest.param(
        Bad("POST", RESCHEDULE, '{"start": ', 400, "malformed_json"), id="reschedule-malformed-json"
    ),
    pytest.param(
        Bad("POST", RESCHEDULE, {"start": "0001-01-01T00:00:00Z"}, field="start"),
        id="reschedule-year-1",
    ),
    pytest.param(Bad("POST", CANCEL, {"reason": "x" * 1001}, field="reason"), id="cancel-reason-1001"),
    pytest.param(Bad("POST", CANCEL, {"reason": 5}, field="reason"), id="cancel-reason-number"),
    pytest.param(Bad("POST", CANCEL, {"why": "moving away"}, field="why"), id="cancel-unknown-field"),
    pytest.param(
        Bad("POST", CANCEL, '{"reason": "moving', 400, "malformed_json"), id="cancel-malformed-json"
    ),
]
CHANGES = sent_by(CLIENT_A, CHANGES)

APPROVE = "/staff/requests/{p}/approve"
DENY = "/staff/requests/{p}/deny"
STAFF_CASES = [
    pytest.param(Bad("POST", APPROVE, {"note": "x" * 1001}, field="note"), id="approve-note-1001"),
    pytest.param(
        Bad("POST", APPROVE, {"start": at(DAY, 15)[:19]}, field="start"), id="approve-start-no-offset"
    ),
    pytest.param(
        Bad("POST", APPROVE, {"start": at(PAST_DAY, 15)}, code=NOT_OFFERED, field="start"),
        id="approve-start-in-the-past",
    ),
    pytest.param(
        Bad("POST", APPROVE, {"start": at(DAY, 15, 10)}, code=NOT_OFFERED, field="start"),
        id="approve-start-off-grid",
    ),
    pytest.param(
        Bad("POST", APPROVE, {"start": at(DAY, 7)}, code=NOT_OFFERED, field="start"),
        id="approve-start-outside-hours",
    ),
    pytest.param(
        Bad("POST", APPROVE, {"clinicianId": "c-nobody"}, code="unknown_clinician", field="clinicianId"),
        id="approve-unknown-clinician",
    ),
    pytest.param(
        Bad(
            "POST",
            APPROVE,
            {"appointmentTypeId": "massage"},
            code="unknown_appointment_type",
            field="appointmentTypeId",
        ),
        id="approve-unknown-type",
    ),
    pytest.param(Bad("POST", APPROVE, {"approved": True}, field="approved"), id="approve-unknown-field"),
    pytest.param(Bad("POST", APPROVE, "{", 400, "malformed_json"), id="approve-malformed-json"),
    pytest.param(Bad("POST", DENY, {"note": "x" * 1001}, field="note"), id="deny-note-1001"),
    pytest.param(Bad("POST", DENY, {"reason": "full"}, field="reason"), id="deny-unknown-field"),
    pytest.param(Bad("POST", DENY, "{note}", 400, "malformed_json"), id="deny-malformed-json"),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"minimumNoticeHours": 721}},
            field="scheduling.minimumNoticeHours",
        ),
        id="settings-notice-721",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"minimumNoticeHours": -1}},
            field="scheduling.minimumNoticeHours",
        ),
        id="settings-notice-negative",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"minimumNoticeHours": "lots"}},
            field="scheduling.minimumNoticeHours",
        ),
        id="settings-notice-words",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"scheduling": {"horizonDays": 0}}, field="scheduling.horizonDays"),
        id="settings-horizon-0",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"scheduling": {"horizonDays": 731}}, field="scheduling.horizonDays"),
        id="settings-horizon-731",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"slotIntervalMinutes": 20}},
            field="scheduling.slotIntervalMinutes",
        ),
        id="settings-slot-interval-20",
    ),
    pytest.param(
        Bad(
            "PATCH", "/staff/settings", {"practice": {"timeZone": "Mars/Olympus"}}, field="practice.timeZone"
        ),
        id="settings-unknown-time-zone",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"practice": {"timeZone": "../../etc/passwd"}},
            field="practice.timeZone",
        ),
        id="settings-time-zone-path",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"practice": {"name": ""}}, field="practice.name"),
        id="settings-empty-name",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"practice": {"notificationEmail": "front desk"}},
            field="practice.notificationEmail",
        ),
        id="settings-invalid-email",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"scheduling": {"colour": "blue"}}, field="scheduling.colour"),
        id="settings-unknown-field",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"colour": "blue"}, field="colour"), id="settings-unknown-part"
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", [{"scheduling": {"horizonDays": 90}}], field="body"),
        id="settings-array",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"scheduling": 5}, field="scheduling"), id="settings-not-an-object"
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", "{'a': 1}", 400, "malformed_json"), id="settings-malformed-json"
    ),
    # A line break in a name would reach every email's headers.
    pytest.param(
        Bad("PATCH", "/staff/settings", {"practice": {"name": "Demo\nCounseling"}}, field="practice.name"),
        id="settings-name-line-break",
    ),
    pytest.param(
        Bad(
            "PATCH", "/staff/settings", {"practice": {"name": "Demo\u2028Counseling"}}, field="practice.name"
        ),
        id="settings-name-line-separator",
    ),
    pytest.param(
        Bad(
            "PUT",
            "/staff/appointment-types/intake",
            {"name": "Intake\r\nBcc: all@example.org", "durationMinutes": 60, "clientType": "new"},
            field="name",
        ),
        id="type-name-header-injection",
    ),
    pytest.param(
        Bad("PUT", "/staff/clinicians/c-okafor", okafor(name="Sam\tOkafor"), field="name"),
        id="clinician-name-tab",
    ),
    pytest.param(
        Bad("PUT", "/staff/clinicians/c-okafor", okafor(name="Sam \u202eROFAKO"), field="name"),
        id="clinician-name-bidi-override",
    ),
    pytest.param(
        Bad("PUT", "/staff/clinicians/c-okafor", okafor(name=""), field="name"), id="clinician-empty-name"
    ),
    pytest.param(
        Bad(
            "PUT",
            "/staff/clinicians/c-okafor",
            okafor(
                hours={"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}
            ),
            field="hours",
        ),
        id="clinician-overlapping-hours",
    ),
    pytest.param(
        Bad(
            "PUT",
            "/staff/clinicians/c-okafor",
            okafor(timeOff=[{"start": at(DAY, 13), "end": at(DAY, 9)}]),
            field="timeOff.0",
        ),
        id="clinician-time-off-ends-first",
    ),
    pytest.param(
        Bad(
            "PUT",
            "/staff/clinicians/c-okafor",
            okafor(appointmentTypeIds=["massage"]),
            code="unknown_appointment_type",
            field="appointmentTypeIds",
        ),
        id="clinician-unknown-type",
    ),
    pytest.param(
        Bad(
            "PUT",
            "/staff/appointment-types/intake",
            {"name": "Intake", "durationMinutes": 0, "clientType": "new"},
            field="durationMinutes",
        ),
        id="type-duration-0",
    ),
    pytest.param(
        Bad(
            "PUT",
            "/staff/appointment-types/intake",
            {"name": "Intake", "durationMinutes": 241, "clientType": "new"},
            field="durationMinutes",
        ),
        id="type-duration-241",
    ),
    # Found by `make fuzz` (negative data): pydantic's lax mode took JSON's true for 1.
    pytest.param(
        Bad(
            "PATCH", "/staff/settings", {"scheduling": {"horizonDays": True}}, field="scheduling.horizonDays"
        ),
        id="settings-horizon-true",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"practice": {"phone": "12345"}}, field="practice.phone"),
        id="settings-phone-too-short",
    ),
    pytest.param(
        Bad(
            "PATCH", "/staff/settings", {"practice": {"phone": "call the front desk"}}, field="practice.phone"
        ),
        id="settings-phone-words",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"practice": {"phone": "+1 123 456 7890"}}, field="practice.phone"),
        id="settings-phone-invalid-area",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"practice": {"phone": 6175550123}}, field="practice.phone"),
        id="settings-phone-number-type",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"practice": {"phone": "6" * 41}}, field="practice.phone"),
        id="settings-phone-41-chars",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"changeCutoffHours": -1}},
            field="scheduling.changeCutoffHours",
        ),
        id="settings-cutoff-negative",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"changeCutoffHours": 721}},
            field="scheduling.changeCutoffHours",
        ),
        id="settings-cutoff-721",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"changeCutoffHours": "24"}},
            field="scheduling.changeCutoffHours",
        ),
        id="settings-cutoff-text",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"changeCutoffHours": True}},
            field="scheduling.changeCutoffHours",
        ),
        id="settings-cutoff-true",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"changeCutoffHours": 1.5}},
            field="scheduling.changeCutoffHours",
        ),
        id="settings-cutoff-fraction",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"changeCutoffHours": None}},
            field="scheduling.changeCutoffHours",
        ),
        id="settings-cutoff-null",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"offerHoldHours": 0}},
            field="scheduling.offerHoldHours",
        ),
        id="settings-offer-hold-0",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"offerHoldHours": 169}},
            field="scheduling.offerHoldHours",
        ),
        id="settings-offer-hold-169",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"scheduling": {"waitlist": "yes"}}, field="scheduling.waitlist"),
        id="settings-waitlist-yes",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"scheduling": {"waitlist": 1}}, field="scheduling.waitlist"),
        id="settings-waitlist-one",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"reminders": {"hoursBefore": [0]}}, field="reminders.hoursBefore"),
        id="settings-reminder-0",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"reminders": {"hoursBefore": [169]}}, field="reminders.hoursBefore"),
        id="settings-reminder-169",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"reminders": {"hoursBefore": [-24]}}, field="reminders.hoursBefore"),
        id="settings-reminder-negative",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"reminders": {"hoursBefore": [24, 24]}},
            field="reminders.hoursBefore",
        ),
        id="settings-reminders-twice",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"reminders": {"hoursBefore": [48, 24, 2]}},
            field="reminders.hoursBefore",
        ),
        id="settings-three-reminders",
    ),
    pytest.param(
        Bad(
            "PATCH", "/staff/settings", {"reminders": {"hoursBefore": ["24"]}}, field="reminders.hoursBefore"
        ),
        id="settings-reminder-text",
    ),
    pytest.param(
        Bad(
            "PATCH", "/staff/settings", {"reminders": {"hoursBefore": [True]}}, field="reminders.hoursBefore"
        ),
        id="settings-reminder-true",
    ),
    pytest.param(
        Bad(
            "PATCH", "/staff/settings", {"reminders": {"hoursBefore": [24.5]}}, field="reminders.hoursBefore"
        ),
        id="settings-reminder-fraction",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"reminders": {"hoursBefore": 24}}, field="reminders.hoursBefore"),
        id="settings-reminders-not-a-list",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"reminders": {"hoursBefore": None}}, field="reminders.hoursBefore"),
        id="settings-reminders-null",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"reminders": {"daysBefore": [1]}}, field="reminders.daysBefore"),
        id="settings-reminders-unknown-field",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"reminders": [24]}, field="reminders"),
        id="settings-reminders-not-an-object",
    ),
    pytest.param(
        Bad(
            "PATCH",
            "/staff/settings",
            {"scheduling": {"minimumNoticeHours": "24"}},
            field="scheduling.minimumNoticeHours",
        ),
        id="settings-notice-text",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"scheduling": {"enabled": "yes"}}, field="scheduling.enabled"),
        id="settings-enabled-yes",
    ),
    pytest.param(
        Bad("PATCH", "/staff/settings", {"scheduling": {"cancel": 0}}, field="scheduling.cancel"),
        id="settings-cancel-zero",
    ),
    pytest.param(
        Bad(
            "PUT",
            "/staff/appointment-types/intake",
            {"name": "Intake", "durationMinutes": True, "clientType": "new"},
            field="durationMinutes",
        ),
        id="type-duration-true",
    ),
    pytest.param(
        Bad(
            "PUT",
            "/staff/appointment-types/intake",
            {"name": "Intake", "durationMinutes": 60, "clientType": "new", "active": "false"},
            field="active",
        ),
        id="type-active-text",
    ),
    pytest.param(
        Bad("PUT", "/staff/clinicians/c-okafor", okafor(shownInPortal=1), field="shownInPortal"),
        id="clinician-shown-one",
    ),
]
STAFF_CASES = sent_by(STAFF, STAFF_CASES)

PERSON = {k: req()[k] for k in ("firstName", "lastName", "dateOfBirth", "email", "mobilePhone")}
CLIENTS = [
    pytest.param(
        Bad("POST", "/staff/clients", {**PERSON, "firstName": "Ada2"}, field="firstName"), id="client-digits"
    ),
    pytest.param(
        Bad("POST", "/staff/clients", {**PERSON, "lastName": "..."}, field="lastName"),
        id="client-periods-only",
    ),
    pytest.param(
        Bad("POST", "/staff/clients", {**PERSON, "email": "ada@"}, field="email"), id="client-email"
    ),
    pytest.param(
        Bad("POST", "/staff/clients", {**PERSON, "mobilePhone": "555"}, field="mobilePhone"),
        id="client-phone",
    ),
    pytest.param(
        Bad("POST", "/staff/clients", without(PERSON, "lastName"), field="lastName"), id="client-no-lastName"
    ),
    pytest.param(
        Bad(
            "POST",
            "/staff/clients",
            {**PERSON, "dateOfBirth": (TODAY + timedelta(days=1)).isoformat()},
            field="dateOfBirth",
        ),
        id="client-born-tomorrow",
    ),
    pytest.param(
        Bad("POST", "/staff/clients", {**PERSON, "clientType": "new"}, field="clientType"),
        id="client-unknown-field",
    ),
]
CLIENTS = sent_by(STAFF, CLIENTS)


def _availability(field_: str, code: str = "validation_failed", **query: str) -> Bad:
    full = {"clientType": "new", "from": DAY.isoformat(), "to": DAY.isoformat(), **query}
    return Bad(
        "GET", "/availability", None, 422, code, field_, query={k: v for k, v in full.items() if v != ""}
    )


QUERIES = [
    pytest.param(
        _availability("to", "invalid_range", to=(DAY + timedelta(days=31)).isoformat()),
        id="availability-32-days",
    ),
    pytest.param(
        _availability("to", "invalid_range", to=(DAY - timedelta(days=1)).isoformat()),
        id="availability-to-before-from",
    ),
    pytest.param(_availability("from", **{"from": "not-a-date"}), id="availability-from-not-a-date"),
    pytest.param(_availability("to", to="2027-02-30"), id="availability-to-february-30"),
    pytest.param(_availability("clientType", clientType=""), id="availability-no-clientType"),
    pytest.param(_availability("clientType", clientType="vip"), id="availability-unknown-clientType"),
    pytest.param(_availability("clinicianId", clinicianId="bad id!"), id="availability-clinicianId-pattern"),
    pytest.param(_availability("from", **{"from": ""}), id="availability-no-from"),
    pytest.param(
        _availability("from", **{"from": "0001-01-01", "to": "0001-01-02"}),
        id="availability-year-1",
    ),
    pytest.param(
        _availability("to", **{"from": "9999-12-30", "to": "9999-12-31"}),
        id="availability-year-9999",
    ),
    pytest.param(
        Bad("GET", "/staff/requests", query={"status": "maybe"}, field="status", who=STAFF), id="queue-status"
    ),
    pytest.param(
        Bad("GET", "/staff/requests", query={"limit": "0"}, field="limit", who=STAFF), id="queue-limit-0"
    ),
    pytest.param(
        Bad("GET", "/staff/requests", query={"limit": "201"}, field="limit", who=STAFF), id="queue-limit-201"
    ),
    pytest.param(
        Bad("GET", "/staff/requests", query={"limit": "ten"}, field="limit", who=STAFF),
        id="queue-limit-words",
    ),
    pytest.param(
        Bad(
            "GET",
            "/staff/requests",
            query={"cursor": "!!!"},
            code="invalid_cursor",
            field="cursor",
            who=STAFF,
        ),
        id="queue-cursor-garbage",
    ),
    pytest.param(
        Bad(
            "GET",
            "/staff/requests",
            query={"cursor": b64({"gsi1pk": "REQUESTS#pending"})},
            code="invalid_cursor",
            field="cursor",
            who=STAFF,
        ),
        id="queue-cursor-wrong-shape",
    ),
    pytest.param(
        Bad("GET", "/clinicians", query={"clientType": "vip"}, field="clientType"), id="clinicians-clientType"
    ),
]


def _run(world: World, bad: Bad) -> None:
    # Given the World, and whatever the case needs set first
    for method, path, body in bad.setup:
        assert call(method, path, body, who=STAFF).status == 200
    before_count = item_count()
    before = table_items() if bad.method != "GET" and not bad.path.endswith("requests") else None

    # When the bad input is sent
    answer: Answer = call(
        bad.method,
        bad.path.format(a=world.appointment_a, p=world.pending_a),
        bad.body,
        who=bad.who,
        query=bad.query,
        headers=bad.headers,
    )

    # Then it is refused with the contract's error body naming the field
    assert_error(answer, bad.status, bad.code, bad.field)
    # and nothing was stored
    assert item_count() == before_count
    if before is not None:
        assert table_items() == before
    # and no personal value of the payload comes back
    assert leaked(answer, personal_values(bad.body)) == []


@pytest.mark.parametrize("bad", REQUESTS)
def test_bad_anonymous_request(world: World, bad: Bad):
    _run(world, bad)


@pytest.mark.parametrize("bad", MY_REQUESTS)
def test_bad_client_request(world: World, bad: Bad):
    _run(world, bad)


@pytest.mark.parametrize("bad", CHANGES)
def test_bad_reschedule_or_cancel(world: World, bad: Bad):
    _run(world, bad)
    # and client A's appointment is as it was
    assert call("GET", "/me/appointments", who=CLIENT_A).body["next"]["status"] == "confirmed"


@pytest.mark.parametrize("bad", STAFF_CASES + CLIENTS)
def test_bad_staff_input(world: World, bad: Bad):
    _run(world, bad)


@pytest.mark.parametrize("bad", QUERIES)
def test_bad_query(world: World, bad: Bad):
    _run(world, bad)


def test_the_valid_payloads_the_table_changes_are_accepted(world: World):
    # Given the payloads every case above starts from / Then each is accepted as it is, so each case
    # is refused for the one thing it changed
    assert call("POST", "/requests", req()).status == 201
    assert call("POST", "/me/requests", mine(start=at(DAY, 11)), who=CLIENT_A).status == 201
    assert (
        call(
            "POST", f"/me/appointments/{world.appointment_a}/reschedule", {"start": at(DAY, 16)}, who=CLIENT_A
        ).status
        == 201
    )
    assert call("POST", f"/staff/requests/{world.pending_a}/approve", {"note": "ok"}, who=STAFF).status == 200
    assert call("POST", "/staff/clients", PERSON, who=STAFF).status == 201
    assert call("PUT", "/staff/clinicians/c-okafor", okafor(), who=STAFF).status == 200
    query = {"clientType": "new", "from": DAY.isoformat(), "to": (DAY + timedelta(days=30)).isoformat()}
    assert call("GET", "/availability", query=query).status == 200
    assert (
        call(
            "PATCH",
            "/staff/settings",
            {
                "practice": {"phone": "+1 617 555 0123"},
                "scheduling": {
                    "minimumNoticeHours": 720,
                    "horizonDays": 730,
                    "changeCutoffHours": 720,
                    "offerHoldHours": 168,
                    "waitlist": True,
                },
                "reminders": {"hoursBefore": [168, 1]},
            },
            who=STAFF,
        ).status
        == 200
    )


ID_ROUTES = [r for r in ROUTES if "{id}" in r.path]


@pytest.mark.parametrize(
    "bad_id", ["x" * 129, "x" * 3000, "a.b", "a%2Fb", "é"], ids=["129", "3000", "dot", "slash", "accent"]
)
@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_an_id_that_no_record_can_have_is_a_404(world, route, bad_id):
    # Given a caller allowed on the route, and an id no record has (too long, or not made of
    # what ids are made of)
    who = STAFF if route.access is Access.STAFF else CLIENT_A
    body: dict[str, Any] | None = {} if route.method in ("POST", "PUT") else None

    # When it is used in the path
    answer = call(route.method, route.path.replace("{id}", bad_id), body, who=who)

    # Then the answer is the contract's 404, whatever the body
    assert (answer.status, answer.code) == (404, "not_found"), answer.body


# Contract v2's field rules: any alphabet, spaces, apostrophes (' and ’), hyphens and periods.
GOOD_NAMES = [
    pytest.param("St. John", "King Jr.", id="periods"),
    pytest.param("J. R. R.", "Tolkien", id="initials"),
    pytest.param("Mary-Jane", "O’Brien", id="hyphen-and-typographic-apostrophe"),
    pytest.param("D'Arcy", "de la Cruz", id="apostrophe-and-spaces"),
    pytest.param("Zoë", "Nguyễn", id="accents"),
    pytest.param("Алёна", "Ковальчук", id="cyrillic"),
]


@pytest.mark.parametrize(("first", "last"), GOOD_NAMES)
def test_names_the_contract_allows_are_accepted_and_kept(world: World, first: str, last: str):
    # Given an anonymous request and a client added by staff, under names the contract allows
    request = req(firstName=f"  {first} ", lastName=last)

    # When they are sent
    made = call("POST", "/requests", request)
    added = call("POST", "/staff/clients", {**PERSON, "firstName": first, "lastName": f"{last}  "}, who=STAFF)

    # Then both are accepted, and staff see the names as given (trimmed)
    assert made.status == 201, made.body
    assert added.status == 201, added.body
    queue = call("GET", "/staff/requests", who=STAFF).body["requests"]
    [mine] = [r for r in queue if r["id"] == made.body["request"]["id"]]
    assert (mine["client"]["firstName"], mine["client"]["lastName"]) == (first, last)
    clients = call("GET", "/staff/clients", who=STAFF).body["clients"]
    [client] = [c for c in clients if c["id"] == added.body["client"]["id"]]
    assert (client["firstName"], client["lastName"]) == (first, last)

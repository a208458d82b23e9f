"""The seed article's flows through the real handlers: request without signing in, staff
approve, signed-in request, staff deny, reschedule and cancel, and what each leaves behind."""

from __future__ import annotations

import json

from tests.integration.conftest import (
    ANONYMOUS,
    CLIENT_A,
    STAFF,
    at,
    call,
    confirmed_appointment,
    new_request,
    next_weekday,
)


def slots(day, clinician=None, client_type="new"):
    query = {"clientType": client_type, "from": day.isoformat(), "to": day.isoformat()}
    if clinician:
        query["clinicianId"] = clinician
    answer = call("GET", "/availability", query=query)
    assert answer.status == 200
    return [(s["clinicianId"], s["start"]) for s in answer.body["slots"]]


def test_portal_shows_what_the_practice_allows(practice):
    answer = call("GET", "/portal")

    assert answer.status == 200
    assert answer.body["practice"] == {"name": "Demo Counseling", "timeZone": "America/New_York"}
    assert answer.body["scheduling"]["anonymousRequests"] is True
    assert [(t["id"], t["clientType"]) for t in answer.body["appointmentTypes"]] == [
        ("intake", "new"),
        ("session", "existing"),
    ]


def test_clinicians_offer_types_for_the_client_type(practice):
    new = call("GET", "/clinicians", query={"clientType": "new"}).body["clinicians"]
    existing = call("GET", "/clinicians", query={"clientType": "existing"}).body["clinicians"]

    assert {c["id"]: c["appointmentTypeIds"] for c in new} == {"c-rivera": ["intake"], "c-okafor": ["intake"]}
    assert {c["id"] for c in existing} == {"c-rivera", "c-okafor", "c-chen"}


def test_request_without_signing_in_then_staff_approve(practice):
    # Given an open intake slot with Dr. Rivera
    day = next_weekday()
    assert ("c-rivera", at(day, 9)) in slots(day, "c-rivera")

    # When a new client requests it without signing in
    made = call("POST", "/requests", new_request(at(day, 9), comments="Evenings are hard for me"))

    # Then the request is pending, the slot is held, and staff see it with the client's details
    assert made.status == 201
    request = made.body["request"]
    assert (request["kind"], request["status"], request["start"]) == ("new", "pending", at(day, 9))
    assert ("c-rivera", at(day, 9)) not in slots(day, "c-rivera")
    queue = call("GET", "/staff/requests", who=STAFF).body["requests"]
    assert [r["id"] for r in queue] == [request["id"]]
    assert queue[0]["client"]["firstName"] == "Ada"
    assert queue[0]["client"]["mobilePhone"] == "+16175550100"
    assert queue[0]["newClient"] is True
    assert queue[0]["comments"] == "Evenings are hard for me"

    # When staff approve it
    approved = call("POST", f"/staff/requests/{request['id']}/approve", {"note": "Welcome"}, who=STAFF)

    # Then it is approved, leaves the queue, and the time stays taken
    assert approved.status == 200
    assert approved.body["request"]["status"] == "approved"
    assert "decidedAt" in approved.body["request"]
    assert call("GET", "/staff/requests", who=STAFF).body["requests"] == []
    decided = call("GET", "/staff/requests", who=STAFF, query={"status": "approved"}).body["requests"]
    assert [r["id"] for r in decided] == [request["id"]]
    assert ("c-rivera", at(day, 9)) not in slots(day, "c-rivera")


def test_signed_in_request_then_staff_deny_releases_the_time(practice):
    day = next_weekday()
    made = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(day, 11)},
        who=CLIENT_A,
    )
    assert made.status == 201
    mine = call("GET", "/me/appointments", who=CLIENT_A).body
    assert [(a["status"], a["start"]) for a in mine["appointments"]] == [("requested", at(day, 11))]
    assert mine["next"] is None
    assert ("c-okafor", at(day, 11)) not in slots(day, "c-okafor", "existing")

    denied = call("POST", f"/staff/requests/{made.body['request']['id']}/deny", {"note": "Full"}, who=STAFF)

    assert denied.status == 200
    assert denied.body["request"]["status"] == "denied"
    assert [a["status"] for a in call("GET", "/me/appointments", who=CLIENT_A).body["appointments"]] == [
        "declined"
    ]
    assert ("c-okafor", at(day, 11)) in slots(day, "c-okafor", "existing")
    again = call("POST", f"/staff/requests/{made.body['request']['id']}/approve", {}, who=STAFF)
    assert (again.status, again.code) == (409, "request_already_decided")


def test_reschedule_holds_the_new_time_until_approved(practice):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    mine = call("GET", "/me/appointments", who=CLIENT_A).body
    assert mine["next"]["id"] == appointment
    assert mine["next"]["status"] == "confirmed"

    asked = call("POST", f"/me/appointments/{appointment}/reschedule", {"start": at(day, 14)}, who=CLIENT_A)

    assert asked.status == 201
    assert asked.body["request"]["kind"] == "reschedule"
    shown = call("GET", "/me/appointments", who=CLIENT_A).body["appointments"][0]
    assert shown["status"] == "reschedule_requested"
    assert (shown["start"], shown["requestedStart"]) == (at(day, 10), at(day, 14))
    assert shown["pendingRequestId"] == asked.body["request"]["id"]
    # Both times are held while staff decide.
    held = slots(day, "c-rivera", "existing")
    assert ("c-rivera", at(day, 10)) not in held
    assert ("c-rivera", at(day, 14)) not in held
    second = call("POST", f"/me/appointments/{appointment}/cancel", {}, who=CLIENT_A)
    assert (second.status, second.code) == (409, "change_pending")

    approved = call("POST", f"/staff/requests/{asked.body['request']['id']}/approve", {}, who=STAFF)

    assert approved.status == 200
    shown = call("GET", "/me/appointments", who=CLIENT_A).body["appointments"][0]
    assert (shown["status"], shown["start"]) == ("confirmed", at(day, 14))
    held = slots(day, "c-rivera", "existing")
    assert ("c-rivera", at(day, 10)) in held
    assert ("c-rivera", at(day, 14)) not in held


def test_staff_change_the_time_when_approving(practice):
    day = next_weekday()
    made = call("POST", "/requests", new_request(at(day, 9)))
    request_id = made.body["request"]["id"]

    approved = call(
        "POST",
        f"/staff/requests/{request_id}/approve",
        {"start": at(day, 13), "clinicianId": "c-okafor"},
        who=STAFF,
    )

    assert approved.status == 200
    assert (approved.body["request"]["start"], approved.body["request"]["clinicianId"]) == (
        at(day, 13),
        "c-okafor",
    )
    assert ("c-rivera", at(day, 9)) in slots(day, "c-rivera")
    assert ("c-okafor", at(day, 13)) not in slots(day, "c-okafor")
    listed = call("GET", "/staff/requests", who=STAFF, query={"status": "approved"}).body["requests"][0]
    assert sorted(listed["changes"]) == ["clinicianId", "start"]


def test_staff_cannot_approve_onto_a_taken_time(practice):
    day = next_weekday()
    first = call("POST", "/requests", new_request(at(day, 9)))
    second = call("POST", "/requests", new_request(at(day, 10)))
    assert first.status == second.status == 201

    clash = call(
        "POST",
        f"/staff/requests/{second.body['request']['id']}/approve",
        {"start": at(day, 9, 30)},
        who=STAFF,
    )

    assert (clash.status, clash.code) == (409, "slot_unavailable")
    assert call("GET", "/staff/requests", who=STAFF).body["requests"][1]["status"] == "pending"


def test_cancel_approved_frees_the_time_and_shows_cancelled(practice):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)

    asked = call("POST", f"/me/appointments/{appointment}/cancel", {"reason": "Moving away"}, who=CLIENT_A)
    assert asked.status == 201
    assert (
        call("GET", "/me/appointments", who=CLIENT_A).body["appointments"][0]["status"] == "cancel_requested"
    )
    approved = call("POST", f"/staff/requests/{asked.body['request']['id']}/approve", {}, who=STAFF)

    assert approved.status == 200
    mine = call("GET", "/me/appointments", who=CLIENT_A).body
    assert [a["status"] for a in mine["appointments"]] == ["cancelled"]
    assert mine["next"] is None
    assert ("c-rivera", at(day, 10)) in slots(day, "c-rivera", "existing")


def test_cancel_denied_keeps_the_appointment(practice):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    asked = call("POST", f"/me/appointments/{appointment}/cancel", who=CLIENT_A)

    denied = call("POST", f"/staff/requests/{asked.body['request']['id']}/deny", who=STAFF)

    assert denied.status == 200
    assert call("GET", "/me/appointments", who=CLIENT_A).body["next"]["status"] == "confirmed"
    assert ("c-rivera", at(day, 10)) not in slots(day, "c-rivera", "existing")


def test_features_turned_off_refuse_at_once(practice):
    day = next_weekday()
    appointment = confirmed_appointment(CLIENT_A, day, 10)
    patch = {"scheduling": {"anonymousRequests": False, "reschedule": False, "cancel": False}}
    assert call("PATCH", "/staff/settings", patch, who=STAFF).status == 200

    anonymous = call("POST", "/requests", new_request(at(day, 9)), who=ANONYMOUS)
    moved = call("POST", f"/me/appointments/{appointment}/reschedule", {"start": at(day, 14)}, who=CLIENT_A)
    cancelled = call("POST", f"/me/appointments/{appointment}/cancel", {}, who=CLIENT_A)

    assert (anonymous.status, anonymous.code) == (403, "anonymous_requests_disabled")
    assert (moved.status, moved.code) == (403, "reschedule_disabled")
    assert (cancelled.status, cancelled.code) == (403, "cancel_disabled")

    call("PATCH", "/staff/settings", {"scheduling": {"enabled": False}}, who=STAFF)
    assert (
        call(
            "GET",
            "/availability",
            query={"clientType": "new", "from": day.isoformat(), "to": day.isoformat()},
        ).body["slots"]
        == []
    )
    signed_in = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, 9)},
        who=CLIENT_A,
    )
    assert (signed_in.status, signed_in.code) == (403, "scheduling_disabled")


def test_settings_change_applies_to_the_very_next_request(practice):
    day = next_weekday()
    call("PATCH", "/staff/settings", {"scheduling": {"slotIntervalMinutes": 30}}, who=STAFF)

    assert ("c-rivera", at(day, 9, 30)) in slots(day, "c-rivera")
    made = call("POST", "/requests", new_request(at(day, 9, 30)))
    assert made.status == 201

    call("PATCH", "/staff/settings", {"scheduling": {"horizonDays": 1}}, who=STAFF)
    refused = call("POST", "/requests", new_request(at(day, 14)))
    assert (refused.status, refused.code) == (422, "slot_not_offered")


def test_unknown_request_and_appointment_are_404(practice):
    assert call("POST", "/staff/requests/nope/approve", {}, who=STAFF).code == "request_not_found"
    assert call("POST", "/staff/requests/abc-1/deny", {}, who=STAFF).status == 404
    assert call("POST", "/me/appointments/abc/cancel", {}, who=CLIENT_A).code == "appointment_not_found"


def test_browsers_from_allowed_origins_may_read_answers(practice, monkeypatch):
    from functions import aws

    monkeypatch.setenv("ALLOWED_ORIGINS", "https://portal.example.org,https://www.example.org")
    aws.reset()

    allowed = call("GET", "/portal", headers={"Origin": "https://www.example.org"})
    other = call("GET", "/portal", headers={"Origin": "https://evil.example.net"})

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.example.org"
    assert "Access-Control-Allow-Origin" not in other.headers
    aws.reset()


def test_a_body_is_json_whatever_content_type_says(practice):
    day = next_weekday()
    body = json.dumps(new_request(at(day, 9)))

    made = call("POST", "/requests", body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    broken = call(
        "POST", "/requests", "firstName=Ada", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert made.status == 201
    assert (broken.status, broken.code) == (400, "malformed_json")

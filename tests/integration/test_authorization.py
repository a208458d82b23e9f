"""Who may call what: every route in the route table against every kind of caller, and the contract's
order of refusals: 401, then the role, then a feature turned off, then the body, then the state."""

from __future__ import annotations

from typing import Any

import pytest

from functions.api.routes import ROUTES, Access, Route
from tests.integration.conftest import (
    ANONYMOUS,
    CLIENT_A,
    CLIENT_B,
    STAFF,
    UNLINKED,
    at,
    call,
    new_request,
)
from tests.integration.support import (  # noqa: F401 (fixtures)
    CALLERS,
    CLIENT_A_PERSONAL,
    EXAMPLES,
    WRITES,
    Who,
    World,
    _shared_world_fixture,
    _world_fixture,
    assert_error,
    dynamodb_calls,
    example,
    expected,
    leaked,
    table_items,
)

NEW_CLIENT_BODY = {
    "firstName": "Mallory",
    "lastName": "Doe",
    "dateOfBirth": "1980-01-01",
    "email": "mallory@example.org",
    "mobilePhone": "+1 617 555 0199",
}
MALFORMED = '{"start": "2026-12-08T10:00:00-05:00",'
BAD_BODIES: list[Any] = [MALFORMED, {"start": "tomorrow", "colour": "blue"}, [], "null"]


def test_every_route_has_an_example_call():
    # Given the route table / Then the matrix below knows how to call each route, and no other
    assert set(EXAMPLES) == {(r.method, r.path) for r in ROUTES}


@pytest.mark.parametrize("who_name", list(CALLERS))
@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
def test_each_caller_gets_what_the_contract_allows(world: World, route: Route, who_name: str):
    # Given a practice where client A has a confirmed appointment and a pending request
    who = CALLERS[who_name]
    call_ = example(route, world)
    status, code = expected(route, who)

    # When this caller makes the route's valid example call
    with dynamodb_calls() as calls:
        answer = call(route.method, call_.path, call_.body, who=who, query=call_.query)

    # Then the caller gets what the contract gives them
    if code is None:
        assert answer.status == status, (answer.status, answer.body)
    else:
        assert_error(answer, status, code)
        # and a refusal does not even try to write
        assert WRITES.isdisjoint(calls.names), calls.names
    # and nobody but client A and staff ever sees anything of client A's personal data
    if who is not CLIENT_A and who is not STAFF:
        assert leaked(answer, CLIENT_A_PERSONAL) == [], answer.body
    # and no handler ever scans the table
    assert "Scan" not in calls.names

    if status in (401, 403) and route.method != "GET":
        # and a refused caller is refused the same way whatever the body: nothing is parsed first
        for body in BAD_BODIES:
            assert_error(call(route.method, call_.path, body, who=who), status, code)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.access is not Access.PUBLIC], ids=lambda r: r.path)
def test_claims_without_a_subject_are_anonymous(world: World, route: Route):
    # Given claims that carry no subject (no valid token)
    call_ = example(route, world)

    # When they are used on a protected route / Then it is a 401
    answer = call(route.method, call_.path, call_.body, who={"email": "ada@example.com"}, query=call_.query)
    assert_error(answer, 401, "unauthorized")


def test_a_group_other_than_staff_is_not_staff(world: World):
    someone = {**CLIENT_B, "cognito:groups": "[clients, staffers]"}
    assert_error(call("GET", "/staff/requests", who=someone), 403, "forbidden")


def test_staff_is_recognised_among_several_groups(world: World):
    someone = {**STAFF, "cognito:groups": "[admins, staff]"}
    assert call("GET", "/staff/requests", who=someone).status == 200


def test_a_clients_pool_account_in_a_staff_group_is_not_staff(world: World):
    # Given an account of the clients' user pool that is in a group called staff (the pool that
    # requires no second factor)
    someone = {**CLIENT_B, "cognito:groups": "staff"}

    # When it calls a staff route / Then it is refused: staff sign in to the staff pool
    assert_error(call("GET", "/staff/requests", who=someone), 403, "forbidden")
    assert_error(call("POST", "/staff/clients", NEW_CLIENT_BODY, who=someone), 403, "forbidden")


def test_a_staff_pool_account_outside_the_staff_group_is_not_staff(world: World):
    someone = {**STAFF, "cognito:groups": "admins"}
    assert_error(call("GET", "/staff/requests", who=someone), 403, "forbidden")


def test_a_staff_account_is_never_a_client_even_with_a_clients_account_id(world: World):
    # Given a staff-pool token whose sub is the one client A's record is linked to
    staff_as_a = {**STAFF, "sub": CLIENT_A["sub"]}
    before = table_items()

    # When it asks for the client's appointments, and to request and cancel
    mine = call("GET", "/me/appointments", who=staff_as_a)
    asked = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(world.day, 16)},
        who=staff_as_a,
    )
    cancelled = call("POST", f"/me/appointments/{world.appointment_a}/cancel", {}, who=staff_as_a)

    # Then it is a signed-in account with no client record, as the contract has it for staff
    assert (mine.status, mine.body) == (200, {"next": None, "appointments": []})
    assert_error(asked, 403, "not_a_client")
    assert_error(cancelled, 403, "not_a_client")
    assert table_items() == before


# ---- another client's appointment --------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "body"),
    [("reschedule", {"start": 16}), ("cancel", {"reason": "No longer needed"}), ("cancel", None)],
    ids=["reschedule", "cancel-with-reason", "cancel-without-body"],
)
def test_client_b_cannot_touch_client_a_appointment(world: World, action: str, body: dict[str, Any] | None):
    # Given client A's confirmed appointment
    if body and "start" in body:
        body = {"start": at(world.day, body["start"])}
    before = table_items()

    # When client B asks to change it
    answer = call("POST", f"/me/appointments/{world.appointment_a}/{action}", body, who=CLIENT_B)

    # Then it does not exist for B, nothing about it is told, and nothing changed
    assert_error(answer, 404, "appointment_not_found")
    assert leaked(answer, CLIENT_A_PERSONAL) == []
    assert table_items() == before
    mine = call("GET", "/me/appointments", who=CLIENT_A).body
    assert mine["next"]["id"] == world.appointment_a
    assert mine["next"]["status"] == "confirmed"


def test_another_clients_appointment_looks_like_one_that_does_not_exist(world: World):
    other = call("POST", f"/me/appointments/{world.appointment_a}/cancel", {}, who=CLIENT_B)
    missing = call("POST", "/me/appointments/no-such-appointment/cancel", {}, who=CLIENT_B)
    assert (other.status, other.body) == (missing.status, missing.body)


def test_client_b_sees_none_of_client_a_appointments(world: World):
    # Given client A's confirmed appointment and pending request
    # When client B looks at their appointments
    answer = call("GET", "/me/appointments", who=CLIENT_B)

    # Then there are none
    assert answer.status == 200
    assert answer.body == {"next": None, "appointments": []}


@pytest.mark.parametrize("who", [STAFF, UNLINKED], ids=["staff", "unlinked"])
def test_a_signed_in_user_without_a_client_record_has_no_appointments(world: World, who: Who):
    answer = call("GET", "/me/appointments", who=who)
    assert answer.status == 200
    assert answer.body == {"next": None, "appointments": []}


# ---- order of refusals ---------------------------------------------------------------------------


def _turn_off(**scheduling: bool) -> None:
    answer = call("PATCH", "/staff/settings", {"scheduling": scheduling}, who=STAFF)
    assert answer.status == 200, answer.body


def test_reschedule_turned_off_comes_before_the_body(world: World):
    # Given a practice that turned rescheduling off
    _turn_off(reschedule=False)
    before = table_items()

    # When client A sends bad bodies to reschedule / Then the feature refusal comes first, every time
    for body in BAD_BODIES:
        answer = call("POST", f"/me/appointments/{world.appointment_a}/reschedule", body, who=CLIENT_A)
        assert_error(answer, 403, "reschedule_disabled")
    assert table_items() == before


def test_cancel_turned_off_comes_before_the_body(world: World):
    _turn_off(cancel=False)
    for body in [*BAD_BODIES, {"reason": "x" * 1001}]:
        answer = call("POST", f"/me/appointments/{world.appointment_a}/cancel", body, who=CLIENT_A)
        assert_error(answer, 403, "cancel_disabled")


def test_anonymous_requests_turned_off_comes_before_the_body(world: World):
    # Given a practice that takes requests from signed-in clients only
    _turn_off(anonymousRequests=False)
    before = table_items()

    # When someone sends bad requests without signing in / Then they are refused for the feature
    for body in [*BAD_BODIES, new_request("not a time", firstName="")]:
        assert_error(call("POST", "/requests", body), 403, "anonymous_requests_disabled")
    assert table_items() == before


def test_anonymous_requests_turned_off_still_lets_clients_request(world: World):
    _turn_off(anonymousRequests=False)
    body = {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(world.day, 11)}
    assert call("POST", "/me/requests", body, who=CLIENT_B).status == 201


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/requests", ANONYMOUS),
        ("/me/requests", CLIENT_A),
        ("/me/appointments/{a}/reschedule", CLIENT_A),
        ("/me/appointments/{a}/cancel", CLIENT_A),
    ],
    ids=["requests", "me-requests", "reschedule", "cancel"],
)
def test_scheduling_turned_off_comes_before_the_body(world: World, path: str, who: Who):
    _turn_off(enabled=False)
    for body in BAD_BODIES:
        answer = call("POST", path.format(a=world.appointment_a), body, who=who)
        assert_error(answer, 403, "scheduling_disabled")


@pytest.mark.parametrize("who", [UNLINKED, STAFF], ids=["unlinked", "staff"])
@pytest.mark.parametrize(
    "path",
    ["/me/requests", "/me/appointments/{a}/reschedule", "/me/appointments/{a}/cancel"],
    ids=["me-requests", "reschedule", "cancel"],
)
def test_not_a_client_comes_before_the_body(world: World, who: Who, path: str):
    # Given a signed-in user who is no client of the practice
    before = table_items()

    # When they send bad bodies to a client route / Then they are refused as not a client
    for body in BAD_BODIES:
        answer = call("POST", path.format(a=world.appointment_a), body, who=who)
        assert_error(answer, 403, "not_a_client")
    assert table_items() == before


@pytest.mark.parametrize("who", [UNLINKED, STAFF], ids=["unlinked", "staff"])
def test_not_a_client_comes_before_a_missing_appointment(world: World, who: Who):
    answer = call("POST", "/me/appointments/no-such-appointment/cancel", {}, who=who)
    assert_error(answer, 403, "not_a_client")


def test_a_turned_off_feature_comes_before_another_clients_appointment(world: World):
    # Given rescheduling turned off and client A's appointment
    _turn_off(reschedule=False)

    # When client B asks to reschedule it / Then the feature refusal (403) comes before the state (404)
    answer = call(
        "POST",
        f"/me/appointments/{world.appointment_a}/reschedule",
        {"start": at(world.day, 16)},
        who=CLIENT_B,
    )
    assert_error(answer, 403, "reschedule_disabled")


def test_the_body_comes_before_another_clients_appointment(world: World):
    # Given client A's appointment / When client B sends a bad body about it
    answer = call(
        "POST", f"/me/appointments/{world.appointment_a}/reschedule", {"start": "soon"}, who=CLIENT_B
    )
    # Then the body is refused (422) before the state (404)
    assert_error(answer, 422, "validation_failed", "start")


def test_the_body_comes_before_a_decided_request(world: World):
    # Given a request staff approved already
    assert call("POST", f"/staff/requests/{world.pending_a}/approve", {}, who=STAFF).status == 200

    # When staff send a bad body to deny it / Then the body is refused (422), not the state (409)
    answer = call("POST", f"/staff/requests/{world.pending_a}/deny", {"note": "x" * 1001}, who=STAFF)
    assert_error(answer, 422, "validation_failed", "note")
    # and with a valid body the state refuses it
    answer = call("POST", f"/staff/requests/{world.pending_a}/deny", {}, who=STAFF)
    assert_error(answer, 409, "request_already_decided")


def test_the_body_comes_before_a_missing_request(world: World):
    answer = call("POST", "/staff/requests/nothing-1/approve", {"start": "later"}, who=STAFF)
    assert_error(answer, 422, "validation_failed", "start")
    assert_error(call("POST", "/staff/requests/nothing-1/approve", {}, who=STAFF), 404, "request_not_found")


def test_a_turned_off_feature_comes_before_an_invalid_idempotency_key(world: World):
    # Given a practice that takes no anonymous requests
    _turn_off(anonymousRequests=False)

    # When someone sends a request with an over-long Idempotency-Key
    answer = call(
        "POST",
        "/requests",
        new_request(at(world.day, 15), clinician="c-okafor"),
        headers={"Idempotency-Key": "k" * 256},
    )

    # Then the turned-off feature is the refusal, as it is for any other bad input
    assert_error(answer, 403, "anonymous_requests_disabled")

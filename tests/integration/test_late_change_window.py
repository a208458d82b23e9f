"""(v2) The late-change window: a client may ask to reschedule or cancel only while the appointment
starts more than `changeCutoffHours` from now. Appointments say what the client may ask for; inside
the window the portal's routes answer 409 `change_window_closed` (after the 401/403/422 refusals);
staff can still act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import CLIENT_A, CLIENT_B, NY, STAFF, UNLINKED, at, call
from tests.integration.support import (  # noqa: F401 (fixtures)
    World,
    _shared_world_fixture,
    _world_fixture,
    assert_error,
    table_items,
)

# The World's appointments are one to two weeks away: inside a 30-day window, outside a 1-day one.
WHOLE_MONTH, ONE_DAY = 720, 24


def settings(**scheduling: Any) -> None:
    answer = call("PATCH", "/staff/settings", {"scheduling": scheduling}, who=STAFF)
    assert answer.status == 200, answer.body


def shown(appointment_id: str) -> dict[str, Any]:
    """Client A's appointment as the portal is given it."""
    mine = call("GET", "/me/appointments", who=CLIENT_A).body
    [found] = [a for a in mine["appointments"] if a["id"] == appointment_id]
    return dict(found)


def may(appointment_id: str) -> tuple[bool, bool]:
    found = shown(appointment_id)
    return found["canReschedule"], found["canCancel"]


def reschedule(world: World, body: Any = None, who: Any = CLIENT_A, **headers: str) -> Any:
    body = {"start": at(world.day, 16)} if body is None else body
    path = f"/me/appointments/{world.appointment_a}/reschedule"
    return call("POST", path, body, who=who, headers=headers or None)


def cancel(world: World, body: Any = None, who: Any = CLIENT_A) -> Any:
    return call("POST", f"/me/appointments/{world.appointment_a}/cancel", body or {}, who=who)


# ---- what the portal is told -------------------------------------------------------------------


def test_outside_the_window_a_confirmed_appointment_may_be_rescheduled_and_cancelled(world: World):
    # Given a one-day window and client A's confirmed appointment a week or more away
    settings(changeCutoffHours=ONE_DAY)

    # When client A reads their appointments
    mine = call("GET", "/me/appointments", who=CLIENT_A).body

    # Then the confirmed one offers both changes, on the list and as the next appointment
    assert may(world.appointment_a) == (True, True)
    assert mine["next"]["id"] == world.appointment_a
    assert (mine["next"]["canReschedule"], mine["next"]["canCancel"]) == (True, True)


def test_inside_the_window_a_confirmed_appointment_offers_no_change(world: World):
    # Given a window wider than the time until client A's appointment
    settings(changeCutoffHours=WHOLE_MONTH)

    # When client A reads their appointments / Then neither change is offered
    assert may(world.appointment_a) == (False, False)
    assert call("GET", "/me/appointments", who=CLIENT_A).body["next"]["canCancel"] is False


@pytest.mark.parametrize(
    ("turned_off", "expected"),
    [
        ({"reschedule": False}, (False, True)),
        ({"cancel": False}, (True, False)),
        ({"enabled": False}, (False, False)),
    ],
    ids=["reschedule-off", "cancel-off", "scheduling-off"],
)
def test_a_feature_the_practice_turned_off_is_not_offered(world: World, turned_off, expected):
    # Given a practice that turned a feature off / Then the appointment does not offer it
    settings(**turned_off)
    assert may(world.appointment_a) == expected


def test_a_request_awaiting_review_and_an_appointment_with_a_pending_change_offer_nothing(world: World):
    # Given client A's new request awaiting review, and a cancellation they asked for
    pending_appointment = world.pending_a.rsplit("-", 1)[0]
    assert cancel(world).status == 201

    # Then neither offers a change
    assert shown(pending_appointment)["status"] == "requested"
    assert may(pending_appointment) == (False, False)
    assert shown(world.appointment_a)["status"] == "cancel_requested"
    assert may(world.appointment_a) == (False, False)


def test_a_declined_request_and_a_cancelled_appointment_offer_nothing(world: World):
    # Given a request staff denied and an appointment staff cancelled
    pending_appointment = world.pending_a.rsplit("-", 1)[0]
    assert call("POST", f"/staff/requests/{world.pending_a}/deny", {}, who=STAFF).status == 200
    assert call("POST", f"/staff/appointments/{world.appointment_a}/cancel", {}, who=STAFF).status == 200

    # Then the client is offered no change of either
    assert (shown(pending_appointment)["status"], may(pending_appointment)) == ("declined", (False, False))
    assert (shown(world.appointment_a)["status"], may(world.appointment_a)) == ("cancelled", (False, False))


def test_the_window_follows_the_clock_for_an_appointment_booked_a_day_ahead(world: World):
    # Given client A's appointment that staff booked about 30 hours from now
    start = (datetime.now(UTC) + timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    booked = call(
        "POST",
        "/staff/appointments",
        {
            "clientId": "client-a",
            "clinicianId": "c-chen",
            "appointmentTypeId": "session",
            "start": start.astimezone(NY).isoformat(),
        },
        who=STAFF,
    )
    assert booked.status == 201, booked.body
    appointment = booked.body["appointment"]["id"]

    # When the window is a day, then two days
    settings(changeCutoffHours=ONE_DAY)
    outside = may(appointment)
    settings(changeCutoffHours=2 * ONE_DAY)
    inside = may(appointment)

    # Then the client may change it only while it starts more than the window away
    assert (outside, inside) == ((True, True), (False, False))
    assert_error(
        call("POST", f"/me/appointments/{appointment}/cancel", {}, who=CLIENT_A), 409, "change_window_closed"
    )


# ---- the client's routes inside the window ------------------------------------------------------


def test_inside_the_window_reschedule_and_cancel_are_refused_and_change_nothing(world: World):
    # Given client A's confirmed appointment inside the window
    settings(changeCutoffHours=WHOLE_MONTH)
    before = table_items()

    # When client A asks to move it to an open time, and to cancel it
    moved = reschedule(world)
    cancelled = cancel(world, {"reason": "Something came up"})

    # Then both are refused as the window's, saying to contact the practice
    assert_error(moved, 409, "change_window_closed")
    assert_error(cancelled, 409, "change_window_closed")
    assert "contact the practice" in moved.body["error"]["message"]
    # and nothing changed: the appointment is confirmed at its time, no request, no hold
    assert table_items() == before
    assert shown(world.appointment_a)["status"] == "confirmed"


def test_a_change_asked_for_before_the_window_closed_is_replayed_after(world: World):
    # Given a reschedule client A asked for with an Idempotency-Key, then a window that closed on it
    first = reschedule(world, **{"Idempotency-Key": "move-1"})
    assert first.status == 201, first.body
    settings(changeCutoffHours=WHOLE_MONTH)

    # When the same call comes again (its answer was lost) / Then it is the first answer again
    again = reschedule(world, **{"Idempotency-Key": "move-1"})
    assert (again.status, again.body) == (201, first.body)


@pytest.mark.parametrize("route", ["reschedule", "cancel"])
def test_refusals_before_the_state_come_first_inside_the_window(world: World, route: str):
    # Given client A's confirmed appointment inside the window
    settings(changeCutoffHours=WHOLE_MONTH)
    send = reschedule if route == "reschedule" else cancel
    valid = {"start": at(world.day, 16)} if route == "reschedule" else {}
    bad_body, bad_field = (
        ({"start": "soon"}, "start") if route == "reschedule" else ({"reason": "x" * 1001}, "reason")
    )

    # When it is asked without signing in, by someone who is no client, with a bad body, or by another
    # client / Then each gets its own refusal, never the window's
    assert_error(send(world, valid, who=None), 401, "unauthorized")
    assert_error(send(world, valid, who=UNLINKED), 403, "not_a_client")
    assert_error(send(world, valid, who=STAFF), 403, "not_a_client")
    assert_error(send(world, bad_body), 422, "validation_failed", bad_field)
    assert_error(send(world, valid, who=CLIENT_B), 404, "appointment_not_found")
    # and with the feature turned off too, that comes before the window
    settings(**{route: False})
    assert_error(send(world, valid), 403, f"{route}_disabled")


def test_a_change_already_pending_is_the_refusal_inside_the_window(world: World):
    # Given a cancellation client A asked for, then a window that closed on the appointment
    assert cancel(world).status == 201
    settings(changeCutoffHours=WHOLE_MONTH)

    # When they ask to move it / Then the pending change is the refusal (the more specific state)
    assert_error(reschedule(world), 409, "change_pending")


def test_inside_the_window_any_new_time_is_refused_as_the_windows(world: World):
    # Given client A's appointment inside the window
    settings(changeCutoffHours=WHOLE_MONTH)

    # When they ask for a time availability does not offer / Then the window is the refusal, as a
    # pending change would be: no time can be asked for, so none is checked
    assert_error(reschedule(world, {"start": at(world.day, 16, 5)}), 409, "change_window_closed")


# ---- staff inside the window ----------------------------------------------------------------------


def test_staff_approve_a_cancellation_asked_for_before_the_window_closed(world: World):
    # Given a cancellation client A asked for, and a window that has closed on the appointment since
    asked = cancel(world)
    assert asked.status == 201
    settings(changeCutoffHours=WHOLE_MONTH)

    # When staff approve it
    approved = call("POST", f"/staff/requests/{asked.body['request']['id']}/approve", {}, who=STAFF)

    # Then it is approved and the appointment is cancelled
    assert approved.status == 200, approved.body
    assert shown(world.appointment_a)["status"] == "cancelled"


def test_staff_approve_a_reschedule_asked_for_before_the_window_closed(world: World):
    asked = reschedule(world)
    assert asked.status == 201
    settings(changeCutoffHours=WHOLE_MONTH)

    approved = call("POST", f"/staff/requests/{asked.body['request']['id']}/approve", {}, who=STAFF)

    assert approved.status == 200, approved.body
    assert (shown(world.appointment_a)["status"], shown(world.appointment_a)["start"]) == (
        "confirmed",
        at(world.day, 16),
    )


def test_staff_move_and_cancel_an_appointment_inside_the_window(world: World):
    # Given client A's appointment inside the window, where client A can change nothing
    settings(changeCutoffHours=WHOLE_MONTH)
    assert_error(cancel(world), 409, "change_window_closed")

    # When staff move it on the calendar, then cancel it
    moved = call(
        "POST",
        f"/staff/appointments/{world.appointment_a}/reschedule",
        {"start": at(world.day, 15)},
        who=STAFF,
    )
    cancelled = call("POST", f"/staff/appointments/{world.appointment_a}/cancel", {}, who=STAFF)

    # Then both are done, as outside the window
    assert (moved.status, moved.body["appointment"]["start"]) == (200, at(world.day, 15))
    assert (cancelled.status, cancelled.body["appointment"]["status"]) == (200, "cancelled")
    assert shown(world.appointment_a)["status"] == "cancelled"

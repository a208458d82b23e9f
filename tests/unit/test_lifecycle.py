"""The request lifecycle: new, reschedule and cancel requests, approval and denial, and the claim
cells each transition takes and releases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from functions.scheduling.config import TimeOff
from functions.scheduling.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from functions.scheduling.lifecycle import (
    Appointment,
    Claim,
    Plan,
    Request,
    appointment_id_of,
    approve,
    can_cancel,
    can_reschedule,
    change_window_open,
    check_cancel_allowed,
    check_new_allowed,
    check_reschedule_allowed,
    deny,
    request_cancel,
    request_id,
    request_new,
    request_reschedule,
)
from tests.unit.builders import NOW, SESSION, client, clinician, confirmed, decided, ny, practice

TUESDAY = date(2026, 3, 10)  # EDT: 10:00 local is 14:00Z
LATER = NOW + timedelta(hours=1)


def config(**scheduling):
    """Two clinicians working 09:00-17:00 every day, quarter-hour starts, no notice."""
    scheduling = {"slotIntervalMinutes": 15, **scheduling}
    return practice(
        clinician("c-a", "Alex Adams"),
        clinician("c-b", "Bea Brown"),
        clinician("c-s", "Sam Sessions", types=["session"]),
        clinician("c-h", "Hal Hidden", shown=False),
        **scheduling,
    )


CONFIG = config()


def quarters(clinician_id: str, start: datetime, count: int) -> list[Claim]:
    """`count` consecutive quarter-hour claims from `start`."""
    return [Claim(clinician_id, start + timedelta(minutes=15 * i)) for i in range(count)]


def new(start: datetime, **given) -> Plan:
    """A new request by an anonymous new client for an intake with Alex Adams."""
    args: dict[str, Any] = {
        "appointment_id": "a1",
        "now": NOW,
        "client_type": "new",
        "clinician_id": "c-a",
        "type_id": "intake",
        "start": start,
        "client": client(),
        "client_id": None,
        "signed_in": False,
        "comments": None,
    }
    args.update(given)
    cfg = args.pop("config", CONFIG)
    return request_new(cfg, **args)


def reschedule(
    appointment: Appointment, start: datetime, clinician_id: str | None = None, cfg=CONFIG
) -> Plan:
    return request_reschedule(
        cfg, appointment, now=NOW, start=start, clinician_id=clinician_id, comments="later?"
    )


def refused(error: type[DomainError], call, *args, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    return caught.value.code, caught.value.field


def assert_moves(plan: Plan, held: Iterable[Claim], final: Iterable[Claim]) -> None:
    """The plan turns `held` into exactly `final`, writing no cell twice."""
    held, final = set(held), set(final)
    claim, release = set(plan.claim), set(plan.release)
    assert not claim & release, "a cell both released and claimed"
    assert len(plan.claim) == len(claim), "a cell claimed twice"
    assert len(plan.release) == len(release), "a cell released twice"
    assert release <= held
    assert not claim & held
    assert (held - release) | claim == final


# --- new requests ------------------------------------------------------------------------------


def test_new_request_creates_a_requested_appointment_and_a_pending_request_claiming_its_cells():
    start = ny(TUESDAY, 10)

    plan = new(start, comments="first visit")

    a, r = plan.appointment, plan.request
    assert (a.id, a.status, a.pendingRequestId, a.newClient, a.requests, a.sequence) == (
        "a1",
        "requested",
        "a1-1",
        True,
        1,
        0,
    )
    assert (a.start, a.end, a.clinicianId, a.appointmentTypeId) == (start, ny(TUESDAY, 11), "c-a", "intake")
    assert (r.id, r.kind, r.status, r.appointmentId, r.signedIn, r.comments) == (
        "a1-1",
        "new",
        "pending",
        "a1",
        False,
        "first visit",
    )
    assert (r.start, r.end) == (a.start, a.end)
    assert a.holds_time
    assert not r.holds_time
    # Both records are new, and the hour's four cells are claimed
    assert (plan.appointment_version, plan.request_version) == (None, None)
    assert plan.claim == quarters("c-a", start, 4)
    assert plan.release == []


def test_existing_client_requests_a_fifty_minute_session_claiming_four_cells():
    start = ny(TUESDAY, 10)

    plan = new(start, client_type="existing", type_id="session", client_id="cl-1", signed_in=True)

    assert plan.appointment.end == ny(TUESDAY, 10, 50)
    assert not plan.appointment.newClient
    assert plan.appointment.clientId == plan.request.clientId == "cl-1"
    assert plan.claim == quarters("c-a", start, 4)


def test_signed_in_client_may_request_when_anonymous_requests_are_off():
    plan = new(ny(TUESDAY, 10), config=config(anonymousRequests=False), signed_in=True)
    assert plan.request.signedIn


def _off_on_tuesday_morning():
    return practice(
        clinician(
            "c-a",
            "Alex Adams",
            time_off=[(ny(TUESDAY, 9), ny(TUESDAY, 12))],
        ),
        slotIntervalMinutes=15,
    )


@pytest.mark.parametrize(
    ("given", "error", "refusal"),
    [
        ({"config": config(enabled=False)}, Forbidden, ("scheduling_disabled", None)),
        ({"config": config(anonymousRequests=False)}, Forbidden, ("anonymous_requests_disabled", None)),
        ({"type_id": "nothing"}, Invalid, ("unknown_appointment_type", "appointmentTypeId")),
        ({"type_id": "session"}, Invalid, ("unknown_appointment_type", "appointmentTypeId")),  # not for new
        ({"clinician_id": "c-nobody"}, Invalid, ("unknown_clinician", "clinicianId")),
        ({"clinician_id": "c-h"}, Invalid, ("unknown_clinician", "clinicianId")),  # hidden from the portal
        ({"clinician_id": "c-s"}, Invalid, ("type_not_offered", "appointmentTypeId")),
        ({"start": ny(TUESDAY, 10, 5)}, Invalid, ("slot_not_offered", "start")),  # off the grid
        ({"start": ny(TUESDAY, 16, 15)}, Invalid, ("slot_not_offered", "start")),  # would end after 17:00
        ({"start": ny(TUESDAY, 7)}, Invalid, ("slot_not_offered", "start")),  # before hours
        ({"start": NOW - timedelta(days=1)}, Invalid, ("slot_not_offered", "start")),  # past
        ({"config": config(minimumNoticeHours=24 * 9)}, Invalid, ("slot_not_offered", "start")),
        ({"config": config(horizonDays=7)}, Invalid, ("slot_not_offered", "start")),
        ({"config": _off_on_tuesday_morning()}, Invalid, ("slot_not_offered", "start")),
    ],
)
def test_new_request_refusals(given, error, refusal):
    assert refused(error, new, given.pop("start", ny(TUESDAY, 10)), **given) == refusal


def test_inactive_type_cannot_be_requested():
    inactive = practice(clinician(), types=[SESSION.model_copy(update={"active": False})])
    assert refused(
        Invalid, new, ny(TUESDAY, 10), config=inactive, client_type="existing", type_id="session"
    ) == (
        "unknown_appointment_type",
        "appointmentTypeId",
    )


@pytest.mark.parametrize(
    ("check", "setting", "code"),
    [
        (check_reschedule_allowed, {"reschedule": False}, "reschedule_disabled"),
        (check_cancel_allowed, {"cancel": False}, "cancel_disabled"),
        (check_reschedule_allowed, {"enabled": False}, "scheduling_disabled"),
        (check_cancel_allowed, {"enabled": False}, "scheduling_disabled"),
    ],
)
def test_change_switches(check, setting, code):
    check(config())  # allowed by default
    assert refused(Forbidden, check, config(**setting)) == (code, None)


def test_new_switch_applies_to_anonymous_callers_only():
    check_new_allowed(config(anonymousRequests=False), signed_in=True)
    assert refused(Forbidden, check_new_allowed, config(anonymousRequests=False), signed_in=False)[0] == (
        "anonymous_requests_disabled"
    )


# --- reschedule and cancel requests -----------------------------------------------------------


def test_reschedule_overlapping_the_old_time_claims_only_the_new_only_cells():
    # Given a confirmed 10:00-10:50 session
    appointment = confirmed(ny(TUESDAY, 10), version=3, requests=1)

    # When the client asks to move it by half an hour
    plan = reschedule(appointment, ny(TUESDAY, 10, 30))

    # Then the appointment awaits the change, keeping its time
    a, r = plan.appointment, plan.request
    assert (a.status, a.start, a.pendingRequestId, a.requests, a.version) == (
        "reschedule_requested",
        ny(TUESDAY, 10),
        "a1-2",
        2,
        4,
    )
    assert (a.requestedStart, a.requestedEnd, a.requestedClinicianId) == (
        ny(TUESDAY, 10, 30),
        ny(TUESDAY, 11, 20),
        "c-a",
    )
    assert (r.id, r.kind, r.status, r.start, r.end, r.comments) == (
        "a1-2",
        "reschedule",
        "pending",
        ny(TUESDAY, 10, 30),
        ny(TUESDAY, 11, 20),
        "later?",
    )
    assert (r.originalStart, r.originalEnd, r.originalClinicianId) == (
        ny(TUESDAY, 10),
        ny(TUESDAY, 10, 50),
        "c-a",
    )
    assert r.holds_time
    # And only 11:00 and 11:15 are claimed: 10:30 and 10:45 are already the appointment's
    assert plan.claim == quarters("c-a", ny(TUESDAY, 11), 2)
    assert plan.release == []
    assert (plan.appointment_version, plan.request_version) == (3, None)


def test_reschedule_to_another_clinician_claims_all_of_their_cells():
    appointment = confirmed(ny(TUESDAY, 10))
    plan = reschedule(appointment, ny(TUESDAY, 10), clinician_id="c-b")
    assert plan.claim == quarters("c-b", ny(TUESDAY, 10), 4)
    assert plan.request.clinicianId == "c-b"
    assert plan.request.originalClinicianId == "c-a"


def test_reschedule_far_away_claims_every_new_cell():
    plan = reschedule(confirmed(ny(TUESDAY, 10)), ny(TUESDAY, 14))
    assert plan.claim == quarters("c-a", ny(TUESDAY, 14), 4)


def test_reschedule_keeps_the_appointment_type():
    plan = reschedule(confirmed(ny(TUESDAY, 10)), ny(TUESDAY, 14))
    assert plan.request.appointmentTypeId == "session"
    assert plan.request.end - plan.request.start == timedelta(minutes=50)


@pytest.mark.parametrize(
    ("appointment", "start", "clinician_id", "error", "refusal"),
    [
        (
            confirmed(ny(TUESDAY, 10)).model_copy(update={"pendingRequestId": "a1-2"}),
            ny(TUESDAY, 14),
            None,
            Conflict,
            ("change_pending", None),
        ),
        (
            confirmed(ny(TUESDAY, 10)).model_copy(update={"status": "requested"}),
            ny(TUESDAY, 14),
            None,
            Conflict,
            ("appointment_not_changeable", None),
        ),
        (confirmed(NOW), ny(TUESDAY, 14), None, Conflict, ("appointment_not_changeable", None)),  # begun
        (confirmed(ny(TUESDAY, 10)), ny(TUESDAY, 14, 5), None, Invalid, ("slot_not_offered", "start")),
        (confirmed(ny(TUESDAY, 10)), ny(TUESDAY, 14), "c-h", Invalid, ("unknown_clinician", "clinicianId")),
        (
            confirmed(ny(TUESDAY, 10), type_id="intake", minutes=60),
            ny(TUESDAY, 14),
            "c-s",
            Invalid,
            ("type_not_offered", "appointmentTypeId"),
        ),
    ],
    ids=["pending", "not-confirmed", "started", "not-offered", "hidden-clinician", "type-not-offered"],
)
def test_reschedule_refusals(appointment, start, clinician_id, error, refusal):
    assert refused(error, reschedule, appointment, start, clinician_id) == refusal


def test_cancel_request_holds_nothing_new():
    appointment = confirmed(ny(TUESDAY, 10), version=5, requests=2)

    plan = request_cancel(CONFIG, appointment, now=NOW, reason="moving away")

    a, r = plan.appointment, plan.request
    assert (a.status, a.pendingRequestId, a.requests, a.version, a.start) == (
        "cancel_requested",
        "a1-3",
        3,
        6,
        ny(TUESDAY, 10),
    )
    assert (r.id, r.kind, r.status, r.comments, r.start, r.end) == (
        "a1-3",
        "cancel",
        "pending",
        "moving away",
        a.start,
        a.end,
    )
    assert not r.holds_time
    assert (plan.claim, plan.release, plan.appointment_version) == ([], [], 5)


def test_cancel_refused_while_a_change_is_pending():
    appointment = reschedule(confirmed(ny(TUESDAY, 10)), ny(TUESDAY, 14)).appointment
    assert refused(Conflict, request_cancel, CONFIG, appointment, now=NOW, reason=None) == (
        "change_pending",
        None,
    )


# --- (v2) the late-change window --------------------------------------------------------------

SPRING_SUNDAY = date(2026, 3, 8)  # New York's clocks go from 02:00 EST to 03:00 EDT
FALL_SUNDAY = date(2026, 11, 1)  # and from 02:00 EDT back to 01:00 EST


@pytest.mark.parametrize(
    ("before_start", "open_"),
    [
        (timedelta(hours=24, minutes=1), True),
        (timedelta(hours=24, microseconds=1), True),
        (timedelta(hours=24), False),  # exactly the cutoff before the start: closed
        (timedelta(hours=23, minutes=59), False),
        (timedelta(0), False),
    ],
    ids=["a-minute-before-the-cutoff", "a-microsecond-before", "at-the-cutoff", "inside", "at-the-start"],
)
def test_the_window_closes_exactly_cutoff_hours_before_the_start(before_start, open_):
    # Given a practice whose clients may change appointments up to 24 hours before
    cfg = config(changeCutoffHours=24)
    start = ny(TUESDAY, 10)

    # When the time is `before_start` ahead of the start / Then the window is open only before the cutoff
    assert change_window_open(cfg, start, start - before_start) is open_


def test_no_cutoff_leaves_the_window_open_until_the_start():
    cfg = config(changeCutoffHours=0)
    start = ny(TUESDAY, 10)
    assert change_window_open(cfg, start, start - timedelta(seconds=1))
    assert not change_window_open(cfg, start, start)


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        # The Sunday 09:00 EDT appointment starts 24 elapsed hours after Saturday 08:00 EST, not 09:00.
        (ny(SPRING_SUNDAY - timedelta(days=1), 7, 59), True),
        (ny(SPRING_SUNDAY - timedelta(days=1), 8), False),
        (ny(SPRING_SUNDAY - timedelta(days=1), 8, 30), False),
    ],
    ids=["07:59-open", "08:00-closed", "08:30-closed-though-24.5-wall-hours-ahead"],
)
def test_the_window_counts_elapsed_hours_across_the_spring_change(now, open_):
    # Given a 24-hour cutoff and an appointment at 09:00 on the Sunday the clocks go forward
    # (both instants in New York's zone, where Python's own subtraction would count wall hours)
    cfg = config(changeCutoffHours=24)
    start = ny(SPRING_SUNDAY, 9)

    # Then the window closes 24 real hours before, at 08:00 on the Saturday
    assert change_window_open(cfg, start, now) is open_


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        # The Sunday 09:00 EST appointment starts 24 elapsed hours after Saturday 10:00 EDT.
        (ny(FALL_SUNDAY - timedelta(days=1), 9, 30), True),
        (ny(FALL_SUNDAY - timedelta(days=1), 9, 59), True),
        (ny(FALL_SUNDAY - timedelta(days=1), 10), False),
    ],
    ids=["09:30-open-though-23.5-wall-hours-ahead", "09:59-open", "10:00-closed"],
)
def test_the_window_counts_elapsed_hours_across_the_fall_change(now, open_):
    cfg = config(changeCutoffHours=24)
    start = ny(FALL_SUNDAY, 9)
    assert change_window_open(cfg, start, now) is open_


def test_inside_the_window_a_client_can_neither_reschedule_nor_cancel():
    # Given a 48-hour cutoff and a confirmed appointment 47 hours away
    cfg = config(changeCutoffHours=48)
    appointment = confirmed(NOW + timedelta(hours=47))

    # When the client asks to move it (to a time that is offered) or to cancel it
    # Then both are refused as the window's, and nothing is planned
    moving = refused(
        Conflict,
        request_reschedule,
        cfg,
        appointment,
        now=NOW,
        start=ny(TUESDAY, 14),
        clinician_id=None,
        comments=None,
    )
    cancelling = refused(Conflict, request_cancel, cfg, appointment, now=NOW, reason=None)
    assert moving == cancelling == ("change_window_closed", None)
    assert not can_reschedule(cfg, appointment, NOW)
    assert not can_cancel(cfg, appointment, NOW)


def test_outside_the_window_both_changes_are_offered_and_taken():
    cfg = config(changeCutoffHours=48)
    appointment = confirmed(NOW + timedelta(hours=49))
    assert can_reschedule(cfg, appointment, NOW)
    assert can_cancel(cfg, appointment, NOW)
    assert request_cancel(cfg, appointment, now=NOW, reason=None).appointment.status == "cancel_requested"


def test_a_pending_change_and_an_appointment_that_began_are_refused_as_before_inside_the_window():
    # Given a 48-hour cutoff
    cfg = config(changeCutoffHours=48)
    pending = confirmed(NOW + timedelta(hours=2)).model_copy(
        update={"status": "cancel_requested", "pendingRequestId": "a1-2"}
    )
    begun = confirmed(NOW - timedelta(minutes=10))

    # Then the more specific refusal comes first: the pending change, the appointment that began
    assert refused(Conflict, request_cancel, cfg, pending, now=NOW, reason=None) == ("change_pending", None)
    assert refused(Conflict, request_cancel, cfg, begun, now=NOW, reason=None) == (
        "appointment_not_changeable",
        None,
    )


@pytest.mark.parametrize(
    ("appointment", "scheduling", "reschedule_", "cancel_"),
    [
        (confirmed(NOW + timedelta(days=7)), {}, True, True),
        (confirmed(NOW + timedelta(days=7)), {"reschedule": False}, False, True),
        (confirmed(NOW + timedelta(days=7)), {"cancel": False}, True, False),
        (confirmed(NOW + timedelta(days=7)), {"enabled": False}, False, False),
        (
            confirmed(NOW + timedelta(days=7)).model_copy(
                update={"status": "requested", "pendingRequestId": "a1-1"}
            ),
            {},
            False,
            False,
        ),
        (
            confirmed(NOW + timedelta(days=7)).model_copy(
                update={"status": "reschedule_requested", "pendingRequestId": "a1-2"}
            ),
            {},
            False,
            False,
        ),
        (confirmed(NOW + timedelta(days=7)).model_copy(update={"status": "cancelled"}), {}, False, False),
        (confirmed(NOW + timedelta(hours=23)), {"changeCutoffHours": 24}, False, False),
        (confirmed(NOW - timedelta(minutes=5)), {}, False, False),
    ],
    ids=[
        "confirmed",
        "reschedule-off",
        "cancel-off",
        "scheduling-off",
        "requested",
        "change-pending",
        "cancelled",
        "inside-the-window",
        "begun",
    ],
)
def test_what_a_client_may_ask_for(appointment, scheduling, reschedule_, cancel_):
    # Given the practice's settings and an appointment / Then the client may ask for what is allowed
    cfg = config(**scheduling)
    assert (can_reschedule(cfg, appointment, NOW), can_cancel(cfg, appointment, NOW)) == (
        reschedule_,
        cancel_,
    )


# --- approval ----------------------------------------------------------------------------------


def test_approving_a_new_request_as_asked_confirms_it_and_moves_no_cells():
    pending = new(ny(TUESDAY, 10))

    plan = approve(CONFIG, pending.appointment, pending.request, now=LATER, note="welcome")

    a, r = plan.appointment, plan.request
    assert (a.status, a.pendingRequestId, a.sequence, a.version) == ("confirmed", None, 0, 2)
    assert (r.status, r.note, r.decidedAt, r.changes, r.sequence, r.version) == (
        "approved",
        "welcome",
        LATER,
        [],
        0,
        2,
    )
    assert (plan.claim, plan.release) == ([], [])
    assert (plan.appointment_version, plan.request_version) == (1, 1)


def test_approving_a_new_request_at_another_time_records_the_change_and_moves_cells():
    # Given an intake asked for 10:00-11:00; staff set it to 10:30 (between the offered starts is fine)
    pending = new(ny(TUESDAY, 10))

    plan = approve(
        CONFIG, pending.appointment, pending.request, now=LATER, note=None, start=ny(TUESDAY, 10, 30)
    )

    assert plan.request.changes == ["start"]
    assert (plan.appointment.start, plan.appointment.end) == (ny(TUESDAY, 10, 30), ny(TUESDAY, 11, 30))
    assert plan.appointment.sequence == plan.request.sequence == 1
    assert plan.release == quarters("c-a", ny(TUESDAY, 10), 2)
    assert plan.claim == quarters("c-a", ny(TUESDAY, 11), 2)
    assert_moves(plan, pending.claim, quarters("c-a", ny(TUESDAY, 10, 30), 4))


def test_approving_with_another_clinician_and_type_records_both():
    pending = new(ny(TUESDAY, 10))

    plan = approve(
        CONFIG,
        pending.appointment,
        pending.request,
        now=LATER,
        note=None,
        clinician_id="c-b",
        type_id="session",
    )

    assert plan.request.changes == ["clinicianId", "appointmentTypeId"]
    a = plan.appointment
    assert (a.clinicianId, a.appointmentTypeId, a.start, a.end) == (
        "c-b",
        "session",
        ny(TUESDAY, 10),
        ny(TUESDAY, 10, 50),
    )
    assert plan.release == quarters("c-a", ny(TUESDAY, 10), 4)
    assert plan.claim == quarters("c-b", ny(TUESDAY, 10), 4)


def test_staff_values_equal_to_the_request_are_not_changes():
    pending = new(ny(TUESDAY, 10))

    plan = approve(
        CONFIG,
        pending.appointment,
        pending.request,
        now=LATER,
        note=None,
        start=ny(TUESDAY, 10),
        clinician_id="c-a",
        type_id="intake",
    )

    assert plan.request.changes == []
    assert plan.appointment.sequence == 0
    assert (plan.claim, plan.release) == ([], [])


def test_staff_changes_are_checked_against_hours_and_time_off():
    pending = new(ny(TUESDAY, 10))
    off = CONFIG.clinicians["c-b"].model_copy(
        update={"timeOff": [TimeOff(id="off", start=ny(TUESDAY, 0), end=ny(TUESDAY, 23))]}
    )
    b_away = CONFIG.model_copy(update={"clinicians": {**CONFIG.clinicians, "c-b": off}})

    def approving(cfg=CONFIG, **change):
        return refused(
            Invalid, approve, cfg, pending.appointment, pending.request, now=LATER, note=None, **change
        )

    assert approving(start=ny(TUESDAY, 16, 30)) == ("slot_not_offered", "start")  # ends after 17:00
    assert approving(clinician_id="c-s") == ("type_not_offered", "appointmentTypeId")
    assert approving(b_away, clinician_id="c-b") == ("slot_not_offered", "start")  # in time off


def test_staff_may_approve_for_a_hidden_clinician():
    pending = new(ny(TUESDAY, 10))
    plan = approve(CONFIG, pending.appointment, pending.request, now=LATER, note=None, clinician_id="c-h")
    assert plan.appointment.clinicianId == "c-h"


def test_a_request_whose_time_has_passed_is_not_approved_as_it_is():
    pending = new(ny(TUESDAY, 10))
    after = ny(TUESDAY, 10)

    assert refused(Conflict, approve, CONFIG, pending.appointment, pending.request, now=after, note=None) == (
        "request_expired",
        None,
    )
    # But staff may approve it at a new, future time
    plan = approve(CONFIG, pending.appointment, pending.request, now=after, note=None, start=ny(TUESDAY, 15))
    assert plan.appointment.start == ny(TUESDAY, 15)


def test_approving_a_reschedule_moves_the_appointment_and_releases_its_old_only_cells():
    # Given 10:00-10:50 with a pending move to 10:30-11:20
    original = confirmed(ny(TUESDAY, 10), sequence=2)
    pending = reschedule(original, ny(TUESDAY, 10, 30))
    held = quarters("c-a", ny(TUESDAY, 10), 4) + pending.claim

    plan = approve(CONFIG, pending.appointment, pending.request, now=LATER, note="ok")

    a = plan.appointment
    assert (a.status, a.start, a.end, a.pendingRequestId, a.requestedStart, a.requestedClinicianId) == (
        "confirmed",
        ny(TUESDAY, 10, 30),
        ny(TUESDAY, 11, 20),
        None,
        None,
        None,
    )
    # The calendar follows the move; the request was as asked
    assert a.sequence == plan.request.sequence == 3
    assert plan.request.changes == []
    # 10:00 and 10:15 are released; the rest stays held, nothing new is claimed
    assert plan.release == quarters("c-a", ny(TUESDAY, 10), 2)
    assert plan.claim == []
    assert_moves(plan, held, quarters("c-a", ny(TUESDAY, 10, 30), 4))


def test_approving_a_reschedule_at_a_staff_time_overlapping_both_holds_writes_no_cell_twice():
    # Given 10:00-10:50 with a pending move to 11:00-11:50; staff choose 10:45-11:35 instead
    pending = reschedule(confirmed(ny(TUESDAY, 10)), ny(TUESDAY, 11))
    held = quarters("c-a", ny(TUESDAY, 10), 8)

    plan = approve(
        CONFIG, pending.appointment, pending.request, now=LATER, note=None, start=ny(TUESDAY, 10, 45)
    )

    assert plan.request.changes == ["start"]
    assert plan.appointment.sequence == 1
    assert plan.release == quarters("c-a", ny(TUESDAY, 10), 3) + quarters("c-a", ny(TUESDAY, 11, 45), 1)
    assert plan.claim == []
    assert_moves(plan, held, quarters("c-a", ny(TUESDAY, 10, 45), 4))


def test_approving_a_reschedule_to_a_staff_time_outside_both_holds_claims_it():
    pending = reschedule(confirmed(ny(TUESDAY, 10)), ny(TUESDAY, 11))
    held = quarters("c-a", ny(TUESDAY, 10), 8)

    plan = approve(
        CONFIG, pending.appointment, pending.request, now=LATER, note=None, start=ny(TUESDAY, 11, 30)
    )

    assert plan.claim == quarters("c-a", ny(TUESDAY, 12), 2)
    assert plan.release == quarters("c-a", ny(TUESDAY, 10), 6)
    assert_moves(plan, held, quarters("c-a", ny(TUESDAY, 11, 30), 4))


def test_approving_a_cancellation_cancels_and_releases_every_cell():
    original = confirmed(ny(TUESDAY, 10), sequence=4)
    pending = request_cancel(CONFIG, original, now=NOW, reason=None)

    plan = approve(CONFIG, pending.appointment, pending.request, now=LATER, note="sorry to see you go")

    assert (plan.appointment.status, plan.appointment.pendingRequestId, plan.appointment.sequence) == (
        "cancelled",
        None,
        5,
    )
    assert (plan.request.status, plan.request.sequence, plan.request.decidedAt) == ("approved", 5, LATER)
    assert not plan.appointment.holds_time
    assert plan.release == quarters("c-a", ny(TUESDAY, 10), 4)
    assert plan.claim == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": ny(TUESDAY, 14)}, "start"),
        ({"clinician_id": "c-b"}, "clinicianId"),
        ({"type_id": "intake"}, "appointmentTypeId"),
    ],
)
def test_a_cancellation_is_approved_as_it_is(change, field):
    pending = request_cancel(CONFIG, confirmed(ny(TUESDAY, 10)), now=NOW, reason=None)
    refusal = refused(
        Invalid, approve, CONFIG, pending.appointment, pending.request, now=LATER, note=None, **change
    )
    assert refusal == ("changes_not_allowed", field)


# --- denial ------------------------------------------------------------------------------------


def test_denying_a_new_request_declines_it_and_releases_all_its_cells():
    pending = new(ny(TUESDAY, 10))

    plan = deny(pending.appointment, pending.request, now=LATER, note="fully booked")

    assert (plan.appointment.status, plan.appointment.pendingRequestId) == ("declined", None)
    assert not plan.appointment.holds_time
    assert (plan.request.status, plan.request.note, plan.request.decidedAt) == (
        "denied",
        "fully booked",
        LATER,
    )
    assert plan.release == pending.claim
    assert plan.claim == []
    assert (plan.appointment_version, plan.request_version) == (1, 1)


def test_denying_a_reschedule_keeps_the_appointment_and_releases_only_the_new_only_cells():
    original = confirmed(ny(TUESDAY, 10), sequence=2)
    pending = reschedule(original, ny(TUESDAY, 10, 30))

    plan = deny(pending.appointment, pending.request, now=LATER, note=None)

    a = plan.appointment
    assert (a.status, a.start, a.end, a.pendingRequestId, a.requestedStart, a.requestedEnd) == (
        "confirmed",
        original.start,
        original.end,
        None,
        None,
        None,
    )
    assert a.sequence == 2  # nothing changed for the calendar
    assert plan.release == quarters("c-a", ny(TUESDAY, 11), 2)
    assert plan.release == pending.claim
    assert plan.claim == []


def test_denying_a_reschedule_to_another_clinician_releases_their_cells():
    pending = reschedule(confirmed(ny(TUESDAY, 10)), ny(TUESDAY, 10), clinician_id="c-b")
    plan = deny(pending.appointment, pending.request, now=LATER, note=None)
    assert plan.release == quarters("c-b", ny(TUESDAY, 10), 4)


def test_denying_a_cancellation_keeps_everything():
    pending = request_cancel(CONFIG, confirmed(ny(TUESDAY, 10)), now=NOW, reason=None)

    plan = deny(pending.appointment, pending.request, now=LATER, note=None)

    assert (plan.appointment.status, plan.appointment.pendingRequestId) == ("confirmed", None)
    assert (plan.claim, plan.release) == ([], [])


def _decided_cases() -> list[tuple[Appointment, Request]]:
    fresh = new(ny(TUESDAY, 10))
    approved = approve(CONFIG, fresh.appointment, fresh.request, now=LATER, note=None)
    moving = reschedule(confirmed(ny(TUESDAY, 10), requests=1), ny(TUESDAY, 14))
    return [
        (approved.appointment, approved.request),  # already approved
        (fresh.appointment, decided(fresh.request, "denied")),  # request says decided
        (moving.appointment, fresh.request),  # another request is the pending one
    ]


@pytest.mark.parametrize("case", range(3), ids=["approved", "denied", "not-the-pending-one"])
@pytest.mark.parametrize("decide", ["approve", "deny"])
def test_a_decided_request_cannot_be_decided_again(case, decide):
    appointment, request = _decided_cases()[case]
    if decide == "approve":
        code = refused(Conflict, approve, CONFIG, appointment, request, now=LATER, note=None)
    else:
        code = refused(Conflict, deny, appointment, request, now=LATER, note=None)
    assert code == ("request_already_decided", None)


# --- request ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rid", "appointment_id"), [("a1-1", "a1"), ("appt-with-dashes-12", "appt-with-dashes")]
)
def test_appointment_id_of_a_request_id(rid, appointment_id):
    assert appointment_id_of(rid) == appointment_id
    assert request_id(appointment_id, int(rid.rsplit("-", 1)[1])) == rid


@pytest.mark.parametrize(
    "rid", ["", "a1", "a1-", "-1", "-", "a1-x", "a1-1a", "a1- 1", "a1-+1", "a1-1.0", "a1--"]
)
def test_malformed_request_ids_are_not_found(rid):
    assert refused(NotFound, appointment_id_of, rid) == ("request_not_found", None)


@pytest.mark.parametrize("rid", ["a1-²", "a1-١"])
def test_request_ids_with_non_ascii_digits_are_not_found(rid):
    assert refused(NotFound, appointment_id_of, rid) == ("request_not_found", None)

"""Calls that race: one slot, one winner; overlapping holds of different lengths; approve against deny.

Each racing call runs on its own handler in its own thread (see support.race). By default every
call reads before any of them writes, the worst case: each saw the slot free or the request pending.
tests/conftest.py serializes moto's writes, as DynamoDB runs each transaction atomically.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from functools import partial
from typing import Any

import pytest

from tests.integration.conftest import CLIENT_A, CLIENT_B, STAFF, Answer, at, call, new_request
from tests.integration.support import (  # noqa: F401 (fixtures)
    World,
    _shared_world_fixture,
    _world_fixture,
    assert_error,
    call_in_container,
    race,
    stored_appointments,
    stored_claims,
)

FIRST_NAMES = [
    "Ada", "Grace", "Hedy", "Katherine", "Dorothy", "Mary", "Annie", "Radia",
    "Frances", "Barbara", "Jean", "Margaret", "Evelyn", "Sophie", "Edith", "Lise",
]  # fmt: skip


def person(i: int) -> dict[str, str]:
    return {"firstName": FIRST_NAMES[i % len(FIRST_NAMES)], "email": f"person{i}@example.org"}


def offered(day: date, client_type: str, clinician: str) -> set[tuple[str, str]]:
    query = {
        "clientType": client_type,
        "from": day.isoformat(),
        "to": day.isoformat(),
        "clinicianId": clinician,
    }
    answer = call("GET", "/availability", query=query)
    assert answer.status == 200, answer.body
    return {(s["appointmentTypeId"], s["start"]) for s in answer.body["slots"]}


def pending_queue() -> list[dict[str, Any]]:
    answer = call("GET", "/staff/requests", who=STAFF)
    assert answer.status == 200
    return list(answer.body["requests"])


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(a.status for a in answers)


@pytest.mark.parametrize("all_read_first", [True, False], ids=["all-read-before-any-write", "free-running"])
def test_sixteen_people_ask_for_the_same_slot_and_one_gets_it(world: World, all_read_first: bool):
    # Given an open intake slot with c-okafor
    start = at(world.day, 10)
    assert ("intake", start) in offered(world.day, "new", "c-okafor")
    bodies = [new_request(start, clinician="c-okafor") | person(i) for i in range(16)]
    appointments_before = len(stored_appointments())

    # When sixteen people ask for it at the same time
    answers = race(
        [partial(call_in_container, "POST", "/requests", body) for body in bodies],
        all_read_before_any_write=all_read_first,
    )

    # Then exactly one gets it and the fifteen others are told the slot is taken
    assert statuses(answers) == Counter({201: 1, 409: 15}), [(a.status, a.body) for a in answers]
    for answer in answers:
        if answer.status == 409:
            assert_error(answer, 409, "slot_unavailable")
    winner = next(i for i, a in enumerate(answers) if a.status == 201)
    request = answers[winner].body["request"]
    # and exactly one appointment is stored, holding the slot's cells for the winner only
    assert len(stored_appointments()) == appointments_before + 1
    claims = [c for c in stored_claims() if c["clinicianId"] == "c-okafor"]
    assert len(claims) == 4
    assert {c["appointmentId"] for c in claims} == {request["appointmentId"]}
    # and staff see the winner's request, with the winner's details
    queued = [r for r in pending_queue() if r["start"] == start and r["clinicianId"] == "c-okafor"]
    assert [r["id"] for r in queued] == [request["id"]]
    assert queued[0]["client"]["email"] == bodies[winner]["email"]
    # and the slot is no longer offered
    assert ("intake", start) not in offered(world.day, "new", "c-okafor")


def test_signed_in_clients_and_strangers_racing_for_one_slot_get_one_hold(world: World):
    # Given c-okafor's 10:00: an intake for new clients, a session for existing ones
    start = at(world.day, 10)
    session = {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": start}
    calls = [
        partial(call_in_container, "POST", "/me/requests", session, who=who) for who in (CLIENT_A, CLIENT_B)
    ]
    calls += [
        partial(call_in_container, "POST", "/requests", new_request(start, clinician="c-okafor") | person(i))
        for i in range(6)
    ]

    # When two clients and six strangers ask for it at once
    answers = race(calls)

    # Then one hold is made, whoever made it
    assert statuses(answers) == Counter({201: 1, 409: 7}), [(a.status, a.body) for a in answers]
    assert all(a.code == "slot_unavailable" for a in answers if a.status == 409)
    assert len([r for r in pending_queue() if r["clinicianId"] == "c-okafor"]) == 1


@pytest.mark.parametrize(
    ("intake_at", "session_at", "both_win"),
    [
        ((10, 0), (10, 30), False),  # the session starts inside the intake
        ((11, 0), (10, 30), False),  # the session runs into the intake
        ((11, 0), (10, 0), True),  # the session ends at 10:50: ten minutes apart, no overlap
    ],
    ids=["session-inside-intake", "session-runs-into-intake", "back-to-back-control"],
)
def test_overlapping_holds_of_different_lengths_cannot_both_be_made(
    world: World, intake_at: tuple[int, int], session_at: tuple[int, int], both_win: bool
):
    # Given slots every 30 minutes, a 60-minute intake and a 50-minute session with c-okafor
    answer = call("PATCH", "/staff/settings", {"scheduling": {"slotIntervalMinutes": 30}}, who=STAFF)
    assert answer.status == 200
    intake_start, session_start = at(world.day, *intake_at), at(world.day, *session_at)
    assert ("intake", intake_start) in offered(world.day, "new", "c-okafor")
    assert ("session", session_start) in offered(world.day, "existing", "c-okafor")
    before = len(stored_appointments())

    # When a new client asks for the intake while client B asks for the session
    answers = race(
        [
            partial(call_in_container, "POST", "/requests", new_request(intake_start, clinician="c-okafor")),
            partial(
                call_in_container,
                "POST",
                "/me/requests",
                {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": session_start},
                who=CLIENT_B,
            ),
        ]
    )

    # Then the two are both held only when they do not overlap; otherwise one wins, one is told
    if both_win:
        assert [a.status for a in answers] == [201, 201], [a.body for a in answers]
        assert len(stored_appointments()) == before + 2
    else:
        assert statuses(answers) == Counter({201: 1, 409: 1}), [a.body for a in answers]
        loser = next(a for a in answers if a.status == 409)
        assert_error(loser, 409, "slot_unavailable")
        assert len(stored_appointments()) == before + 1
        held = [r for r in pending_queue() if r["clinicianId"] == "c-okafor"]
        assert len(held) == 1


@pytest.mark.parametrize("round_", range(2))
def test_approve_racing_deny_decides_once(world: World, round_: int):
    # Given client A's pending request for a session at 14:00 with c-rivera
    approve = partial(call_in_container, "POST", f"/staff/requests/{world.pending_a}/approve", {}, who=STAFF)
    deny = partial(call_in_container, "POST", f"/staff/requests/{world.pending_a}/deny", {}, who=STAFF)

    # When one member of staff approves it while another denies it
    approved, denied = race([approve, deny])

    # Then exactly one decision is made; the other is told it was decided already
    assert sorted([approved.status, denied.status]) == [200, 409], (approved.body, denied.body)
    winner, loser = (approved, denied) if approved.status == 200 else (denied, approved)
    assert_error(loser, 409, "request_already_decided")
    outcome = winner.body["request"]["status"]
    assert outcome == ("approved" if winner is approved else "denied")

    # and what is stored is the winner's decision, everywhere it shows
    decided = call("GET", "/staff/requests", who=STAFF, query={"status": outcome}).body["requests"]
    assert [r["id"] for r in decided if r["id"] == world.pending_a] == [world.pending_a]
    other = "denied" if outcome == "approved" else "approved"
    assert world.pending_a not in [
        r["id"] for r in call("GET", "/staff/requests", who=STAFF, query={"status": other}).body["requests"]
    ]
    assert world.pending_a not in [r["id"] for r in pending_queue()]
    mine = {a["id"]: a for a in call("GET", "/me/appointments", who=CLIENT_A).body["appointments"]}
    appointment = mine[winner.body["request"]["appointmentId"]]
    assert appointment["status"] == ("confirmed" if outcome == "approved" else "declined")
    # and the time is held exactly when the request was approved
    is_offered = ("session", at(world.day, 14)) in offered(world.day, "existing", "c-rivera")
    assert is_offered == (outcome == "denied")


@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_two_staff_making_the_same_decision_decide_once(world: World, decision: str):
    path = f"/staff/requests/{world.pending_a}/{decision}"
    answers = race(
        [partial(call_in_container, "POST", path, {"note": f"by {i}"}, who=STAFF) for i in range(4)]
    )
    assert statuses(answers) == Counter({200: 1, 409: 3})
    assert all(a.code == "request_already_decided" for a in answers if a.status == 409)


def test_two_changes_to_one_appointment_cannot_both_be_pending(world: World):
    # Given client A's confirmed appointment
    base = f"/me/appointments/{world.appointment_a}"
    before = offered(world.day, "existing", "c-rivera")

    # When a reschedule to 15:00, a reschedule to 16:00 and a cancellation race each other
    answers = race(
        [
            partial(
                call_in_container, "POST", f"{base}/reschedule", {"start": at(world.day, 15)}, who=CLIENT_A
            ),
            partial(
                call_in_container, "POST", f"{base}/reschedule", {"start": at(world.day, 16)}, who=CLIENT_A
            ),
            partial(call_in_container, "POST", f"{base}/cancel", {}, who=CLIENT_A),
        ]
    )

    # Then exactly one is pending, the others are told a change is pending already
    assert statuses(answers) == Counter({201: 1, 409: 2}), [a.body for a in answers]
    assert all(a.code == "change_pending" for a in answers if a.status == 409)
    kind = next(a for a in answers if a.status == 201).body["request"]["kind"]
    now = call("GET", "/me/appointments", who=CLIENT_A).body["next"]
    assert now["status"] == f"{kind}_requested"
    # and the losers hold no time: only the winner's new time (if any) left availability
    after = offered(world.day, "existing", "c-rivera")
    gone = before - after
    if kind == "cancel":
        assert gone == set()
    else:
        assert gone == {("session", now["requestedStart"])}


def test_staff_moving_a_request_races_a_stranger_for_the_new_time(world: World):
    # Given client A's pending request at 14:00 and c-rivera's open 15:00
    new_time = at(world.day, 15)
    approve = partial(
        call_in_container,
        "POST",
        f"/staff/requests/{world.pending_a}/approve",
        {"start": new_time},
        who=STAFF,
    )
    stranger = partial(call_in_container, "POST", "/requests", new_request(new_time))

    # When staff approve it moved to 15:00 while a stranger asks for 15:00
    moved, asked = race([approve, stranger])

    # Then only one of them gets 15:00
    assert sorted([moved.status, asked.status]) in ([200, 409], [201, 409]), (moved.body, asked.body)
    loser = moved if moved.status == 409 else asked
    assert_error(loser, 409, "slot_unavailable")
    holders = {c["appointmentId"] for c in stored_claims() if c["clinicianId"] == "c-rivera"}
    winner = moved if moved.status == 200 else asked
    assert winner.body["request"]["appointmentId"] in holders
    if moved.status == 409:
        # and the request is still pending at its own time
        assert world.pending_a in [r["id"] for r in pending_queue()]

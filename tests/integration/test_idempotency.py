"""Idempotency-Key on every POST: the same key and body answer the first answer again and change
nothing; the same key with another body is a 409; replays still work after the state moved on."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from tests.integration.conftest import CLIENT_A, CLIENT_B, STAFF, Answer, at, call, new_request
from tests.integration.support import (  # noqa: F401 (fixtures)
    WRITES,
    Who,
    World,
    _shared_world_fixture,
    _world_fixture,
    assert_error,
    call_in_container,
    dynamodb_calls,
    race,
    stored_appointments,
    table_items,
)

KEY = {"Idempotency-Key": "4f1c2a9e-retry-me"}


def person(first: str, email: str) -> dict[str, str]:
    return {
        "firstName": first,
        "lastName": "Johnson",
        "dateOfBirth": "1978-08-26",
        "email": email,
        "mobilePhone": "+1 757 555 0142",
    }


@dataclass(frozen=True)
class Post:
    path: str  # {a}: client A's confirmed appointment; {p}: client A's pending request
    who: Who
    body: Callable[[World], Any]
    other: Callable[[World], Any]
    status: int

    def send(self, world: World, body: Any, headers: dict[str, str] | None = KEY) -> Answer:
        path = self.path.format(a=world.appointment_a, p=world.pending_a)
        return call("POST", path, body, who=self.who, headers=headers)


POSTS = {
    "requests": Post(
        "/requests",
        None,
        lambda w: new_request(at(w.day, 11), clinician="c-okafor"),
        lambda w: new_request(at(w.day, 12), clinician="c-okafor"),
        201,
    ),
    "me-requests": Post(
        "/me/requests",
        CLIENT_B,
        lambda w: {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(w.day, 11)},
        lambda w: {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(w.day, 12)},
        201,
    ),
    "approve": Post(
        "/staff/requests/{p}/approve", STAFF, lambda w: {"note": "See you"}, lambda w: {"note": "Moved"}, 200
    ),
    "deny": Post(
        "/staff/requests/{p}/deny", STAFF, lambda w: {"note": "Full"}, lambda w: {"note": "Away"}, 200
    ),
    "cancel": Post(
        "/me/appointments/{a}/cancel",
        CLIENT_A,
        lambda w: {"reason": "Moving"},
        lambda w: {"reason": "Ill"},
        201,
    ),
    "reschedule": Post(
        "/me/appointments/{a}/reschedule",
        CLIENT_A,
        lambda w: {"start": at(w.day, 15)},
        lambda w: {"start": at(w.day, 16)},
        201,
    ),
    "staff-clients": Post(
        "/staff/clients",
        STAFF,
        lambda w: person("Katherine", "kj@example.org"),
        lambda w: person("Dorothy", "dv@example.org"),
        201,
    ),
}


@pytest.mark.parametrize("name", list(POSTS))
def test_the_same_key_and_body_answer_the_first_answer_again(world: World, name: str):
    # Given a POST made with an Idempotency-Key
    post = POSTS[name]
    first = post.send(world, post.body(world))
    assert first.status == post.status, first.body
    stored = table_items()

    # When it is sent again with the same key and body (a retry after a lost answer)
    with dynamodb_calls() as calls:
        again = post.send(world, post.body(world))

    # Then the first answer comes back, the same id and all, and nothing is written
    assert (again.status, again.body) == (first.status, first.body)
    assert WRITES.isdisjoint(calls.names), calls.names
    assert table_items() == stored


@pytest.mark.parametrize("name", list(POSTS))
def test_the_same_key_with_another_body_is_a_conflict(world: World, name: str):
    # Given a POST made with an Idempotency-Key
    post = POSTS[name]
    assert post.send(world, post.body(world)).status == post.status
    stored = table_items()

    # When the key is used again with another body
    answer = post.send(world, post.other(world))

    # Then it is refused and nothing changes
    assert_error(answer, 409, "idempotency_key_reused")
    assert table_items() == stored


@pytest.mark.parametrize("name", list(POSTS))
def test_without_a_key_a_repeat_is_a_new_call(world: World, name: str):
    # Given a POST made without a key / When it is sent again / Then it is not a replay: the
    # repeat is made (staff clients) or refused by the state (every other POST)
    post = POSTS[name]
    first = post.send(world, post.body(world), headers=None)
    assert first.status == post.status
    again = post.send(world, post.body(world), headers=None)
    assert again.body != first.body
    if name == "staff-clients":
        assert again.status == 201
    else:
        assert again.status == 409, again.body


def test_the_same_body_written_differently_is_the_same_body(world: World):
    # Given a request made with a key
    body = new_request(at(world.day, 11), clinician="c-okafor")
    first = call("POST", "/requests", body, headers=KEY)
    assert first.status == 201

    # When the retry spells the same JSON with other key order and spacing
    respelled = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = call("POST", "/requests", respelled, headers=KEY)

    # Then it is the same request
    assert (again.status, again.body) == (first.status, first.body)


def _approve(world: World, request_id: str) -> None:
    assert call("POST", f"/staff/requests/{request_id}/approve", {}, who=STAFF).status == 200


def _deny(world: World, request_id: str) -> None:
    assert call("POST", f"/staff/requests/{request_id}/deny", {}, who=STAFF).status == 200


@pytest.mark.parametrize(
    ("name", "decide"),
    [
        ("requests", _approve),
        ("me-requests", _deny),
        ("reschedule", _approve),
        ("cancel", _deny),
        ("cancel", _approve),
    ],
    ids=["request-then-approved", "client-request-then-denied", "reschedule-then-approved",
         "cancel-then-denied", "cancel-then-approved"],
)  # fmt: skip
def test_a_replay_after_the_request_was_decided_answers_the_first_answer(
    world: World, name: str, decide: Callable[[World, str], None]
):
    # Given a request made with a key, which staff then decided
    post = POSTS[name]
    first = post.send(world, post.body(world))
    assert first.status == post.status, first.body
    decide(world, first.body["request"]["id"])
    stored = table_items()

    # When the client's retry arrives after the decision
    again = post.send(world, post.body(world))

    # Then it gets the first answer, and neither a new request nor a change is made
    assert (again.status, again.body) == (first.status, first.body)
    assert table_items() == stored


@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_a_decision_replayed_after_another_decision_answers_the_first_answer(world: World, decision: str):
    # Given staff decided a request with a key, and the request then moved on
    post = POSTS[decision]
    first = post.send(world, post.body(world))
    assert first.status == 200
    other = "deny" if decision == "approve" else "approve"
    late = call("POST", f"/staff/requests/{world.pending_a}/{other}", {}, who=STAFF)
    assert_error(late, 409, "request_already_decided")
    stored = table_items()

    # When the first decision's retry arrives / Then it answers as it did
    again = post.send(world, post.body(world))
    assert (again.status, again.body) == (first.status, first.body)
    assert table_items() == stored


def test_a_key_belongs_to_its_caller(world: World):
    # Given client A's request made with a key
    body = {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(world.day, 11)}
    mine = call("POST", "/me/requests", body, who=CLIENT_A, headers=KEY)
    assert mine.status == 201

    # When client B sends the same key and body / Then B is not answered with A's request
    same = call("POST", "/me/requests", body, who=CLIENT_B, headers=KEY)
    assert_error(same, 409, "slot_unavailable")
    # and B's own request with that key is made, not refused as a reused key
    other = call("POST", "/me/requests", {**body, "start": at(world.day, 12)}, who=CLIENT_B, headers=KEY)
    assert other.status == 201
    assert other.body["request"]["id"] != mine.body["request"]["id"]


def test_a_key_belongs_to_its_route(world: World):
    # Given a key used to approve a request / When the same key is used to deny it
    approve = call("POST", f"/staff/requests/{world.pending_a}/approve", {}, who=STAFF, headers=KEY)
    assert approve.status == 200
    deny = call("POST", f"/staff/requests/{world.pending_a}/deny", {}, who=STAFF, headers=KEY)
    # Then the deny is judged on its own: the request is decided already
    assert_error(deny, 409, "request_already_decided")


def test_concurrent_retries_with_one_key_make_one_request(world: World):
    # Given one request sent six times at once with the same key (an impatient client)
    body = new_request(at(world.day, 11), clinician="c-okafor")
    before = len(stored_appointments())

    answers = race([partial(call_in_container, "POST", "/requests", body, headers=KEY) for _ in range(6)])

    # Then all six get the same answer, and one request is stored
    assert Counter(a.status for a in answers) == Counter({201: 6}), [a.body for a in answers]
    assert len({json.dumps(a.body, sort_keys=True) for a in answers}) == 1
    assert len(stored_appointments()) == before + 1


def test_concurrent_calls_with_one_key_and_different_bodies_make_one_request(world: World):
    # Given one key sent at once with requests for four different slots
    bodies = [new_request(at(world.day, hour), clinician="c-okafor") for hour in (11, 12, 13, 14)]
    before = len(stored_appointments())

    answers = race([partial(call_in_container, "POST", "/requests", body, headers=KEY) for body in bodies])

    # Then one is made and the others are told the key was used for another request
    assert Counter(a.status for a in answers) == Counter({201: 1, 409: 3}), [a.body for a in answers]
    for answer in answers:
        if answer.status == 409:
            assert_error(answer, 409, "idempotency_key_reused")
    assert len(stored_appointments()) == before + 1

"""The public form cannot hold the calendar: one email address or one phone number may have at
most two requests made without signing in awaiting review (409 too_many_pending)."""

from __future__ import annotations

from tests.integration.conftest import CLIENT_A, STAFF, at, call, new_request, next_weekday
from tests.integration.support import item_count, stored_claims


def ask(hour: int, **person: str):
    return call("POST", "/requests", new_request(at(next_weekday(), hour), **person))


def test_a_third_pending_request_from_one_address_is_refused_and_changes_nothing(practice):
    # Given two requests awaiting review from one address
    assert ask(9).status == 201
    assert ask(10, email="ADA@example.com").status == 201  # the same address, written otherwise
    before, claims = item_count(), stored_claims()

    # When a third is made from it (with another phone)
    third = ask(11, mobilePhone="+1 212 555 0142")

    # Then it is refused, and nothing is held or written
    assert (third.status, third.code) == (409, "too_many_pending")
    assert "ada@example.com" not in third.body["error"]["message"].lower()
    assert (item_count(), stored_claims()) == (before, claims)


def test_a_third_pending_request_from_one_phone_number_is_refused(practice):
    # Given two requests awaiting review with one phone number, written two ways
    assert ask(9, email="one@example.org", mobilePhone="+1 617 555 0142").status == 201
    assert ask(10, email="two@example.org", mobilePhone="(617) 555-0142").status == 201

    # When a third uses the number with yet another address
    third = ask(11, email="three@example.org", mobilePhone="617.555.0142")

    # Then it is refused
    assert (third.status, third.code) == (409, "too_many_pending")


def test_a_decision_frees_a_place(practice):
    # Given two requests awaiting review from one address
    first, second = ask(9), ask(10)
    assert ask(11).code == "too_many_pending"

    # When staff deny one and approve the other
    call("POST", f"/staff/requests/{first.body['request']['id']}/deny", {}, who=STAFF)
    assert ask(11).status == 201
    call("POST", f"/staff/requests/{second.body['request']['id']}/approve", {}, who=STAFF)

    # Then places free up as requests are decided
    assert ask(13).status == 201
    assert ask(14).code == "too_many_pending"


def test_requests_made_signed_in_are_not_counted(practice):
    # Given two requests awaiting review from client A's address, made without signing in
    assert ask(9, email=CLIENT_A["email"]).status == 201
    assert ask(10, email=CLIENT_A["email"]).status == 201

    # When client A asks signed in
    signed_in = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(next_weekday(), 11)},
        who=CLIENT_A,
    )

    # Then the practice knows who asks: it is taken
    assert signed_in.status == 201

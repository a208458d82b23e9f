"""(v2) The rules of offered times, pure: how long they are held, and a time that has begun."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from functions.scheduling.errors import Conflict, Invalid
from functions.scheduling.offers import Offer, Wanted, accept, deny_with_offers
from tests.unit.builders import NOW, clinician, ny, practice
from tests.unit.test_lifecycle import new

CONFIG = practice(clinician("c-a", "Alex Adams"), slotIntervalMinutes=15, offerHoldHours=48)
ASKED = ny(NOW.date() + timedelta(days=7), 10)


def offer(*starts: datetime) -> Offer:
    """A request for a week ahead, denied with these times offered (by Alex Adams)."""
    plan = new(ASKED, config=CONFIG)
    denied = deny_with_offers(
        CONFIG,
        plan.appointment,
        plan.request,
        now=NOW,
        note=None,
        wanted=[Wanted(s) for s in starts],
        offer_id="o1",
        sealed_token="sealed",
        new_appointment_id="a2",
    )
    assert denied.offer is not None
    return denied.offer


def test_times_are_held_for_the_hold_hours_when_they_are_further_off():
    later = ny(NOW.date() + timedelta(days=5), 14)
    assert offer(later).expiresAt == NOW + timedelta(hours=48)


def test_the_hold_never_outlasts_the_last_offered_start():
    # Given times tomorrow at 14:00 and 15:00, within the 48-hour hold
    first, last = ny(NOW.date() + timedelta(days=1), 14), ny(NOW.date() + timedelta(days=1), 15)

    # Then the offer ends when the last of them begins
    assert offer(first, last).expiresAt == last


def test_a_time_that_has_begun_cannot_be_accepted_but_a_later_one_can():
    first, last = ny(NOW.date() + timedelta(days=1), 14), ny(NOW.date() + timedelta(days=1), 15)
    made = offer(first, last)

    # When the client chooses 14:00 at 14:00, and again at 14:30
    for now in (first, first + timedelta(minutes=30)):
        with pytest.raises(Invalid) as refused:
            accept(made, first, now=now)
        assert (refused.value.code, refused.value.field) == ("time_passed", "start")

    # Then 15:00 may still be chosen until it begins
    assert accept(made, last, now=last - timedelta(minutes=1)).appointment.start == last
    with pytest.raises(Conflict) as ended:
        accept(made, last, now=last)
    assert ended.value.code == "offer_expired"


def test_a_time_not_offered_is_refused_before_the_state():
    first = ny(NOW.date() + timedelta(days=1), 14)
    made = offer(first)
    with pytest.raises(Invalid) as refused:
        accept(made, first + timedelta(hours=3), now=first + timedelta(hours=1))
    assert refused.value.field == "start"
    assert refused.value.code == "not_offered"

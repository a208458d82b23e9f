"""(v2) The waitlist's pure rules: joining, what a freed interval opens, which entries fit it, and
how the store reads a freed interval off a stream record."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from functions.scheduling.errors import Forbidden, Invalid
from functions.scheduling.slots import Busy
from functions.scheduling.waitlist import (
    Candidate,
    check_join_allowed,
    fits,
    join,
    new_entry_id,
    notice_key,
    offered_in,
    token_hash,
)
from functions.store.waitlist import freed_by
from tests.unit.builders import NOW, client, clinician, ny, practice

MONDAY = date(2026, 3, 9)


def joined(config, **overrides):
    args = {
        "entry_id": "e-1",
        "now": NOW,
        "client_type": "existing",
        "type_id": "session",
        "clinician_id": None,
        "first": NOW.date(),
        "last": NOW.date() + timedelta(days=30),
        "client": client(),
        "client_id": None,
        "signed_in": False,
        "comments": None,
        **overrides,
    }
    return join(config, **args)


def candidate(**overrides) -> Candidate:
    values = {
        "id": "e-1",
        "status": "waiting",
        "appointmentTypeId": "session",
        "clinicianId": None,
        "fromDate": MONDAY,
        "toDate": MONDAY,
        "firstName": "Jo",
        "email": "jo@example.test",
        "createdAt": NOW,
    }
    return Candidate.model_validate({**values, **overrides})


def test_the_gate_refuses_scheduling_off_first_then_the_waitlist_then_anonymous_clients():
    with pytest.raises(Forbidden, match="scheduling_disabled"):
        check_join_allowed(practice(enabled=False, waitlist=False), signed_in=False)
    with pytest.raises(Forbidden, match="waitlist_disabled"):
        check_join_allowed(practice(waitlist=False), signed_in=True)
    with pytest.raises(Forbidden, match="anonymous_requests_disabled"):
        check_join_allowed(practice(waitlist=True, anonymousRequests=False), signed_in=False)
    check_join_allowed(practice(waitlist=True, anonymousRequests=False), signed_in=True)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"first": NOW.date() - timedelta(days=1)}, "from"),
        ({"last": NOW.date() + timedelta(days=61)}, "to"),
        ({"first": NOW.date() + timedelta(days=2), "last": NOW.date() + timedelta(days=1)}, "to"),
        ({"type_id": "intake"}, "appointmentTypeId"),
        ({"clinician_id": "c-none"}, "clinicianId"),
    ],
)
def test_joining_refuses_each_broken_rule_by_its_field(overrides, field):
    with pytest.raises(Invalid) as refused:
        joined(practice(waitlist=True), **overrides)
    assert refused.value.field == field


def test_a_clinician_who_does_not_offer_the_type_is_refused():
    config = practice(clinician("c-a", types=("intake",)), clinician("c-b"), waitlist=True)
    with pytest.raises(Invalid) as refused:
        joined(config, clinician_id="c-a")
    assert refused.value.field == "appointmentTypeId"


def test_sixty_days_after_the_first_day_is_the_last_allowed():
    entry = joined(practice(waitlist=True), last=NOW.date() + timedelta(days=60))
    assert (entry.toDate - entry.fromDate).days == 60


def test_a_freed_hour_opens_the_times_of_every_type_that_fits_it_and_no_other():
    # Given a clinician working 9 to 17 on hourly starts, busy at 11:00 for an hour
    config = practice(waitlist=True)
    busy = [Busy("c-a", ny(MONDAY, 11), ny(MONDAY, 12))]

    # When 10:00 to 10:50 is freed
    opened = offered_in(config, "c-a", ny(MONDAY, 10), ny(MONDAY, 10, 50), NOW, busy)

    # Then the intake and the session at 10:00 are open (and not 9:00 or 11:00)
    assert [(s.type_id, s.start) for s in opened] == [("intake", ny(MONDAY, 10)), ("session", ny(MONDAY, 10))]


def test_nothing_opens_while_the_waitlist_is_off_or_outside_what_availability_offers():
    assert offered_in(practice(waitlist=False), "c-a", ny(MONDAY, 10), ny(MONDAY, 11), NOW, []) == []
    # 7:00 is outside working hours; the past is never offered
    assert offered_in(practice(waitlist=True), "c-a", ny(MONDAY, 7), ny(MONDAY, 8), NOW, []) == []
    past = NOW - timedelta(days=1)
    assert offered_in(practice(waitlist=True), "c-a", past, past + timedelta(hours=1), NOW, []) == []


def test_an_entry_fits_its_type_its_clinician_when_named_and_its_days():
    config = practice(waitlist=True)
    [_, session] = offered_in(config, "c-a", ny(MONDAY, 10), ny(MONDAY, 11), NOW, [])
    assert fits(config, candidate(), session, NOW)
    assert fits(config, candidate(clinicianId="c-a"), session, NOW)
    assert not fits(config, candidate(clinicianId="c-b"), session, NOW)
    assert not fits(config, candidate(appointmentTypeId="intake"), session, NOW)
    assert not fits(
        config,
        candidate(fromDate=MONDAY + timedelta(days=1), toDate=MONDAY + timedelta(days=2)),
        session,
        NOW,
    )
    assert not fits(config, candidate(status="removed"), session, NOW)


def test_a_notice_is_named_by_its_entry_and_time_and_a_token_is_stored_hashed():
    config = practice(waitlist=True)
    [intake, session] = offered_in(config, "c-a", ny(MONDAY, 10), ny(MONDAY, 11), NOW, [])
    assert notice_key("e-1", session) == "waitlist#e-1#20260309T1400Z#c-a"
    assert notice_key("e-1", intake) == notice_key("e-1", session)  # one time, whatever its length
    assert token_hash("abc") != "abc"
    assert len(token_hash("abc")) == 64


def test_entry_ids_sort_in_the_order_they_were_made():
    ids = [new_entry_id() for _ in range(50)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 50


Image = dict[str, dict[str, str]]


def _change(old: dict[str, str] | None, new: dict[str, str] | None) -> dict[str, Image]:
    def image(values: dict[str, str]) -> Image:
        return {k: {"S": v} for k, v in values.items()}

    change: dict[str, Image] = {"Keys": {"pk": {"S": "APPT#a-1"}, "sk": {"S": "APPT"}}}
    if old is not None:
        change["OldImage"] = image(old)
    if new is not None:
        change["NewImage"] = image(new)
    return change


HELD = {"gsi2pk": "BUSY", "gsi2sk": "20260309T1500Z#20260309T1550Z#c-a"}


def test_a_record_frees_the_time_its_old_image_held_and_its_new_one_does_not():
    # Cancelled (the hold gone), removed, moved: freed; unchanged, or never held: not
    cancelled = freed_by(_change(HELD, {"status": "cancelled"}))
    assert cancelled is not None
    assert (cancelled.clinician_id, cancelled.start, cancelled.end, cancelled.now_holds) == (
        "c-a",
        datetime.fromisoformat("2026-03-09T15:00+00:00"),
        datetime.fromisoformat("2026-03-09T15:50+00:00"),
        None,
    )
    assert cancelled.record == ("APPT#a-1", "APPT")
    assert freed_by(_change(HELD, None)) is not None
    moved = freed_by(_change(HELD, {"gsi2pk": "BUSY", "gsi2sk": "20260309T1700Z#20260309T1750Z#c-a"}))
    assert moved is not None
    assert moved.now_holds is not None
    assert moved.now_holds.start == datetime.fromisoformat("2026-03-09T17:00+00:00")
    assert freed_by(_change(HELD, HELD)) is None
    assert freed_by(_change({"status": "requested"}, HELD)) is None

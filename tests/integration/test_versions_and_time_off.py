"""Staff edits that cannot overwrite each other (ETag, If-Match, 412), and time off saved an
entry at a time, so a clinician with years of it is still a small save."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions import aws
from functions.scheduling.config import Clinician, TimeOff
from functions.scheduling.errors import Conflict
from tests.integration.conftest import STAFF, at, call, next_weekday


def clinician(id: str = "c-okafor") -> dict[str, Any]:
    [found] = [c for c in call("GET", "/staff/clinicians", who=STAFF).body["clinicians"] if c["id"] == id]
    return dict(found)


def editable(record: dict[str, Any]) -> dict[str, Any]:
    """A clinician as the staff page sends it back: without its time off (saved on its own)."""
    return {k: v for k, v in record.items() if k not in ("id", "etag", "timeOff")}


def test_settings_saved_on_an_old_version_are_refused_and_change_nothing(practice):
    # Given two staff members who opened the settings, and the first saving a change
    opened = call("GET", "/staff/settings", who=STAFF)
    version = opened.headers["ETag"]
    first = call(
        "PATCH",
        "/staff/settings",
        {"scheduling": {"horizonDays": 90}},
        who=STAFF,
        headers={"If-Match": version},
    )
    assert first.status == 200
    assert first.headers["ETag"] != version

    # When the second saves on the version they opened
    second = call(
        "PATCH",
        "/staff/settings",
        {"scheduling": {"minimumNoticeHours": 48}},
        who=STAFF,
        headers={"If-Match": version},
    )

    # Then it is refused, says to reload, and the first change stands alone
    assert (second.status, second.code) == (412, "changed_meanwhile")
    assert "Reload" in second.body["error"]["message"]
    now = call("GET", "/staff/settings", who=STAFF).body["scheduling"]
    assert (now["horizonDays"], now["minimumNoticeHours"]) == (90, 24)
    # and saving on the current version works
    again = call(
        "PATCH",
        "/staff/settings",
        {"scheduling": {"minimumNoticeHours": 48}},
        who=STAFF,
        headers={"If-Match": first.headers["ETag"]},
    )
    assert again.status == 200


@pytest.mark.parametrize("value", ["abc", '"unterminated', '""', "W/abc", '"a" "b"'])
def test_a_malformed_if_match_is_a_400_and_changes_nothing(practice, value):
    before = call("GET", "/staff/settings", who=STAFF).body

    answer = call(
        "PATCH",
        "/staff/settings",
        {"scheduling": {"horizonDays": 90}},
        who=STAFF,
        headers={"If-Match": value},
    )

    assert (answer.status, answer.code) == (400, "invalid_if_match")
    assert call("GET", "/staff/settings", who=STAFF).body == before


def test_two_staff_editing_one_clinician_cannot_overwrite_each_other(practice):
    # Given two staff members who opened Sam Okafor, and another clinician changed meanwhile
    opened = clinician()
    rivera = clinician("c-rivera")
    assert (
        call(
            "PUT",
            "/staff/clinicians/c-rivera",
            {**editable(rivera), "name": "Dr. Ana Rivera, PhD"},
            who=STAFF,
        ).status
        == 200
    )

    # When the first saves a new name on the version they opened
    first = call(
        "PUT",
        "/staff/clinicians/c-okafor",
        {**editable(opened), "name": "Sam Okafor, LICSW"},
        who=STAFF,
        headers={"If-Match": opened["etag"]},
    )

    # Then it is saved (another clinician's change is not this one's), with its new version
    assert first.status == 200, first.body
    assert first.headers["ETag"] == first.body["clinician"]["etag"] != opened["etag"]

    # And when the second saves other hours on the same old version (header or body)
    stale = {**editable(opened), "hours": {"monday": [{"start": "09:00", "end": "12:00"}]}}
    by_header = call(
        "PUT", "/staff/clinicians/c-okafor", stale, who=STAFF, headers={"If-Match": opened["etag"]}
    )
    by_body = call("PUT", "/staff/clinicians/c-okafor", {**stale, "etag": opened["etag"]}, who=STAFF)

    # Then both are refused, and the first change is what is stored
    assert (by_header.status, by_header.code) == (412, "changed_meanwhile")
    assert (by_body.status, by_body.code) == (412, "changed_meanwhile")
    assert clinician()["name"] == "Sam Okafor, LICSW"


def test_a_type_saved_on_an_old_version_is_refused(practice):
    [intake] = [
        t
        for t in call("GET", "/staff/appointment-types", who=STAFF).body["appointmentTypes"]
        if t["id"] == "intake"
    ]
    body = {"name": "Therapy Intake", "durationMinutes": 90, "clientType": "new"}
    assert (
        call(
            "PUT", "/staff/appointment-types/intake", body, who=STAFF, headers={"If-Match": intake["etag"]}
        ).status
        == 200
    )

    stale = call(
        "PUT",
        "/staff/appointment-types/intake",
        {**body, "durationMinutes": 45},
        who=STAFF,
        headers={"If-Match": intake["etag"]},
    )

    assert (stale.status, stale.code) == (412, "changed_meanwhile")
    [now] = [
        t
        for t in call("GET", "/staff/appointment-types", who=STAFF).body["appointmentTypes"]
        if t["id"] == "intake"
    ]
    assert now["durationMinutes"] == 90


def test_time_off_is_added_and_removed_an_entry_at_a_time(practice):
    # Given a day with Sam Okafor's hours
    day = next_weekday()
    span = {"start": at(day, 10), "end": at(day, 14)}

    # When staff add time off, twice with the same span (a retried call), then remove it twice
    added = call("POST", "/staff/clinicians/c-okafor/time-off", span, who=STAFF)
    again = call("POST", "/staff/clinicians/c-okafor/time-off", span, who=STAFF)

    # Then it is there once, and the portal no longer offers those hours
    assert added.status == again.status == 201
    [entry] = added.body["clinician"]["timeOff"]
    assert again.body["clinician"]["timeOff"] == [entry]
    slots = call(
        "GET",
        "/availability",
        query={
            "clientType": "new",
            "from": day.isoformat(),
            "to": day.isoformat(),
            "clinicianId": "c-okafor",
        },
    ).body["slots"]
    assert not [s for s in slots if span["start"] <= s["start"] < span["end"]]
    removed = call("DELETE", f"/staff/clinicians/c-okafor/time-off/{entry['id']}", who=STAFF)
    removed_again = call("DELETE", f"/staff/clinicians/c-okafor/time-off/{entry['id']}", who=STAFF)
    assert removed.status == removed_again.status == 200
    assert clinician()["timeOff"] == []


def test_a_save_without_time_off_keeps_it_and_drops_what_has_ended(practice):
    # Given a clinician with 300 entries of time off to come, and two that have ended
    now = datetime.now(UTC)
    future = [
        TimeOff(id=f"off-{i}", start=now + timedelta(days=2 + i), end=now + timedelta(days=2 + i, hours=2))
        for i in range(300)
    ]
    past = [
        TimeOff(id=f"old-{i}", start=now - timedelta(days=9 - i), end=now - timedelta(days=8 - i))
        for i in range(2)
    ]

    def with_time_off(config):
        okafor = config.clinicians["c-okafor"].model_copy(update={"timeOff": [*past, *future]})
        return config.model_copy(update={"clinicians": {**config.clinicians, "c-okafor": okafor}})

    aws.store().update_config(with_time_off)
    opened = clinician()

    # When staff save other hours (the body carries no time off: a small save)
    body = {**editable(opened), "hours": {"monday": [{"start": "10:00", "end": "16:00"}]}}
    saved = call("PUT", "/staff/clinicians/c-okafor", body, who=STAFF, headers={"If-Match": opened["etag"]})

    # Then the time off to come is kept, and what has ended is gone
    assert saved.status == 200, saved.body
    assert len(str(body)) < 1000
    assert [t["id"] for t in saved.body["clinician"]["timeOff"]] == [t.id for t in future]


def test_a_configuration_without_room_for_a_change_refuses_it_before_writing(practice):
    # Given a change that would make the configuration larger than DynamoDB keeps in one item
    now = datetime.now(UTC)
    entries = [
        TimeOff(id=f"off-{i}", start=now + timedelta(hours=i + 1), end=now + timedelta(hours=i + 2))
        for i in range(500)
    ]

    def crowded(config):
        clinicians = {
            f"c-{n}": Clinician(id=f"c-{n}", name=f"Clinician {n}", timeOff=entries) for n in range(12)
        }
        return config.model_copy(update={"clinicians": {**config.clinicians, **clinicians}})

    before = call("GET", "/staff/clinicians", who=STAFF).body

    # When it is made
    with pytest.raises(Conflict) as refused:
        aws.store().update_config(crowded)

    # Then it is refused with a reason staff can act on, and nothing changed
    assert refused.value.code == "configuration_full"
    assert call("GET", "/staff/clinicians", who=STAFF).body == before

"""Staff manage the practice: settings, appointment types, clinicians, clients and invitations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from functions import aws
from functions.store import keys
from tests.integration.conftest import (
    CLIENT_A,
    NEW_CLIENT,
    STAFF,
    at,
    call,
    issuer,
    new_request,
    next_weekday,
)


def test_patch_settings_changes_only_the_fields_given(practice):
    answer = call(
        "PATCH",
        "/staff/settings",
        {"practice": {"name": "Harbor Counseling"}, "scheduling": {"minimumNoticeHours": 48}},
        who=STAFF,
    )

    assert answer.status == 200
    assert answer.body["practice"]["name"] == "Harbor Counseling"
    assert answer.body["practice"]["timeZone"] == "America/New_York"
    assert answer.body["scheduling"]["minimumNoticeHours"] == 48
    assert answer.body["scheduling"]["horizonDays"] == 60
    assert call("GET", "/portal").body["practice"]["name"] == "Harbor Counseling"
    assert call("GET", "/staff/settings", who=STAFF).body == answer.body


@pytest.mark.parametrize(
    "name", ["Smith & Jones Counseling, LLC", "St. Mary's Counseling (Main St.)", "Mind 360"]
)
def test_a_practice_name_is_a_business_name_not_a_persons(practice, name):
    answer = call("PATCH", "/staff/settings", {"practice": {"name": name}}, who=STAFF)
    assert answer.status == 200
    assert call("GET", "/portal").body["practice"]["name"] == name


def test_an_empty_practice_name_is_refused(practice):
    answer = call("PATCH", "/staff/settings", {"practice": {"name": "   "}}, who=STAFF)
    assert answer.status == 422
    assert answer.body["error"]["fields"][0]["field"] == "practice.name"
    assert call("GET", "/portal").body["practice"]["name"] == "Demo Counseling"


def test_create_only_never_replaces_a_type_or_a_clinician(practice):
    create = {"If-None-Match": "*"}
    first = {"name": "Couples Session", "durationMinutes": 80, "clientType": "existing"}
    made = call("PUT", "/staff/appointment-types/couples", first, who=STAFF, headers=create)
    assert made.status == 200

    again = {"name": "Couples Intake", "durationMinutes": 90, "clientType": "new"}
    refused = call("PUT", "/staff/appointment-types/couples", again, who=STAFF, headers=create)
    assert (refused.status, refused.body["error"]["code"]) == (409, "already_exists")
    listed = call("GET", "/staff/appointment-types", who=STAFF).body["appointmentTypes"]
    kept = [(t["name"], t["durationMinutes"]) for t in listed if t["id"] == "couples"]
    assert kept == [("Couples Session", 80)]

    def chen() -> list[dict[str, object]]:
        listed = call("GET", "/staff/clinicians", who=STAFF).body["clinicians"]
        return [c for c in listed if c["id"] == "c-chen"]

    before = chen()
    empty = {"name": "Someone Else", "appointmentTypeIds": [], "hours": {}, "timeOff": []}
    refused = call("PUT", "/staff/clinicians/c-chen", empty, who=STAFF, headers=create)
    assert (refused.status, refused.body["error"]["code"]) == (409, "already_exists")
    assert chen() == before
    assert before[0]["hours"]

    assert call("PUT", "/staff/clinicians/c-new", empty, who=STAFF, headers=create).status == 200
    # Without the header a PUT still replaces, as before.
    assert call("PUT", "/staff/appointment-types/couples", again, who=STAFF).status == 200


# Found by `make fuzz` (Schemathesis' negative data): a malformed condition was taken as no condition.
@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param("/staff/appointment-types/intake", "HX", id="type-unquoted-tag"),
        pytest.param("/staff/clinicians/c-chen", "", id="clinician-empty"),
        pytest.param("/staff/clinicians/c-new", '"v1"', id="new-clinician-entity-tag"),
        pytest.param("/staff/appointment-types/couples", "*, *", id="new-type-list"),
        pytest.param("/staff/appointment-types/intake", 'W/"*"', id="type-weak-tag"),
    ],
)
def test_a_malformed_if_none_match_is_refused_and_changes_nothing(practice, path, value):
    # Given the practice's types and clinicians
    before = call("GET", "/staff/settings", who=STAFF).body
    types = call("GET", "/staff/appointment-types", who=STAFF).body
    clinicians = call("GET", "/staff/clinicians", who=STAFF).body
    body = (
        {"name": "Someone Else", "appointmentTypeIds": [], "hours": {}, "timeOff": []}
        if "clinicians" in path
        else {"name": "Couples Intake", "durationMinutes": 90, "clientType": "new"}
    )

    # When staff PUT with an If-None-Match that is neither absent nor `*`
    answer = call("PUT", path, body, who=STAFF, headers={"If-None-Match": value})

    # Then it is a 400 with the contract's error body, and nothing was created or replaced
    assert answer.status == 400
    assert answer.body == {
        "error": {
            "code": "invalid_if_none_match",
            "message": "If-None-Match may only be * (create, never replace); nothing changed.",
        }
    }
    assert call("GET", "/staff/appointment-types", who=STAFF).body == types
    assert call("GET", "/staff/clinicians", who=STAFF).body == clinicians
    assert call("GET", "/staff/settings", who=STAFF).body == before


def test_if_none_match_star_may_have_spaces_around_it(practice):
    body = {"name": "Couples Session", "durationMinutes": 80, "clientType": "existing"}
    made = call("PUT", "/staff/appointment-types/couples", body, who=STAFF, headers={"If-None-Match": " * "})
    assert made.status == 200
    again = call("PUT", "/staff/appointment-types/couples", body, who=STAFF, headers={"If-None-Match": "*"})
    assert (again.status, again.code) == (409, "already_exists")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"practice": {"timeZone": "Mars/Olympus"}}, "practice.timeZone"),
        ({"scheduling": {"minimumNoticeHours": 721}}, "scheduling.minimumNoticeHours"),
        ({"scheduling": {"horizonDays": 0}}, "scheduling.horizonDays"),
        ({"scheduling": {"slotIntervalMinutes": 20}}, "scheduling.slotIntervalMinutes"),
        ({"scheduling": {"colour": "blue"}}, "scheduling.colour"),
        ({"scheduling": {"changeCutoffHours": 721}}, "scheduling.changeCutoffHours"),
        ({"scheduling": {"changeCutoffHours": -1}}, "scheduling.changeCutoffHours"),
        ({"scheduling": {"offerHoldHours": 0}}, "scheduling.offerHoldHours"),
        ({"scheduling": {"offerHoldHours": 169}}, "scheduling.offerHoldHours"),
        ({"scheduling": {"waitlist": "yes"}}, "scheduling.waitlist"),
        ({"reminders": {"hoursBefore": [0]}}, "reminders.hoursBefore"),
        ({"reminders": {"hoursBefore": [169]}}, "reminders.hoursBefore"),
        ({"reminders": {"hoursBefore": [24, 24]}}, "reminders.hoursBefore"),
        ({"reminders": {"hoursBefore": [48, 24, 2]}}, "reminders.hoursBefore"),
        ({"reminders": {"hoursBefore": 24}}, "reminders.hoursBefore"),
        ({"reminders": {"hoursBefore": None}}, "reminders.hoursBefore"),
        ({"practice": {"phone": "12345"}}, "practice.phone"),
        # A valid change beside a bad one is not saved either.
        (
            {"practice": {"phone": "+1 617 555 0123"}, "reminders": {"hoursBefore": [0]}},
            "reminders.hoursBefore",
        ),
    ],
)
def test_bad_settings_change_nothing(practice, patch, field):
    before = call("GET", "/staff/settings", who=STAFF).body

    answer = call("PATCH", "/staff/settings", patch, who=STAFF)

    assert answer.status == 422
    assert field in [f["field"] for f in answer.body["error"]["fields"]]
    assert call("GET", "/staff/settings", who=STAFF).body == before


# ---- (v2) the practice's phone, the late-change window, reminders, offers, waitlist -------------


def test_the_v2_settings_start_at_the_contracts_defaults(practice):
    # Given the demo practice, which never set any of them
    # When staff and the portal read the settings
    settings = call("GET", "/staff/settings", who=STAFF).body
    portal = call("GET", "/portal").body

    # Then each has its default, and there is no phone to show
    for scheduling in (settings["scheduling"], portal["scheduling"]):
        assert (scheduling["changeCutoffHours"], scheduling["offerHoldHours"], scheduling["waitlist"]) == (
            0,
            48,
            False,
        )
    assert settings["reminders"] == {"hoursBefore": [24]}
    assert settings["practice"].get("phone") is None
    assert "phone" not in portal["practice"]


def test_staff_set_the_phone_window_reminders_offers_and_waitlist(practice):
    # Given the demo practice
    # When staff set every v2 field at once, the phone typed as people type it
    answer = call(
        "PATCH",
        "/staff/settings",
        {
            "practice": {"phone": "(617) 555-0123"},
            "scheduling": {"changeCutoffHours": 24, "offerHoldHours": 72, "waitlist": True},
            "reminders": {"hoursBefore": [48, 2]},
        },
        who=STAFF,
    )

    # Then the answer is the whole settings, with the phone as E.164 and nothing else changed
    assert answer.status == 200, answer.body
    assert answer.body["practice"]["phone"] == "+16175550123"
    assert answer.body["practice"]["name"] == "Demo Counseling"
    scheduling = answer.body["scheduling"]
    assert (scheduling["changeCutoffHours"], scheduling["offerHoldHours"], scheduling["waitlist"]) == (
        24,
        72,
        True,
    )
    assert scheduling["minimumNoticeHours"] == 24
    assert answer.body["reminders"] == {"hoursBefore": [48, 2]}
    assert call("GET", "/staff/settings", who=STAFF).body == answer.body
    # and the portal shows the phone and the scheduling fields, but nothing of the reminders
    portal = call("GET", "/portal").body
    assert portal["practice"]["phone"] == "+16175550123"
    assert portal["scheduling"] == scheduling
    assert set(portal) == {"practice", "scheduling", "appointmentTypes"}
    assert "reminders" not in json.dumps(portal)


def test_reminders_are_turned_off_and_the_phone_taken_away(practice):
    # Given a practice with a phone and two reminders
    given = {"practice": {"phone": "+1 617 555 0123"}, "reminders": {"hoursBefore": [24, 1]}}
    assert call("PATCH", "/staff/settings", given, who=STAFF).status == 200

    # When staff turn reminders off and take the phone away
    answer = call(
        "PATCH", "/staff/settings", {"practice": {"phone": None}, "reminders": {"hoursBefore": []}}, who=STAFF
    )

    # Then no reminder is configured and clients are shown no phone
    assert answer.status == 200, answer.body
    assert answer.body["reminders"] == {"hoursBefore": []}
    assert answer.body["practice"].get("phone") is None
    assert "phone" not in call("GET", "/portal").body["practice"]


@pytest.mark.parametrize(
    "patch",
    [
        {"scheduling": {"changeCutoffHours": 0, "offerHoldHours": 1}},
        {"scheduling": {"changeCutoffHours": 720, "offerHoldHours": 168}},
        {"reminders": {"hoursBefore": [1, 168]}},
        {"reminders": {"hoursBefore": [168]}},
        {"practice": {"phone": "+44 20 7946 0958"}},
    ],
    ids=["lowest", "highest", "reminders-1-and-168", "one-reminder", "phone-abroad"],
)
def test_the_ends_of_each_range_are_accepted(practice, patch):
    # Given the demo practice / When staff save a value at the end of its range
    answer = call("PATCH", "/staff/settings", patch, who=STAFF)

    # Then it is saved as given
    assert answer.status == 200, answer.body
    for part, fields in patch.items():
        for name, value in fields.items():
            saved = answer.body[part][name]
            assert saved == (value if name != "phone" else "+442079460958")


def _without_v2_fields() -> None:
    """Store the configuration as the code before contract v2 wrote it."""
    client, table = aws.dynamodb(), aws.settings().table_name
    item: Any = client.get_item(TableName=table, Key=keys.config(), ConsistentRead=True)["Item"]
    for name in ("changeCutoffHours", "offerHoldHours", "waitlist"):
        del item["scheduling"]["M"][name]
    del item["practice"]["M"]["phone"]
    del item["reminders"]
    client.put_item(TableName=table, Item=item)


def test_a_configuration_stored_before_v2_loads_with_the_defaults(practice):
    # Given a configuration stored before the v2 fields existed, with a change of its own
    assert call("PATCH", "/staff/settings", {"scheduling": {"horizonDays": 90}}, who=STAFF).status == 200
    _without_v2_fields()

    # When staff and the portal read it
    settings = call("GET", "/staff/settings", who=STAFF)
    portal = call("GET", "/portal")

    # Then it reads with the contract's defaults beside what it held
    assert settings.status == portal.status == 200
    assert settings.body["scheduling"]["horizonDays"] == 90
    assert settings.body["scheduling"]["changeCutoffHours"] == 0
    assert settings.body["scheduling"]["offerHoldHours"] == 48
    assert settings.body["scheduling"]["waitlist"] is False
    assert settings.body["reminders"] == {"hoursBefore": [24]}
    assert portal.body["scheduling"]["changeCutoffHours"] == 0
    assert "phone" not in portal.body["practice"]
    # and a change saved on the version read stores it in full
    saved = call(
        "PATCH",
        "/staff/settings",
        {"scheduling": {"changeCutoffHours": 12}},
        who=STAFF,
        headers={"If-Match": settings.headers["ETag"]},
    )
    assert saved.status == 200, saved.body
    assert saved.body["scheduling"]["horizonDays"] == 90
    assert saved.body["reminders"] == {"hoursBefore": [24]}


def test_time_zone_change_moves_the_slots(practice):
    day = next_weekday()
    call("PATCH", "/staff/settings", {"practice": {"timeZone": "America/Los_Angeles"}}, who=STAFF)

    slots = call(
        "GET",
        "/availability",
        query={
            "clientType": "new",
            "from": day.isoformat(),
            "to": day.isoformat(),
            "clinicianId": "c-rivera",
        },
    ).body
    assert slots["timeZone"] == "America/Los_Angeles"
    assert slots["slots"][0]["start"] == f"{day.isoformat()}T09:00:00-08:00"


def test_appointment_types_are_created_and_deactivated(practice):
    made = call(
        "PUT",
        "/staff/appointment-types/consult",
        {"name": "Free Consultation", "durationMinutes": 15, "clientType": "new"},
        who=STAFF,
    )
    assert made.status == 200
    assert any(t["id"] == "consult" for t in call("GET", "/portal").body["appointmentTypes"])

    call(
        "PUT",
        "/staff/appointment-types/consult",
        {"name": "Free Consultation", "durationMinutes": 15, "clientType": "new", "active": False},
        who=STAFF,
    )

    assert all(t["id"] != "consult" for t in call("GET", "/portal").body["appointmentTypes"])
    listed = call("GET", "/staff/appointment-types", who=STAFF).body["appointmentTypes"]
    assert {t["id"]: t["active"] for t in listed} == {"consult": False, "intake": True, "session": True}


def test_type_with_bad_duration_is_refused(practice):
    answer = call(
        "PUT",
        "/staff/appointment-types/long",
        {"name": "Long", "durationMinutes": 600, "clientType": "new"},
        who=STAFF,
    )
    assert answer.status == 422
    assert answer.body["error"]["fields"][0]["field"] == "durationMinutes"


def test_clinician_hours_and_time_off_shape_availability(practice):
    day = next_weekday()
    weekday = day.strftime("%A").lower()
    answer = call(
        "PUT",
        "/staff/clinicians/c-new",
        {
            "name": "Jo Park, PhD",
            "appointmentTypeIds": ["intake"],
            "hours": {weekday: [{"start": "09:00", "end": "11:00"}, {"start": "14:00", "end": "16:00"}]},
            "timeOff": [{"start": at(day, 14), "end": at(day, 15)}],
        },
        who=STAFF,
    )
    assert answer.status == 200
    assert answer.body["clinician"]["timeOff"][0]["id"]

    slots = call(
        "GET",
        "/availability",
        query={"clientType": "new", "from": day.isoformat(), "to": day.isoformat(), "clinicianId": "c-new"},
    ).body["slots"]
    assert [s["start"] for s in slots] == [at(day, 9), at(day, 10), at(day, 15)]
    assert call("POST", "/requests", new_request(at(day, 14), clinician="c-new")).code == "slot_not_offered"
    assert call("POST", "/requests", new_request(at(day, 15), clinician="c-new")).status == 201


def test_hidden_clinician_is_not_offered(practice):
    current = next(
        c for c in call("GET", "/staff/clinicians", who=STAFF).body["clinicians"] if c["id"] == "c-rivera"
    )
    current.pop("id")
    current["shownInPortal"] = False
    assert call("PUT", "/staff/clinicians/c-rivera", current, who=STAFF).status == 200

    assert "c-rivera" not in [
        c["id"] for c in call("GET", "/clinicians", query={"clientType": "new"}).body["clinicians"]
    ]
    day = next_weekday()
    assert call("POST", "/requests", new_request(at(day, 9))).code == "unknown_clinician"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "name": "X",
                "hours": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
            },
            "hours",
        ),
        ({"name": "X", "hours": {"monday": [{"start": "09:10", "end": "12:00"}]}}, "hours.monday.0.start"),
        ({"name": "X", "hours": {"funday": []}}, "hours.funday"),
        ({"name": "X", "appointmentTypeIds": ["nope"]}, "appointmentTypeIds"),
        (
            {"name": "X", "timeOff": [{"start": "2030-01-02T10:00:00Z", "end": "2030-01-02T09:00:00Z"}]},
            "timeOff.0",
        ),
    ],
)
def test_bad_clinician_changes_nothing(practice, body, field):
    answer = call("PUT", "/staff/clinicians/c-x", body, who=STAFF)

    assert answer.status == 422
    assert any(f["field"].startswith(field) for f in answer.body["error"]["fields"]), answer.body
    assert "c-x" not in [c["id"] for c in call("GET", "/staff/clinicians", who=STAFF).body["clinicians"]]


@dataclass(frozen=True)
class Pools:
    clients: str
    staff: str
    staff_member: dict[str, str]  # the claims of a staff member's token from the staff pool


@pytest.fixture
def pools(practice, monkeypatch):
    """The clients' and the staff's user pools on moto; staff calls carry the staff pool's issuer."""
    cognito = boto3.client("cognito-idp")
    made = {
        name: cognito.create_user_pool(PoolName=name, UsernameAttributes=["email"])["UserPool"]["Id"]
        for name in ("clients", "staff")
    }
    cognito.create_group(UserPoolId=made["staff"], GroupName="staff")
    monkeypatch.setenv("USER_POOL_ID", made["clients"])
    monkeypatch.setenv("STAFF_USER_POOL_ID", made["staff"])
    aws.reset()
    yield Pools(made["clients"], made["staff"], {**STAFF, "iss": issuer(made["staff"])})
    aws.reset()


def test_invite_creates_the_account_and_links_it(pools):
    made = call("POST", "/staff/clients", NEW_CLIENT, who=pools.staff_member)
    assert made.status == 201
    client_id = made.body["client"]["id"]
    assert made.body["client"]["hasAccount"] is False

    invited = call("POST", f"/staff/clients/{client_id}/invite", who=pools.staff_member)

    assert invited.status == 200
    assert invited.body["client"]["hasAccount"] is True
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=pools.clients, Username=NEW_CLIENT["email"])
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    # The new account is a client: it may request appointments while signed in.
    day = next_weekday()
    signed_in = {"sub": sub, "iss": issuer(pools.clients), "email": NEW_CLIENT["email"]}
    made = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, 9)},
        who=signed_in,
    )
    assert made.status == 201
    assert call("GET", "/me/appointments", who=signed_in).body["appointments"][0]["status"] == "requested"


def test_invite_again_or_after_a_lost_link_completes_once(pools):
    client_id = call("POST", "/staff/clients", NEW_CLIENT, who=pools.staff_member).body["client"]["id"]
    # An earlier attempt created the account but failed before linking it.
    boto3.client("cognito-idp").admin_create_user(UserPoolId=pools.clients, Username=NEW_CLIENT["email"])

    first = call("POST", f"/staff/clients/{client_id}/invite", who=pools.staff_member)
    second = call("POST", f"/staff/clients/{client_id}/invite", who=pools.staff_member)

    assert first.status == second.status == 200
    assert len(boto3.client("cognito-idp").list_users(UserPoolId=pools.clients)["Users"]) == 1


def test_an_invitation_with_an_idempotency_key_links_once_and_replays(pools):
    # Given a client without an account, and the staff page's Idempotency-Key on the invitation
    client_id = call("POST", "/staff/clients", NEW_CLIENT, who=pools.staff_member).body["client"]["id"]
    key = {"Idempotency-Key": "invite-kj-1"}

    # When staff invite (the account link and the kept answer are two writes of one call), twice
    first = call("POST", f"/staff/clients/{client_id}/invite", who=pools.staff_member, headers=key)
    again = call("POST", f"/staff/clients/{client_id}/invite", who=pools.staff_member, headers=key)

    # Then the invitation succeeds once and the repeat gets the same answer
    assert first.status == 200, first.body
    assert first.body["client"]["hasAccount"] is True
    assert (again.status, again.body) == (first.status, first.body)
    assert len(boto3.client("cognito-idp").list_users(UserPoolId=pools.clients)["Users"]) == 1


def test_a_staff_account_is_never_made_a_clients(pools):
    # Given a staff account in the staff user pool, and a client added with its address
    cognito = boto3.client("cognito-idp")
    cognito.admin_create_user(UserPoolId=pools.staff, Username=NEW_CLIENT["email"])
    cognito.admin_add_user_to_group(UserPoolId=pools.staff, Username=NEW_CLIENT["email"], GroupName="staff")
    client_id = call("POST", "/staff/clients", NEW_CLIENT, who=pools.staff_member).body["client"]["id"]

    # When staff invite the client
    answer = call("POST", f"/staff/clients/{client_id}/invite", who=pools.staff_member)

    # Then it is refused, and no client account is made with the staff member's address
    assert (answer.status, answer.body["error"]["code"]) == (409, "account_is_staff")
    listed = call("GET", "/staff/clients", who=pools.staff_member).body["clients"]
    assert [c["hasAccount"] for c in listed if c["id"] == client_id] == [False]
    assert cognito.list_users(UserPoolId=pools.clients)["Users"] == []


def test_clients_are_listed_for_staff_only(practice):
    call("POST", "/staff/clients", NEW_CLIENT, who=STAFF)

    listed = call("GET", "/staff/clients", who=STAFF).body["clients"]

    assert {c["id"] for c in listed} >= {"client-a", "client-b"}
    assert any(c["lastName"] == "Lovelace" for c in listed)
    assert call("GET", "/staff/clients", who=CLIENT_A).status == 403


def test_invite_unknown_client_is_404(pools):
    assert call("POST", "/staff/clients/nobody/invite", who=pools.staff_member).code == "client_not_found"

"""Personal data never reaches the logs: every flow is run and everything logged is searched."""

from __future__ import annotations

import logging

from tests.integration.conftest import CLIENT_A, NEW_CLIENT, STAFF, at, call, new_request, next_weekday

PERSONAL = [
    NEW_CLIENT["firstName"],
    NEW_CLIENT["lastName"],
    NEW_CLIENT["dateOfBirth"],
    NEW_CLIENT["email"],
    "617",
    "Hopper",
    "grief after my father",
]


def test_no_personal_data_in_logs(practice, caplog, capsys):
    # DEBUG of botocore shows request bodies by design; deployed functions log at INFO.
    caplog.set_level(logging.INFO)
    day = next_weekday()

    made = call("POST", "/requests", new_request(at(day, 9), comments="grief after my father"))
    call("POST", "/requests", new_request(at(day, 9), email="not-an-email"))
    call("GET", "/staff/requests", who=STAFF)
    call(
        "POST",
        f"/staff/requests/{made.body['request']['id']}/approve",
        {"note": "grief after my father"},
        who=STAFF,
    )
    mine = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, 13)},
        who=CLIENT_A,
    )
    call("POST", f"/staff/requests/{mine.body['request']['id']}/deny", who=STAFF)
    call("POST", "/staff/clients", NEW_CLIENT, who=STAFF)

    logged = caplog.text + capsys.readouterr().out + capsys.readouterr().err
    assert "answered" in logged
    for value in PERSONAL:
        assert value not in logged, f"personal data in logs: {value!r}"

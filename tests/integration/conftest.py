"""Handlers on moto: the demo practice, two linked clients, staff, and a way to call any route."""

from __future__ import annotations

import importlib
import itertools
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions import aws, demo
from functions.api.gateway import LocalContext, match, proxy_event
from functions.api.routes import FUNCTIONS
from functions.scheduling.lifecycle import ClientRecord

NY = ZoneInfo("America/New_York")


def issuer(pool: str) -> str:
    """The `iss` claim of a user pool's tokens."""
    return f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"


# The claims API Gateway's authorizer delivers: clients' from the clients' user pool, staff's from
# the staff's (tests/conftest.py names both). The email claims are there as in real tokens; the
# handlers never read them.
CLIENTS = issuer(os.environ["USER_POOL_ID"])
ANONYMOUS: None = None
CLIENT_A = {"sub": "sub-client-a", "iss": CLIENTS, "email": "ada@example.com"}
CLIENT_B = {"sub": "sub-client-b", "iss": CLIENTS, "email": "grace@example.com"}
UNLINKED = {"sub": "sub-unlinked", "iss": CLIENTS, "email": "nobody@example.com"}
STAFF = {
    "sub": "sub-staff",
    "iss": issuer(os.environ["STAFF_USER_POOL_ID"]),
    "email": "staff@demo.test",
    "cognito:groups": "staff",
}

NEW_CLIENT = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "dateOfBirth": "1990-04-01",
    "email": "ada@example.com",
    "mobilePhone": "+1 617 555 0100",
}


@dataclass
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def code(self) -> str | None:
        return self.body.get("error", {}).get("code") if isinstance(self.body, dict) else None


def call(
    method: str,
    path: str,
    body: Any = None,
    *,
    who: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    matched = match(method, path)
    assert matched is not None, f"no route for {method} {path}"
    module = importlib.import_module(FUNCTIONS[matched[0].function])
    event = proxy_event(method, path, body=body, query=query, headers=headers, claims=who)
    result = module.handler(event, LocalContext(matched[0].function))
    text = result.get("body")
    headers = {k: ", ".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
    headers.update(result.get("headers") or {})
    return Answer(result["statusCode"], json.loads(text) if text else None, headers)


def next_weekday(weekday: int = 1, weeks_ahead: int = 1) -> date:
    """A date of the given weekday (Monday is 0) at least a week away, clear of the notice."""
    today = datetime.now(NY).date()
    days = (weekday - today.weekday()) % 7 + 7 * weeks_ahead
    return today + timedelta(days=days)


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY).isoformat()


_phones = itertools.count()


def new_request(start: str, clinician: str = "c-rivera", **overrides: Any) -> dict[str, Any]:
    """A request made without signing in; another email address is another person, with a
    phone number of their own (one number may have only two requests awaiting review)."""
    if "email" in overrides and "mobilePhone" not in overrides:
        overrides["mobilePhone"] = f"+1 617 555 01{1 + next(_phones) % 99:02d}"  # not NEW_CLIENT's 0100
    return {
        "clientType": "new",
        "clinicianId": clinician,
        "appointmentTypeId": "intake",
        "start": start,
        **NEW_CLIENT,
        **overrides,
    }


def add_client(client_id: str, sub: str | None, email: str, first: str = "Grace") -> ClientRecord:
    store = aws.store()
    record = ClientRecord(
        id=client_id,
        firstName=first,
        lastName="Hopper",
        dateOfBirth=date(1985, 12, 9),
        email=email,
        mobilePhone="+16175550101",
        createdAt=datetime.now(UTC),
    )
    store.create_client(record)
    if sub:
        record = store.link_user(record, sub)
    return record


@pytest.fixture
def practice(table: str) -> str:
    """The contract's demo practice with client A and client B linked to their accounts."""
    aws.store().update_config(lambda _: demo.config())
    add_client("client-a", CLIENT_A["sub"], CLIENT_A["email"], "Ada")
    add_client("client-b", CLIENT_B["sub"], CLIENT_B["email"], "Grace")
    return table


@pytest.fixture
def stream(practice: str) -> Iterator[Any]:
    """The table's stream, as the notify function's event source mapping reads it, from after
    what the practice fixture wrote; SES ready to send from the practice's sender."""
    import boto3

    from functions.local.stream import StreamReader
    from tests.integration.mail import SENDER

    os.environ["SENDER_EMAIL"] = SENDER
    os.environ["PORTAL_URL"] = "https://portal.demo.test"
    aws.reset()
    boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
    reader = StreamReader.of_table(aws.dynamodb(), boto3.client("dynamodbstreams"), aws.settings().table_name)
    reader.read()
    reader.discard()
    yield reader
    for name in ("SENDER_EMAIL", "PORTAL_URL"):
        os.environ.pop(name)
    aws.reset()


def confirmed_appointment(who: Mapping[str, Any], day: date, hour: int = 10) -> str:
    """A signed-in client's request for a session, approved by staff: the appointment id."""
    made = call(
        "POST",
        "/me/requests",
        {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": at(day, hour)},
        who=who,
    )
    assert made.status == 201, made.body
    approved = call("POST", f"/staff/requests/{made.body['request']['id']}/approve", {}, who=STAFF)
    assert approved.status == 200, approved.body
    return str(made.body["request"]["appointmentId"])

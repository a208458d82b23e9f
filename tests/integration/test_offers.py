"""(v2) Offering other times instead of a plain denial: held in the denial's transaction, emailed
with a secret link, accepted at once (the others freed), expired by the scheduled job."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions import aws
from functions.api import http
from functions.api.gateway import LocalContext
from functions.jobs import offers as offer_job
from functions.jobs.outcomes import Incomplete
from tests.integration.conftest import NY, STAFF, at, call, new_request, next_weekday
from tests.integration.mail import lose_answers, pump, to
from tests.integration.support import assert_error, race, stored_claims, table_items

CLIENT = "olive@example.org"


def requested(day, hour: int = 10, email: str = CLIENT) -> str:
    answer = call("POST", "/requests", new_request(at(day, hour), email=email))
    assert answer.status == 201, answer.body
    return str(answer.body["request"]["id"])


def deny(request_id: str, *starts: str, **extra: Any):
    offers = [{"start": s} for s in starts]
    return call("POST", f"/staff/requests/{request_id}/deny", {"offers": offers, **extra}, who=STAFF)


def open_times(day, clinician: str = "c-rivera") -> list[str]:
    query = {"clientType": "new", "clinicianId": clinician, "from": day.isoformat(), "to": day.isoformat()}
    answer = call("GET", "/availability", query=query)
    assert answer.status == 200, answer.body
    return [s["start"] for s in answer.body["slots"]]


def token_in(email: dict[str, Any]) -> str:
    found = re.findall(r"#offer/([A-Za-z0-9_-]+)", email["text"])
    assert found, email["text"]
    return str(found[0])


def offered(stream, request_id: str, *starts: str) -> str:
    """Deny with offers, deliver the stream: the token from the client's email."""
    answer = deny(request_id, *starts)
    assert answer.status == 200, answer.body
    pump(stream)
    [email] = [m for m in to(CLIENT) if m["subject"].startswith("Other appointment times")]
    return token_in(email)


# ---- the denial -----------------------------------------------------------------------------------


def test_denying_with_offers_holds_the_times_and_emails_a_link(stream):
    # Given a request for 10:00
    day = next_weekday(1)
    request_id = requested(day)
    before = open_times(day)
    assert at(day, 14) in before

    # When staff deny it offering 14:00 and 15:00
    answer = deny(request_id, at(day, 14), at(day, 15), note="Mornings are full.")

    # Then the request is denied and the offered times are no longer open to anyone
    assert answer.status == 200, answer.body
    assert answer.body["request"]["status"] == "denied"
    after = open_times(day)
    assert at(day, 14) not in after
    assert at(day, 15) not in after
    # but 10:00, the time denied, is free again
    assert at(day, 10) in after

    # And the client gets one email with the times and a link to the offer
    pump(stream)
    [email] = to(CLIENT)
    assert email["subject"] == "Other appointment times for you - Demo Counseling"
    assert "Mornings are full." in email["text"]
    token = token_in(email)
    assert f"https://portal.demo.test/#offer/{token}" in email["text"]
    assert len(token) >= 22  # at least 128 bits, base64url
    for private in ("1990", "617", "0100"):
        assert private not in email["text"]


def test_staff_see_the_denial_and_that_the_times_were_emailed(stream):
    request_id = requested(next_weekday(1))
    offered(stream, request_id, at(next_weekday(1), 14))
    denied = call("GET", "/staff/requests", who=STAFF, query={"status": "denied"})
    assert denied.status == 200, denied.body
    [shown] = [r for r in denied.body["requests"] if r["id"] == request_id]
    assert shown["notification"]["status"] == "sent"
    assert shown["notification"]["notice"] == "offered"


def test_the_table_holds_only_the_tokens_hash(stream):
    request_id = requested(next_weekday(2))
    token = offered(stream, request_id, at(next_weekday(2), 14))
    everything = str(table_items())
    assert token not in everything
    import hashlib

    assert hashlib.sha256(token.encode()).hexdigest() in everything


def test_an_offered_time_already_taken_changes_nothing(stream):
    day = next_weekday(3)
    request_id = requested(day)
    other = requested(day, 14, email="someone.else@example.org")
    assert other
    items_before = table_items()

    answer = deny(request_id, at(day, 15), at(day, 14))

    assert_error(answer, 409, "slot_unavailable")
    assert table_items() == items_before
    # and the request still awaits review
    pending = call("GET", "/staff/requests", who=STAFF).body["requests"]
    assert request_id in [r["id"] for r in pending]


@pytest.mark.parametrize(
    ("offers", "field"),
    [
        ([], "offers"),
        ([{"start": "x"}] * 4, "offers"),
        ([{"start": "2020-01-06T10:00:00-05:00"}], "offers.0.start"),
        ([{"start": "T10:05"}], "offers.0.start"),
        ([{"start": "T14"}, {"start": "T14"}], "offers.1.start"),
        ([{"start": "T14", "clinicianId": "nobody"}], "offers.0.clinicianId"),
    ],
)
def test_offers_staff_may_not_make_are_refused_and_change_nothing(practice, offers, field):
    day = next_weekday(4)
    request_id = requested(day)
    for offer in offers:
        if offer["start"].startswith("T"):
            hour, _, minute = offer["start"][1:].partition(":")
            offer["start"] = at(day, int(hour), int(minute or 0))
    items_before = table_items()
    answer = call("POST", f"/staff/requests/{request_id}/deny", {"offers": offers}, who=STAFF)
    assert answer.status == 422, answer.body
    assert field in [f["field"] for f in answer.body["error"].get("fields", [])] or field in str(answer.body)
    assert table_items() == items_before


def test_a_denial_without_offers_is_as_in_v1(stream):
    request_id = requested(next_weekday(1, weeks_ahead=2))
    answer = call("POST", f"/staff/requests/{request_id}/deny", {}, who=STAFF)
    assert answer.status == 200
    pump(stream)
    assert to(CLIENT) == []
    assert not [i for i in table_items() if i["pk"].startswith("OFFER#")]


# ---- the offer's page and accepting ----------------------------------------------------------------


def test_the_offer_shows_its_times_without_personal_data(stream):
    day = next_weekday(2, weeks_ahead=2)
    token = offered(stream, requested(day), at(day, 14), at(day, 15))

    answer = call("GET", f"/offers/{token}")

    assert answer.status == 200, answer.body
    offer = answer.body["offer"]
    assert offer["status"] == "open"
    assert offer["practice"] == {"name": "Demo Counseling"}
    assert [t["start"] for t in offer["times"]] == [at(day, 14), at(day, 15)]
    assert {t["clinicianName"] for t in offer["times"]} == {"Dr. Ana Rivera"}
    for private in ("Ada", "Lovelace", CLIENT, "1990", "617"):
        assert private not in str(answer.body)
    assert_error(call("GET", "/offers/not-a-real-token-at-all-00000"), 404, "offer_not_found")


def test_accepting_confirms_at_once_frees_the_other_times_and_emails_the_invite(stream):
    day = next_weekday(3, weeks_ahead=2)
    token = offered(stream, requested(day), at(day, 14), at(day, 15))

    answer = call("POST", f"/offers/{token}/accept", {"start": at(day, 15)})

    assert answer.status == 201, answer.body
    appointment = answer.body["appointment"]
    assert (appointment["status"], appointment["start"]) == ("confirmed", at(day, 15))
    times = open_times(day)
    assert at(day, 14) in times
    assert at(day, 15) not in times
    # the held cells now belong to the appointment, the others are gone
    owners = {c["appointmentId"] for c in stored_claims()}
    assert appointment["id"] in owners
    # the offer now says accepted
    assert call("GET", f"/offers/{token}").body["offer"]["status"] == "accepted"
    # and the client gets a confirmation with an invite
    pump(stream)
    [confirmation] = [m for m in to(CLIENT) if m["subject"].startswith("Your appointment is confirmed")]
    assert confirmation["method"] == "REQUEST"


def test_a_second_accept_and_a_time_not_offered_are_refused(stream):
    day = next_weekday(4, weeks_ahead=2)
    token = offered(stream, requested(day), at(day, 14), at(day, 15))
    assert_error(call("POST", f"/offers/{token}/accept", {"start": at(day, 16)}), 422, field="start")
    assert call("POST", f"/offers/{token}/accept", {"start": at(day, 14)}).status == 201
    assert_error(call("POST", f"/offers/{token}/accept", {"start": at(day, 14)}), 409, "offer_accepted")
    assert_error(call("POST", f"/offers/{token}/accept", {"start": at(day, 15)}), 409, "offer_accepted")
    assert_error(call("POST", "/offers/no-such-offer-token-000000/accept", {"start": at(day, 14)}), 404)


def test_two_accepts_at_once_make_one_appointment(stream):
    day = next_weekday(1, weeks_ahead=3)
    token = offered(stream, requested(day), at(day, 14), at(day, 15))

    answers = race(
        [
            lambda: call("POST", f"/offers/{token}/accept", {"start": at(day, 14)}),
            lambda: call("POST", f"/offers/{token}/accept", {"start": at(day, 15)}),
        ]
    )

    assert sorted(a.status for a in answers) == [201, 409], [a.body for a in answers]
    appointments = [i for i in table_items() if i["sk"] == "APPT" and i.get("status") == "confirmed"]
    assert len(appointments) == 1


def test_a_client_request_racing_an_offered_time_finds_it_held(stream):
    day = next_weekday(2, weeks_ahead=3)
    request_id = requested(day)
    answers = race(
        [
            lambda: deny(request_id, at(day, 14)),
            lambda: call("POST", "/requests", new_request(at(day, 14), email="racer@example.org")),
        ]
    )
    statuses = sorted(a.status for a in answers)
    # Either the denial held 14:00 first (the request is refused) or the request took it first
    # (the denial with that offer is refused and the request stays pending): never both.
    assert statuses in ([200, 409], [201, 409]), [a.body for a in answers]
    holders = {c["appointmentId"] for c in stored_claims() if c["sk"] == "CLAIM"}
    assert holders


def test_a_time_that_has_begun_is_no_longer_shown_or_accepted(stream, monkeypatch):
    # Given times offered for tomorrow at 14:00 and 15:00 (within the 48-hour hold)
    day = datetime.now(NY).date() + timedelta(days=1)
    token = offered(stream, requested(next_weekday(1)), at(day, 14), at(day, 15))
    offer = call("GET", f"/offers/{token}").body["offer"]
    # the hold ends when the last time begins
    assert offer["expiresAt"] == at(day, 15)

    # When the client opens the link at 14:30
    class HalfPastTwo(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromisoformat(at(day, 14, 30)).astimezone(tz)

    monkeypatch.setattr(http, "datetime", HalfPastTwo)
    shown = call("GET", f"/offers/{token}").body["offer"]

    # Then only 15:00 is shown; 14:00 is refused, 15:00 is still confirmed at once
    assert shown["status"] == "open"
    assert [t["start"] for t in shown["times"]] == [at(day, 15)]
    assert_error(
        call("POST", f"/offers/{token}/accept", {"start": at(day, 14)}), 422, "time_passed", field="start"
    )
    assert call("POST", f"/offers/{token}/accept", {"start": at(day, 15)}).status == 201


# ---- expiry ---------------------------------------------------------------------------------------


def test_an_offer_nobody_accepts_expires_and_its_times_are_freed(stream):
    day = next_weekday(3, weeks_ahead=3)
    token = offered(stream, requested(day), at(day, 14), at(day, 15))
    offer = call("GET", f"/offers/{token}").body["offer"]
    ends = datetime.fromisoformat(offer["expiresAt"])

    # A run before the end changes nothing; one after it frees both times
    assert offer_job.run(aws.store(), ends - timedelta(minutes=1)) == {}
    assert offer_job.run(aws.store(), ends + timedelta(minutes=1)) == {"expired": 1}
    assert offer_job.run(aws.store(), ends + timedelta(minutes=6)) == {}
    times = open_times(day)
    assert at(day, 14) in times
    assert at(day, 15) in times
    assert call("GET", f"/offers/{token}").body["offer"]["status"] == "expired"
    assert_error(call("POST", f"/offers/{token}/accept", {"start": at(day, 14)}), 409, "offer_expired")


def test_an_offer_the_job_cannot_expire_now_does_not_stop_the_others(stream, monkeypatch):
    # Given two offers whose holds have ended, and DynamoDB refusing the first expiry written
    day = next_weekday(0, weeks_ahead=3)
    tokens = []
    for hour, email in ((9, "first@example.org"), (10, "second@example.org")):
        assert deny(requested(day, hour, email=email), at(day, hour + 5)).status == 200
        pump(stream)
        [sent] = [m for m in to(email) if m["subject"].startswith("Other appointment times")]
        tokens.append(token_in(sent))
    ends = max(datetime.fromisoformat(call("GET", f"/offers/{t}").body["offer"]["expiresAt"]) for t in tokens)
    store = aws.store()
    real = store.expire_offer

    def throttled(times: int):
        left = [times]

        def expire_offer(*args, **kwargs):
            if left[0] > 0:
                left[0] -= 1
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "-"}}, "TransactWriteItems"
                )
            return real(*args, **kwargs)

        monkeypatch.setattr(store, "expire_offer", expire_offer)

    def stored() -> list[str]:
        return sorted(i["status"] for i in table_items() if i["sk"] == "OFFER")

    # When a run finds the first expiry refused
    throttled(1)
    assert offer_job.run(store, ends + timedelta(minutes=1)) == {"error": 1, "expired": 1}

    # Then the other offer was expired, and the next run expires the one left
    assert stored() == ["expired", "open"]
    assert offer_job.run(store, ends + timedelta(minutes=6)) == {"expired": 1}
    assert stored() == ["expired", "expired"]


def test_the_scheduled_expiry_fails_when_it_left_an_offer_for_the_next_run(stream, monkeypatch):
    # Given an offer whose hold has ended, and DynamoDB refusing its expiry
    day = next_weekday(1, weeks_ahead=5)
    token = offered(stream, requested(day), at(day, 14))
    ends = datetime.fromisoformat(call("GET", f"/offers/{token}").body["offer"]["expiresAt"])

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return (ends + timedelta(minutes=1)).astimezone(tz)

    monkeypatch.setattr(offer_job, "datetime", Later)

    def refused(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "-"}}, "TransactWriteItems")

    monkeypatch.setattr(aws.store(), "expire_offer", refused)

    # When the scheduled function runs, it fails (the error alarm sees it; EventBridge retries)
    with pytest.raises(Incomplete):
        offer_job.handler({}, LocalContext("expiry"))


def test_an_accept_racing_the_expiry_one_wins(stream, monkeypatch):
    day = next_weekday(4, weeks_ahead=3)
    token = offered(stream, requested(day), at(day, 14))
    offer = call("GET", f"/offers/{token}").body["offer"]
    ends = datetime.fromisoformat(offer["expiresAt"])
    # The client accepts (inside the hold) while the job runs as if the hold had just ended
    results: list[Any] = []

    def accept() -> Any:
        answer = call("POST", f"/offers/{token}/accept", {"start": at(day, 14)})
        results.append(answer)
        return answer

    def expire() -> Any:
        results.append(offer_job.run(aws.store(), ends + timedelta(seconds=1)))
        return call("GET", f"/offers/{token}")

    race([accept, expire])
    state = call("GET", f"/offers/{token}").body["offer"]["status"]
    accepted = [r for r in results if hasattr(r, "status") and r.status == 201]
    if state == "accepted":
        assert len(accepted) == 1
    else:
        assert state == "expired"
        assert not accepted
    # Either way the time is held once at most
    confirmed = [i for i in table_items() if i["sk"] == "APPT" and i.get("status") == "confirmed"]
    assert len(confirmed) == (1 if state == "accepted" else 0)


# ---- lost answers --------------------------------------------------------------------------------


def test_a_denial_with_offers_whose_answer_was_lost_is_done_once(stream):
    day = next_weekday(1, weeks_ahead=4)
    request_id = requested(day)
    lose_answers(aws.dynamodb(), "TransactWriteItems")
    answer = deny(request_id, at(day, 14))
    assert answer.status == 200, answer.body
    assert len([i for i in table_items() if i["pk"].startswith("OFFER#") and i["sk"] == "OFFER"]) == 1
    pump(stream)
    assert len(to(CLIENT)) == 1


def test_an_accept_whose_answer_was_lost_is_done_once(stream):
    day = next_weekday(2, weeks_ahead=4)
    token = offered(stream, requested(day), at(day, 14))
    lose_answers(aws.dynamodb(), "TransactWriteItems")
    answer = call("POST", f"/offers/{token}/accept", {"start": at(day, 14)})
    assert answer.status == 201, answer.body
    confirmed = [i for i in table_items() if i["sk"] == "APPT" and i.get("status") == "confirmed"]
    assert len(confirmed) == 1

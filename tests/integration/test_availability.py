"""GET /availability through the handler: the answer the reference rules give, byte for byte,
across a clock change; and a change made by staff applies to the very next call, whichever
execution environment made it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from functions import aws
from functions.api import present
from functions.api.fields import day_span
from functions.api.gateway import LocalContext, proxy_event
from functions.api.models import AvailabilityOut, SlotOut
from functions.request import availability
from functions.scheduling.config import Interval
from functions.scheduling.slots import open_slots
from functions.store import Store
from tests.integration.conftest import STAFF, at, call, new_request, next_weekday

# The range of days around the spring-forward change of 2027 in New York (14 March).
FIRST, LAST = date(2027, 3, 1), date(2027, 3, 31)


def _raw_availability(query: dict[str, str]) -> str:
    event = proxy_event("GET", "/availability", query=query)
    result = availability.handler(event, LocalContext("availability"))
    assert result["statusCode"] == 200
    return str(result["body"])


def _reference(query: dict[str, str]) -> str:
    """The answer by the reference rules (slots.open_slots, one model per slot)."""
    store = aws.store()
    config = store.config()
    first, last = day_span(FIRST, LAST, config.zone)
    busy = store.busy(first, last)
    slots = open_slots(
        config,
        "new",
        FIRST,
        LAST,
        datetime.now(UTC),
        busy,
        query.get("clinicianId"),
        query.get("appointmentTypeId"),
    )
    return AvailabilityOut(
        timeZone=config.practice.timeZone,
        slots=[
            SlotOut(
                clinicianId=s.clinician_id,
                clinicianName=config.clinician_name(s.clinician_id),
                appointmentTypeId=s.type_id,
                start=present.instant(config, s.start),
                end=present.instant(config, s.end),
            )
            for s in slots
        ],
    ).model_dump_json(exclude_unset=True)


def test_availability_answers_what_the_reference_rules_answer_across_a_clock_change(practice):
    # Given the demo practice booking two years ahead, with requests holding time and time off
    # in the month of the spring-forward change
    assert call("PATCH", "/staff/settings", {"scheduling": {"horizonDays": 730}}, who=STAFF).status == 200
    for n, (day, hour) in enumerate(
        [(date(2027, 3, 12), 10), (date(2027, 3, 15), 9), (date(2027, 3, 16), 13)]
    ):
        made = call("POST", "/requests", new_request(at(day, hour), email=f"client.{n}@example.com"))
        assert made.status == 201, made.body
    rivera = call("GET", "/staff/clinicians", who=STAFF).body["clinicians"]
    rivera = next(c for c in rivera if c["id"] == "c-rivera")
    rivera.pop("id")
    rivera["timeOff"] = [{"start": at(date(2027, 3, 17), 11, 30), "end": at(date(2027, 3, 18), 10)}]
    assert call("PUT", "/staff/clinicians/c-rivera", rivera, who=STAFF).status == 200

    for who in ({}, {"clinicianId": "c-rivera"}, {"appointmentTypeId": "intake"}):
        query = {"clientType": "new", "from": FIRST.isoformat(), "to": LAST.isoformat(), **who}

        # When a client asks for the month
        answer = _raw_availability(query)

        # Then the answer is the reference's, byte for byte, held and off times left out
        assert answer == _reference(query)
        assert at(date(2027, 3, 15), 9) not in answer
        assert '"start":"2027-03-15T10:00:00-04:00"' in answer


def test_a_change_of_hours_made_in_another_environment_applies_to_the_next_call(practice):
    # Given a client has looked at a day's times (the handler has read and parsed the configuration)
    day = next_weekday()
    query = {"clientType": "new", "from": day.isoformat(), "to": day.isoformat(), "clinicianId": "c-rivera"}
    before = call("GET", "/availability", query=query).body["slots"]
    assert before

    # When staff change the clinician's hours, through another execution environment's store
    weekday = day.strftime("%A").lower()

    def two_hours(config):
        rivera = config.clinicians["c-rivera"]
        hours = {**rivera.hours, weekday: [Interval(start="14:00", end="16:00")]}
        clinicians = {**config.clinicians, "c-rivera": rivera.model_copy(update={"hours": hours})}
        return config.model_copy(update={"clinicians": clinicians})

    Store(aws.dynamodb(), aws.settings().table_name).update_config(two_hours)

    # Then the very next call offers the new hours only
    after = call("GET", "/availability", query=query).body["slots"]
    assert [s["start"] for s in after if s["appointmentTypeId"] == "intake"] == [at(day, 14), at(day, 15)]

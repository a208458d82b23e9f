"""The demo practice of the contract, loaded by the local stack and used by the tests."""

from __future__ import annotations

from functions.scheduling.config import (
    AppointmentType,
    Clinician,
    Interval,
    Practice,
    PracticeConfig,
    Scheduling,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _weekdays(*spans: tuple[str, str]) -> dict[str, list[Interval]]:
    return {day: [Interval(start=s, end=e) for s, e in spans] for day in WEEKDAYS}


def config() -> PracticeConfig:
    both = ["intake", "session"]
    return PracticeConfig.model_validate(
        {
            "practice": Practice(
                name="Demo Counseling",
                timeZone="America/New_York",
                notificationEmail="frontdesk@demo.test",
            ),
            "scheduling": Scheduling(),
            "appointmentTypes": {
                "intake": AppointmentType(
                    id="intake", name="Therapy Intake", durationMinutes=60, clientType="new"
                ),
                "session": AppointmentType(
                    id="session", name="Therapy Session", durationMinutes=50, clientType="existing"
                ),
            },
            "clinicians": {
                "c-rivera": Clinician(
                    id="c-rivera",
                    name="Dr. Ana Rivera",
                    appointmentTypeIds=both,
                    hours=_weekdays(("09:00", "12:00"), ("13:00", "17:00")),
                ),
                "c-okafor": Clinician(
                    id="c-okafor",
                    name="Sam Okafor, LCSW",
                    appointmentTypeIds=both,
                    hours=_weekdays(("10:00", "18:00")),
                ),
                "c-chen": Clinician(
                    id="c-chen",
                    name="Mei Chen, LMFT",
                    appointmentTypeIds=["session"],
                    hours=_weekdays(("08:00", "12:00")),
                ),
            },
        }
    )

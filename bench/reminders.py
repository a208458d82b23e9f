"""The reminder job: one run with 10,000 stored appointments of which 100 have a reminder due.

A table of its own, with the bench practice's settings (reminders 24 hours before). The 10,000
confirmed appointments are written as the transactions that confirm them write them (with their
reminder index entry): 100 start exactly 24 hours after the run's instant, the other 9,900 are
spread over the next 60 days, off that window. Then, on moto in process:
1. the run that sends the 100 (what a run costs when reminders are due);
2. the next scheduled run, 5 minutes later, while the 100 are still due: it finds them sent;
3. a run 20 minutes later, when nothing is due (what nearly every run of the day costs).
Each is timed, its DynamoDB calls counted and charged as DynamoDB would (bench.instrument), its
SES calls timed; emails are counted at moto's SES.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from .instrument import Instrument, Timer
from .measure import timed_sending
from .practice import configure_practice, create_table

TABLE = "portal-bench-reminders"
SENDER = "no-reply@demo.test"
STORED = 10_000
DUE = 100


def _appointments(now: datetime) -> list[dict[str, Any]]:
    """The stored items: DUE whose 24-hour reminder is due at `now`, the rest later."""
    from functions.scheduling.lifecycle import Appointment
    from functions.store import keys
    from functions.store.table import _appointment_item, _item

    due_start = now + timedelta(hours=24)
    items = []
    for n in range(STORED):
        if n < DUE:
            start = due_start
        else:
            # Off the window: from an hour after it, every 15 minutes over the next 60 days.
            start = due_start + timedelta(hours=1, minutes=15 * ((n * 37) % (60 * 24 * 4 - 8)))
        appointment = Appointment.model_validate(
            {
                "id": f"bench-{n:05d}",
                "status": "confirmed",
                "clinicianId": ("c-rivera", "c-okafor", "c-chen")[n % 3],
                "appointmentTypeId": "session",
                "start": start,
                "end": start + timedelta(minutes=50),
                "clientId": f"client-{n:05d}",
                "client": {
                    "firstName": "Client",
                    "lastName": f"Number {n}",
                    "dateOfBirth": "1990-04-01",
                    "email": f"client{n}@example.org",
                    "mobilePhone": "+16175550100",
                },
                "newClient": False,
                "createdAt": now - timedelta(days=20),
                "confirmedAt": now - timedelta(days=20),
            }
        )
        items.append(keys.appointment(appointment.id) | _item(_appointment_item(appointment)))
    return items


def _store(items: list[dict[str, Any]]) -> None:
    from functions import aws

    client: Any = aws.dynamodb()
    for low in range(0, len(items), 25):
        batch: Any = {TABLE: [{"PutRequest": {"Item": item}} for item in items[low : low + 25]]}
        while batch:
            batch = client.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}


def measure(instrument: Instrument) -> dict[str, Any]:
    import boto3

    from functions import aws
    from functions.jobs import reminders

    os.environ["SENDER_EMAIL"] = SENDER
    os.environ["PORTAL_URL"] = "https://portal.demo.test"
    aws.reset()
    create_table(TABLE)
    configure_practice()
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    _store(_appointments(now))
    instrument.attach(aws.dynamodb())
    timer = Timer()
    timer.attach(aws.sesv2(), "sesv2")

    def one_run(at: datetime, label: str) -> dict[str, Any]:
        outcomes, elapsed, sent, figures = timed_sending(
            instrument, timer, lambda: reminders.run(aws.store(), at, budget=timedelta(minutes=4)).outcomes
        )
        return {
            "run": label,
            "stored_appointments": STORED,
            "outcomes": outcomes,
            "emails_sent": sent,
            "seconds": elapsed,
            **figures,
        }

    try:
        due = one_run(now, f"{DUE} reminders due among {STORED:,} stored appointments")
        again = one_run(now + timedelta(minutes=5), "5 minutes later: the same 100 still due, all sent")
        idle = one_run(now + timedelta(minutes=20), "20 minutes later: none due")
    finally:
        for name in ("SENDER_EMAIL", "PORTAL_URL"):
            os.environ.pop(name, None)
        aws.reset()
    return {"due": due, "again": again, "idle": idle}

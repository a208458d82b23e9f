"""Notify throughput: one invocation with a batch of 100 stream records, as Lambda delivers them.

A table of its own; 100 anonymous requests are made through the handler (100 request INSERTs),
the stream is read with GetRecords (functions.local.stream.StreamReader) and filtered as the
deployed event source mapping filters it (INSERT or MODIFY of an item whose NewImage type is
"request"), and one notify.handler call gets the 100 records. Emails are counted in moto's SES
backend. A warm-up batch of 10 runs first. Then the same for 100 approvals of those requests
(MODIFY records; confirmations with a calendar invite, the heavier email).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from .instrument import Instrument, Timer
from .measure import timed_sending
from .practice import (
    HORIZON_DAYS,
    NY,
    STAFF,
    Slots,
    call,
    configure_practice,
    create_table,
    new_request,
)

TABLE = "portal-bench-notify"
SENDER = "no-reply@demo.test"
BATCH = 100


def _approval(record: dict[str, Any]) -> bool:
    change = record.get("dynamodb", {})
    old = (change.get("OldImage") or {}).get("status", {}).get("S")
    new = (change.get("NewImage") or {}).get("status", {}).get("S")
    return bool(old == "pending" and new == "approved")


def _read(reader: Any) -> list[dict[str, Any]]:
    """What is new on the stream, as the mapping's filter lets it through."""
    records: list[dict[str, Any]] = reader.read()
    reader.discard()
    return records


def measure(instrument: Instrument) -> dict[str, Any]:
    import boto3

    from functions import aws
    from functions.api.gateway import LocalContext
    from functions.local.stream import StreamReader
    from functions.notify import handler as notify

    os.environ["SENDER_EMAIL"] = SENDER
    os.environ["PORTAL_URL"] = "https://portal.demo.test"
    create_table(TABLE)
    instrument.attach(aws.dynamodb())
    timer = Timer()
    timer.attach(aws.sesv2(), "sesv2")
    config = configure_practice()
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
    reader = StreamReader.of_table(aws.dynamodb(), boto3.client("dynamodbstreams"), TABLE)
    _read(reader)
    today = datetime.now(NY).date()
    slots = Slots(config, today + timedelta(days=2), today + timedelta(days=HORIZON_DAYS - 3))

    def requests(n: int) -> list[str]:
        made = []
        for _ in range(n):
            slot = slots.take("intake")
            answer = call("POST", "/requests", new_request(slot.start, slot.clinician_id), idempotent=True)
            made.append(answer["request"]["id"])
        return made

    def deliver(records: list[dict[str, Any]], label: str) -> dict[str, Any]:
        context = LocalContext("notify")
        answer, elapsed, sent, figures = timed_sending(
            instrument, timer, lambda: notify.handler({"Records": records}, context)
        )
        return {
            "batch": label,
            "records": len(records),
            "emails_sent": sent,
            "failed_records": len(answer.get("batchItemFailures", [])),
            "seconds": elapsed,
            "emails_per_second": sent / elapsed if elapsed else None,
            "ms_per_email": elapsed * 1000 / sent if sent else None,
            **figures,
        }

    try:
        requests(10)
        warm = _read(reader)
        notify.handler({"Records": warm}, LocalContext("notify"))
        _read(reader)  # the warm-up's own notification-status updates

        made = requests(BATCH)
        inserts = _read(reader)
        assert len(inserts) == BATCH, len(inserts)
        received = deliver(inserts, "100 new requests (INSERT): 'awaiting review' to the practice")
        _read(reader)

        for request_id in made:
            call("POST", f"/staff/requests/{request_id}/approve", {}, who=STAFF, idempotent=True)
        approvals = [r for r in _read(reader) if _approval(r)]
        assert len(approvals) == BATCH, len(approvals)
        confirmed = deliver(
            approvals, "100 approvals (MODIFY): confirmation with calendar invite to the client"
        )
    finally:
        for name in ("SENDER_EMAIL", "PORTAL_URL"):
            os.environ.pop(name, None)
        aws.reset()
    return {"received": received, "confirmed": confirmed}

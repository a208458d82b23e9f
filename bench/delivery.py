"""Approval to email at SES while DynamoDB loses answers.

A table of its own on moto in process. A stream pump (functions.local.stream, as the event source
mapping delivers) runs beside the API. Every DynamoDB write made by anyone (the API handlers,
the notify function) has its answer lost, after it took effect, with a probability of 10 %: the
SDK then retries it, as it does on a read timeout. 50 clients each request a time (anonymously)
and staff approve it, one approval every 0.25 s. Measured: from the start of each approval call
to the moment SES accepts its confirmation. Checked: every API answer was true (201/200, and
the request is stored as answered), and every confirmation reached SES exactly once.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from .practice import HORIZON_DAYS, NY, STAFF, Slots, configure_practice, create_table, new_request, prepare

TABLE = "portal-bench-delivery"
SENDER = "no-reply@demo.test"
APPROVALS = 50
LOSS = 0.10
# Staff approve one request every this many seconds (a busy front desk, and a pump that is not
# measured waiting behind a backlog it would not have on AWS, where notify runs on its own CPU).
PACE = 0.25
WRITES = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem"})


def _answer(method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    prepared = prepare(method, path, body, **kwargs)
    result = prepared.handler(prepared.event, prepared.context)
    return result["statusCode"], json.loads(result["body"]) if result.get("body") else {}


def measure(loss: float = LOSS) -> dict[str, Any]:
    import boto3
    from botocore.exceptions import ReadTimeoutError

    from functions import aws
    from functions.api.gateway import LocalContext
    from functions.local.stream import StreamReader
    from functions.notify import handler as notify

    os.environ["SENDER_EMAIL"] = SENDER
    os.environ["PORTAL_URL"] = "https://portal.demo.test"
    create_table(TABLE)
    config = configure_practice()
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
    reader = StreamReader.of_table(aws.dynamodb(), boto3.client("dynamodbstreams"), TABLE)
    reader.read()
    reader.discard()
    today = datetime.now(NY).date()
    slots = Slots(config, today + timedelta(days=2), today + timedelta(days=HORIZON_DAYS - 3))

    chance = random.Random(11)  # noqa: S311 - a reproducible fault pattern, not a secret
    lost: Counter[str] = Counter()
    writes: Counter[str] = Counter()

    def lose(request: Any, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation not in WRITES:
            return
        writes[operation] += 1
        if chance.random() < loss:
            lost[operation] += 1
            raise ReadTimeoutError(endpoint_url=request.url)

    arrived: dict[str, list[float]] = {}

    def at_ses(request: Any, **_: Any) -> None:
        # After moto's own handler: SES has accepted the email.
        for address in json.loads(request.body)["Destination"]["ToAddresses"]:
            arrived.setdefault(address, []).append(time.perf_counter())

    aws.dynamodb().meta.events.register("before-send", lose)
    aws.sesv2().meta.events.register("before-send.sesv2.SendEmail", at_ses)
    stop = threading.Event()

    def pump() -> None:
        while not stop.wait(0.02):
            reader.deliver(notify.handler, lambda: LocalContext("notify"))

    pumping = threading.Thread(target=pump, name="bench-pump", daemon=True)
    pumping.start()
    untrue: list[str] = []
    approved_at: dict[str, float] = {}
    try:
        made = []
        for i in range(APPROVALS):
            address = f"client{i}@example.org"
            slot = slots.take("intake")
            body = {**new_request(slot.start, slot.clinician_id), "email": address}
            status, answer = _answer("POST", "/requests", body)
            if status != 201:
                untrue.append(f"request {i}: {status} {answer.get('error', {}).get('code')}")
                continue
            request = answer["request"]
            stored = aws.store().request_of(request["id"], request["appointmentId"])
            if stored is None or stored.status != "pending":
                untrue.append(f"request {i}: answered 201 but not stored pending")
            made.append((address, request))
        # The front desk's emails go out first; then staff approve, one every PACE seconds.
        while reader.pending() or len(arrived.get("frontdesk@demo.test", [])) < len(made):
            time.sleep(0.05)
        for address, request in made:
            started = time.perf_counter()
            status, _ = _answer("POST", f"/staff/requests/{request['id']}/approve", {}, who=STAFF)
            approved_at[address] = started
            stored = aws.store().request_of(request["id"], request["appointmentId"])
            if status != 200 or stored is None or stored.status != "approved":
                untrue.append(
                    f"approval of {request['id']}: {status}, stored {stored.status if stored else None}"
                )
            time.sleep(max(0.0, PACE - (time.perf_counter() - started)))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(a not in arrived for a in approved_at):
            time.sleep(0.05)
        time.sleep(1)  # anything sent twice would arrive by now
    finally:
        stop.set()
        pumping.join(timeout=10)
        aws.dynamodb().meta.events.unregister("before-send", lose)
        for name in ("SENDER_EMAIL", "PORTAL_URL"):
            os.environ.pop(name, None)
    latencies = [(arrived[a][0] - started) * 1000 for a, started in approved_at.items() if a in arrived]
    counts = [len(arrived.get(a, [])) for a in approved_at]
    aws.reset()
    return {
        "approvals": APPROVALS,
        "answers_lost_share": loss,
        "writes": sum(writes.values()),
        "answers_lost": dict(lost),
        "untrue_answers": untrue,
        "delivered": sum(1 for c in counts if c >= 1),
        "sent_more_than_once": sum(1 for c in counts if c > 1),
        "latency_ms_p50": statistics.median(latencies) if latencies else None,
        "latency_ms_p99": statistics.quantiles(latencies, n=100, method="inclusive")[98]
        if len(latencies) > 1
        else None,
        "latency_ms_max": max(latencies) if latencies else None,
    }

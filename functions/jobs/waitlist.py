"""(v2) The waitlist job: entries whose last day has passed (in the practice's time zone) are
dropped, and their address's tally given back. A plain function of (store, now) that the scheduled
Lambda function (`handler` below), the local stack's timer and `POST /dev/tick` call.

Cost of a run: a GetItem of the configuration and one Query of gsi4 `WAITEND` for the entries
whose last day sorts before today (keys only); when any has passed, one consistent BatchGetItem
per 100 of them, then one transaction per entry dropped. Nothing grows with the entries still
waiting, and a run with none passed makes two calls.

Each drop is one transaction conditional on the entry still waiting, with a token of its own (the
SDK's retry of a transaction whose answer was lost is the same one): a run retried, or two at
once, drop it and give its tally back once.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import aws
from functions.store import Store
from functions.store.waitlist import WaitlistStore

from .outcomes import finish

logger = Logger(service="client-portal-waitlist-expiry")


def run(store: Store, now: datetime) -> dict[str, int]:
    """Drop every waiting entry whose last day is over at `now`. Safe to run again, late, or
    twice at once; returns how many were dropped and how many another run dropped first."""
    now = now.astimezone(UTC)
    today = store.config().local(now).date()
    waitlists = WaitlistStore(store)
    run_id = uuid.uuid4().hex
    outcomes: dict[str, int] = {}
    for entry_id, tally in waitlists.ended_before(today):
        token = hashlib.sha256(f"waitlist-expired|{entry_id}|{run_id}".encode()).hexdigest()[:32]
        try:
            outcome = "dropped" if waitlists.remove(entry_id, tally, token, now, "expired") else "gone"
        except Exception as exc:
            # One entry's trouble is not the others': the next run drops it.
            logger.warning(
                "waitlist entry not dropped", extra={"entry_id": entry_id, "error": type(exc).__name__}
            )
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes:
        logger.info("waitlist expiry run", extra={"outcomes": outcomes})
    return outcomes


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The schedule's target: a run at the time it starts."""
    return {"outcomes": finish("waitlist", run(aws.store(), datetime.now(UTC)))}

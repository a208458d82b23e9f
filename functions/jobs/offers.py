"""The offer expiry job: offers nobody accepted in time are expired and every time they held is
freed. A plain function of (store, now), like every job (functions/jobs/__init__.py).

Cost of a run: one Query of the open-offer entries of the keys-only index (`gsi4` `OFFERS`) up
to `now` (only the offers due to expire), a consistent batch read of them, and one transaction
per offer expired. A run with nothing to expire makes one call. Each expiry is conditional on
the offer's version, so an acceptance that came first wins (and the expiry is skipped), and its
ClientRequestToken is derived from the offer, so two runs at once expire it once. An offer that
cannot be written now is counted `error` and left for the next run; the others are expired, and
the scheduled function then fails (`outcomes.finish`) so that the error alarm sees it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import aws
from functions.scheduling import offers
from functions.store import CommitFailed, Store

from .outcomes import finish

logger = Logger(service="client-portal-expiry")


def run(store: Store, now: datetime) -> dict[str, int]:
    now = now.astimezone(UTC)
    outcomes: dict[str, int] = {}
    for offer in store.open_offers_ending(now):
        expired = offers.expire(offer, now=now)
        if expired is None:
            continue
        after, release = expired
        token = hashlib.sha256(f"expire|{offer.id}|{offer.version}".encode()).hexdigest()[:32]
        try:
            store.expire_offer(after, offer.version, release, token, now)
            outcome = "expired"
        except CommitFailed:
            # Accepted (or expired by another run) between the read and the write.
            outcome = "decided_meanwhile"
        except Exception as exc:
            # One offer's trouble (DynamoDB throttling, say) is not the others': they are expired
            # now, and the next run expires this one (its hold is already refused by accept).
            logger.warning(
                "offer not expired", extra={"offer_id": offer.id[:12], "error": type(exc).__name__}
            )
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        logger.info("offer expiry", extra={"offer_id": offer.id[:12], "outcome": outcome})
    return outcomes


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"offers": finish("offers", run(aws.store(), datetime.now(UTC)))}

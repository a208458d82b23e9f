"""How the table's stream reaches the notify function: one definition for the event source
mapping of the deployed stack (`infra/notify.py`) and the local stack's pump
(`functions/local/stream.py`), so that both deliver, retry and give up alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

# Records per invocation, and how long the mapping may wait to fill a batch.
BATCH_SIZE = 100
BATCHING_WINDOW = timedelta(seconds=1)
# A failing batch is retried from its first failed record (partial batch response), split in
# two when the function fails as a whole (bisect on error), and sent to the failure queue after
# this many retries or once its records are this old. Each email has its own, shorter limit
# (functions.notify.handler.MAX_ATTEMPTS): an email that keeps failing is recorded as not sent
# long before its record reaches the failure queue.
RETRY_ATTEMPTS = 10
BISECT_ON_ERROR = True
MAX_RECORD_AGE = timedelta(hours=24)

# Only requests can deserve an email: the mapping passes inserts and changes of request items and
# drops the rest (configuration, claims, the ledger) before batching.
EVENT_NAMES = ("INSERT", "MODIFY")
ITEM_TYPE = "request"


def wanted(record: dict[str, Any]) -> bool:
    """Whether the mapping's filter lets a stream record through."""
    image = record.get("dynamodb", {}).get("NewImage") or {}
    return record.get("eventName") in EVENT_NAMES and image.get("type", {}).get("S") == ITEM_TYPE

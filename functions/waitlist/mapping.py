"""How the table's stream reaches the waitlist function: one definition for its event source
mapping in the deployed stack (`infra/notify.py`) and for the local stack's pump
(`functions/local/stream.py`). Retries, bisection, batch size and the age limit are the notify
mapping's (`functions/notify/mapping.py`); the filter is this function's own."""

from __future__ import annotations

from typing import Any

# Only a record whose old image held time can free it: a change or a removal of an item with a
# `BUSY` entry in gsi2 (appointments, pending reschedules, offered times). Whether the new image
# still holds the same interval is checked by the function (a filter cannot compare images).
EVENT_NAMES = ("MODIFY", "REMOVE")
INDEX_KEY, HELD = "gsi2pk", "BUSY"


def wanted(record: dict[str, Any]) -> bool:
    """Whether the mapping's filter lets a stream record through."""
    image = record.get("dynamodb", {}).get("OldImage") or {}
    return record.get("eventName") in EVENT_NAMES and image.get(INDEX_KEY, {}).get("S") == HELD

"""The notify function's ledger: one item per email a change deserves, claimed before the send.

A claim names its owner (the stream record and the invocation delivering it). The SDK retrying a
claim whose answer was lost finds its own claim and gets it again; a delivery of the same change
by another owner finds it busy until the owner settles it or its lease ends (the owner's function
timeout has passed, so the owner is dead). Every owner ends its claim one of three ways: settled
(sent, failed or skipped: nobody sends it again), released for a retry (it counts as an attempt),
or, when it dies, by the lease: then whoever claims it next finds it orphaned, and since the dead
owner may have sent the email, records it as failed ("delivery_unknown") for staff to decide
rather than send it a second time.

    (none) --claim--> sending --settle--> sent | failed | skipped
                         |  ^
                 release |  | claim (attempts + 1)
                         v  |
                        retry
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from functions.scheduling.lifecycle import Request

from . import keys
from .schema import TTL_ATTRIBUTE
from .table import call, error_code, old_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SENT_RETENTION = timedelta(days=30)
# Claims written before owners existed carry only `claimedAt`; they are taken over after this.
LEGACY_LEASE = timedelta(minutes=5)
Outcome = Literal["sent", "failed", "skipped"]
SETTLED = ("sent", "failed", "skipped")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class Claim:
    """What a claim found: `claimed` (send it; `attempts` counts this one), `done` (settled
    before), `busy` (another owner holds it), or `orphaned`: taken over from an owner whose lease
    ended while it held the claim, so the email may or may not have gone out; it is never sent
    again (the claimer records it for staff instead)."""

    state: Literal["claimed", "done", "busy", "orphaned"]
    attempts: int = 0
    last_error: str | None = None
    # When `done`: when it was last claimed (epoch seconds). The waitlist tells an email about a
    # time freed now (claimed since) from one about an earlier freeing of the same time.
    claimed_at: int | None = None


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


class Ledger:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self.client = client
        self.table = table_name

    def claim(self, change_key: str, owner: str, now: datetime, lease: timedelta) -> Claim:
        """Take the right to send the email of one change. Idempotent for one owner: a retried
        claim whose first answer was lost gets the claim (and counts one attempt, not two)."""
        try:
            answer = call(
                self.client.update_item,
                TableName=self.table,
                Key=keys.sent(change_key),
                UpdateExpression=(
                    "SET #s = :sending, #o = :me, leaseUntil = :until, claimedAt = :now, #ttl = :ttl "
                    "ADD owners :mine"
                ),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR #s = :retry OR (#s = :sending AND (#o = :me "
                    "OR leaseUntil < :now OR (attribute_not_exists(leaseUntil) AND claimedAt < :legacy)))"
                ),
                ExpressionAttributeNames={"#s": "state", "#o": "owner", "#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":sending": {"S": "sending"},
                    ":retry": {"S": "retry"},
                    ":me": {"S": owner},
                    ":mine": {"SS": [owner]},
                    ":until": {"N": str(_epoch(now + lease))},
                    ":now": {"N": str(_epoch(now))},
                    ":legacy": {"N": str(_epoch(now - LEGACY_LEASE))},
                    ":ttl": {"N": str(_epoch(now + SENT_RETENTION))},
                },
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            held: dict[str, Any] = old_item(exc) or self._get(change_key) or {}
            state = held.get("state", {}).get("S")
            if state not in SETTLED:
                return Claim("busy")
            claimed = held.get("claimedAt", {}).get("N")
            return Claim("done", claimed_at=int(claimed) if claimed else None)
        before = answer.get("Attributes", {})
        attempts = len({*before.get("owners", {}).get("SS", []), owner})
        if _text(before, "state") == "sending" and _text(before, "owner") != owner:
            return Claim("orphaned", attempts, _text(before, "lastError"))
        return Claim("claimed", attempts, _text(before, "lastError"))

    def release(self, change_key: str, owner: str, error: str) -> None:
        """Give the claim back after a failure worth retrying; the error is kept for staff."""
        try:
            call(
                self.client.update_item,
                TableName=self.table,
                Key=keys.sent(change_key),
                UpdateExpression="SET #s = :retry, lastError = :error REMOVE leaseUntil",
                ConditionExpression="#o = :me AND #s IN (:sending, :retry)",
                ExpressionAttributeNames={"#s": "state", "#o": "owner"},
                ExpressionAttributeValues={
                    ":retry": {"S": "retry"},
                    ":sending": {"S": "sending"},
                    ":me": {"S": owner},
                    ":error": {"S": error},
                },
            )
        except ClientError as exc:
            # Another owner took the claim over after our lease: it is theirs to end.
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def drop(self, change_key: str, owner: str) -> None:
        """Take back a claim of an email that is not sent now but may be later (a waitlist
        entry that had its emails for the day): as if it had never been claimed. Only its owner's
        claim is dropped; a retry whose first answer was lost finds it gone and is done."""
        try:
            call(
                self.client.delete_item,
                TableName=self.table,
                Key=keys.sent(change_key),
                ConditionExpression="#o = :me AND #s = :sending",
                ExpressionAttributeNames={"#s": "state", "#o": "owner"},
                ExpressionAttributeValues={":me": {"S": owner}, ":sending": {"S": "sending"}},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def settle(
        self,
        change_key: str,
        owner: str,
        outcome: Outcome,
        detail: str | None,
        notice: str,
        request: Request | None,
        now: datetime,
    ) -> None:
        """Record how a send ended: first on the ledger (so that nobody sends it again, whatever
        happens next), then as the request's notification status for staff, unless the request
        is gone or already shows a later email's status."""
        names = {"#s": "state", "#o": "owner"}
        values: dict[str, Any] = {
            ":outcome": {"S": outcome},
            ":me": {"S": owner},
            ":sending": {"S": "sending"},
        }
        expression = "SET #s = :outcome REMOVE leaseUntil"
        if detail:
            expression = "SET #s = :outcome, detail = :detail REMOVE leaseUntil"
            values[":detail"] = {"S": detail}
        try:
            call(
                self.client.update_item,
                TableName=self.table,
                Key=keys.sent(change_key),
                UpdateExpression=expression,
                ConditionExpression="#o = :me AND #s = :sending",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            # Settled already by this owner (a retried write whose answer was lost), or taken over.
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
        if request is None:
            return
        notification: dict[str, Any] = {
            "status": outcome,
            "notice": notice,
            "at": now.astimezone(UTC).isoformat(),
        }
        if detail:
            notification["detail"] = detail
        try:
            call(
                self.client.update_item,
                TableName=self.table,
                Key=keys.request(request.appointmentId, request.id),
                UpdateExpression="SET notification = :n, notifiedVersion = :v",
                ConditionExpression=(
                    "attribute_exists(pk) "
                    "AND (attribute_not_exists(notifiedVersion) OR notifiedVersion <= :v)"
                ),
                ExpressionAttributeValues={
                    ":n": _serializer.serialize(notification),
                    ":v": {"N": str(request.version)},
                },
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def settled(self, change_keys: list[str]) -> set[str]:
        """Which of these emails were settled before (sent, failed or skipped): consistent batch
        reads, 100 keys a call, so that a run finding them again does not claim each in vain."""
        found: set[str] = set()
        wanted = [keys.sent(k) for k in dict.fromkeys(change_keys)]
        for low in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self.table: {
                    "Keys": wanted[low : low + 100],
                    "ConsistentRead": True,
                    "ProjectionExpression": "pk, sk, #s",
                    "ExpressionAttributeNames": {"#s": "state"},
                }
            }
            while request:
                answer = call(self.client.batch_get_item, RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table, []):
                    if _text(item, "state") in SETTLED:
                        found.add(item["pk"]["S"].removeprefix("SENT#"))
                request = answer.get("UnprocessedKeys") or {}
        return found

    def entry(self, change_key: str) -> dict[str, Any] | None:
        """The ledger item of one change, as plain values."""
        item = self._get(change_key)
        return {k: _deserializer.deserialize(v) for k, v in item.items()} if item else None

    def _get(self, change_key: str) -> dict[str, Any] | None:
        answer = call(
            self.client.get_item, TableName=self.table, Key=keys.sent(change_key), ConsistentRead=True
        )
        item: dict[str, Any] | None = answer.get("Item")
        return item


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return str(value["S"]) if value and "S" in value else None

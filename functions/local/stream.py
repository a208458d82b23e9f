"""Reads a DynamoDB stream with GetRecords and hands the records to a function as the Lambda
event source mapping does (`functions/notify/mapping.py`):

- only the records the mapping's filter lets through are delivered;
- each shard keeps its own position and is delivered one batch at a time, round robin, so a
  failing shard never starves another, and new records are read whatever the deliveries do;
- a partial batch response moves the shard past the records before the first failed one and
  retries from there; a function that fails as a whole has its batch split in two (bisect);
- after `RETRY_ATTEMPTS` retries, or past `MAX_RECORD_AGE`, the failing records are given up:
  kept in `failures` (the mapping's failure queue) and logged, and the shard goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from functions.notify import mapping

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

Handler = Callable[[dict[str, Any], Any], dict[str, Any] | None]
logger = logging.getLogger(__name__)


@dataclass
class Delivery:
    """One invocation: the records it carried and how it answered (or what it raised)."""

    shard: str
    records: list[dict[str, Any]]
    answer: dict[str, Any] | None = None
    error: Exception | None = None

    @property
    def failed(self) -> list[str]:
        """Sequence numbers the answer reported as failed (every record when it raised)."""
        if self.error is not None:
            return [r["dynamodb"]["SequenceNumber"] for r in self.records]
        return [f["itemIdentifier"] for f in (self.answer or {}).get("batchItemFailures", [])]


@dataclass
class _Shard:
    # The last record read: each read starts after it, with an iterator asked for then.
    last: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    size: int = mapping.BATCH_SIZE
    not_before: float = 0.0


@dataclass
class StreamReader:
    streams: DynamoDBStreamsClient
    stream_arn: str
    # Seconds before a failed shard is tried again, doubling per retry (the local stack waits a
    # little so that a failing record does not spin; tests deliver at once).
    backoff: float = 0.0
    # Held for a whole read (a lock the writers also hold, where the endpoint needs one).
    guard: AbstractContextManager[Any] = field(default_factory=nullcontext)
    failures: list[dict[str, Any]] = field(default_factory=list)
    # The mapping's filter: notify's by default; the waitlist function's mapping has its own.
    wanted: Callable[[dict[str, Any]], bool] = mapping.wanted
    _shards: dict[str, _Shard] = field(default_factory=dict)

    @classmethod
    def of_table(
        cls,
        dynamodb: DynamoDBClient,
        streams: DynamoDBStreamsClient,
        table: str,
        backoff: float = 0.0,
        wanted: Callable[[dict[str, Any]], bool] = mapping.wanted,
    ) -> StreamReader:
        arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        return cls(streams, arn, backoff, wanted=wanted)

    def read(self) -> list[dict[str, Any]]:
        """Read what is new on every shard; returns the records read now."""
        with self.guard:
            return self._read()

    def _read(self) -> list[dict[str, Any]]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        new: list[dict[str, Any]] = []
        for found in description.get("Shards", []):
            shard_id = found["ShardId"]
            shard = self._shards.setdefault(shard_id, _Shard())
            # A fresh iterator every time: an iterator expires (after 15 minutes in AWS), and a
            # moto server replaces a table's shard object when it rolls a transaction back, after
            # which an old iterator reads nothing, ever.
            where: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
            if shard.last is not None:
                where = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.last}
            iterator: str | None = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, **where
            )["ShardIterator"]
            while iterator:
                page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                found_records = page.get("Records", [])
                iterator = page.get("NextShardIterator")
                if not found_records:
                    break
                shard.last = found_records[-1]["dynamodb"]["SequenceNumber"]
                records = [{**r, "eventSourceARN": self.stream_arn} for r in found_records]
                records = [r for r in records if self.wanted(r)]
                shard.pending.extend(records)
                new.extend(records)
        return new

    def pending(self) -> list[dict[str, Any]]:
        return [r for shard in self._shards.values() for r in shard.pending]

    def discard(self) -> None:
        """Forget what was read and not delivered (what a test's set-up wrote)."""
        for shard in self._shards.values():
            shard.pending.clear()

    def deliver(self, handler: Handler, context: Callable[[], Any] = lambda: None) -> list[Delivery]:
        """Read, then one invocation per shard that has records and is not waiting to retry."""
        self.read()
        deliveries = []
        now = time.monotonic()
        for shard_id, shard in self._shards.items():
            self._expire(shard_id, shard)
            if not shard.pending or shard.not_before > now:
                continue
            delivery = Delivery(shard_id, shard.pending[: shard.size])
            try:
                delivery.answer = handler({"Records": delivery.records}, context()) or {}
            except Exception as exc:
                delivery.error = exc
            self._settle(shard, delivery)
            deliveries.append(delivery)
        return deliveries

    def _settle(self, shard: _Shard, delivery: Delivery) -> None:
        failed = set(delivery.failed)
        numbers = [r["dynamodb"]["SequenceNumber"] for r in delivery.records]
        # A failure naming no record of the batch fails the whole batch, as the mapping takes it.
        position = (
            0
            if failed - set(numbers)
            else next((i for i, n in enumerate(numbers) if n in failed), len(numbers))
        )
        del shard.pending[:position]
        if position == len(delivery.records):
            shard.retries, shard.size, shard.not_before = 0, mapping.BATCH_SIZE, 0.0
            return
        if delivery.error is not None and mapping.BISECT_ON_ERROR and len(delivery.records) > 1:
            shard.size = max(1, len(delivery.records) // 2)
        shard.retries += 1
        if shard.retries > mapping.RETRY_ATTEMPTS:
            self._give_up(delivery.shard, shard, len(delivery.records) - position, "retries exhausted")
            return
        shard.not_before = time.monotonic() + min(self.backoff * 2 ** (shard.retries - 1), 5.0)

    def _expire(self, shard_id: str, shard: _Shard) -> None:
        oldest = datetime.now(UTC) - mapping.MAX_RECORD_AGE
        count = 0
        for record in shard.pending:
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if not isinstance(created, datetime) or created >= oldest:
                break
            count += 1
        if count:
            self._give_up(shard_id, shard, count, "records too old")

    def _give_up(self, shard_id: str, shard: _Shard, count: int, why: str) -> None:
        given_up = shard.pending[:count]
        del shard.pending[:count]
        self.failures.extend(given_up)
        shard.retries, shard.size, shard.not_before = 0, mapping.BATCH_SIZE, 0.0
        logger.error(
            "stream pump: records sent to the failure queue (%s): shard %s, sequence numbers %s to %s",
            why,
            shard_id,
            given_up[0]["dynamodb"]["SequenceNumber"],
            given_up[-1]["dynamodb"]["SequenceNumber"],
        )

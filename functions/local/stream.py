"""Reads a DynamoDB stream with GetRecords and hands the records to a function in the shape the
Lambda event source mapping delivers them, honouring partial batch responses: records a batch
reports as failed are delivered again (with the rest of their shard after them), as Lambda does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

Handler = Callable[[dict[str, Any], Any], dict[str, Any] | None]


@dataclass
class StreamReader:
    streams: DynamoDBStreamsClient
    stream_arn: str
    region: str = "us-east-1"
    _iterators: dict[str, str | None] = field(default_factory=dict)
    _pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of_table(
        cls, dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, table: str, region: str = "us-east-1"
    ) -> StreamReader:
        arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        return cls(streams, arn, region)

    def _shards(self) -> list[str]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [s["ShardId"] for s in description.get("Shards", [])]

    def read(self) -> list[dict[str, Any]]:
        """Records not read before, in the shape of a Lambda event's Records."""
        found: list[dict[str, Any]] = []
        for shard in self._shards():
            if shard not in self._iterators:
                self._iterators[shard] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self._iterators[shard]
            pending = self._pending.setdefault(shard, [])
            while iterator:
                page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                records = page.get("Records", [])
                iterator = page.get("NextShardIterator")
                pending.extend({**r, "eventSourceARN": self.stream_arn} for r in records)
                if not records:
                    break
            self._iterators[shard] = iterator
            found.extend(pending)
        return found

    def deliver(self, handler: Handler, context: Any = None, batch_size: int = 100) -> list[dict[str, Any]]:
        """Invoke the handler with the records read, a batch at a time per shard. Records up to
        the first failure of a batch are done; the failed one and those after it stay pending
        for the next call. Returns what was delivered and not failed."""
        self.read()
        done: list[dict[str, Any]] = []
        for shard, pending in self._pending.items():
            while pending:
                batch = pending[:batch_size]
                answer = handler({"Records": batch}, context) or {}
                failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
                position = next(
                    (i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed), len(batch)
                )
                done.extend(batch[:position])
                del pending[:position]
                if position < len(batch):
                    break
            self._pending[shard] = pending
        return done

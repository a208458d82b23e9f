"""The local stream pump delivers as the Lambda event source mapping does: per shard, round robin,
retrying from the first failed record, splitting a batch whose function failed, and giving up
(to its failure queue) after the mapping's retries or record age."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.local.stream import StreamReader
from functions.notify import mapping

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1"


class FakeStreams:
    """A DynamoDB Streams API over shards held in memory; records can be added at any time."""

    def __init__(self, *shards: str) -> None:
        self.shards: dict[str, list[dict[str, Any]]] = {s: [] for s in shards}
        self.sequence = 0

    def add(self, shard: str, *, age: timedelta = timedelta(0), kind: str = "request") -> str:
        self.sequence += 1
        number = f"{self.sequence:021d}"
        self.shards[shard].append(
            {
                "eventName": "INSERT",
                "dynamodb": {
                    "SequenceNumber": number,
                    "ApproximateCreationDateTime": datetime.now(UTC) - age,
                    "NewImage": {"type": {"S": kind}},
                },
            }
        )
        return number

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": s} for s in self.shards]}}

    def get_shard_iterator(
        self, StreamArn: str, ShardId: str, ShardIteratorType: str, SequenceNumber: str | None = None
    ) -> dict[str, Any]:
        if ShardIteratorType == "TRIM_HORIZON":
            return {"ShardIterator": f"{ShardId}:0"}
        assert ShardIteratorType == "AFTER_SEQUENCE_NUMBER"
        numbers = [r["dynamodb"]["SequenceNumber"] for r in self.shards[ShardId]]
        return {"ShardIterator": f"{ShardId}:{numbers.index(SequenceNumber) + 1}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        shard, position = ShardIterator.rsplit(":", 1)
        records = self.shards[shard][int(position) : int(position) + Limit]
        return {"Records": records, "NextShardIterator": f"{shard}:{int(position) + len(records)}"}


class Function:
    """A notify function that fails the records it is told to, or raises for whole batches."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.raise_when_holding: set[str] = set()
        self.batches: list[list[str]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        numbers = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.batches.append(numbers)
        if self.raise_when_holding & set(numbers):
            raise RuntimeError("the function crashed")
        return {"batchItemFailures": [{"itemIdentifier": n} for n in numbers if n in self.failing]}


def reader(streams: FakeStreams) -> StreamReader:
    return StreamReader(streams, ARN)  # type: ignore[arg-type]


def test_a_failing_shard_never_starves_another_and_new_records_are_still_read():
    # Given two shards, the first of which keeps failing its first record
    streams = FakeStreams("a", "b")
    poison = streams.add("a")
    function = Function()
    function.failing.add(poison)
    pump = reader(streams)

    # When records keep arriving on both shards over several rounds
    delivered_b = []
    for _ in range(4):
        streams.add("a")
        delivered_b.append(streams.add("b"))
        pump.deliver(function)

    # Then every record of the second shard was delivered in its round
    b_batches = [b for b in function.batches if set(b) & set(delivered_b)]
    assert [n for b in b_batches for n in b] == delivered_b
    # and the first shard's new records were read, waiting behind the failing one
    assert len([r for r in pump.pending() if r["dynamodb"]["SequenceNumber"] != poison]) == 4


def test_a_partial_failure_is_retried_from_the_first_failed_record():
    # Given five records, the third of which fails once
    streams = FakeStreams("a")
    numbers = [streams.add("a") for _ in range(5)]
    function = Function()
    function.failing.add(numbers[2])
    pump = reader(streams)

    # When the pump delivers twice
    pump.deliver(function)
    function.failing.clear()
    pump.deliver(function)

    # Then the retry starts at the failed record
    assert function.batches == [numbers, numbers[2:]]
    assert pump.pending() == []


def test_a_batch_whose_function_failed_is_split_in_two():
    # Given four records, the last of which makes the function fail as a whole
    streams = FakeStreams("a")
    numbers = [streams.add("a") for _ in range(4)]
    function = Function()
    function.raise_when_holding.add(numbers[3])
    pump = reader(streams)

    # When the pump delivers four times
    for _ in range(4):
        pump.deliver(function)

    # Then the batch was bisected: the good half went through, the failing half split again
    assert function.batches == [numbers, numbers[:2], numbers[2:], numbers[2:3]]


def test_records_are_given_up_after_the_mappings_retries_and_the_shard_goes_on(caplog):
    # Given a record that always fails, and one behind it
    streams = FakeStreams("a")
    poison, behind = streams.add("a"), streams.add("a")
    function = Function()
    function.failing.add(poison)
    pump = reader(streams)
    caplog.set_level(logging.ERROR)

    # When the pump delivers once and then as many times as the mapping retries
    for _ in range(mapping.RETRY_ATTEMPTS + 1):
        pump.deliver(function)

    # Then the failing batch went to the failure queue, logged by its sequence numbers
    assert [r["dynamodb"]["SequenceNumber"] for r in pump.failures] == [poison, behind]
    assert "failure queue" in caplog.text
    assert poison in caplog.text
    # and the shard delivers what comes next
    after = streams.add("a")
    pump.deliver(function)
    assert function.batches[-1] == [after]


def test_records_past_the_mappings_age_are_given_up_unread():
    # Given a record older than the mapping keeps records, and a fresh one
    streams = FakeStreams("a")
    old = streams.add("a", age=mapping.MAX_RECORD_AGE + timedelta(minutes=1))
    fresh = streams.add("a")
    function = Function()

    # When the pump delivers
    reader_ = reader(streams)
    reader_.deliver(function)

    # Then only the fresh one reaches the function
    assert function.batches == [[fresh]]
    assert [r["dynamodb"]["SequenceNumber"] for r in reader_.failures] == [old]


@pytest.mark.parametrize("kind", ["config", "claim", "sent"])
def test_only_what_the_mappings_filter_passes_is_delivered(kind: str):
    # Given a stream with a change of another kind of item than a request
    streams = FakeStreams("a")
    streams.add("a", kind=kind)
    request = streams.add("a")
    function = Function()

    # When the pump delivers
    reader(streams).deliver(function)

    # Then the function sees only the request
    assert function.batches == [[request]]


def test_a_failure_naming_no_record_of_the_batch_fails_the_whole_batch():
    # Given a function that reports a failure with an identifier not in its batch
    streams = FakeStreams("a")
    numbers = [streams.add("a") for _ in range(3)]
    calls: list[list[str]] = []

    def function(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        return (
            {"batchItemFailures": [{"itemIdentifier": ""}]} if len(calls) == 1 else {"batchItemFailures": []}
        )

    # When the pump delivers twice
    pump = reader(streams)
    pump.deliver(function)
    pump.deliver(function)

    # Then the whole batch was delivered again
    assert calls == [numbers, numbers]

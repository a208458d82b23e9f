"""`make redrive`: the batches the event source mapping gave up on are read back from the stream
and delivered again, each email still sent once."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3

from functions.api.gateway import LocalContext
from functions.local.stream import StreamReader
from functions.notify import handler as notify
from functions.notify.redrive import lambda_invoker, redrive
from tests.integration.conftest import STAFF, at, call, new_request, next_weekday
from tests.integration.mail import to


def failure_queue_message(records: list[dict[str, Any]]) -> str:
    """What the mapping puts in its failure queue for a batch: where it is, not what it holds."""
    first, last = records[0], records[-1]
    shard = boto3.client("dynamodbstreams").describe_stream(StreamArn=first["eventSourceARN"])
    return json.dumps(
        {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
            "version": "1.0",
            "DDBStreamBatchInfo": {
                "shardId": shard["StreamDescription"]["Shards"][0]["ShardId"],
                "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
                "batchSize": len(records),
                "streamArn": first["eventSourceARN"],
            },
        }
    )


class Lambda:
    """The Lambda API's Invoke, running the notify handler on the JSON payload it is sent, as
    the deployed function would receive it."""

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        answer = notify.handler(json.loads(Payload), LocalContext(FunctionName))
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}


invoke = lambda_invoker(Lambda(), "notify")


def test_a_batch_the_mapping_gave_up_on_is_delivered_again_once(stream: StreamReader):
    # Given an approval whose stream records the mapping gave up on (nothing was sent), and one
    # batch that had been sent after all
    made = call("POST", "/requests", new_request(at(next_weekday(), 9)))
    call("POST", f"/staff/requests/{made.body['request']['id']}/approve", who=STAFF)
    records = stream.read()
    stream.discard()
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="notify-failures")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=failure_queue_message(records))
    sqs.send_message(QueueUrl=queue, MessageBody=failure_queue_message(records))

    # When the operator runs the redrive
    report = redrive(sqs, boto3.client("dynamodbstreams"), queue, invoke)

    # Then both descriptions are delivered, the emails sent once, and the queue is empty
    assert (report.redriven, report.still_failing, report.expired) == (2, [], [])
    assert len(to("ada@example.com")) == 1
    assert len(to("frontdesk@demo.test")) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)
    assert report.lines()[0] == "redrive: 2 failed batches delivered again (4 records)"


def test_a_batch_that_fails_again_stays_in_the_queue(stream: StreamReader):
    # Given a failed batch whose function still fails
    call("POST", "/requests", new_request(at(next_weekday(), 9)))
    records = stream.read()
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="notify-failures")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=failure_queue_message(records))

    # When the redrive runs
    report = redrive(sqs, boto3.client("dynamodbstreams"), queue, lambda event: {"errorMessage": "Unhandled"})

    # Then it says so and keeps the description for another run
    assert report.redriven == 0
    assert len(report.still_failing) == 1
    assert "stay in the queue" in report.lines()[1]
    held = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert held["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"

"""`make redrive` (`python -m functions.notify.redrive`): deliver again what the notify function's
event source mapping gave up on.

When a batch of stream records keeps failing past the mapping's retries (or gets older than its
record age), the mapping puts a description of the batch in the failure queue, not the records
(`DDBStreamBatchInfo`: the shard and the first and last sequence numbers). This reads each such
description, reads those records back from the table's stream (which keeps them 24 hours), and
invokes the notify function with them, as the mapping would. The ledger makes this safe to run at
any time, any number of times: an email already sent is not sent again. A description is removed
from the queue once its records were delivered; one whose records are no longer on the stream is
reported (those requests' emails can be sent from the staff page, Send Again).
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.notify import mapping

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Report:
    redriven: int = 0
    records: int = 0
    still_failing: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        said = [f"redrive: {self.redriven} failed batches delivered again ({self.records} records)"]
        if self.still_failing:
            said.append(
                f"redrive: {len(self.still_failing)} batches failed again and stay in the queue: "
                + ", ".join(self.still_failing)
            )
        if self.expired:
            said.append(
                f"redrive: {len(self.expired)} batches are no longer on the stream (over 24 hours old) and "
                "stay in the queue; send their emails from the staff page: " + ", ".join(self.expired)
            )
        return said


def read_batch(streams: Any, info: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The records of one failed batch, as the mapping delivers them; None when the stream no
    longer has them."""
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
    except streams.exceptions.TrimmedDataAccessException:
        return None
    except streams.exceptions.ResourceNotFoundException:
        return None
    last = int(info["endSequenceNumber"])
    found: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        records = page.get("Records", [])
        for record in records:
            if int(record["dynamodb"]["SequenceNumber"]) > last:
                return found
            found.append({**record, "eventSourceARN": info["streamArn"]})
        if not records:
            break
        iterator = page.get("NextShardIterator")
    if not found or found[0]["dynamodb"]["SequenceNumber"] != info["startSequenceNumber"]:
        return None
    return found


def redrive(sqs: Any, streams: Any, queue_url: str, invoke: Invoke) -> Report:
    report = Report()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            return report
        for message in messages:
            info = json.loads(message["Body"]).get("DDBStreamBatchInfo")
            if info is None:
                continue
            name = f"{info['shardId']}:{info['startSequenceNumber']}-{info['endSequenceNumber']}"
            records = read_batch(streams, info)
            if records is None:
                report.expired.append(name)
                continue
            wanted = [r for r in records if mapping.wanted(r)]
            answer = invoke({"Records": wanted}) if wanted else {"batchItemFailures": []}
            if answer.get("batchItemFailures") or answer.get("errorMessage"):
                report.still_failing.append(name)
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.redriven += 1
            report.records += len(wanted)


def _event_json(value: Any) -> Any:
    """What GetRecords gives in Python types, as the event source mapping writes it in JSON:
    instants as epoch seconds, binary values base64-encoded."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot put {type(value).__name__} in an event")


def lambda_invoker(client: Any, function_name: str) -> Invoke:
    """Invoke the deployed function with a batch, synchronously, as the mapping does."""

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        sent = json.dumps(event, default=_event_json).encode()
        answer = client.invoke(FunctionName=function_name, Payload=sent)
        returned: dict[str, Any] = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            return {"errorMessage": answer["FunctionError"]}
        return returned

    return invoke


def main(argv: list[str] | None = None) -> int:
    from functions.deployed import stack

    session, outputs = stack(__doc__.splitlines()[0] if __doc__ else None, argv)
    report = redrive(
        session.client("sqs"),
        session.client("dynamodbstreams"),
        outputs["NotifyFailureQueueUrl"],
        lambda_invoker(session.client("lambda"), outputs["NotifyFunctionName"]),
    )
    for line in report.lines():
        print(line)
    return 1 if report.still_failing or report.expired else 0


if __name__ == "__main__":
    sys.exit(main())

"""`make migrate` (`python -m functions.store.migrate`): bring records written by an earlier
version up to the current one, once, after a deploy.

Two steps, each an index that records of an earlier version lack:
- the staff calendar's (`gsi3`, with the client's name it projects), for every appointment that
  still holds time, so the calendar shows it;
- the reminders' (`gsi4`), for every confirmed appointment, so it is reminded of. Such an
  appointment has no `confirmedAt`: its reminders are sent when due, as if it had been
  confirmed long before.

Each record is written conditionally on the version read (a record changed meanwhile was
written by the current code, which sets them itself). Each step reads the table once (a Scan,
which no request path ever makes) and is safe to run any number of times: a record already
migrated is left alone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.scheduling.lifecycle import CONFIRMED

from . import keys
from .table import error_code


@dataclass
class Report:
    index: str
    migrated: int = 0
    changed_meanwhile: int = 0

    def line(self) -> str:
        return (
            f"migrate: {self.migrated} appointments added to the {self.index} index"
            f" ({self.changed_meanwhile} changed meanwhile and already carry it)"
        )


def _each_appointment(
    client: Any,
    table: str,
    lacking: str,
    extra_filter: str,
    extra_values: dict[str, Any],
    extra_names: dict[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every appointment that lacks an index attribute (and matches `extra_filter`), with what a
    migration writes from."""
    args: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": f"begins_with(pk, :appt) AND sk = :sk AND attribute_not_exists({lacking})"
        f" AND {extra_filter}",
        "ExpressionAttributeValues": {":appt": {"S": "APPT#"}, ":sk": {"S": "APPT"}, **extra_values},
        "ProjectionExpression": "pk, sk, #start, id, #client, version",
        "ExpressionAttributeNames": {"#start": "start", "#client": "client", **(extra_names or {})},
    }
    while True:
        page = client.scan(**args)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _set(
    client: Any, table: str, report: Report, item: dict[str, Any], lacking: str, values: dict[str, Any]
) -> None:
    names = ", ".join(f"{name} = :{name}" for name in values)
    try:
        client.update_item(
            TableName=table,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression=f"SET {names}",
            ConditionExpression=f"version = :v AND attribute_not_exists({lacking})",
            ExpressionAttributeValues={**{f":{k}": v for k, v in values.items()}, ":v": item["version"]},
        )
        report.migrated += 1
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        report.changed_meanwhile += 1


def calendar_index(client: Any, table: str) -> Report:
    report = Report("staff calendar's")
    for item in _each_appointment(client, table, "gsi3pk", "attribute_exists(gsi2pk)", {}):
        name = item["client"]["M"]
        _set(
            client,
            table,
            report,
            item,
            "gsi3pk",
            {
                "gsi3pk": {"S": keys.CALENDAR},
                "gsi3sk": {"S": _sort(item)},
                "clientName": {"M": {"firstName": name["firstName"], "lastName": name["lastName"]}},
            },
        )
    return report


def reminder_index(client: Any, table: str) -> Report:
    report = Report("reminders'")
    confirmed = {f":c{n}": {"S": status} for n, status in enumerate(sorted(CONFIRMED))}
    status_filter = f"#status IN ({', '.join(confirmed)})"
    for item in _each_appointment(client, table, "gsi4pk", status_filter, confirmed, {"#status": "status"}):
        _set(
            client,
            table,
            report,
            item,
            "gsi4pk",
            {"gsi4pk": {"S": keys.REMIND}, "gsi4sk": {"S": _sort(item)}},
        )
    return report


def _sort(item: dict[str, Any]) -> str:
    return keys.calendar_sort(datetime.fromisoformat(item["start"]["S"]), item["id"]["S"])


def main(argv: list[str] | None = None) -> int:
    from functions.deployed import stack

    session, outputs = stack(__doc__.splitlines()[0] if __doc__ else None, argv)
    client = session.client("dynamodb")
    for step in (calendar_index, reminder_index):
        print(step(client, outputs["TableName"]).line())
    return 0


if __name__ == "__main__":
    sys.exit(main())

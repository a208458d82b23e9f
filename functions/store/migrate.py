"""`make migrate` (`python -m functions.store.migrate`): bring records written by an earlier
version up to the current one, once, after a deploy.

Today that is one step: appointments stored before the staff calendar existed have no entry in
its index (`gsi3`) nor the client's name it projects, so the calendar would not show them. Each
appointment that still holds time gets both, written conditionally on the version read (a record
changed meanwhile was written by the current code, which sets them itself). It reads the table
once (a Scan, which no request path ever makes) and is safe to run any number of times: a record
already migrated is left alone.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from . import keys
from .table import error_code

_PENDING = "begins_with(pk, :appt) AND sk = :sk AND attribute_exists(gsi2pk) AND attribute_not_exists(gsi3pk)"


@dataclass
class Report:
    migrated: int = 0
    changed_meanwhile: int = 0

    def line(self) -> str:
        return (
            f"migrate: {self.migrated} appointments added to the staff calendar's index"
            f" ({self.changed_meanwhile} changed meanwhile and already carry it)"
        )


def calendar_index(client: Any, table: str) -> Report:
    report = Report()
    args: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": _PENDING,
        "ExpressionAttributeValues": {":appt": {"S": "APPT#"}, ":sk": {"S": "APPT"}},
        "ProjectionExpression": "pk, sk, #s, id, client, version",
        "ExpressionAttributeNames": {"#s": "start"},
    }
    while True:
        page = client.scan(**args)
        for item in page.get("Items", []):
            name = item["client"]["M"]
            try:
                client.update_item(
                    TableName=table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET gsi3pk = :p, gsi3sk = :s, clientName = :n",
                    ConditionExpression="version = :v AND attribute_not_exists(gsi3pk)",
                    ExpressionAttributeValues={
                        ":p": {"S": keys.CALENDAR},
                        ":s": {"S": _sort(item)},
                        ":n": {"M": {"firstName": name["firstName"], "lastName": name["lastName"]}},
                        ":v": item["version"],
                    },
                )
                report.migrated += 1
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                report.changed_meanwhile += 1
        if "LastEvaluatedKey" not in page:
            return report
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _sort(item: dict[str, Any]) -> str:
    return keys.calendar_sort(datetime.fromisoformat(item["start"]["S"]), item["id"]["S"])


def main(argv: list[str] | None = None) -> int:
    from functions.deployed import stack

    session, outputs = stack(__doc__.splitlines()[0] if __doc__ else None, argv)
    print(calendar_index(session.client("dynamodb"), outputs["TableName"]).line())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""(v2) The waitlist's records: waiting entries, the tally of an address's waiting entries, the
times entries were emailed about (behind the links' tokens), and the daily count of an entry's
emails. Keys and indexes are in docs/data-model.md."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from functions.scheduling import claims
from functions.scheduling.config import MAX_DURATION_MINUTES, PracticeConfig
from functions.scheduling.slots import Busy
from functions.scheduling.waitlist import (
    EMAILED_PER_TIME,
    EMAILS_PER_DAY,
    MAX_WAITING,
    Candidate,
    WaitlistEntry,
    email_contact,
)

from . import keys
from .schema import GSI1, GSI2, GSI4, TTL_ATTRIBUTE
from .table import (
    WRITE_TOKEN,
    CommitFailed,
    Idempotency,
    Store,
    _epoch,
    _item,
    _plain,
    _record,
    error_code,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# A removed or expired entry stays this long as a tombstone without personal data, so that a
# retried removal finds it removed (and answers as the first did).
TOMBSTONE_RETENTION = timedelta(days=7)
# The notice behind a link is kept a day past the time it names.
NOTICE_RETENTION = timedelta(days=1)
# The daily count of an entry's emails outlives its day.
DAY_RETENTION = timedelta(days=3)
# What the stream consumer reads of a waiting entry: never the date of birth or phone.
_CANDIDATE_NAMES = {"#status": "status", "#client": "client", "#from": "fromDate", "#to": "toDate"}
_CANDIDATE_PROJECTION = (
    "pk, sk, id, #status, appointmentTypeId, clinicianId, #from, #to, createdAt, "
    "#client.firstName, #client.email"
)
PERSONAL = ("client", "comments", "clientId")


@dataclass(frozen=True)
class Notice:
    """A time one waiting entry was emailed about (the page behind the link shows it)."""

    entry_id: str
    clinician_id: str
    type_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Freed:
    """Time a change of one record stopped holding: its clinician and interval, the record's
    keys, and what it holds now (a reschedule moving away holds its new time)."""

    clinician_id: str
    start: datetime
    end: datetime
    record: tuple[str, str]
    now_holds: Busy | None
    # When the change was made (the stream record's ApproximateCreationDateTime), if known.
    at: datetime | None = None


def freed_by(change: Mapping[str, Any]) -> Freed | None:
    """The time a stream record freed: any record whose old image held time (a `BUSY` entry in
    gsi2) that the new image no longer holds, or holds elsewhere (a REMOVE too). Whatever the
    record is (an appointment, a pending reschedule, an offered time), the index entry says."""
    old = change.get("OldImage") or {}
    new = change.get("NewImage") or {}
    if old.get("gsi2pk", {}).get("S") != keys.BUSY or "gsi2sk" not in old:
        return None
    before = old["gsi2sk"]["S"]
    after = new.get("gsi2sk", {}).get("S") if new.get("gsi2pk", {}).get("S") == keys.BUSY else None
    if after == before:
        return None
    start, end, clinician_id = keys.parse_busy_sort(before)
    record = (change["Keys"]["pk"]["S"], change["Keys"]["sk"]["S"])
    holds = Busy(*_reorder(keys.parse_busy_sort(after))) if after else None
    return Freed(clinician_id, start, end, record, holds, _created(change.get("ApproximateCreationDateTime")))


def _created(value: Any) -> datetime | None:
    """A stream record's creation time: epoch seconds in a Lambda event, a datetime when read
    with boto3 (the local stack's pump)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, int | float | str) and str(value).replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(value), UTC)
    return None


def _reorder(parsed: tuple[datetime, datetime, str]) -> tuple[str, datetime, datetime]:
    start, end, clinician_id = parsed
    return clinician_id, start, end


@dataclass(frozen=True)
class Listed:
    entry: WaitlistEntry
    notified: int


class WaitlistStore:
    def __init__(self, store: Store):
        self.store = store
        self.client = store.client
        self.table = store.table

    # ---- joining and leaving ----------------------------------------------------------------------

    def join(self, entry: WaitlistEntry, token: str, idempotency: Idempotency | None, now: datetime) -> None:
        """Write a new entry, its address's tally +1 (refused past `MAX_WAITING`: CommitFailed
        "tally") and the answer for the Idempotency-Key, in one transaction."""
        anchor = keys.waitlist_entry(entry.id)
        tally = keys.tally(email_contact(entry.client.email))
        ops: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {**anchor, **_item({**_entry_item(entry, tally["pk"]["S"]), WRITE_TOKEN: token})},
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": tally,
                    "UpdateExpression": "ADD waiting :one",
                    "ConditionExpression": "attribute_not_exists(waiting) OR waiting < :limit",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": str(MAX_WAITING)}},
                }
            },
        ]
        parts = ["entry", "tally"]
        if idempotency is not None:
            ops.append(self.store._idempotency_put(idempotency, now))
            parts.append("idempotency")
        self.store._transact(ops, parts, token, anchor, idempotency.scope if idempotency else None, now)

    def entry_state(self, entry_id: str) -> dict[str, Any] | None:
        """An entry as stored, plain values (a tombstone too), or None."""
        item = self.store._get(keys.waitlist_entry(entry_id))
        return _plain(item) if item else None

    def remove(self, entry_id: str, tally_pk: str, token: str, now: datetime, why: str) -> bool:
        """Take a waiting entry off the waitlist (`why`: removed by staff, or expired): it leaves
        the indexes, its personal data is deleted, and its address's tally goes down by one, in
        one transaction. False when it was no longer waiting (removed meanwhile by someone else)."""
        anchor = keys.waitlist_entry(entry_id)
        ops: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": anchor,
                    "UpdateExpression": (
                        "SET #status = :why, #tok = :token, #ttl = :ttl, removedAt = :now "
                        "REMOVE gsi1pk, gsi1sk, gsi4pk, gsi4sk, " + ", ".join(PERSONAL)
                    ),
                    "ConditionExpression": "#status = :waiting",
                    "ExpressionAttributeNames": {
                        "#status": "status",
                        "#tok": WRITE_TOKEN,
                        "#ttl": TTL_ATTRIBUTE,
                    },
                    "ExpressionAttributeValues": {
                        ":why": {"S": why},
                        ":waiting": {"S": "waiting"},
                        ":token": {"S": token},
                        ":ttl": {"N": str(_epoch(now + TOMBSTONE_RETENTION))},
                        ":now": {"S": now.astimezone(UTC).isoformat()},
                    },
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": {"pk": {"S": tally_pk}, "sk": {"S": "TALLY"}},
                    "UpdateExpression": "ADD waiting :minus",
                    "ExpressionAttributeValues": {":minus": {"N": "-1"}},
                }
            },
        ]
        try:
            self.store._transact(ops, ["entry", "tally"], token, anchor, None, now)
        except CommitFailed:
            return False
        return True

    # ---- reading ----------------------------------------------------------------------------------

    def waiting(self) -> tuple[PracticeConfig, list[Listed]]:
        """The configuration and every waiting entry, oldest first: their keys from gsi4
        (`WAITEND`, keys only), then the entries with the configuration in consistent batch reads
        (100 keys a call)."""
        found = self._ends(None)
        items = self.store._batch_get([keys.config(), *found])
        config = self.store._config_from(items.pop((keys.CONFIG_PK, keys.CONFIG_SK), None))
        listed = [
            Listed(_record(WaitlistEntry, item), len(_plain(item).get("notices", ())))
            for item in items.values()
            if item.get("status", {}).get("S") == "waiting"
        ]
        return config, sorted(listed, key=lambda x: (x.entry.createdAt, x.entry.id))

    def ended_before(self, day: date) -> list[tuple[str, str]]:
        """(entry id, tally key) of every waiting entry whose last day is before `day`."""
        found = self._ends(day)
        if not found:
            return []
        items = self.store._batch_get(
            found, projection="pk, sk, id, #status, tally, toDate", names={"#status": "status"}
        )
        ended = []
        for item in items.values():
            plain = _plain(item)
            if plain.get("status") == "waiting" and date.fromisoformat(str(plain["toDate"])) < day:
                ended.append((str(plain["id"]), str(plain["tally"])))
        return sorted(ended)

    def _ends(self, before: date | None) -> list[keys.Key]:
        values: dict[str, Any] = {":p": {"S": keys.WAITEND}}
        condition = "gsi4pk = :p"
        if before is not None:
            condition += " AND gsi4sk < :before"
            values[":before"] = {"S": before.isoformat()}
        items = self.store._query(
            IndexName=GSI4, KeyConditionExpression=condition, ExpressionAttributeValues=values
        )
        return [{"pk": i["pk"], "sk": i["sk"]} for i in items]

    def candidates(self, type_id: str, clinician_id: str, first: date, last: date) -> Iterator[Candidate]:
        """Waiting entries of a type, oldest first, that may fit a time of this clinician from
        `first` to `last` (their clinician, when they named one, and their days), a page at a
        time: the caller stops reading once it has emailed enough."""
        args: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :p",
            "FilterExpression": (
                "#status = :waiting AND #from <= :last AND #to >= :first "
                "AND (attribute_not_exists(clinicianId) OR clinicianId = :c)"
            ),
            "ProjectionExpression": _CANDIDATE_PROJECTION,
            "ExpressionAttributeNames": _CANDIDATE_NAMES,
            "ExpressionAttributeValues": {
                ":p": {"S": keys.waitlist_by_type(type_id)},
                ":waiting": {"S": "waiting"},
                ":first": {"S": first.isoformat()},
                ":last": {"S": last.isoformat()},
                ":c": {"S": clinician_id},
            },
            "Limit": 50,
        }
        while True:
            page = self.store._call(self.client.query, **args)
            for item in page.get("Items", []):
                plain = _plain(item)
                client = plain.pop("client", {})
                yield Candidate.model_validate(
                    {
                        **{k: v for k, v in plain.items() if k in Candidate.model_fields},
                        "firstName": client.get("firstName", ""),
                        "email": client.get("email", ""),
                    }
                )
            if "LastEvaluatedKey" not in page:
                return
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def held(
        self, start: datetime, end: datetime, clinician_id: str, skip: tuple[str, str] | None
    ) -> list[Busy]:
        """The clinician's held intervals between two instants from gsi2 (keys only), but for the
        hold of the record `skip` (pk, sk): the one whose change freed the time, which the
        eventually consistent index may still show."""
        items = self.store._query(
            IndexName=GSI2,
            KeyConditionExpression="gsi2pk = :p AND gsi2sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":p": {"S": keys.BUSY},
                ":lo": {"S": keys.compact(start - timedelta(minutes=MAX_DURATION_MINUTES))},
                ":hi": {"S": keys.compact(end)},
            },
        )
        found = []
        for item in items:
            if skip is not None and (item["pk"]["S"], item["sk"]["S"]) == skip:
                continue
            held_start, held_end, held_by = keys.parse_busy_sort(item["gsi2sk"]["S"])
            if held_by == clinician_id and held_end > start and held_start < end:
                found.append(Busy(held_by, held_start, held_end))
        return found

    def claimed(self, clinician_id: str, start: datetime, end: datetime) -> set[datetime]:
        """The cells of the clinician between two grid instants that something holds, read
        consistently from the claim records themselves: what gsi2 may not show yet (a time an
        accepted offer or a request took a moment ago)."""
        found = self.store._batch_get(
            [keys.claim(clinician_id, cell) for cell in claims.cells(start, end)], projection="pk, sk"
        )
        return {keys.from_compact(pk.rsplit("#", 1)[1]) for pk, _ in found}

    # ---- emails about freed times -------------------------------------------------------------

    def count_email(
        self, entry_id: str, day: str, notice_key: str, opening: str, owner: str, now: datetime
    ) -> Literal["counted", "daily_limit", "time_full"]:
        """Count one email, in one transaction, against the entry's day (`EMAILS_PER_DAY`) and
        against the opening of its time (`opening`: the time and the second of the change that
        freed it; `EMAILED_PER_TIME` entries told, whichever of the change's stream records tells
        them). Idempotent: the same email counted again (a retry, whose answer was lost or not)
        finds itself in both sets and counts once."""
        expiry = {":ttl": {"N": str(_epoch(now + DAY_RETENTION))}}
        ops: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": keys.sent(f"waitday#{entry_id}#{day}"),
                    "UpdateExpression": "ADD notices :k SET #ttl = :ttl",
                    "ConditionExpression": (
                        "attribute_not_exists(notices) OR contains(notices, :n) OR size(notices) < :max"
                    ),
                    "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
                    "ExpressionAttributeValues": {
                        ":k": {"SS": [notice_key]},
                        ":n": {"S": notice_key},
                        ":max": {"N": str(EMAILS_PER_DAY)},
                        **expiry,
                    },
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": keys.sent(f"waittime#{opening}"),
                    "UpdateExpression": "ADD entries :e SET #ttl = :ttl",
                    "ConditionExpression": (
                        "attribute_not_exists(entries) OR contains(entries, :id) OR size(entries) < :max"
                    ),
                    "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
                    "ExpressionAttributeValues": {
                        ":e": {"SS": [entry_id]},
                        ":id": {"S": entry_id},
                        ":max": {"N": str(EMAILED_PER_TIME)},
                        **expiry,
                    },
                }
            },
        ]
        # One token per claim owner: the SDK's retry of this call sends the same items under it;
        # a later attempt (another owner, another TTL) is another transaction, and the sets'
        # conditions make it count once.
        token = hashlib.sha256(f"waitcount|{notice_key}|{opening}|{owner}".encode()).hexdigest()[:32]
        try:
            self.store._transact(ops, ["day", "time"], token, None, None, now)
        except CommitFailed as refused:
            return "daily_limit" if refused.part == "day" else "time_full"
        return "counted"

    def mark_notified(self, entry_id: str, notice_key: str) -> bool:
        """Record on a waiting entry that it is emailed about a time (staff see how many); False
        when it is no longer waiting. Idempotent (a set of notices)."""
        try:
            self.store._call(
                self.client.update_item,
                TableName=self.table,
                Key=keys.waitlist_entry(entry_id),
                UpdateExpression="ADD notices :k",
                ConditionExpression="#status = :waiting",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":k": {"SS": [notice_key]}, ":waiting": {"S": "waiting"}},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_notice(self, token_hash: str, notice: Notice) -> None:
        self.store._call(
            self.client.put_item,
            TableName=self.table,
            Item={
                **keys.waitlist_notice(token_hash),
                **_item(
                    {
                        "entryId": notice.entry_id,
                        "clinicianId": notice.clinician_id,
                        "appointmentTypeId": notice.type_id,
                        "start": notice.start.astimezone(UTC).isoformat(),
                        "end": notice.end.astimezone(UTC).isoformat(),
                        TTL_ATTRIBUTE: _epoch(notice.end + NOTICE_RETENTION),
                    }
                ),
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def config_and_notice(self, token_hash: str, now: datetime) -> tuple[PracticeConfig, Notice | None]:
        """The configuration and the notice behind a link, in one consistent batch read."""
        wanted = [keys.config(), keys.waitlist_notice(token_hash)]
        found = self.store._batch_get(wanted)
        config = self.store._config_from(found.get((keys.CONFIG_PK, keys.CONFIG_SK)))
        key = wanted[1]
        item = found.get((key["pk"]["S"], key["sk"]["S"]))
        if item is None:
            return config, None
        plain = _plain(item)
        if int(plain.get(TTL_ATTRIBUTE, 0)) < _epoch(now):
            return config, None  # TTL deletes late: an expired notice is gone
        return config, Notice(
            str(plain["entryId"]),
            str(plain["clinicianId"]),
            str(plain["appointmentTypeId"]),
            datetime.fromisoformat(str(plain["start"])),
            datetime.fromisoformat(str(plain["end"])),
        )


def _entry_item(entry: WaitlistEntry, tally_pk: str) -> dict[str, Any]:
    values: dict[str, Any] = {"type": "waitlist", **entry.model_dump(mode="json"), "tally": tally_pk}
    values.pop("notified", None)
    values["gsi1pk"] = keys.waitlist_by_type(entry.appointmentTypeId)
    values["gsi1sk"] = f"{values['createdAt']}#{entry.id}"
    values["gsi4pk"] = keys.WAITEND
    values["gsi4sk"] = keys.waitlist_end_sort(entry.toDate.isoformat(), entry.id)
    return values

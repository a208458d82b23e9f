"""Reads and transactional writes on the single table."""

from __future__ import annotations

import base64
import json
import marshal
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from functions.scheduling.config import MAX_DURATION_MINUTES, PracticeConfig
from functions.scheduling.errors import Conflict, Invalid, NotFound, Unavailable
from functions.scheduling.fast_slots import EPOCH
from functions.scheduling.lifecycle import (
    Appointment,
    CalendarEntry,
    Claim,
    ClientRecord,
    Confirmed,
    Plan,
    Request,
)
from functions.scheduling.offers import Acceptance, Offer
from functions.scheduling.slots import Busy

from . import keys
from .schema import CALENDAR_ATTRIBUTES, GSI1, GSI2, GSI3, GSI4, TTL_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
M = TypeVar("M", bound=BaseModel)

THROTTLED = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
    }
)
# Claims of past cells are of no use once the time has passed; TTL deletes them a day later.
CLAIM_RETENTION = timedelta(days=1)
IDEMPOTENCY_RETENTION = timedelta(hours=24)
# The configuration is one item (one consistent read gives every decision all of it); DynamoDB
# refuses items over 400 KB. Past this much JSON a change is refused (409) instead.
CONFIG_ROOM = 350_000
# Every write that can be retried carries the token of its attempt on the record it writes
# first; a retry whose conditions fail because its own earlier attempt was applied (its answer
# lost) finds its token there and reports success instead of a false conflict.
WRITE_TOKEN = "writeToken"  # noqa: S105 - an attribute name


@dataclass(frozen=True)
class Idempotency:
    """The first successful answer to a POST with an Idempotency-Key, kept for 24 hours."""

    scope: str
    body_hash: str
    status_code: int
    body: str


@dataclass
class Snapshot:
    config: PracticeConfig
    appointment: Appointment | None = None
    request: Request | None = None
    client_id: str | None = None
    client: ClientRecord | None = None
    idempotency: Idempotency | None = None
    offer: Offer | None = None


class CommitFailed(Exception):
    """A transaction was refused. `part` names what failed: "idempotency" (another call with the
    same key won; `existing` holds its answer), "claim", "tally" (a contact has as many pending
    requests as allowed), "appointment" or "request"."""

    def __init__(self, part: str, existing: Idempotency | None = None):
        super().__init__(part)
        self.part = part
        self.existing = existing


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _record(model: type[M], item: Mapping[str, Any]) -> M:
    data = _plain(item)
    return model.model_validate({k: v for k, v in data.items() if k in model.model_fields})


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _throttled(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in THROTTLED


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def call(method: Callable[..., Any], **args: Any) -> Any:
    """One DynamoDB call; throttling that outlasts the SDK's retries is `Unavailable` (a 503)."""
    try:
        return method(**args)
    except ClientError as exc:
        if _throttled(exc):
            raise Unavailable() from exc
        raise


def old_item(exc: ClientError) -> dict[str, Any] | None:
    """The item a refused conditional write returned (ReturnValuesOnConditionCheckFailure)."""
    item: Any = exc.response.get("Item")
    return item if isinstance(item, dict) else None


def _written_by(item: Mapping[str, Any] | None, token: str) -> bool:
    return bool(item) and item.get(WRITE_TOKEN, {}).get("S") == token  # type: ignore[union-attr]


class Store:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self.client = client
        self.table = table_name
        # The configuration item last parsed (as bytes), and what it parsed to (see _config_from).
        self._parsed: tuple[bytes, PracticeConfig] | None = None

    # ---- reads -------------------------------------------------------------------------------

    def config(self) -> PracticeConfig:
        return self._config_from(self._get(keys.config()))

    def read(
        self,
        *,
        appointment_id: str | None = None,
        request_id: str | None = None,
        user_sub: str | None = None,
        client_id: str | None = None,
        idempotency_scope: str | None = None,
        offer_id: str | None = None,
        now: datetime | None = None,
    ) -> Snapshot:
        """The configuration and whatever else a decision needs, in one consistent batch read."""
        wanted: dict[str, keys.Key] = {"config": keys.config()}
        if appointment_id is not None:
            wanted["appointment"] = keys.appointment(appointment_id)
            if request_id is not None:
                wanted["request"] = keys.request(appointment_id, request_id)
        if user_sub is not None:
            wanted["user"] = keys.user(user_sub)
        if client_id is not None:
            wanted["client"] = keys.client(client_id)
        if idempotency_scope is not None:
            wanted["idempotency"] = keys.idempotency(idempotency_scope)
        if offer_id is not None:
            wanted["offer"] = keys.offer(offer_id)
        found = self._batch_get(list(wanted.values()))

        def get(name: str) -> dict[str, Any] | None:
            key = wanted.get(name)
            return found.get((key["pk"]["S"], key["sk"]["S"])) if key else None

        snapshot = Snapshot(config=self._config_from(get("config")))
        if (item := get("appointment")) is not None:
            snapshot.appointment = _record(Appointment, item)
        if (item := get("request")) is not None:
            snapshot.request = _record(Request, item)
        if (item := get("user")) is not None:
            snapshot.client_id = item["clientId"]["S"]
        if (item := get("client")) is not None:
            snapshot.client = _record(ClientRecord, item)
        if (item := get("offer")) is not None:
            snapshot.offer = _record(Offer, item)
        if (item := get("idempotency")) is not None and idempotency_scope is not None:
            snapshot.idempotency = self._idempotency_from(idempotency_scope, item, now or datetime.now(UTC))
        return snapshot

    def client_record(self, client_id: str) -> ClientRecord | None:
        item = self._get(keys.client(client_id))
        return _record(ClientRecord, item) if item else None

    def busy(
        self, start: datetime, end: datetime, clinician_ids: Collection[str] | None = None
    ) -> list[Busy]:
        """Every interval held between two instants, from the keys-only index: for all clinicians,
        or only those of `clinician_ids` (the others' holds are not parsed)."""
        found = []
        for item in self._busy_items(start, end):
            sort = item["gsi2sk"]["S"]
            if clinician_ids is not None and sort.split("#", 2)[2] not in clinician_ids:
                continue
            held_start, held_end, clinician_id = keys.parse_busy_sort(sort)
            if held_end > start and held_start < end:
                found.append(Busy(clinician_id, held_start, held_end))
        return found

    def held(
        self, start: datetime, end: datetime, clinician_ids: Collection[str]
    ) -> dict[str, list[tuple[int, int]]]:
        """What `busy` reads, in seconds since the epoch per clinician: the same single Query,
        each hold parsed into two integers (availability's fast path takes them so)."""
        low = (start - EPOCH) // timedelta(seconds=1)  # held_end > start, in whole seconds
        high = -((EPOCH - end) // timedelta(seconds=1))  # held_start < end
        found: dict[str, list[tuple[int, int]]] = {c: [] for c in clinician_ids}
        for first, last, clinician_id in keys.busy_spans(
            [i["gsi2sk"]["S"] for i in self._busy_items(start, end)]
        ):
            spans = found.get(clinician_id)
            if spans is not None and last > low and first < high:
                spans.append((first, last))
        return found

    def _busy_items(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        low = keys.compact(start - timedelta(minutes=MAX_DURATION_MINUTES))
        return self._query(
            IndexName=GSI2,
            KeyConditionExpression="gsi2pk = :p AND gsi2sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":p": {"S": keys.BUSY},
                ":lo": {"S": low},
                ":hi": {"S": keys.compact(end)},
            },
            ProjectionExpression="gsi2sk",
        )

    def calendar(
        self, start: datetime, end: datetime, clinician_id: str | None = None
    ) -> list[CalendarEntry]:
        """Appointments that hold time between two instants, by start, from the calendar index:
        one query (paged past 1 MB), whatever the number of appointments stored elsewhere."""
        args: dict[str, Any] = {
            "IndexName": GSI3,
            "KeyConditionExpression": "gsi3pk = :p AND gsi3sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":p": {"S": keys.CALENDAR},
                ":lo": {"S": keys.compact(start - timedelta(minutes=MAX_DURATION_MINUTES))},
                # Every appointment starting before `end`: "#" sorts after the compact time.
                ":hi": {"S": keys.compact(end)},
            },
            "ProjectionExpression": _CALENDAR_PROJECTION,
            "ExpressionAttributeNames": _CALENDAR_NAMES,
        }
        if clinician_id is not None:
            args["FilterExpression"] = "clinicianId = :c"
            args["ExpressionAttributeValues"][":c"] = {"S": clinician_id}
        entries = [_record(CalendarEntry, item) for item in self._query(**args)]
        return [e for e in entries if e.end > start and e.start < end]

    def confirmed_starting(self, windows: Sequence[tuple[datetime, datetime]]) -> list[Confirmed]:
        """Confirmed appointments starting inside any of the windows (both ends included): one
        Query of the reminder index per window, keys only, then the appointments themselves in
        consistent batch reads, so one cancelled or moved a moment ago is seen as it is now."""
        wanted: dict[str, keys.Key] = {}
        for low, high in windows:
            items = self._query(
                IndexName=GSI4,
                KeyConditionExpression="gsi4pk = :p AND gsi4sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":p": {"S": keys.REMIND},
                    ":lo": {"S": keys.compact(low)},
                    # Every appointment starting in the minute of `high`: "#" sorts after the time.
                    ":hi": {"S": keys.compact(high) + "$"},
                },
            )
            for item in items:
                wanted[item["pk"]["S"]] = {"pk": item["pk"], "sk": item["sk"]}
        if not wanted:
            return []
        found = self._batch_get(list(wanted.values()), projection=_REMINDER_PROJECTION, names=_REMINDER_NAMES)
        appointments = [_record(Confirmed, item) for item in found.values()]
        return sorted(
            (a for a in appointments if any(low <= a.start <= high for low, high in windows)),
            key=lambda a: (a.start, a.id),
        )

    def client_appointments(self, client_id: str, ending_after: datetime) -> list[Appointment]:
        low = keys.compact(ending_after - timedelta(minutes=MAX_DURATION_MINUTES))
        items = self._query(
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :p AND gsi1sk >= :lo",
            ExpressionAttributeValues={":p": {"S": keys.client_appointments(client_id)}, ":lo": {"S": low}},
        )
        appointments = [_record(Appointment, item) for item in items]
        return [a for a in appointments if a.end > ending_after]

    def requests(
        self, status: str, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Request, dict[str, str] | None]], str | None]:
        """Requests in one status, oldest first, a page at a time, each with the delivery status
        of its latest email."""
        args: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": {"S": keys.requests_by_status(status)}},
            "Limit": limit,
        }
        if cursor:
            args["ExclusiveStartKey"] = _decode_cursor(cursor, status)
        page = self._call(self.client.query, **args)
        last = page.get("LastEvaluatedKey")
        found = [(_record(Request, i), _notification(i)) for i in page.get("Items", [])]
        return found, _encode_cursor(last) if last else None

    def clients(self) -> list[ClientRecord]:
        items = self._query(
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": keys.CLIENTS}},
        )
        return [_record(ClientRecord, item) for item in items]

    def config_and_requests(
        self, wanted: Sequence[tuple[str, str]]
    ) -> tuple[PracticeConfig, dict[tuple[str, str], Request | None]]:
        """The configuration and requests by (appointment id, request id), in as few consistent
        batch reads as DynamoDB allows (100 keys each); a request not stored maps to None."""
        unique = list(dict.fromkeys(wanted))
        found = self._batch_get([keys.config(), *(keys.request(a, r) for a, r in unique)])
        config = self._config_from(found.get((keys.CONFIG_PK, keys.CONFIG_SK)))
        requests: dict[tuple[str, str], Request | None] = {}
        for appointment_id, request_id in unique:
            key = keys.request(appointment_id, request_id)
            item = found.get((key["pk"]["S"], key["sk"]["S"]))
            requests[(appointment_id, request_id)] = _record(Request, item) if item else None
        return config, requests

    def request_of(self, request_id: str, appointment_id: str) -> Request | None:
        item = self._get(keys.request(appointment_id, request_id))
        return _record(Request, item) if item else None

    # ---- writes ------------------------------------------------------------------------------

    def commit(self, plan: Plan, now: datetime, token: str, idempotency: Idempotency | None = None) -> None:
        """Write a transition atomically: both records with their expected versions, every claim
        taken and released, and the idempotency record. `token` names this attempt: the SDK's
        retries of it are the same transaction (ClientRequestToken), and a retry refused because
        the attempt was applied after all is a success, not a conflict."""
        appointment_id = plan.appointment.id
        parts: list[str] = []
        ops: list[TransactWriteItemTypeDef] = []

        def add(part: str, op: TransactWriteItemTypeDef) -> None:
            parts.append(part)
            ops.append(op)

        anchor = keys.appointment(appointment_id)
        add(
            "appointment",
            self._versioned(
                anchor,
                {**_appointment_item(plan.appointment), WRITE_TOKEN: token},
                plan.appointment_version,
                return_old=True,
            ),
        )
        add(
            "request",
            self._versioned(
                keys.request(appointment_id, plan.request.id),
                _request_item(plan.request),
                plan.request_version,
            ),
        )
        for claim in plan.claim:
            add("claim", self._claim_put(claim, appointment_id))
        for claim in plan.release:
            add("release", self._claim_release(claim, appointment_id))
        if plan.offer is not None:
            add("offer", self._put_new(_offer_item(plan.offer)))
            for n, time in enumerate(plan.offer.times):
                item = keys.offer_time(plan.offer.id, n) | _item(
                    {
                        "type": "offered_time",
                        "gsi2pk": keys.BUSY,
                        "gsi2sk": keys.busy_sort(time.start, time.end, time.clinicianId),
                    }
                )
                add("offer", self._put_new(item))
        for tally in plan.tallies:
            update: Any = {
                "TableName": self.table,
                "Key": keys.tally(tally.contact),
                "UpdateExpression": "ADD pending :change",
                "ExpressionAttributeValues": {":change": {"N": str(tally.change)}},
            }
            if tally.limit is not None:
                update["ConditionExpression"] = "attribute_not_exists(pending) OR pending < :limit"
                update["ExpressionAttributeValues"][":limit"] = {"N": str(tally.limit)}
            add("tally", {"Update": update})
        if idempotency is not None:
            add("idempotency", self._idempotency_put(idempotency, now))
        self._transact(ops, parts, token, anchor, idempotency.scope if idempotency else None, now)

    def _put_new(self, item: dict[str, Any]) -> TransactWriteItemTypeDef:
        return {
            "Put": {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def _claim_put(self, claim: Claim, appointment_id: str) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self.table,
                "Item": {
                    **keys.claim(claim.clinician_id, claim.cell),
                    **_item(
                        {
                            "appointmentId": claim.owner or appointment_id,
                            "clinicianId": claim.clinician_id,
                            TTL_ATTRIBUTE: _epoch(claim.cell + CLAIM_RETENTION),
                        }
                    ),
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _claim_release(self, claim: Claim, appointment_id: str) -> TransactWriteItemTypeDef:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": keys.claim(claim.clinician_id, claim.cell),
                # A claim TTL already removed is released too.
                "ConditionExpression": "attribute_not_exists(pk) OR appointmentId = :a",
                "ExpressionAttributeValues": {":a": {"S": claim.owner or appointment_id}},
            }
        }

    def offer(self, offer_id: str) -> Offer | None:
        item = self._get(keys.offer(offer_id))
        return _record(Offer, item) if item else None

    def accept_offer(
        self, acceptance: Acceptance, now: datetime, token: str, idempotency: Idempotency | None = None
    ) -> None:
        """Accepting an offer, atomically: the offer (still at the version read, so an expiry or
        another acceptance in between refuses it), the appointment and its approved request, the
        offered times out of the held-time index, and the cells of the times not chosen released."""
        offer = acceptance.offer
        anchor = keys.offer(offer.id)
        parts = ["offer", "appointment", "request"]
        ops: list[TransactWriteItemTypeDef] = [
            self._versioned(
                anchor,
                {**_offer_values(offer), WRITE_TOKEN: token},
                acceptance.offer_version,
                return_old=True,
            ),
            self._versioned(
                keys.appointment(acceptance.appointment.id), _appointment_item(acceptance.appointment), None
            ),
            self._versioned(
                keys.request(acceptance.appointment.id, acceptance.request.id),
                _request_item(acceptance.request),
                None,
            ),
        ]
        for n in range(len(offer.times)):
            parts.append("offer")
            ops.append({"Delete": {"TableName": self.table, "Key": keys.offer_time(offer.id, n)}})
        for claim in acceptance.release:
            parts.append("release")
            ops.append(self._claim_release(claim, acceptance.appointment.id))
        if idempotency is not None:
            parts.append("idempotency")
            ops.append(self._idempotency_put(idempotency, now))
        self._transact(ops, parts, token, anchor, idempotency.scope if idempotency else None, now)

    def expire_offer(
        self, offer: Offer, version: int, release: list[Claim], token: str, now: datetime
    ) -> None:
        """An offer nobody accepted in time: expired (at the version read: an acceptance in
        between wins), its times out of the held-time index, every held cell released."""
        anchor = keys.offer(offer.id)
        ops: list[TransactWriteItemTypeDef] = [
            self._versioned(anchor, {**_offer_values(offer), WRITE_TOKEN: token}, version, return_old=True)
        ]
        parts = ["offer"]
        for n in range(len(offer.times)):
            parts.append("offer")
            ops.append({"Delete": {"TableName": self.table, "Key": keys.offer_time(offer.id, n)}})
        for claim in release:
            parts.append("release")
            ops.append(self._claim_release(claim, offer.appointmentId))
        self._transact(ops, parts, token, anchor, None, now)

    def open_offers_ending(self, until: datetime) -> list[Offer]:
        """Open offers whose time ended by `until`: the open-offer entries of the keys-only index
        up to that instant, then the offers themselves (consistent batch reads)."""
        items = self._query(
            IndexName=GSI4,
            KeyConditionExpression="gsi4pk = :p AND gsi4sk <= :hi",
            ExpressionAttributeValues={
                ":p": {"S": keys.OPEN_OFFERS},
                ":hi": {"S": keys.compact(until) + "$"},
            },
        )
        if not items:
            return []
        found = self._batch_get([{"pk": i["pk"], "sk": i["sk"]} for i in items])
        offers = [_record(Offer, item) for item in found.values()]
        return sorted(
            (o for o in offers if o.status == "open" and o.expiresAt <= until), key=lambda o: o.expiresAt
        )

    def remember(self, idempotency: Idempotency, now: datetime, token: str) -> Idempotency | None:
        """Store an answer outside a transition; returns the earlier answer if another call won
        (or this call's own answer, when a retry finds what its lost first attempt wrote)."""
        try:
            self._transact(
                [self._idempotency_put(idempotency, now)],
                ["idempotency"],
                token,
                None,
                idempotency.scope,
                now,
            )
        except CommitFailed as failed:
            return failed.existing
        return None

    def update_config(
        self, change: Callable[[PracticeConfig], PracticeConfig], token: str | None = None
    ) -> PracticeConfig:
        """Apply a change to the configuration, optimistically: a concurrent change is re-read and
        the change applied again, so no edit is lost. A retried write that finds its own token
        was applied after all, and is not applied a second time."""
        token = token or uuid.uuid4().hex
        updated: PracticeConfig | None = None
        for _ in range(5):
            item = self._get(keys.config())
            if updated is not None and _written_by(item, token):
                return updated
            version = int(item["version"]["N"]) if item else 0
            updated = change(self._config_from(item))
            values = {**updated.model_dump(mode="json"), "version": version + 1, WRITE_TOKEN: token}
            if len(json.dumps(values)) > CONFIG_ROOM:
                raise Conflict(
                    "configuration_full",
                    "The practice's configuration has no room for this change. "
                    "Remove time off or clinicians that are no longer needed.",
                )
            condition = "attribute_not_exists(pk)" if item is None else "version = :v"
            args: dict[str, Any] = {
                "TableName": self.table,
                "Item": {**keys.config(), **_item(values)},
                "ConditionExpression": condition,
            }
            if item is not None:
                args["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
            try:
                self._call(self.client.put_item, **args)
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    continue
                raise
            return updated
        raise Unavailable()

    def create_client(self, record: ClientRecord, token: str | None = None) -> bool:
        """Add a client; False when a client with this id exists already (and was not written by
        this call's own earlier attempt)."""
        token = token or uuid.uuid4().hex
        try:
            self._call(
                self.client.put_item,
                TableName=self.table,
                Item={**keys.client(record.id), **_item({**_client_item(record), WRITE_TOKEN: token})},
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return _written_by(old_item(exc), token)
            raise
        return True

    def add_client(
        self, record: ClientRecord, token: str, idempotency: Idempotency | None, now: datetime
    ) -> None:
        """Add a new client together with the answer kept for its Idempotency-Key, in one
        transaction: a retry with the key finds the answer (CommitFailed "idempotency"), and no
        record id is ever derived from a caller's key."""
        anchor = keys.client(record.id)
        ops: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {**anchor, **_item({**_client_item(record), WRITE_TOKEN: token})},
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        ]
        parts = ["client"]
        if idempotency is not None:
            ops.append(self._idempotency_put(idempotency, now))
            parts.append("idempotency")
        self._transact(ops, parts, token, anchor, idempotency.scope if idempotency else None, now)

    def link_user(self, record: ClientRecord, sub: str, token: str | None = None) -> ClientRecord:
        """Link a portal account to a client, both records in one transaction."""
        token = token or uuid.uuid4().hex
        linked = record.model_copy(update={"userSub": sub, "version": record.version + 1})
        anchor = keys.client(record.id)
        ops: list[TransactWriteItemTypeDef] = [
            self._versioned(
                anchor, {**_client_item(linked), WRITE_TOKEN: token}, record.version, return_old=True
            ),
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {**keys.user(sub), **_item({"clientId": record.id})},
                    "ConditionExpression": "attribute_not_exists(pk) OR clientId = :c",
                    "ExpressionAttributeValues": {":c": {"S": record.id}},
                }
            },
        ]
        try:
            self._transact(ops, ["client", "user"], token, anchor, None, datetime.now(UTC))
        except CommitFailed as failed:
            raise Conflict(
                "account_already_linked", "This account is already linked to a client."
            ) from failed
        return linked

    def resend(self, appointment_id: str, request_id: str, token: str, now: datetime) -> dict[str, str]:
        """Queue a failed email of a request to be sent again: its notification becomes `queued`
        and its `resends` count grows, a change the notify function sends once (NotFound, or
        Conflict unless its latest email failed)."""
        try:
            answer = self._call(
                self.client.update_item,
                TableName=self.table,
                Key=keys.request(appointment_id, request_id),
                UpdateExpression=(
                    "SET notification.#st = :queued, notification.#at = :now, #tok = :token "
                    "REMOVE notification.detail ADD resends :one"
                ),
                ConditionExpression="attribute_exists(pk) AND notification.#st = :failed",
                ExpressionAttributeNames={"#st": "status", "#at": "at", "#tok": WRITE_TOKEN},
                ExpressionAttributeValues={
                    ":queued": {"S": "queued"},
                    ":failed": {"S": "failed"},
                    ":now": {"S": now.astimezone(UTC).isoformat()},
                    ":token": {"S": token},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            item = answer["Attributes"]
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            item = old_item(exc) or self._get(keys.request(appointment_id, request_id)) or {}
            if not item:
                raise NotFound("request_not_found", "There is no such request.") from exc
            if not _written_by(item, token):
                raise Conflict(
                    "notification_not_failed", "Only an email that could not be sent can be sent again."
                ) from exc
        return _notification(item) or {}

    # ---- plumbing ----------------------------------------------------------------------------

    def _versioned(
        self, key: keys.Key, values: dict[str, Any], expected: int | None, *, return_old: bool = False
    ) -> TransactWriteItemTypeDef:
        """An Update that sets every attribute of a record, removes its absent optional ones and
        keeps attributes other writers own (the notify function's delivery status)."""
        names: dict[str, str] = {}
        exprs: dict[str, Any] = {}
        sets, removes = [], []
        for i, (name, value) in enumerate(values.items()):
            if name in ("pk", "sk"):
                continue
            names[f"#a{i}"] = name
            if value is None:
                removes.append(f"#a{i}")
            else:
                exprs[f":v{i}"] = _serializer.serialize(value)
                sets.append(f"#a{i} = :v{i}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        if expected is None:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "#version = :expected"
            names["#version"] = "version"
            exprs[":expected"] = {"N": str(expected)}
        update: Any = {
            "TableName": self.table,
            "Key": key,
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": exprs,
        }
        if return_old:
            update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"Update": update}

    def _idempotency_put(self, record: Idempotency, now: datetime) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self.table,
                "Item": {
                    **keys.idempotency(record.scope),
                    **_item(
                        {
                            "bodyHash": record.body_hash,
                            "statusCode": record.status_code,
                            "body": record.body,
                            TTL_ATTRIBUTE: _epoch(now + IDEMPOTENCY_RETENTION),
                        }
                    ),
                },
                # TTL deletes expired items late; an expired record does not count.
                "ConditionExpression": "attribute_not_exists(pk) OR #ttl < :now",
                "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
                "ExpressionAttributeValues": {":now": {"N": str(_epoch(now))}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _transact(
        self,
        ops: list[TransactWriteItemTypeDef],
        parts: Sequence[str],
        token: str,
        anchor: keys.Key | None,
        scope: str | None,
        now: datetime,
    ) -> None:
        """One transaction under `token`. The SDK retries an attempt whose answer was lost with the
        same ClientRequestToken, which DynamoDB answers with success for 10 minutes. Where the
        token is not honoured (past its window, or on moto), a retry fails its own conditions:
        the anchor record (written first, with ReturnValuesOnConditionCheckFailure) then carries
        this token, and the transaction is reported as applied."""
        try:
            self.client.transact_write_items(TransactItems=ops, ClientRequestToken=token)
        except ClientError as exc:
            code = error_code(exc)
            if code != "TransactionCanceledException":
                if _throttled(exc):
                    raise Unavailable() from exc
                raise
            reasons = exc.response.get("CancellationReasons", [])
            failed = [
                (parts[i], r) for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"
            ]
            if not failed:
                # Conflicting transactions in flight or throttling: nothing was written; retry soon.
                raise Unavailable() from exc
            if anchor is not None and reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                # Only an applied attempt (or another writer) makes the anchor's own condition fail.
                held = reasons[0].get("Item")
                if _written_by(held if held is not None else self._get(anchor), token):
                    return
            for part, reason in failed:
                if part == "idempotency":
                    existing = None
                    if scope is not None:
                        item = reason.get("Item") or self._get(keys.idempotency(scope))
                        existing = self._idempotency_from(scope, item, now) if item else None
                    raise CommitFailed(part, existing) from exc
            raise CommitFailed(failed[0][0]) from exc

    def _idempotency_from(self, scope: str, item: Mapping[str, Any], now: datetime) -> Idempotency | None:
        data = _plain(item)
        if int(data.get(TTL_ATTRIBUTE, 0)) < _epoch(now):
            return None
        return Idempotency(scope, str(data["bodyHash"]), int(data["statusCode"]), str(data["body"]))

    def _config_from(self, item: dict[str, Any] | None) -> PracticeConfig:
        """The configuration of an item read. It is read on every call (a change made by staff
        applies at once) but parsed only when it differs from the item parsed last: comparing
        the raw items costs a fraction of validating one (docs/performance.md). They are
        compared as bytes (marshal's, without references, so equal items in the same order give
        equal bytes): the earlier item is then one block of memory to read, not hundreds of
        objects left wherever they were made; items in another order only cost a parse."""
        if not item:
            return PracticeConfig()
        raw = marshal.dumps(item, 2)
        parsed = self._parsed  # once: another thread of the local server may replace it
        if parsed is not None and parsed[0] == raw:
            return parsed[1]
        config = _record(PracticeConfig, item)
        self._parsed = (raw, config)
        return config

    def _get(self, key: keys.Key) -> dict[str, Any] | None:
        response = self._call(self.client.get_item, TableName=self.table, Key=key, ConsistentRead=True)
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _batch_get(
        self, wanted: list[keys.Key], projection: str | None = None, names: Mapping[str, str] | None = None
    ) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self.table: {"Keys": wanted[start : start + 100], "ConsistentRead": True}
            }
            if projection is not None:
                request[self.table]["ProjectionExpression"] = projection
            if names:
                # Never an empty map: DynamoDB refuses one (moto does not).
                request[self.table]["ExpressionAttributeNames"] = dict(names)
            while request:
                response = self._call(self.client.batch_get_item, RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    found[(item["pk"]["S"], item["sk"]["S"])] = item
                request = response.get("UnprocessedKeys") or {}
        return found

    def _query(self, **args: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self._call(self.client.query, TableName=self.table, **args)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    _call = staticmethod(call)


# What the calendar's Query reads: the index's projected attributes, by placeholder (several of
# them, such as status and end, are reserved words).
_CALENDAR_NAMES = {f"#{i}": name for i, name in enumerate(CALENDAR_ATTRIBUTES)}
_CALENDAR_PROJECTION = ", ".join(_CALENDAR_NAMES)
# What the reminder job reads of an appointment: never the client's date of birth or phone.
# Placeholders for the names DynamoDB reserves.
_REMINDER_NAMES = {"#status": "status", "#start": "start", "#end": "end", "#client": "client"}
_REMINDER_PROJECTION = (
    "pk, sk, id, #status, clinicianId, #start, #end, #client.firstName, #client.email, confirmedAt"
)


def _appointment_item(a: Appointment) -> dict[str, Any]:
    values: dict[str, Any] = {"type": "appointment", **a.model_dump(mode="json")}
    values["gsi1pk"] = keys.client_appointments(a.clientId) if a.clientId else None
    values["gsi1sk"] = f"{keys.compact(a.start)}#{a.id}" if a.clientId else None
    values["gsi2pk"] = keys.BUSY if a.holds_time else None
    values["gsi2sk"] = keys.busy_sort(a.start, a.end, a.clinicianId) if a.holds_time else None
    # The staff calendar's index, with the client's name for its blocks.
    values["clientName"] = {"firstName": a.client.firstName, "lastName": a.client.lastName}
    values["gsi3pk"] = keys.CALENDAR if a.holds_time else None
    values["gsi3sk"] = keys.calendar_sort(a.start, a.id) if a.holds_time else None
    # The reminder index: only while the appointment is confirmed, at its current time, so the
    # transaction that confirms, moves or cancels it also moves or removes its reminders.
    values["gsi4pk"] = keys.REMIND if a.is_confirmed else None
    values["gsi4sk"] = keys.calendar_sort(a.start, a.id) if a.is_confirmed else None
    return values


def _offer_values(o: Offer) -> dict[str, Any]:
    values: dict[str, Any] = {"type": "offer", **o.model_dump(mode="json")}
    # Open offers by the end of their hold, for the scheduled job that frees expired ones.
    values["gsi4pk"] = keys.OPEN_OFFERS if o.status == "open" else None
    values["gsi4sk"] = f"{keys.compact(o.expiresAt)}#{o.id}" if o.status == "open" else None
    return values


def _offer_item(o: Offer) -> dict[str, Any]:
    return keys.offer(o.id) | _item(_offer_values(o))


def _request_item(r: Request) -> dict[str, Any]:
    values: dict[str, Any] = {"type": "request", **r.model_dump(mode="json")}
    # Staff's own changes are not requests anyone reviews: they stay out of the queue's lists.
    reviewed = r.madeBy == "portal"
    values["gsi1pk"] = keys.requests_by_status(r.status) if reviewed else None
    values["gsi1sk"] = f"{values['createdAt']}#{r.id}" if reviewed else None
    values["gsi2pk"] = keys.BUSY if r.holds_time else None
    values["gsi2sk"] = keys.busy_sort(r.start, r.end, r.clinicianId) if r.holds_time else None
    return values


def _client_item(c: ClientRecord) -> dict[str, Any]:
    values: dict[str, Any] = {"type": "client", **c.model_dump(mode="json")}
    return {**values, "gsi1pk": keys.CLIENTS, "gsi1sk": f"{keys.compact(c.createdAt)}#{c.id}"}


def _notification(item: Mapping[str, Any]) -> dict[str, str] | None:
    value = item.get("notification")
    if not value:
        return None
    data = _deserializer.deserialize(value)
    return {k: str(v) for k, v in data.items() if k in ("status", "detail", "notice")}


def _encode_cursor(key: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


_CURSOR_KEYS = {"pk", "sk", "gsi1pk", "gsi1sk"}


def _decode_cursor(cursor: str, status: str) -> dict[str, Any]:
    """A page cursor handed out for this status: exactly the index's and table's keys, as strings."""
    invalid = Invalid("invalid_cursor", "The page cursor is not valid.", "cursor")
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as exc:
        raise invalid from exc
    if (
        not isinstance(key, dict)
        or set(key) != _CURSOR_KEYS
        or not all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
        or key["gsi1pk"]["S"] != keys.requests_by_status(status)
    ):
        raise invalid
    return key

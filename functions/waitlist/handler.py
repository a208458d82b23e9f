"""The waitlist function: DynamoDB stream records in, "a time has opened up" emails out.

A record frees time when its old image held some (a `BUSY` entry in gsi2) that its new image no
longer holds there: a cancellation approved or made by staff, a denial, a reschedule moving
away, an offer expiring or accepted. For each such record:

1. **What opened**: the times availability offers now (working hours, time off, notice, horizon,
   the slot grid, every other hold) that overlap the freed interval, for each type the clinician
   offers; the holds are read from gsi2 without the record's own old hold (the index may lag
   behind the table) and with what the record holds now; then a consistent read of those times'
   claim records drops a time taken a moment ago that the index does not show yet.
2. **Who is told**: per time, the oldest waiting entries of that type (a Query of gsi1
   `WAITLIST#<type>`, never a Scan) whose clinician (when they named one) and days fit, up to
   `EMAILED_PER_TIME`; an entry is told of one time per freed interval.
3. **Exactly once**: each email (entry and time) is claimed on the ledger before it is sent, as
   notify does (`functions/store/ledger.py`); a redelivered record finds it done (and counts
   it told, so it tells the same entries), another freeing of the same time finds it done by
   someone else (the entry is not told twice; the next one is told instead). An entry's emails
   are counted per day of the practice (`SENT#waitday#<entry>#<day>`, a set of the emails, so
   a retry counts once): past `EMAILS_PER_DAY` the claim is dropped, not settled (the entry may
   hear of the time on another day), and the next entry is told instead.
4. **The link**: a random secret of 192 bits; only its SHA-256 is stored (with the time), so a
   read of the table gives nobody a working link.

Failures follow notify's rules: a transient one gives the claim back and fails the record alone
(partial batch response), up to `MAX_ATTEMPTS`; SES refusing an address settles it `failed`; a
claim found orphaned is never sent again. Logs carry ids and codes only.
"""

from __future__ import annotations

import secrets
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import aws
from functions.notify.mail import MAX_ATTEMPTS, compose, send
from functions.scheduling import claims
from functions.scheduling.config import PracticeConfig
from functions.scheduling.slots import Slot
from functions.scheduling.waitlist import (
    EMAILED_PER_TIME,
    Candidate,
    email_day,
    fits,
    notice_key,
    offered_in,
    token_hash,
)
from functions.store.waitlist import Freed, Notice, WaitlistStore, freed_by

from .email import opened

logger = Logger(service="client-portal-waitlist")

NOTICE = "waitlist"
LEASE_MARGIN = timedelta(seconds=30)
# The log lines of an email given up on; the stack counts them (WaitlistEmailsNotSent) and alarms.
REFUSED, UNBUILDABLE, GAVE_UP, UNKNOWN = (
    "waitlist email refused",
    "waitlist email could not be built",
    "waitlist email not sent after retries",
    "waitlist email delivery unknown",
)
NOT_SENT_MESSAGES = (REFUSED, UNBUILDABLE, GAVE_UP, UNKNOWN)
# An email is not started with less time than this left in the invocation.
RESERVE = 10.0
DEFAULT_TIMEOUT = timedelta(seconds=30)
# A freed interval's holds are read this far around it: a time overlapping it may start up to an
# appointment's greatest length before it and end as long after.
AROUND = timedelta(hours=4)
# What an email about a time came to: told (sent, or sent for this record before, or refused for
# good: either way the entry had its chance), or passed over (told of the time by an earlier
# freeing, its daily limit, or it left the waitlist).
TOLD = frozenset({"sent", "duplicate", "failed"})


class RecordFailed(Exception):
    """This record must be delivered again; `code` says why (no personal data)."""

    def __init__(self, key: str, code: str):
        super().__init__(key, code)
        self.key = key
        self.code = code


@dataclass
class Batch:
    invocation: str
    lease: timedelta
    deadline: float
    _config: PracticeConfig | None = None
    outcomes: dict[str, int] = field(default_factory=dict)

    def config(self) -> PracticeConfig:
        if self._config is None:
            self._config = aws.store().config()
        return self._config

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


_batch: ContextVar[Batch] = ContextVar("waitlist_batch")


def _current() -> Batch:
    """The invocation's batch; outside an invocation (a test, a script) a new one each time, so
    that nothing it read (the configuration) outlives the call."""
    batch = _batch.get(None)
    if batch is None:
        batch = Batch(
            f"direct-{uuid.uuid4().hex}",
            DEFAULT_TIMEOUT + LEASE_MARGIN,
            time.monotonic() + DEFAULT_TIMEOUT.total_seconds(),
        )
    return batch


def record_handler(record: DynamoDBRecord) -> None:
    change = record.raw_event.get("dynamodb") or {}
    freed = freed_by(change)
    if freed is None:
        return
    owner = f"{change.get('SequenceNumber')}@{_current().invocation}"
    try:
        tell(freed, owner, datetime.now(UTC))
    except Exception as exc:
        logger.warning(
            "record failed",
            extra={
                "sequence_number": change.get("SequenceNumber"),
                "change": exc.key if isinstance(exc, RecordFailed) else None,
                "error": exc.code if isinstance(exc, RecordFailed) else type(exc).__name__,
            },
        )
        raise


def tell(freed: Freed, owner: str, now: datetime) -> list[tuple[str, Slot, str]]:
    """Email the oldest fitting waiting entries about the times a freed interval opened; returns
    (entry id, time, outcome) of every entry tried, in order."""
    batch = _current()
    token = _batch.set(batch)
    try:
        return _tell(batch, freed, owner, now)
    finally:
        _batch.reset(token)


def _tell(batch: Batch, freed: Freed, owner: str, now: datetime) -> list[tuple[str, Slot, str]]:
    config = batch.config()
    if not (config.scheduling.enabled and config.scheduling.waitlist):
        return []
    waitlists = WaitlistStore(aws.store())
    held = waitlists.held(freed.start - AROUND, freed.end + AROUND, freed.clinician_id, freed.record)
    if freed.now_holds is not None:
        held.append(freed.now_holds)
    tried: list[tuple[str, Slot, str]] = []
    told_now: set[str] = set()
    for slot in _still_free(
        waitlists, offered_in(config, freed.clinician_id, freed.start, freed.end, now, held)
    ):
        day = config.local(slot.start).date()
        told = 0
        for entry in waitlists.candidates(slot.type_id, slot.clinician_id, day, day):
            if told >= EMAILED_PER_TIME:
                break
            if entry.id in told_now or not fits(config, entry, slot, now):
                continue
            if batch.time_left() < RESERVE:
                raise RecordFailed(notice_key(entry.id, slot), "OutOfTime")
            outcome = _tell_one(config, waitlists, entry, slot, owner, now, freed.at)
            batch.count(outcome)
            tried.append((entry.id, slot, outcome))
            if outcome == "time_full":
                break  # another record of the same change told three entries of this time
            if outcome in TOLD:
                told += 1
                told_now.add(entry.id)
    return tried


def _still_free(waitlists: WaitlistStore, slots: list[Slot]) -> list[Slot]:
    """The times whose cells nothing claims, by one consistent read of the claim records: gsi2
    can lag behind a time taken a moment ago (an offer accepted as its other times are freed, a
    request), and an email must not offer a time that is gone."""
    if not slots:
        return []
    taken = waitlists.claimed(slots[0].clinician_id, min(s.start for s in slots), max(s.end for s in slots))
    return [s for s in slots if taken.isdisjoint(claims.cells(s.start, s.end))]


def _tell_one(
    config: PracticeConfig,
    waitlists: WaitlistStore,
    entry: Candidate,
    slot: Slot,
    owner: str,
    now: datetime,
    freed_at: datetime | None,
) -> str:
    ledger = aws.ledger()
    key = notice_key(entry.id, slot)
    claim = ledger.claim(key, owner, now, _current().lease)
    if claim.state == "done":
        # Claimed since the time was freed: this record delivered again, or another record of
        # the same change (a transaction freeing adjacent times): it counts as told, so one
        # opening tells 3 entries. Claimed before: an earlier freeing of the same time told it;
        # the next entry is told instead (one email per entry and time).
        return "duplicate" if _since(claim.claimed_at, freed_at) else "told_before"
    if claim.state == "busy":
        raise RecordFailed(key, "SendInProgress")
    if claim.state == "orphaned":
        # Its owner died holding the claim, maybe after SES took the email: never sent twice.
        ledger.settle(key, owner, "failed", "delivery_unknown", NOTICE, None, now)
        logger.error(UNKNOWN, extra={"change": key})
        return "failed"
    try:
        # The time (its type too) as freed by one change: its stream records share the second.
        freed_second = int((freed_at or now).timestamp())
        opening = (
            f"{slot.clinician_id}#{slot.type_id}#{slot.start.astimezone(UTC):%Y%m%dT%H%MZ}#{freed_second}"
        )
        counted = waitlists.count_email(entry.id, email_day(config, now), key, opening, owner, now)
        if counted != "counted":
            # Not settled: the entry may hear of this time when it is freed again.
            ledger.drop(key, owner)
            logger.info("waitlist email not counted", extra={"change": key, "why": counted})
            return counted
        if not waitlists.mark_notified(entry.id, key):
            ledger.settle(key, owner, "skipped", "entry_gone", NOTICE, None, now)
            logger.info("waitlist entry gone", extra={"change": key})
            return "entry_gone"
        token = secrets.token_urlsafe(24)
        waitlists.put_notice(
            token_hash(token), Notice(entry.id, slot.clinician_id, slot.type_id, slot.start, slot.end)
        )
    except Exception as exc:
        return _give_back(key, owner, claim.attempts, type(exc).__name__, now)
    try:
        message = compose(
            opened(
                config,
                to=entry.email,
                first_name=entry.firstName,
                start=slot.start,
                clinician_id=slot.clinician_id,
                link=f"{aws.settings().portal_url}/#waitlist/{token}",
            ),
            config,
        )
    except Exception as exc:
        ledger.settle(key, owner, "failed", f"render:{type(exc).__name__}", NOTICE, None, now)
        logger.error(UNBUILDABLE, extra={"change": key, "error": type(exc).__name__})
        return "failed"
    sending = send(message)
    if sending.outcome == "refused":
        ledger.settle(key, owner, "failed", sending.code, NOTICE, None, now)
        logger.warning(REFUSED, extra={"change": key, "code": sending.code})
        return "failed"
    if sending.outcome == "transient":
        return _give_back(key, owner, claim.attempts, sending.code or "Unknown", now)
    if sending.outcome == "unconfirmed":
        ledger.settle(key, owner, "sent", "unconfirmed", NOTICE, None, now)
        logger.warning(
            "waitlist email sent, no answer from SES", extra={"change": key, "error": sending.code}
        )
        return "sent"
    ledger.settle(key, owner, "sent", None, NOTICE, None, now)
    logger.info("waitlist email sent", extra={"change": key, "attempt": claim.attempts})
    return "sent"


def _since(claimed_at: int | None, freed_at: datetime | None) -> bool:
    """Whether a settled email was claimed at or after the change that freed the time (to the
    second, as both are kept; unknown either way counts as told, the safe side)."""
    return claimed_at is None or freed_at is None or claimed_at >= int(freed_at.timestamp())


def _give_back(key: str, owner: str, attempts: int, code: str, now: datetime) -> str:
    """A transient failure: the record is delivered again, up to `MAX_ATTEMPTS` per email."""
    ledger = aws.ledger()
    if attempts >= MAX_ATTEMPTS:
        ledger.settle(key, owner, "failed", code, NOTICE, None, now)
        logger.error(GAVE_UP, extra={"change": key, "code": code, "attempts": attempts})
        return "failed"
    ledger.release(key, owner, code)
    raise RecordFailed(key, code)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    remaining = timedelta(milliseconds=context.get_remaining_time_in_millis())
    batch = Batch(
        context.aws_request_id, remaining + LEASE_MARGIN, time.monotonic() + remaining.total_seconds()
    )
    token = _batch.set(batch)
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    try:
        answer = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        _batch.reset(token)
    if batch.outcomes:
        logger.info("waitlist batch", extra={"outcomes": batch.outcomes})
    return dict(answer)

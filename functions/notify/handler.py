"""The notify Lambda function: DynamoDB stream records in, SES emails out, each exactly once.

Delivery is at least once (a record or a whole batch may come again, two deliveries may overlap),
so each email is sent under a claim on the ledger keyed on the change that caused it
(`functions/store/ledger.py`). Once claimed, every path ends the claim:

- the change is not stored (its request is gone, or the record is of a write that was rolled
  back): settled `skipped`, nothing sent;
- the email cannot be built (a template or header error): settled `failed` at once;
- SES refuses it for good (`MessageRejected`, ...): settled `failed`;
- SES answered nothing after the request left (a read timeout): settled `sent`, unconfirmed,
  because sending again could give the client two emails;
- a transient failure (throttling, SES 5xx, no connection, the configuration unreadable):
  released, and the record fails alone (partial batch response); after `MAX_ATTEMPTS` attempts
  it is settled `failed` instead, so no record holds up the stream;
- a claim found orphaned (its owner died holding it, maybe after SES took the email): settled
  `failed` (`delivery_unknown`), never sent a second time;
- too little time left in the invocation to finish an email: the record fails unclaimed.

A `failed` email is shown to staff with its reason and can be sent again (`POST
/staff/requests/{id}/resend`), which is one more change on the stream.
"""

from __future__ import annotations

import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import aws
from functions.api import links
from functions.scheduling.config import PracticeConfig
from functions.scheduling.lifecycle import Request
from functions.store.ledger import Claim

from .decide import Notice, notices
from .mail import MAX_ATTEMPTS, compose, send
from .render import OfferLinks, render

logger = Logger(service="client-portal-notify")

# A claim outlives its owner's invocation by this much: the lease is the function's remaining
# time at the start of the invocation (its timeout) plus this margin.
LEASE_MARGIN = timedelta(seconds=30)
# The log lines of an email given up on; the stack counts them (EmailsNotSent) and alarms.
REFUSED, UNBUILDABLE, GAVE_UP = "email refused", "email could not be built", "email not sent after retries"
UNKNOWN = "email delivery unknown"
NOT_SENT_MESSAGES = (REFUSED, UNBUILDABLE, GAVE_UP, UNKNOWN)
# An email is not started with less time than this left in the invocation (SES and DynamoDB
# calls with their retries); the record is failed instead, for the next invocation.
RESERVE = 10.0
# The timeout assumed when deliver() is called outside an invocation (a test, a script).
DEFAULT_TIMEOUT = timedelta(seconds=30)


class RecordFailed(Exception):
    """This record must be delivered again; `code` says why (no personal data)."""

    def __init__(self, change_key: str, code: str):
        super().__init__(change_key, code)
        self.change_key = change_key
        self.code = code


class SendInProgress(RecordFailed):
    """Another delivery of the same change holds its claim."""

    def __init__(self, change_key: str):
        super().__init__(change_key, "SendInProgress")


class NotSent(RecordFailed):
    """A transient failure; the claim was given back."""


class Unsettled(RecordFailed):
    """The email was sent but the ledger could not be told; the claim stays ours until its
    lease ends (DynamoDB refused every write for the whole retry window)."""


@dataclass
class Batch:
    """What one invocation shares between its records."""

    invocation: str
    lease: timedelta
    # time.monotonic() when the invocation must have ended (its timeout).
    deadline: float
    requests: dict[tuple[str, str], Request | None] = field(default_factory=dict)
    _config: PracticeConfig | None = None

    def config(self) -> PracticeConfig:
        if self._config is None:
            self._config = aws.store().config()
        return self._config

    def time_left(self) -> float:
        return self.deadline - time.monotonic()


_batch: ContextVar[Batch] = ContextVar("batch")


def _current() -> Batch:
    batch = _batch.get(None)
    if batch is None:
        batch = Batch(
            f"direct-{uuid.uuid4().hex}",
            DEFAULT_TIMEOUT + LEASE_MARGIN,
            time.monotonic() + DEFAULT_TIMEOUT.seconds,
        )
        _batch.set(batch)
    return batch


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None:
        return
    owner = f"{change.sequence_number}@{_current().invocation}"
    key: str | None = None
    try:
        for notice in notices(record.event_name.name, change.old_image, change.new_image):
            key = notice.change_key
            if _current().time_left() < RESERVE:
                # Too close to the timeout to finish an email: the next invocation will.
                raise RecordFailed(key, "OutOfTime")
            deliver(notice, owner)
    except Exception as exc:
        # Once per failure, with what names it and never what it contains (no personal data).
        logger.warning(
            "record failed",
            extra={
                "sequence_number": change.sequence_number,
                "change": key,
                "error": exc.code if isinstance(exc, RecordFailed) else type(exc).__name__,
            },
        )
        raise


def _stored(request: Request) -> Request | None:
    """The request as it is stored now (from the batch's read, or read here)."""
    batch = _current()
    key = (request.appointmentId, request.id)
    if key not in batch.requests:
        batch.requests[key] = aws.store().request_of(request.id, request.appointmentId)
    return batch.requests[key]


def deliver(notice: Notice, owner: str | None = None, now: datetime | None = None) -> str:
    """Send one notice's email unless it was sent before; returns what happened."""
    now = now or datetime.now(UTC)
    owner = owner or f"direct@{_current().invocation}"
    ledger = aws.ledger()
    key = notice.change_key
    claim = ledger.claim(key, owner, now, _current().lease)
    if claim.state == "done":
        logger.info("already sent", extra={"change": key})
        return "duplicate"
    if claim.state == "busy":
        raise SendInProgress(key)
    if claim.state == "orphaned":
        # Its owner died holding the claim, maybe after SES took the email: never sent twice.
        ledger.settle(key, owner, "failed", "delivery_unknown", notice.kind, notice.request, now)
        logger.error(UNKNOWN, extra={"change": key})
        return "failed"
    try:
        return _send_claimed(notice, owner, claim, now)
    except RecordFailed:
        raise
    except Exception as exc:
        # Whatever went wrong, the claim is not left behind: given back for a retry, or, after
        # the last attempt, recorded as failed.
        try:
            return _give_back(notice, owner, claim, type(exc).__name__, now)
        except NotSent as again:
            raise again from exc


def _send_claimed(notice: Notice, owner: str, claim: Claim, now: datetime) -> str:
    ledger = aws.ledger()
    key = notice.change_key
    stored = _stored(notice.request)
    if stored is None or stored.version < notice.request.version:
        # The request is gone (or this record is of a write that was rolled back): no email.
        ledger.settle(key, owner, "skipped", "request_gone", notice.kind, None, now)
        logger.info("request gone", extra={"change": key})
        return "skipped"
    if stored.version == notice.request.version:
        # The stored record is the truth about this version.
        notice = replace(notice, request=stored)
    config = _current().config()
    settings = aws.settings()
    # An offer's links, outside the render's try: the KMS call may fail for a while (retried).
    offer = _offer_links(notice.request, settings.portal_url) if notice.kind == "offered" else None
    try:
        email = render(
            notice,
            config,
            sender=settings.sender_email,
            staff_url=f"{settings.portal_url}/staff",
            now=now,
            offer=offer,
        )
        message = None if email is None else compose(email, config)
    except Exception as exc:
        # The same record renders the same way every time: retrying cannot help.
        ledger.settle(key, owner, "failed", f"render:{type(exc).__name__}", notice.kind, notice.request, now)
        logger.error(UNBUILDABLE, extra={"change": key, "error": type(exc).__name__})
        return "failed"
    if message is None:
        ledger.settle(key, owner, "skipped", "no_address", notice.kind, notice.request, now)
        logger.info("no address to send to", extra={"change": key})
        return "skipped"
    sending = send(message)
    if sending.outcome == "refused":
        ledger.settle(key, owner, "failed", sending.code, notice.kind, notice.request, now)
        logger.warning(REFUSED, extra={"change": key, "code": sending.code})
        return "failed"
    if sending.outcome == "transient":
        return _give_back(notice, owner, claim, sending.code or "Unknown", now)
    if sending.outcome == "unconfirmed":
        _settle_sent(notice, owner, "unconfirmed", now)
        logger.warning("email sent, no answer from SES", extra={"change": key, "error": sending.code})
        return "sent"
    _settle_sent(notice, owner, None, now)
    logger.info("email sent", extra={"change": key, "notice": notice.kind, "attempt": claim.attempts})
    return "sent"


def _offer_links(request: Request, portal_url: str) -> OfferLinks | None:
    """The offered times with the link of the offer (its token opened from the sealed copy)."""
    offer = aws.store().offer(request.offerId) if request.offerId else None
    if offer is None:
        return None
    link = f"{portal_url}/#offer/{links.unseal(offer.sealedToken, offer.id)}"
    return OfferLinks([(t.start, t.clinicianId, link) for t in offer.times], offer.expiresAt)


SETTLE_BACKOFF = (0.2, 0.5, 1.0, 2.0, 4.0)


def _settle_sent(notice: Notice, owner: str, detail: str | None, now: datetime) -> None:
    """Record a send that happened. DynamoDB refusing the write is waited out while the
    invocation has time; past that, the claim stays this owner's, and whoever finds it after the
    lease records the email as of unknown delivery (it is never sent twice)."""
    for pause in (*SETTLE_BACKOFF, None):
        try:
            aws.ledger().settle(notice.change_key, owner, "sent", detail, notice.kind, notice.request, now)
            return
        except Exception as exc:
            if pause is None or _current().time_left() < pause + 2:
                raise Unsettled(notice.change_key, type(exc).__name__) from exc
            time.sleep(pause)


def _give_back(notice: Notice, owner: str, claim: Claim, code: str, now: datetime) -> str:
    """After a transient failure: retry, unless this was the last attempt."""
    ledger = aws.ledger()
    if claim.attempts >= MAX_ATTEMPTS:
        ledger.settle(notice.change_key, owner, "failed", code, notice.kind, notice.request, now)
        logger.error(
            GAVE_UP,
            extra={"change": notice.change_key, "code": code, "attempts": claim.attempts},
        )
        return "failed"
    ledger.release(notice.change_key, owner, code)
    raise NotSent(notice.change_key, code)


def _prefetch(event: dict[str, Any], batch: Batch) -> None:
    """Read the configuration and every request of the batch in one call, so that checking each
    change against what is stored costs nothing per record. A failure here is not a record's:
    each record then reads what it needs itself."""
    wanted = []
    for record in event.get("Records", []):
        image = record.get("dynamodb", {}).get("NewImage") or {}
        if image.get("type", {}).get("S") == "request":
            wanted.append((image.get("appointmentId", {}).get("S", ""), image.get("id", {}).get("S", "")))
    if not wanted:
        return
    try:
        config, found = aws.store().config_and_requests(wanted)
    except Exception as exc:
        logger.warning("batch read failed; records read their own", extra={"error": type(exc).__name__})
        return
    batch._config = config
    batch.requests.update(found)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    remaining = timedelta(milliseconds=context.get_remaining_time_in_millis())
    batch = Batch(
        context.aws_request_id, remaining + LEASE_MARGIN, time.monotonic() + remaining.total_seconds()
    )
    _prefetch(event, batch)
    token = _batch.set(batch)
    # An all-failed batch is answered with its failures like any other (the event source mapping
    # retries them); an exception is kept for a function that could not run at all (bisect on
    # error). One processor per invocation: it keeps the invocation's results.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    try:
        answer = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        _batch.reset(token)
    return dict(answer)

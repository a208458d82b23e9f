"""The notify Lambda function: DynamoDB stream records in, SES emails out, each exactly once.

Delivery is at least once (a record or a whole batch may come again), so each email is sent
under a claim keyed on the change that caused it. A transient SES failure fails only its record,
which the event source mapping retries (partial batch response); a permanent one is recorded on
the request as its notification status and does not hold up the stream.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from functions import aws
from functions.scheduling.config import PracticeConfig

from .decide import Notice, notices
from .render import Email, render

logger = Logger(service="client-portal-notify")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

# An address SES refuses stays refused: record it and go on. Anything else is retried.
PERMANENT = frozenset(
    {"MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException", "NotFoundException"}
)
LEASE = timedelta(minutes=5)


class SendInProgress(Exception):
    """Another delivery of the same change is sending its email; retry this record later."""


_batch: dict[str, PracticeConfig] = {}


def _config() -> PracticeConfig:
    """The configuration, read once per batch."""
    if "config" not in _batch:
        _batch["config"] = aws.store().config()
    return _batch["config"]


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None:
        return
    for notice in notices(record.event_name.name, change.old_image, change.new_image):
        deliver(notice, _config())


def deliver(notice: Notice, config: PracticeConfig | None = None) -> str:
    """Send one notice's email unless it was sent before; returns what happened."""
    store = aws.store()
    now = datetime.now(UTC)
    claim = store.claim_send(notice.change_key, now, LEASE)
    if claim == "done":
        logger.info("already sent", extra={"change": notice.change_key})
        return "duplicate"
    if claim == "busy":
        raise SendInProgress(notice.change_key)
    settings = aws.settings()
    config = config or store.config()
    email = render(
        notice, config, sender=settings.sender_email, staff_url=f"{settings.portal_url}/staff", now=now
    )
    if email is None:
        store.finish_send(notice.change_key, notice.request, "skipped", "no_address", now)
        logger.info("no address to send to", extra={"change": notice.change_key})
        return "skipped"
    try:
        send(email, config)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        if code in PERMANENT:
            store.finish_send(notice.change_key, notice.request, "failed", code, now)
            logger.warning("email refused", extra={"change": notice.change_key, "code": code})
            return "failed"
        store.release_send(notice.change_key)
        logger.warning("email will be retried", extra={"change": notice.change_key, "code": code})
        raise
    except Exception as exc:
        # A timeout or a lost connection: SES may or may not have it; retrying risks a second
        # email, giving up risks none. Prefer delivery: give the claim back and retry.
        store.release_send(notice.change_key)
        logger.warning(
            "email will be retried", extra={"change": notice.change_key, "code": type(exc).__name__}
        )
        raise
    store.finish_send(notice.change_key, notice.request, "sent", None, now)
    logger.info("email sent", extra={"change": notice.change_key, "notice": notice.kind})
    return "sent"


def send(email: Email, config: PracticeConfig) -> None:
    settings = aws.settings()
    sender = formataddr((config.practice.name, settings.sender_email))
    extra: dict[str, Any] = {}
    if config.practice.replyToEmail:
        extra["ReplyToAddresses"] = [config.practice.replyToEmail]
    if settings.ses_configuration_set:
        extra["ConfigurationSetName"] = settings.ses_configuration_set
    if email.invite is None:
        aws.sesv2().send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [email.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                }
            },
            **extra,
        )
        return
    aws.sesv2().send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [email.to]},
        Content={"Raw": {"Data": mime(email, sender, config.practice.replyToEmail).as_bytes()}},
        **extra,
    )


def mime(email: Email, sender: str, reply_to: str | None) -> EmailMessage:
    """Text and HTML alternatives with the invite attached as text/calendar."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = Address(addr_spec=email.to)
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    assert email.invite is not None
    message.add_attachment(
        email.invite,
        maintype="text",
        subtype="calendar",
        filename="invite.ics",
        params={"method": email.method or "REQUEST"},
    )
    return message


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _batch.clear()
    answer = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(answer)

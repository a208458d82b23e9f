"""An email as SES SendEmail takes it: plain text and HTML, or raw MIME with a calendar invite."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, Literal

from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from functions import aws
from functions.scheduling.config import PracticeConfig

from .render import Email

# An address SES refuses stays refused: record it and go on.
PERMANENT = frozenset(
    {"MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException", "NotFoundException"}
)
# How many times one email is tried before it is recorded as not sent (staff can send it again).
MAX_ATTEMPTS = 3
# The request went out and no answer came back: SES may have it. Never sent twice.
UNCONFIRMED = (ReadTimeoutError, ConnectionClosedError)


@dataclass(frozen=True)
class Sending:
    """What became of one SendEmail: `sent`; `unconfirmed` (the request left and no answer came
    back: SES may have it, so it is recorded as sent and never tried again); `refused` (SES
    refuses it for good: `PERMANENT`); `transient` (not sent, worth another attempt). `code` is
    SES's error code or the exception's name: never personal data."""

    outcome: Literal["sent", "unconfirmed", "refused", "transient"]
    code: str | None = None


def send(message: dict[str, Any]) -> Sending:
    """Send one email through SES (aws.sesv2 never retries a request that left) and say how it
    went; the one place the notify function, the reminder job and the waitlist function send."""
    try:
        aws.sesv2().send_email(**message)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        return Sending("refused" if code in PERMANENT else "transient", code)
    except UNCONFIRMED as exc:
        return Sending("unconfirmed", type(exc).__name__)
    except Exception as exc:
        # Failed before it left (no connection, say): nothing was sent.
        return Sending("transient", type(exc).__name__)
    return Sending("sent")


def compose(email: Email, config: PracticeConfig) -> dict[str, Any]:
    """The SES SendEmail arguments of an email. Raises on what SES would refuse (a header with a
    line break), before anything is sent."""
    settings = aws.settings()
    sender = formataddr((config.practice.name, settings.sender_email))
    extra: dict[str, Any] = {}
    if config.practice.replyToEmail:
        extra["ReplyToAddresses"] = [config.practice.replyToEmail]
    if settings.ses_configuration_set:
        extra["ConfigurationSetName"] = settings.ses_configuration_set
    message = mime(email, sender, config.practice.replyToEmail)
    if email.invite is None:
        content: dict[str, Any] = {
            "Simple": {
                "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": email.text, "Charset": "UTF-8"},
                    "Html": {"Data": email.html, "Charset": "UTF-8"},
                },
            }
        }
    else:
        content = {"Raw": {"Data": message.as_bytes()}}
    return {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [email.to]},
        "Content": content,
        **extra,
    }


def mime(email: Email, sender: str, reply_to: str | None) -> EmailMessage:
    """Text and HTML alternatives, with the invite attached as text/calendar when there is one."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = Address(addr_spec=email.to)
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if email.invite is not None:
        message.add_attachment(
            email.invite,
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": email.method or "REQUEST"},
        )
    return message

"""What the notify tests share: one delivery of the stream as the event source mapping makes it,
the emails moto's SES received, read back as a mail client would, and answers lost on the way
back (a write that succeeded while its answer timed out)."""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from email import policy
from typing import Any

from botocore.exceptions import ReadTimeoutError
from icalendar import Calendar

from functions.api.gateway import LocalContext
from functions.local.stream import StreamReader
from functions.notify import handler as notify

SENDER = "no-reply@demo.test"


def pump(reader: StreamReader) -> dict[str, Any]:
    """One delivery of what is new or still failing, as one Lambda invocation of the shard."""
    deliveries = reader.deliver(notify.handler, lambda: LocalContext("notify"))
    if not deliveries:
        return {"batchItemFailures": []}
    [delivery] = deliveries
    assert delivery.error is None, delivery.error
    assert delivery.answer is not None
    return delivery.answer


def outbox() -> list[dict[str, Any]]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    sent = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
        if isinstance(message, RawMessage):
            parsed = email.message_from_string(message.raw_data, policy=policy.default)
            text = parsed.get_body(("plain",))
            html = parsed.get_body(("html",))
            assert text is not None
            assert html is not None
            invites = [p for p in parsed.iter_attachments() if p.get_content_type() == "text/calendar"]
            sent.append(
                {
                    "to": message.destinations,
                    "subject": str(parsed["Subject"]),
                    "text": text.get_content(),
                    "html": html.get_content(),
                    "ics": invites[0].get_content() if invites else None,
                    "method": invites[0].get_param("method") if invites else None,
                    "reply_to": parsed["Reply-To"],
                }
            )
        else:
            sent.append(
                {
                    "to": message.destinations["ToAddresses"],
                    "subject": message.subject,
                    "text": message.body,
                    "html": message.body,
                    "ics": None,
                    "method": None,
                }
            )
    return sent


def to(address: str) -> list[dict[str, Any]]:
    return [m for m in outbox() if address in m["to"]]


def event_of(ics: str | bytes):
    calendar = Calendar.from_ical(ics)
    return calendar, next(c for c in calendar.walk("VEVENT"))


def lose_answers(
    client: Any, operation: str, times: int = 1, when: Callable[[dict[str, Any]], bool] | None = None
) -> list[dict[str, Any]]:
    """The next `times` calls of `operation` (those `when` picks) reach AWS and take effect, and
    their answers are lost as a read timeout loses them; the SDK then does what it does (retry).
    Returns the body of every attempt sent, lost or not."""
    sent: list[dict[str, Any]] = []
    left = [times]

    def lose(request: Any, event_name: str, **_: Any) -> None:
        # Registered after moto's own before-send handler: the call has been carried out.
        if not event_name.endswith(f".{operation}"):
            return
        body = json.loads(request.body or b"{}")
        sent.append(body)
        if left[0] > 0 and (when is None or when(body)):
            left[0] -= 1
            raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register("before-send", lose)
    return sent

"""The reminder job: every reminder now due, sent once. A plain function of (store, now) that the
scheduled Lambda function (`handler` below), the local stack's timer and `POST /dev/tick` call.

Cost of a run: a GetItem of the configuration; one Query of the reminder index (`gsi4`, keys
only) per configured reminder hour, reading only the appointments whose reminder is due (their
start lies in a window of `LATEST`); when any is due, one consistent BatchGetItem per 100 of
them, to see each as it is now, and one per 100 of their ledger entries, to skip those sent by an
earlier run; then per reminder sent a claim, the SES send and the claim settled. Nothing grows
with the appointments stored, and a run with nothing due makes two calls.

Each reminder is claimed on the ledger the notify function uses (`functions/store/ledger.py`),
keyed on the appointment, its time and the hour: a run retried, or two runs at once, send it
once. The claim's owner is the run; a claim left by a run that died is never sent again but
recorded as `failed` (`delivery_unknown`), as notify does.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import aws
from functions.notify.mail import MAX_ATTEMPTS, compose, send
from functions.notify.render import reminder as reminder_email
from functions.scheduling.config import PracticeConfig
from functions.scheduling.reminders import Reminder, starts_due, why_not
from functions.store import Store

logger = Logger(service="client-portal-reminders")

NOTICE = "reminder"
# The log lines of a reminder given up on; the stack counts them (RemindersNotSent) and alarms.
REFUSED, UNBUILDABLE, GAVE_UP, UNKNOWN = (
    "reminder refused",
    "reminder could not be built",
    "reminder not sent after retries",
    "reminder delivery unknown",
)
NOT_SENT_MESSAGES = (REFUSED, UNBUILDABLE, GAVE_UP, UNKNOWN)
# A reminder is not started with less time than this left in the run: the next run sends it
# (it is still due for `LATEST`).
RESERVE = 10.0
# A run outside Lambda (the local stack, a test) is given this long.
DEFAULT_RUN = timedelta(minutes=1)
LEASE_MARGIN = timedelta(seconds=30)


@dataclass
class Run:
    """What one run did, by outcome: how many reminders were due and what became of each."""

    owner: str
    lease: timedelta
    deadline: float
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def time_left(self) -> float:
        return self.deadline - time.monotonic()


def run(store: Store, now: datetime, *, owner: str | None = None, budget: timedelta = DEFAULT_RUN) -> Run:
    """Send every reminder due at `now`. Safe to run again, late, or twice at once."""
    now = now.astimezone(UTC)
    # Unique per run even when Lambda retries an invocation with the same request id: a retry
    # must not take over its first attempt's claims as its own (that attempt may have sent).
    this = Run(
        f"{owner or 'run'}/{uuid.uuid4().hex}",
        budget + LEASE_MARGIN,
        time.monotonic() + budget.total_seconds(),
    )
    config = store.config()
    hours = config.reminders.hoursBefore
    if not hours:
        return this
    due: list[Reminder] = []
    for appointment in store.confirmed_starting([starts_due(now, h) for h in hours]):
        for h in hours:
            reminder = Reminder(appointment, h)
            reason = why_not(reminder, now)
            if reason == "due_before_confirmed":
                this.count("confirmed_after_due")
            elif reason is None:
                due.append(reminder)
    # Every run while a reminder is due finds it: those already settled are skipped on one batch
    # read rather than refused one claim at a time.
    settled = aws.ledger().settled([r.key for r in due]) if due else set()
    for reminder in due:
        if reminder.key in settled:
            this.count("duplicate")
            continue
        if this.time_left() < RESERVE:
            this.count("deferred")
            continue
        try:
            this.count(_send(reminder, config, this, now))
        except Exception as exc:
            # One reminder's trouble (DynamoDB refusing its claim, say) is not the others':
            # while it is still due, the next run tries it again.
            logger.warning("reminder failed", extra={"reminder": reminder.key, "error": type(exc).__name__})
            this.count("error")
    logger.info("reminder run", extra={"outcomes": this.outcomes})
    return this


def _send(reminder: Reminder, config: PracticeConfig, run: Run, now: datetime) -> str:
    ledger = aws.ledger()
    key = reminder.key
    claim = ledger.claim(key, run.owner, now, run.lease)
    if claim.state == "done":
        return "duplicate"
    if claim.state == "busy":
        return "busy"
    if claim.state == "orphaned":
        ledger.settle(key, run.owner, "failed", "delivery_unknown", NOTICE, None, now)
        logger.error(UNKNOWN, extra={"reminder": key})
        return "failed"
    try:
        message = compose(
            reminder_email(
                config,
                to=reminder.appointment.client.email,
                first_name=reminder.appointment.client.firstName,
                start=reminder.appointment.start,
                clinician_id=reminder.appointment.clinicianId,
                portal_url=f"{aws.settings().portal_url}/",
            ),
            config,
        )
    except Exception as exc:
        ledger.settle(key, run.owner, "failed", f"render:{type(exc).__name__}", NOTICE, None, now)
        logger.error(UNBUILDABLE, extra={"reminder": key, "error": type(exc).__name__})
        return "failed"
    sending = send(message)
    if sending.outcome == "refused":
        ledger.settle(key, run.owner, "failed", sending.code, NOTICE, None, now)
        logger.warning(REFUSED, extra={"reminder": key, "code": sending.code})
        return "failed"
    if sending.outcome == "transient":
        return _give_back(key, run, claim.attempts, sending.code or "Unknown", now)
    if sending.outcome == "unconfirmed":
        ledger.settle(key, run.owner, "sent", "unconfirmed", NOTICE, None, now)
        logger.warning("reminder sent, no answer from SES", extra={"reminder": key, "error": sending.code})
        return "sent"
    ledger.settle(key, run.owner, "sent", None, NOTICE, None, now)
    logger.info("reminder sent", extra={"reminder": key, "attempt": claim.attempts})
    return "sent"


def _give_back(key: str, run: Run, attempts: int, code: str, now: datetime) -> str:
    """A transient failure: the next run (while the reminder is due) tries again, up to
    `MAX_ATTEMPTS` in all; a reminder due for longer than `LATEST` is not sent late."""
    ledger = aws.ledger()
    if attempts >= MAX_ATTEMPTS:
        ledger.settle(key, run.owner, "failed", code, NOTICE, None, now)
        logger.error(GAVE_UP, extra={"reminder": key, "code": code, "attempts": attempts})
        return "failed"
    ledger.release(key, run.owner, code)
    logger.warning("reminder not sent yet", extra={"reminder": key, "code": code, "attempts": attempts})
    return "retry"


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The schedule's target: a run at the time it starts (a retried invocation runs at its own
    time, so nothing is sent early or more than `LATEST` late)."""
    budget = timedelta(milliseconds=context.get_remaining_time_in_millis())
    done = run(aws.store(), datetime.now(UTC), owner=context.aws_request_id, budget=budget)
    return {"outcomes": done.outcomes}

"""Scheduled jobs: a schedule that runs the reminder function, which reads the reminder index,
claims each due reminder on the ledger and sends it through SES, and one that runs the expiry
function, which frees the times of offers nobody accepted (docs/architecture.md)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions.scheduling.reminders import LATEST

from .notify import Email

# Every reminder is due for LATEST (15 minutes): a run every 5 gives each one three chances.
EVERY = Duration.minutes(5)


class Jobs(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        reminders: lambda_.IFunction,
        expiry: lambda_.IFunction,
        email: Email,
    ) -> None:
        super().__init__(scope, id)
        if EVERY.to_seconds() * 3 > LATEST.total_seconds():
            raise ValueError("the schedule must run the reminder job at least three times per reminder")
        self.schedule = events.Rule(
            self,
            "Reminders",
            schedule=events.Schedule.rate(EVERY),
            description="Client portal: send the appointment reminders now due",
            targets=[
                targets.LambdaFunction(
                    reminders,
                    # A run that failed is retried while its reminders are still due; past that
                    # the next scheduled run has taken over (each run works at its own time).
                    retry_attempts=2,
                    max_event_age=Duration.minutes(10),
                )
            ],
        )
        email.grant_send(reminders)
        # An expired offer's times are freed within 5 minutes of its end (availability hides a
        # held time until then; accepting is refused from the end itself).
        self.expiry = events.Rule(
            self,
            "Expiry",
            schedule=events.Schedule.rate(EVERY),
            description="Client portal: free the times of offers nobody accepted in time",
            targets=[targets.LambdaFunction(expiry, retry_attempts=2, max_event_age=Duration.minutes(10))],
        )

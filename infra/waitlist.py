"""(v2) The waitlist's background parts: the table's stream into the waitlist function (its own
event source mapping, filter and failure queue), and the schedule of the job that drops entries
whose last day has passed (docs/architecture.md, "The waitlist")."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions.store.schema import WAITLIST_NOTIFY_ATTRIBUTES
from functions.waitlist import mapping

from .notify import Email, grant_updates, stream_into

# Entries end on a day of the practice: a run every hour drops one within an hour of its end.
EXPIRY_EVERY = Duration.hours(1)


class Waitlist(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        notify: lambda_.Function,
        expiry: lambda_.IFunction,
        table: dynamodb.ITableV2,
        key: kms.IKey,
        email: Email,
    ) -> None:
        super().__init__(scope, id)
        # A second reader of the stream beside notify (DynamoDB streams serve two at once): its
        # own filter, so neither function sees the other's records, and its own failures.
        self.failures = stream_into(
            self,
            notify,
            table=table,
            key=key,
            pattern={
                "eventName": lambda_.FilterRule.or_(*mapping.EVENT_NAMES),
                "dynamodb": {
                    "OldImage": {mapping.INDEX_KEY: {"S": lambda_.FilterRule.is_equal(mapping.HELD)}}
                },
            },
        )
        # On a waiting entry it may only count its emails (and check it is still waiting).
        grant_updates(notify, table, keys="WAIT#*", attributes=WAITLIST_NOTIFY_ATTRIBUTES)
        email.grant_send(notify)
        self.expiry = events.Rule(
            self,
            "Expiry",
            schedule=events.Schedule.rate(EXPIRY_EVERY),
            description="Client portal: drop waitlist entries whose last day has passed",
            targets=[targets.LambdaFunction(expiry, retry_attempts=2, max_event_age=Duration.minutes(30))],
        )

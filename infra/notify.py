"""Notify and email: the table's stream into the notify function, with a failure queue, and the
SES identity and configuration set it sends through."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.notify import mapping
from functions.store.schema import NOTIFY_REQUEST_ATTRIBUTES


class Email(Construct):
    def __init__(self, scope: Construct, id: str, *, identity: str) -> None:
        super().__init__(scope, id)
        self.identity = ses.EmailIdentity(
            self,
            "Identity",
            identity=ses.Identity.email(identity) if "@" in identity else ses.Identity.domain(identity),
        )
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
            reputation_metrics=True,
        )

    def grant_send(self, function: lambda_.IFunction) -> None:
        """Sending through this identity and configuration set, and nothing else of SES."""
        stack = Stack.of(self)
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[
                    stack.format_arn(
                        service="ses", resource="identity", resource_name=self.identity.email_identity_name
                    ),
                    stack.format_arn(
                        service="ses",
                        resource="configuration-set",
                        resource_name=self.configuration_set.configuration_set_name,
                    ),
                ],
            )
        )


def stream_into(
    scope: Construct,
    function: lambda_.IFunction,
    *,
    table: dynamodb.ITableV2,
    key: kms.IKey,
    pattern: Mapping[str, Any],
) -> sqs.Queue:
    """The table's stream into `function`, the records that match `pattern` only, delivered as
    functions.notify.mapping says; the batches it gives up on go to the failure queue made here
    (`Failures` in scope), which is returned."""
    failures = sqs.Queue(
        scope,
        "Failures",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    function.add_event_source(
        sources.DynamoEventSource(
            table,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=mapping.BATCH_SIZE,
            max_batching_window=Duration.seconds(int(mapping.BATCHING_WINDOW.total_seconds())),
            bisect_batch_on_error=mapping.BISECT_ON_ERROR,
            retry_attempts=mapping.RETRY_ATTEMPTS,
            max_record_age=Duration.seconds(int(mapping.MAX_RECORD_AGE.total_seconds())),
            report_batch_item_failures=True,
            parallelization_factor=1,
            on_failure=sources.SqsDlq(failures),
            filters=[lambda_.FilterCriteria.filter(pattern)],
        )
    )
    return failures


def grant_updates(
    function: lambda_.IFunction, table: dynamodb.ITableV2, *, keys: str, attributes: Iterable[str]
) -> None:
    """UpdateItem on the items whose partition key is like `keys`, of `attributes` only, and
    nothing returned."""
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["dynamodb:UpdateItem"],
            resources=[table.table_arn],
            conditions={
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [keys]},
                "ForAllValues:StringEquals": {"dynamodb:Attributes": list(attributes)},
                "StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"},
            },
        )
    )


class Notify(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: lambda_.Function,
        table: dynamodb.ITableV2,
        key: kms.IKey,
        email: Email,
    ) -> None:
        super().__init__(scope, id)
        self.failures = stream_into(
            self,
            function,
            table=table,
            key=key,
            pattern={
                "eventName": lambda_.FilterRule.or_(*mapping.EVENT_NAMES),
                "dynamodb": {"NewImage": {"type": {"S": lambda_.FilterRule.is_equal(mapping.ITEM_TYPE)}}},
            },
        )
        # A request's notification status and nothing else: the notify function cannot change
        # appointments or decisions.
        grant_updates(function, table, keys="APPT#*", attributes=NOTIFY_REQUEST_ATTRIBUTES)
        email.grant_send(function)

"""The operator's alarms, in the shapes the stack uses again and again: something happened at
all in five minutes, a function logged a message that means work was given up on, a scheduled
function stopped running. Each is made in the scope given, under the id given, so that moving an
alarm here keeps its logical id."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

FIVE_MINUTES = Duration.minutes(5)


def alarm(
    scope: Construct,
    id: str,
    *,
    metric: cloudwatch.IMetric,
    description: str,
    action: cloudwatch.IAlarmAction,
) -> None:
    """An alarm as soon as the metric reaches 1 in one period; no data is no trouble."""
    cloudwatch.Alarm(
        scope,
        id,
        metric=metric,
        threshold=1,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    ).add_alarm_action(action)


def alarm_on_messages(
    scope: Construct,
    id: str,
    *,
    log_group: logs.ILogGroup,
    messages: Iterable[str],
    description: str,
    action: cloudwatch.IAlarmAction,
) -> None:
    """An alarm whenever a function logs one of `messages` (the JSON log line's `message`): the
    metric filter `id` counts them as the metric `id`, the alarm is `{id}Alarm`."""
    found = logs.MetricFilter(
        scope,
        id,
        log_group=log_group,
        metric_namespace="ClientPortal",
        metric_name=id,
        filter_pattern=logs.FilterPattern.any(
            *(logs.FilterPattern.string_value("$.message", "=", m) for m in messages)
        ),
        metric_value="1",
    )
    alarm(
        scope,
        f"{id}Alarm",
        metric=found.metric(period=FIVE_MINUTES, statistic="Sum"),
        description=description,
        action=action,
    )


def alarm_when_not_running(
    scope: Construct,
    id: str,
    *,
    function: lambda_.IFunction,
    within: Duration,
    description: str,
    action: cloudwatch.IAlarmAction,
) -> None:
    """An alarm when a scheduled function was not invoked at all within `within`; no data
    counts as not running."""
    cloudwatch.Alarm(
        scope,
        id,
        metric=function.metric_invocations(period=within, statistic="Sum"),
        threshold=1,
        comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        alarm_description=description,
    ).add_alarm_action(action)

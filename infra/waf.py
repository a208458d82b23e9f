"""The API's web ACL (AWS WAF), its logging and its association with the API's stage.

Rules, in the order WAF applies them:
1. `CallerRate`: one address may make `caller_rate_limit` calls in 5 minutes over every route
   (one caller cannot use up the stage's throttle that everyone shares).
2. `PublicRequestRate`: one address may make `request_rate_limit` public requests
   (`POST .../requests`, and the waitlist's `POST .../waitlist`) in 5 minutes.
3. With the bot check on (`botCheck`, the default): AWS's Bot Control rule group, common level,
   on public requests only (known bots and HTTP libraries are refused; it is also what lets the
   pages use AWS WAF's JavaScript integration), then `PublicRequestChallenge`: a public request
   must carry a WAF token from a browser (the Challenge action). The portal gets one silently
   with the JavaScript integration, which a script without a browser cannot do; people never
   see it.
4. `LargeBody`: bodies over 8 KB are refused on every route but staff ones (the managed rule that
   would refuse them everywhere only counts), which staff saves may need.
5. AWS's IP reputation, common and known-bad-inputs rule groups.

Every path match is made on the URL-decoded, lower-cased, normalized path, so `/API/%72equests`
is `/api/requests` to every rule.
"""

from __future__ import annotations

from aws_cdk import Fn, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk import custom_resources as cr
from constructs import Construct

W = wafv2.CfnWebACL
# WAF reads at most the first 8 KB of an API Gateway body; the managed size rule blocks past it.
BODY_LIMIT = 8 * 1024
# How long a solved challenge lets the browser's token through, in seconds.
CHALLENGE_IMMUNITY = 3600
# The path as every rule sees it.
NORMALIZED = [
    W.TextTransformationProperty(priority=0, type="URL_DECODE"),
    W.TextTransformationProperty(priority=1, type="NORMALIZE_PATH"),
    W.TextTransformationProperty(priority=2, type="LOWERCASE"),
]


def _visibility(name: str) -> W.VisibilityConfigProperty:
    return W.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _path(how: str, text: str) -> W.StatementProperty:
    return W.StatementProperty(
        byte_match_statement=W.ByteMatchStatementProperty(
            field_to_match=W.FieldToMatchProperty(uri_path={}),
            positional_constraint=how,
            search_string=text,
            text_transformations=NORMALIZED,
        )
    )


def _method(name: str) -> W.StatementProperty:
    return W.StatementProperty(
        byte_match_statement=W.ByteMatchStatementProperty(
            field_to_match=W.FieldToMatchProperty(method={}),
            positional_constraint="EXACTLY",
            search_string=name,
            text_transformations=[W.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def _all(*statements: W.StatementProperty) -> W.StatementProperty:
    return W.StatementProperty(and_statement=W.AndStatementProperty(statements=list(statements)))


def _not(statement: W.StatementProperty) -> W.StatementProperty:
    return W.StatementProperty(not_statement=W.NotStatementProperty(statement=statement))


def _any(*statements: W.StatementProperty) -> W.StatementProperty:
    return W.StatementProperty(or_statement=W.OrStatementProperty(statements=list(statements)))


# `POST <stage>/requests`, the request form a person fills in without signing in, and (v2)
# `POST <stage>/waitlist`, the waitlist's form (the same personal details).
PUBLIC_REQUEST = _all(
    _method("POST"),
    _any(_path("ENDS_WITH", "/requests"), _path("ENDS_WITH", "/waitlist")),
    _not(_path("CONTAINS", "/me/")),
)
STAFF_ROUTE = _path("CONTAINS", "/staff/")


def _managed(name: str, priority: int, *, counted: tuple[str, ...] = ()) -> W.RuleProperty:
    return W.RuleProperty(
        name=name,
        priority=priority,
        override_action=W.OverrideActionProperty(none={}),
        statement=W.StatementProperty(
            managed_rule_group_statement=W.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    W.RuleActionOverrideProperty(name=rule, action_to_use=W.RuleActionProperty(count={}))
                    for rule in counted
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )


def _rate(name: str, priority: int, limit: int, scope: W.StatementProperty | None = None) -> W.RuleProperty:
    return W.RuleProperty(
        name=name,
        priority=priority,
        action=W.RuleActionProperty(block={}),
        statement=W.StatementProperty(
            rate_based_statement=W.RateBasedStatementProperty(
                limit=limit, aggregate_key_type="IP", scope_down_statement=scope
            )
        ),
        visibility_config=_visibility(name),
    )


def _bot_control(priority: int) -> W.RuleProperty:
    return W.RuleProperty(
        name="AWSManagedRulesBotControlRuleSet",
        priority=priority,
        override_action=W.OverrideActionProperty(none={}),
        statement=W.StatementProperty(
            managed_rule_group_statement=W.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name="AWSManagedRulesBotControlRuleSet",
                managed_rule_group_configs=[
                    W.ManagedRuleGroupConfigProperty(
                        aws_managed_rules_bot_control_rule_set=W.AWSManagedRulesBotControlRuleSetProperty(
                            inspection_level="COMMON"
                        )
                    )
                ],
                # It is paid per request inspected: only the public form's.
                scope_down_statement=PUBLIC_REQUEST,
            )
        ),
        visibility_config=_visibility("AWSManagedRulesBotControlRuleSet"),
    )


def web_acl(
    scope: Construct,
    *,
    request_rate_limit: int,
    caller_rate_limit: int,
    portal_domain: str,
    bot_check: bool,
) -> wafv2.CfnWebACL:
    """The web ACL (created in the API construct's scope, where it always was)."""
    large_body = W.StatementProperty(
        size_constraint_statement=W.SizeConstraintStatementProperty(
            field_to_match=W.FieldToMatchProperty(body=W.BodyProperty(oversize_handling="MATCH")),
            comparison_operator="GT",
            size=BODY_LIMIT,
            text_transformations=[W.TextTransformationProperty(priority=0, type="NONE")],
        )
    )
    rules = [
        _rate("CallerRate", 0, caller_rate_limit),
        _rate("PublicRequestRate", 1, request_rate_limit, PUBLIC_REQUEST),
    ]
    if bot_check:
        rules += [
            _bot_control(2),
            W.RuleProperty(
                name="PublicRequestChallenge",
                priority=3,
                action=W.RuleActionProperty(challenge={}),
                statement=PUBLIC_REQUEST,
                visibility_config=_visibility("PublicRequestChallenge"),
            ),
        ]
    rules += [
        W.RuleProperty(
            name="LargeBody",
            priority=4,
            action=W.RuleActionProperty(block={}),
            statement=_all(large_body, _not(STAFF_ROUTE)),
            visibility_config=_visibility("LargeBody"),
        ),
        _managed("AWSManagedRulesAmazonIpReputationList", 5),
        _managed("AWSManagedRulesCommonRuleSet", 6, counted=("SizeRestrictions_BODY",)),
        _managed("AWSManagedRulesKnownBadInputsRuleSet", 7),
    ]
    return wafv2.CfnWebACL(
        scope,
        "Waf",
        scope="REGIONAL",
        default_action=W.DefaultActionProperty(allow={}),
        visibility_config=_visibility("client-portal"),
        # The portal's pages get the challenge token on their own domain and send it to the API's.
        token_domains=[portal_domain] if bot_check else None,
        challenge_config=W.ChallengeConfigProperty(
            immunity_time_property=W.ImmunityTimePropertyProperty(immunity_time=CHALLENGE_IMMUNITY)
        )
        if bot_check
        else None,
        rules=rules,
    )


def protect(
    scope: Construct,
    acl: wafv2.CfnWebACL,
    *,
    stage_arn: str,
    logs_key: kms.IKey,
    retention: logs.RetentionDays,
    bot_check: bool,
) -> str | None:
    """Log the web ACL (the Authorization header redacted), associate it with the stage, and,
    with the bot check, return the address of its JavaScript integration (the pages' challenge
    script), which only the WAF API gives."""
    waf_logs = logs.LogGroup(
        scope,
        "WafLogs",
        log_group_name=f"aws-waf-logs-client-portal-{Stack.of(scope).stack_name}",
        retention=retention,
        encryption_key=logs_key,
        removal_policy=RemovalPolicy.RETAIN,
    )
    wafv2.CfnLoggingConfiguration(
        scope,
        "WafLogging",
        resource_arn=acl.attr_arn,
        log_destination_configs=[waf_logs.log_group_arn],
        # Headers may carry tokens: never log them.
        redacted_fields=[
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"})
        ],
    )
    wafv2.CfnWebACLAssociation(scope, "WafAssociation", resource_arn=stage_arn, web_acl_arn=acl.attr_arn)
    if not bot_check:
        return None
    read = cr.AwsSdkCall(
        service="WAFV2",
        action="getWebACL",
        # The web ACL's Ref is "name|id|scope".
        parameters={"Name": Fn.select(0, Fn.split("|", acl.ref)), "Scope": "REGIONAL", "Id": acl.attr_id},
        physical_resource_id=cr.PhysicalResourceId.of(acl.attr_id),
        output_paths=["ApplicationIntegrationURL"],
    )
    integration = cr.AwsCustomResource(
        scope,
        "WafIntegration",
        on_create=read,
        on_update=read,
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[acl.attr_arn]),
        install_latest_aws_sdk=False,
    )
    return integration.get_response_field("ApplicationIntegrationURL")

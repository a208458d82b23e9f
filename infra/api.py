"""API: the Lambda functions and the REST API, both built from the route table."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from functions.api.routes import FUNCTIONS, ROUTES, Access, allowed_methods
from functions.store.schema import ACCESS

from .bundling import function_code

MEMORY_MB = {"availability": 1024, "docs": 512}
CORS_HEADERS = ["Content-Type", "Authorization", "Idempotency-Key"]


def table_policy(table: dynamodb.ITableV2, function: str) -> list[iam.PolicyStatement]:
    """IAM statements for the items a function may touch, by leading key."""
    rules = ACCESS[function]
    statements = []

    def leading(keys: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
        return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(keys)}}

    if rules.get("read"):
        statements.append(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"],
                resources=[table.table_arn],
                conditions=leading(rules["read"]),
            )
        )
    if rules.get("write"):
        statements.append(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:ConditionCheckItem",
                ],
                resources=[table.table_arn],
                conditions=leading(rules["write"]),
            )
        )
    for index, keys in rules.items():
        if index not in ("read", "write"):
            statements.append(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"],
                    resources=[f"{table.table_arn}/index/{index}"],
                    conditions=leading(keys),
                )
            )
    return statements


class Functions(Construct):
    """One Lambda function per concern, each with only the permissions it needs."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        table: dynamodb.ITableV2,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        environment: dict[str, str],
        retention_days: int,
        reserved_concurrency: int,
    ) -> None:
        super().__init__(scope, id)
        code = function_code()
        self.by_name: dict[str, lambda_.Function] = {}
        for name, module in {**FUNCTIONS, "notify": "functions.notify.handler"}.items():
            log_group = logs.LogGroup(
                self,
                f"{name}Logs",
                retention=_retention(retention_days),
                encryption_key=logs_key,
                removal_policy=RemovalPolicy.RETAIN,
            )
            function = lambda_.Function(
                self,
                name,
                runtime=lambda_.Runtime.PYTHON_3_13,
                architecture=lambda_.Architecture.ARM_64,
                handler=f"{module}.handler",
                code=code,
                memory_size=MEMORY_MB.get(name, 512),
                timeout=Duration.seconds(30 if name == "notify" else 10),
                reserved_concurrent_executions=5 if name == "notify" else reserved_concurrency,
                tracing=lambda_.Tracing.ACTIVE,
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                environment={**environment, "POWERTOOLS_SERVICE_NAME": f"client-portal-{name}"},
                description=f"Client portal: {name}",
            )
            for statement in table_policy(table, name):
                function.add_to_role_policy(statement)
            if ACCESS[name].get("write") or name == "notify":
                data_key.grant_encrypt_decrypt(function)
            elif ACCESS[name]:
                data_key.grant_decrypt(function)
            self.by_name[name] = function


_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def _retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"logRetentionDays must be one of {sorted(_RETENTION)}")
    return _RETENTION[days]


class Api(Construct):
    """The REST API from the route table, with the Cognito authorizer on /me and /staff."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        functions: Functions,
        pool: cognito.IUserPool,
        origins: list[str],
        logs_key: kms.IKey,
        retention_days: int,
        request_rate_limit: int,
    ) -> None:
        super().__init__(scope, id)
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=_retention(retention_days),
            encryption_key=logs_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name="client-portal",
            description="Client portal API (contract v1)",
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            deploy_options=apigw.StageOptions(
                stage_name="api",
                throttling_rate_limit=50,
                throttling_burst_limit=100,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies hold personal data
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=origins,
                allow_headers=CORS_HEADERS,
                allow_methods=apigw.Cors.ALL_METHODS,
                max_age=Duration.minutes(10),
            ),
            endpoint_types=[apigw.EndpointType.REGIONAL],
        )
        authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[pool])
        validator = self.api.add_request_validator(
            "Request", validate_request_parameters=True, validate_request_body=True
        )
        integrations = {
            name: apigw.LambdaIntegration(function) for name, function in functions.by_name.items()
        }
        for route in ROUTES:
            resource = self.api.root.resource_for_path(route.path)
            signed_in = route.access is not Access.PUBLIC
            resource.add_method(
                route.method,
                integrations[route.function],
                authorizer=authorizer if signed_in else None,
                authorization_type=apigw.AuthorizationType.COGNITO
                if signed_in
                else apigw.AuthorizationType.NONE,
                request_validator=validator,
                operation_name=route.endpoint,
            )
        for path in dict.fromkeys(route.path for route in ROUTES):
            # A method the resource does not have: API Gateway prefers a resource's own methods to
            # its ANY, so ANY catches only those, and answers 405 with Allow without a function.
            self.api.root.resource_for_path(path).add_method(
                "ANY",
                _method_not_allowed(path),
                authorization_type=apigw.AuthorizationType.NONE,
                method_responses=[
                    apigw.MethodResponse(
                        status_code="405", response_parameters={"method.response.header.Allow": True}
                    )
                ],
                operation_name="methodNotAllowed",
            )
        for response, status, code, message in (
            (apigw.ResponseType.UNAUTHORIZED, "401", "unauthorized", "Sign in to continue."),
            # A path the API does not have (API Gateway's "missing authentication token", a 403).
            (
                apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
                "404",
                "not_found",
                "Nothing was found at this address.",
            ),
            (apigw.ResponseType.ACCESS_DENIED, "403", "forbidden", "You are not allowed to do this."),
            (
                apigw.ResponseType.THROTTLED,
                "429",
                "throttled",
                "Too many requests. Please try again shortly.",
            ),
            (apigw.ResponseType.DEFAULT_4_XX, None, "bad_request", "The request could not be handled."),
            (
                apigw.ResponseType.DEFAULT_5_XX,
                None,
                "temporarily_unavailable",
                "Please try again in a moment.",
            ),
        ):
            self.api.add_gateway_response(
                f"{code}Response",
                type=response,
                status_code=status,
                response_headers={
                    "Access-Control-Allow-Origin": "method.request.header.origin",
                    "Vary": "'Origin'",
                },
                templates={"application/json": f'{{"error": {{"code": "{code}", "message": "{message}"}}}}'},
            )
        self.web_acl = _web_acl(self, request_rate_limit)
        waf_logs = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=f"aws-waf-logs-client-portal-{Stack.of(self).stack_name}",
            retention=_retention(retention_days),
            encryption_key=logs_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[waf_logs.log_group_arn],
            # Headers may carry tokens: never log them.
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"})
            ],
        )
        stage_arn = Stack.of(self).format_arn(
            service="apigateway",
            account="",
            resource="/restapis",
            resource_name=f"{self.api.rest_api_id}/stages/{self.api.deployment_stage.stage_name}",
        )
        wafv2.CfnWebACLAssociation(
            self, "WafAssociation", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn
        )


METHOD_NOT_ALLOWED = (
    '{"error": {"code": "method_not_allowed", "message": '
    '"This address does not take this method; see the Allow header."}}'
)


def _method_not_allowed(path: str) -> apigw.MockIntegration:
    """The local gateway's 405 (functions/local/gateway.py), from API Gateway itself."""
    return apigw.MockIntegration(
        request_templates={"application/json": '{"statusCode": 405}'},
        passthrough_behavior=apigw.PassthroughBehavior.NEVER,
        integration_responses=[
            apigw.IntegrationResponse(
                status_code="405",
                response_parameters={"method.response.header.Allow": f"'{allowed_methods(path)}'"},
                response_templates={"application/json": METHOD_NOT_ALLOWED},
            )
        ],
    )


def _web_acl(scope: Construct, limit: int) -> wafv2.CfnWebACL:
    def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
        )

    def managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=name
                )
            ),
            visibility_config=visibility(name),
        )

    def matching(
        field: wafv2.CfnWebACL.FieldToMatchProperty, how: str, text: str
    ) -> wafv2.CfnWebACL.StatementProperty:
        return wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=field,
                positional_constraint=how,
                search_string=text,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )

    public_requests = wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(
            statements=[
                matching(wafv2.CfnWebACL.FieldToMatchProperty(method={}), "EXACTLY", "POST"),
                matching(wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}), "ENDS_WITH", "/requests"),
            ]
        )
    )
    return wafv2.CfnWebACL(
        scope,
        "Waf",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility("client-portal"),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name="PublicRequestRate",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=limit, aggregate_key_type="IP", scope_down_statement=public_requests
                    )
                ),
                visibility_config=visibility("PublicRequestRate"),
            ),
            managed("AWSManagedRulesAmazonIpReputationList", 1),
            managed("AWSManagedRulesCommonRuleSet", 2),
            managed("AWSManagedRulesKnownBadInputsRuleSet", 3),
        ],
    )

"""API: the Lambda functions and the REST API, both built from the route table."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.api.routes import BACKGROUND, CORS_HEADERS, FUNCTIONS, ROUTES, Access, allowed_methods
from functions.store.schema import ACCESS

from . import waf
from .bundling import function_code

MEMORY_MB = {"availability": 1024, "docs": 512}
# API functions answer within API Gateway's 29 seconds; notify works through a stream batch; a
# reminder run may send many emails at SES's sending rate (it stops starting new ones near its end).
TIMEOUT_SECONDS = {"notify": 30, "reminders": 240, "expiry": 120, "waitlistnotify": 60, "waitlistexpiry": 120}
# Notify and reminders send email: their concurrency stays small (SES's sending rate).
RESERVED = {"notify": 5, "reminders": 2, "expiry": 1, "waitlistnotify": 2, "waitlistexpiry": 1}


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
        self.log_groups: dict[str, logs.LogGroup] = {}
        for name, module in {**FUNCTIONS, **BACKGROUND}.items():
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
                timeout=Duration.seconds(TIMEOUT_SECONDS.get(name, 10)),
                reserved_concurrent_executions=RESERVED.get(name, reserved_concurrency),
                tracing=lambda_.Tracing.ACTIVE,
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                environment={**environment, "POWERTOOLS_SERVICE_NAME": f"client-portal-{name}"},
                description=f"Client portal: {name}",
            )
            for statement in table_policy(table, name):
                function.add_to_role_policy(statement)
            if ACCESS[name].get("write") or name in BACKGROUND:
                data_key.grant_encrypt_decrypt(function)
            elif ACCESS[name]:
                data_key.grant_decrypt(function)
            self.by_name[name] = function
            self.log_groups[name] = log_group


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
    """The REST API from the route table, with the Cognito authorizer (both user pools) on /me and
    /staff."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        functions: Functions,
        pools: list[cognito.IUserPool],
        origins: list[str],
        logs_key: kms.IKey,
        retention_days: int,
        request_rate_limit: int,
        caller_rate_limit: int,
        portal_domain: str,
        portal_origin: str,
        bot_check: bool,
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
                allow_headers=list(CORS_HEADERS),
                allow_methods=apigw.Cors.ALL_METHODS,
                max_age=Duration.minutes(10),
            ),
            endpoint_types=[apigw.EndpointType.REGIONAL],
        )
        # The API's own origin, from the REST API alone: the stage's URL would make the pages'
        # headers depend on every method, and so on the pages' own address (CORS).
        self.origin = f"https://{self.api.rest_api_id}.execute-api.{Stack.of(self).region}.{Aws.URL_SUFFIX}"
        # One authorizer for both user pools, so that a valid token of the wrong pool is the
        # contract's 403 (or, on /me, an account with no client record) rather than a 401: the
        # functions tell the pools apart by the token's issuer (functions/api/identity.py).
        authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=pools)
        validator = self.api.add_request_validator(
            "Request", validate_request_parameters=True, validate_request_body=True
        )
        integrations = {
            name: apigw.LambdaIntegration(function)
            for name, function in functions.by_name.items()
            if name in FUNCTIONS
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
                # API Gateway cannot choose among allowed origins for its own answers: they name the
                # portal's, whose pages read them (a session ended, throttled); any other origin's
                # page cannot read them, as CORS wants.
                response_headers={"Access-Control-Allow-Origin": f"'{portal_origin}'", "Vary": "'Origin'"},
                templates={"application/json": f'{{"error": {{"code": "{code}", "message": "{message}"}}}}'},
            )
        self.web_acl = waf.web_acl(
            self,
            request_rate_limit=request_rate_limit,
            caller_rate_limit=caller_rate_limit,
            portal_domain=portal_domain,
            bot_check=bot_check,
        )
        stage_arn = Stack.of(self).format_arn(
            service="apigateway",
            account="",
            resource="/restapis",
            resource_name=f"{self.api.rest_api_id}/stages/{self.api.deployment_stage.stage_name}",
        )
        self.waf_integration_url = waf.protect(
            self,
            self.web_acl,
            stage_arn=stage_arn,
            logs_key=logs_key,
            retention=_retention(retention_days),
            bot_check=bot_check,
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

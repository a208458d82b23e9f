"""The synthesized stack, checked with aws_cdk.assertions: what a practice deploys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from functions.api.openapi import document
from functions.api.routes import FUNCTIONS, ROUTES, Access
from functions.store.schema import INDEXES
from infra import bundling
from infra.app import build
from infra.config import DeployConfig
from infra.web import WEB

CONFIG = DeployConfig.load()


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cdk")


@pytest.fixture(scope="module")
def template(outdir: Path) -> Template:
    app = App(outdir=str(outdir))
    stack = build(app, CONFIG)
    app.synth()  # runs cdk-nag: an unacknowledged finding fails here
    return Template.from_stack(stack)


def test_the_bundle_ships_bytecode_for_lambdas_python_whenever_one_can_be_had(template, outdir):
    # Given the one code asset every function of the synthesized stack deploys
    codes = {
        json.dumps(f["Properties"]["Code"], sort_keys=True)
        for f in resources(template, "AWS::Lambda::Function").values()
        if str(f["Properties"].get("Handler", "")).startswith("functions.")
    }
    assert len(codes) == 1
    [bundle] = [p for p in outdir.glob("asset.*") if (p / "functions" / "request" / "docs.py").is_file()]
    if bundling.lambda_python() is None:
        pytest.skip("no Python 3.13 on this machine, and `uv python install 3.13` failed")

    # Then every module of functions/ and of its dependencies has CPython 3.13 bytecode beside it
    def missing(top: Path) -> list[str]:
        return [
            str(source.relative_to(bundle))
            for source in top.rglob("*.py")
            if not (source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc").is_file()
        ]

    assert missing(bundle / "functions") == []
    for dependency in ("pydantic", "pydantic_core", "aws_lambda_powertools", "icalendar", "email_validator"):
        assert missing(bundle / dependency) == [], dependency
    # and no bytecode of another Python (the synthesizing one's is useless to Lambda)
    assert not [p for p in bundle.rglob("*.pyc") if ".cpython-313" not in p.name]
    # and the docs function's document, generated at synth
    assert json.loads((bundle / "functions" / "request" / "openapi.json").read_text()) == document()


def resources(template: Template, kind: str) -> dict[str, Any]:
    return dict(template.find_resources(kind))


def test_table_is_encrypted_recoverable_streamed_and_retained(template):
    template.has_resource(
        "AWS::DynamoDB::GlobalTable",
        {
            "DeletionPolicy": "Retain",
            "Properties": Match.object_like(
                {
                    "BillingMode": "PAY_PER_REQUEST",
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                    "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
                    "SSESpecification": Match.object_like({"SSEEnabled": True, "SSEType": "KMS"}),
                    "Replicas": [
                        Match.object_like(
                            {
                                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                                "DeletionProtectionEnabled": True,
                            }
                        )
                    ],
                }
            ),
        },
    )
    table = next(iter(resources(template, "AWS::DynamoDB::GlobalTable").values()))
    assert sorted(i["IndexName"] for i in table["Properties"]["GlobalSecondaryIndexes"]) == sorted(
        i["name"] for i in INDEXES
    )


def test_every_route_is_a_method_with_the_right_authorizer(template):
    methods = resources(template, "AWS::ApiGateway::Method")
    served = {
        (m["Properties"]["HttpMethod"], m["Properties"]["OperationName"]): m["Properties"]
        for m in methods.values()
        if m["Properties"]["HttpMethod"] not in ("OPTIONS", "ANY")
    }
    assert len(served) == len(ROUTES)
    for route in ROUTES:
        method = served[(route.method, route.endpoint)]
        expected = "NONE" if route.access is Access.PUBLIC else "COGNITO_USER_POOLS"
        assert method["AuthorizationType"] == expected, route.path


def _resource_paths(template: Template) -> dict[str, str]:
    """Each API resource's logical id -> its path ("/staff/clinicians/{id}")."""
    found = resources(template, "AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = found[logical_id]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in found:
        path_of(logical_id)
    return paths


def test_a_method_a_resource_does_not_have_is_a_405_with_allow_and_the_error_body(template):
    paths = _resource_paths(template)
    mocks = {
        paths[m["Properties"]["ResourceId"]["Ref"]]: m["Properties"]
        for m in resources(template, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "ANY"
    }
    assert set(mocks) == {r.path for r in ROUTES}
    for path, method in mocks.items():
        # reaching no function, and answering without an authorizer (nothing is behind it)
        assert method["AuthorizationType"] == "NONE"
        integration = method["Integration"]
        assert integration["Type"] == "MOCK"
        assert integration["RequestTemplates"] == {"application/json": '{"statusCode": 405}'}
        [response] = integration["IntegrationResponses"]
        assert response["StatusCode"] == "405"
        allow = {r.method for r in ROUTES if r.path == path} | {"OPTIONS"}
        header = response["ResponseParameters"]["method.response.header.Allow"]
        assert set(header.strip("'").split(", ")) == allow
        assert json.loads(response["ResponseTemplates"]["application/json"])["error"]["code"] == (
            "method_not_allowed"
        )
        assert method["MethodResponses"] == [
            {"StatusCode": "405", "ResponseParameters": {"method.response.header.Allow": True}}
        ]


def test_a_path_the_api_does_not_have_is_a_404_not_a_403(template):
    template.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404",
            "ResponseTemplates": {
                "application/json": Match.serialized_json(
                    {"error": {"code": "not_found", "message": "Nothing was found at this address."}}
                )
            },
        },
    )


def test_user_pool_is_invite_only_with_strong_passwords_and_staff_group(template):
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        Match.object_like(
            {
                "AdminCreateUserConfig": Match.object_like({"AllowAdminCreateUserOnly": True}),
                "UsernameAttributes": ["email"],
                "MfaConfiguration": "OPTIONAL",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {
                    "PasswordPolicy": Match.object_like(
                        {"MinimumLength": 12, "RequireSymbols": True, "RequireNumbers": True}
                    )
                },
            }
        ),
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolGroup", {"GroupName": "staff", "UserPoolId": Match.any_value()}
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        Match.object_like(
            {
                "GenerateSecret": False,
                "ExplicitAuthFlows": Match.array_with(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]),
            }
        ),
    )


def _pools(template: Template) -> dict[str, dict[str, Any]]:
    """The user pools by their construct id (Users: the clients', Staff: the staff's)."""
    return {
        "Staff" if key.startswith("AuthStaff") else "Users": pool["Properties"]
        for key, pool in resources(template, "AWS::Cognito::UserPool").items()
    }


def test_staff_must_sign_in_with_totp_and_clients_may(template):
    # Given the synthesized stack / When its user pools are read
    pools = _pools(template)

    # Then staff sign in to a pool that requires a TOTP authenticator (never SMS)
    assert set(pools) == {"Users", "Staff"}
    assert pools["Staff"]["MfaConfiguration"] == "ON"
    assert pools["Staff"]["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    # and clients to one where it is optional
    assert pools["Users"]["MfaConfiguration"] == "OPTIONAL"
    assert pools["Users"]["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    # and the staff group lives in the staff pool only
    [group] = resources(template, "AWS::Cognito::UserPoolGroup").values()
    assert group["Properties"]["GroupName"] == "staff"
    assert group["Properties"]["UserPoolId"]["Ref"].startswith("AuthStaff")


def test_one_authorizer_accepts_both_pools_and_the_functions_know_which_is_which(template):
    # Given the synthesized stack
    [authorizer] = resources(template, "AWS::ApiGateway::Authorizer").values()
    pool_ids = sorted(resources(template, "AWS::Cognito::UserPool"))

    # Then API Gateway checks tokens of either pool
    arns = authorizer["Properties"]["ProviderARNs"]
    assert sorted(a["Fn::GetAtt"][0] for a in arns) == pool_ids
    # and every API function is told both pools, to tell a staff token from a client's
    for props in resources(template, "AWS::Lambda::Function").values():
        environment = props["Properties"].get("Environment", {}).get("Variables", {})
        if "TABLE_NAME" in environment:
            assert environment["USER_POOL_ID"]["Ref"].startswith("AuthUsers")
            assert environment["STAFF_USER_POOL_ID"]["Ref"].startswith("AuthStaff")


def test_invitations_create_clients_accounts_and_only_look_up_staffs(template):
    statements = [s for s in _policy_of(template, "clients") if "cognito-idp" in json.dumps(s["Action"])]
    granted = {
        json.dumps(s["Resource"]): sorted(_actions(s)) for s in statements
    }  # resource -> the calls allowed on it
    assert len(granted) == 2
    on_clients = next(v for k, v in granted.items() if "AuthUsers" in k)
    on_staff = next(v for k, v in granted.items() if "AuthStaff" in k)
    assert on_clients == ["cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser"]
    assert on_staff == ["cognito-idp:AdminGetUser"]


def test_no_app_client_may_write_an_email_and_a_changed_email_waits_for_verification(template):
    # Given the synthesized stack / When its app clients and user pools are read
    clients = resources(template, "AWS::Cognito::UserPoolClient")
    pools = resources(template, "AWS::Cognito::UserPool")

    # Then no signed-in person can change the address their confirmations go to
    assert clients
    for client in clients.values():
        writable = client["Properties"].get("WriteAttributes")
        # Cognito lets an app client without a WriteAttributes list write every standard attribute.
        assert writable, "an app client may write every attribute"
        assert not {"email", "email_verified"} & set(writable)
        assert set(client["Properties"]["ReadAttributes"]) == {"email", "email_verified"}
    # and an address changed otherwise is kept as it was until the new one is verified
    for pool in pools.values():
        assert pool["Properties"]["UserAttributeUpdateSettings"] == {
            "AttributesRequireVerificationBeforeUpdate": ["email"]
        }


def test_functions_are_python_313_on_arm_with_limits_and_tracing(template):
    functions = {
        k: v["Properties"]
        for k, v in resources(template, "AWS::Lambda::Function").items()
        if str(v["Properties"].get("Handler", "")).startswith("functions.")
    }
    # the API's functions, notify, reminders, the offer expiry, and the waitlist's consumer and job
    assert len(functions) == len(FUNCTIONS) + 5
    for props in functions.values():
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["MemorySize"] >= 512
        # Behind the API, within API Gateway's 29 seconds; a scheduled run within its schedule
        limit = {
            "functions.jobs.reminders.handler": 300,
            "functions.jobs.offers.handler": 300,
            "functions.jobs.waitlist.handler": 300,
            "functions.waitlist.handler.handler": 60,
        }.get(props["Handler"], 30)
        assert props["Timeout"] <= limit
        assert props["ReservedConcurrentExecutions"] >= 1
        assert props["LoggingConfig"]["LogGroup"]
    handlers = sorted(p["Handler"] for p in functions.values())
    assert "functions.notify.handler.handler" in handlers
    assert "functions.jobs.reminders.handler" in handlers
    assert "functions.request.availability.handler" in handlers


def _policy_of(template: Template, function_prefix: str) -> list[dict[str, Any]]:
    policies = resources(template, "AWS::IAM::Policy")
    [policy] = [
        p for k, p in policies.items() if k.startswith(f"Functions{function_prefix}ServiceRoleDefaultPolicy")
    ]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _dynamodb_statements(template: Template, function: str) -> list[dict[str, Any]]:
    """Statements on the table and its indexes (the stream's read permissions aside)."""
    return [
        s
        for s in _policy_of(template, function)
        if any(a.startswith("dynamodb:") for a in _actions(s))
        and "StreamArn" not in json.dumps(s["Resource"])
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_public_availability_reads_only_settings_and_held_times(template):
    statements = _dynamodb_statements(template, "availability")
    keys = sorted(
        k for s in statements for k in s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    )
    assert keys == ["BUSY", "PRACTICE"]
    assert not any(
        a in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
        for s in statements
        for a in _actions(s)
    )


def test_every_table_permission_is_limited_by_leading_keys(template):
    for name in (
        "availability",
        "submit",
        "appointments",
        "reschedule",
        "cancel",
        "review",
        "practice",
        "clients",
        "notify",
        "calendar",
        "reminders",
        "waitlist",
        "waitlistreview",
        "waitlistnotify",
        "waitlistexpiry",
    ):
        for statement in _dynamodb_statements(template, name):
            assert "dynamodb:LeadingKeys" in json.dumps(statement.get("Condition", {})), (name, statement)


def test_notify_may_set_only_a_requests_notification_status(template):
    statements = _dynamodb_statements(template, "notify")
    on_requests = [s for s in statements if "APPT#*" in json.dumps(s["Condition"])]
    reads = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"}
    changes = [s for s in on_requests if set(_actions(s)) - reads]
    assert len(changes) == 1
    assert _actions(changes[0]) == ["dynamodb:UpdateItem"]
    assert changes[0]["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"] == [
        "pk",
        "sk",
        "notification",
        "notifiedVersion",
    ]
    writes = [s for s in statements if "dynamodb:PutItem" in _actions(s)]
    assert all(
        "SENT#*" in json.dumps(s["Condition"]) and "APPT#*" not in json.dumps(s["Condition"]) for s in writes
    )


def test_stream_mapping_filters_bisects_and_has_a_failure_queue(template):
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        Match.object_like(
            {
                "BatchSize": 100,
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": 10,
                "MaximumRecordAgeInSeconds": 86400,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "DestinationConfig": {"OnFailure": {"Destination": Match.any_value()}},
                "FilterCriteria": {"Filters": [{"Pattern": Match.string_like_regexp('"request"')}]},
            }
        ),
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", Match.object_like({"KmsMasterKeyId": Match.any_value()})
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", Match.object_like({"MetricName": "ApproximateNumberOfMessagesVisible"})
    )


def test_api_stage_throttles_logs_traces_and_sits_behind_waf(template):
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        Match.object_like(
            {
                "TracingEnabled": True,
                "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
                "MethodSettings": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "ThrottlingRateLimit": 50,
                                "ThrottlingBurstLimit": 100,
                                "DataTraceEnabled": False,
                            }
                        )
                    ]
                ),
            }
        ),
    )
    acl = next(iter(resources(template, "AWS::WAFv2::WebACL").values()))["Properties"]
    rules = {r["Name"]: r for r in acl["Rules"]}
    assert rules["PublicRequestRate"]["Statement"]["RateBasedStatement"]["Limit"] == CONFIG.requestRateLimit
    assert "AWSManagedRulesCommonRuleSet" in rules
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    template.resource_count_is("AWS::WAFv2::LoggingConfiguration", 1)


def test_cors_allows_the_portal_and_the_practice_website(template):
    options = [
        m["Properties"]
        for m in resources(template, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    assert options
    assert CONFIG.websiteOrigins[0] in json.dumps(options[0]["Integration"])


def test_email_identity_and_tls_only_configuration_set(template):
    template.has_resource_properties("AWS::SES::EmailIdentity", {"EmailIdentity": CONFIG.sesIdentity})
    template.has_resource_properties(
        "AWS::SES::ConfigurationSet", Match.object_like({"DeliveryOptions": {"TlsPolicy": "REQUIRE"}})
    )


def test_web_bucket_is_private_encrypted_and_served_through_oac(template):
    template.has_resource_properties(
        "AWS::S3::Bucket",
        Match.object_like(
            {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": Match.any_value(),
                "LoggingConfiguration": Match.any_value(),
            }
        ),
    )
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        Match.object_like({"DistributionConfig": Match.object_like({"DefaultRootObject": "index.html"})}),
    )
    deployment = next(iter(resources(template, "Custom::CDKBucketDeployment").values()))
    assert "SourceMarkersConfig" in json.dumps(deployment) or "SourceMarkers" in json.dumps(deployment)


def test_the_pages_are_published_with_every_file_under_web(template, outdir):
    # Given the asset of the pages that the site bucket's deployment unpacks
    deployment = json.dumps(next(iter(resources(template, "Custom::CDKBucketDeployment").values())))
    [pages] = [p for p in outdir.glob("asset.*") if (p / "staff.html").is_file()]
    assert f"{pages.name.removeprefix('asset.')}.zip" in deployment

    # Then it holds every file under web/, the modules in its subfolders (js/staff/) as well:
    # nothing lists the pages' files one by one
    def files(top: Path) -> set[str]:
        return {p.relative_to(top).as_posix() for p in top.rglob("*") if p.is_file()}

    assert files(pages) == files(WEB)
    assert {"js/staff.js", "js/staff/queue.js", "js/zone.js"} <= files(pages)


def test_outputs_for_the_portal_and_sign_in(template):
    outputs = template.to_json()["Outputs"]
    assert {
        "ApiUrl",
        "PortalUrl",
        "UserPoolId",
        "UserPoolClientId",
        "StaffUserPoolId",
        "StaffUserPoolClientId",
    } <= set(outputs)


def test_alarms_on_every_function_error_and_throttle(template):
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    # the API's functions, notify, reminders, the offer expiry, and the waitlist's consumer and job
    background = 5
    assert sum(a.get("MetricName") == "Errors" for a in alarms) == len(FUNCTIONS) + background
    assert sum(a.get("MetricName") == "Throttles" for a in alarms) == len(FUNCTIONS) + background


def test_an_unacknowledged_finding_fails_the_synth(tmp_path):
    app = App(outdir=str(tmp_path))
    stack = build(app, CONFIG)
    s3.Bucket(stack, "Careless")  # no SSL enforcement, no access logs
    with pytest.raises(RuntimeError, match=r"ClientPortal/Careless/Resource[\s\S]*AwsSolutions-S10"):
        app.synth()


def test_cfn_lint_finds_only_what_cdk_writes_itself(template):
    from cfnlint.api import ManualArgs, lint

    found = lint(json.dumps(template.to_json()), config=ManualArgs(regions=[CONFIG.region]))
    assert found, "cfn-lint ran: CDK's own redundant DependsOn are reported as warnings"
    # The two that CDK writes itself (make synth ignores them); anything else is ours.
    assert {m.rule.id for m in found} <= {"W3005", "W3045"}, [str(m) for m in found]


def test_browsers_revalidate_the_pages_so_a_deploy_never_mixes_versions(template):
    [deployment] = resources(template, "Custom::CDKBucketDeployment").values()
    assert deployment["Properties"]["SystemMetadata"]["cache-control"] == "no-cache"


def test_the_staff_page_address_is_served(template):
    function = next(iter(resources(template, "AWS::CloudFront::Function").values()))["Properties"]
    assert "'/staff.html'" in function["FunctionCode"]
    [staff] = _distribution(template)["CacheBehaviors"]
    assert staff["PathPattern"] == "/staff*"
    assert [f["EventType"] for f in staff["FunctionAssociations"]] == ["viewer-request"]


def _distribution(template: Template) -> dict[str, Any]:
    distribution = next(iter(resources(template, "AWS::CloudFront::Distribution").values()))
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def _headers_of(template: Template, behavior: dict[str, Any]) -> dict[str, Any]:
    policies = resources(template, "AWS::CloudFront::ResponseHeadersPolicy")
    config: dict[str, Any] = policies[behavior["ResponseHeadersPolicyId"]["Ref"]]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]
    security: dict[str, Any] = config["SecurityHeadersConfig"]
    return security


def _csp(headers: dict[str, Any]) -> dict[str, str]:
    """The policy's directives, with the template's references written as {Ref: id}."""
    value = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    text = (
        "".join(
            p if isinstance(p, str) else json.dumps(p, separators=(",", ":")) for p in value["Fn::Join"][1]
        )
        if isinstance(value, dict)
        else value
    )
    return dict(d.strip().split(" ", 1) for d in text.split(";") if d.strip())


def test_the_pages_may_call_only_this_stacks_api_and_user_pools(template):
    # Given the stack's REST API
    [api] = resources(template, "AWS::ApiGateway::RestApi")
    region = CONFIG.region

    # When the pages' and the staff page's Content-Security-Policy are read
    config = _distribution(template)
    bot_check = f"https://*.{region}.sdk.awswaf.com"
    for behavior, portal in (
        (config["DefaultCacheBehavior"], True),
        *((b, False) for b in config["CacheBehaviors"]),
    ):
        csp = _csp(_headers_of(template, behavior))

        # Then they may call their own origin, this API's and Cognito's, and no other API; the
        # portal also AWS WAF's integration of the region (the request form's bot check)
        sources = csp["connect-src"].split(" ")
        assert sources[0] == "'self'"
        assert sources[1] == f'https://{{"Ref":"{api}"}}.execute-api.{region}.{{"Ref":"AWS::URLSuffix"}}'
        assert sources[2:] == [
            f"https://cognito-idp.{region}.amazonaws.com",
            *([bot_check] if portal else []),
        ]
        assert "execute-api" not in csp["connect-src"].replace(sources[1], "")
        assert csp["script-src"] == ("'self' " + bot_check if portal else "'self'")


def test_only_the_practice_website_may_frame_the_portal_and_nobody_the_staff_page(template):
    # Given the distribution / When each behaviour's headers are read
    config = _distribution(template)
    portal = _headers_of(template, config["DefaultCacheBehavior"])
    [staff_behavior] = config["CacheBehaviors"]
    staff = _headers_of(template, staff_behavior)

    # Then the portal (its request button) may be framed by the practice's website
    assert _csp(portal)["frame-ancestors"] == " ".join(["'self'", *CONFIG.websiteOrigins])
    # and the staff page by nobody, in browsers old and new
    assert _csp(staff)["frame-ancestors"] == "'none'"
    assert staff["FrameOptions"] == {"FrameOption": "DENY", "Override": True}


def test_an_email_given_up_on_raises_an_alarm_and_the_redrive_finds_its_queue(template):
    # Given the synthesized stack
    outputs = template.find_outputs("*")
    filters = template.find_resources("AWS::Logs::MetricFilter")
    alarms = template.find_resources("AWS::CloudWatch::Alarm")

    # Then `make redrive` finds the failure queue and the function in the outputs
    assert {"NotifyFailureQueueUrl", "NotifyFunctionName"} <= set(outputs)
    # and every log line of an email given up on is counted, and alarmed on
    [metric_filter] = [
        f
        for f in filters.values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == "EmailsNotSent"
    ]
    pattern = metric_filter["Properties"]["FilterPattern"]
    for message in (
        "email refused",
        "email could not be built",
        "email not sent after retries",
        "email delivery unknown",
    ):
        assert f'$.message = "{message}"' in pattern
    assert any(
        a["Properties"].get("MetricName") == "EmailsNotSent" and a["Properties"].get("AlarmActions")
        for a in alarms.values()
    )


def _acl(template):
    return next(iter(resources(template, "AWS::WAFv2::WebACL").values()))["Properties"]


def _byte_matches(statement):
    """Every byte match inside a statement."""
    found = []
    if isinstance(statement, dict):
        if "ByteMatchStatement" in statement:
            found.append(statement["ByteMatchStatement"])
        for value in statement.values():
            found += _byte_matches(value)
    elif isinstance(statement, list):
        for value in statement:
            found += _byte_matches(value)
    return found


def test_every_path_the_waf_matches_is_decoded_lowercased_and_normalized(template):
    # Given the web ACL's own rules
    rules = [r for r in _acl(template)["Rules"] if "ManagedRuleGroupStatement" not in r["Statement"]]

    # When their path matches are read
    paths = [m for r in rules for m in _byte_matches(r["Statement"]) if "UriPath" in m["FieldToMatch"]]

    # Then each sees /API/%72equests as /api/requests
    assert paths
    for match in paths:
        kinds = [t["Type"] for t in sorted(match["TextTransformations"], key=lambda t: t["Priority"])]
        assert kinds == ["URL_DECODE", "NORMALIZE_PATH", "LOWERCASE"]
        assert match["SearchString"] == match["SearchString"].lower()


def test_one_caller_cannot_use_up_the_api_and_the_public_form_has_a_bot_check(template):
    # Given the web ACL
    acl = _acl(template)
    rules = {r["Name"]: r for r in acl["Rules"]}

    # Then every route is rate-limited per address, with the configured limit
    caller = rules["CallerRate"]["Statement"]["RateBasedStatement"]
    assert (caller["Limit"], caller["AggregateKeyType"]) == (CONFIG.callerRateLimit, "IP")
    assert "ScopeDownStatement" not in caller
    assert rules["CallerRate"]["Priority"] == min(r["Priority"] for r in acl["Rules"])
    # and the public request form alone goes past AWS's bot rules (paid per request inspected)
    bots = rules["AWSManagedRulesBotControlRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert bots["ManagedRuleGroupConfigs"] == [
        {"AWSManagedRulesBotControlRuleSet": {"InspectionLevel": "COMMON"}}
    ]
    assert ("ENDS_WITH", "/requests") in [
        (m["PositionalConstraint"], m["SearchString"]) for m in _byte_matches(bots["ScopeDownStatement"])
    ]
    # and is challenged (a browser's token), not signed-in requests
    challenge = rules["PublicRequestChallenge"]
    assert challenge["Action"] == {"Challenge": {}}
    searched = [(m["PositionalConstraint"], m["SearchString"]) for m in _byte_matches(challenge["Statement"])]
    assert ("ENDS_WITH", "/requests") in searched
    assert ("CONTAINS", "/me/") in searched
    assert acl["ChallengeConfig"]["ImmunityTimeProperty"]["ImmunityTime"] >= 300
    assert acl["TokenDomains"]  # the portal's domain, where the pages get the token


def test_large_bodies_are_refused_on_public_routes_and_not_on_staff_saves(template):
    # Given the web ACL
    rules = {r["Name"]: r for r in _acl(template)["Rules"]}

    # Then the managed size rule only counts
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}} in common["RuleActionOverrides"]
    # and our own refuses bodies over 8 KB on every route but staff ones
    large = rules["LargeBody"]
    assert large["Action"] == {"Block": {}}
    both = large["Statement"]["AndStatement"]["Statements"]
    size = next(s["SizeConstraintStatement"] for s in both if "SizeConstraintStatement" in s)
    assert (size["ComparisonOperator"], size["Size"]) == ("GT", 8192)
    [excluded] = [s["NotStatement"]["Statement"] for s in both if "NotStatement" in s]
    assert _byte_matches(excluded)[0]["SearchString"] == "/staff/"


def test_the_gateways_own_errors_name_the_portal_not_any_origin(template):
    # Given API Gateway's own answers (no token, throttled, not found, ...)
    answers = resources(template, "AWS::ApiGateway::GatewayResponse")

    # Then none echoes the caller's Origin: they name the portal's
    assert answers
    for answer in answers.values():
        allowed = answer["Properties"]["ResponseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"
        ]
        assert "method.request" not in json.dumps(allowed)
        assert '"WebDistribution' in json.dumps(allowed)
        assert '"DomainName"' in json.dumps(allowed)


def test_the_portal_is_told_where_the_bot_check_is(template):
    # Given what the stack publishes to the site bucket
    deployments = resources(template, "Custom::CDKBucketDeployment")
    published = json.dumps(deployments)

    # Then config.json (whose values are filled in at deploy time) gets AWS WAF's integration,
    # read from the web ACL
    assert "ApplicationIntegrationURL" in published
    [reader] = [r for r in resources(template, "Custom::AWS").values()]
    assert "getWebACL" in json.dumps(reader["Properties"]["Create"])


def test_a_practice_may_turn_the_bot_check_off(tmp_path):
    # Given a practice's configuration without the bot check
    app = App(outdir=str(tmp_path))
    stack = build(app, CONFIG.model_copy(update={"botCheck": False}))
    app.synth()  # cdk-nag still finds nothing unacknowledged
    template = Template.from_stack(stack)

    # Then there is no Bot Control, no challenge and no integration to read, and the pages may
    # load no script but their own
    rules = {r["Name"] for r in _acl(template)["Rules"]}
    assert {"CallerRate", "PublicRequestRate", "LargeBody"} <= rules
    assert not rules & {"AWSManagedRulesBotControlRuleSet", "PublicRequestChallenge"}
    assert resources(template, "Custom::AWS") == {}
    csp = _csp(_headers_of(template, _distribution(template)["DefaultCacheBehavior"]))
    assert csp["script-src"] == "'self'"


# ---- (v2) reminders -----------------------------------------------------------------------------


def test_a_schedule_runs_the_reminder_job_every_five_minutes(template):
    rules = resources(template, "AWS::Events::Rule")
    [rule] = [r for k, r in rules.items() if k.startswith("JobsReminders")]
    props = rule["Properties"]
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert props["State"] == "ENABLED"
    [target] = props["Targets"]
    functions = resources(template, "AWS::Lambda::Function")
    [reminders] = [
        k for k, v in functions.items() if v["Properties"]["Handler"] == "functions.jobs.reminders.handler"
    ]
    assert target["Arn"] == {"Fn::GetAtt": [reminders, "Arn"]}
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 15 * 60
    # and EventBridge may invoke that function
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Principal": "events.amazonaws.com", "FunctionName": {"Fn::GetAtt": [reminders, "Arn"]}},
    )


def test_the_reminder_function_reads_the_due_index_claims_and_sends_only(template):
    statements = _dynamodb_statements(template, "reminders")
    by_resource = {json.dumps(s["Resource"]): s for s in statements}
    # The index: Query of the reminder entries only
    [query] = [s for s in statements if _actions(s) == ["dynamodb:Query"]]
    assert "/index/gsi4" in json.dumps(query["Resource"])
    assert query["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["REMIND"]
    # Writes: its claims on the ledger, nothing else (no appointment, request or setting)
    writes = [s for s in statements if "dynamodb:UpdateItem" in _actions(s)]
    assert [w["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] for w in writes] == [["SENT#*"]]
    reads = [s for s in statements if "dynamodb:GetItem" in _actions(s)]
    assert [r["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] for r in reads] == [
        ["PRACTICE", "SENT#*", "APPT#*"]
    ]
    assert not any("dynamodb:Scan" in _actions(s) for s in statements), by_resource
    # SES: sending through the stack's identity and configuration set
    ses = [s for s in _policy_of(template, "reminders") if any(a.startswith("ses:") for a in _actions(s))]
    assert [sorted(_actions(s)) for s in ses] == [["ses:SendEmail", "ses:SendRawEmail"]]


def test_a_reminder_not_sent_and_a_job_that_stopped_running_raise_alarms(template):
    filters = resources(template, "AWS::Logs::MetricFilter")
    [reminder_filter] = [
        f
        for f in filters.values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == "RemindersNotSent"
    ]
    for message in ("reminder refused", "reminder not sent after retries", "reminder delivery unknown"):
        assert f'$.message = "{message}"' in reminder_filter["Properties"]["FilterPattern"]
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    assert any(a.get("MetricName") == "RemindersNotSent" and a.get("AlarmActions") for a in alarms)
    [stopped] = [a for a in alarms if a.get("MetricName") == "Invocations" and a["Period"] == 15 * 60]
    assert stopped["ComparisonOperator"] == "LessThanThreshold"
    assert stopped["TreatMissingData"] == "breaching"
    assert stopped["Period"] == 15 * 60
    assert stopped["AlarmActions"]


def test_the_deployed_api_has_no_local_only_route(template):
    paths = {
        r["Properties"].get("PathPart") for r in resources(template, "AWS::ApiGateway::Resource").values()
    }
    assert "dev" not in paths
    assert "tick" not in paths
    assert "outbox" not in paths


def test_offer_links_are_sealed_by_review_and_opened_by_notify_only(template):
    keys = resources(template, "AWS::KMS::Key")
    [offer_key] = [k for k, v in keys.items() if "offered times" in v["Properties"]["Description"]]
    assert keys[offer_key]["Properties"]["EnableKeyRotation"] is True
    users: dict[str, set[str]] = {}
    for name, policy in resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if json.dumps(statement["Resource"]).count(offer_key):
                users.setdefault(name.split("ServiceRole")[0], set()).update(_actions(statement))
    assert set(users) == {"Functionsreview", "Functionsnotify"}, users
    assert "kms:Decrypt" not in users["Functionsreview"]
    assert users["Functionsnotify"] == {"kms:Decrypt"}


def test_a_schedule_runs_the_expiry_job_every_five_minutes(template):
    rules = resources(template, "AWS::Events::Rule")
    [rule] = [r for k, r in rules.items() if k.startswith("JobsExpiry")]
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    statements = _dynamodb_statements(template, "expiry")
    [query] = [s for s in statements if _actions(s) == ["dynamodb:Query"]]
    assert query["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["OFFERS"]


# ---- (v2) the waitlist --------------------------------------------------------------------------


def _leading(statement: dict[str, Any]) -> list[str]:
    return list(statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])


def test_the_waitlist_consumer_reads_the_stream_with_its_own_filter_and_failure_queue(template):
    mappings = resources(template, "AWS::Lambda::EventSourceMapping")
    functions = resources(template, "AWS::Lambda::Function")
    [consumer] = [
        k for k, v in functions.items() if v["Properties"]["Handler"] == "functions.waitlist.handler.handler"
    ]
    [mapping] = [
        m["Properties"] for m in mappings.values() if m["Properties"]["FunctionName"] == {"Ref": consumer}
    ]
    pattern = json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"])
    # Only changes and removals of records that held time (notify sees none of them, and this none
    # of notify's)
    assert pattern == {
        "eventName": ["MODIFY", "REMOVE"],
        "dynamodb": {"OldImage": {"gsi2pk": {"S": ["BUSY"]}}},
    }
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 10
    queue = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert queue.startswith("WaitlistFailures")
    # and its failure queue is alarmed
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    assert any(
        a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}
        for a in alarms
    )
    # and a waitlist email given up on raises an alarm
    filters = resources(template, "AWS::Logs::MetricFilter")
    [not_sent] = [
        f
        for f in filters.values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == "WaitlistEmailsNotSent"
    ]
    assert '$.message = "waitlist email refused"' in not_sent["Properties"]["FilterPattern"]
    assert any(a.get("MetricName") == "WaitlistEmailsNotSent" and a.get("AlarmActions") for a in alarms)


def test_the_waitlist_consumer_may_only_count_an_entrys_emails_and_write_its_claims_and_links(template):
    statements = _dynamodb_statements(template, "waitlistnotify")
    queries = {
        json.dumps(s["Resource"]): _leading(s) for s in statements if _actions(s) == ["dynamodb:Query"]
    }
    assert sorted(queries.values()) == [["BUSY"], ["WAITLIST#*"]]
    writes = [s for s in statements if "dynamodb:PutItem" in _actions(s)]
    assert [_leading(w) for w in writes] == [["SENT#*", "WAITNOTE#*"]]
    [on_entries] = [s for s in statements if "WAIT#*" in json.dumps(s.get("Condition", {}))]
    assert _actions(on_entries) == ["dynamodb:UpdateItem"]
    assert on_entries["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"] == [
        "pk",
        "sk",
        "status",
        "notices",
    ]
    reads = [s for s in statements if "dynamodb:GetItem" in _actions(s)]
    assert [_leading(r) for r in reads] == [["PRACTICE", "SENT#*", "CLAIM#*"]]
    ses = [
        s for s in _policy_of(template, "waitlistnotify") if any(a.startswith("ses:") for a in _actions(s))
    ]
    assert [sorted(_actions(s)) for s in ses] == [["ses:SendEmail", "ses:SendRawEmail"]]


def test_an_hourly_schedule_runs_the_waitlist_job_which_touches_only_entries_and_tallies(template):
    functions = resources(template, "AWS::Lambda::Function")
    [job] = [
        k for k, v in functions.items() if v["Properties"]["Handler"] == "functions.jobs.waitlist.handler"
    ]
    [rule] = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [job, "Arn"]}
    ]
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Principal": "events.amazonaws.com", "FunctionName": {"Fn::GetAtt": [job, "Arn"]}},
    )
    statements = _dynamodb_statements(template, "waitlistexpiry")
    [query] = [s for s in statements if _actions(s) == ["dynamodb:Query"]]
    assert "/index/gsi4" in json.dumps(query["Resource"])
    assert _leading(query) == ["WAITEND"]
    writes = [s for s in statements if "dynamodb:UpdateItem" in _actions(s)]
    assert [_leading(w) for w in writes] == [["WAIT#*", "TALLY#*"]]
    assert not any("dynamodb:Scan" in _actions(s) for s in statements)
    # and a job that stopped running raises an alarm
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    [stopped] = [
        a
        for a in alarms
        if a.get("MetricName") == "Invocations" and a["Dimensions"][0]["Value"] == {"Ref": job}
    ]
    assert (stopped["ComparisonOperator"], stopped["TreatMissingData"]) == ("LessThanThreshold", "breaching")


def test_the_waitlists_routes_have_least_privilege(template):
    public = _dynamodb_statements(template, "waitlist")
    assert sorted(k for s in public if "dynamodb:PutItem" in _actions(s) for k in _leading(s)) == [
        "IDEM#*",
        "TALLY#*",
        "WAIT#*",
    ]
    staff = _dynamodb_statements(template, "waitlistreview")
    [query] = [s for s in staff if _actions(s) == ["dynamodb:Query"]]
    assert _leading(query) == ["WAITEND"]
    # the public waitlist form is rate-limited and bot-checked like the request form
    challenge = {r["Name"]: r for r in _acl(template)["Rules"]}["PublicRequestChallenge"]
    searched = [(m["PositionalConstraint"], m["SearchString"]) for m in _byte_matches(challenge["Statement"])]
    assert ("ENDS_WITH", "/waitlist") in searched

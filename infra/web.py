"""Web: the portal pages in a private, encrypted bucket behind CloudFront (origin access
control), and config.json written from the stack's outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jsii
from aws_cdk import Duration, IStableStringProducer, Lazy, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deploy
from constructs import Construct

from .csp import SELF, content_security_policy

WEB = Path(__file__).resolve().parent.parent / "web"
# /staff, /staff/ and /staff.html: the staff page, which no other site may frame.
STAFF_PATHS = "/staff*"


@jsii.implements(IStableStringProducer)
class _Later:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


class Web(Construct):
    def __init__(self, scope: Construct, id: str, *, region: str, website_origins: list[str]) -> None:
        super().__init__(scope, id)
        self.logs = s3.Bucket(
            self,
            "Logs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            # CloudFront standard logging writes with ACLs.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30)
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.bucket = s3.Bucket(
            self,
            "Site",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._region = region
        self._api_origin: str | None = None
        self._bot_check_origin: str | None = None
        # The portal may be framed by the practice's website (the request button); the staff page
        # never is.
        pages = self._headers("Headers", [SELF, *website_origins], bot_check=True)
        staff = self._headers("StaffHeaders", [], bot_check=False)
        # The staff page is /staff, as the emails link it; the file is staff.html.
        rewrite = cloudfront.Function(
            self,
            "Pages",
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            code=cloudfront.FunctionCode.from_inline(
                "function handler(event) { var r = event.request;"
                " if (r.uri === '/staff' || r.uri === '/staff/') { r.uri = '/staff.html'; } return r; }"
            ),
        )
        site = origins.S3BucketOrigin.with_origin_access_control(self.bucket)

        def behavior(
            headers: cloudfront.IResponseHeadersPolicy,
            functions: list[cloudfront.FunctionAssociation] | None = None,
        ) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=site,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                function_associations=functions,
            )

        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            default_behavior=behavior(pages),
            additional_behaviors={
                STAFF_PATHS: behavior(
                    staff,
                    [
                        cloudfront.FunctionAssociation(
                            function=rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                        )
                    ],
                )
            },
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
            comment="Client portal",
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"

    def connect_to(self, api_origin: str, bot_check: str | None = None) -> None:
        """The one API origin the pages may call (connect-src), besides their own and Cognito's,
        and the address of AWS WAF's JavaScript integration, which the portal loads (script-src)
        and which gets its token from there (connect-src)."""
        self._api_origin = api_origin
        if bot_check is not None:
            # "https://<id>.<region>.sdk.awswaf.com/<id>/<id>/". Its exact host cannot be named:
            # the web ACL needs the pages' domain (its token domain), whose headers would then
            # need the web ACL. AWS's integration hosts of the region are.
            self._bot_check_origin = f"https://*.{self._region}.sdk.awswaf.com"

    def _headers(
        self, id: str, frame_ancestors: list[str], *, bot_check: bool
    ) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            id,
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    # The API's origin is known once the API exists, which itself needs this
                    # distribution's address (CORS): it is filled in at synth.
                    content_security_policy=Lazy.string(
                        _Later(lambda: self._policy(frame_ancestors, bot_check))
                    ),
                    override=True,
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                )
                if not frame_ancestors
                else None,
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
            ),
        )

    def _policy(self, frame_ancestors: list[str], with_bot_check: bool) -> str:
        if self._api_origin is None:
            raise ValueError("Web.connect_to(api_origin) names the API the pages call")
        # Only the portal's pages post the request form, which the bot check guards.
        bot_check = [self._bot_check_origin] if self._bot_check_origin and with_bot_check else []
        return content_security_policy(
            connect=[self._api_origin, f"https://cognito-idp.{self._region}.amazonaws.com", *bot_check],
            scripts=bot_check,
            frame_ancestors=frame_ancestors,
        )

    def publish(self, config: dict[str, str]) -> deploy.BucketDeployment:
        """The pages (once there are any) and config.json, with a cache invalidation."""
        sources = [deploy.Source.json_data("config.json", config)]
        if WEB.is_dir():
            sources.insert(0, deploy.Source.asset(str(WEB)))
        return deploy.BucketDeployment(
            self,
            "Publish",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            # The pages are ES modules that import each other: a browser must not pair a cached
            # module of the last version with one of this version, so it revalidates each one
            # (an unchanged file costs a 304).
            cache_control=[deploy.CacheControl.no_cache()],
            prune=True,
            memory_limit=256,
        )

"""Web: the portal pages in a private, encrypted bucket behind CloudFront (origin access
control), and config.json written from the stack's outputs."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deploy
from constructs import Construct

WEB = Path(__file__).resolve().parent.parent / "web"


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
        frame_ancestors = " ".join(["'self'", *website_origins])
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=(
                        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                        f"connect-src 'self' https://*.execute-api.{region}.amazonaws.com "
                        f"https://cognito-idp.{region}.amazonaws.com; frame-ancestors {frame_ancestors}; "
                        "base-uri 'none'; form-action 'self'; object-src 'none'"
                    ),
                    override=True,
                ),
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
        # The staff page is /staff, as the emails link it; the file is staff.html.
        pages = cloudfront.Function(
            self,
            "Pages",
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            code=cloudfront.FunctionCode.from_inline(
                "function handler(event) { var r = event.request;"
                " if (r.uri === '/staff' || r.uri === '/staff/') { r.uri = '/staff.html'; } return r; }"
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=pages, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
            comment="Client portal",
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"

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
            prune=True,
            memory_limit=256,
        )

"""The CDK app: `python -m infra.app` synthesizes into cdk.out; cdk-nag's AwsSolutions,
HIPAA.Security and Serverless packs check every synth and an unacknowledged error fails it."""

from __future__ import annotations

import os

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, ServerlessChecks

from .config import DeployConfig
from .nag import acknowledge
from .stack import PortalStack

STACK_NAME = "ClientPortal"


def build(app: App, config: DeployConfig) -> PortalStack:
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")  # set by the CDK command line when deploying
    stack = PortalStack(
        app, STACK_NAME, config=config, env=Environment(account=account, region=config.region)
    )
    for pack in (AwsSolutionsChecks(app), HIPAASecurityChecks(app), ServerlessChecks(app)):
        Validations.of(app).add_plugins(pack)
    acknowledge(stack)
    return stack


def main() -> None:
    # The CDK command line sets CDK_OUTDIR; `python -m infra.app` alone writes to cdk.out.
    app = App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
    config = DeployConfig.load(app.node.try_get_context("config") or os.environ.get("PORTAL_CONFIG"))
    build(app, config)
    app.synth()


if __name__ == "__main__":
    main()

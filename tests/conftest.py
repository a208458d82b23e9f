"""Shared fixtures: moto for every AWS call, the table from the stack's own definition."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Never reach real AWS, whatever the machine's profile says.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        # INFO, which the log tests read; `make fuzz` quiets its run with TEST_LOG_LEVEL=WARNING.
        "POWERTOOLS_LOG_LEVEL": os.environ.get("TEST_LOG_LEVEL", "INFO"),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "TABLE_NAME": "portal-test",
        # The two user pools a token's issuer is checked against (tests/integration/conftest.py).
        "USER_POOL_ID": "us-east-1_PortalClients",
        "STAFF_USER_POOL_ID": "us-east-1_PortalStaff",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


def _enforce_tokens() -> None:
    from tests.dynamodb_tokens import enforce_request_tokens, refuse_empty_expression_maps

    enforce_request_tokens()
    refuse_empty_expression_maps()


_enforce_tokens()


def _enforce_access() -> None:
    from tests.dynamodb_access import enforce_access

    enforce_access()


_enforce_access()


@pytest.fixture(autouse=True)
def _within_each_functions_role() -> Iterator[None]:
    """Every DynamoDB call a function made in the test is one its IAM role allows in AWS
    (tests/dynamodb_access.py)."""
    from tests.dynamodb_access import VIOLATIONS

    VIOLATIONS.clear()
    yield
    found = sorted(set(VIOLATIONS))
    VIOLATIONS.clear()
    assert not found, (
        "calls outside the functions' IAM roles (functions/store/schema.py ACCESS):\n" + "\n".join(found)
    )


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    from functions import aws as clients
    from functions.local.embedded import serialize_moto_writes

    serialize_moto_writes()
    with mock_aws():
        clients.reset()
        yield
        clients.reset()


@pytest.fixture
def table(aws: None) -> str:
    from functions import aws as clients
    from functions.store.schema import create_table_request

    name = clients.settings().table_name
    clients.dynamodb().create_table(**create_table_request(name))
    offer_key()
    return name


def offer_key() -> None:
    """The key that seals offered times' links (functions/api/links.py), as the stack makes it."""
    from functions import aws as clients

    key = clients.kms().create_key(Description="offer links")["KeyMetadata"]["KeyId"]
    clients.kms().create_alias(AliasName=clients.settings().offer_token_key, TargetKeyId=key)

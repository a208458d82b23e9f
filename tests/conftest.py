"""Shared fixtures: moto for every AWS call, the table from the stack's own definition."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

# Never reach real AWS, whatever the machine's profile says.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "TABLE_NAME": "portal-test",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

_serialized = threading.RLock()


def _serialize_writes() -> None:
    """DynamoDB runs each write and transaction atomically; moto does not lock. Serialize
    moto's writes so that concurrent tests see the guarantees the real service gives."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_portal_serialized", False):
        return
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _serialized:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    setattr(DynamoDBBackend, "_portal_serialized", True)  # noqa: B010


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    from functions import aws as clients

    _serialize_writes()
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
    return name

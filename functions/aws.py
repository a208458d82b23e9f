"""Settings from the environment and AWS clients, each made once per process on first use.

Nothing reads the environment at import time; tests and the local stack set it first, and
`reset()` forgets what was made (for moto, which must be started before clients are made).
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from pydantic import BaseModel, ConfigDict

from functions.store import Store
from functions.store.ledger import Ledger

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sesv2 import SESV2Client


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    table_name: str
    # The clients' user pool (invitations create accounts there) and the staff's (MFA required):
    # a token's issuer says which one an account is in.
    user_pool_id: str = ""
    staff_user_pool_id: str = ""
    # Notify: the verified SES identity emails come from, the portal's address for links, and
    # the SES configuration set (TLS required) when deployed.
    sender_email: str = "no-reply@example.com"
    portal_url: str = "http://127.0.0.1:8000"
    ses_configuration_set: str | None = None
    # Browser origins allowed to call the API: the portal and the practice's website(s).
    allowed_origins: tuple[str, ...] = ()
    # The local stack's demo addresses end in .test, a special-use domain refused everywhere else.
    allow_test_email_domains: bool = False
    # (v2) The KMS key that seals the links of offered times: the review function seals a new
    # link's token with it, the notify function opens it to write the email; the table keeps only
    # the token's hash and the sealed token.
    offer_token_key: str = "alias/client-portal-offer-links"  # noqa: S105 - a key alias, not a secret


_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env["TABLE_NAME"],
        user_pool_id=env.get("USER_POOL_ID", ""),
        staff_user_pool_id=env.get("STAFF_USER_POOL_ID", ""),
        sender_email=env.get("SENDER_EMAIL", "no-reply@example.com"),
        portal_url=env.get("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/"),
        ses_configuration_set=env.get("SES_CONFIGURATION_SET") or None,
        allow_test_email_domains=env.get("ALLOW_TEST_EMAIL_DOMAINS", "").lower() == "true",
        allowed_origins=tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip()),
        offer_token_key=env.get("OFFER_TOKEN_KEY", "alias/client-portal-offer-links"),
    )


@cache
def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_CLIENT_CONFIG)


@cache
def cognito() -> CognitoIdentityProviderClient:
    return boto3.client("cognito-idp", config=_CLIENT_CONFIG)


def _never_send_twice(caught_exception: Exception | None = None, **_: Any) -> None:
    """The SDK retries a call whose answer was lost. For SendEmail that would be a second email:
    once the request has left (no answer read, or the connection closed under it), the error is
    the caller's to handle. Throttling, 5xx answers and failures to connect are still retried."""
    if isinstance(caught_exception, ReadTimeoutError | ConnectionClosedError):
        raise caught_exception


@cache
def sesv2() -> SESV2Client:
    client = boto3.client("sesv2", config=_CLIENT_CONFIG)
    client.meta.events.register("needs-retry.sesv2.SendEmail", _never_send_twice)
    return client


@cache
def kms() -> KMSClient:
    return boto3.client("kms", config=_CLIENT_CONFIG)


@cache
def store() -> Store:
    return Store(dynamodb(), settings().table_name)


@cache
def ledger() -> Ledger:
    return Ledger(dynamodb(), settings().table_name)


def reset() -> None:
    for made in (settings, dynamodb, cognito, sesv2, kms, store, ledger):
        made.cache_clear()

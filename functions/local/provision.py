"""Provisions what the stack defines, on whatever AWS_ENDPOINT_URL points at, from the same
definitions as the CDK stack (table schema, user pool rules, staff group), then the contract's
demo data. Anything that exists already is kept, so a restart keeps its data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import boto3
from botocore.exceptions import ClientError

from functions import aws, demo
from functions.api.identity import PASSWORD_POLICY, STAFF_GROUP
from functions.scheduling import lifecycle
from functions.store.schema import TTL_ATTRIBUTE, create_table_request

POOL_NAME = "client-portal"
STAFF_POOL_NAME = "client-portal-staff"
CLIENT_NAME = "portal"
# The demo staff account signs in with a second factor, as every staff account must: its
# authenticator's secret is published with its password (README), for an authenticator app or
# `python -m functions.local.token --code`.
DEMO_STAFF_TOTP = "DEMOSTAFFTOTPDEMOSTAFFTOTPDEMO23"
STAFF = ("staff@demo.test", "Demo-Staff-2026!", DEMO_STAFF_TOTP)
CLIENT = ("client@demo.test", "Demo-Client-2026!")
SENDER = "no-reply@demo.test"


@dataclass(frozen=True)
class Pool:
    id: str
    client_id: str
    created: bool


@dataclass(frozen=True)
class Provisioned:
    table: str
    clients: Pool
    staff: Pool
    created: bool
    # The demo staff account's sub, when there is one (its authenticator is the local stack's to register).
    demo_staff: str | None = None


def _table(name: str) -> bool:
    client = aws.dynamodb()
    try:
        client.describe_table(TableName=name)
        return False
    except client.exceptions.ResourceNotFoundException:
        pass
    client.create_table(**create_table_request(name))
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
    return True


def _user_pool(name: str, *, mfa: Literal["OPTIONAL", "ON"], groups: tuple[str, ...] = ()) -> Pool:
    """A pool as infra/auth.py makes it: invitations only, the password policy, email sign-in,
    TOTP MFA optional (clients) or required (staff), and one public app client that may read the
    email and write no attribute of consequence."""
    cognito = aws.cognito()
    found = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p.get("Name") == name]
    created = not found
    if found:
        pool = found[0]["Id"]
    else:
        pool = cognito.create_user_pool(
            PoolName=name,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
            Policies={"PasswordPolicy": PASSWORD_POLICY},  # type: ignore[misc,arg-type]
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
            # The second factor itself is the gateway's /cognito (cognito.py): moto has none.
            MfaConfiguration=mfa,
        )["UserPool"]["Id"]
        for group in groups:
            cognito.create_group(GroupName=group, UserPoolId=pool, Description="Practice staff")
    clients = [
        c
        for c in cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
        if c.get("ClientName") == CLIENT_NAME
    ]
    if clients:
        return Pool(pool, clients[0]["ClientId"], created)
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName=CLIENT_NAME,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", "email_verified"],
        WriteAttributes=["locale"],  # never email: as infra/auth.py
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]
    return Pool(pool, client, created)


def _user(pool: str, email: str, password: str, groups: tuple[str, ...] = ()) -> str:
    cognito = aws.cognito()
    try:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UsernameExistsException":
            raise
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    attributes = cognito.admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]
    return next(a["Value"] for a in attributes if a["Name"] == "sub")


def _next_weekday(today: date, hour: int) -> datetime:
    day = today + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=demo.config().zone).astimezone(UTC)


def demo_data(pool: str) -> None:
    """The contract's demo practice: settings, types, three clinicians, and the client account
    with one confirmed upcoming appointment (the staff account is in the staff pool)."""
    store = aws.store()
    store.update_config(lambda _: demo.config())
    sub = _user(pool, *CLIENT)
    now = datetime.now(UTC).replace(microsecond=0)
    record = lifecycle.ClientRecord(
        id="demo-client",
        firstName="Casey",
        lastName="Jordan",
        dateOfBirth=date(1988, 6, 14),
        email=CLIENT[0],
        mobilePhone="+16175550123",
        createdAt=now,
    )
    store.create_client(record)
    store.link_user(record, sub)
    config = store.config()
    start = _next_weekday(config.local(now).date(), 10)
    appointment_id = uuid.uuid4().hex
    # Made as the portal makes it: requested by the client, then approved by staff.
    plan = lifecycle.request_new(
        config.model_copy(
            update={"scheduling": config.scheduling.model_copy(update={"minimumNoticeHours": 0})}
        ),
        appointment_id=appointment_id,
        now=now,
        client_type="existing",
        clinician_id="c-rivera",
        type_id="session",
        start=start,
        client=record.details(),
        client_id=record.id,
        signed_in=True,
        comments=None,
    )
    store.commit(plan, now, uuid.uuid4().hex)
    approved = lifecycle.approve(config, plan.appointment, plan.request, now=now, note=None)
    store.commit(approved, now, uuid.uuid4().hex)


def provision(*, demo_data_wanted: bool = True) -> Provisioned:
    settings = aws.settings()
    created = _table(settings.table_name)
    clients = _user_pool(POOL_NAME, mfa="OPTIONAL")
    staff = _user_pool(STAFF_POOL_NAME, mfa="ON", groups=(STAFF_GROUP,))
    ses = boto3.client("ses")
    for identity in (SENDER, "demo.test"):
        ses.verify_email_identity(EmailAddress=identity)
    _offer_key(settings.offer_token_key)
    if created and demo_data_wanted:
        demo_data(clients.id)
    # Also into a kept practice whose staff pool is new (saved before staff had their own pool).
    demo_staff = None
    if demo_data_wanted and (created or staff.created):
        demo_staff = _user(staff.id, STAFF[0], STAFF[1], groups=(STAFF_GROUP,))
    elif demo_data_wanted:
        demo_staff = _sub_of(staff.id, STAFF[0])
    return Provisioned(settings.table_name, clients, staff, created, demo_staff)


def _offer_key(alias: str) -> None:
    """The KMS key that seals the links of offered times, as the stack makes it (kept if there)."""
    kms = aws.kms()
    if any(a["AliasName"] == alias for a in kms.list_aliases()["Aliases"]):
        return
    key = kms.create_key(Description="Client portal: links of offered times")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key)


def _sub_of(pool: str, email: str) -> str | None:
    try:
        attributes = aws.cognito().admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "UserNotFoundException":
            return None
        raise
    return next(a["Value"] for a in attributes if a["Name"] == "sub")


def existing(pool_id: str) -> dict[str, Any]:
    return aws.cognito().describe_user_pool(UserPoolId=pool_id)["UserPool"]  # type: ignore[return-value]

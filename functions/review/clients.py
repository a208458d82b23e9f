"""Staff add clients and invite them to the portal: the invitation creates the sign-in account
in the clients' Cognito user pool (AdminCreateUser, which emails a temporary password) and links it."""

from __future__ import annotations

import uuid
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from botocore.exceptions import ClientError

from functions import aws
from functions.api.fields import Id
from functions.api.http import (
    current,
    idempotency_key,
    lambda_handler,
    logger,
    remembered,
    replay,
    respond,
    returns,
    write_token,
)
from functions.api.models import ClientEnvelope, ClientRecordOut, ClientsOut, NewClientIn
from functions.scheduling.errors import Conflict, NotFound
from functions.scheduling.lifecycle import ClientRecord
from functions.store import CommitFailed
from functions.store.table import Idempotency


def _out(record: ClientRecord) -> ClientRecordOut:
    return ClientRecordOut(
        id=record.id,
        firstName=record.firstName,
        lastName=record.lastName,
        dateOfBirth=record.dateOfBirth,
        email=record.email,
        mobilePhone=record.mobilePhone,
        hasAccount=record.userSub is not None,
        createdAt=record.createdAt.isoformat(),
    )


@returns(ClientsOut)
def get_clients() -> Response[str]:
    found = sorted(aws.store().clients(), key=lambda c: (c.lastName.casefold(), c.firstName.casefold(), c.id))
    return respond(200, ClientsOut(clients=[_out(c) for c in found]))


@returns(ClientEnvelope)
def post_client(body: Annotated[NewClientIn, Body()]) -> Response[str]:
    call = current()
    key = idempotency_key()
    store = aws.store()
    if key is not None and (
        again := replay(store.read(idempotency_scope=key.scope, now=call.now).idempotency, key)
    ):
        return again
    record = ClientRecord(id=uuid.uuid4().hex, **body.model_dump(), createdAt=call.now)
    response = respond(201, ClientEnvelope(client=_out(record)))
    answer = Idempotency(key.scope, key.body_hash, 201, str(response.body)) if key else None
    try:
        # With the answer kept in the same transaction, a retry after a lost answer finds it.
        store.add_client(record, write_token(key, "client"), answer, call.now)
    except CommitFailed as failed:
        if failed.part == "idempotency" and (again := replay(failed.existing, key)) is not None:
            return again
        raise Conflict("conflict", "The client could not be saved. Please try again.") from None
    logger.info("client added", extra={"client_id": record.id})
    return response


@returns(ClientEnvelope)
def post_invite(id: Annotated[Id, Path()]) -> Response[str]:
    store = aws.store()
    record = store.client_record(id)
    if record is None:
        raise NotFound("client_not_found", "There is no such client.")
    if record.userSub is None:
        record = store.link_user(
            record, _create_account(record), write_token(idempotency_key(), "account link")
        )
        logger.info("client invited", extra={"client_id": record.id})
    return remembered(200, ClientEnvelope(client=_out(record)))


def _create_account(record: ClientRecord) -> str:
    """The new account's sub, in the clients' user pool. An account left by an earlier attempt
    that failed before linking is found again, so a retried invitation completes instead of
    failing. A staff member's address is never made a client's account (another client's account
    is refused when linking)."""
    cognito = aws.cognito()
    settings = aws.settings()
    if _is_staff(record.email):
        raise Conflict(
            "account_is_staff",
            "This email belongs to a staff account; a client needs an address of their own.",
        )
    pool = settings.user_pool_id
    try:
        created = cognito.admin_create_user(
            UserPoolId=pool,
            Username=record.email,
            UserAttributes=[
                {"Name": "email", "Value": record.email},
                {"Name": "email_verified", "Value": "true"},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
        attributes = created["User"].get("Attributes", [])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UsernameExistsException":
            raise
        attributes = cognito.admin_get_user(UserPoolId=pool, Username=record.email).get("UserAttributes", [])
    sub = next((a["Value"] for a in attributes if a["Name"] == "sub"), None)
    if not sub:
        raise Conflict("account_unavailable", "The sign-in account could not be created.")
    return sub


def _is_staff(email: str) -> bool:
    """Whether the staff user pool has an account with this address."""
    try:
        aws.cognito().admin_get_user(UserPoolId=aws.settings().staff_user_pool_id, Username=email)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "UserNotFoundException":
            return False
        raise
    return True


handler = lambda_handler(__name__, "clients")

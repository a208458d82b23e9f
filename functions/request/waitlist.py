"""(v2) The waitlist, for clients: joining it (without an account, or signed in), and the page
behind an email's link, which shows the freed time (no personal data)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions import aws
from functions.api import present
from functions.api.fields import Id
from functions.api.http import (
    IdempotencyKey,
    check_gate,
    commit_with,
    current,
    idempotency_key,
    lambda_handler,
    not_a_client,
    replay,
    respond,
    returns,
)
from functions.api.models import (
    MyWaitlistIn,
    PracticeNameOut,
    WaitlistEnvelope,
    WaitlistIn,
    WaitlistNoticeOut,
    WaitlistTimeOut,
)
from functions.scheduling import lifecycle, waitlist
from functions.scheduling.config import PracticeConfig
from functions.scheduling.errors import Conflict, NotFound
from functions.scheduling.slots import is_offered
from functions.store.waitlist import WaitlistStore


@returns(WaitlistEnvelope)
def post_waitlist(body: Annotated[WaitlistIn, Body()]) -> Response[str]:
    call = current()
    key = idempotency_key()
    snapshot = aws.store().read(idempotency_scope=key.scope if key else None, now=call.now)
    check_gate(call.route, snapshot)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    entry = waitlist.join(
        snapshot.config,
        entry_id=waitlist.new_entry_id(),
        now=call.now,
        client_type=body.clientType,
        type_id=body.appointmentTypeId,
        clinician_id=body.clinicianId,
        first=body.from_,
        last=body.to,
        client=lifecycle.ClientDetails(
            firstName=body.firstName,
            lastName=body.lastName,
            dateOfBirth=body.dateOfBirth,
            email=body.email,
            mobilePhone=body.mobilePhone,
        ),
        client_id=None,
        signed_in=False,
        comments=body.comments,
    )
    return _join(snapshot.config, entry, key)


@returns(WaitlistEnvelope)
def post_my_waitlist(body: Annotated[MyWaitlistIn, Body()]) -> Response[str]:
    call = current()
    key = idempotency_key()
    store = aws.store()
    snapshot = store.read(
        user_sub=call.caller.account, idempotency_scope=key.scope if key else None, now=call.now
    )
    check_gate(call.route, snapshot)
    if (again := replay(snapshot.idempotency, key)) is not None:
        return again
    record = store.client_record(snapshot.client_id) if snapshot.client_id else None
    if record is None:
        raise not_a_client()
    kind = snapshot.config.appointmentTypes.get(body.appointmentTypeId)
    entry = waitlist.join(
        snapshot.config,
        entry_id=waitlist.new_entry_id(),
        now=call.now,
        # The type decides, as for a signed-in client's request; a clientType sent must agree.
        client_type=body.clientType or (kind.clientType if kind else "existing"),
        type_id=body.appointmentTypeId,
        clinician_id=body.clinicianId,
        first=body.from_,
        last=body.to,
        # Emails go to the client record's address, whatever the account's token says.
        client=record.details(),
        client_id=record.id,
        signed_in=True,
        comments=body.comments,
    )
    return _join(snapshot.config, entry, key)


def _join(config: PracticeConfig, entry: waitlist.WaitlistEntry, key: IdempotencyKey | None) -> Response[str]:
    """Write the entry with its address's tally and the answer kept for the Idempotency-Key."""
    now = current().now
    return commit_with(
        lambda token, record: WaitlistStore(aws.store()).join(entry, token, record, now),
        201,
        WaitlistEnvelope(entry=present.waitlist_entry(config, entry)),
        key,
        # Only a random entry id colliding with an existing one gets here.
        lambda: Conflict("conflict", "The entry could not be saved. Please try again."),
        log={"entry_id": entry.id},
        write_name="waitlist",
        refused={"tally": _full},
    )


def _full() -> Conflict:
    return Conflict(
        "waitlist_full",
        f"This email address is already on the waitlist {waitlist.MAX_WAITING} times. "
        "Please wait for an email, or call the practice.",
    )


@returns(WaitlistNoticeOut)
def get_waitlist_time(token: Annotated[Id, Path()]) -> Response[str]:
    call = current()
    waitlists = WaitlistStore(aws.store())
    config, notice = waitlists.config_and_notice(waitlist.token_hash(token), call.now)
    if notice is None:
        raise NotFound("not_found", "This link is not valid, or the time it offered has passed.")
    kind = config.appointmentTypes.get(notice.type_id)
    available = (
        kind is not None
        and is_offered(config, kind.clientType, notice.clinician_id, notice.type_id, notice.start, call.now)
        and not waitlists.held(notice.start, notice.end, notice.clinician_id, None)
    )
    return respond(
        200,
        WaitlistNoticeOut(
            time=WaitlistTimeOut(
                start=present.instant(config, notice.start),
                end=present.instant(config, notice.end),
                clinicianId=notice.clinician_id,
                clinicianName=config.clinician_name(notice.clinician_id),
                appointmentTypeId=notice.type_id,
            ),
            available=available,
            practice=PracticeNameOut(name=config.practice.name),
        ),
    )


handler = lambda_handler(__name__, "waitlist")

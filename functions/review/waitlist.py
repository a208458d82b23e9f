"""(v2) The waitlist, for staff: every waiting entry, oldest first, with the client's details and
how many emails it has had; and removing an entry."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from functions import aws
from functions.api import present
from functions.api.errors import HEADERS
from functions.api.fields import Id
from functions.api.http import current, lambda_handler, logger, respond, returns, write_token
from functions.api.models import StaffWaitlistOut
from functions.scheduling.errors import NotFound
from functions.store.waitlist import WaitlistStore


@returns(StaffWaitlistOut)
def get_staff_waitlist() -> Response[str]:
    config, listed = WaitlistStore(aws.store()).waiting()
    return respond(
        200,
        StaffWaitlistOut(entries=[present.staff_waitlist_entry(config, x.entry, x.notified) for x in listed]),
    )


def delete_waitlist_entry(id: Annotated[Id, Path()]) -> Response[str]:
    """Remove an entry: it gets no more emails, and its address may join again. Removing an entry
    that is no longer waiting (removed already, or dropped past its last day) changes nothing."""
    call = current()
    waitlists = WaitlistStore(aws.store())
    state = waitlists.entry_state(id)
    if state is None:
        raise NotFound("entry_not_found", "There is no such waitlist entry.")
    if state.get("status") == "waiting":
        token = write_token(None, "remove")
        if waitlists.remove(id, str(state["tally"]), token, call.now, "removed"):
            logger.info("waitlist entry removed", extra={"entry_id": id})
        else:
            # Removed meanwhile by someone else (or the scheduled job): it is off the waitlist.
            logger.info("waitlist entry already removed", extra={"entry_id": id})
    return Response(204, None, "", dict(HEADERS))


handler = lambda_handler(__name__, "waitlistreview")

"""Public look-ups: what the practice allows, its clinicians, and open slots."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions import aws
from functions.api import present
from functions.api.fields import Day, Id, check_range, day_span
from functions.api.http import current, lambda_handler, respond, respond_json, returns
from functions.api.models import (
    AvailabilityOut,
    ClinicianOut,
    CliniciansOut,
    PortalOut,
    PracticeOut,
    SchedulingOut,
    TypeOut,
)
from functions.scheduling.config import ClientType
from functions.scheduling.fast_slots import open_times


@returns(PortalOut)
def get_portal() -> Response[str]:
    config = aws.store().config()
    types = sorted(
        (t for t in config.appointmentTypes.values() if t.active),
        key=lambda t: (t.clientType != "new", t.name),
    )
    return respond(
        200,
        PortalOut(
            practice=PracticeOut.model_validate(
                config.practice.model_dump(include={"name", "timeZone", "phone"}, exclude_none=True)
            ),
            scheduling=SchedulingOut.model_validate(config.scheduling.model_dump()),
            appointmentTypes=[TypeOut.model_validate(t.model_dump(exclude={"active"})) for t in types],
        ),
    )


@returns(CliniciansOut)
def get_clinicians(clientType: Annotated[ClientType, Query()]) -> Response[str]:
    config = aws.store().config()
    found = [
        ClinicianOut(id=c.id, name=c.name, appointmentTypeIds=offered)
        for c, offered in config.portal_clinicians(clientType)
    ]
    return respond(200, CliniciansOut(clinicians=found))


@returns(AvailabilityOut)
def get_availability(
    clientType: Annotated[ClientType, Query()],
    from_: Annotated[Day, Query(alias="from")],
    to: Annotated[Day, Query()],
    clinicianId: Annotated[Id | None, Query()] = None,
    appointmentTypeId: Annotated[Id | None, Query()] = None,
) -> Response[str]:
    check_range(from_, to)
    store = aws.store()
    config = store.config()
    first, last = day_span(from_, to, config.zone)
    shown = {clinicianId} if clinicianId else {c.id for c, _ in config.portal_clinicians(clientType)}
    held = store.held(first, last, shown) if config.scheduling.enabled else {}
    # The fast path of slots.open_slots (the reference; tests/unit/test_fast_slots.py compares them).
    found = open_times(config, clientType, from_, to, current().now, held, clinicianId, appointmentTypeId)
    return respond_json(200, present.availability(config, found))


handler = lambda_handler(__name__, "availability")

"""Staff manage the practice: settings, appointment types, clinicians with hours and time off.

Every change is written to the one configuration record, so it applies to the very next request.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import ValidationError

from functions import aws
from functions.api.errors import BadHeader
from functions.api.fields import Id
from functions.api.http import header, lambda_handler, respond, returns, write_token
from functions.api.models import (
    ClinicianEnvelope,
    ClinicianIn,
    SchedulingOut,
    SettingsOut,
    SettingsPatch,
    StaffCliniciansOut,
    StaffPracticeOut,
    TypeEnvelope,
    TypeIn,
    TypesOut,
)
from functions.scheduling.config import AppointmentType, Clinician, PracticeConfig
from functions.scheduling.errors import Conflict, Invalid


def _creating_only() -> bool:
    """`If-None-Match: *` asks to create and never replace: the staff page adding a type or a
    clinician under a new id must not overwrite one another session added meanwhile. Any other
    value (an entity tag, an empty header) is refused: these records have no entity tags, and a
    condition the server ignored would replace what the caller meant to keep."""
    value = header("If-None-Match")
    if value is None:
        return False
    if value.strip() != "*":
        raise BadHeader(
            "invalid_if_none_match", "If-None-Match may only be * (create, never replace); nothing changed."
        )
    return True


def _settings(config: PracticeConfig) -> SettingsOut:
    return SettingsOut(
        practice=StaffPracticeOut.model_validate(config.practice.model_dump()),
        scheduling=SchedulingOut.model_validate(config.scheduling.model_dump()),
    )


def _valid(
    build: type[PracticeConfig] | type[Clinician] | type[AppointmentType], data: object, prefix: str
) -> object:
    """Validate a whole record after a change; a failure names the field that caused it."""
    try:
        return build.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "")
        raise Invalid("validation_failed", first["msg"].removeprefix("Value error, "), field) from None


@returns(SettingsOut)
def get_settings() -> Response[str]:
    return respond(200, _settings(aws.store().config()))


@returns(SettingsOut)
def patch_settings(body: Annotated[SettingsPatch, Body()]) -> Response[str]:
    def change(config: PracticeConfig) -> PracticeConfig:
        data = config.model_dump()
        for part in ("practice", "scheduling"):
            given = getattr(body, part)
            if given is not None:
                data[part] = {**data[part], **given.model_dump(exclude_unset=True)}
        return _valid(PracticeConfig, data, "")  # type: ignore[return-value]

    return respond(200, _settings(aws.store().update_config(change, write_token(None, "configuration"))))


@returns(TypesOut)
def get_types() -> Response[str]:
    config = aws.store().config()
    return respond(
        200, TypesOut(appointmentTypes=sorted(config.appointmentTypes.values(), key=lambda t: t.id))
    )


@returns(TypeEnvelope)
def put_type(id: Annotated[Id, Path()], body: Annotated[TypeIn, Body()]) -> Response[str]:
    kind = _valid(AppointmentType, {"id": id, **body.model_dump()}, "")
    assert isinstance(kind, AppointmentType)

    creating = _creating_only()

    def change(config: PracticeConfig) -> PracticeConfig:
        if creating and id in config.appointmentTypes:
            raise Conflict("already_exists", "An appointment type with this id already exists.")
        return config.model_copy(update={"appointmentTypes": {**config.appointmentTypes, id: kind}})

    aws.store().update_config(change, write_token(None, "configuration"))
    return respond(200, TypeEnvelope(appointmentType=kind))


@returns(StaffCliniciansOut)
def get_staff_clinicians() -> Response[str]:
    config = aws.store().config()
    return respond(200, StaffCliniciansOut(clinicians=sorted(config.clinicians.values(), key=lambda c: c.id)))


@returns(ClinicianEnvelope)
def put_clinician(id: Annotated[Id, Path()], body: Annotated[ClinicianIn, Body()]) -> Response[str]:
    data = body.model_dump()
    data["timeOff"] = [{**t, "id": t["id"] or uuid.uuid4().hex[:12]} for t in data["timeOff"]]
    clinician = _valid(Clinician, {"id": id, **data}, "")
    assert isinstance(clinician, Clinician)

    creating = _creating_only()

    def change(config: PracticeConfig) -> PracticeConfig:
        if creating and id in config.clinicians:
            raise Conflict("already_exists", "A clinician with this id already exists.")
        unknown = [t for t in clinician.appointmentTypeIds if t not in config.appointmentTypes]
        if unknown:
            raise Invalid(
                "unknown_appointment_type",
                "names an appointment type that does not exist",
                "appointmentTypeIds",
            )
        return config.model_copy(update={"clinicians": {**config.clinicians, id: clinician}})

    aws.store().update_config(change, write_token(None, "configuration"))
    return respond(200, ClinicianEnvelope(clinician=clinician))


handler = lambda_handler(__name__, "practice")

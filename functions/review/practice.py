"""Staff manage the practice: settings, appointment types, clinicians with hours and time off.

Every change is written to the one configuration record, so it applies to the very next request.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ValidationError

from functions import aws
from functions.api.errors import BadHeader, PreconditionFailed
from functions.api.fields import Id
from functions.api.http import current, header, lambda_handler, respond, returns, write_token
from functions.api.models import (
    ClinicianEnvelope,
    ClinicianIn,
    NewTimeOffIn,
    RemindersOut,
    SchedulingOut,
    SettingsOut,
    SettingsPatch,
    StaffClinicianOut,
    StaffCliniciansOut,
    StaffPracticeOut,
    StaffTypeOut,
    TypeEnvelope,
    TypeIn,
    TypesOut,
)
from functions.scheduling.config import AppointmentType, Clinician, PracticeConfig, TimeOff
from functions.scheduling.errors import Conflict, Invalid, NotFound


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
        reminders=RemindersOut.model_validate(config.reminders.model_dump()),
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


# ---- versions: ETag and If-Match -----------------------------------------------------------------

_TAG = re.compile(r'^(?:W/)?"[^"\s]{1,128}"$')


def _etag(record: BaseModel) -> str:
    """The version of a record as an entity tag: a digest of what it holds."""
    digest = hashlib.sha256(record.model_dump_json().encode()).hexdigest()[:20]
    return f'"{digest}"'


def _if_match(etag: str | None = None) -> set[str] | None:
    """The versions If-Match accepts (or the `etag` a record was sent back with, without the
    header): None without either, {"*"} for any existing one. A malformed one is refused rather
    than ignored (ignoring it would overwrite)."""
    value = header("If-Match")
    if value is None:
        value = etag
    if value is None:
        return None
    tags = {t.strip() for t in value.split(",")}
    if tags == {"*"} or (tags and all(_TAG.match(t) for t in tags)):
        return {t.removeprefix("W/") for t in tags}
    raise BadHeader(
        "invalid_if_match", 'If-Match must be * or entity tags such as "abc123"; nothing changed.'
    )


def _check(wanted: set[str] | None, current: BaseModel | None) -> None:
    """Refuse a change made on a version that is no longer the stored one (412)."""
    if wanted is None:
        return
    if current is None or ("*" not in wanted and _etag(current) not in wanted):
        raise PreconditionFailed()


def _tagged(status: int, body: BaseModel, version: BaseModel) -> Response[str]:
    return respond(status, body, {"ETag": _etag(version)})


# ---- settings -------------------------------------------------------------------------------------


@returns(SettingsOut)
def get_settings() -> Response[str]:
    settings = _settings(aws.store().config())
    return _tagged(200, settings, settings)


@returns(SettingsOut)
def patch_settings(body: Annotated[SettingsPatch, Body()]) -> Response[str]:
    wanted = _if_match()

    def change(config: PracticeConfig) -> PracticeConfig:
        _check(wanted, _settings(config))
        data = config.model_dump()
        for part in ("practice", "scheduling", "reminders"):
            given = getattr(body, part)
            if given is not None:
                data[part] = {**data[part], **given.model_dump(exclude_unset=True)}
        return _valid(PracticeConfig, data, "")  # type: ignore[return-value]

    settings = _settings(aws.store().update_config(change, write_token(None, "configuration")))
    return _tagged(200, settings, settings)


# ---- appointment types ----------------------------------------------------------------------------


def _type_out(kind: AppointmentType) -> StaffTypeOut:
    return StaffTypeOut.model_validate({**kind.model_dump(), "etag": _etag(kind)})


@returns(TypesOut)
def get_types() -> Response[str]:
    config = aws.store().config()
    found = sorted(config.appointmentTypes.values(), key=lambda t: t.id)
    return respond(200, TypesOut(appointmentTypes=[_type_out(t) for t in found]))


@returns(TypeEnvelope)
def put_type(id: Annotated[Id, Path()], body: Annotated[TypeIn, Body()]) -> Response[str]:
    kind = _valid(AppointmentType, {"id": id, **body.model_dump(exclude={"etag"})}, "")
    assert isinstance(kind, AppointmentType)
    creating = _creating_only()
    wanted = _if_match(body.etag)

    def change(config: PracticeConfig) -> PracticeConfig:
        if creating and id in config.appointmentTypes:
            raise Conflict("already_exists", "An appointment type with this id already exists.")
        _check(wanted, config.appointmentTypes.get(id))
        return config.model_copy(update={"appointmentTypes": {**config.appointmentTypes, id: kind}})

    aws.store().update_config(change, write_token(None, "configuration"))
    return _tagged(200, TypeEnvelope(appointmentType=_type_out(kind)), kind)


# ---- clinicians -----------------------------------------------------------------------------------


def _clinician_out(clinician: Clinician) -> StaffClinicianOut:
    return StaffClinicianOut.model_validate({**clinician.model_dump(), "etag": _etag(clinician)})


@returns(StaffCliniciansOut)
def get_staff_clinicians() -> Response[str]:
    config = aws.store().config()
    found = sorted(config.clinicians.values(), key=lambda c: c.id)
    return respond(200, StaffCliniciansOut(clinicians=[_clinician_out(c) for c in found]))


def _save_clinician(id: str, change: Callable[[PracticeConfig], Clinician]) -> Response[str]:
    """Write one clinician through a change of the configuration; answer it, with its version."""
    saved: list[Clinician] = []

    def apply(config: PracticeConfig) -> PracticeConfig:
        clinician = change(config).without_past_time_off(current().now)
        saved[:] = [clinician]
        return config.model_copy(update={"clinicians": {**config.clinicians, id: clinician}})

    aws.store().update_config(apply, write_token(None, "configuration"))
    [clinician] = saved
    return _tagged(200, ClinicianEnvelope(clinician=_clinician_out(clinician)), clinician)


def _stored_clinician(config: PracticeConfig, id: str) -> Clinician:
    clinician = config.clinicians.get(id)
    if clinician is None:
        raise NotFound("clinician_not_found", "There is no such clinician.")
    return clinician


@returns(ClinicianEnvelope)
def put_clinician(id: Annotated[Id, Path()], body: Annotated[ClinicianIn, Body()]) -> Response[str]:
    data = body.model_dump(exclude={"etag"})
    given = data.pop("timeOff")
    creating = _creating_only()
    wanted = _if_match(body.etag)

    def change(config: PracticeConfig) -> Clinician:
        if creating and id in config.clinicians:
            raise Conflict("already_exists", "A clinician with this id already exists.")
        stored = config.clinicians.get(id)
        _check(wanted, stored)
        unknown = [t for t in data["appointmentTypeIds"] if t not in config.appointmentTypes]
        if unknown:
            raise Invalid(
                "unknown_appointment_type",
                "names an appointment type that does not exist",
                "appointmentTypeIds",
            )
        if given is None:
            time_off = [t.model_dump() for t in stored.timeOff] if stored else []
        else:
            time_off = [{**t, "id": t["id"] or uuid.uuid4().hex[:12]} for t in given]
        clinician = _valid(Clinician, {"id": id, **data, "timeOff": time_off}, "")
        assert isinstance(clinician, Clinician)
        return clinician

    return _save_clinician(id, change)


@returns(ClinicianEnvelope)
def post_time_off(id: Annotated[Id, Path()], body: Annotated[NewTimeOffIn, Body()]) -> Response[str]:
    """One entry of time off: a small write, whatever the clinician has already. The same span
    again (a retried call) is the entry already there, not a second one."""
    if body.end <= body.start:
        raise Invalid("validation_failed", "end must be after start", "end")

    def change(config: PracticeConfig) -> Clinician:
        clinician = _stored_clinician(config, id)
        if any(t.start == body.start and t.end == body.end for t in clinician.timeOff):
            return clinician
        entry = TimeOff(id=uuid.uuid4().hex[:12], start=body.start, end=body.end)
        added = _valid(Clinician, {**clinician.model_dump(), "timeOff": [*clinician.timeOff, entry]}, "")
        assert isinstance(added, Clinician)
        return added

    answer = _save_clinician(id, change)
    answer.status_code = 201
    return answer


@returns(ClinicianEnvelope)
def delete_time_off(id: Annotated[Id, Path()], entryId: Annotated[Id, Path()]) -> Response[str]:
    """Remove one entry; removing one that is not there (removed already) changes nothing."""

    def change(config: PracticeConfig) -> Clinician:
        clinician = _stored_clinician(config, id)
        return clinician.model_copy(update={"timeOff": [t for t in clinician.timeOff if t.id != entryId]})

    return _save_clinician(id, change)


handler = lambda_handler(__name__, "practice")

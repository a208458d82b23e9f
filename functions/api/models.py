"""The HTTP contract's bodies: what comes in (unknown fields refused) and what goes out."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from functions.scheduling.config import (
    GRID_MINUTES,
    MAX_TIME_OFF,
    AppointmentType,
    ClientType,
    Clinician,
    WeeklyHours,
)
from functions.scheduling.lifecycle import AppointmentStatus, RequestKind, RequestStatus

from .fields import DateOfBirth, Day, Email, HoursBefore, Id, Instant, Name, Phone, Text, Title


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- errors -------------------------------------------------------------------------------------


class FieldError(Out):
    field: str
    message: str


class ErrorDetail(Out):
    code: str
    message: str
    fields: list[FieldError] | None = None


class ErrorBody(Out):
    error: ErrorDetail


# ---- public -------------------------------------------------------------------------------------


class PracticeOut(Out):
    name: str
    timeZone: str
    # E.164; left out when the practice has none.
    phone: str | None = None


class SchedulingOut(Out):
    enabled: bool
    anonymousRequests: bool
    reschedule: bool
    cancel: bool
    minimumNoticeHours: int
    horizonDays: int
    slotIntervalMinutes: int
    # A client may ask to reschedule or cancel only while the appointment starts more than this
    # many hours from now.
    changeCutoffHours: int
    offerHoldHours: int
    waitlist: bool


class TypeOut(Out):
    id: str
    name: str
    durationMinutes: int
    clientType: ClientType


class PortalOut(Out):
    practice: PracticeOut
    scheduling: SchedulingOut
    appointmentTypes: list[TypeOut]


class ClinicianOut(Out):
    id: str
    name: str
    appointmentTypeIds: list[str]


class CliniciansOut(Out):
    clinicians: list[ClinicianOut]


class SlotOut(Out):
    clinicianId: str
    clinicianName: str
    appointmentTypeId: str
    start: str
    end: str


class AvailabilityOut(Out):
    timeZone: str
    slots: list[SlotOut]


class NewRequestIn(In):
    clientType: ClientType
    clinicianId: Id
    appointmentTypeId: Id
    start: Instant
    firstName: Name
    lastName: Name
    dateOfBirth: DateOfBirth
    email: Email
    mobilePhone: Phone
    comments: Text | None = None


class RequestOut(Out):
    id: str
    kind: RequestKind
    status: RequestStatus
    appointmentId: str
    clinicianId: str
    clinicianName: str
    appointmentTypeId: str
    start: str
    end: str
    createdAt: str
    decidedAt: str | None = None


class RequestEnvelope(Out):
    request: RequestOut


# ---- signed-in client -----------------------------------------------------------------------------


class MyRequestIn(In):
    clinicianId: Id
    appointmentTypeId: Id
    start: Instant
    comments: Text | None = None


class RescheduleIn(In):
    start: Instant
    clinicianId: Id | None = None
    comments: Text | None = None


class CancelIn(In):
    reason: Text | None = None


class AppointmentOut(Out):
    id: str
    status: AppointmentStatus
    clinicianId: str
    clinicianName: str
    appointmentTypeId: str
    start: str
    end: str
    pendingRequestId: str | None = None
    requestedStart: str | None = None
    requestedEnd: str | None = None


class MyAppointmentOut(AppointmentOut):
    """An appointment as its client sees it: what the portal may offer to do with it now. False
    when the practice turned the feature off, the appointment is not confirmed, a change awaits
    review, or it starts within the practice's `changeCutoffHours`."""

    canReschedule: bool
    canCancel: bool


class MyAppointmentsOut(Out):
    next: MyAppointmentOut | None
    appointments: list[MyAppointmentOut]


# ---- staff --------------------------------------------------------------------------------------


class ClientOut(Out):
    firstName: str
    lastName: str
    dateOfBirth: date
    email: str
    mobilePhone: str
    clientId: str | None = None


class Notification(Out):
    """How the latest email about this request went: sent (`detail` "unconfirmed" when SES never
    answered), failed (with the reason: an SES error code, or `render:<error>`), skipped (no
    address to send to, or `request_gone`), or queued (staff asked to send it again). `notice`
    names the email: received (to the practice), confirmed, moved, cancelled or (v2) offered: the
    times offered with a denial (to the client)."""

    status: Literal["sent", "failed", "skipped", "queued"]
    detail: str | None = None
    notice: Literal["received", "confirmed", "moved", "cancelled", "offered"] | None = None


class NotificationEnvelope(Out):
    notification: Notification


class StaffRequestOut(RequestOut):
    client: ClientOut
    newClient: bool
    comments: str | None = None
    note: str | None = None
    changes: list[str] = Field(default_factory=list)
    originalStart: str | None = None
    originalEnd: str | None = None
    originalClinicianId: str | None = None
    notification: Notification | None = None


class StaffRequestsOut(Out):
    requests: list[StaffRequestOut]
    cursor: str | None = None


class DecisionIn(In):
    note: Text | None = None


# ---- staff calendar (v2) ----------------------------------------------------------------------


class CalendarClientOut(Out):
    firstName: str
    lastName: str
    clientId: str | None = None


class StaffAppointmentOut(AppointmentOut):
    client: CalendarClientOut
    madeBy: Literal["portal", "staff"]


class StaffAppointmentsOut(Out):
    appointments: list[StaffAppointmentOut]


class AppointmentEnvelope(Out):
    appointment: AppointmentOut


class BookIn(In):
    clientId: Id
    clinicianId: Id
    appointmentTypeId: Id
    start: Instant
    note: Text | None = None


class StaffMoveIn(In):
    start: Instant
    clinicianId: Id | None = None
    note: Text | None = None


class OfferIn(In):
    start: Instant
    clinicianId: Id | None = None
    appointmentTypeId: Id | None = None


class DenyIn(DecisionIn):
    # (v2) 1 to 3 other times, held for the client and emailed with a link to accept one.
    offers: list[OfferIn] | None = Field(default=None, min_length=1, max_length=3)


class ApproveIn(DecisionIn):
    start: Instant | None = None
    clinicianId: Id | None = None
    appointmentTypeId: Id | None = None


class StaffPracticeOut(PracticeOut):
    notificationEmail: str | None = None
    replyToEmail: str | None = None


class RemindersOut(Out):
    # Hours before the start (elapsed time) at which the client is emailed a reminder; [] none.
    hoursBefore: list[int]


class SettingsOut(Out):
    practice: StaffPracticeOut
    scheduling: SchedulingOut
    reminders: RemindersOut


class PracticePatch(In):
    name: Title | None = None  # a practice's name, not a person's: "Smith & Jones Counseling, LLC"
    timeZone: str | None = None
    notificationEmail: Email | None = None
    replyToEmail: Email | None = None
    # null takes the practice's number away.
    phone: Phone | None = None


# Body numbers and switches are strict: JSON's true is not 1, and neither "yes" nor 1 is true
# (pydantic's lax mode takes all three; Schemathesis found `"horizonDays": true` accepted).
class SchedulingPatch(In):
    enabled: StrictBool | None = None
    anonymousRequests: StrictBool | None = None
    reschedule: StrictBool | None = None
    cancel: StrictBool | None = None
    minimumNoticeHours: StrictInt | None = Field(None, ge=0, le=720)
    horizonDays: StrictInt | None = Field(None, ge=1, le=730)
    slotIntervalMinutes: Literal[15, 30, 45, 60] | None = None
    changeCutoffHours: StrictInt | None = Field(None, ge=0, le=720)
    offerHoldHours: StrictInt | None = Field(None, ge=1, le=168)
    waitlist: StrictBool | None = None


class RemindersPatch(In):
    hoursBefore: HoursBefore = None


class SettingsPatch(In):
    practice: PracticePatch | None = None
    scheduling: SchedulingPatch | None = None
    reminders: RemindersPatch | None = None


class TypeIn(In):
    name: Title
    # The version it was read at, as If-Match would give it (a record read, changed and sent back).
    etag: str | None = Field(None, max_length=200)
    durationMinutes: StrictInt = Field(ge=GRID_MINUTES, le=240)
    clientType: ClientType
    active: StrictBool = True


class StaffTypeOut(AppointmentType):
    """An appointment type and its version (its entity tag: If-Match on the next save)."""

    etag: str


class TypesOut(Out):
    appointmentTypes: list[StaffTypeOut]


class TimeOffIn(In):
    id: Id | None = None
    start: Instant
    end: Instant


class ClinicianIn(In):
    name: Title
    # The version it was read at, as If-Match would give it (a record read, changed and sent back).
    etag: str | None = Field(None, max_length=200)
    shownInPortal: StrictBool = True
    appointmentTypeIds: list[Id] = Field(default_factory=list, max_length=20)
    hours: WeeklyHours = Field(default_factory=dict)
    # Time off is added and removed an entry at a time (POST/DELETE .../time-off): left out, the
    # stored entries are kept; given, they replace them (as before those routes existed).
    timeOff: list[TimeOffIn] | None = Field(None, max_length=MAX_TIME_OFF)


class NewTimeOffIn(In):
    start: Instant
    end: Instant


class StaffClinicianOut(Clinician):
    """A clinician and its version (its entity tag: If-Match on the next save)."""

    etag: str


class StaffCliniciansOut(Out):
    clinicians: list[StaffClinicianOut]


class ClinicianEnvelope(Out):
    clinician: StaffClinicianOut


class TypeEnvelope(Out):
    appointmentType: StaffTypeOut


class NewClientIn(In):
    firstName: Name
    lastName: Name
    dateOfBirth: DateOfBirth
    email: Email
    mobilePhone: Phone


class ClientRecordOut(Out):
    id: str
    firstName: str
    lastName: str
    dateOfBirth: date
    email: str
    mobilePhone: str
    hasAccount: bool
    createdAt: str


class ClientEnvelope(Out):
    client: ClientRecordOut


class ClientsOut(Out):
    clients: list[ClientRecordOut]


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, object]
    paths: dict[str, object]


# ---- (v2) the waitlist ----------------------------------------------------------------------------


class MyWaitlistIn(In):
    """What a signed-in client asks the waitlist for; the client is known. `clientType` may be
    left out: the appointment type decides it, as for a signed-in client's request; when given,
    it must agree with the type (else 422 `appointmentTypeId`, as on `POST /waitlist`)."""

    clientType: ClientType | None = None
    appointmentTypeId: Id
    clinicianId: Id | None = None
    from_: Day = Field(alias="from")
    to: Day
    comments: Text | None = None


class WaitlistIn(MyWaitlistIn):
    clientType: ClientType  # required without an account
    firstName: Name
    lastName: Name
    dateOfBirth: DateOfBirth
    email: Email
    mobilePhone: Phone


class WaitlistEntryOut(Out):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True)

    id: str
    status: Literal["waiting"]
    clientType: ClientType
    appointmentTypeId: str
    clinicianId: str | None = None
    from_: str = Field(alias="from")
    to: str
    createdAt: str


class WaitlistEnvelope(Out):
    entry: WaitlistEntryOut


class StaffWaitlistEntryOut(WaitlistEntryOut):
    client: ClientOut
    # How many emails about freed times the entry has had.
    notified: int
    comments: str | None = None


class StaffWaitlistOut(Out):
    entries: list[StaffWaitlistEntryOut]


class WaitlistTimeOut(Out):
    start: str
    end: str
    clinicianId: str
    clinicianName: str
    appointmentTypeId: str


class PracticeNameOut(Out):
    name: str


class WaitlistNoticeOut(Out):
    """A time a waiting entry was emailed about: no personal data. `available`: whether
    availability offers it now (anyone may have requested it since)."""

    time: WaitlistTimeOut
    available: bool
    practice: PracticeNameOut


# ---- (v2) offers --------------------------------------------------------------------------------


class OfferedTimeOut(Out):
    start: str
    end: str
    clinicianId: str
    clinicianName: str
    appointmentTypeId: str


class OfferPracticeOut(Out):
    name: str
    phone: str | None = None


class OfferOut(Out):
    status: Literal["open", "accepted", "expired"]
    expiresAt: str
    practice: OfferPracticeOut
    times: list[OfferedTimeOut]


class OfferEnvelope(Out):
    offer: OfferOut


class AcceptIn(In):
    start: Instant

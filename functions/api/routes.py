"""The route table: every (method, path, Lambda function, endpoint, who may call it) once.

Each Lambda function's resolver, the OpenAPI document, the CDK API and the local gateway are
built from this table, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Access(StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    STAFF = "staff"


# Checks that come after the role and before the body (see the contract's order of refusals).
Gate = Literal["anonymous_request", "client_request", "reschedule", "cancel", "waitlist", "client_waitlist"]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    endpoint: str
    access: Access
    summary: str
    status: int = 200
    gate: Gate | None = None

    @property
    def resolver_path(self) -> str:
        return self.path.replace("{", "<").replace("}", ">")


# Request headers a browser may send the API from another origin (CORS): besides the usual, the
# Idempotency-Key of every POST and the token of AWS WAF's bot check on the request form.
CORS_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Aws-Waf-Token")

# Lambda function name -> the module holding its endpoints and `handler`.
FUNCTIONS: dict[str, str] = {
    "availability": "functions.request.availability",
    "submit": "functions.request.submit",
    "appointments": "functions.request.appointments",
    "reschedule": "functions.request.reschedule",
    "cancel": "functions.request.cancel",
    "review": "functions.review.decide",
    "practice": "functions.review.practice",
    "clients": "functions.review.clients",
    "calendar": "functions.review.calendar",
    "offers": "functions.request.offers",
    "docs": "functions.request.docs",
    "waitlist": "functions.request.waitlist",
    "waitlistreview": "functions.review.waitlist",
}
# Functions not behind the API: the stream's consumers and the scheduled jobs, by module.
BACKGROUND: dict[str, str] = {
    "notify": "functions.notify.handler",
    "reminders": "functions.jobs.reminders",
    "expiry": "functions.jobs.offers",
    # (v2) the waitlist: the stream consumer that emails freed times, the job that drops past entries
    "waitlistnotify": "functions.waitlist.handler",
    "waitlistexpiry": "functions.jobs.waitlist",
}

P, S, A = Access.PUBLIC, Access.SIGNED_IN, Access.STAFF

ROUTES: tuple[Route, ...] = (
    Route("GET", "/portal", "availability", "get_portal", P, "What the practice allows"),
    Route("GET", "/clinicians", "availability", "get_clinicians", P, "Clinicians offering a client type"),
    Route("GET", "/availability", "availability", "get_availability", P, "Open slots"),
    Route(
        "POST",
        "/requests",
        "submit",
        "post_request",
        P,
        "Request an appointment without signing in",
        201,
        "anonymous_request",
    ),
    Route(
        "POST",
        "/me/requests",
        "submit",
        "post_my_request",
        S,
        "Request an appointment as a signed-in client",
        201,
        "client_request",
    ),
    Route("GET", "/me/appointments", "appointments", "get_my_appointments", S, "The client's appointments"),
    Route(
        "POST",
        "/me/appointments/{id}/reschedule",
        "reschedule",
        "post_reschedule",
        S,
        "Ask to reschedule an appointment",
        201,
        "reschedule",
    ),
    Route(
        "POST",
        "/me/appointments/{id}/cancel",
        "cancel",
        "post_cancel",
        S,
        "Ask to cancel an appointment",
        201,
        "cancel",
    ),
    Route("GET", "/staff/requests", "review", "get_requests", A, "Requests awaiting review, or decided"),
    Route("POST", "/staff/requests/{id}/approve", "review", "post_approve", A, "Approve a request"),
    Route("POST", "/staff/requests/{id}/deny", "review", "post_deny", A, "Deny a request"),
    Route(
        "POST",
        "/staff/requests/{id}/resend",
        "review",
        "post_resend",
        A,
        "Send a request's email again after it could not be sent",
        202,
    ),
    Route(
        "GET",
        "/staff/appointments",
        "calendar",
        "get_appointments",
        A,
        "The calendar: appointments and pending requests in a date range",
    ),
    Route(
        "POST", "/staff/appointments", "calendar", "book_appointment", A, "Book a confirmed appointment", 201
    ),
    Route(
        "POST",
        "/staff/appointments/{id}/reschedule",
        "calendar",
        "move_appointment",
        A,
        "Move a confirmed appointment",
    ),
    Route(
        "POST",
        "/staff/appointments/{id}/cancel",
        "calendar",
        "cancel_appointment",
        A,
        "Cancel a confirmed appointment",
    ),
    Route("GET", "/staff/settings", "practice", "get_settings", A, "The practice's settings"),
    Route("PATCH", "/staff/settings", "practice", "patch_settings", A, "Change the practice's settings"),
    Route("GET", "/staff/appointment-types", "practice", "get_types", A, "Appointment types"),
    Route(
        "PUT",
        "/staff/appointment-types/{id}",
        "practice",
        "put_type",
        A,
        "Create or replace an appointment type",
    ),
    Route(
        "GET",
        "/staff/clinicians",
        "practice",
        "get_staff_clinicians",
        A,
        "Clinicians with hours and time off",
    ),
    Route(
        "PUT",
        "/staff/clinicians/{id}",
        "practice",
        "put_clinician",
        A,
        "Create or replace a clinician with hours and time off",
    ),
    Route(
        "POST",
        "/staff/clinicians/{id}/time-off",
        "practice",
        "post_time_off",
        A,
        "Add one entry of a clinician's time off",
        201,
    ),
    Route(
        "DELETE",
        "/staff/clinicians/{id}/time-off/{entryId}",
        "practice",
        "delete_time_off",
        A,
        "Remove one entry of a clinician's time off",
    ),
    Route("GET", "/staff/clients", "clients", "get_clients", A, "The practice's clients"),
    Route("POST", "/staff/clients", "clients", "post_client", A, "Add a client", 201),
    Route(
        "POST",
        "/staff/clients/{id}/invite",
        "clients",
        "post_invite",
        A,
        "Invite a client to the portal (creates the sign-in account)",
    ),
    Route("GET", "/offers/{token}", "offers", "get_offer", P, "Times offered instead of a denial"),
    Route(
        "POST",
        "/offers/{token}/accept",
        "offers",
        "post_accept",
        P,
        "Accept one of the offered times: confirmed at once",
        201,
    ),
    Route("GET", "/openapi.json", "docs", "get_openapi", P, "This document"),
    # (v2) The waitlist.
    Route(
        "POST",
        "/waitlist",
        "waitlist",
        "post_waitlist",
        P,
        "Join the waitlist without signing in",
        201,
        "waitlist",
    ),
    Route(
        "POST",
        "/me/waitlist",
        "waitlist",
        "post_my_waitlist",
        S,
        "Join the waitlist as a signed-in client",
        201,
        "client_waitlist",
    ),
    Route(
        "GET",
        "/waitlist/{token}",
        "waitlist",
        "get_waitlist_time",
        P,
        "A time a waiting entry was emailed about",
    ),
    Route("GET", "/staff/waitlist", "waitlistreview", "get_staff_waitlist", A, "The waitlist, oldest first"),
    Route(
        "DELETE",
        "/staff/waitlist/{id}",
        "waitlistreview",
        "delete_waitlist_entry",
        A,
        "Remove a waitlist entry",
        204,
    ),
)


def routes_of(function: str) -> list[Route]:
    return [r for r in ROUTES if r.function == function]


def allowed_methods(resource: str) -> str:
    """The `Allow` header of a resource of the table (`/staff/clinicians/{id}`): its methods, and
    OPTIONS, which answers CORS preflights. Any other method there is a 405 with this header."""
    return ", ".join(sorted({r.method for r in ROUTES if r.path == resource} | {"OPTIONS"}))


def find(method: str, resource: str) -> Route | None:
    """The route API Gateway matched, from the proxy event's httpMethod and resource."""
    return _BY_RESOURCE.get((method.upper(), resource))


_BY_RESOURCE = {(r.method, r.path): r for r in ROUTES}

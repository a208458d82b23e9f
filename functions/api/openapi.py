"""The OpenAPI 3.1 document of every route, generated from the handlers and the route table.

`python -m functions.api.openapi docs/openapi.json` writes it (make openapi).
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from .http import new_resolver, register
from .routes import FUNCTIONS, ROUTES

TITLE = "Client portal API"
VERSION = "1.0.0"


def document() -> dict[str, Any]:
    app = new_resolver()
    for route in ROUTES:
        module = importlib.import_module(FUNCTIONS[route.function])
        register(app, route, getattr(module, route.endpoint))
    schema = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="The public HTTP contract of the client portal (contract v2: every operation it lists). "
        "Errors always have the body {error: {code, message, fields?}}.",
        security_schemes={
            "cognito": HTTPBearer(
                bearerFormat="JWT",
                description=(
                    "A Cognito ID token: a client's from the clients' user pool, or a staff member's "
                    "from the staff user pool (members of the group `staff`; TOTP MFA required)."
                ),
            )
        },
    )
    result: dict[str, Any] = json.loads(schema)
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            _add_examples_and_links(operation)
            if method == "post" and path:
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            if method in ("put", "patch") and "412" in operation["responses"]:
                operation.setdefault("parameters", []).append(IF_MATCH_PARAMETER)
            if method == "put":
                operation.setdefault("parameters", []).append(IF_NONE_MATCH_PARAMETER)
                operation["responses"]["400"]["description"] = (
                    "Malformed JSON, or an If-None-Match header other than `*` (`invalid_if_none_match`)"
                )
    return result


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key with the same body returns the first response again and changes nothing; "
    "with another body it is a 409. Keys are kept for 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


IF_MATCH_PARAMETER = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The entity tag (`ETag`) of the version this change was made on. When the stored "
    "record has changed since, the answer is a 412 `changed_meanwhile` and nothing changes; `*` "
    "matches any stored version. Without it the change applies to whatever is stored.",
    "schema": {"type": "string", "maxLength": 1000},
}


IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "`*`: create only. When something already has this id, the answer is a 409 "
    "`already_exists` and nothing changes. Any other value (an entity tag, an empty header) is a 400 "
    "`invalid_if_none_match` and nothing changes.",
    "schema": {"type": "string", "enum": ["*"]},
}


# The contract's own examples (shared/API.md), one per operation that takes input: what a reader
# of the document copies, and what Schemathesis' examples phase sends first.
_START = "2030-03-05T10:00:00-05:00"
_PERSON = {  # nobody's: the contract's shape with made-up values
    "firstName": "Jordan",
    "lastName": "St. Clair",
    "dateOfBirth": "1984-07-19",
    "email": "jordan.stclair@example.net",
    "mobilePhone": "+1 617 555 0177",
}
_HOURS = {
    day: [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}] for day in ("monday",)
}
BODY_EXAMPLES: dict[str, dict[str, Any]] = {
    "post_request": {
        "clientType": "new",
        "clinicianId": "c-rivera",
        "appointmentTypeId": "intake",
        "start": _START,
        **_PERSON,
        "comments": "Evenings are hard for me.",
    },
    "post_my_request": {"clinicianId": "c-rivera", "appointmentTypeId": "session", "start": _START},
    "post_reschedule": {"start": _START, "comments": "Something came up at work."},
    "post_cancel": {"reason": "I am moving away."},
    "post_approve": {"note": "See you then.", "start": _START},
    "post_deny": {"note": "Please call us to find a time."},
    "patch_settings": {"scheduling": {"minimumNoticeHours": 24, "horizonDays": 60}},
    "put_type": {"name": "Couples Session", "durationMinutes": 80, "clientType": "existing"},
    "put_clinician": {
        "name": "Maria Rivera, LMHC",
        "appointmentTypeIds": ["intake", "session"],
        "hours": _HOURS,
    },
    "post_client": _PERSON,
    "book_appointment": {
        "clientId": "demo-client",
        "clinicianId": "c-rivera",
        "appointmentTypeId": "session",
        "start": _START,
        "note": "Booked by phone.",
    },
    "move_appointment": {"start": "2030-03-05T14:00:00-05:00", "note": "Dr. Rivera is away that morning."},
    "cancel_appointment": {"note": "The clinician is ill; we will call you."},
    "post_waitlist": {
        "clientType": "new",
        "appointmentTypeId": "intake",
        "clinicianId": "c-rivera",
        "from": "2030-03-04",
        "to": "2030-04-04",
        **_PERSON,
        "comments": "Mornings suit me best.",
    },
    "post_my_waitlist": {"appointmentTypeId": "session", "from": "2030-03-04", "to": "2030-03-18"},
}
QUERY_EXAMPLES: dict[str, dict[str, str]] = {
    "get_availability": {
        "clientType": "new",
        "from": "2030-03-04",
        "to": "2030-03-08",
        "clinicianId": "c-rivera",
    },
    "get_clinicians": {"clientType": "new"},
    "get_requests": {"status": "pending", "limit": "50"},
    "get_appointments": {"from": "2030-03-04", "to": "2030-03-10", "clinicianId": "c-rivera"},
}
PATH_EXAMPLES = {"put_type": "couples", "put_clinician": "c-rivera", "post_invite": "demo-client"}


# Where an answer's ids lead (OpenAPI links): what a client does next, and what Schemathesis'
# stateful phase follows. (operation, status) -> {link name: (next operation, its parameters)}.
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("post_request", "201"): {
        "ApproveTheRequest": ("post_approve", {"id": "$response.body#/request/id"}),
        "DenyTheRequest": ("post_deny", {"id": "$response.body#/request/id"}),
    },
    ("post_my_request", "201"): {
        "ApproveTheRequest": ("post_approve", {"id": "$response.body#/request/id"}),
        "DenyTheRequest": ("post_deny", {"id": "$response.body#/request/id"}),
    },
    ("post_approve", "200"): {
        "RescheduleTheAppointment": ("post_reschedule", {"id": "$response.body#/request/appointmentId"}),
        "CancelTheAppointment": ("post_cancel", {"id": "$response.body#/request/appointmentId"}),
    },
    ("post_reschedule", "201"): {
        "ApproveTheChange": ("post_approve", {"id": "$response.body#/request/id"}),
        "DenyTheChange": ("post_deny", {"id": "$response.body#/request/id"}),
    },
    ("post_cancel", "201"): {
        "ApproveTheChange": ("post_approve", {"id": "$response.body#/request/id"}),
        "DenyTheChange": ("post_deny", {"id": "$response.body#/request/id"}),
    },
    ("post_client", "201"): {"InviteTheClient": ("post_invite", {"id": "$response.body#/client/id"})},
    ("book_appointment", "201"): {
        "MoveTheAppointment": ("move_appointment", {"id": "$response.body#/appointment/id"}),
        "CancelTheAppointment": ("cancel_appointment", {"id": "$response.body#/appointment/id"}),
    },
    ("move_appointment", "200"): {
        "CancelTheAppointment": ("cancel_appointment", {"id": "$response.body#/appointment/id"}),
    },
    ("post_waitlist", "201"): {
        "RemoveTheEntry": ("delete_waitlist_entry", {"id": "$response.body#/entry/id"})
    },
    ("post_my_waitlist", "201"): {
        "RemoveTheEntry": ("delete_waitlist_entry", {"id": "$response.body#/entry/id"})
    },
}


def _add_examples_and_links(operation: dict[str, Any]) -> None:
    name = operation.get("operationId", "")
    for (source, status), links in LINKS.items():
        if source == name:
            operation["responses"][status]["links"] = {
                link: {"operationId": target, "parameters": parameters}
                for link, (target, parameters) in links.items()
            }
    if name in BODY_EXAMPLES:
        media = operation["requestBody"]["content"]["application/json"]
        media["examples"] = {"contract": {"value": BODY_EXAMPLES[name]}}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] in QUERY_EXAMPLES.get(name, {}):
            parameter["example"] = QUERY_EXAMPLES[name][parameter["name"]]
        elif parameter["in"] == "path" and name in PATH_EXAMPLES:
            parameter["example"] = PATH_EXAMPLES[name]


def main(argv: list[str]) -> int:
    text = json.dumps(document(), indent=2, sort_keys=True) + "\n"
    if len(argv) > 1:
        with open(argv[1], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""The table's definition, shared by the CDK stack, the local stack and the tests."""

from __future__ import annotations

from typing import Any

PK, SK = "pk", "sk"
GSI1, GSI2, GSI3, GSI4 = "gsi1", "gsi2", "gsi3", "gsi4"
TTL_ATTRIBUTE = "expiresAt"

KEY_ATTRIBUTES = ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "gsi4pk", "gsi4sk")

# gsi1: overloaded look-ups (a client's appointments, requests by status, clients by creation).
# gsi2: time held per practice, keys only: the sort key encodes start, end and clinician.
# gsi3: the staff calendar: appointments that hold time, by start, with what a calendar block
# shows (the client's name, never their date of birth, contact details or comments).
# gsi4: reminders, keys only: every confirmed appointment by start, so that the reminders due in
# a window of time are one key range per reminder hour (start - hours before). (v2) Overloaded with
# `WAITEND`: every waiting entry of the waitlist by its last day (the scheduled job drops those
# whose last day has passed; staff list them all).
# gsi1 (v2) also holds `WAITLIST#<type>`: the waiting entries of a type, oldest first (matching).
CALENDAR_ATTRIBUTES = (
    "id",
    "status",
    "clinicianId",
    "appointmentTypeId",
    "start",
    "end",
    "clientId",
    "clientName",
    "madeBy",
    "pendingRequestId",
    "requestedStart",
    "requestedEnd",
    "requestedClinicianId",
)
INDEXES: tuple[dict[str, Any], ...] = (
    {"name": GSI1, "pk": "gsi1pk", "sk": "gsi1sk", "projection": "ALL"},
    {"name": GSI2, "pk": "gsi2pk", "sk": "gsi2sk", "projection": "KEYS_ONLY"},
    {"name": GSI3, "pk": "gsi3pk", "sk": "gsi3sk", "projection": "INCLUDE", "include": CALENDAR_ATTRIBUTES},
    {"name": GSI4, "pk": "gsi4pk", "sk": "gsi4sk", "projection": "KEYS_ONLY"},
)


def _projection(index: dict[str, Any]) -> dict[str, Any]:
    if index["projection"] == "INCLUDE":
        return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index["include"])}
    return {"ProjectionType": index["projection"]}


def create_table_request(table_name: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable, as the CDK stack defines the same table."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": PK, "KeyType": "HASH"}, {"AttributeName": SK, "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in KEY_ATTRIBUTES],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index["name"],
                "KeySchema": [
                    {"AttributeName": index["pk"], "KeyType": "HASH"},
                    {"AttributeName": index["sk"], "KeyType": "RANGE"},
                ],
                "Projection": _projection(index),
            }
            for index in INDEXES
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


# Which items each Lambda function may touch, by the leading (partition) key of the table or of an
# index; the CDK stack turns these into IAM conditions on dynamodb:LeadingKeys, so a function
# cannot read or change what it does not serve. Writes include deletes and condition checks.
ACCESS: dict[str, dict[str, tuple[str, ...]]] = {
    "availability": {"read": ("PRACTICE",), GSI2: ("BUSY",)},
    "submit": {
        # APPT#*: a retried transaction reads back whether its lost first attempt was applied.
        "read": ("PRACTICE", "USER#*", "CLIENT#*", "IDEM#*", "APPT#*"),
        "write": ("APPT#*", "CLAIM#*", "IDEM#*", "TALLY#*"),
    },
    "appointments": {"read": ("PRACTICE", "USER#*"), GSI1: ("CLIENT#*",)},
    "reschedule": {
        "read": ("PRACTICE", "USER#*", "APPT#*", "IDEM#*"),
        "write": ("APPT#*", "CLAIM#*", "IDEM#*"),
    },
    "cancel": {"read": ("PRACTICE", "USER#*", "APPT#*", "IDEM#*"), "write": ("APPT#*", "IDEM#*")},
    "review": {
        "read": ("PRACTICE", "APPT#*", "IDEM#*"),
        # OFFER#*: a denial with other times writes the offer and its times.
        "write": ("APPT#*", "CLAIM#*", "IDEM#*", "TALLY#*", "OFFER#*"),
        GSI1: ("REQUESTS#*",),
    },
    # (v2) An offer's link: read it, accept one time (a new appointment, its request, the claims
    # of the times not chosen released).
    "offers": {
        "read": ("PRACTICE", "OFFER#*", "IDEM#*"),
        "write": ("OFFER#*", "APPT#*", "CLAIM#*", "IDEM#*"),
    },
    # The staff calendar: it reads clients (to book one), never writes them.
    "calendar": {
        "read": ("PRACTICE", "APPT#*", "CLIENT#*", "IDEM#*"),
        "write": ("APPT#*", "CLAIM#*", "IDEM#*"),
        GSI3: ("CALENDAR",),
    },
    "practice": {"read": ("PRACTICE",), "write": ("PRACTICE",)},
    "clients": {
        "read": ("PRACTICE", "CLIENT#*", "USER#*", "IDEM#*"),
        "write": ("CLIENT#*", "USER#*", "IDEM#*"),
        GSI1: ("CLIENTS",),
    },
    "docs": {},
    # The notify function reads the configuration, keeps its ledger of sent emails, and may set
    # nothing on a request but its notification status (see NOTIFY_REQUEST_ATTRIBUTES).
    # It also reads requests, to send nothing for a change that is not (or no longer) stored.
    "notify": {"read": ("PRACTICE", "SENT#*", "APPT#*", "OFFER#*"), "write": ("SENT#*",)},
    # The reminder job: the due appointments' keys from the reminder index, the appointments
    # themselves (to check each is still confirmed at that time), and its claims on the ledger.
    "reminders": {"read": ("PRACTICE", "SENT#*", "APPT#*"), "write": ("SENT#*",), GSI4: ("REMIND",)},
    # The expiry job: open offers past their hold (the index), expired with their times and
    # claims released.
    "expiry": {"read": ("OFFER#*",), "write": ("OFFER#*", "CLAIM#*"), GSI4: ("OFFERS",)},
}
# (v2) The waitlist. Its public and client routes: join (the entry, its address's tally, the
# idempotency record) and read a time emailed (the notice by its token's hash; held time).
ACCESS["waitlist"] = {
    # WAIT#*: a retried transaction reads back whether its lost first attempt was applied.
    "read": ("PRACTICE", "USER#*", "CLIENT#*", "IDEM#*", "WAIT#*", "WAITNOTE#*"),
    "write": ("WAIT#*", "TALLY#*", "IDEM#*"),
    GSI2: ("BUSY",),
}
# Staff: list the waiting entries (keys from gsi4 `WAITEND`, then the entries, read with the
# configuration in one batch) and remove one.
ACCESS["waitlistreview"] = {
    "read": ("PRACTICE", "WAIT#*"),
    "write": ("WAIT#*", "TALLY#*"),
    GSI4: ("WAITEND",),
}
# The stream consumer that emails waiting entries about freed times: held time (gsi2) and the
# claim records of the times that opened (read only: the index may lag), the entries of a type
# (gsi1), its ledger claims and the notices behind the links. On an entry it may only count the
# emails (WAITLIST_NOTIFY_ATTRIBUTES, a statement of its own in the stack).
ACCESS["waitlistnotify"] = {
    "read": ("PRACTICE", "SENT#*", "CLAIM#*"),
    "write": ("SENT#*", "WAITNOTE#*"),
    GSI1: ("WAITLIST#*",),
    GSI2: ("BUSY",),
}
WAITLIST_NOTIFY_ATTRIBUTES = ("pk", "sk", "status", "notices")
# The scheduled job that drops entries whose last day has passed (and gives their address's
# tally back).
ACCESS["waitlistexpiry"] = {
    "read": ("PRACTICE", "WAIT#*"),
    "write": ("WAIT#*", "TALLY#*"),
    GSI4: ("WAITEND",),
}
NOTIFY_REQUEST_ATTRIBUTES = ("pk", "sk", "notification", "notifiedVersion")

"""The domain's refusals. Each carries a machine code and a sentence for a person, never personal data.

The API layer maps the four families to HTTP status codes in one place (functions.api.errors).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    message = "The request could not be completed."

    def __init__(self, code: str | None = None, message: str | None = None, field: str | None = None):
        self.code = code or self.code
        self.message = message or self.message
        self.field = field
        super().__init__(self.code)


class Forbidden(DomainError):
    """The caller may not do this, or the practice turned the feature off."""


class NotFound(DomainError):
    code = "not_found"
    message = "Nothing was found at this address."


class Conflict(DomainError):
    """The request is valid but the state of things does not allow it (slot taken, already decided)."""


class Invalid(DomainError):
    """A value that is well-formed but not acceptable (a time that is not offered)."""


class Unavailable(DomainError):
    """A transient condition on our side: the caller should retry shortly."""

    code = "temporarily_unavailable"
    message = "The service is busy. Please try again in a moment."


def slot_unavailable() -> Conflict:
    return Conflict("slot_unavailable", "That time is no longer available. Please choose another time.")


def slot_not_offered(field: str = "start") -> Invalid:
    return Invalid("slot_not_offered", "That time is not offered for booking.", field)

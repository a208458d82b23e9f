"""Who is calling: only from the claims API Gateway's Cognito authorizer put in the event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STAFF_GROUP = "staff"


@dataclass(frozen=True)
class Caller:
    """The signed-in account: its id and groups. Never its email: a token's address is the
    account's to change, so where a client is written to comes from the client record."""

    sub: str | None = None
    groups: frozenset[str] = frozenset()

    @property
    def signed_in(self) -> bool:
        return self.sub is not None

    @property
    def staff(self) -> bool:
        return STAFF_GROUP in self.groups


def _groups(value: Any) -> frozenset[str]:
    # REST API authorizers deliver the group list as one string ("staff" or "[staff, admin]").
    if isinstance(value, list | tuple):
        return frozenset(str(v) for v in value)
    if isinstance(value, str):
        return frozenset(p for p in value.strip("[]").replace(",", " ").split() if p)
    return frozenset()


def caller_of(event: Mapping[str, Any]) -> Caller:
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return Caller()
    return Caller(sub=sub, groups=_groups(claims.get("cognito:groups")))


# The user pool's rules, shared by the CDK stack and the local stack.
PASSWORD_POLICY = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
TOKEN_HOURS = 1

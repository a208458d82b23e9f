"""Who is calling: only from the claims API Gateway's Cognito authorizer put in the event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STAFF_GROUP = "staff"


@dataclass(frozen=True)
class Caller:
    """The signed-in account: its id, the user pool that issued its token and its groups. Never
    its email: a token's address is the account's to change, so where a client is written to
    comes from the client record.

    Staff and clients sign in to two user pools (the staff pool requires MFA): a staff route
    takes only a staff-pool account in the `staff` group, and only a client-pool account is
    ever looked up as a client's."""

    sub: str | None = None
    pool: str | None = None
    groups: frozenset[str] = frozenset()
    staff: bool = False
    client_account: bool = False

    @property
    def signed_in(self) -> bool:
        return self.sub is not None

    @property
    def account(self) -> str | None:
        """The sub a client record may be linked to: a client-pool account's, else none."""
        return self.sub if self.client_account else None


def _groups(value: Any) -> frozenset[str]:
    # REST API authorizers deliver the group list as one string ("staff" or "[staff, admin]").
    if isinstance(value, list | tuple):
        return frozenset(str(v) for v in value)
    if isinstance(value, str):
        return frozenset(p for p in value.strip("[]").replace(",", " ").split() if p)
    return frozenset()


def caller_of(event: Mapping[str, Any], *, client_pool: str, staff_pool: str) -> Caller:
    """The caller from the authorizer's claims; the issuer (`iss`, which the authorizer checked
    against the two pools) says which pool the account is in."""
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return Caller()
    issuer = claims.get("iss")
    pool = issuer.rstrip("/").rsplit("/", 1)[-1] if isinstance(issuer, str) and "/" in issuer else None
    groups = _groups(claims.get("cognito:groups"))
    return Caller(
        sub=sub,
        pool=pool,
        groups=groups,
        staff=bool(pool) and pool == staff_pool and STAFF_GROUP in groups,
        client_account=bool(pool) and pool == client_pool,
    )


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

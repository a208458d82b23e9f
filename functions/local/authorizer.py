"""What API Gateway's Cognito authorizer does, locally: the ID token of either user pool (the
clients' or the staff's), its signature against that pool's JWKS, its issuer, audience (the
pool's app client), expiry and token_use; the claims as API Gateway delivers them."""

from __future__ import annotations

from typing import Any

import jwt


class Refused(Exception):
    """No token, or a token the authorizer does not accept: 401 before any handler runs."""


class Authorizer:
    def __init__(self, endpoint: str, region: str, pools: dict[str, str]) -> None:
        """`pools`: each user pool's id and its app client's."""
        self._pools = {
            f"https://cognito-idp.{region}.amazonaws.com/{pool}": (
                client,
                jwt.PyJWKClient(f"{endpoint.rstrip('/')}/{pool}/.well-known/jwks.json", cache_keys=True),
            )
            for pool, client in pools.items()
        }

    def claims(self, authorization: str | None) -> dict[str, str]:
        if not authorization:
            raise Refused("no token")
        token = authorization.removeprefix("Bearer ").strip()
        try:
            # Which pool's keys to check it with; the signature and the issuer are checked below.
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            if issuer not in self._pools:
                raise Refused("not a token of the user pools")
            client_id, keys = self._pools[issuer]
            key = keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],  # never "none", never a symmetric algorithm
                audience=client_id,
                issuer=issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "token_use"]},
            )
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise Refused(type(exc).__name__) from exc
        if claims.get("token_use") != "id":
            raise Refused("not an ID token")
        return {name: _as_api_gateway(value) for name, value in claims.items()}


def _as_api_gateway(value: Any) -> str:
    """REST API authorizers deliver every claim as a string; a list (the groups) as "[a, b]"."""
    if isinstance(value, list):
        return value[0] if len(value) == 1 else "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)

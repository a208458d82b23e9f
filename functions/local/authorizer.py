"""What API Gateway's Cognito authorizer does, locally: the ID token's signature against the user
pool's JWKS, its issuer, audience, expiry and token_use; the claims as API Gateway delivers them."""

from __future__ import annotations

from typing import Any

import jwt


class Refused(Exception):
    """No token, or a token the authorizer does not accept: 401 before any handler runs."""


class Authorizer:
    def __init__(self, endpoint: str, region: str, pool_id: str, client_id: str) -> None:
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        self.client_id = client_id
        self._jwks = jwt.PyJWKClient(
            f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json", cache_keys=True
        )

    def claims(self, authorization: str | None) -> dict[str, str]:
        if not authorization:
            raise Refused("no token")
        token = authorization.removeprefix("Bearer ").strip()
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],  # never "none", never a symmetric algorithm
                audience=self.client_id,
                issuer=self.issuer,
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

"""The user pools' public sign-in calls, passed through the local gateway at `/cognito`, with the
TOTP second factor that Cognito asks for and moto does not.

The pages sign in with Cognito's public JSON API. In AWS they call `cognito-idp.<region>.
amazonaws.com` directly; locally they call the gateway's own origin, which forwards only the
calls a browser may make without AWS credentials (sign-in and its challenges) to the user pools of
the embedded AWS. The browser never talks to moto itself, which therefore needs no CORS and
refuses every browser (`embedded.py`): no web page can read the local table.

moto (5.x) signs in with a password alone whatever a pool's MFA setting: it never answers the
MFA_SETUP challenge to USER_PASSWORD_AUTH, hands every user the same fixed TOTP secret, checks
codes only when an environment switch is set (and then against that fixed secret), and completes
MFA_SETUP without any code. So the second factor is done here, as Cognito does it: when moto
answers a password with tokens, they are held and the caller gets the challenge instead
(MFA_SETUP for an account of a pool that requires MFA and has no authenticator yet,
SOFTWARE_TOKEN_MFA for one that has); AssociateSoftwareToken gives that account a secret of its
own; VerifySoftwareToken and the SOFTWARE_TOKEN_MFA answer check real RFC 6238 codes (the
current 30-second step or the one either side); a sign-in session lasts 3 minutes and 5 wrong
codes end it. What is not emulated: setting up an authenticator with an access token (signed
in, outside the sign-in challenge) and SetUserMFAPreference, which no page uses; turning a
user's authenticator off (AdminSetUserMFAPreference) against moto directly.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pyotp

PREFIX = "AWSCognitoIdentityProviderService."
# What a signed-out or signed-in browser may ask of Cognito: the calls that need no AWS
# credentials (an app client id, a session, or the user's own access token).
PUBLIC = frozenset(
    {
        "InitiateAuth",
        "RespondToAuthChallenge",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
        "GetUser",
        "ChangePassword",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "GlobalSignOut",
        "RevokeToken",
    }
)
# Cognito's defaults: an app client's sign-in session lasts 3 minutes.
SESSION_SECONDS = 180
WRONG_CODES = 5
CONTENT_TYPE = {"Content-Type": "application/x-amz-json-1.1"}
Answer = tuple[int, dict[str, str], bytes]


def _answer(body: dict[str, Any]) -> Answer:
    return 200, dict(CONTENT_TYPE), json.dumps(body).encode()


def _refuse(kind: str, message: str) -> Answer:
    return 400, dict(CONTENT_TYPE), json.dumps({"__type": kind, "message": message}).encode()


def _expired() -> Answer:
    return _refuse("NotAuthorizedException", "Invalid session for the user, session is expired.")


@dataclass(frozen=True)
class Pool:
    """A user pool as the proxy sees it: its id, and whether it requires a second factor."""

    id: str
    mfa_required: bool


class Authenticators:
    """The TOTP secrets of the accounts that set up an authenticator app, by pool and sub. Kept in
    a file beside the local stack's saved state (none: in memory only), as Cognito keeps them."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._secrets: dict[str, dict[str, str]] = {}
        if path is not None and path.exists():
            try:
                self._secrets = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                # Unreadable: set aside; each staff account sets up its authenticator again.
                os.replace(path, path.with_suffix(".unreadable"))

    def secret(self, pool: str, sub: str) -> str | None:
        with self._lock:
            return self._secrets.get(pool, {}).get(sub)

    def register(self, pool: str, sub: str, secret: str) -> None:
        with self._lock:
            self._secrets.setdefault(pool, {})[sub] = secret
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                partial = self._path.with_suffix(".partial")
                partial.write_text(json.dumps(self._secrets), encoding="utf-8")
                os.replace(partial, self._path)


def code_is_right(secret: str, code: object) -> bool:
    """An authenticator's code for this secret: now, or one 30-second step before or after."""
    return isinstance(code, str) and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


@dataclass
class _SignIn:
    """A password sign-in waiting for its second factor; moto's tokens are held until then."""

    client_id: str
    pool: str
    sub: str
    tokens: dict[str, Any]
    challenge: str
    expires: float = field(default_factory=lambda: time.monotonic() + SESSION_SECONDS)
    secret: str | None = None
    verified: bool = False
    wrong: int = 0


class CognitoProxy:
    def __init__(
        self,
        endpoint: str,
        pools: dict[str, Pool] | None = None,
        authenticators: Authenticators | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/") + "/"
        self.pools = pools or {}  # by app client id
        self.authenticators = authenticators or Authenticators()
        self._sessions: dict[str, _SignIn] = {}
        self._lock = threading.Lock()

    def forward(self, headers: dict[str, str], body: bytes) -> Answer:
        target = headers.get("x-amz-target", "")
        name = target.removeprefix(PREFIX)
        if not target.startswith(PREFIX) or name not in PUBLIC:
            return _refuse("NotAuthorizedException", "This call is not available to the pages.")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _refuse("SerializationException", "The request is not JSON.")
        if not isinstance(request, dict):
            return _refuse("SerializationException", "The request is not a JSON object.")
        if name == "InitiateAuth":
            return self._second_factor(request.get("ClientId"), self._moto(target, body))
        if name == "RespondToAuthChallenge":
            if request.get("ChallengeName") in ("MFA_SETUP", "SOFTWARE_TOKEN_MFA"):
                return self._respond(request)
            return self._second_factor(request.get("ClientId"), self._moto(target, body))
        if name == "AssociateSoftwareToken":
            return self._associate(request)
        if name == "VerifySoftwareToken":
            return self._verify(request)
        if name == "SetUserMFAPreference":
            return _refuse("NotAuthorizedException", "The local stack sets up MFA only while signing in.")
        return self._moto(target, body)

    def _moto(self, target: str, body: bytes) -> Answer:
        request = urllib.request.Request(  # noqa: S310 - the embedded AWS endpoint, http on loopback
            self.endpoint, data=body, method="POST", headers={**CONTENT_TYPE, "X-Amz-Target": target}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return answer.status, dict(CONTENT_TYPE), answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, dict(CONTENT_TYPE), refused.read()

    # ---- the second factor ------------------------------------------------------------------

    def _second_factor(self, client_id: object, answer: Answer) -> Answer:
        """moto's answer, unless it signed an account in whose pool or authenticator asks for a
        second factor: then the tokens are held and the challenge is the answer."""
        status, _, body = answer
        pool = self.pools.get(client_id) if isinstance(client_id, str) else None
        if status != 200 or pool is None:
            return answer
        result = json.loads(body)
        tokens = result.get("AuthenticationResult")
        if not tokens or "IdToken" not in tokens:
            return answer  # another challenge (a new password first)
        # moto's own answer, through the loopback: its signature need not be checked here.
        sub = str(jwt.decode(tokens["IdToken"], options={"verify_signature": False})["sub"])
        registered = self.authenticators.secret(pool.id, sub)
        if registered is None and not pool.mfa_required:
            return answer
        challenge = "SOFTWARE_TOKEN_MFA" if registered else "MFA_SETUP"
        session = self._open(_SignIn(str(client_id), pool.id, sub, tokens, challenge))
        parameters = {} if registered else {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'}
        return _answer({"ChallengeName": challenge, "ChallengeParameters": parameters, "Session": session})

    def _open(self, sign_in: _SignIn) -> str:
        session = secrets.token_urlsafe(48)
        with self._lock:
            now = time.monotonic()
            for old in [s for s, held in self._sessions.items() if held.expires < now]:
                del self._sessions[old]
            self._sessions[session] = sign_in
        return session

    def _find(self, request: dict[str, Any]) -> tuple[str, _SignIn] | None:
        """The sign-in a request's session belongs to, while it lasts, from the app client it began with."""
        session = str(request.get("Session"))
        with self._lock:
            sign_in = self._sessions.get(session)
        if sign_in is None or sign_in.expires < time.monotonic():
            return None
        if "ClientId" in request and request["ClientId"] != sign_in.client_id:
            return None
        return session, sign_in

    def _next(self, session: str, sign_in: _SignIn) -> str:
        """A step done: its session is spent and the next step gets a new one (as Cognito's)."""
        with self._lock:
            self._sessions.pop(session, None)
        return self._open(sign_in)

    def _wrong_code(self, session: str, sign_in: _SignIn, kind: str, message: str) -> Answer:
        """A wrong code: the same session may try again, until too many wrong codes end it."""
        sign_in.wrong += 1
        if sign_in.wrong >= WRONG_CODES:
            with self._lock:
                self._sessions.pop(session, None)
        return _refuse(kind, message)

    def _associate(self, request: dict[str, Any]) -> Answer:
        if "Session" not in request:
            return _refuse(
                "NotAuthorizedException", "The local stack sets up an authenticator only while signing in."
            )
        found = self._find(request)
        if found is None or found[1].challenge != "MFA_SETUP":
            return _expired()
        session, sign_in = found
        sign_in.secret = pyotp.random_base32(32)
        return _answer({"SecretCode": sign_in.secret, "Session": self._next(session, sign_in)})

    def _verify(self, request: dict[str, Any]) -> Answer:
        if "Session" not in request:
            return _refuse(
                "NotAuthorizedException", "The local stack sets up an authenticator only while signing in."
            )
        found = self._find(request)
        if found is None or found[1].secret is None:
            return _expired()
        session, sign_in = found
        secret = sign_in.secret
        if secret is None or not code_is_right(secret, request.get("UserCode")):
            return self._wrong_code(session, sign_in, "EnableSoftwareTokenMFAException", "Code mismatch")
        sign_in.verified = True
        self.authenticators.register(sign_in.pool, sign_in.sub, secret)
        return _answer({"Status": "SUCCESS", "Session": self._next(session, sign_in)})

    def _respond(self, request: dict[str, Any]) -> Answer:
        found = self._find(request)
        if found is None or found[1].challenge != request.get("ChallengeName"):
            return _expired()
        session, sign_in = found
        if sign_in.challenge == "MFA_SETUP" and not sign_in.verified:
            return _refuse("NotAuthorizedException", "Verify a code of the new authenticator first.")
        if sign_in.challenge == "SOFTWARE_TOKEN_MFA":
            secret = self.authenticators.secret(sign_in.pool, sign_in.sub)
            code = (request.get("ChallengeResponses") or {}).get("SOFTWARE_TOKEN_MFA_CODE")
            if secret is None or not code_is_right(secret, code):
                return self._wrong_code(
                    session, sign_in, "CodeMismatchException", "Invalid code received for user"
                )
        with self._lock:
            self._sessions.pop(session, None)
        return _answer({"ChallengeParameters": {}, "AuthenticationResult": sign_in.tokens})

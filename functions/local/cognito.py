"""The user pool's public sign-in calls, passed through the local gateway at `/cognito`.

The pages sign in with Cognito's public JSON API. In AWS they call `cognito-idp.<region>.
amazonaws.com` directly; locally they call the gateway's own origin, which forwards only the
calls a browser may make without AWS credentials (sign-in and its challenges) to the user pool of
the embedded AWS. The browser never talks to moto itself, which therefore needs no CORS and
refuses every browser (`embedded.py`): no web page can read the local table.
"""

from __future__ import annotations

import urllib.error
import urllib.request

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
Answer = tuple[int, dict[str, str], bytes]


def _refuse(message: str) -> Answer:
    body = f'{{"__type": "NotAuthorizedException", "message": "{message}"}}'.encode()
    return 400, {"Content-Type": "application/x-amz-json-1.1"}, body


class CognitoProxy:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/") + "/"

    def forward(self, headers: dict[str, str], body: bytes) -> Answer:
        target = headers.get("x-amz-target", "")
        if not target.startswith(PREFIX) or target.removeprefix(PREFIX) not in PUBLIC:
            return _refuse("This call is not available to the pages.")
        request = urllib.request.Request(  # noqa: S310 - the embedded AWS endpoint, http on loopback
            self.endpoint,
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return answer.status, {"Content-Type": "application/x-amz-json-1.1"}, answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, {"Content-Type": "application/x-amz-json-1.1"}, refused.read()

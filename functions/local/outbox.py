"""The local email outbox: every email the system sends, captured where it leaves for SES, and the
invitations Cognito would email (the local stack gives invited users a temporary password here,
as Cognito does by email)."""

from __future__ import annotations

import base64
import email
import json
import secrets
import threading
from email import policy
from typing import Any

from functions import aws


class Outbox:
    def __init__(self, portal_url: str) -> None:
        self.portal_url = portal_url
        self._emails: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def emails(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._emails)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._emails.append(entry)

    def install(self) -> None:
        """Hook the SES and Cognito clients the handlers use."""
        ses = aws.sesv2().meta.events
        ses.register("before-call.sesv2.SendEmail", self._stash)
        ses.register("after-call.sesv2.SendEmail", self._sent)
        aws.cognito().meta.events.register("before-parameter-build.cognito-idp.AdminCreateUser", self._invite)

    @staticmethod
    def _stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # SES v2 is a REST-JSON API: the serialized request body, with raw MIME in base64.
        context["portal_email"] = json.loads(params.get("body") or b"{}")

    def _sent(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        body = context.get("portal_email")
        if http_response.status_code != 200 or not isinstance(body, dict):
            return
        self.add(_entry(body))

    def _invite(self, params: dict[str, Any], **_: Any) -> None:
        if params.get("MessageAction") == "SUPPRESS":
            return
        password = params.get("TemporaryPassword") or _temporary_password()
        params["TemporaryPassword"] = password
        text = (
            f"You are invited to the client portal at {self.portal_url}.\n"
            f"Sign in with {params['Username']} and the temporary password {password}; "
            "you will choose your own."
        )
        self.add(
            {
                "to": [params["Username"]],
                "subject": "Your client portal account",
                "text": text,
                "attachments": [],
            }
        )


def _temporary_password() -> str:
    return f"Tmp-{secrets.token_urlsafe(9)}-9a!"


def _entry(body: dict[str, Any]) -> dict[str, Any]:
    to = list(body.get("Destination", {}).get("ToAddresses", []))
    content = body.get("Content", {})
    if "Simple" in content:
        simple = content["Simple"]
        return {
            "to": to,
            "subject": simple["Subject"]["Data"],
            "text": simple["Body"].get("Text", {}).get("Data", ""),
            "html": simple["Body"].get("Html", {}).get("Data"),
            "attachments": [],
        }
    message = email.message_from_bytes(base64.b64decode(content["Raw"]["Data"]), policy=policy.default)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return {
        "to": to,
        "subject": str(message["Subject"]),
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else None,
        "attachments": [_attachment(part) for part in message.iter_attachments()],
    }


def _attachment(part: Any) -> dict[str, str]:
    """An attachment's name and type; an invite's method too (REQUEST, or CANCEL for one that
    takes the appointment out of the client's calendar)."""
    found = {"filename": part.get_filename() or "", "contentType": part.get_content_type()}
    method = part.get_param("method")
    if isinstance(method, str):
        found["method"] = method
    return found

"""What the staff page's browser tests share: the API over HTTP, and signing in on the page."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pyotp

from functions.local.provision import STAFF
from functions.local.token import id_token
from tests.integration.conftest import new_request

# ---- over HTTP -------------------------------------------------------------------------------


def http(stack: Any, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(stack.url + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read()
    except urllib.error.HTTPError as refused:
        raise AssertionError(f"{method} {path}: {refused.code} {refused.read()!r}") from None
    return json.loads(text) if text else None


def token_for(stack: Any, email: str, password: str, totp_secret: str | None = None) -> str:
    return id_token(stack.url, email, password, totp_secret)


def request_appointment(stack: Any, start: str, email: str, clinician: str = "c-rivera", **extra: Any) -> str:
    made = http(stack, "POST", "/requests", new_request(start, clinician, email=email, **extra))
    return str(made["request"]["id"])


# ---- in the page -----------------------------------------------------------------------------


def sign_in(page: Any, stack: Any, email: str, password: str, totp_secret: str | None = None) -> None:
    """Signs in on the staff page; with an authenticator's secret, answers the code it asks for."""
    page.goto(f"{stack.url}/staff")
    page.locator("body[data-ready]").wait_for(state="attached")
    form = page.locator("#sign-in-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign In").click()
    if totp_secret:
        code = page.locator("#code-form")
        code.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(totp_secret).now())
        code.get_by_role("button", name="Sign In").click()


def sign_in_as_staff(page: Any, stack: Any) -> None:
    sign_in(page, stack, *STAFF)
    page.locator('#queue-table[data-state="loaded"]').wait_for(state="attached")


def row_of(page: Any, request_id: str) -> Any:
    return page.locator(f'#queue-rows tr[data-request-id="{request_id}"]')

"""Staff sign in with a second factor, in a real browser and by keyboard alone: a new staff member
sets up an authenticator app from the page's QR code or key, then every sign-in asks its code.
The codes are computed here (pyotp) as the authenticator app would; every view is checked with
axe-core (WCAG 2.1 A and AA)."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pyotp
import pytest

from tests.browser.accessibility import no_accessibility_violations
from tests.browser.conftest import screenshot

PASSWORD = "Staff-Chosen-2026!"


def staff_pool(stack: Any) -> str:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{stack.url}/config.json", timeout=10) as answer:
        return str(json.load(answer)["staffUserPoolId"])


def invited(stack: Any, email: str, *, staff: bool = True) -> str:
    """A staff account the practice made (AdminCreateUser), as Cognito invites one: its temporary password."""
    cognito = boto3.client("cognito-idp")
    pool = staff_pool(stack)
    temporary = "Temporary-Pass-2026!"
    cognito.admin_create_user(
        UserPoolId=pool, Username=email, TemporaryPassword=temporary, MessageAction="SUPPRESS"
    )
    if staff:
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="staff")
    return temporary


def focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def tab_to(page: Any, element_id: str, most: int = 8) -> None:
    """Tab until the element has the keyboard's focus; it must be reachable."""
    for _ in range(most):
        if focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    assert focused(page) == element_id


def open_staff_page(page: Any, stack: Any) -> None:
    page.goto(f"{stack.url}/staff")
    page.locator("body[data-ready]").wait_for(state="attached")


def type_password(page: Any, email: str, password: str) -> None:
    """The sign-in form by keyboard: the page puts the cursor in Email."""
    assert focused(page) == "sign-in-email"
    page.keyboard.press("Control+A")  # the page keeps the last email typed
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def test_a_new_staff_member_sets_up_an_authenticator_and_signs_in_with_it_by_keyboard(page, stack):
    # Given a staff account the practice just made, with a temporary password
    email = "front.desk@demo.test"
    temporary = invited(stack, email)
    open_staff_page(page, stack)
    no_accessibility_violations(page)

    # When the staff member signs in with it and chooses a password, by keyboard alone
    type_password(page, email, temporary)
    page.locator("#new-password-form").wait_for()
    assert focused(page) == "new-password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # Then the page asks them to set up an authenticator app: a QR code and the key as text
    setup = page.locator("#authenticator-form")
    setup.wait_for()
    assert focused(page) == "authenticator-title"
    qr = setup.get_by_role("img", name=re.compile("QR code"))
    assert qr.is_visible()
    assert qr.locator("path").get_attribute("d")
    key = setup.locator("#authenticator-key").inner_text()
    secret = key.replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    link = setup.get_by_role("link", name="Open in an authenticator app on this device").get_attribute("href")
    assert link.startswith("otpauth://totp/")
    assert f"secret={secret}" in link
    assert "Demo%20Counseling%20staff" in link
    no_accessibility_violations(page)
    screenshot(page, "staff-authenticator-setup")

    # and a wrong code is refused, with the cursor back in the field
    tab_to(page, "authenticator-code")
    page.keyboard.type(wrong(pyotp.TOTP(secret).now()))
    page.keyboard.press("Enter")
    page.get_by_role("alert").wait_for()
    assert "code is not right" in page.inner_text("#messages")
    assert focused(page) == "authenticator-code"
    assert setup.locator("#authenticator-code").get_attribute("aria-invalid") == "true"
    no_accessibility_violations(page)

    # and the authenticator's code signs them in
    page.keyboard.type(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    page.locator('#queue-table[data-state="loaded"]').wait_for(state="attached")
    assert page.get_by_role("button", name="Sign Out").is_visible()

    # When they sign out and sign in again
    page.get_by_role("button", name="Sign Out").click()
    page.locator("#sign-in-form").wait_for()
    type_password(page, email, PASSWORD)

    # Then only the code is asked, in a field that has the cursor
    entry = page.locator("#code-form")
    entry.wait_for()
    assert page.locator("#authenticator-form").is_hidden()
    assert focused(page) == "code"
    no_accessibility_violations(page)
    screenshot(page, "staff-authentication-code")
    page.keyboard.type(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    page.locator('#queue-table[data-state="loaded"]').wait_for(state="attached")


def test_a_wrong_code_at_sign_in_is_explained_and_start_over_goes_back(page, stack):
    # Given the demo staff account, whose authenticator the test knows
    from tests.browser.conftest import STAFF

    email, password, secret = STAFF
    open_staff_page(page, stack)
    type_password(page, email, password)
    page.locator("#code-form").wait_for()

    # When a wrong code is typed
    page.keyboard.type(wrong(pyotp.TOTP(secret).now()))
    page.keyboard.press("Enter")

    # Then it is explained, nothing of the practice is shown, and the code may be typed again
    page.get_by_role("alert").wait_for()
    assert "code is not right" in page.inner_text("#messages")
    assert page.locator("#view-staff").is_hidden()
    assert focused(page) == "code"

    # and "Start Over" (by keyboard) goes back to the email and password
    tab_to(page, "code-restart")
    page.keyboard.press("Enter")
    page.locator("#sign-in-form").wait_for()
    assert page.locator("#code-form").is_hidden()
    assert focused(page) == "sign-in-email"


@pytest.mark.parametrize("typed", ["12345", "abcdef"])
def test_a_code_that_is_not_six_digits_is_refused_in_the_page(page, stack, typed):
    from tests.browser.conftest import STAFF

    open_staff_page(page, stack)
    type_password(page, STAFF[0], STAFF[1])
    page.locator("#code-form").wait_for()

    page.keyboard.type(typed)
    page.keyboard.press("Enter")

    page.get_by_role("alert").wait_for()
    assert "6 digits" in page.inner_text("#messages")
    assert page.locator("#code").get_attribute("aria-invalid") == "true"


def test_a_staff_pool_account_outside_the_staff_group_sees_no_practice_data(page, stack):
    # Given an account of the staff pool that is not in the staff group
    email = "not.staff@demo.test"
    temporary = invited(stack, email, staff=False)

    # When it signs in, with its own new authenticator
    open_staff_page(page, stack)
    type_password(page, email, temporary)
    page.locator("#new-password-form").wait_for()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.locator("#authenticator-form").wait_for()
    secret = page.locator("#authenticator-key").inner_text().replace(" ", "")
    page.locator("#authenticator-code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify and Sign In").click()

    # Then it is told it is not a staff account and sees nothing of the practice
    page.get_by_role("heading", name="This is the practice's staff page").wait_for()
    assert "not a staff account" in page.inner_text("#view-not-staff")
    assert page.locator("#queue-rows tr[data-request-id]").count() == 0
    no_accessibility_violations(page)

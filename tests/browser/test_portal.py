"""The client portal in a real browser, step by step as the help article describes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions import demo
from functions.local.token import id_token
from functions.notify.render import when
from tests.browser.accessibility import no_accessibility_violations
from tests.browser.conftest import CLIENT, STAFF, outbox, screenshot
from tests.browser.portal import fill_date_of_birth, sign_in, visit

GREEN, RED, GRAY = "rgb(217, 242, 223)", "rgb(248, 215, 215)", "rgb(230, 230, 230)"


def choose_first_slot(page: Any, client_type: str = "New Client", clinician: str | None = None) -> str:
    page.get_by_label(client_type).check()
    if clinician:
        page.get_by_label("Clinician").select_option(label=clinician)
    else:
        page.get_by_label("Clinician").select_option(label="Any available clinician")
    page.get_by_role("button", name="View Available Times").click()
    slot = page.locator("[data-slot-start]").first
    if not slot.is_visible():
        page.get_by_role("button", name="Next week").click()
    slot = page.locator("[data-slot-start]").first
    start = str(slot.get_attribute("data-slot-start"))
    slot.click()
    return start


def test_request_without_signing_in(page, stack):
    visit(page, stack.url)
    page.get_by_role("button", name="Request Appointment").first.click()

    start = choose_first_slot(page)
    page.get_by_role("heading", name="Review the details").wait_for()
    screenshot(page, "portal-review")
    page.get_by_role("button", name="Continue Without Signing In").click()
    page.locator("#request-form").get_by_label("First Name").fill("Grace")
    page.locator("#request-form").get_by_label("Last Name").fill("O'Neil-Brontë")
    fill_date_of_birth(page.locator("#request-form"), "1985-12-09")
    page.locator("#request-form").get_by_label("Email").fill("grace.portal@example.org")
    page.locator("#request-form").get_by_label("Mobile Phone").fill("617 555 0199")
    page.locator("#request-form").get_by_label("Comments").fill("Mornings are best")
    page.get_by_role("button", name="Submit Request").click()

    page.get_by_role("heading", name="Your request was submitted").wait_for()
    assert "If the practice approves your request, you will get an email" in page.inner_text("#view-done")
    screenshot(page, "portal-submitted")
    # The front desk is told, with the requested time as the practice reads it.
    requested = f"Requested time: {when(demo.config(), datetime.fromisoformat(start))}"
    alerts = outbox(stack, "frontdesk@demo.test", 2)
    assert any(requested in alert["text"] and "awaiting review" in alert["subject"] for alert in alerts)


WAF = "https://abc123.us-east-1.sdk.awswaf.com/abc123/def456/"


def as_deployed_with_a_bot_check(page: Any, stack: Any) -> list[dict[str, str]]:
    """The page as AWS serves it: config.json names AWS WAF's JavaScript integration (here a
    stand-in that hands out a token), and the page's policy lets the portal load it. Returns the
    headers of every request form the page sends."""

    def config(route: Any) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "wafIntegrationUrl": WAF})

    def document(route: Any) -> None:
        answer = route.fetch()
        headers = dict(answer.headers)
        headers["content-security-policy"] = headers["content-security-policy"].replace(
            "script-src 'self'", "script-src 'self' https://*.us-east-1.sdk.awswaf.com"
        )
        route.fulfill(response=answer, headers=headers)

    page.route(f"{stack.url}/config.json", config)
    page.route(f"{stack.url}/", document)
    page.route(
        f"{WAF}challenge.js",
        lambda route: route.fulfill(
            content_type="text/javascript",
            body="window.AwsWafIntegration = { getToken: async () => 'proof-of-a-browser' };",
        ),
    )
    sent: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers) if r.method == "POST" and r.url.endswith("/requests") else None,
    )
    return sent


def test_the_request_form_carries_the_bot_checks_token_without_the_person_seeing_it(page, stack):
    # Given the portal as deployed behind AWS WAF's bot check
    sent = as_deployed_with_a_bot_check(page, stack)
    visit(page, stack.url)

    # When a person requests an appointment without signing in
    page.get_by_role("button", name="Request Appointment").first.click()
    choose_first_slot(page)
    page.get_by_role("button", name="Continue Without Signing In").click()
    form = page.locator("#request-form")
    form.get_by_label("First Name").fill("Mary")
    form.get_by_label("Last Name").fill("Jackson")
    fill_date_of_birth(form, "1981-04-09")
    form.get_by_label("Email").fill("mary.jackson@example.org")
    form.get_by_label("Mobile Phone").fill("757 555 0190")
    page.get_by_role("button", name="Submit Request").click()

    # Then it goes through as usual, carrying the integration's token; nothing else was asked
    page.get_by_role("heading", name="Your request was submitted").wait_for()
    no_accessibility_violations(page)
    assert [h.get("x-aws-waf-token") for h in sent] == ["proof-of-a-browser"]


def test_bad_details_are_explained_and_nothing_is_lost(page, stack):
    visit(page, stack.url)
    page.get_by_role("button", name="Request Appointment").first.click()
    choose_first_slot(page)
    page.get_by_role("button", name="Continue Without Signing In").click()
    page.locator("#request-form").get_by_label("First Name").fill("Ada")
    page.locator("#request-form").get_by_label("Last Name").fill("Lovelace")
    fill_date_of_birth(page.locator("#request-form"), "1990-04-01")
    page.locator("#request-form").get_by_label("Email").fill("not-an-email")
    page.locator("#request-form").get_by_label("Mobile Phone").fill("617 555 0100")

    page.get_by_role("button", name="Submit Request").click()

    page.get_by_role("alert").wait_for()
    # what is wrong is said beside the field, which it describes, and the cursor is put there
    email = page.locator("#request-form").get_by_label("Email")
    beside = page.locator("#email + p.error")
    assert beside.inner_text().startswith("Email: ")
    assert email.get_attribute("aria-invalid") == "true"
    assert beside.get_attribute("id") in email.get_attribute("aria-describedby").split()
    assert email.evaluate("(e) => e === document.activeElement")
    assert page.locator("#request-form").get_by_label("First Name").input_value() == "Ada"


def test_signed_in_client_sees_coloured_appointments_and_requests(page, stack):
    visit(page, stack.url)
    sign_in(page, *CLIENT)
    page.get_by_role("heading", name="Appointments").wait_for()
    confirmed = page.locator('[data-status="confirmed"]').first
    assert confirmed.evaluate("e => getComputedStyle(e).backgroundColor") == GREEN
    assert "Confirmed" in confirmed.inner_text()

    page.get_by_role("button", name="Request Appointment").last.click()
    choose_first_slot(page, "Existing Client")
    page.get_by_role("button", name="Submit Request").click()
    page.get_by_role("heading", name="Your request was submitted").wait_for()
    page.get_by_role("button", name="Appointments").click()

    requested = page.locator('[data-status="requested"]').first
    requested.wait_for()
    style = requested.evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).backgroundImage]"
    )
    assert style[0] == GRAY
    assert "repeating-linear-gradient" in style[1]
    screenshot(page, "portal-appointments")

    page.get_by_role("button", name="Home").click()
    page.locator("#next-appointment p").wait_for()
    assert "Your next appointment" in page.inner_text("#next-appointment")


def test_reschedule_and_cancel_from_the_appointment(page, stack):
    visit(page, stack.url)
    sign_in(page, *CLIENT)
    page.locator('[data-status="confirmed"]').first.click()

    page.get_by_role("button", name="Reschedule This Appointment").click()
    page.get_by_role("button", name="Next week").click()
    page.locator("[data-slot-start]").first.click()
    page.get_by_role("button", name="Submit Request").click()
    page.get_by_role("heading", name="Your request was submitted").wait_for()
    page.get_by_role("button", name="Appointments").click()
    moved = page.locator('[data-status="reschedule_requested"]').first
    moved.wait_for()
    style = moved.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).backgroundImage]")
    assert style[0] == GREEN
    assert "repeating-linear-gradient" in style[1]
    moved.click()
    assert page.get_by_role("button", name="Cancel This Appointment").is_hidden()


def test_cancel_and_its_approval_turn_red(page, stack):
    visit(page, stack.url)
    sign_in(page, *CLIENT)
    page.get_by_role("button", name="Request Appointment").last.click()
    choose_first_slot(page, "Existing Client", "Mei Chen, LMFT")
    page.get_by_role("button", name="Submit Request").click()
    page.get_by_role("heading", name="Your request was submitted").wait_for()
    # Staff approve it over the API.
    token = _token(stack, *STAFF)
    queue = _get(stack, "/staff/requests", token)
    mine = [r for r in queue["requests"] if r["clinicianId"] == "c-chen"]
    for request in mine:
        _post(stack, f"/staff/requests/{request['id']}/approve", token)
    page.get_by_role("button", name="Appointments").click()
    page.locator('[data-status="confirmed"]').last.wait_for()
    appointment = page.locator('[data-status="confirmed"]').filter(has_text="Mei Chen").first
    appointment.click()
    page.get_by_role("button", name="Cancel This Appointment").click()
    page.get_by_label("Reason (optional)").fill("Moving away")
    page.get_by_role("button", name="Yes, Ask to Cancel").click()
    page.get_by_role("heading", name="Your request was submitted").wait_for()
    queue = _get(stack, "/staff/requests", token)
    for request in [r for r in queue["requests"] if r["kind"] == "cancel"]:
        _post(stack, f"/staff/requests/{request['id']}/approve", token)

    page.get_by_role("button", name="Appointments").click()
    cancelled = page.locator('[data-status="cancelled"]').first
    cancelled.wait_for()
    assert cancelled.evaluate("e => getComputedStyle(e).backgroundColor") == RED
    assert "Cancellation approved" in cancelled.inner_text()


def _token(stack: Any, email: str, password: str, totp_secret: str | None = None) -> str:
    return id_token(stack.url, email, password, totp_secret)


def _get(stack: Any, path: str, token: str | None) -> Any:
    import json
    import urllib.request

    request = urllib.request.Request(stack.url + path)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def _post(stack: Any, path: str, token: str) -> Any:
    import json
    import urllib.request

    request = urllib.request.Request(stack.url + path, data=b"{}", method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def test_website_button_opens_the_request_flow(page, website):
    page.goto(website)
    page.get_by_role("button", name="Request Appointment").click()

    frame = page.frame_locator("iframe[title='Request an appointment']")
    frame.get_by_role("heading", name="Request an appointment").wait_for()
    frame.get_by_role("button", name="View Available Times").click()
    frame.locator("[data-slot-start]").first.wait_for()
    screenshot(page, "website-button")
    page.get_by_role("button", name="Close the appointment request").click()
    page.locator("dialog").wait_for(state="detached")
    assert page.evaluate("document.activeElement.textContent") == "Request Appointment"


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_website_dialogs_close_button_has_its_own_place(page, website, width, height):
    # Given a practice website at desktop or phone width, its visitor opening the request dialog
    page.set_viewport_size({"width": width, "height": height})
    page.goto(website)
    page.get_by_role("button", name="Request Appointment").click()
    frame = page.frame_locator("iframe[title='Request an appointment']")
    frame.get_by_role("heading", name="Request an appointment").wait_for()
    sign_in = frame.get_by_role("button", name="Sign In").first
    sign_in.wait_for()

    # Then Close and the portal's own Sign In are both shown, neither over the other,
    close = page.get_by_role("button", name="Close the appointment request")
    closing, signing_in = close.bounding_box(), sign_in.bounding_box()
    assert closing is not None
    assert signing_in is not None
    assert not _overlap(closing, signing_in), (closing, signing_in)
    # Close above the frame, inside the window
    frame_box = page.locator("iframe[title='Request an appointment']").bounding_box()
    assert frame_box is not None
    assert closing["y"] + closing["height"] <= frame_box["y"]
    assert closing["x"] >= 0
    assert closing["x"] + closing["width"] <= width
    # and each is the element found at its own centre (nothing drawn over it)
    middle = {"x": closing["x"] + closing["width"] / 2, "y": closing["y"] + closing["height"] / 2}
    assert page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).textContent", list(middle.values())
    ) == ("Close")
    sign_in.click()
    frame.locator("#sign-in-form").get_by_label("Email").wait_for()
    screenshot(page, f"website-dialog-{width}")
    close.click()
    page.locator("dialog").wait_for(state="detached")


def test_every_control_is_labelled_and_reachable_by_keyboard(page, stack):
    page.set_viewport_size({"width": 375, "height": 800})
    visit(page, stack.url)
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Request Appointment":
            break
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Request an appointment").wait_for()
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input, select, textarea')]
             .filter(e => e.type !== 'hidden')
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
             .map(e => e.id)"""
    )
    assert unlabelled == []
    no_inline = page.evaluate("[...document.scripts].every(s => s.src)")
    assert no_inline


def test_an_invited_client_sets_a_password_and_signs_in(page, stack):
    import re

    staff = _token(stack, *STAFF)
    client = _post_json(
        stack,
        "/staff/clients",
        staff,
        {
            "firstName": "Noor",
            "lastName": "Haddad",
            "dateOfBirth": "1979-02-11",
            "email": "noor@example.org",
            "mobilePhone": "+1 617 555 0142",
        },
    )["client"]
    _post(stack, f"/staff/clients/{client['id']}/invite", staff)
    [invitation] = outbox(stack, "noor@example.org", 1)
    found = re.search(r"temporary password (\S+);", invitation["text"])
    assert found is not None
    temporary = found.group(1)

    visit(page, stack.url)
    sign_in(page, "noor@example.org", temporary)
    page.get_by_label("New Password").fill("Noor-Portal-2026!")
    page.get_by_role("button", name="Set Password").click()

    page.get_by_role("heading", name="Appointments").wait_for()
    page.get_by_text("You have no upcoming appointments or requests.").wait_for()
    assert page.get_by_role("button", name="Sign Out").is_visible()


def _post_json(stack: Any, path: str, token: str, body: dict[str, Any]) -> Any:
    import json
    import urllib.request

    request = urllib.request.Request(stack.url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


# ---- (v2) the late-change window ----------------------------------------------------------------


def _book_for_the_demo_client(stack: Any, token: str, after: timedelta, clinician: str = "c-chen") -> str:
    """An appointment staff book for the demo client at the first quarter hour free for the
    clinician from `after` on (staff may book outside working hours)."""
    import json
    import urllib.error
    import urllib.request

    clients = _get(stack, "/staff/clients", token)["clients"]
    client = next(c["id"] for c in clients if c["email"] == CLIENT[0])
    start = (datetime.now(UTC) + after).replace(second=0, microsecond=0)
    start += timedelta(minutes=-start.minute % 15)
    for _ in range(24):
        body = {
            "clientId": client,
            "clinicianId": clinician,
            "appointmentTypeId": "session",
            "start": start.isoformat(),
        }
        request = urllib.request.Request(
            stack.url + "/staff/appointments", data=json.dumps(body).encode(), method="POST"
        )
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return str(json.load(answer)["appointment"]["id"])
        except urllib.error.HTTPError as refused:
            if refused.code != 409:  # a time another test holds: try the next quarter hour
                raise
        start += timedelta(minutes=15)
    raise AssertionError("no free quarter hour to book")


def _patch_settings(stack: Any, token: str, body: dict[str, Any]) -> None:
    import json
    import urllib.request

    request = urllib.request.Request(
        stack.url + "/staff/settings", data=json.dumps(body).encode(), method="PATCH"
    )
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _open_appointment(page: Any, appointment_id: str) -> None:
    page.get_by_role("button", name="Appointments", exact=True).click()
    # The next appointment can be shown twice (the home page's "next" and the list): either opens it.
    page.locator(f'[data-appointment-id="{appointment_id}"]:visible').first.click()
    page.get_by_role("heading", name="Appointment", exact=True).wait_for()


def test_inside_the_late_change_window_the_portal_gives_the_practices_phone_instead_of_the_buttons(
    page, stack, restored_settings
):
    # Given a practice with a phone and a 48-hour late-change window, and two appointments of the
    # demo client: one about 30 hours away (inside the window), one 8 days away (outside)
    token = _token(stack, *STAFF)
    _patch_settings(
        stack, token, {"practice": {"phone": "+1 617 555 0123"}, "scheduling": {"changeCutoffHours": 48}}
    )
    soon = _book_for_the_demo_client(stack, token, timedelta(hours=30))
    later = _book_for_the_demo_client(stack, token, timedelta(days=8))

    # When the client opens the one inside the window
    visit(page, stack.url)
    sign_in(page, *CLIENT)
    page.get_by_role("heading", name="Appointments").wait_for()
    _open_appointment(page, soon)

    # Then instead of the buttons it says to call the practice, with the number to tap or dial
    contact = page.locator("#contact-practice")
    assert contact.inner_text() == "Please contact the practice to reschedule or cancel: (617) 555-0123."
    assert contact.get_by_role("link", name="(617) 555-0123").get_attribute("href") == "tel:+16175550123"
    assert page.get_by_role("button", name="Reschedule This Appointment").is_hidden()
    assert page.get_by_role("button", name="Cancel This Appointment").is_hidden()
    no_accessibility_violations(page)
    screenshot(page, "portal-late-change-window")

    # When they open the one outside the window / Then it offers both buttons, and no call
    _open_appointment(page, later)
    assert page.get_by_role("button", name="Reschedule This Appointment").is_visible()
    assert page.get_by_role("button", name="Cancel This Appointment").is_visible()
    assert page.locator("#contact-practice").is_hidden()

    # When the practice has no phone / Then the portal still says to contact the practice, with no link
    _patch_settings(stack, token, {"practice": {"phone": None}})
    visit(page, stack.url)
    _open_appointment(page, soon)
    assert contact.inner_text() == "Please contact the practice to reschedule or cancel."
    assert contact.get_by_role("link").count() == 0

    for appointment in (soon, later):
        _post(stack, f"/staff/appointments/{appointment}/cancel", token)

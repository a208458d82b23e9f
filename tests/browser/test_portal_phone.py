"""The client portal on a phone: 390x844 with touch, every step tapped. On every view nothing
scrolls sideways at 320, 360 or 390 px, every control is at least 44x44 px, and axe-core finds
nothing against WCAG 2.1 AA; the keyboard still does everything."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timedelta
from typing import Any

from functions import demo
from tests.browser.accessibility import no_accessibility_violations
from tests.browser.conftest import ARTIFACTS, CLIENT
from tests.browser.portal import fill_date_of_birth, visit
from tests.browser.staff import http, token_for

WIDTHS = (320, 360, 390)  # the narrowest phones in use, an Android, an iPhone 12 to 15
HEIGHT = 844
TAP = 44  # px, WCAG 2.5.5

WIDER_THAN_THE_SCREEN = """() => {
  const wide = [];
  const html = document.documentElement;
  if (html.scrollWidth > innerWidth) wide.push(`the page: ${html.scrollWidth} px in ${innerWidth}`);
  for (const box of document.querySelectorAll("section.panel, #week, header.top")) {
    if (box.getClientRects().length && box.scrollWidth > box.clientWidth) {
      wide.push(`#${box.id || box.className}: ${box.scrollWidth} px in ${box.clientWidth}`);
    }
  }
  return { innerWidth, wide };
}"""

# What a finger taps: every control shown; a radio button or checkbox by its label, which takes
# the tap for it.
TOO_SMALL_TO_TAP = """(least) => {
  const targets = [...document.querySelectorAll("button, a[href], input, select, textarea, summary")]
    .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== "hidden")
    .map((e) => (["radio", "checkbox"].includes(e.type) && e.closest("label")) || e);
  const small = targets.filter((e) => {
    const box = e.getBoundingClientRect();
    return box.width < least || box.height < least;
  }).map((e) => {
    const box = e.getBoundingClientRect();
    const name = e.id || e.getAttribute("aria-label") || e.textContent.trim().slice(0, 40);
    return `${e.tagName.toLowerCase()} "${name}": ${Math.round(box.width)}x${Math.round(box.height)}`;
  });
  return { count: targets.length, small };
}"""


# An element is on the screen and nothing is drawn over its middle.
ON_TOP = """(e) => {
  const box = e.getBoundingClientRect();
  const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
  return y > 0 && y < innerHeight && e.contains(document.elementFromPoint(x, y));
}"""


def fits_a_phone(page: Any) -> None:
    """What a person on a phone notices of the view shown: at each width it fits the screen (no
    sideways scrolling, of the page or of any panel), a finger can hit each control, and a
    screen reader has all it needs. The page is left at the last width, the phone's 390 px."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        measured = page.evaluate(WIDER_THAN_THE_SCREEN)
        assert measured["innerWidth"] == width, measured  # the page was not zoomed out to fit
        assert measured["wide"] == [], f"at {width} px: {measured['wide']}"
        targets = page.evaluate(TOO_SMALL_TO_TAP, TAP)
        assert targets["count"] > 0
        assert targets["small"] == [], f"at {width} px: {targets['small']}"
    no_accessibility_violations(page)


def shot(page: Any, name: str) -> None:
    """A screenshot of what the phone's screen shows (not the whole page), for the README."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def week_range(first: date) -> str:
    """A week as people write it: "Nov 30 – Dec 6, 2026", "Dec 7 – 13, 2026", "Dec 28, 2026 – Jan 3, 2027"."""
    last = first + timedelta(days=6)
    if first.year != last.year:
        return f"{first:%b} {first.day}, {first.year} – {last:%b} {last.day}, {last.year}"
    if first.month != last.month:
        return f"{first:%b} {first.day} – {last:%b} {last.day}, {last.year}"
    return f"{first:%b} {first.day} – {last.day}, {last.year}"


# The week's label reads the text (with the spaces around its dash read as spaces).
READS = "(text) => document.querySelector('#week-label').textContent.replace(/\\s/g, ' ') === text"


def spaced(text: str) -> str:
    """Text with the thin and no-break spaces Intl puts around a range's dash read as spaces."""
    return re.sub(r"[\u2009\u202f\u00a0]", " ", text)


def tap_in(field: Any, text: str) -> None:
    """Taps a field, as a finger puts the cursor in it, and types the text."""
    field.tap()
    field.fill(text)


# ---- requesting without an account ---------------------------------------------------------------


def test_a_new_client_requests_an_appointment_on_a_phone(phone, stack, staff_token):
    # Given a new client on a phone, at the portal's home page
    page = phone
    visit(page, stack.url)
    fits_a_phone(page)

    # When they tap Request Appointment, then New Client, and View Available Times
    page.get_by_role("button", name="Request Appointment").tap()
    page.get_by_role("heading", name="Request an appointment").wait_for()
    fits_a_phone(page)
    page.locator("label", has_text="Existing Client").tap()
    page.locator("label", has_text="New Client").tap()
    assert page.get_by_label("New Client").is_checked()
    page.get_by_role("button", name="View Available Times").tap()

    # Then the week reads as people write it, with its navigation at the top
    today = datetime.now(demo.config().zone).date()
    label = page.locator("#week-label")
    label.wait_for()
    assert spaced(label.inner_text()) == week_range(today)
    page.locator("#week .day, #no-times:visible").first.wait_for()
    if page.locator("#no-times").is_visible():  # a week with nothing open: the next has times
        page.get_by_role("button", name="Next week").tap()
        today += timedelta(days=7)
    page.locator("[data-slot-start]").first.wait_for()
    days = page.locator("#week .day")
    assert days.count() == 7
    navigation = page.get_by_role("button", name="Next week").bounding_box()
    boxes = [days.nth(i).bounding_box() for i in range(7)]
    assert navigation["y"] + navigation["height"] <= boxes[0]["y"]
    # and the days are a list, one under another, each as wide as the panel
    for above, below in itertools.pairwise(boxes):
        assert above["y"] + above["height"] <= below["y"]
        assert below["x"] == boxes[0]["x"]
        assert below["width"] == boxes[0]["width"]
    # each day's heading above its times, which wrap onto the next line when they do not fit
    for i in range(7):
        day = days.nth(i)
        heading = day.get_by_role("heading").bounding_box()
        slots = day.locator("[data-slot-start]")
        if slots.count() == 0:
            # a day without times is one short line that says so: its heading, then "No times"
            none = day.get_by_text("No times", exact=True).bounding_box()
            assert none["x"] >= heading["x"] + heading["width"]
            assert none["y"] < heading["y"] + heading["height"]
            continue
        tops = {round(slots.nth(j).bounding_box()["y"]) for j in range(slots.count())}
        assert heading["y"] + heading["height"] <= min(tops)
        if slots.count() > 3:
            assert 1 < len(tops) < slots.count(), tops  # several to a row, several rows
    fits_a_phone(page)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "portal-phone-times")

    # When they scroll to the week's last times / Then the week's navigation is still at the top
    last = page.locator("[data-slot-start]").last
    last.scroll_into_view_if_needed()
    for name in ("Previous week", "Next week"):
        assert page.evaluate(ON_TOP, page.get_by_role("button", name=name).element_handle())
    # and going back up through the times by keyboard, each it reaches is shown, not under it
    last.focus()
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(ON_TOP, page.evaluate_handle("document.activeElement"))

    # When they page a week on and back
    page.get_by_role("button", name="Next week").tap()
    page.wait_for_function(READS, arg=week_range(today + timedelta(days=7)))
    page.get_by_role("button", name="Previous week").tap()
    page.wait_for_function(READS, arg=week_range(today))

    # and tap a time / Then they review it
    slot = page.locator("[data-slot-start]").first
    start = slot.get_attribute("data-slot-start")
    slot.tap()
    page.get_by_role("heading", name="Review the details").wait_for()
    fits_a_phone(page)

    # When they go on without signing in / Then the form asks for each detail with the keyboard
    # that fits it, and offers what the phone knows of them
    page.get_by_role("button", name="Continue Without Signing In").tap()
    form = page.locator("#request-form")
    form.get_by_label("First Name").wait_for()
    fields = form.evaluate(
        """(form) => Object.fromEntries([...form.querySelectorAll("input, textarea")].map((e) => [
             e.id, [e.type, e.inputMode, e.autocomplete]]))"""
    )
    assert fields == {
        "first-name": ["text", "", "given-name"],
        "last-name": ["text", "", "family-name"],
        "birth-month": ["text", "numeric", "bday-month"],
        "birth-day": ["text", "numeric", "bday-day"],
        "birth-year": ["text", "numeric", "bday-year"],
        "email": ["email", "email", "email"],
        "mobile-phone": ["tel", "tel", "tel"],
        "comments": ["textarea", "", ""],
    }
    fits_a_phone(page)

    # When they fill it in, tapping each field, the date of birth as month, day and year
    tap_in(form.get_by_label("First Name"), "Lin")
    tap_in(form.get_by_label("Last Name"), "Okafor")
    birth = form.get_by_role("group", name="Date of Birth")
    tap_in(birth.get_by_label("Month"), "4")
    tap_in(birth.get_by_label("Day"), "7")
    tap_in(birth.get_by_label("Year"), "1991")
    tap_in(form.get_by_label("Email"), "lin.phone@example.org")
    tap_in(form.get_by_label("Mobile Phone"), "617 555 0177")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "portal-phone-details")
    page.get_by_role("button", name="Submit Request").tap()

    # Then the request is made, with the date of birth as the API has always taken it
    page.get_by_role("heading", name="Your request was submitted").wait_for()
    fits_a_phone(page)
    queue = http(stack, "GET", "/staff/requests", token=staff_token)["requests"]
    [made] = [r for r in queue if r["client"]["email"] == "lin.phone@example.org"]
    assert made["client"]["dateOfBirth"] == "1991-04-07"
    assert made["start"] == start


def test_a_date_of_birth_that_is_not_a_date_is_explained_before_anything_is_sent(phone, stack):
    # Given a client at the request form on a phone
    page = phone
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    visit(page, stack.url)
    page.get_by_role("button", name="Request Appointment").tap()
    page.get_by_role("button", name="View Available Times").tap()
    page.locator("#week .day, #no-times:visible").first.wait_for()
    slot = page.locator("[data-slot-start]").first
    if not slot.is_visible():
        page.get_by_role("button", name="Next week").tap()
    slot.tap()
    page.get_by_role("button", name="Continue Without Signing In").tap()
    form = page.locator("#request-form")
    tap_in(form.get_by_label("First Name"), "Ada")
    tap_in(form.get_by_label("Last Name"), "Lovelace")
    tap_in(form.get_by_label("Email"), "ada.phone@example.org")
    tap_in(form.get_by_label("Mobile Phone"), "617 555 0100")
    birth = form.get_by_role("group", name="Date of Birth")

    for month, day, year, wrong, saying in [
        ("13", "1", "1990", "Month", "month of your birth as a number from 1 to 12"),
        ("2", "30", "1990", "Day", "That month has no day 30"),
        ("4", "27", "90", "Year", "year of your birth with 4 digits"),
        ("", "27", "1990", "Month", "month, day and year, for example 4 27 1990"),
    ]:
        # When the three fields do not make a date
        fill_date_of_birth(form, "2000-01-01")
        birth.get_by_label("Month").fill(month)
        birth.get_by_label("Day").fill(day)
        birth.get_by_label("Year").fill(year)
        page.get_by_role("button", name="Submit Request").tap()

        # Then the page says what to correct, beside the date of birth, on the field to correct,
        # and sends nothing
        page.get_by_role("alert").filter(has_text=saying).wait_for()
        beside = birth.locator("#birth-hint + p.error")
        assert saying in beside.inner_text()
        field = birth.get_by_label(wrong)
        assert field.get_attribute("aria-invalid") == "true"
        assert beside.get_attribute("id") in field.get_attribute("aria-describedby").split()
        assert field.evaluate("(e) => e === document.activeElement")
        assert sent == []
    fits_a_phone(page)

    # When the three make a date the practice refuses (one still to come)
    fill_date_of_birth(form, f"{date.today().year + 1}-01-01")
    page.get_by_role("button", name="Submit Request").tap()

    # Then its refusal is said beside the date of birth too, which is marked, and nothing is made
    page.get_by_role("alert").wait_for()
    beside = birth.locator("#birth-hint + p.error")
    assert beside.inner_text().startswith("Date of Birth: ")
    for part in ("Month", "Day", "Year"):
        assert birth.get_by_label(part).get_attribute("aria-invalid") == "true"
    assert birth.get_by_label("Month").evaluate("(e) => e === document.activeElement")
    assert len(sent) == 1
    fits_a_phone(page)
    shot(page, "portal-phone-date-of-birth-error")

    # When the date is right / Then it goes, and every field keeps what was typed until then
    fill_date_of_birth(form, "1990-04-27")
    assert form.get_by_label("First Name").input_value() == "Ada"
    page.get_by_role("button", name="Submit Request").tap()
    page.get_by_role("heading", name="Your request was submitted").wait_for()
    assert len(sent) == 2


# ---- signed in --------------------------------------------------------------------------------


def the_demo_client_requests_a_time(stack: Any) -> None:
    """A pending request of the demo client's, made over the API, for the first time offered."""
    token = token_for(stack, *CLIENT)
    first = datetime.now(demo.config().zone).date() + timedelta(days=2)
    to = first + timedelta(days=14)
    slots = http(stack, "GET", f"/availability?clientType=existing&from={first}&to={to}")["slots"]
    body = {key: slots[0][key] for key in ("clinicianId", "appointmentTypeId", "start")}
    http(stack, "POST", "/me/requests", body, token=token)


def test_a_signed_in_client_sees_and_opens_appointments_on_a_phone(
    phone, stack, staff_token, restored_settings
):
    # Given the demo client, with a confirmed appointment and a pending request, on a phone at the
    # sign-in view
    the_demo_client_requests_a_time(stack)
    page = phone
    visit(page, stack.url)
    page.get_by_role("button", name="Sign In").first.tap()
    sign_in_form = page.locator("#sign-in-form")
    sign_in_form.get_by_label("Email").wait_for()
    assert sign_in_form.get_by_label("Email").evaluate("(e) => [e.type, e.inputMode, e.autocomplete]") == [
        "email",
        "email",
        "username",
    ]
    fits_a_phone(page)

    # When they sign in, tapping
    tap_in(sign_in_form.get_by_label("Email"), CLIENT[0])
    tap_in(sign_in_form.get_by_label("Password", exact=True), CLIENT[1])
    sign_in_form.get_by_role("button", name="Sign In").tap()

    # Then their appointments are listed, coloured, fitting the phone
    page.get_by_role("heading", name="Appointments").wait_for()
    confirmed = page.locator('[data-status="confirmed"]').first
    confirmed.wait_for()
    assert page.locator('[data-status="requested"]').count() == 1
    fits_a_phone(page)
    shot(page, "portal-phone-appointments")

    # When they tap one / Then it shows with what they may do about it
    confirmed.tap()
    page.get_by_role("heading", name="Appointment", exact=True).wait_for()
    assert page.get_by_role("button", name="Reschedule This Appointment").is_visible()
    fits_a_phone(page)

    # When they start to cancel it / Then the reason and both answers fit and are tappable
    page.get_by_role("button", name="Cancel This Appointment").tap()
    page.get_by_label("Reason (optional)").wait_for()
    fits_a_phone(page)
    page.get_by_role("button", name="Keep the Appointment").tap()

    # When they ask to reschedule it / Then the times to choose from are the phone's list
    page.get_by_role("button", name="Reschedule This Appointment").tap()
    page.get_by_role("heading", name="Available times").wait_for()
    page.locator("#week .day, #no-times:visible").first.wait_for()
    if page.locator("#no-times").is_visible():
        page.get_by_role("button", name="Next week").tap()
    fits_a_phone(page)

    # When they tap a time / Then its review, with their comments and Submit Request, fits too
    page.locator("[data-slot-start]").first.tap()
    page.get_by_role("heading", name="Review the details").wait_for()
    assert page.locator("#review-signed-in").get_by_label("Comments").is_visible()
    fits_a_phone(page)

    # When they go home / Then their next appointment is there
    page.get_by_role("button", name="Home").tap()
    page.locator("#next-appointment p").wait_for()
    fits_a_phone(page)

    # When the practice's late-change window covers every appointment / Then the practice's
    # phone number, in place of the buttons, is as easy to tap
    http(
        stack,
        "PATCH",
        "/staff/settings",
        {"practice": {"phone": "+1 617 555 0123"}, "scheduling": {"changeCutoffHours": 720}},
        token=staff_token,
    )
    visit(page, stack.url)
    page.get_by_role("button", name="Appointments", exact=True).tap()
    page.locator('[data-status="confirmed"]').first.tap()
    page.get_by_role("link", name="(617) 555-0123").wait_for()
    fits_a_phone(page)


# ---- the keyboard -----------------------------------------------------------------------------


def focus_on(page: Any, name: str, presses: int = 40) -> None:
    """Presses Tab until the control named `name` has the focus, which must show it."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.getAttribute('aria-label') || document.activeElement.textContent"
        )
        if focused.strip().startswith(name):
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
            return
    raise AssertionError(f"Tab never reached {name}")


def test_the_keyboard_still_does_everything_at_phone_width(phone, stack):
    # Given the portal at phone width, used with a keyboard (a phone's, or a switch)
    page = phone
    visit(page, stack.url)

    # When they move with Tab and choose with Enter and Space
    focus_on(page, "Request Appointment")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Request an appointment").wait_for()
    focus_on(page, "View Available Times")
    page.keyboard.press("Enter")
    page.locator("#week-label").wait_for()
    focus_on(page, "Next week")
    page.keyboard.press("Enter")
    page.locator("[data-slot-start]").first.wait_for()
    first = page.locator("[data-slot-start]").first.get_attribute("aria-label")
    focus_on(page, first.split(" at ")[0])
    page.keyboard.press("Space")

    # Then they reach the review, and the form's fields in the order they read
    page.get_by_role("heading", name="Review the details").wait_for()
    focus_on(page, "Continue Without Signing In")
    page.keyboard.press("Enter")
    page.locator("#first-name").wait_for()
    order = []
    for _ in range(9):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id"))
    assert order == [
        "first-name",
        "last-name",
        "birth-month",
        "birth-day",
        "birth-year",
        "email",
        "mobile-phone",
        "comments",
        "submit-anonymous",
    ]


# ---- the website button -----------------------------------------------------------------------


def test_the_website_buttons_dialog_fills_a_phones_screen(phone, website):
    # Given a practice website on a phone
    page = phone
    page.goto(website)

    # When the visitor taps Request Appointment, which is as easy to tap as the portal's controls
    button = page.get_by_role("button", name="Request Appointment").bounding_box()
    assert button["width"] >= TAP
    assert button["height"] >= TAP
    page.get_by_role("button", name="Request Appointment").tap()
    dialog = page.locator("dialog")
    frame = page.frame_locator("iframe[title='Request an appointment']")
    frame.get_by_role("heading", name="Request an appointment").wait_for()

    # Then the dialog is the whole screen, Close is as easy to tap as the rest and covers nothing
    assert dialog.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": HEIGHT}
    close = page.get_by_role("button", name="Close the appointment request")
    closing = close.bounding_box()
    assert closing["width"] >= TAP
    assert closing["height"] >= TAP
    framed = page.locator("iframe[title='Request an appointment']").bounding_box()
    assert closing["y"] + closing["height"] <= framed["y"]
    assert framed["width"] == 390
    assert framed["y"] + framed["height"] == HEIGHT

    # and the portal inside is the phone's (its list of times, nothing sideways)
    frame.get_by_role("button", name="View Available Times").tap()
    frame.locator("[data-slot-start]").first.wait_for()
    portal = page.frames[1]
    assert portal.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert portal.evaluate("getComputedStyle(document.querySelector('#week')).display") == "block"
    shot(page, "website-button-phone")

    # When they turn the phone on its side / Then the dialog still fills the screen
    page.set_viewport_size({"width": HEIGHT, "height": 390})
    page.wait_for_function("document.querySelector('dialog').getBoundingClientRect().width === innerWidth")
    assert dialog.bounding_box() == {"x": 0, "y": 0, "width": HEIGHT, "height": 390}
    page.set_viewport_size({"width": 390, "height": HEIGHT})
    page.wait_for_function("document.querySelector('dialog').getBoundingClientRect().height === innerHeight")

    # When they tap Close / Then they are back on the website, at the button
    close.tap()
    dialog.wait_for(state="detached")
    assert page.evaluate("document.activeElement.textContent") == "Request Appointment"

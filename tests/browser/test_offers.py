"""(v2) Deny and offer other times, in real browsers: staff pick times in the decision dialog,
the client opens the emailed link and chooses one, by keyboard, with no axe-core violations."""

from __future__ import annotations

import re

from tests.browser.accessibility import no_accessibility_violations
from tests.browser.conftest import outbox, screenshot
from tests.browser.staff import request_appointment, row_of, sign_in_as_staff
from tests.integration.conftest import at, next_weekday

CLIENT_EMAIL = "offered.times@example.org"


def test_staff_deny_with_offered_times_and_the_client_accepts_one_from_the_email(page, stack):
    # Given a request for 9:00 on a Wednesday
    day = next_weekday(2, weeks_ahead=3)
    request_id = request_appointment(stack, at(day, 9), CLIENT_EMAIL)
    sign_in_as_staff(page, stack)

    # When staff deny it and tick two open times to offer instead
    row_of(page, request_id).get_by_role("button", name="Deny").click()
    dialog = page.locator("#decide-dialog")
    choices = dialog.locator("#offer-choices input[type=checkbox]")
    choices.first.wait_for()
    assert dialog.get_by_role("group", name="Deny and offer other times (optional, up to 3)").is_visible()
    no_accessibility_violations(page)
    labels = [dialog.locator(f"label[for={choices.nth(n).get_attribute('id')}]").inner_text() for n in (0, 1)]
    choices.nth(0).check()
    choices.nth(1).check()
    choices.nth(2).check()
    # a fourth cannot be ticked
    assert choices.nth(3).is_disabled()
    choices.nth(2).uncheck()
    dialog.get_by_label("Note to the client (optional, included in the email with the times)").fill(
        "The morning is taken; these are free."
    )
    dialog.get_by_role("button", name="Deny and Offer Times").click()
    row_of(page, request_id).wait_for(state="detached")

    # Then the client is emailed the two times with the link
    [email] = [
        e for e in outbox(stack, CLIENT_EMAIL, 1) if e["subject"].startswith("Other appointment times")
    ]
    assert "The morning is taken; these are free." in email["text"]
    link = re.search(r"(http://\S+/#offer/[A-Za-z0-9_-]+)", email["text"])
    assert link, email["text"]

    # And the client opens it: the two times as buttons, nothing personal on the page
    page.goto("about:blank")
    page.goto(link.group(1))
    page.get_by_role("heading", name="Times offered to you").wait_for()
    group = page.get_by_role("group", name="Times offered")
    buttons = group.get_by_role("button")
    buttons.first.wait_for()
    assert buttons.count() == 2
    text = page.inner_text("main")
    for private in ("Ada", "Lovelace", CLIENT_EMAIL, "1990", "617"):
        assert private not in text
    no_accessibility_violations(page)
    screenshot(page, "portal-offer")

    # When they choose the second by keyboard
    buttons.nth(1).focus()
    page.keyboard.press("Enter")

    # Then it is confirmed at once, and a confirmation with an invite follows
    page.get_by_role("heading", name="Your appointment is confirmed").wait_for()
    no_accessibility_violations(page)
    confirmed = [e for e in outbox(stack, CLIENT_EMAIL, 2) if "confirmed" in e["subject"]]
    assert confirmed, outbox(stack, CLIENT_EMAIL, 2, timeout=0)
    chosen_day = labels[1].split(" at ")[0] if " at " in labels[1] else labels[1]
    assert chosen_day.split(",")[0] in page.inner_text("#offer-intro")

    # And the link now says the offer was taken up
    page.goto("about:blank")
    page.goto(link.group(1))
    page.get_by_text("You have already chosen one of these times").wait_for()
    no_accessibility_violations(page)


def test_an_unknown_offer_link_says_so(page, stack):
    page.goto(f"{stack.url}/#offer/no-such-offer-token-000000000")
    page.get_by_text("This link does not lead to an offer").wait_for()
    no_accessibility_violations(page)

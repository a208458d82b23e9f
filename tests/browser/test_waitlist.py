"""(v2) The waitlist in a real browser: a client finds no time that suits them and joins the
waitlist; staff see the entry and cancel an appointment; the waitlisted client follows the emailed
link and requests the freed time through the ordinary request flow. Every new view is checked
with axe-core and used by keyboard where it has controls."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.accessibility import no_accessibility_violations
from tests.browser.conftest import outbox, screenshot
from tests.browser.portal import fill_date_of_birth
from tests.browser.staff import http, sign_in_as_staff

NY = ZoneInfo("America/New_York")
WAITER = {
    "firstName": "Wanda",
    "lastName": "Waitlister",
    "dateOfBirth": "1979-05-06",
    "email": "wanda.waitlist@example.org",
    "mobilePhone": "617 555 0177",
}
SUBJECT = "A time has opened up - Demo Counseling"


def visit(page: Any, url: str) -> None:
    page.goto(url)
    page.locator("body[data-ready]").wait_for(state="attached")


def a_tuesday_at(hour: int) -> str:
    today = datetime.now(NY).date()
    day = today + timedelta(days=(1 - today.weekday()) % 7 + 14)
    return datetime(day.year, day.month, day.day, hour, tzinfo=NY).isoformat()


def test_a_client_joins_the_waitlist_and_requests_a_time_staff_freed(
    page, stack, staff_token, restored_settings
):
    # Given a practice that keeps a waitlist, and the demo client's session two weeks ahead with
    # Dr. Rivera, booked by staff
    http(stack, "PATCH", "/staff/settings", {"scheduling": {"waitlist": True}}, token=staff_token)
    [client] = [
        c
        for c in http(stack, "GET", "/staff/clients", token=staff_token)["clients"]
        if c["email"] == "client@demo.test"
    ]
    start = a_tuesday_at(11)
    booked = http(
        stack,
        "POST",
        "/staff/appointments",
        {"clientId": client["id"], "clinicianId": "c-rivera", "appointmentTypeId": "session", "start": start},
        token=staff_token,
    )["appointment"]

    # When a new visitor looks for a session with Dr. Rivera and finds none that suits them
    visit(page, stack.url)
    page.get_by_role("button", name="Request Appointment").first.click()
    page.get_by_label("Existing Client").check()
    page.wait_for_load_state("networkidle")  # the clinicians of existing clients are listed
    page.get_by_label("Clinician").select_option(label="Dr. Ana Rivera")
    page.get_by_role("button", name="View Available Times").click()
    join = page.get_by_role("button", name="Join the Waitlist")
    join.wait_for()
    no_accessibility_violations(page)

    # Then they join the waitlist, by keyboard, with the details a request asks for
    join.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Join the Waitlist").wait_for()
    form = page.locator("#waitlist-form")
    assert form.get_by_label("Appointment type").input_value() == "session"
    assert form.get_by_label("Who you would like to see").input_value() == "c-rivera"
    form.get_by_label("First day").fill(
        (datetime.fromisoformat(start).date() - timedelta(days=3)).isoformat()
    )
    form.get_by_label("Last day").fill((datetime.fromisoformat(start).date() + timedelta(days=3)).isoformat())
    form.get_by_label("First Name").fill(WAITER["firstName"])
    form.get_by_label("Last Name").fill(WAITER["lastName"])
    form.get_by_label("Date of Birth").fill(WAITER["dateOfBirth"])
    form.get_by_label("Email").fill(WAITER["email"])
    form.get_by_label("Mobile Phone").fill(WAITER["mobilePhone"])
    no_accessibility_violations(page)
    form.get_by_label("Mobile Phone").press("Enter")  # submits the form
    page.get_by_role("heading", name="You are on the waitlist").wait_for()
    assert "Therapy Session with Dr. Ana Rivera" in page.inner_text("#waitlist-done-summary")
    no_accessibility_violations(page)

    # And staff see them on the waitlist
    staff_page = page.context.new_page()
    sign_in_as_staff(staff_page, stack)
    staff_page.locator("#nav-waitlist").click()
    row = staff_page.locator("#waitlist-rows tr").filter(has_text="Wanda Waitlister")
    row.wait_for()
    assert "wanda.waitlist@example.org" in row.inner_text()
    assert row.locator("td[data-label='Emails']").inner_text() == "0"
    no_accessibility_violations(staff_page)
    screenshot(staff_page, "staff-waitlist")

    # When staff cancel the demo client's appointment
    http(stack, "POST", f"/staff/appointments/{booked['id']}/cancel", {}, token=staff_token)

    # Then the waitlisted client gets an email with a link, within a minute (the stream's pump)
    [email] = [m for m in outbox(stack, WAITER["email"], 1, timeout=30) if m["subject"] == SUBJECT]
    assert "Dr. Ana Rivera" in email["text"]
    for private in (WAITER["dateOfBirth"], "555", "0177"):
        assert private not in email["text"]
    link = re.search(r"(http://[^\s]+/#waitlist/[A-Za-z0-9_-]+)", email["text"])
    assert link, email["text"]

    # When they follow it
    visit(page, link.group(1))
    page.get_by_role("heading", name="A time has opened up").wait_for()
    request_it = page.get_by_role("button", name="Request This Time")
    request_it.wait_for()
    shown = page.inner_text("#view-waitlist-time")
    # Then the page shows the time and nothing personal, and the token left the address bar
    assert "Dr. Ana Rivera" in shown
    assert "Therapy Session" in shown
    for private in ("Wanda", "Waitlister", WAITER["email"], WAITER["dateOfBirth"]):
        assert private not in page.content()
    assert "#waitlist/" not in page.url
    no_accessibility_violations(page)
    screenshot(page, "portal-waitlist-time")

    # And "Request This Time" goes through the ordinary request flow, by keyboard
    request_it.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Review the details").wait_for()
    page.get_by_role("button", name="Continue Without Signing In").click()
    details = page.locator("#request-form")
    details.get_by_label("First Name").fill(WAITER["firstName"])
    details.get_by_label("Last Name").fill(WAITER["lastName"])
    fill_date_of_birth(details, WAITER["dateOfBirth"])
    details.get_by_label("Email").fill(WAITER["email"])
    details.get_by_label("Mobile Phone").fill(WAITER["mobilePhone"])
    page.get_by_role("button", name="Submit Request").click()
    page.get_by_role("heading", name="Your request was submitted").wait_for()

    # Then staff have a pending request for the freed time, from the waitlisted client
    pending = http(stack, "GET", "/staff/requests", token=staff_token)["requests"]
    [mine] = [r for r in pending if r["client"]["email"] == WAITER["email"]]
    assert (mine["start"], mine["clinicianId"], mine["status"]) == (start, "c-rivera", "pending")

    # And staff remove the entry from the waitlist, by keyboard
    staff_page.get_by_role("button", name="Show the Latest Entries").click()
    row = staff_page.locator("#waitlist-rows tr").filter(has_text="Wanda Waitlister")
    expect(row.locator("td[data-label='Emails']")).to_have_text("1")
    row.get_by_role("button", name="Remove").focus()
    staff_page.keyboard.press("Enter")
    staff_page.get_by_text("Wanda Waitlister is off the waitlist.").wait_for()
    expect(row).to_have_count(0)
    assert [
        e
        for e in http(stack, "GET", "/staff/waitlist", token=staff_token)["entries"]
        if e["client"]["email"] == WAITER["email"]
    ] == []

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
from tests.browser.conftest import CLIENT, outbox, screenshot
from tests.browser.portal import fill_date_of_birth, sign_in
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


def open_the_waitlist_form(page: Any) -> Any:
    page.get_by_role("button", name="Request Appointment").click()
    page.get_by_role("button", name="View Available Times").click()
    page.get_by_role("button", name="Join the Waitlist").click()
    page.get_by_role("heading", name="Join the Waitlist").wait_for()
    return page.locator("#waitlist-form")


def entries_of(stack: Any, token: str, email: str) -> list[dict[str, Any]]:
    entries = http(stack, "GET", "/staff/waitlist", token=token)["entries"]
    return [e for e in entries if e["client"]["email"] == email]


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
    fill_date_of_birth(form, WAITER["dateOfBirth"])
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


def test_the_waitlist_asks_the_date_of_birth_as_the_request_form_does(
    page, stack, staff_token, restored_settings
):
    # Given a practice that keeps a waitlist, and a visitor at its form
    http(stack, "PATCH", "/staff/settings", {"scheduling": {"waitlist": True}}, token=staff_token)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    visit(page, stack.url)
    form = open_the_waitlist_form(page)
    email = "wes.birthday@example.org"

    # Then the date of birth is three fields, as on the request form: month, day and year, each
    # with a phone's number keys and what the phone knows, in the order they read by keyboard
    birth = form.get_by_role("group", name="Date of Birth")
    assert birth.get_attribute("class") == "date-parts"
    assert "For example, 4 27 1990" in birth.inner_text()
    fields = birth.evaluate(
        """(group) => Object.fromEntries([...group.querySelectorAll("input")].map((e) => [
             e.id, [e.inputMode, e.autocomplete, e.required]]))"""
    )
    assert fields == {
        "waitlist-birth-month": ["numeric", "bday-month", True],
        "waitlist-birth-day": ["numeric", "bday-day", True],
        "waitlist-birth-year": ["numeric", "bday-year", True],
    }
    form.get_by_label("Last Name").focus()
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id"))
    assert order == ["waitlist-birth-month", "waitlist-birth-day", "waitlist-birth-year", "waitlist-email"]

    # When they give a date of birth that is not a date (30 February), by keyboard
    form.get_by_label("First Name").fill("Wes")
    form.get_by_label("Last Name").fill("Birthday")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Mobile Phone").fill("617 555 0123")
    birth.get_by_label("Month").fill("2")
    birth.get_by_label("Day").fill("30")
    birth.get_by_label("Year").fill("1990")
    birth.get_by_label("Year").press("Enter")  # submits the form

    # Then the page says what to correct beside the date of birth, on the day, and sends nothing
    page.get_by_role("alert").filter(has_text="That month has no day 30").wait_for()
    beside = birth.locator("#waitlist-birth-hint + p.error")
    assert "That month has no day 30" in beside.inner_text()
    day = birth.get_by_label("Day")
    assert day.get_attribute("aria-invalid") == "true"
    assert beside.get_attribute("id") in day.get_attribute("aria-describedby").split()
    assert day.evaluate("(e) => e === document.activeElement")
    assert sent == []
    assert entries_of(stack, staff_token, email) == []
    no_accessibility_violations(page)

    # When the three make a date the practice refuses (one still to come)
    fill_date_of_birth(form, f"{datetime.now(NY).year + 1}-01-01")
    birth.get_by_label("Year").press("Enter")

    # Then its refusal is said beside the date of birth too, which is marked, and nothing is made
    expect(beside).to_have_text(re.compile(r"^Date of Birth: "))
    for part in ("Month", "Day", "Year"):
        assert birth.get_by_label(part).get_attribute("aria-invalid") == "true"
    assert birth.get_by_label("Month").evaluate("(e) => e === document.activeElement")
    assert len(sent) == 1
    assert entries_of(stack, staff_token, email) == []
    no_accessibility_violations(page)
    screenshot(page, "portal-waitlist-date-of-birth-error")

    # When the date is right
    fill_date_of_birth(form, "1990-04-27")
    birth.get_by_label("Year").press("Enter")

    # Then they are on the waitlist, with that date of birth
    page.get_by_role("heading", name="You are on the waitlist").wait_for()
    assert len(sent) == 2
    [entry] = entries_of(stack, staff_token, email)
    assert (entry["client"]["firstName"], entry["client"]["dateOfBirth"]) == ("Wes", "1990-04-27")
    http(stack, "DELETE", f"/staff/waitlist/{entry['id']}", token=staff_token)


def test_a_signed_in_client_joins_the_waitlist_without_the_personal_fields(
    page, stack, staff_token, restored_settings
):
    # Given a practice that keeps a waitlist, and the demo client signed in
    http(stack, "PATCH", "/staff/settings", {"scheduling": {"waitlist": True}}, token=staff_token)
    visit(page, stack.url)
    sign_in(page, *CLIENT)
    page.get_by_role("heading", name="Appointments").wait_for()

    # When they open the waitlist's form
    form = open_the_waitlist_form(page)

    # Then it asks nothing the practice knows of them, the date of birth neither
    expect(form.get_by_role("group", name="Date of Birth")).to_be_hidden()
    expect(form.get_by_label("First Name")).to_be_hidden()

    # And they join with what is left
    page.get_by_role("button", name="Join the Waitlist").click()
    page.get_by_role("heading", name="You are on the waitlist").wait_for()
    [entry] = entries_of(stack, staff_token, CLIENT[0])
    http(stack, "DELETE", f"/staff/waitlist/{entry['id']}", token=staff_token)

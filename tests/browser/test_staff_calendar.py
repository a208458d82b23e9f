"""The staff calendar in a real browser: the week and the day on the practice's clock, blocks
coloured as the portal colours them, booking by keyboard alone, moving and cancelling with the
client's emails, a request approved in the queue turning green, and the weeks the clocks change."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

from tests.browser.accessibility import no_accessibility_violations
from tests.browser.conftest import ARTIFACTS, CLIENT, outbox
from tests.browser.staff import http, request_appointment, row_of, sign_in_as_staff, token_for
from tests.integration.conftest import NY, at, next_weekday

GREEN, GRAY = "rgb(217, 242, 223)", "rgb(230, 230, 230)"


# ---- over HTTP -------------------------------------------------------------------------------


def client_id(stack: Any, token: str, email: str = CLIENT[0]) -> str:
    clients = http(stack, "GET", "/staff/clients", token=token)["clients"]
    return str(next(c["id"] for c in clients if c["email"] == email))


def book(stack: Any, token: str, start: str, clinician: str = "c-rivera", email: str = CLIENT[0]) -> str:
    """An appointment staff made (for the demo client, Casey Jordan, unless told)."""
    body = {
        "clientId": client_id(stack, token, email),
        "clinicianId": clinician,
        "appointmentTypeId": "session",
        "start": start,
    }
    return str(http(stack, "POST", "/staff/appointments", body, token=token)["appointment"]["id"])


def stored(stack: Any, token: str, day: date) -> dict[str, dict[str, Any]]:
    found = http(stack, "GET", f"/staff/appointments?from={day}&to={day}", token=token)["appointments"]
    return {a["id"]: a for a in found}


def emails(stack: Any, address: str) -> list[dict[str, Any]]:
    return outbox(stack, address, 0, timeout=0)


def new_email(stack: Any, address: str, before: int, subject: str, timeout: float = 10) -> dict[str, Any]:
    """The email with this subject that arrived after the first `before` ones."""
    deadline = time.monotonic() + timeout
    while True:
        found = emails(stack, address)[before:]
        matching = [e for e in found if e["subject"].startswith(subject)]
        if matching:
            return matching[-1]
        assert time.monotonic() < deadline, [e["subject"] for e in found]
        time.sleep(0.1)


def clock_change(after: date, *, forward: bool) -> date:
    """The first day after `after` on which New York's clocks go forward (or back)."""
    day = after
    while True:
        day += timedelta(days=1)
        before, later = (datetime.combine(day + timedelta(days=n), datetime.min.time(), NY) for n in (0, 1))
        change = later.utcoffset() - before.utcoffset()  # type: ignore[operator]
        if change and (change > timedelta(0)) == forward:
            return day


# ---- in the page -----------------------------------------------------------------------------


def loaded(page: Any) -> None:
    page.locator('#calendar-grid[data-state="loaded"]').wait_for(state="attached")


def open_calendar(page: Any, stack: Any, day: date) -> Any:
    """Signs in and shows the week (or day) of `day`."""
    sign_in_as_staff(page, stack)
    loaded(page)
    go_to(page, day)
    return page.locator("#calendar")


def go_to(page: Any, day: date) -> None:
    page.locator("#calendar").get_by_label("Go to date").fill(day.isoformat())
    loaded(page)


def block(page: Any, appointment_id: str) -> Any:
    return page.locator(f'.cal-block[data-appointment-id="{appointment_id}"]')


def cell_of(block_locator: Any) -> dict[str, str]:
    """The quarter hour a block starts in: its day and its row."""
    return dict(block_locator.evaluate("b => ({...b.closest('.cal-cell').dataset})"))


def box(locator: Any) -> dict[str, float]:
    return dict(
        locator.evaluate(
            "e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; }"
        )
    )


def style(locator: Any, prop: str) -> str:
    return str(locator.evaluate(f"e => getComputedStyle(e)['{prop}']"))


def row_header(page: Any, row: str) -> Any:
    return page.locator(f'#calendar-grid .cal-row[data-row="{row}"] [role="rowheader"]')


def column_header(page: Any, day: date) -> Any:
    return page.locator(f'#calendar-grid [role="columnheader"][data-date="{day}"]')


def assert_drawn_at(page: Any, block_locator: Any, day: date, row: str) -> None:
    """The block sits in the day's column, its top on the row's line: where staff look for it."""
    assert cell_of(block_locator)["date"] == day.isoformat()
    assert cell_of(block_locator)["row"] == row
    drawn, header, column = box(block_locator), box(row_header(page, row)), box(column_header(page, day))
    assert abs(drawn["y"] - header["y"]) <= 3, (drawn, header)
    assert column["x"] <= drawn["x"], (drawn, column)
    assert drawn["x"] + drawn["w"] <= column["x"] + column["w"] + 1, (drawn, column)


def focused(page: Any) -> str:
    return str(
        page.evaluate(
            "(() => { const e = document.activeElement;"
            " return e ? (e.id || e.getAttribute('aria-label') || e.textContent.trim()) : ''; })()"
        )
    )


def tab_to(page: Any, element_id: str, most: int = 10) -> None:
    """Tab until the element has the keyboard's focus; it must be reachable."""
    for _ in range(most):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == element_id


# ---- the week and the day ---------------------------------------------------------------------


def test_the_week_shows_approved_green_and_pending_gray_striped_in_their_day_and_hour(
    page, stack, staff_token
):
    # Given a week with an approved request, one awaiting review, an appointment staff booked
    # beside it, and one the client asked to move
    monday = next_weekday(0, 2)
    tuesday, wednesday, thursday = (monday + timedelta(days=n) for n in (1, 2, 3))
    approved = request_appointment(stack, at(tuesday, 9), "calendar.green@example.org")
    http(stack, "POST", f"/staff/requests/{approved}/approve", {}, token=staff_token)
    request_appointment(
        stack, at(thursday, 13), "calendar.gray@example.org", firstName="Noor", lastName="Haddad"
    )
    request_appointment(
        stack,
        at(tuesday, 11),
        "calendar.okafor@example.org",
        clinician="c-okafor",
        firstName="Bea",
        lastName="Stone",
    )
    beside = book(stack, staff_token, at(tuesday, 9, 30), clinician="c-chen")
    moving = book(stack, staff_token, at(wednesday, 10, 15), clinician="c-chen")
    client = token_for(stack, *CLIENT)
    query = f"clientType=existing&from={thursday}&to={thursday}&clinicianId=c-chen"
    slot = http(stack, "GET", f"/availability?{query}")["slots"][0]
    http(stack, "POST", f"/me/appointments/{moving}/reschedule", {"start": slot["start"]}, token=client)
    shown = {a["client"]["firstName"]: a for a in stored(stack, staff_token, tuesday).values()}
    pending = next(
        a for a in stored(stack, staff_token, thursday).values() if a["client"]["lastName"] == "Haddad"
    )

    # When staff open the calendar on that week
    calendar = open_calendar(page, stack, tuesday)

    # Then the approved appointment is green, in Tuesday's column on the 9 AM line, saying so
    green = block(page, shown["Ada"]["id"])
    assert_drawn_at(page, green, tuesday, "09:00")
    assert "status-confirmed" in (green.get_attribute("class") or "")
    assert style(green, "backgroundColor") == GREEN
    assert style(green, "backgroundImage") == "none"
    assert "Confirmed" in green.inner_text()
    # An hour tall (four quarter hours)
    quarter = box(row_header(page, "09:15"))["y"] - box(row_header(page, "09:00"))["y"]
    assert abs(box(green)["h"] - 4 * quarter) <= 3, (box(green), quarter)
    # The pending request gray with diagonal lines, with its client's name and its status in words
    gray = block(page, pending["id"])
    assert_drawn_at(page, gray, thursday, "13:00")
    assert style(gray, "backgroundColor") == GRAY
    assert "repeating-linear-gradient" in style(gray, "backgroundImage")
    assert "Noor Haddad" in gray.inner_text()
    assert "Request pending" in gray.inner_text()
    # The one the client asked to move green with diagonal lines, still at its time
    striped = block(page, moving)
    assert_drawn_at(page, striped, wednesday, "10:15")
    assert style(striped, "backgroundColor") == GREEN
    assert "repeating-linear-gradient" in style(striped, "backgroundImage")
    assert "Reschedule requested" in striped.inner_text()
    # Two clinicians at once: side by side, neither hiding the other
    left, right = box(green), box(block(page, beside))
    assert left["x"] + left["w"] <= right["x"] + 1 or right["x"] + right["w"] <= left["x"] + 1, (left, right)
    assert (
        "5 appointments this week, 3 awaiting review." in calendar.locator("#calendar-summary").inner_text()
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement.blur()")
    calendar.screenshot(path=str(ARTIFACTS / "staff-calendar-week.png"))
    no_accessibility_violations(page)

    # And one clinician's calendar shows hers alone, without her name on each block
    calendar.locator(".calendar-toolbar").get_by_label("Clinician").select_option(label="Sam Okafor, LCSW")
    loaded(page)
    assert calendar.locator(".cal-block").count() == 1
    assert "Sam Okafor" not in block(page, shown["Bea"]["id"]).inner_text()
    calendar.locator(".calendar-toolbar").get_by_label("Clinician").select_option(label="All clinicians")
    loaded(page)

    # And the day view of Tuesday shows that day alone, the same way
    calendar.get_by_role("button", name="Day", exact=True).click()
    loaded(page)
    go_to(page, tuesday)
    assert calendar.locator('[role="columnheader"][data-date]').count() == 1
    assert_drawn_at(page, block(page, shown["Ada"]["id"]), tuesday, "09:00")
    assert_drawn_at(page, block(page, shown["Bea"]["id"]), tuesday, "11:00")
    assert style(block(page, shown["Bea"]["id"]), "backgroundColor") == GRAY
    assert calendar.locator("#calendar-range").inner_text() == tuesday.strftime("%A, %B %-d, %Y")
    page.evaluate("document.activeElement.blur()")
    calendar.screenshot(path=str(ARTIFACTS / "staff-calendar-day.png"))
    no_accessibility_violations(page)

    # And on a phone the day fits the screen, and the week scrolls inside its own box
    page.set_viewport_size({"width": 390, "height": 844})
    scroller = calendar.locator(".calendar-scroll")
    assert scroller.evaluate("e => e.scrollWidth <= e.clientWidth")
    calendar.get_by_role("button", name="Week", exact=True).click()
    loaded(page)
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400


def test_staff_book_an_empty_quarter_hour_with_the_keyboard_alone(page, stack, staff_token):
    # Given a week with nothing booked on Tuesday morning
    monday = next_weekday(0, 3)
    tuesday = monday + timedelta(days=1)
    before = len(emails(stack, CLIENT[0]))
    calendar = open_calendar(page, stack, monday)

    # When staff Tab into the calendar (9 AM on Monday), arrow to Tuesday 10:30 and press Enter
    calendar.locator(".calendar-toolbar").get_by_label("Clinician").focus()
    page.keyboard.press("Tab")
    assert focused(page) == f"{monday.strftime('%a, %b %-d')}, 9:00 AM"
    for key in ("ArrowRight", "ArrowDown", "ArrowDown", "PageDown"):
        page.keyboard.press(key)
    assert focused(page) == f"{tuesday.strftime('%a, %b %-d')}, 10:30 AM"
    page.keyboard.press("Enter")

    # Then the booking dialog asks for the client, with the cursor in the search
    dialog = page.locator("#book-dialog")
    dialog.get_by_role("heading", name="Book an Appointment").wait_for()
    assert focused(page) == "book-search"
    assert dialog.get_by_label("Start").evaluate("s => s.selectedOptions[0].textContent") == "10:30 AM"

    # When they type part of the name, Tab to the match and choose it, then the clinician and type
    page.keyboard.type("jord")
    dialog.get_by_text("1 client matches").wait_for()
    page.keyboard.press("Tab")
    assert focused(page) == f"book-client-{client_id(stack, staff_token)}"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert focused(page) == "book-clinician"
    page.keyboard.type("Sam")
    page.keyboard.press("Tab")
    assert focused(page) == "book-type"
    page.keyboard.type("Therapy S")
    assert dialog.get_by_label("Appointment type").evaluate("s => s.selectedOptions[0].textContent") == (
        "Therapy Session (50 min)"
    )
    no_accessibility_violations(page)
    tab_to(page, "book-confirm")
    page.keyboard.press("Enter")

    # Then the block appears at 10:30 on Tuesday with the keyboard on it, and the client has
    # the confirmation with an invite
    dialog.wait_for(state="hidden")
    made = next(a for a in stored(stack, staff_token, tuesday).values() if a["clinicianId"] == "c-okafor")
    assert made["start"] == at(tuesday, 10, 30)
    booked = block(page, made["id"])
    assert_drawn_at(page, booked, tuesday, "10:30")
    assert "Casey Jordan" in booked.inner_text()
    assert style(booked, "backgroundColor") == GREEN
    assert page.evaluate("document.activeElement.dataset.appointmentId") == made["id"]
    assert "Booked: Casey Jordan" in calendar.locator("#calendar-messages").inner_text()
    confirmation = new_email(stack, CLIENT[0], before, "Your appointment is confirmed")
    assert "has booked an appointment for you" in confirmation["text"]
    assert confirmation["attachments"][0]["method"] == "REQUEST"


def test_moving_a_block_to_another_time_moves_it_and_tells_the_client(page, stack, staff_token):
    # Given an appointment on Wednesday at 11 AM
    wednesday = next_weekday(2, 4)
    appointment = book(stack, staff_token, at(wednesday, 11))
    before = len(emails(stack, CLIENT[0]))
    open_calendar(page, stack, wednesday)

    # When staff open it (Escape closes it, back on the block; Enter opens it again), choose
    # Move, pick 2:00 PM and confirm
    block(page, appointment).click()
    dialog = page.locator("#appointment-dialog")
    dialog.get_by_role("heading", name="Appointment: Casey Jordan").wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.appointmentId") == appointment
    page.keyboard.press("Enter")
    dialog.get_by_role("heading", name="Appointment: Casey Jordan").wait_for()
    assert focused(page) == "appointment-move"
    details = dialog.locator("#appointment-details").inner_text()
    for shown in ("Dr. Ana Rivera", "Therapy Session", "11:00 AM", "Confirmed", "Staff"):
        assert shown in details, (shown, details)
    no_accessibility_violations(page)
    dialog.get_by_role("button", name="Move").click()
    dialog.get_by_label("New start").select_option(label="2:00 PM")
    dialog.locator("#move-form").get_by_label("Note to the client").fill(
        "Dr. Rivera has a training that morning."
    )
    no_accessibility_violations(page)
    dialog.get_by_role("button", name="Confirm Move").click()

    # Then the block is at 2 PM, the appointment is stored there and the client is told
    dialog.wait_for(state="hidden")
    page.locator("#calendar-messages").get_by_text("Moved: Casey Jordan").wait_for()
    assert_drawn_at(page, block(page, appointment), wednesday, "14:00")
    assert stored(stack, staff_token, wednesday)[appointment]["start"] == at(wednesday, 14)
    moved = new_email(stack, CLIENT[0], before, "Your appointment has been rescheduled")
    assert "Dr. Rivera has a training that morning." in moved["text"]
    assert moved["attachments"][0]["method"] == "REQUEST"


def test_cancelling_a_block_frees_the_time_and_sends_a_cancelling_invite(page, stack, staff_token):
    # Given an appointment on Thursday at 11 AM
    thursday = next_weekday(3, 4)
    appointment = book(stack, staff_token, at(thursday, 11))
    before = len(emails(stack, CLIENT[0]))
    open_calendar(page, stack, thursday)

    # When staff open it, choose Cancel Appointment, add a note and confirm (by keyboard)
    block(page, appointment).click()
    dialog = page.locator("#appointment-dialog")
    dialog.get_by_role("button", name="Cancel Appointment").click()
    assert focused(page) == "cancel-title"
    dialog.locator("#cancel-form").get_by_label("Note to the client").fill(
        "We will call you to find another time."
    )
    no_accessibility_violations(page)
    dialog.get_by_role("button", name="Confirm Cancellation").focus()
    page.keyboard.press("Enter")

    # Then the block is gone, the keyboard is where it was, and the client gets the cancellation
    # with an invite that takes it out of their calendar
    dialog.wait_for(state="hidden")
    page.locator("#calendar-messages").get_by_text("Cancelled: Casey Jordan").wait_for()
    assert block(page, appointment).count() == 0
    assert focused(page) == f"{thursday.strftime('%a, %b %-d')}, 11:00 AM"
    assert appointment not in stored(stack, staff_token, thursday)
    cancelled = new_email(stack, CLIENT[0], before, "Your appointment has been cancelled")
    assert "We will call you to find another time." in cancelled["text"]
    assert cancelled["attachments"][0]["method"] == "CANCEL"


def test_approving_the_request_in_requests_turns_its_block_green_without_a_reload(page, stack, staff_token):
    # Given a request awaiting review, gray in the calendar
    friday = next_weekday(4, 2)
    request_id = request_appointment(
        stack, at(friday, 9), "turn.green@example.org", firstName="Gita", lastName="Rao"
    )
    calendar = open_calendar(page, stack, friday)
    [appointment] = [
        a for a in stored(stack, staff_token, friday).values() if a["client"]["lastName"] == "Rao"
    ]
    gray = block(page, appointment["id"])
    assert "status-requested" in (gray.get_attribute("class") or "")
    page.evaluate("window.notReloaded = true")

    # When staff open it and follow Review in Requests
    gray.click()
    dialog = page.locator("#appointment-dialog")
    assert dialog.get_by_role("button", name="Move").is_hidden()
    no_accessibility_violations(page)
    dialog.get_by_role("button", name="Review in Requests").click()

    # Then the keyboard is on that request's Approve; approving it turns the block green
    page.wait_for_function("document.activeElement && document.activeElement.textContent === 'Approve'")
    assert (
        row_of(page, request_id)
        .get_by_role("button", name="Approve")
        .evaluate("b => b === document.activeElement")
    )
    page.keyboard.press("Enter")
    page.locator("#decide-dialog").get_by_role("button", name="Confirm Approval").click()
    row_of(page, request_id).wait_for(state="detached")
    calendar.locator(f'.cal-block.status-confirmed[data-appointment-id="{appointment["id"]}"]').wait_for()
    assert style(block(page, appointment["id"]), "backgroundColor") == GREEN
    assert "Confirmed" in block(page, appointment["id"]).inner_text()
    assert page.evaluate("window.notReloaded") is True


def test_the_weeks_the_clocks_change_put_each_appointment_on_its_own_hour(page, stack, staff_token):
    # Given appointments at 1:30 AM and 3 AM on the day New York's clocks go forward (2 AM never
    # comes), and one at 1:30 AM the second time that hour comes round, the day they go back
    forward = clock_change(date.today() + timedelta(days=2), forward=True)
    back = clock_change(date.today() + timedelta(days=2), forward=False)
    night = datetime.combine(forward, datetime.min.time(), NY)
    across = book(stack, staff_token, night.replace(hour=1, minute=30).isoformat(), clinician="c-okafor")
    after_skip = book(stack, staff_token, night.replace(hour=3).isoformat())
    second_time = datetime.combine(back, datetime.min.time(), NY).replace(hour=1, minute=30, fold=1)
    again = book(stack, staff_token, second_time.isoformat(), clinician="c-okafor")
    assert second_time.utcoffset() == timedelta(hours=-5)

    # When staff show the week the clocks go forward
    calendar = open_calendar(page, stack, forward)

    # Then the appointment is on the 3 AM line of that Sunday, the skipped hour drawn as a gap
    # that day only, and the one at 1:30 AM reaches across it to 3:20 AM
    assert_drawn_at(page, block(page, after_skip), forward, "03:00")
    assert_drawn_at(page, block(page, across), forward, "01:30")
    quarter = box(row_header(page, "01:45"))["y"] - box(row_header(page, "01:30"))["y"]
    bottom = box(block(page, across))["y"] + box(block(page, across))["h"]
    assert abs(bottom - (box(row_header(page, "03:15"))["y"] + quarter / 3)) <= 3
    assert row_header(page, "03:00").inner_text().startswith("3 AM")
    gap = calendar.locator(f'.cal-cell[data-date="{forward}"][data-row="02:00"]')
    assert gap.get_attribute("aria-disabled") == "true"
    saturday = forward - timedelta(days=1)
    assert (
        calendar.locator(f'.cal-cell[data-date="{saturday}"][data-row="02:00"]').get_attribute(
            "aria-disabled"
        )
        is None
    )
    no_accessibility_violations(page)

    # And the week they go back has the repeated hour twice, the appointment on the second one
    go_to(page, back)
    assert_drawn_at(page, block(page, again), back, "01:30+")
    rows = page.evaluate(
        "[...document.querySelectorAll('#calendar-grid .cal-row[data-row]')].map(r => r.dataset.row)"
    )
    assert rows.index("01:45") < rows.index("01:00+") < rows.index("01:30+") < rows.index("02:00")
    assert "the second time" in row_header(page, "01:30+").inner_text()
    assert "1:30 – 2:20 AM" in block(page, again).inner_text()


def test_another_time_zone_redraws_the_calendar_on_its_clock(page, stack, staff_token, restored_settings):
    # Given an appointment at 10 AM, New York time, on the calendar
    tuesday = next_weekday(1, 5)
    appointment = book(stack, staff_token, at(tuesday, 10))
    open_calendar(page, stack, tuesday)
    assert_drawn_at(page, block(page, appointment), tuesday, "10:00")

    # When staff move the practice to Chicago's time zone in Settings
    settings = page.locator("#settings-form")
    settings.get_by_label("Time zone").select_option("America/Chicago")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-saved", has_text="Saved").wait_for()

    # Then, without a reload, the calendar shows it at 9 AM on Chicago's clock
    page.locator(f'.cal-row[data-row="09:00"] .cal-block[data-appointment-id="{appointment}"]').wait_for()
    assert_drawn_at(page, block(page, appointment), tuesday, "09:00")
    assert "9:00 – 9:50 AM" in block(page, appointment).inner_text()


# Last in this module on purpose: on the local stack a transaction that DynamoDB refuses leaves
# moto's stream pump reading a discarded copy of the stream, so no later test could rely on emails.
def test_a_taken_time_is_explained_in_the_dialog_and_nothing_is_booked(page, stack, staff_token):
    # Given Dr. Rivera booked on Monday at 10 AM
    monday = next_weekday(0, 5)
    taken = book(stack, staff_token, at(monday, 10))
    open_calendar(page, stack, monday)

    # When staff choose 11 AM, then try to book her at 10:15 that day
    page.locator(f'.cal-cell[data-date="{monday}"][data-row="11:00"]').click()
    dialog = page.locator("#book-dialog")
    dialog.get_by_label("Start").select_option(label="10:15 AM")
    dialog.get_by_label("Find the client by name").fill("Casey")
    dialog.get_by_label("Casey Jordan").check()
    dialog.get_by_label("Clinician").select_option(label="Dr. Ana Rivera")
    dialog.get_by_label("Appointment type").select_option(label="Therapy Session (50 min)")
    dialog.get_by_role("button", name="Book Appointment").click()

    # Then the dialog says the time is taken, stays open, and nothing else is booked
    dialog.get_by_role("alert").wait_for()
    assert dialog.is_visible()
    assert list(stored(stack, staff_token, monday)) == [taken]
    no_accessibility_violations(page)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert focused(page) == f"{monday.strftime('%a, %b %-d')}, 11:00 AM"

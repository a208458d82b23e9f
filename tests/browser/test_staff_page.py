"""The staff page in a real browser: the queue, approve and deny, settings, clinicians' hours."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.browser.accessibility import no_accessibility_violations
from tests.browser.conftest import ARTIFACTS, CLIENT, STAFF, outbox, screenshot
from tests.browser.staff import http, request_appointment, row_of, sign_in, sign_in_as_staff, token_for
from tests.integration.conftest import NY, at, next_weekday

MARKUP = "<img src=x onerror=alert(1)><b>bold</b>"


# ---- over HTTP -------------------------------------------------------------------------------


def decided(stack: Any, token: str, status: str, request_id: str) -> dict[str, Any]:
    found = http(stack, "GET", f"/staff/requests?status={status}", token=token)["requests"]
    return next(r for r in found if r["id"] == request_id)


def day(weekday: int, weeks_ahead: int = 2) -> date:
    return next_weekday(weekday, weeks_ahead)


# ---- the queue -------------------------------------------------------------------------------


def test_staff_see_a_pending_request_with_the_client_details(page, stack):
    start = at(day(0), 9)
    request_id = request_appointment(
        stack,
        start,
        "queue.first@example.org",
        comments="Evenings are hard for me",
        lastName="Queue",
        mobilePhone="+1 617 555 0177",
    )
    sign_in_as_staff(page, stack)

    row = row_of(page, request_id)
    row.wait_for()
    assert row.locator(".kind").inner_text() == "New"
    text = row.inner_text()
    for shown in (
        "New",
        "Ada Queue",
        "1990-04-01",
        "queue.first@example.org",
        "+16175550177",
        "New client",
        "Evenings are hard for me",
        "Dr. Ana Rivera",
        "Therapy Intake",
    ):
        assert shown in text, (shown, text)
    # The requested time on the practice's clock, whatever the browser's zone.
    assert datetime.fromisoformat(start).astimezone(NY).strftime("%B") in text
    assert f"{int(datetime.fromisoformat(start).strftime('%I'))}:00 AM" in text
    assert row.get_by_role("button", name="Approve").is_visible()
    assert row.get_by_role("button", name="Deny").is_visible()
    assert page.get_by_role("button", name="Sign Out").is_visible()
    screenshot(page, "staff-queue")

    page.set_viewport_size({"width": 390, "height": 844})
    row.get_by_role("button", name="Approve").scroll_into_view_if_needed()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width
    screenshot(page, "staff-queue-phone")


def test_approve_sends_the_confirmation_and_leaves_the_queue(page, stack, staff_token):
    email = "approve.me@example.org"
    request_id = request_appointment(stack, at(day(0), 13), email)
    sign_in_as_staff(page, stack)

    row_of(page, request_id).get_by_role("button", name="Approve").click()
    dialog = page.locator("#decide-dialog")
    dialog.get_by_role("button", name="Confirm Approval").click()
    row_of(page, request_id).wait_for(state="detached")
    assert "Approved: Ada Lovelace" in page.inner_text("#queue-messages")

    confirmations = [e for e in outbox(stack, email, 1) if "confirmed" in e["subject"]]
    assert confirmations, outbox(stack, email, 1, timeout=0)
    assert decided(stack, staff_token, "approved", request_id)["status"] == "approved"

    # The filter shows decided requests, without decision buttons.
    page.get_by_label("Show requests").select_option("approved")
    approved = row_of(page, request_id)
    approved.wait_for()
    assert "Approved" in approved.inner_text()
    assert approved.get_by_role("button", name="Approve").count() == 0


def test_an_approval_whose_answer_was_lost_is_confirmed_again_with_the_same_key(page, stack, staff_token):
    # Given a pending request, and a network that loses the answer to the first approval after
    # the API made it
    email = "lost.answer@example.org"
    request_id = request_appointment(stack, at(day(0), 15), email)
    sign_in_as_staff(page, stack)
    keys: list[str] = []

    def lose_first_answer(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        answer = route.fetch()  # the approval is made
        if len(keys) == 1:
            route.abort("failed")
        else:
            route.fulfill(response=answer)

    page.route(f"**/staff/requests/{request_id}/approve", lose_first_answer)

    # When staff confirm, see the failure, and confirm again
    row_of(page, request_id).get_by_role("button", name="Approve").click()
    dialog = page.locator("#decide-dialog")
    dialog.get_by_role("button", name="Confirm Approval").click()
    dialog.locator("#decide-messages .error, #decide-messages [role=alert]").first.wait_for()
    dialog.get_by_role("button", name="Confirm Approval").click()

    # Then the second answer is the first one again: approved, once, with one email
    row_of(page, request_id).wait_for(state="detached")
    assert "Approved: Ada Lovelace" in page.inner_text("#queue-messages")
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert decided(stack, staff_token, "approved", request_id)["status"] == "approved"
    assert len([e for e in outbox(stack, email, 1) if "confirmed" in e["subject"]]) == 1


def test_an_email_that_was_not_sent_is_shown_with_its_reason_and_sent_again_by_keyboard(
    page, stack, staff_token
):
    # Given an approval whose confirmation the email service refuses three times
    from botocore.exceptions import ClientError

    from functions import aws

    email = "unlucky.inbox@example.org"
    request_id = request_appointment(stack, at(day(4, 3), 15), email, clinician="c-okafor")
    refusals = [3]

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if email in params.get("Destination", {}).get("ToAddresses", []) and refusals[0] > 0:
            refusals[0] -= 1
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "injected"}}, "SendEmail")

    aws.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", refuse)
    http(stack, "POST", f"/staff/requests/{request_id}/approve", {}, token=staff_token)
    for _ in range(100):
        notification = decided(stack, staff_token, "approved", request_id).get("notification") or {}
        if notification.get("status") == "failed":
            break
        page.wait_for_timeout(100)

    # When staff look at the approved requests
    sign_in_as_staff(page, stack)
    page.get_by_label("Show requests").select_option("approved")
    row = row_of(page, request_id)
    row.wait_for()

    # Then they see that the confirmation was not sent, and why
    cell = row.locator("td.notification")
    assert "Not sent" in cell.inner_text()
    assert "Confirmation" in cell.inner_text()
    assert "did not accept it (ServiceUnavailable)" in cell.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#queue").screenshot(path=str(ARTIFACTS / "staff-not-sent.png"))
    no_accessibility_violations(page)

    # And when they press Send Again with the keyboard
    button = cell.get_by_role("button", name="Send Again")
    button.focus()
    page.keyboard.press("Enter")

    # Then the page says it will be sent again, keeps the keyboard there, and the client gets it once
    cell.get_by_text("Sending again").wait_for()
    assert "Confirmation will be sent again." in page.inner_text("#queue-messages")
    assert page.evaluate("document.activeElement.classList.contains('notification-status')")
    assert len([e for e in outbox(stack, email, 1) if "confirmed" in e["subject"]]) == 1
    page.get_by_role("button", name="Refresh").click()
    row_of(page, request_id).locator("td.notification").get_by_text("Sent", exact=True).wait_for()
    assert refusals == [0]


def test_approve_with_another_clinician_and_time(page, stack, staff_token):
    email = "moved.on@example.org"
    when = day(1)
    request_id = request_appointment(stack, at(when, 10), email)
    sign_in_as_staff(page, stack)

    row_of(page, request_id).get_by_role("button", name="Approve").click()
    dialog = page.locator("#decide-dialog")
    dialog.get_by_label("Clinician", exact=True).select_option(label="Sam Okafor, LCSW")
    # A time typed on the practice's clock becomes an instant with the zone's offset.
    dialog.get_by_label("Start (practice time)").fill(f"{when.isoformat()}T14:00")
    dialog.get_by_label("Note to the client").fill("Sam has an opening that suits you better.")
    screenshot(page, "staff-approve")
    dialog.get_by_role("button", name="Confirm Approval").click()
    row_of(page, request_id).wait_for(state="detached")

    approved = decided(stack, staff_token, "approved", request_id)
    assert approved["clinicianId"] == "c-okafor"
    assert approved["start"] == at(when, 14)
    assert set(approved["changes"]) == {"start", "clinicianId"}
    confirmation = next(e for e in outbox(stack, email, 1) if "confirmed" in e["subject"])
    assert "Sam Okafor" in confirmation["text"]
    assert "Sam has an opening that suits you better." in confirmation["text"]


def test_a_time_outside_the_hours_is_explained_and_the_request_stays(page, stack, staff_token):
    when = day(1)
    request_id = request_appointment(stack, at(when, 15), "evening.please@example.org")
    sign_in_as_staff(page, stack)

    row_of(page, request_id).get_by_role("button", name="Approve").click()
    dialog = page.locator("#decide-dialog")
    dialog.get_by_label("Start (practice time)").fill(f"{when.isoformat()}T20:00")
    dialog.get_by_role("button", name="Confirm Approval").click()
    dialog.get_by_role("alert").wait_for()
    assert dialog.is_visible()
    dialog.get_by_role("button", name="Go Back").click()
    assert row_of(page, request_id).is_visible()
    assert decided(stack, staff_token, "pending", request_id)["start"] == at(when, 15)
    # Back where staff were, and by keyboard too: Enter opens the dialog, Escape closes it.
    page.wait_for_function("document.activeElement && document.activeElement.textContent === 'Approve'")
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Confirm Approval").wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert row_of(page, request_id).is_visible()


def test_a_reschedule_shows_the_original_time(page, stack, staff_token):
    client = token_for(stack, *CLIENT)
    appointment = http(stack, "GET", "/me/appointments", token=client)["next"]
    target = day(4, 3)
    query = f"clientType=existing&from={target}&to={target}&clinicianId={appointment['clinicianId']}"
    slot = http(stack, "GET", f"/availability?{query}")["slots"][0]
    body = {"start": slot["start"], "comments": "Work moved my shift"}
    made = http(stack, "POST", f"/me/appointments/{appointment['id']}/reschedule", body, token=client)
    request_id = made["request"]["id"]
    sign_in_as_staff(page, stack)

    row = row_of(page, request_id)
    row.wait_for()
    assert row.locator(".kind").inner_text() == "Reschedule"
    assert "New client" not in row.inner_text()
    original = row.locator(".original-time").inner_text()
    assert "Original time" in original
    assert str(datetime.fromisoformat(appointment["start"]).day) in original
    assert "Casey Jordan" in row.inner_text()
    emails = outbox(stack, CLIENT[0], 1, timeout=0)
    row.get_by_role("button", name="Approve").click()
    page.locator("#decide-dialog").get_by_role("button", name="Confirm Approval").click()
    row.wait_for(state="detached")
    moved = [e for e in outbox(stack, CLIENT[0], len(emails) + 1) if "rescheduled" in e["subject"]]
    assert moved, [(e["subject"], e["text"][:300]) for e in outbox(stack, CLIENT[0], 1, timeout=0)]


def test_deny_with_a_note_sends_the_client_nothing(page, stack, staff_token):
    email = "deny.me@example.org"
    request_id = request_appointment(stack, at(day(2), 9), email)
    sign_in_as_staff(page, stack)

    row_of(page, request_id).get_by_role("button", name="Deny").click()
    dialog = page.locator("#decide-dialog")
    assert dialog.get_by_label("Clinician", exact=True).is_hidden()
    dialog.get_by_label("Note").fill("Called the client: wants a Spanish speaker.")
    dialog.get_by_role("button", name="Confirm Deny").click()
    row_of(page, request_id).wait_for(state="detached")

    denied = decided(stack, staff_token, "denied", request_id)
    assert denied["note"] == "Called the client: wants a Spanish speaker."
    assert outbox(stack, email, 1, timeout=1.5) == []


def test_markup_in_comments_is_shown_as_text(page, stack):
    alerts: list[str] = []

    def dismissed(dialog: Any) -> None:
        alerts.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismissed)
    request_id = request_appointment(stack, at(day(3), 9), "markup@example.org", comments=MARKUP)
    sign_in_as_staff(page, stack)

    row = row_of(page, request_id)
    row.wait_for()
    assert MARKUP in row.inner_text()
    assert row.locator("img").count() == 0
    assert row.locator("b").count() == 0
    assert alerts == []


# ---- settings and clinicians -----------------------------------------------------------------


def test_a_settings_switch_is_saved_and_the_portal_follows(page, stack, restored_settings):
    assert restored_settings["scheduling"]["cancel"] is True
    sign_in_as_staff(page, stack)
    settings = page.locator("#settings-form")

    settings.get_by_label("Clients may cancel").uncheck()
    settings.get_by_label("Minimum notice (hours)").fill("48")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-saved", has_text="Saved").wait_for()
    portal = http(stack, "GET", "/portal")["scheduling"]
    assert portal["cancel"] is False
    assert portal["minimumNoticeHours"] == 48

    settings.get_by_label("Clients may cancel").check()
    settings.get_by_label("Minimum notice (hours)").fill(
        str(restored_settings["scheduling"]["minimumNoticeHours"])
    )
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-saved", has_text="Saved").wait_for()
    portal = http(stack, "GET", "/portal")["scheduling"]
    assert portal["cancel"] is True
    assert portal["minimumNoticeHours"] == restored_settings["scheduling"]["minimumNoticeHours"]


def test_the_practice_name_time_zone_and_addresses_are_saved(page, stack, restored_settings):
    assert restored_settings["practice"]["timeZone"] == "America/New_York"
    sign_in_as_staff(page, stack)
    settings = page.locator("#settings-form")
    assert settings.get_by_label("Practice name").input_value() == restored_settings["practice"]["name"]
    notify = settings.get_by_label("Email for new requests awaiting review")
    assert notify.input_value() == "frontdesk@demo.test"

    settings.get_by_label("Practice name").fill("Harbor Light Counseling")
    settings.get_by_label("Time zone").select_option("America/Chicago")
    notify.fill("")
    settings.get_by_label("Reply-to address of client emails").fill("office@harborlight.example.org")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-saved", has_text="Saved").wait_for()

    assert page.locator("#practice-name").inner_text() == "Harbor Light Counseling: Staff"
    practice = http(stack, "GET", "/portal")["practice"]
    assert (practice["name"], practice["timeZone"]) == ("Harbor Light Counseling", "America/Chicago")
    token = token_for(stack, *STAFF)
    stored = http(stack, "GET", "/staff/settings", token=token)["practice"]
    assert stored.get("notificationEmail") is None
    assert stored["replyToEmail"] == "office@harborlight.example.org"


def test_an_empty_practice_name_is_explained_and_nothing_changes(page, stack, restored_settings):
    sign_in_as_staff(page, stack)
    settings = page.locator("#settings-form")
    settings.get_by_label("Practice name").fill("  ")
    settings.get_by_label("Clients may cancel").uncheck()
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-messages").get_by_text("Enter the practice's name.").wait_for()
    assert settings.get_by_label("Practice name").get_attribute("aria-invalid") == "true"
    portal = http(stack, "GET", "/portal")
    assert portal["practice"]["name"] == restored_settings["practice"]["name"]
    assert portal["scheduling"]["cancel"] is True


def test_a_bad_number_is_explained(page, stack):
    sign_in_as_staff(page, stack)
    settings = page.locator("#settings-form")
    settings.get_by_label("How far ahead clients may book (days)").fill("0")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-messages").get_by_role("alert").wait_for()
    assert (
        settings.get_by_label("How far ahead clients may book (days)").get_attribute("aria-invalid") == "true"
    )


def test_the_phone_late_change_window_and_reminders_are_saved_and_only_they_are_sent(
    page, stack, restored_settings
):
    # Given staff on the settings panel of a practice with no phone, no window and one reminder
    assert restored_settings["reminders"] == {"hoursBefore": [24]}
    sign_in_as_staff(page, stack)
    settings = page.locator("#settings-form")
    sent: list[Any] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.post_data_json) if r.method == "PATCH" and "/staff/settings" in r.url else None
        ),
    )

    # When they give the phone as people type it, a 24-hour window and reminders 48 and 2 hours before
    settings.get_by_label("Practice phone number").fill("617 555 0123")
    settings.get_by_label("Late-change window (hours before an appointment)").fill("24")
    settings.get_by_label("First reminder (hours before)").fill("48")
    settings.get_by_label("Second reminder (hours before)").fill("2")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-saved", has_text="Saved").wait_for()

    # Then they are saved, the phone as E.164 and shown back as people read it
    token = token_for(stack, *STAFF)
    stored = http(stack, "GET", "/staff/settings", token=token)
    assert stored["practice"]["phone"] == "+16175550123"
    assert stored["scheduling"]["changeCutoffHours"] == 24
    assert stored["reminders"] == {"hoursBefore": [48, 2]}
    assert settings.get_by_label("Practice phone number").input_value() == "(617) 555-0123"
    assert http(stack, "GET", "/portal")["practice"]["phone"] == "+16175550123"
    # and only what changed was sent
    assert sent == [
        {
            "practice": {"phone": "617 555 0123"},
            "scheduling": {"changeCutoffHours": 24},
            "reminders": {"hoursBefore": [48, 2]},
        }
    ]
    no_accessibility_violations(page)
    page.locator("#settings").screenshot(path=str(ARTIFACTS / "staff-settings.png"))

    # When they empty the second reminder and change nothing else
    settings.get_by_label("Second reminder (hours before)").fill("")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-saved", has_text="Saved").wait_for()

    # Then only that is sent, the phone shown as people read it is not sent again
    assert sent[-1] == {"practice": {}, "scheduling": {}, "reminders": {"hoursBefore": [48]}}
    assert http(stack, "GET", "/staff/settings", token=token)["reminders"] == {"hoursBefore": [48]}


def test_bad_phone_window_and_reminders_are_explained_beside_their_fields(page, stack, restored_settings):
    # Given staff on the settings panel
    sign_in_as_staff(page, stack)
    settings = page.locator("#settings-form")
    reminder = settings.get_by_label("First reminder (hours before)")

    # When they ask for a reminder 0 hours before
    reminder.fill("0")
    settings.get_by_role("button", name="Save Settings").click()

    # Then it is explained beside the reminders, the field marked, and nothing is saved
    beside = page.locator("#set-reminders-note + p.error")
    beside.wait_for()
    assert beside.inner_text() == "A reminder must be a whole number from 1 to 168."
    assert reminder.get_attribute("aria-invalid") == "true"
    assert beside.get_attribute("id") in (reminder.get_attribute("aria-describedby") or "").split()

    # When they give the same hour twice / Then that is explained there instead
    reminder.fill("24")
    settings.get_by_label("Second reminder (hours before)").fill("24")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator(
        "#set-reminders-note + p.error", has_text="The two reminders must be at different hours."
    ).wait_for()
    assert page.locator("#settings-form p.error[data-field-error]").count() == 1

    # When they give a number no phone has (which the API refuses)
    settings.get_by_label("Second reminder (hours before)").fill("")
    phone = settings.get_by_label("Practice phone number")
    phone.fill("12345")
    settings.get_by_role("button", name="Save Settings").click()

    # Then the API's refusal is shown beside the phone, the field marked and given the cursor
    refusal = page.locator("#set-phone-note + p.error")
    refusal.wait_for()
    assert refusal.inner_text() == "Practice phone number: must be a valid phone number"
    assert phone.get_attribute("aria-invalid") == "true"
    assert refusal.get_attribute("id") in (phone.get_attribute("aria-describedby") or "").split()
    assert page.evaluate("document.activeElement.id") == "set-phone"
    assert page.locator("#set-reminders-note + p.error").count() == 0
    no_accessibility_violations(page)
    token = token_for(stack, *STAFF)
    assert http(stack, "GET", "/staff/settings", token=token) == restored_settings

    # When they fix it / Then it is saved and no error is left beside any field
    phone.fill("+1 617 555 0123")
    settings.get_by_label("Late-change window (hours before an appointment)").fill("721")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#set-cutoff-note + p.error", has_text="must be a whole number from 0 to 720").wait_for()
    settings.get_by_label("Late-change window (hours before an appointment)").fill("720")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-saved", has_text="Saved").wait_for()
    assert page.locator("#settings-form p.error").count() == 0
    assert phone.get_attribute("aria-invalid") is None
    stored = http(stack, "GET", "/staff/settings", token=token)
    assert (stored["practice"]["phone"], stored["scheduling"]["changeCutoffHours"]) == ("+16175550123", 720)


@pytest.fixture
def restored_chen(stack: Any, staff_token: str) -> Iterator[dict[str, Any]]:
    clinicians = http(stack, "GET", "/staff/clinicians", token=staff_token)["clinicians"]
    before = next(c for c in clinicians if c["id"] == "c-chen")
    yield before
    body = {k: v for k, v in before.items() if k not in ("id", "etag")}
    http(stack, "PUT", "/staff/clinicians/c-chen", body, token=staff_token)


def test_clinician_hours_and_time_off_reach_availability(page, stack, restored_chen):
    saturday, tuesday = day(5, 3), day(1, 3)
    sign_in_as_staff(page, stack)
    page.locator("#clinicians").get_by_label("Clinician", exact=True).select_option(label="Mei Chen, LMFT")
    clinicians = page.locator("#clinician-form")
    assert clinicians.get_by_label("Monday").input_value() == "08:00-12:00"
    clinicians.get_by_label("Saturday").fill("09:00-11:00")
    # Time off is saved as it is added, and leaves the hours being edited as they are.
    clinicians.get_by_label("Time off starts").fill(f"{tuesday.isoformat()}T08:00")
    clinicians.get_by_label("Time off ends").fill(f"{tuesday.isoformat()}T10:00")
    clinicians.get_by_role("button", name="Add Time Off").click()
    clinicians.get_by_text("Time off saved").wait_for()
    assert clinicians.get_by_label("Saturday").input_value() == "09:00-11:00"
    clinicians.get_by_role("button", name="Save Clinician").click()
    page.locator("#clinician-saved", has_text="Saved").wait_for()

    def starts(on: date) -> list[str]:
        query = f"clientType=existing&from={on}&to={on}&clinicianId=c-chen"
        return [s["start"] for s in http(stack, "GET", f"/availability?{query}")["slots"]]

    assert at(saturday, 9) in starts(saturday)
    assert at(saturday, 10) in starts(saturday)
    assert at(tuesday, 8) not in starts(tuesday)
    assert at(tuesday, 10) in starts(tuesday)
    # The page shows what was saved; removing the time off frees the time at once.
    time_off = clinicians.locator("#time-off-list li")
    assert time_off.count() == 1
    time_off.get_by_role("button", name="Remove").click()
    clinicians.get_by_text("Time off removed").wait_for()
    assert time_off.count() == 0
    assert at(tuesday, 8) in starts(tuesday)


def test_a_clinician_with_300_entries_of_time_off_is_edited_in_small_saves(
    page, stack, staff_token, restored_chen
):
    # Given Mei Chen with 300 entries of time off to come (years of half days)
    from functions import aws
    from functions.scheduling.config import TimeOff

    first = datetime.combine(day(2, 4), datetime.min.time(), NY)
    entries = [
        TimeOff(
            id=f"off-{i:03d}",
            start=first + timedelta(days=i, hours=13),
            end=first + timedelta(days=i, hours=17),
        )
        for i in range(300)
    ]

    def with_time_off(config: Any) -> Any:
        chen = config.clinicians["c-chen"].model_copy(update={"timeOff": entries})
        return config.model_copy(update={"clinicians": {**config.clinicians, "c-chen": chen}})

    aws.store().update_config(with_time_off)
    bodies: list[int] = []
    page.on(
        "request",
        lambda r: bodies.append(len(r.post_data or "")) if "/staff/clinicians/c-chen" in r.url else None,
    )

    # When staff change her hours, save, then add one more entry and remove another
    sign_in_as_staff(page, stack)
    page.locator("#clinicians").get_by_label("Clinician", exact=True).select_option(label="Mei Chen, LMFT")
    clinicians = page.locator("#clinician-form")
    assert clinicians.locator("#time-off-list li").count() == 300
    clinicians.get_by_role("textbox", name="Friday").fill("08:00-11:00")
    clinicians.get_by_role("button", name="Save Clinician").click()
    page.locator("#clinician-saved", has_text="Saved").wait_for()
    extra = day(3, 2)
    clinicians.get_by_label("Time off starts").fill(f"{extra.isoformat()}T08:00")
    clinicians.get_by_label("Time off ends").fill(f"{extra.isoformat()}T09:00")
    clinicians.get_by_role("button", name="Add Time Off").click()
    clinicians.get_by_text("Time off saved").wait_for()
    clinicians.locator('#time-off-list li[data-time-off-id="off-000"]').get_by_role(
        "button", name="Remove"
    ).click()
    clinicians.get_by_text("Time off removed").wait_for()

    # Then every save was small (under the WAF's 8 KB for bodies), and all of it is kept
    assert bodies
    assert max(bodies) < 8 * 1024
    saved = next(
        c
        for c in http(stack, "GET", "/staff/clinicians", token=staff_token)["clinicians"]
        if c["id"] == "c-chen"
    )
    assert saved["hours"]["friday"] == [{"start": "08:00", "end": "11:00"}]
    assert len(saved["timeOff"]) == 300
    assert "off-000" not in {t["id"] for t in saved["timeOff"]}


# ---- not staff -------------------------------------------------------------------------------


def test_a_client_account_cannot_sign_in_to_the_staff_page(page, stack):
    # Given the demo client's account, which is in the clients' user pool
    # When it is used on the staff page
    sign_in(page, stack, *CLIENT)

    # Then the staff pool does not know it: nothing of the practice is shown
    page.get_by_role("alert").wait_for()
    assert "not right" in page.inner_text("#messages")
    assert page.locator("#queue-table").is_hidden()
    assert page.locator("#queue-rows tr[data-request-id]").count() == 0


def test_wrong_password_is_explained(page, stack):
    sign_in(page, stack, STAFF[0], "not-the-password")
    page.get_by_role("alert").wait_for()
    assert "not right" in page.inner_text("#messages")


# Last in this module on purpose: on the local stack a transaction that DynamoDB refuses leaves
# moto's stream pump reading a discarded copy of the stream (phantom records of the refused write,
# none of the later ones), so no test after this one could rely on emails.
def test_a_taken_time_is_explained_and_the_request_stays(page, stack, staff_token):
    when = day(1)
    request_appointment(stack, at(when, 11), "first.come@example.org", clinician="c-okafor")
    request_id = request_appointment(stack, at(when, 11), "second.come@example.org")
    sign_in_as_staff(page, stack)

    row_of(page, request_id).get_by_role("button", name="Approve").click()
    dialog = page.locator("#decide-dialog")
    dialog.get_by_label("Clinician", exact=True).select_option(label="Sam Okafor, LCSW")
    dialog.get_by_role("button", name="Confirm Approval").click()
    dialog.get_by_role("alert").wait_for()
    assert "no longer available" in dialog.inner_text()
    dialog.get_by_role("button", name="Go Back").click()
    assert row_of(page, request_id).is_visible()
    assert decided(stack, staff_token, "pending", request_id)["clinicianId"] == "c-rivera"


# ---- clients and their portal accounts --------------------------------------------------------


def client_row(page: Any, name: str) -> Any:
    return page.locator("#clients-rows tr").filter(has=page.get_by_text(name, exact=True))


def fill_client(page: Any, first: str, last: str, born: str, email: str, phone: str) -> Any:
    form = page.locator("#client-form")
    for label, value in (
        ("First Name", first),
        ("Last Name", last),
        ("Date of Birth", born),
        ("Email", email),
        ("Mobile Phone", phone),
    ):
        form.get_by_label(label).fill(value)
    return form


def test_staff_add_a_client_who_gets_the_portal_invitation(page, stack, staff_token):
    sign_in_as_staff(page, stack)
    form = fill_client(page, "Amara", "Okonkwo", "1988-05-17", "amara.okonkwo@example.org", "+1 617 555 0177")
    assert form.get_by_label("Invite to the Client Portal now").is_checked()
    form.get_by_role("button", name="Add Client").click()

    page.locator("#client-added").get_by_text("emailed the Client Portal invitation").wait_for()
    row = client_row(page, "Amara Okonkwo")
    assert row.get_by_text("Has an account").is_visible()
    assert row.get_by_text("1988-05-17").is_visible()
    assert form.get_by_label("First Name").input_value() == ""
    [invitation] = outbox(stack, "amara.okonkwo@example.org", 1)
    assert "temporary password" in invitation["text"]

    stored = http(stack, "GET", "/staff/clients", token=staff_token)["clients"]
    [amara] = [c for c in stored if c["email"] == "amara.okonkwo@example.org"]
    assert amara["hasAccount"] is True
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#clients").screenshot(path=str(ARTIFACTS / "staff-clients.png"))


def test_a_client_added_without_invitation_is_invited_later(page, stack, staff_token):
    sign_in_as_staff(page, stack)
    form = fill_client(page, "Tomasz", "Wójcik", "1970-12-01", "tomasz@example.org", "+1 617 555 0190")
    form.get_by_label("Invite to the Client Portal now").uncheck()
    form.get_by_role("button", name="Add Client").click()

    row = client_row(page, "Tomasz Wójcik")
    invite = row.get_by_role("button", name="Invite to Portal")
    invite.wait_for()
    assert outbox(stack, "tomasz@example.org", 1, timeout=0.5) == []

    invite.click()
    row.get_by_text("Has an account").wait_for()
    page.locator("#clients-messages").get_by_text("is invited").wait_for()
    assert len(outbox(stack, "tomasz@example.org", 1)) == 1
    stored = http(stack, "GET", "/staff/clients", token=staff_token)["clients"]
    assert [c["hasAccount"] for c in stored if c["email"] == "tomasz@example.org"] == [True]


def test_a_missing_detail_is_explained_and_nobody_is_added(page, stack, staff_token):
    sign_in_as_staff(page, stack)
    before = len(http(stack, "GET", "/staff/clients", token=staff_token)["clients"])
    form = fill_client(page, "Lea", "Berg", "1991-03-09", "not-an-email", "+1 617 555 0111")
    form.get_by_role("button", name="Add Client").click()
    page.locator("#client-form-messages").get_by_text("Email: ").wait_for()  # the server's answer
    assert form.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "client-email"
    described = form.get_by_label("Email").get_attribute("aria-describedby")
    assert page.locator(f"#{described}").inner_text().startswith("Email: ")
    assert len(http(stack, "GET", "/staff/clients", token=staff_token)["clients"]) == before

    form.get_by_label("Mobile Phone").fill("")
    form.get_by_label("Email").fill("lea@example.org")
    form.get_by_role("button", name="Add Client").click()
    page.locator("#client-form-messages").get_by_text("Enter the client's mobile phone.").wait_for()
    assert form.get_by_label("Mobile Phone").get_attribute("aria-invalid") == "true"
    assert form.get_by_label("Email").get_attribute("aria-invalid") is None  # fixed since
    assert len(http(stack, "GET", "/staff/clients", token=staff_token)["clients"]) == before


def test_a_new_client_from_the_queue_is_added_with_the_requests_details(page, stack, staff_token):
    email = "ines.moreau@example.org"
    request_id = request_appointment(stack, at(day(4), 9), email, firstName="Ines", lastName="Moreau")
    sign_in_as_staff(page, stack)
    row_of(page, request_id).get_by_role("button", name="Add to Clients").click()
    form = page.locator("#client-form")
    assert form.get_by_label("First Name").input_value() == "Ines"
    assert form.get_by_label("Email").input_value() == "ines.moreau@example.org"
    form.get_by_label("Invite to the Client Portal now").uncheck()
    form.get_by_role("button", name="Add Client").click()

    client_row(page, "Ines Moreau").wait_for()
    # On the list now: the queue no longer offers to add her.
    assert row_of(page, request_id).get_by_text("ines.moreau@example.org").is_visible()
    assert row_of(page, request_id).get_by_role("button", name="Add to Clients").count() == 0
    stored = http(stack, "GET", "/staff/clients", token=staff_token)["clients"]
    assert [c["lastName"] for c in stored if c["email"] == "ines.moreau@example.org"] == ["Moreau"]


# ---- appointment types and new clinicians ----------------------------------------------------


@pytest.fixture
def restored_practice(stack: Any, staff_token: str) -> Iterator[None]:
    """Types and clinicians as they were: added ones are taken out of the portal (nothing is
    deleted: appointments may name them)."""
    listed = http(stack, "GET", "/staff/appointment-types", token=staff_token)["appointmentTypes"]
    types = {t["id"]: t for t in listed}
    staff = http(stack, "GET", "/staff/clinicians", token=staff_token)["clinicians"]
    clinicians = {c["id"]: c for c in staff}
    yield
    for found in http(stack, "GET", "/staff/appointment-types", token=staff_token)["appointmentTypes"]:
        body = {
            k: v
            for k, v in types.get(found["id"], {**found, "active": False}).items()
            if k not in ("id", "etag")
        }
        http(stack, "PUT", f"/staff/appointment-types/{found['id']}", body, token=staff_token)
    for found in http(stack, "GET", "/staff/clinicians", token=staff_token)["clinicians"]:
        before = clinicians.get(found["id"], {**found, "shownInPortal": False})
        body = {k: v for k, v in before.items() if k not in ("id", "etag")}
        http(stack, "PUT", f"/staff/clinicians/{found['id']}", body, token=staff_token)


def portal_types(stack: Any, client_type: str) -> dict[str, list[str]]:
    """The portal's clinicians for a kind of client, with the names of the types they offer."""
    found = http(stack, "GET", f"/clinicians?clientType={client_type}")["clinicians"]
    names = {t["id"]: t["name"] for t in http(stack, "GET", "/portal")["appointmentTypes"]}
    return {c["name"]: sorted(names.get(t, t) for t in c["appointmentTypeIds"]) for c in found}


def test_a_new_appointment_type_offered_by_a_clinician_reaches_the_portal(page, stack, restored_practice):
    sign_in_as_staff(page, stack)
    form = page.locator("#type-form")
    form.get_by_label("Name").fill("Couples Session")
    form.get_by_label("Length (minutes)").fill("80")
    form.get_by_label("For").select_option(label="Existing clients")
    form.get_by_role("button", name="Add Appointment Type").click()
    page.locator("#type-added").get_by_text("Added Couples Session").wait_for()
    added = page.locator("#types-rows").get_by_label("Name of Couples Session")
    assert added.input_value() == "Couples Session"

    page.locator("#clinicians").get_by_label("Clinician", exact=True).select_option(label="Mei Chen, LMFT")
    page.locator("#clinician-form").get_by_label("Couples Session").check()
    page.locator("#clinician-form").get_by_role("button", name="Save Clinician").click()
    page.locator("#clinician-saved", has_text="Saved").wait_for()

    offered = portal_types(stack, "existing")
    assert "Couples Session" in offered["Mei Chen, LMFT"]
    assert all("Couples Session" not in types for name, types in offered.items() if name != "Mei Chen, LMFT")
    assert not any("Couples Session" in types for types in portal_types(stack, "new").values())


def test_a_type_taken_out_of_the_portal_is_no_longer_offered(page, stack, restored_practice):
    assert any("Therapy Session" in types for types in portal_types(stack, "existing").values())
    sign_in_as_staff(page, stack)
    row = page.locator('#types-rows tr[data-type-id="session"]')
    row.get_by_label("Offered").uncheck()
    row.get_by_role("button", name="Save Therapy Session").click()
    page.locator("#types-messages").get_by_text("Saved Therapy Session.").wait_for()
    assert not any("Therapy Session" in types for types in portal_types(stack, "existing").values())

    row.get_by_label("Length in minutes of Therapy Session").fill("5")
    row.get_by_role("button", name="Save Therapy Session").click()
    page.locator("#types-messages").get_by_text("from 15 to 240").wait_for()
    token = token_for(stack, *STAFF)
    stored = http(stack, "GET", "/staff/appointment-types", token=token)["appointmentTypes"]
    assert [t["durationMinutes"] for t in stored if t["id"] == "session"] == [50]


def test_a_new_clinician_with_hours_is_offered_in_the_portal(page, stack, restored_practice):
    sign_in_as_staff(page, stack)
    page.get_by_label("New clinician's name").fill("Jordan Ellis, LPC")
    page.get_by_role("button", name="Add Clinician").click()
    clinicians = page.locator("#clinician-form")
    page.locator("#clinician-messages").get_by_text("Added Jordan Ellis, LPC.").wait_for()
    assert clinicians.get_by_label("Name").input_value() == "Jordan Ellis, LPC"
    assert "Jordan Ellis, LPC" not in portal_types(stack, "existing")  # no types, so not offered yet

    clinicians.get_by_label("Therapy Session").check()
    clinicians.get_by_label("Tuesday").fill("10:00-14:00")
    clinicians.get_by_role("button", name="Save Clinician").click()
    page.locator("#clinician-saved", has_text="Saved").wait_for()

    assert portal_types(stack, "existing")["Jordan Ellis, LPC"] == ["Therapy Session"]
    shown = http(stack, "GET", "/clinicians?clientType=existing")["clinicians"]
    [jordan] = [c for c in shown if c["name"] == "Jordan Ellis, LPC"]
    tuesday = day(1, 3)
    slots = http(
        stack,
        "GET",
        f"/availability?clientType=existing&clinicianId={jordan['id']}&from={tuesday}&to={tuesday}",
    )["slots"]
    assert [datetime.fromisoformat(s["start"]).astimezone(NY).hour for s in slots] == [10, 11, 12, 13]


def test_an_email_already_on_the_list_is_asked_about_once(page, stack, staff_token):
    sign_in_as_staff(page, stack)
    form = fill_client(page, "Sam", "Jordan", "2012-09-30", "client@demo.test", "+1 617 555 0123")
    form.get_by_label("Invite to the Client Portal now").uncheck()
    form.get_by_role("button", name="Add Client").click()
    page.locator("#client-form-messages").get_by_text("already on the client list with this email").wait_for()
    emails = [c["email"] for c in http(stack, "GET", "/staff/clients", token=staff_token)["clients"]]
    assert emails.count("client@demo.test") == 1

    form.get_by_role("button", name="Add Client").click()  # a family sharing an address
    client_row(page, "Sam Jordan").wait_for()
    emails = [c["email"] for c in http(stack, "GET", "/staff/clients", token=staff_token)["clients"]]
    assert emails.count("client@demo.test") == 2


def test_a_failed_invitation_says_so_and_offers_it_again(page, stack, staff_token):
    sign_in_as_staff(page, stack)
    form = fill_client(page, "Front", "Desk", "1980-01-01", "staff@demo.test", "+1 617 555 0199")
    form.get_by_role("button", name="Add Client").click()

    page.locator("#clients-messages").get_by_text("is added, but the invitation failed").wait_for()
    assert "staff account" in page.locator("#clients-messages").inner_text()
    row = client_row(page, "Front Desk")
    invite = row.get_by_role("button", name="Invite to Portal")
    assert invite.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Invite to Portal"
    stored = http(stack, "GET", "/staff/clients", token=staff_token)["clients"]
    assert [c["hasAccount"] for c in stored if c["lastName"] == "Desk"] == [False]


def test_adding_a_type_never_replaces_one_another_session_added(page, stack, staff_token, restored_practice):
    sign_in_as_staff(page, stack)
    # Meanwhile, on another computer, the same name is added (the id the page would choose).
    theirs = {"name": "Couples Session", "durationMinutes": 80, "clientType": "existing"}
    http(stack, "PUT", "/staff/appointment-types/couples-session", theirs, token=staff_token)

    form = page.locator("#type-form")
    form.get_by_label("Name").fill("Couples Session")
    form.get_by_label("Length (minutes)").fill("90")
    form.get_by_role("button", name="Add Appointment Type").click()
    page.locator("#type-added").get_by_text("Added Couples Session").wait_for()

    stored = http(stack, "GET", "/staff/appointment-types", token=staff_token)["appointmentTypes"]
    couples = {t["id"]: t["durationMinutes"] for t in stored if t["name"] == "Couples Session"}
    assert couples == {"couples-session": 80, "couples-session-2": 90}


def test_saving_a_type_keeps_the_keyboard_on_its_row_and_other_rows_edits(page, stack, restored_practice):
    sign_in_as_staff(page, stack)
    intake = page.locator('#types-rows tr[data-type-id="intake"]')
    intake.get_by_label("Name of Therapy Intake").fill("First Visit (typed, not saved)")
    session = page.locator('#types-rows tr[data-type-id="session"]')
    session.get_by_label("Length in minutes of Therapy Session").fill("55")
    session.get_by_role("button", name="Save Therapy Session").focus()
    page.keyboard.press("Enter")
    page.locator("#types-messages").get_by_text("Saved Therapy Session.").wait_for()

    assert page.evaluate("document.activeElement.textContent") == "Save Therapy Session"
    assert intake.get_by_label("Name of Therapy Intake").input_value() == "First Visit (typed, not saved)"


def test_a_panel_that_cannot_load_leaves_the_others_working(page, stack):
    body = json.dumps({"error": {"code": "unavailable", "message": "Please try again in a moment."}})
    page.route(
        "**/staff/clients",
        lambda route: (
            route.fulfill(status=503, content_type="application/json", body=body)
            if route.request.method == "GET"
            else route.continue_()
        ),
    )
    sign_in_as_staff(page, stack)
    page.locator("#messages").get_by_text("Please try again in a moment.").wait_for()
    assert page.locator("#clients-summary").inner_text() == "The client list could not be loaded."
    assert page.locator('#types-rows tr[data-type-id="session"]').is_visible()
    assert page.locator("#clinician-form").get_by_label("Name").input_value() != ""


def test_settings_saved_meanwhile_by_someone_else_are_never_overwritten(
    page, stack, staff_token, restored_settings
):
    # Given the settings open on the page, and another staff member turning cancelling off meanwhile
    sign_in_as_staff(page, stack)
    http(stack, "PATCH", "/staff/settings", {"scheduling": {"cancel": False}}, token=staff_token)

    # When this page saves its own change
    settings = page.locator("#settings-form")
    settings.get_by_label("Minimum notice (hours)").fill("36")
    settings.get_by_role("button", name="Save Settings").click()

    # Then it is refused, says so, and offers to reload; the other change stands
    page.locator("#settings-messages").get_by_text("Someone else saved a change").wait_for()
    portal = http(stack, "GET", "/portal")["scheduling"]
    assert (portal["minimumNoticeHours"], portal["cancel"]) == (24, False)

    no_accessibility_violations(page)

    # And after Reload (by keyboard) the page shows the other change, and saving works
    reload = page.locator("#settings-messages").get_by_role("button", name="Reload")
    reload.focus()
    page.keyboard.press("Enter")
    page.locator("#messages").get_by_text("Reloaded").wait_for()
    assert not settings.get_by_label("Clients may cancel").is_checked()
    settings.get_by_label("Minimum notice (hours)").fill("36")
    settings.get_by_role("button", name="Save Settings").click()
    page.locator("#settings-saved", has_text="Saved").wait_for()
    portal = http(stack, "GET", "/portal")["scheduling"]
    assert (portal["minimumNoticeHours"], portal["cancel"]) == (36, False)

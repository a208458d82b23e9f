"""What the portal's browser tests share: opening the page, signing in, the date of birth."""

from __future__ import annotations

from typing import Any


def visit(page: Any, url: str) -> None:
    page.goto(url)
    page.locator("body[data-ready]").wait_for(state="attached")


def sign_in(page: Any, email: str, password: str) -> None:
    page.get_by_role("button", name="Sign In").first.click()
    page.locator("#sign-in-form").get_by_label("Email").fill(email)
    page.locator("#sign-in-form").get_by_label("Password", exact=True).fill(password)
    page.locator("#sign-in-form").get_by_role("button", name="Sign In").click()


def fill_date_of_birth(form: Any, date: str) -> None:
    """Types a date (YYYY-MM-DD) into the request form's three fields as a person would: 4 27 1990."""
    year, month, day = date.split("-")
    group = form.get_by_role("group", name="Date of Birth")
    group.get_by_label("Month").fill(str(int(month)))
    group.get_by_label("Day").fill(str(int(day)))
    group.get_by_label("Year").fill(year)

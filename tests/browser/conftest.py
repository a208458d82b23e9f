"""Browser tests: Playwright driving chromium against the local stack on a free port: Debian's,
or Playwright's own build, whichever `make test` found or installed (tests/browser/provision.py).
Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from functions.local.provision import CLIENT, STAFF
from functions.local.stack import LocalStack
from tests.browser import provision
from tests.browser.staff import http, token_for

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    running = LocalStack(port=0, state_file=None, pump_interval=0.1).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    machine = provision.Machine()
    found = provision.find(machine)
    if found is None:
        pytest.fail(provision.missing(machine), pytrace=False)
    with sync_playwright() as playwright:
        if found.executable:  # a system chromium: its own new headless mode
            launched = playwright.chromium.launch(
                executable_path=found.executable, args=["--headless=new", *ARGS]
            )
        else:
            launched = playwright.chromium.launch(args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def staff_token(stack: LocalStack) -> str:
    return token_for(stack, *STAFF)


@pytest.fixture
def restored_settings(stack: LocalStack, staff_token: str) -> Iterator[dict[str, Any]]:
    """The practice's settings as they were before the test, put back after it."""
    before = http(stack, "GET", "/staff/settings", token=staff_token)
    yield before
    http(stack, "PATCH", "/staff/settings", before, token=staff_token)


@pytest.fixture
def page(browser: Any, stack: LocalStack) -> Iterator[Any]:
    yield from _watched_page(browser.new_context(viewport={"width": 1200, "height": 900}))


@pytest.fixture
def phone(browser: Any, stack: LocalStack) -> Iterator[Any]:
    """A page on a phone: 390x844 CSS pixels (an iPhone 12 to 15), a touch screen, the mobile
    viewport (the page's <meta name="viewport"> honoured)."""
    yield from _watched_page(
        browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=1
        )
    )


def _watched_page(context: Any) -> Iterator[Any]:
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    errors: list[str] = []
    uncaught: list[str] = []
    opened.on("pageerror", lambda error: uncaught.append(f"{error}\n{error.stack}"))
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield opened
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    # A page's script never fails unseen (a module that did not load, a name it lacks).
    assert not uncaught, uncaught


@pytest.fixture
def website(stack: Any, tmp_path: Path) -> Iterator[str]:
    """A plain practice website on another origin with the one-line button."""
    (tmp_path / "index.html").write_text(
        '<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Harbor Counseling</title><h1>Harbor Counseling</h1>"
        f'<p>Book online:</p><script src="{stack.url}/embed.js"></script>',
        encoding="utf-8",
    )
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def outbox(stack: LocalStack, address: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{stack.url}/dev/outbox", timeout=10) as answer:
            found = [e for e in json.load(answer)["emails"] if address in e["to"]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


__all__ = ["ARTIFACTS", "CLIENT", "STAFF", "outbox", "screenshot"]

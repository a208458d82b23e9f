"""The browser the browser tests drive, found or installed the first time `make test` needs one
(`make browser`, which `make test` runs before the tests; `python -m tests.browser.provision`).

In this order:
- a browser already there: the one this step installed before (its record in the virtual
  environment), `$CHROMIUM`, `chromium` on the PATH, or Playwright's own build;
- else, as root on Debian or Ubuntu: Debian's `chromium` package (apt-get);
- else (or if apt-get failed): Playwright's own build (`playwright install chromium`), which works
  wherever its download site is reachable;
- else it fails at once, with one sentence naming the command to run.
It says in one line what it installs, and nothing when there is nothing to install.

`HIDE_INSTALLED_BROWSER=1` (`.ci/fresh-clone-test --no-browser`) makes it, and the browser
tests, behave as on a machine without a browser: none that was there before this step is used,
only what the step itself installs (and records).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

HIDE = "HIDE_INSTALLED_BROWSER"
RECORD = Path(sys.prefix) / "browser.json"
Installer = Literal["apt", "playwright"]
APT: Installer = "apt"
PLAYWRIGHT: Installer = "playwright"


@dataclass(frozen=True)
class Browser:
    """What to launch: a chromium executable, or (None) Playwright's own build."""

    executable: str | None

    @property
    def described(self) -> str:
        return self.executable or "Playwright's own chromium"


def playwright_build() -> str | None:
    """The executable of Playwright's own chromium, if it is installed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if path and Path(path).is_file() else None


@dataclass(frozen=True)
class Machine:
    """What the decision depends on (the real machine by default; tests give another)."""

    os_release: Path = Path("/etc/os-release")
    euid: int = field(default_factory=os.geteuid)
    path: str | None = field(default_factory=lambda: os.environ.get("PATH"))
    chromium: str | None = field(default_factory=lambda: os.environ.get("CHROMIUM"))
    hidden: bool = field(default_factory=lambda: os.environ.get(HIDE) == "1")
    record: Path = RECORD
    playwright: tuple[str, ...] = (sys.executable, "-m", "playwright")
    playwright_build: Callable[[], str | None] = playwright_build

    def debian_like(self) -> bool:
        try:
            text = self.os_release.read_text(encoding="utf-8")
        except OSError:
            return False
        ids: list[str] = []
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key in ("ID", "ID_LIKE"):
                ids += value.strip().strip("\"'").split()
        return bool({"debian", "ubuntu"} & set(ids))


def plan(machine: Machine) -> list[Installer]:
    """The installers to try, in order."""
    apt = machine.debian_like() and machine.euid == 0 and shutil.which("apt-get", path=machine.path)
    return [APT, PLAYWRIGHT] if apt else [PLAYWRIGHT]


def find(machine: Machine) -> Browser | None:
    """The browser to use, if there is one (see the module's docstring)."""
    try:
        recorded = json.loads(machine.record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    if isinstance(recorded, dict):
        executable = recorded.get("executable")
        if executable is None and machine.playwright_build() is not None:
            return Browser(None)
        if isinstance(executable, str) and os.access(executable, os.X_OK):
            return Browser(executable)
    if machine.hidden:
        return None
    if machine.chromium and os.access(machine.chromium, os.X_OK):
        return Browser(machine.chromium)
    found = shutil.which("chromium", path=machine.path)
    if found:
        return Browser(found)
    return Browser(None) if machine.playwright_build() is not None else None


def missing(machine: Machine) -> str:
    """The one sentence that says what to run when no browser could be had."""
    if machine.debian_like():
        return (
            "No browser for the browser tests, and none could be installed: run `sudo apt-get install "
            "chromium` (or `.venv/bin/python -m playwright install chromium`), then `make test` again."
        )
    return (
        "No browser for the browser tests, and none could be installed: run `.venv/bin/python -m "
        "playwright install chromium` where its download site is reachable (or install Chromium and set "
        "CHROMIUM to its path), then `make test` again."
    )


_SAYS = {
    APT: "browser tests: installing Debian's chromium (apt-get install chromium)",
    PLAYWRIGHT: "browser tests: installing Playwright's own chromium (playwright install chromium)",
}


def _install(installer: Installer, machine: Machine) -> Browser | None:
    env = {**os.environ, "PATH": machine.path or "", "DEBIAN_FRONTEND": "noninteractive"}
    if installer == APT:
        commands = [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]]
    else:
        commands = [[*machine.playwright, "install", "chromium"]]
    for command in commands:
        try:
            done = subprocess.run(  # noqa: S603
                command, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=900
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0:
            return None
    if installer == APT:
        found = shutil.which("chromium", path=machine.path)
        return Browser(found) if found else None
    return Browser(None) if machine.playwright_build() is not None else None


def ensure(machine: Machine, say: Callable[[str], None] = print) -> Browser | None:
    """The browser, installing one if there is none; None when none could be had."""
    found = find(machine)
    if found is not None:
        return found
    for installer in plan(machine):
        say(_SAYS[installer])
        installed = _install(installer, machine)
        if installed is not None:
            machine.record.parent.mkdir(parents=True, exist_ok=True)
            machine.record.write_text(json.dumps({"executable": installed.executable}), encoding="utf-8")
            return installed
    return None


def main() -> int:
    machine = Machine()
    if ensure(machine) is None:
        print(missing(machine), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

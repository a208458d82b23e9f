"""How `make test` gets the browser tests their browser (tests/browser/provision.py), on stand-in
machines: an os-release file, a PATH of fake apt-get, chromium and playwright commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.browser import provision

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\n'
# The stand-in PATH holds only the fake commands.
CHMOD, TOUCH = shutil.which("chmod"), shutil.which("touch")


def _command(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    command = folder / name
    command.write_text(f'#!/bin/sh\necho {name} "$@" >> {folder.parent}/calls\n{body}\n')
    command.chmod(0o755)
    return command


def machine(
    tmp_path: Path, os_release: str | None = DEBIAN, *, euid: int = 0, **given: Any
) -> provision.Machine:
    """A machine with nothing installed unless given: no chromium, no Playwright build."""
    release = tmp_path / "os-release"
    if os_release is not None:
        release.write_text(os_release)
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    defaults: dict[str, Any] = {
        "os_release": release,
        "euid": euid,
        "path": str(bin_),
        "chromium": None,
        "hidden": False,
        "record": tmp_path / "venv" / "browser.json",
        "playwright": (str(tmp_path / "bin" / "playwright"),),
        "playwright_build": lambda: None,
    }
    return provision.Machine(**{**defaults, **given})


def apt_get(tmp_path: Path, works: bool = True) -> None:
    """A fake apt-get: `install chromium` puts a chromium on the PATH (or fails)."""
    chromium = tmp_path / "bin" / "chromium"
    install = f"printf '#!/bin/sh\\n' > {chromium}; {CHMOD} +x {chromium}" if works else "exit 100"
    _command(tmp_path / "bin", "apt-get", f'if [ "$1" = install ]; then {install}; fi')


def calls(tmp_path: Path) -> list[str]:
    path = tmp_path / "calls"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize(
    ("os_release", "euid", "with_apt", "expected"),
    [
        pytest.param(DEBIAN, 0, True, ["apt", "playwright"], id="debian-root"),
        pytest.param(UBUNTU, 0, True, ["apt", "playwright"], id="ubuntu-root"),
        pytest.param(MINT, 0, True, ["apt", "playwright"], id="ubuntu-like-root"),
        pytest.param(DEBIAN, 1000, True, ["playwright"], id="debian-not-root"),
        pytest.param(DEBIAN, 0, False, ["playwright"], id="debian-root-without-apt-get"),
        pytest.param(FEDORA, 0, False, ["playwright"], id="fedora"),
        pytest.param(None, 0, True, ["playwright"], id="no-os-release"),
    ],
)
def test_which_installers_are_tried(tmp_path, os_release, euid, with_apt, expected):
    if with_apt:
        apt_get(tmp_path)
    assert provision.plan(machine(tmp_path, os_release, euid=euid)) == expected


def test_a_browser_already_there_is_used_and_nothing_is_installed(tmp_path):
    # Given chromium on the PATH, and apt-get that would install it
    apt_get(tmp_path)
    chromium = _command(tmp_path / "bin", "chromium", "")
    said: list[str] = []

    # When the browser step runs
    found = provision.ensure(machine(tmp_path), said.append)

    # Then it is that chromium, nothing was installed and nothing was said
    assert found == provision.Browser(str(chromium))
    assert said == []
    assert calls(tmp_path) == []


def test_debian_as_root_installs_debians_chromium_saying_so_in_one_line(tmp_path):
    # Given Debian, root, and no chromium
    apt_get(tmp_path)
    said: list[str] = []
    debian = machine(tmp_path)

    # When the browser step runs
    found = provision.ensure(debian, said.append)

    # Then apt-get installed chromium, one line said so, and it is the browser from then on
    assert calls(tmp_path) == ["apt-get update -qq", "apt-get install -y -qq chromium"]
    assert said == ["browser tests: installing Debian's chromium (apt-get install chromium)"]
    assert found == provision.Browser(str(tmp_path / "bin" / "chromium"))
    assert json.loads(debian.record.read_text()) == {"executable": str(tmp_path / "bin" / "chromium")}
    assert provision.ensure(debian, said.append) == found
    assert len(said) == 1


def test_hidden_browsers_are_not_used_only_what_the_step_installs(tmp_path):
    # Given a chromium that is there, $CHROMIUM naming it, and a Playwright build, all hidden
    apt_get(tmp_path)
    chromium = _command(tmp_path / "bin", "chromium", "")
    hidden = machine(tmp_path, hidden=True, chromium=str(chromium), playwright_build=lambda: "/pw/chrome")
    assert provision.find(hidden) is None
    said: list[str] = []

    # When the browser step runs
    found = provision.ensure(hidden, said.append)

    # Then it installs one as on a machine without a browser, and the tests use what it installed
    assert said == ["browser tests: installing Debian's chromium (apt-get install chromium)"]
    assert "apt-get install -y -qq chromium" in calls(tmp_path)
    assert found == provision.Browser(str(chromium))
    assert provision.find(hidden) == found


def test_elsewhere_playwrights_own_chromium_is_installed(tmp_path):
    # Given a machine that is not Debian, where Playwright's download works
    _command(tmp_path / "bin", "playwright", f"{TOUCH} {tmp_path}/pw-installed")

    def build() -> str | None:
        return "/pw/chrome" if (tmp_path / "pw-installed").exists() else None

    fedora = machine(tmp_path, FEDORA, playwright_build=build)
    said: list[str] = []

    # When the browser step runs
    found = provision.ensure(fedora, said.append)

    # Then Playwright installed its chromium, one line said so, and the tests launch Playwright's own
    assert calls(tmp_path) == ["playwright install chromium"]
    assert said == ["browser tests: installing Playwright's own chromium (playwright install chromium)"]
    assert found == provision.Browser(None)
    assert provision.find(fedora) == provision.Browser(None)


def test_when_apt_get_fails_playwright_is_tried(tmp_path):
    apt_get(tmp_path, works=False)
    _command(tmp_path / "bin", "playwright", f"{TOUCH} {tmp_path}/pw-installed")
    debian = machine(
        tmp_path, playwright_build=lambda: "/pw" if (tmp_path / "pw-installed").exists() else None
    )
    said: list[str] = []

    assert provision.ensure(debian, said.append) == provision.Browser(None)
    assert [c.split()[0] for c in calls(tmp_path)] == ["apt-get", "apt-get", "playwright"]
    assert len(said) == 2


@pytest.mark.parametrize(
    ("os_release", "euid", "command"),
    [
        pytest.param(DEBIAN, 0, "sudo apt-get install chromium", id="debian"),
        pytest.param(DEBIAN, 1000, "sudo apt-get install chromium", id="debian-not-root"),
        pytest.param(FEDORA, 1000, ".venv/bin/python -m playwright install chromium", id="fedora"),
    ],
)
def test_where_nothing_works_it_fails_at_once_naming_the_command(tmp_path, capsys, os_release, euid, command):
    # Given a machine where neither apt-get nor Playwright's download works
    apt_get(tmp_path, works=False)
    _command(tmp_path / "bin", "playwright", "echo 'Failed to download' >&2; exit 1")
    nowhere = machine(tmp_path, os_release, euid=euid)

    # When the browser step runs
    assert provision.ensure(nowhere, lambda _: None) is None
    sentence = provision.missing(nowhere)

    # Then one sentence names the command to run
    assert command in sentence
    assert sentence.count(". ") == 0
    assert sentence.endswith(".")
    assert not nowhere.record.exists()


def test_the_step_fails_with_that_sentence_and_exit_code(tmp_path, monkeypatch, capsys):
    apt_get(tmp_path, works=False)
    _command(tmp_path / "bin", "playwright", "exit 1")
    nowhere = machine(tmp_path)
    monkeypatch.setattr(provision, "Machine", lambda: nowhere)

    assert provision.main() == 1

    captured = capsys.readouterr()
    assert captured.err.strip() == provision.missing(nowhere)

"""`make run` as a developer runs it against an AWS endpoint of their own (moto's server, started
separately, whose concurrent transactions stream records of writes it then rolls back): a burst
of requests for one time, approvals, a reschedule and a cancellation, with every email the help
article promises observed at SES within 10 seconds, exactly once; and a stop within 5 seconds of
the signal, even once the endpoint has gone away."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.local.provision import CLIENT, STAFF
from functions.local.token import id_token
from tests.integration.conftest import next_weekday

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.slow


class Running:
    """A process whose output is read as it comes."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the project's own commands
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in:\n" + "\n".join(self.lines[-40:]))

    def gone(self) -> bool:
        """Whether the process and everything it started have ended."""
        if self.process.poll() is None:
            return False
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def kill(self) -> None:
        if not self.gone():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def endpoint() -> Iterator[tuple[str, Running]]:
    running = Running([sys.executable, "-m", "tests.local.endpoint"], dict(os.environ))
    url = running.wait_for(r"listening (\S+)").group(1)
    yield url, running
    running.kill()


@pytest.fixture
def stack(endpoint: tuple[str, Running]) -> Iterator[tuple[str, Running]]:
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint[0], "TABLE_NAME": "client-portal-local"}
    running = Running(["make", "--no-print-directory", "run", "PORT=0"], env)
    url = running.wait_for(r"API gateway\s+(http://\S+)\s+listening").group(1)
    yield url, running
    running.kill()


def http(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, method=method
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def sent(endpoint: str) -> Counter[tuple[str, str]]:
    """(recipient, subject without the practice's name) of every email SES accepted, counted."""
    with urllib.request.urlopen(f"{endpoint}/_sent", timeout=10) as answer:
        emails = json.loads(answer.read())
    return Counter((to, e["subject"].split(" - ")[0]) for e in emails for to in e["to"])


def person(i: int) -> dict[str, str]:
    return {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "dateOfBirth": "1990-04-01",
        "email": f"burst{i}@example.org",
        "mobilePhone": f"+1 617 555 01{i:02d}",
    }


RECEIVED = "New appointment request awaiting review"
CONFIRMED = "Your appointment is confirmed"


def test_every_promised_email_arrives_once_within_10_seconds_and_the_stack_stops_in_5(endpoint, stack):
    aws_url, aws_process = endpoint
    url, running = stack
    staff = id_token(url, *STAFF)
    client = id_token(url, *CLIENT)
    day = next_weekday(weeks_ahead=2)

    # Given a time everybody wants, and two more times
    _, open_ = http("GET", f"{url}/availability?clientType=new&from={day}&to={day}&clinicianId=c-rivera")
    wanted, *others = [s["start"] for s in open_["slots"]][:3]

    # When 16 people ask for the same time at once
    def ask(i: int) -> tuple[int, Any]:
        body = {
            "clientType": "new",
            "clinicianId": "c-rivera",
            "appointmentTypeId": "intake",
            "start": wanted,
        }
        return http("POST", f"{url}/requests", {**body, **person(i)})

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(16)))

    # Then exactly one gets the time
    assert sorted(status for status, _ in answers) == [201] + [409] * 15
    winner = next(i for i, (status, _) in enumerate(answers) if status == 201)

    # And when staff approve it and two more requests, and the demo client reschedules, then cancels
    made = [answers[winner][1]["request"]["id"]]
    for n, start in enumerate(others, start=16):
        body = {"clientType": "new", "clinicianId": "c-rivera", "appointmentTypeId": "intake", "start": start}
        status, answer = http("POST", f"{url}/requests", {**body, **person(n)})
        assert status == 201, answer
        made.append(answer["request"]["id"])
    for request_id in made:
        assert http("POST", f"{url}/staff/requests/{request_id}/approve", {}, staff)[0] == 200
    _, mine = http("GET", f"{url}/me/appointments", token=client)
    appointment = mine["next"]
    _, open_ = http(
        "GET",
        f"{url}/availability?clientType=existing&from={day}&to={day}&clinicianId={appointment['clinicianId']}",
    )
    move = next(s["start"] for s in open_["slots"] if s["start"] not in (wanted, *others))
    status, asked = http(
        "POST", f"{url}/me/appointments/{appointment['id']}/reschedule", {"start": move}, client
    )
    assert status == 201, asked
    assert http("POST", f"{url}/staff/requests/{asked['request']['id']}/approve", {}, staff)[0] == 200
    status, asked = http("POST", f"{url}/me/appointments/{appointment['id']}/cancel", {}, client)
    assert status == 201, asked
    assert http("POST", f"{url}/staff/requests/{asked['request']['id']}/approve", {}, staff)[0] == 200
    done = time.monotonic()

    # Then every promised email reaches SES within 10 seconds
    expected = Counter(
        {
            ("frontdesk@demo.test", RECEIVED): 6,  # the demo's own request, 3 new ones, reschedule, cancel
            (f"burst{winner}@example.org", CONFIRMED): 1,
            ("burst16@example.org", CONFIRMED): 1,
            ("burst17@example.org", CONFIRMED): 1,
            (CLIENT[0], CONFIRMED): 1,  # the demo appointment, confirmed when the stack was provisioned
            (CLIENT[0], "Your appointment has been rescheduled"): 1,
            (CLIENT[0], "Your appointment has been cancelled"): 1,
        }
    )
    while sent(aws_url) != expected and time.monotonic() - done < 10:
        time.sleep(0.1)
    print(f"every email at SES {time.monotonic() - done:.1f} s after the last change")
    assert sent(aws_url) == expected, "\n".join(
        line for line in running.lines if "notify" in line or "pump" in line or "Error" in line
    )
    # and exactly once: nothing more arrives, none of the 15 refused is written to, nothing stays claimed
    time.sleep(2)
    assert sent(aws_url) == expected
    table = boto3.client("dynamodb", endpoint_url=aws_url, region_name="us-east-1")
    items = table.scan(TableName="client-portal-local")["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith("SENT#") and i["state"]["S"] == "sending"]

    # When the endpoint goes away and the stack is told to stop
    aws_process.kill()
    time.sleep(1)
    os.kill(running.process.pid, signal.SIGTERM)
    stopping = time.monotonic()
    while not running.gone() and time.monotonic() - stopping < 8:
        time.sleep(0.05)

    # Then it is gone within 5 seconds
    assert running.gone(), "\n".join(running.lines[-20:])
    assert time.monotonic() - stopping < 5


def test_ctrl_c_stops_the_stack_within_5_seconds(stack):
    # Given `make run` serving
    url, running = stack
    assert http("GET", f"{url}/portal")[0] == 200

    # When Ctrl-C reaches it (SIGINT to the terminal's process group)
    os.killpg(running.process.pid, signal.SIGINT)
    stopping = time.monotonic()
    while not running.gone() and time.monotonic() - stopping < 8:
        time.sleep(0.05)

    # Then it stops within 5 seconds, saying so
    assert running.gone()
    assert time.monotonic() - stopping < 5
    assert any(line.startswith("stopped") for line in running.lines)

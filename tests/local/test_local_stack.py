"""The local stack started in-process on a free port, driven over real HTTP: the seed article's
flows with the emails read back from /dev/outbox, the authorizer's refusals, settings switches,
and AWS_ENDPOINT_URL pointing at a separately started moto server."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import boto3
import jwt
import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from functions.local.gateway import WEB
from functions.local.provision import CLIENT, STAFF
from functions.local.stack import LocalStack
from functions.local.token import id_token
from tests.integration.conftest import at, new_request, next_weekday


class Http:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                text = answer.read()
                return answer.status, json.loads(text) if text else None, dict(answer.headers)
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, json.loads(text) if text else None, dict(error.headers)


@pytest.fixture(scope="module")
def stack():
    os.environ.pop("AWS_ENDPOINT_URL", None)
    running = LocalStack(port=0, state_file=None, pump_interval=0.1).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(stack):
    return Http(stack.url)


def sign_in(http: Http, email: str, password: str, totp_secret: str | None = None) -> str:
    return id_token(http.url, email, password, totp_secret)


def emails_to(http: Http, address: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
    """The emails to an address, waiting for the stream pump to deliver `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        _, box, _ = http("GET", "/dev/outbox")
        found = [e for e in box["emails"] if address in e["to"]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_request_without_signing_in_then_staff_approve(http):
    day = next_weekday(weeks_ahead=2)
    status, clinicians, _ = http("GET", "/clinicians?clientType=new")
    assert status == 200
    assert clinicians["clinicians"]
    status, slots, _ = http("GET", f"/availability?clientType=new&from={day}&to={day}")
    assert status == 200
    slot = slots["slots"][0]

    status, made, _ = http(
        "POST",
        "/requests",
        new_request(slot["start"], clinician=slot["clinicianId"], email="walk.in@example.org"),
    )

    assert status == 201
    staff = sign_in(http, *STAFF)
    status, queue, _ = http("GET", "/staff/requests", token=staff)
    assert made["request"]["id"] in [r["id"] for r in queue["requests"]]
    status, approved, _ = http("POST", f"/staff/requests/{made['request']['id']}/approve", {}, token=staff)
    assert (status, approved["request"]["status"]) == (200, "approved")
    [confirmation] = emails_to(http, "walk.in@example.org", 1)
    assert confirmation["subject"].startswith("Your appointment is confirmed")
    assert confirmation["attachments"] == [
        {"filename": "invite.ics", "contentType": "text/calendar", "method": "REQUEST"}
    ]
    assert any("awaiting review" in e["subject"] for e in emails_to(http, "frontdesk@demo.test", 1))


def test_signed_in_client_sees_the_demo_appointment_requests_and_is_denied(http):
    client = sign_in(http, *CLIENT)
    status, mine, _ = http("GET", "/me/appointments", token=client)
    assert status == 200
    assert mine["next"]["status"] == "confirmed"
    day = next_weekday(weeks_ahead=3)

    status, made, _ = http(
        "POST",
        "/me/requests",
        {"clinicianId": "c-okafor", "appointmentTypeId": "session", "start": at(day, 11)},
        token=client,
    )
    assert status == 201
    staff = sign_in(http, *STAFF)
    emails_before = len(emails_to(http, CLIENT[0], 0))
    status, _, _ = http(
        "POST", f"/staff/requests/{made['request']['id']}/deny", {"note": "Full"}, token=staff
    )

    assert status == 200
    statuses = {
        a["id"]: a["status"] for a in http("GET", "/me/appointments", token=client)[1]["appointments"]
    }
    assert statuses[made["request"]["appointmentId"]] == "declined"
    # The practice contacts the client itself: the pump delivers the denial and sends nothing.
    time.sleep(1)
    assert len(emails_to(http, CLIENT[0], 0)) == emails_before


def test_reschedule_and_cancel_are_confirmed_by_email(http):
    client = sign_in(http, *CLIENT)
    staff = sign_in(http, *STAFF)
    appointment = http("GET", "/me/appointments", token=client)[1]["next"]
    before = len(emails_to(http, CLIENT[0], 0))
    day = next_weekday(weeks_ahead=4)

    status, moved, _ = http(
        "POST", f"/me/appointments/{appointment['id']}/reschedule", {"start": at(day, 14)}, token=client
    )
    assert status == 201
    http("POST", f"/staff/requests/{moved['request']['id']}/approve", {}, token=staff)
    status, cancel, _ = http("POST", f"/me/appointments/{appointment['id']}/cancel", {}, token=client)
    assert status == 201
    http("POST", f"/staff/requests/{cancel['request']['id']}/approve", {}, token=staff)

    sent = emails_to(http, CLIENT[0], before + 2)[before:]
    assert [e["subject"].split(" - ")[0] for e in sent] == [
        "Your appointment has been rescheduled",
        "Your appointment has been cancelled",
    ]
    statuses = [a["status"] for a in http("GET", "/me/appointments", token=client)[1]["appointments"]]
    assert "cancelled" in statuses


def _moto_key() -> dict[str, Any]:
    import moto.cognitoidp

    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    key: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return key


def _token(http: Http, **overrides: Any) -> str:
    _, config, _ = http("GET", "/config.json")
    now = datetime.now(UTC)
    claims = {
        "sub": "someone",
        "aud": config["staffUserPoolClientId"],
        "iss": f"https://cognito-idp.{config['region']}.amazonaws.com/{config['staffUserPoolId']}",
        "token_use": "id",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "cognito:groups": ["staff"],
        **overrides,
    }
    key = jwt.PyJWK(_moto_key()).key
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda http: None, id="no-token"),
        pytest.param(lambda http: "not-a-jwt", id="garbage"),
        pytest.param(lambda http: _token(http, exp=int(time.time()) - 60), id="expired"),
        pytest.param(lambda http: _token(http, aud="another-client"), id="wrong-audience"),
        pytest.param(
            lambda http: _token(http, iss="https://cognito-idp.us-east-1.amazonaws.com/other"),
            id="wrong-issuer",
        ),
        pytest.param(lambda http: _token(http, token_use="access"), id="access-token"),
        pytest.param(
            lambda http: jwt.encode(
                {"sub": "x", "token_use": "id"},
                rsa.generate_private_key(public_exponent=65537, key_size=2048),
                algorithm="RS256",
                headers={"kid": "dummy"},
            ),
            id="another-key",
        ),
        pytest.param(
            lambda http: jwt.encode(
                {"sub": "x", "token_use": "id", "cognito:groups": "staff"}, "", algorithm="none"
            ),
            id="alg-none",
        ),
    ],
)
def test_authorizer_refuses_before_any_handler(http, token):
    status, body, _ = http("GET", "/staff/requests", token=token(http))

    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_a_valid_token_passes_with_api_gateway_claims(http):
    assert http("GET", "/staff/requests", token=_token(http))[0] == 200
    assert http("GET", "/staff/requests", token=sign_in(http, *CLIENT))[0] == 403


def test_settings_switch_applies_at_once(http):
    staff = sign_in(http, *STAFF)
    day = next_weekday(weeks_ahead=5)
    status, _, _ = http("PATCH", "/staff/settings", {"scheduling": {"anonymousRequests": False}}, token=staff)
    assert status == 200
    try:
        status, body, _ = http("POST", "/requests", new_request(at(day, 9)))
        assert (status, body["error"]["code"]) == (403, "anonymous_requests_disabled")
    finally:
        http("PATCH", "/staff/settings", {"scheduling": {"anonymousRequests": True}}, token=staff)
    assert http("POST", "/requests", new_request(at(day, 9)))[0] == 201


def test_requests_are_served_concurrently_and_cors_is_answered(http, stack):
    day = next_weekday(weeks_ahead=2)
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda _: http("GET", f"/availability?clientType=existing&from={day}&to={day}"), range(8)
            )
        )
    assert [a[0] for a in answers] == [200] * 8

    status, _, headers = http(
        "OPTIONS", "/requests", headers={"Origin": stack.url, "Access-Control-Request-Method": "POST"}
    )
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == stack.url
    assert "Idempotency-Key" in headers["Access-Control-Allow-Headers"]
    _, _, headers = http("GET", "/portal", headers={"Origin": stack.url})
    assert headers["Access-Control-Allow-Origin"] == stack.url


def test_pages_reach_the_user_pool_only_through_the_gateway_and_only_for_sign_in(stack, http):
    # Given the local stack, whose pages sign in at /cognito on its own origin
    _, config, _ = http("GET", "/config.json")
    assert config["cognitoEndpoint"] == f"{stack.url}/cognito"
    assert sign_in(http, *STAFF)

    # When a page asks the gateway for an administrator's call
    request = urllib.request.Request(
        f"{stack.url}/cognito",
        data=json.dumps({"UserPoolId": config["userPoolId"], "Username": "mallory@example.org"}).encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminCreateUser",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)

    # Then it is refused and nobody is created
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["__type"] == "NotAuthorizedException"
    users = boto3.client("cognito-idp").list_users(UserPoolId=config["userPoolId"])["Users"]
    assert "mallory@example.org" not in [u["Username"] for u in users]


def _pages_cognito(stack: LocalStack) -> Any:
    """Cognito's public API as the pages reach it: the gateway's /cognito."""
    return boto3.client(
        "cognito-idp", endpoint_url=f"{stack.url}/cognito", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _new_staff_member(http: Http, email: str) -> tuple[str, str]:
    """A staff account made by the practice (AdminCreateUser), its password set: (client id, password)."""
    _, config, _ = http("GET", "/config.json")
    admin = boto3.client("cognito-idp")
    pool = config["staffUserPoolId"]
    admin.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    admin.admin_set_user_password(
        UserPoolId=pool, Username=email, Password="Staff-Pass-2026!", Permanent=True
    )
    admin.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="staff")
    return config["staffUserPoolClientId"], "Staff-Pass-2026!"


def test_staff_sign_in_asks_for_the_authenticators_code_and_checks_it(stack, http):
    # Given the demo staff account, whose authenticator has the published secret
    _, config, _ = http("GET", "/config.json")
    cognito = _pages_cognito(stack)
    email, password, secret = STAFF
    client_id = config["staffUserPoolClientId"]

    # When staff give the right password
    asked = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )

    # Then there is no token yet, only the code challenge
    assert asked["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in asked

    # and a wrong code is refused (the session may try again), the right one signs in
    def answer(code: str) -> Any:
        return cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=asked["Session"],
            ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code},
        )

    wrong = f"{(int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000:06d}"
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        answer(wrong)
    token = answer(pyotp.TOTP(secret).now())["AuthenticationResult"]["IdToken"]
    assert http("GET", "/staff/requests", token=token)[0] == 200


def test_a_new_staff_member_sets_up_an_authenticator_at_first_sign_in(stack, http):
    # Given a staff account the practice just made, with no authenticator
    email = "new.staff@demo.test"
    client_id, password = _new_staff_member(http, email)
    cognito = _pages_cognito(stack)

    def sign_in_with_password() -> Any:
        return cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )

    # When they sign in, the pool asks them to set one up, and gives them a secret of their own
    asked = sign_in_with_password()
    assert asked["ChallengeName"] == "MFA_SETUP"
    assert "AuthenticationResult" not in asked
    associated = cognito.associate_software_token(Session=asked["Session"])
    secret = associated["SecretCode"]
    assert secret != STAFF[2]
    assert len(secret) >= 16
    # and neither a wrong code nor skipping the check finishes it
    with pytest.raises(cognito.exceptions.EnableSoftwareTokenMFAException):
        cognito.verify_software_token(Session=associated["Session"], UserCode="000000")
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="MFA_SETUP",
            Session=associated["Session"],
            ChallengeResponses={"USERNAME": email},
        )
    verified = cognito.verify_software_token(Session=associated["Session"], UserCode=pyotp.TOTP(secret).now())
    assert verified["Status"] == "SUCCESS"
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": email},
    )

    # Then they are signed in as staff, and every later sign-in asks that authenticator's code
    assert http("GET", "/staff/requests", token=done["AuthenticationResult"]["IdToken"])[0] == 200
    assert sign_in_with_password()["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert sign_in(http, email, password, secret)


def test_five_wrong_codes_end_the_sign_in(stack, http):
    # Given the demo staff account's code challenge
    _, config, _ = http("GET", "/config.json")
    cognito = _pages_cognito(stack)
    email, password, secret = STAFF
    asked = cognito.initiate_auth(
        ClientId=config["staffUserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )

    def answer(code: str) -> Any:
        return cognito.respond_to_auth_challenge(
            ClientId=config["staffUserPoolClientId"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=asked["Session"],
            ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code},
        )

    # When five wrong codes are tried
    right = pyotp.TOTP(secret).now()
    wrong = [f"{(int(right) + n * 100_000) % 1_000_000:06d}" for n in range(1, 6)]
    for code in wrong:
        with pytest.raises(cognito.exceptions.CodeMismatchException):
            answer(code)

    # Then the session is over, even for the right code: sign in again
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        answer(right)


def test_staff_tokens_come_only_from_the_staff_pool(http):
    # Given the demo client, who signs in to the clients' pool with a password alone
    client = sign_in(http, *CLIENT)

    # When the client's token is used on a staff route, and the staff pool refuses the client
    answer = http("GET", "/staff/requests", token=client)

    # Then it is the contract's 403; and the demo staff's token gets no client's appointments
    assert answer[0] == 403
    staff = sign_in(http, *STAFF)
    assert http("GET", "/me/appointments", token=staff)[1] == {"next": None, "appointments": []}


def test_the_embedded_aws_refuses_browsers(stack):
    # Given the embedded moto server every AWS client of the stack talks to
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    target = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}

    # When a web page's script calls it (a preflight, or a call with the page's Origin)
    for method, headers in (
        ("OPTIONS", {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}),
        ("POST", {**target, "Origin": "https://evil.example"}),
    ):
        request = urllib.request.Request(endpoint, data=b"{}", method=method, headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)

        # Then it is refused, without any CORS allowance
        assert refused.value.code == 403
        assert "Access-Control-Allow-Origin" not in refused.value.headers

    # while the stack's own SDK calls (no Origin) are answered
    assert "TableNames" in boto3.client("dynamodb").list_tables()


def test_openapi_and_config_are_served(http):
    status, document, _ = http("GET", "/openapi.json")
    assert status == 200
    assert "/requests" in document["paths"]
    _, config, _ = http("GET", "/config.json")
    assert set(config) == {
        "apiBaseUrl",
        "region",
        "userPoolId",
        "userPoolClientId",
        "staffUserPoolId",
        "staffUserPoolClientId",
        "cognitoEndpoint",
    }


def test_the_staff_page_may_not_be_framed_and_the_pages_call_only_their_own_origin(stack):
    # Given the local stack's pages
    def headers_of(path: str) -> dict[str, str]:
        with urllib.request.urlopen(stack.url + path, timeout=10) as answer:
            return dict(answer.headers)

    # When the staff page and the portal are fetched
    staff, portal = headers_of("/staff"), headers_of("/")

    # Then no page may frame the staff page, and the portal only the local origins' pages
    directives = {
        name: dict(d.strip().split(" ", 1) for d in h["Content-Security-Policy"].split(";"))
        for name, h in (("staff", staff), ("portal", portal))
    }
    assert directives["staff"]["frame-ancestors"] == "'none'"
    assert staff["X-Frame-Options"] == "DENY"
    assert directives["portal"]["frame-ancestors"] == "'self' http://127.0.0.1:* http://localhost:*"
    # and both call their own origin only (the API and /cognito are on it)
    assert {d["connect-src"] for d in directives.values()} == {"'self'"}


def test_every_module_the_pages_load_is_served_as_javascript(stack):
    # Given the pages' module scripts and what they import, followed from the served pages
    def fetched(path: str) -> tuple[str, str]:
        with urllib.request.urlopen(stack.url + path, timeout=10) as answer:
            return answer.headers.get_content_type(), answer.read().decode()

    pending = [
        urljoin(page, src)
        for page in ("/", "/staff")
        for src in re.findall(r'<script type="module" src="([^"]+)"', fetched(page)[1])
    ]
    modules: dict[str, str] = {}
    while pending:
        path = pending.pop()
        if path in modules:
            continue
        # Then each one is there, as JavaScript (a browser runs no module served as anything else)
        kind, text = fetched(path)
        assert kind in {"text/javascript", "application/javascript"}, (path, kind)
        modules[path] = text
        pending += [
            urljoin(path, found) for found in re.findall(r'^import [^;]*?"(\.{1,2}/[^"]+)";$', text, re.M)
        ]

    # and every module under web/js is one of them: none is left out of the pages (and their
    # policy, 'self', lets each one run)
    under = sorted(f"/{p.relative_to(WEB).as_posix()}" for p in (WEB / "js").rglob("*.js"))
    assert sorted(modules) == under
    assert {"/js/staff.js", "/js/staff/queue.js", "/js/zone.js"} <= set(modules)


# Found by Schemathesis' coverage phase: http.server answered TRACE (and any method it had no
# do_ for) with its own HTML 501, a server error for what is the caller's mistake.
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/portal", "GET, OPTIONS"),
        ("TRACE", "/staff/settings", "GET, OPTIONS, PATCH"),
        ("DELETE", "/staff/clinicians/c-chen", "OPTIONS, PUT"),
        ("GET", "/requests", "OPTIONS, POST"),
        ("PUT", "/staff/clients", "GET, OPTIONS, POST"),
        ("PATCH", "/me/appointments/any-id/cancel", "OPTIONS, POST"),
        ("PROPFIND", "/availability", "GET, OPTIONS"),
    ],
)
def test_a_method_a_path_does_not_have_is_a_405_naming_the_methods_it_has(http, method, path, allow):
    # Given staff's token, so that nothing but the method can be wrong
    staff = sign_in(http, *STAFF)
    _, before, _ = http("GET", "/staff/clinicians", token=staff)

    # When the path is called with a method it does not have
    status, body, headers = http(method, path, {"name": "x"}, token=staff)

    # Then the answer is a 405 with the methods it has and the contract's error body
    assert status == 405
    assert headers["Allow"] == allow
    assert body["error"]["code"] == "method_not_allowed"
    assert set(body["error"]) == {"code", "message"}
    # and nothing changed
    assert http("GET", "/staff/clinicians", token=staff)[1] == before


def test_head_of_a_get_route_is_a_405_and_an_unknown_path_a_404(http):
    status, _, headers = http("HEAD", "/portal")
    assert (status, headers["Allow"]) == (405, "GET, OPTIONS")

    status, body, headers = http("TRACE", "/nowhere")
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert "Allow" not in headers


# ---- (v2) scheduled jobs ------------------------------------------------------------------------


def test_dev_tick_runs_the_jobs_as_if_it_were_then_and_a_reminder_goes_out_once(http):
    # Given an appointment requested without signing in and approved by staff
    day = next_weekday(weeks_ahead=4)
    _, slots, _ = http("GET", f"/availability?clientType=new&from={day}&to={day}")
    slot = slots["slots"][-1]
    address = "reminded@example.org"
    status, made, _ = http(
        "POST", "/requests", new_request(slot["start"], clinician=slot["clinicianId"], email=address)
    )
    assert status == 201, made
    staff = sign_in(http, *STAFF)
    status, _, _ = http("POST", f"/staff/requests/{made['request']['id']}/approve", {}, token=staff)
    assert status == 200
    due = datetime.fromisoformat(slot["start"]) - timedelta(hours=24)

    # When the jobs run a minute before its 24-hour reminder is due, then when it is due, twice
    answers = [
        http("POST", "/dev/tick", {"now": (due + timedelta(minutes=m)).isoformat()}) for m in (-1, 0, 1)
    ]

    # Then each run says what ran, and the client has one reminder
    assert [(status, body) for status, body, _ in answers] == [
        (200, {"ran": ["reminders", "offers", "waitlist"]})
    ] * 3
    reminders = [
        e for e in emails_to(http, address, 2, timeout=1) if e["subject"].startswith("Appointment reminder")
    ]
    assert [e["subject"] for e in reminders] == ["Appointment reminder - Demo Counseling"]
    assert "attachments" not in reminders[0] or reminders[0]["attachments"] == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "now"),
        ({"now": "2026-12-03T15:00:00"}, 422, "now"),
        ({"now": "tomorrow"}, 422, "now"),
        ({"now": "2026-12-03T15:00:00Z", "also": 1}, 422, "also"),
        ("{", 400, None),
    ],
)
def test_dev_tick_refuses_what_is_not_an_instant_with_an_offset(http, body, status, field):
    if isinstance(body, str):  # not JSON at all
        request = urllib.request.Request(f"{http.url}/dev/tick", data=body.encode(), method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        got, answer = refused.value.code, json.loads(refused.value.read())
    else:
        got, answer, _ = http("POST", "/dev/tick", body)
    assert got == status, answer
    if field:
        assert [f["field"] for f in answer["error"]["fields"]] == [field]


def test_the_local_stack_runs_the_jobs_on_its_own_timer(monkeypatch):
    from functions import jobs

    ran: list[datetime] = []
    stack = LocalStack(port=0, state_file=None, job_interval=0.01)

    def record(store: Any, now: datetime) -> list[str]:
        ran.append(now)
        if len(ran) == 3:
            stack._stop.set()
        return list(jobs.JOBS)

    monkeypatch.setattr(jobs, "run_all", record)
    monkeypatch.setattr("functions.aws.store", lambda: None)
    before = datetime.now(UTC)
    stack._timer()

    # Three runs, each at the real time it ran
    assert len(ran) == 3
    assert before <= ran[0] <= ran[1] <= ran[2] <= datetime.now(UTC)


# ---- stacks of their own (they change the process's environment: keep them last) ----------------


def test_aws_endpoint_url_points_at_a_separate_moto_server():
    from moto.server import ThreadedMotoServer

    from functions.local.embedded import serialize_moto_writes

    serialize_moto_writes()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        stack = LocalStack(port=0, empty=True).start()
        try:
            http = Http(stack.url)
            assert http("GET", "/portal")[0] == 200
            assert http("GET", "/config.json")[1]["cognitoEndpoint"] == f"{stack.url}/cognito"
            tables = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1").list_tables()
            assert (
                "client-portal-local" in tables["TableNames"]
                or os.environ["TABLE_NAME"] in tables["TableNames"]
            )
        finally:
            stack.stop()
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        moto.stop()


def test_stop_releases_the_port():
    stack = LocalStack(port=0, empty=True, state_file=None).start()
    port = stack.port
    stack.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_a_new_embedded_stack_starts_from_its_own_state(monkeypatch):
    # Embedded stacks both: not pointed at the endpoint of this module's running stack.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    first = LocalStack(port=0, state_file=None).start()
    client = sign_in(Http(first.url), *CLIENT)
    appointment = Http(first.url)("GET", "/me/appointments", token=client)[1]["next"]
    Http(first.url)("POST", f"/me/appointments/{appointment['id']}/cancel", {}, token=client)
    first.stop()

    second = LocalStack(port=0, state_file=None).start()
    try:
        http = Http(second.url)
        mine = http("GET", "/me/appointments", token=sign_in(http, *CLIENT))[1]
        assert mine["next"]["status"] == "confirmed"
        assert any("table" in line and "created" in line for line in second.lines)
    finally:
        second.stop()

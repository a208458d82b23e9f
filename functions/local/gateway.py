"""The local API gateway: routes from the route table, the very handler functions Lambda calls,
with API Gateway REST proxy events; the Cognito authorizer emulated; the same CORS; plus
/config.json, /dev/outbox, /dev/tick and the portal pages."""

from __future__ import annotations

import importlib
import json
import mimetypes
import time
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aws_lambda_powertools import Logger
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from functions import aws
from functions.api.errors import from_validation
from functions.api.gateway import LocalContext, match, methods_at, proxy_event, resource_at
from functions.api.routes import CORS_HEADERS, FUNCTIONS, Access, allowed_methods
from infra.csp import SELF, content_security_policy

from .authorizer import Authorizer, Refused
from .cognito import CognitoProxy

logger = Logger(service="client-portal-local")
WEB = Path(__file__).resolve().parent.parent.parent / "web"
STAFF_PAGE = "staff.html"
PAGES = {"/": "index.html", "/staff": STAFF_PAGE}
CORS_ALLOW = ",".join(CORS_HEADERS)


class Tick(BaseModel):
    """`POST /dev/tick`: run every scheduled job once, as if the time were `now`."""

    model_config = ConfigDict(extra="forbid")
    now: AwareDatetime


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, {"Content-Type": "application/json"}, body


class Gateway:
    def __init__(
        self,
        authorizer: Authorizer,
        config: dict[str, str],
        outbox: Callable[[], list[dict[str, Any]]],
        cognito: CognitoProxy,
        jobs: Callable[[datetime], list[str]],
    ) -> None:
        self.authorizer = authorizer
        self.config = config
        self.outbox = outbox
        self.cognito = cognito
        self.jobs = jobs

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        origin = headers.get("origin")
        if method == "OPTIONS":
            return self._preflight(origin, path)
        if method == "GET" and path == "/config.json":
            return 200, {"Content-Type": "application/json"}, json.dumps(self.config).encode()
        if method == "POST" and path == "/cognito":
            # Same origin as the pages: no CORS is offered for it.
            return self.cognito.forward(headers, body)
        if method == "GET" and path == "/dev/outbox":
            return 200, {"Content-Type": "application/json"}, json.dumps({"emails": self.outbox()}).encode()
        if method == "POST" and path == "/dev/tick":
            return self._tick(body)
        matched = match(method, path)
        if matched is None:
            if method == "GET" and (page := self._page(path)) is not None:
                page[1].update(self._security_headers(path))
                return page
            if (resource := resource_at(path)) is not None:
                status, answer_headers, payload = _error(
                    405, "method_not_allowed", "This address does not take this method; see the Allow header."
                )
                answer_headers["Allow"] = allowed_methods(resource)
                return self._with_cors(origin, (status, answer_headers, payload))
            return _error(404, "not_found", "Nothing was found at this address.")
        route, _ = matched
        claims = None
        if route.access is not Access.PUBLIC:
            try:
                claims = self.authorizer.claims(headers.get("authorization"))
            except Refused:
                return self._with_cors(origin, _error(401, "unauthorized", "Sign in to continue."))
        query = dict(parse_qsl(parts.query, keep_blank_values=True)) or None
        event = proxy_event(
            method,
            path,
            body=body.decode("utf-8", "replace") if body else None,
            query=query,
            headers=headers,
            claims=claims,
        )
        module = importlib.import_module(FUNCTIONS[route.function])
        result = module.handler(event, LocalContext(route.function))
        answer_headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            answer_headers[name] = ", ".join(str(v) for v in values)
        return int(result["statusCode"]), answer_headers, str(result.get("body") or "").encode()

    def _tick(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Local only (never in the deployed API): the scheduled jobs, at once, at a chosen time."""
        try:
            tick = Tick.model_validate_json(body or b"{}")
        except ValidationError as exc:
            refused = from_validation(exc.errors())
            return refused.status_code, {"Content-Type": "application/json"}, str(refused.body).encode()
        ran = self.jobs(tick.now)
        return 200, {"Content-Type": "application/json"}, json.dumps({"ran": ran}).encode()

    def _preflight(self, origin: str | None, path: str) -> tuple[int, dict[str, str], bytes]:
        methods = methods_at(path)
        if not methods or not origin or origin not in aws.settings().allowed_origins:
            return 403, {}, b""
        return (
            204,
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ",".join([*methods, "OPTIONS"]),
                "Access-Control-Allow-Headers": CORS_ALLOW,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
            b"",
        )

    @staticmethod
    def _with_cors(
        origin: str | None, answer: tuple[int, dict[str, str], bytes]
    ) -> tuple[int, dict[str, str], bytes]:
        if origin and origin in aws.settings().allowed_origins:
            answer[1].update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
        return answer

    @staticmethod
    def _security_headers(path: str) -> dict[str, str]:
        """The deployed pages' policy (infra/web.py) for the local addresses: the API and the user
        pool are both on the gateway's own origin; the staff page may not be framed at all."""
        if PAGES.get(path) == STAFF_PAGE or path.lstrip("/") == STAFF_PAGE:
            policy = content_security_policy(connect=[], frame_ancestors=[])
            return {"Content-Security-Policy": policy, "X-Frame-Options": "DENY"}
        ancestors = [SELF, "http://127.0.0.1:*", "http://localhost:*"]
        return {"Content-Security-Policy": content_security_policy(connect=[], frame_ancestors=ancestors)}

    @staticmethod
    def _page(path: str) -> tuple[int, dict[str, str], bytes] | None:
        if not WEB.is_dir():
            return None
        relative = PAGES.get(path, path.lstrip("/"))
        file = (WEB / relative).resolve()
        if WEB.resolve() not in file.parents or not file.is_file():
            return None
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return 200, {"Content-Type": kind, "Cache-Control": "no-cache"}, file.read_bytes()


def server(gateway: Gateway | None, port: int) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 (port 0 picks a free one); its gateway may be set later."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        gateway: Gateway | None = None

        def _serve(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                if self.gateway is None:
                    raise RuntimeError("the gateway is not set up yet")
                status, answer_headers, payload = self.gateway.handle(self.command, self.path, headers, body)
            except Exception:
                logger.exception("local gateway failure")
                status, answer_headers, payload = _error(500, "internal_error", "Something went wrong.")
            self.send_response(status)
            for name, value in answer_headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            route = match(self.command, urlsplit(self.path).path.rstrip("/") or "/")
            logger.info(
                "request",
                extra={
                    "method": self.command,
                    "route": route[0].path if route else urlsplit(self.path).path,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, CONNECT, made-up ones) reaches the gateway too, which answers
            # it as API Gateway's routing would, instead of http.server's 501.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            """Requests are logged above, by route, without query strings (they may hold ids)."""

    Handler.gateway = gateway

    class Server(ThreadingHTTPServer):
        # A burst of callers (a website's button pressed by many at once) is queued, not reset.
        request_queue_size = 128

    httpd = Server(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    return httpd

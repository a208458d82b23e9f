"""The whole system on this machine: embedded AWS (or AWS_ENDPOINT_URL), provisioning and demo
data, the local API gateway, the stream pump feeding the notify function, the scheduled jobs'
timer, the outbox."""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from functions import aws, jobs
from functions.api.gateway import LocalContext
from functions.api.routes import FUNCTIONS

from . import state
from .authorizer import Authorizer
from .cognito import Authenticators, CognitoProxy, Pool
from .embedded import Embedded, serialize_client_writes, use_defaults
from .gateway import Gateway, server
from .outbox import Outbox
from .provision import CLIENT, DEMO_STAFF_TOTP, STAFF, provision
from .stream import StreamReader

ROOT = Path(__file__).resolve().parent.parent.parent
STATE = ROOT / ".local" / "state.pickle"
# Stopping waits this long at most for threads busy with AWS calls.
STOP_WITHIN = 3.0
# The pump's own stream reads give up quickly on an endpoint that does not answer.
PUMP_CLIENT = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=1, read_timeout=3)
CODES = ".venv/bin/python -m functions.local.token --code"


@dataclass
class LocalStack:
    port: int = 8000
    empty: bool = False
    state_file: Path | None = STATE
    pump_interval: float = 0.3
    # The scheduled jobs (reminders, ...) run this often on the real clock; None: only on
    # `POST /dev/tick`. In AWS a schedule runs them (infra/jobs.py).
    job_interval: float | None = 60.0
    lines: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _embedded: Embedded | None = None
    _httpd: Any = None
    _environ: dict[str, str] = field(default_factory=dict)
    _streams_client: Any = None
    # Held while the pump reads the stream (an external endpoint's writes are serialized by it).
    _reading: Any = field(default_factory=contextlib.nullcontext)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _status(self, component: str, detail: str, outcome: str = "ok") -> None:
        line = f"{component:<18} {detail:<48} {outcome}"
        self.lines.append(line)
        print(line, flush=True)

    def start(self) -> LocalStack:
        self._environ = dict(os.environ)
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LocalStack:
        use_defaults()
        os.environ.setdefault("TABLE_NAME", "client-portal-local")
        if os.environ.get("AWS_ENDPOINT_URL"):
            endpoint = os.environ["AWS_ENDPOINT_URL"]
            self.state_file = None  # the server there keeps its own state
            self._status("AWS endpoint", endpoint, "external")
        else:
            self._embedded = Embedded()
            endpoint = self._embedded.start()
            restored = bool(self.state_file) and not self.empty and state.load(self.state_file)  # type: ignore[arg-type]
            self._status("embedded AWS", f"moto {endpoint}", "restored" if restored else "new")
        # The HTTP server first, so that the port is known before the settings are read.
        self._httpd = server(None, self.port)
        self.port = self._httpd.server_address[1]
        os.environ.update(
            {
                "PORTAL_URL": self.url,
                "SENDER_EMAIL": "no-reply@demo.test",
                "ALLOWED_ORIGINS": f"{self.url},http://localhost:{self.port}",
                "ALLOW_TEST_EMAIL_DOMAINS": "true",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        aws.reset()
        provisioned = provision(demo_data_wanted=not self.empty)
        clients, staff = provisioned.clients, provisioned.staff
        os.environ["USER_POOL_ID"] = clients.id
        os.environ["STAFF_USER_POOL_ID"] = staff.id
        aws.reset()
        if self._embedded is None:
            self._reading = serialize_client_writes(aws.dynamodb())
        self._status("table", provisioned.table, "created" if provisioned.created else "kept")
        self._status("user pools", f"clients {clients.id}, staff {staff.id}", "ok")
        outbox = Outbox(self.url)
        outbox.install()
        region = os.environ["AWS_DEFAULT_REGION"]
        config = {
            "apiBaseUrl": self.url,
            "region": region,
            "userPoolId": clients.id,
            "userPoolClientId": clients.client_id,
            "staffUserPoolId": staff.id,
            "staffUserPoolClientId": staff.client_id,
            # The pages reach the user pools through the gateway, never moto itself (cognito.py).
            "cognitoEndpoint": f"{self.url}/cognito",
        }
        authorizer = Authorizer(endpoint, region, {clients.id: clients.client_id, staff.id: staff.client_id})
        # The second factor moto lacks, with the authenticators kept beside the saved state.
        authenticators = Authenticators(
            self.state_file.with_name("authenticators.json") if self.state_file else None
        )
        if provisioned.demo_staff and authenticators.secret(staff.id, provisioned.demo_staff) is None:
            authenticators.register(staff.id, provisioned.demo_staff, DEMO_STAFF_TOTP)
        cognito = CognitoProxy(
            endpoint,
            {
                clients.client_id: Pool(clients.id, mfa_required=False),
                staff.client_id: Pool(staff.id, mfa_required=True),
            },
            authenticators,
        )
        # Every function's module is imported once here, as each Lambda would at its cold start:
        # importing them from concurrent request threads races inside Python's import machinery.
        for module in (
            *FUNCTIONS.values(),
            "functions.notify.handler",
            "functions.jobs.reminders",
            "functions.waitlist.handler",
            "functions.jobs.waitlist",
        ):
            importlib.import_module(module)
        self._httpd.RequestHandlerClass.gateway = Gateway(
            authorizer, config, outbox.emails, cognito, lambda now: jobs.run_all(aws.store(), now)
        )
        self._spawn(self._httpd.serve_forever, "gateway")
        self._spawn(self._pump, "stream-pump")
        if self.job_interval is not None:
            self._spawn(self._timer, "jobs")
        if self.state_file is not None:
            self._spawn(self._keep, "state")
        self._status("stream pump", "table stream -> notify and waitlist functions", "running")
        every = f"every {self.job_interval:g} s" if self.job_interval is not None else "on POST /dev/tick"
        self._status("scheduled jobs", f"{', '.join(jobs.JOBS)} {every}", "running")
        # AWS WAF runs in front of the deployed API only (infra/waf.py).
        self._status("bot check", "AWS WAF challenge on POST /requests, /waitlist", "AWS only")
        self._status("API gateway", self.url, "listening")
        print(
            f"\nOpen {self.url}/ (portal), {self.url}/staff (staff page), {self.url}/dev/outbox (emails),"
            f" {self.url}/openapi.json (API)\n"
            f"Demo accounts: staff {STAFF[0]} / {STAFF[1]} with the authenticator secret {STAFF[2]}"
            f" (codes: {CODES} {STAFF[2]})   client {CLIENT[0]} / {CLIENT[1]}\n"
            "Stop with Ctrl-C.",
            flush=True,
        )
        return self

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _pump(self) -> None:
        """The event source mapping's part: the stream to the notify function. Failed records are
        retried with a short backoff; an endpoint that stops answering is reported once."""
        from functions.notify import handler as notify
        from functions.waitlist import handler as waitlist
        from functions.waitlist import mapping as waitlist_mapping

        streams = self._streams()
        reader: StreamReader | None = None
        # (v2) The waitlist function's own event source mapping: its own filter and positions.
        freed: StreamReader | None = None
        trouble: str | None = None
        while not self._stop.wait(self.pump_interval):
            try:
                if reader is None or freed is None:
                    table = aws.settings().table_name
                    reader = StreamReader.of_table(aws.dynamodb(), streams, table, backoff=self.pump_interval)
                    freed = StreamReader.of_table(
                        aws.dynamodb(), streams, table, self.pump_interval, waitlist_mapping.wanted
                    )
                    reader.guard = freed.guard = self._reading
                reader.deliver(notify.handler, lambda: LocalContext("notify"))
                freed.deliver(waitlist.handler, lambda: LocalContext("waitlistnotify"))
                trouble = None
            except Exception as exc:
                if type(exc).__name__ != trouble:
                    trouble = type(exc).__name__
                    notify.logger.warning("stream pump: cannot read the stream", extra={"error": trouble})

    def _timer(self) -> None:
        """The schedule's part: every job on the real clock. A failed run is logged by its kind
        and the next one goes on (each job is safe to run late or again)."""
        from functions.jobs.reminders import logger

        assert self.job_interval is not None
        while not self._stop.wait(self.job_interval):
            try:
                jobs.run_all(aws.store(), datetime.now(UTC))
            except Exception as exc:
                logger.warning("scheduled jobs failed", extra={"error": type(exc).__name__})

    def _streams(self) -> Any:
        if self._streams_client is None:
            self._streams_client = boto3.client("dynamodbstreams", config=PUMP_CLIENT)
        return self._streams_client

    def _keep(self) -> None:
        while not self._stop.wait(5):
            self.save()

    def save(self) -> None:
        if self.state_file is not None:
            state.save(self.state_file)

    def stop(self, within: float = STOP_WITHIN) -> None:
        """Stop serving and pumping. Threads still waiting on a slow or vanished AWS endpoint are
        not waited for past `within` seconds (they are daemons and end with the process)."""
        deadline = time.monotonic() + within
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.save()
        if self._embedded is not None:
            self._embedded.stop()
        if self._environ:
            os.environ.clear()
            os.environ.update(self._environ)
        aws.reset()

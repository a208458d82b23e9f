"""`python -m tests.local.endpoint`: an AWS endpoint as a developer would start one beside `make run`
(moto's server, without the local stack's serialization of writes), that also answers
`GET /_sent` with what its SES has accepted, for the end-to-end tests to observe at SES.

Prints `listening <url>` once it serves; runs until killed.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


def _sent() -> list[dict[str, Any]]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    found = []
    for region in ses_backends[DEFAULT_ACCOUNT_ID].regions:
        for message in ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages:
            if isinstance(message, RawMessage):
                raw = message.raw_data
                subject = next((line[9:] for line in raw.splitlines() if line.startswith("Subject: ")), "")
                found.append({"to": sorted(set(message.destinations)), "subject": subject})
            else:
                found.append({"to": list(message.destinations["ToAddresses"]), "subject": message.subject})
    return found


def main() -> None:
    moto = DomainDispatcherApplication(create_backend_app)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/_sent":
            body = json.dumps(_sent()).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return moto(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"listening http://127.0.0.1:{server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()

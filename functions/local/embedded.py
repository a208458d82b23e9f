"""Embedded AWS: moto's server in this process, unless AWS_ENDPOINT_URL names one already."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

_serialized = threading.RLock()


def serialize_moto_writes() -> None:
    """DynamoDB runs each write and each transaction atomically; moto does not lock. Serialize
    moto's DynamoDB writes so that concurrent requests see the guarantees the real service gives."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_portal_serialized", False):
        return
    for name in WRITES:
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _serialized:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    DynamoDBBackend.transact_write_items = _keeping_stream(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign]

    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    read = DynamoDBStreamsBackend.get_records

    def get_records(self: Any, *args: Any, **kwargs: Any) -> Any:
        # A transaction's records are not read until it has committed or rolled back.
        with _serialized:
            return read(self, *args, **kwargs)

    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]
    setattr(DynamoDBBackend, "_portal_serialized", True)  # noqa: B010


def _keeping_stream(transact: Any) -> Any:
    """moto rolls a refused transaction back by putting a deep copy of the table in its place,
    stream shard included: readers would keep the old shard, with the refused writes' records in
    it, and never see a record again. Keep the shard object, without those records, as DynamoDB
    (which never streams a refused transaction) would."""

    def transact_write_items(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _serialized:
            shards = {
                name: (table.stream_shard, len(table.stream_shard.items))
                for name, table in self.tables.items()
                if getattr(table, "stream_shard", None) is not None
            }
            try:
                return transact(self, *args, **kwargs)
            except Exception:
                for name, (shard, length) in shards.items():
                    table = self.tables.get(name)
                    if table is not None and table.stream_shard is not shard:
                        del shard.items[length:]
                        shard.table = table
                        table.stream_shard = shard
                raise

    return transact_write_items


def use_defaults() -> None:
    """Credentials and region for talking to moto; real credentials are never needed or used."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_REGION", "us-east-1"),
    ):
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_PROFILE", None)
    os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"


WRITES = ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item")


def serialize_client_writes(dynamodb: Any) -> threading.RLock:
    """The same guarantee for an AWS endpoint of the developer's own (a moto server started by
    hand), which does not make writes atomic: the stack's DynamoDB writes are made one at a time.
    Every writer is this process, so that is all it takes. Returns the lock, which the stream
    pump holds while it reads, so that it never reads in the middle of a transaction (moto
    streams a refused transaction's writes into a shard it then throws away)."""
    for name in WRITES:
        original = getattr(dynamodb, name)

        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _serialized:
                return __original(*args, **kwargs)

        setattr(dynamodb, name, locked)
    return _serialized


def _no_browsers(app: Any) -> Any:
    """moto answers any origin's CORS preflight and takes any signature: a web page open in the
    developer's browser could otherwise read and change the local table. Browsers send `Origin`
    on every cross-origin call (and SDKs never do), so such calls are refused; the pages reach the
    user pool through the local gateway (`cognito.py`)."""

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_ORIGIN") or environ.get("REQUEST_METHOD") == "OPTIONS":
            start_response("403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
        return app(environ, start_response)

    return guarded


class Embedded:
    """moto's server on a free port of 127.0.0.1, closed to browsers; every AWS client is pointed at it."""

    def __init__(self) -> None:
        serialize_moto_writes()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        from moto.moto_api._internal.models import moto_api_backend
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        # moto keeps its state in this process: a new embedded AWS starts from nothing (or from the
        # saved state), never from what an earlier one in the same process left.
        moto_api_backend.reset()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call is noise
        app = _no_browsers(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        url = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = url
        return url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

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
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"):
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


class Embedded:
    """moto's threaded server on a free port of 127.0.0.1; every AWS client is pointed at it."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        serialize_moto_writes()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> str:
        from moto.moto_api._internal.models import moto_api_backend

        # moto keeps its state in this process: a new embedded AWS starts from nothing (or from the
        # saved state), never from what an earlier one in the same process left.
        moto_api_backend.reset()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call is noise
        self.server.start()
        host, port = self.server.get_host_and_port()
        url = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = url
        return url

    def stop(self) -> None:
        self.server.stop()

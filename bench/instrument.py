"""Botocore event hooks on the handlers' own DynamoDB client: calls, time inside them, capacity.

* before-parameter-build: adds ReturnConsumedCapacity=TOTAL and, for writes, notes the items as
  they are before the call (read straight from moto's backend, not through the client);
* before-call (last): counts the call and starts its clock;
* after-call (first): stops the clock, keeps moto's ConsumedCapacity and computes the capacity
  DynamoDB would charge (bench.capacity), from the items returned or written. A Query with a
  ProjectionExpression is charged for the whole entries it reads, not the attributes it returns:
  the instrument asks moto the same Query without the projection, on a client of its own,
  once per distinct Query and state of the tables.

The time the hooks themselves take outside the DynamoDB interval is measured and reported as
`overhead`, which the runner subtracts from the handler's wall time.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.store.schema import INDEXES

from . import capacity, motopatch

INDEXES_BY_RULE = tuple(capacity.Index(i["name"], (i["pk"], i["sk"]), i["projection"]) for i in INDEXES)
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})


@dataclass
class Call:
    name: str
    seconds: float = 0.0
    moto_seconds: float = 0.0  # of which inside moto's simulation of DynamoDB
    read_units: float = 0.0
    write_units: float = 0.0
    moto_units: float | None = None
    items_returned: int = 0


@dataclass
class Invocation:
    calls: list[Call] = field(default_factory=list)
    overhead: float = 0.0

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.calls]

    @property
    def dynamodb_seconds(self) -> float:
        return sum(c.seconds for c in self.calls)

    @property
    def moto_seconds(self) -> float:
        return sum(c.moto_seconds for c in self.calls)

    @property
    def read_units(self) -> float:
        return sum(c.read_units for c in self.calls)

    @property
    def write_units(self) -> float:
        return sum(c.write_units for c in self.calls)

    @property
    def moto_units(self) -> float | None:
        reported = [c.moto_units for c in self.calls if c.moto_units is not None]
        return sum(reported) if reported else None

    @property
    def items_returned(self) -> int:
        return sum(c.items_returned for c in self.calls)


def _backend() -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def stored_item(table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
    """An item as moto holds it now, in DynamoDB JSON, without a call through the client."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    found = _backend().get_table(table).get_item(DynamoType(key["pk"]), DynamoType(key["sk"]))
    return found.to_json()["Attributes"] if found is not None else None


def _written_keys(name: str, params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """(table, key, transactional) of every item a write call touches."""

    def key_of(values: Mapping[str, Any]) -> dict[str, Any]:
        return {"pk": values["pk"], "sk": values["sk"]}

    if name == "PutItem":
        return [(params["TableName"], key_of(params["Item"]), False)]
    if name in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], key_of(params["Key"]), False)]
    if name == "TransactWriteItems":
        found = []
        for op in params["TransactItems"]:
            ((kind, body),) = op.items()
            values = body["Item"] if kind == "Put" else body["Key"]
            found.append((body["TableName"], key_of(values), True))
        return found
    if name == "BatchWriteItem":
        found = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                ((kind, body),) = request.items()
                found.append((table, key_of(body["Item"] if kind == "PutRequest" else body["Key"]), False))
        return found
    return []


class Instrument:
    """Hooks on one botocore DynamoDB client; `begin`/`end` bracket one handler invocation."""

    def __init__(self) -> None:
        self.current = Invocation()
        self._pending: dict[str, Any] = {}
        self._started = 0.0
        self._moto = 0.0
        self._read_client: Any = None
        self._unprojected: dict[tuple[str, str, int], float] = {}

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build.dynamodb", self._before_build)
        events.register_last("before-call.dynamodb", self._before_call)
        events.register_first("after-call.dynamodb", self._after_call)

    def begin(self) -> None:
        self.current = Invocation()

    def end(self) -> Invocation:
        done, self.current = self.current, Invocation()
        return done

    # ---- hooks ----------------------------------------------------------------------------------

    def _before_build(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        entered = time.perf_counter()
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"
        before = []
        if model.name in WRITES:
            for table, key, transactional in _written_keys(model.name, params):
                before.append((table, key, transactional, stored_item(table, key)))
        self._pending = {"name": model.name, "params": params, "before": before}
        self.current.overhead += time.perf_counter() - entered

    def _before_call(self, model: Any, **_: Any) -> None:
        entered = time.perf_counter()
        self.current.calls.append(Call(model.name))
        self._moto = motopatch.moto_seconds[0]
        self._started = time.perf_counter()
        self.current.overhead += self._started - entered

    def _after_call(self, model: Any, parsed: Mapping[str, Any], **_: Any) -> None:
        stopped = time.perf_counter()
        call = self.current.calls[-1]
        call.seconds = stopped - self._started
        call.moto_seconds = motopatch.moto_seconds[0] - self._moto
        try:
            self._account(call, model.name, parsed)
        finally:
            self.current.overhead += time.perf_counter() - stopped

    # ---- capacity -------------------------------------------------------------------------------

    def _account(self, call: Call, name: str, parsed: Mapping[str, Any]) -> None:
        reported = parsed.get("ConsumedCapacity")
        if isinstance(reported, dict):
            call.moto_units = float(reported.get("CapacityUnits", 0))
        elif isinstance(reported, list):
            call.moto_units = float(sum(r.get("CapacityUnits", 0) for r in reported))
        params = self._pending.get("params", {}) if self._pending.get("name") == name else {}
        if name == "GetItem":
            item = parsed.get("Item")
            call.items_returned = 1 if item else 0
            call.read_units = capacity.read_units(
                capacity.item_size(item), bool(params.get("ConsistentRead"))
            )
        elif name == "BatchGetItem":
            for table, wanted in params.get("RequestItems", {}).items():
                found = {(i["pk"]["S"], i["sk"]["S"]): i for i in parsed.get("Responses", {}).get(table, [])}
                call.items_returned += len(found)
                consistent = bool(wanted.get("ConsistentRead"))
                for key in wanted.get("Keys", []):
                    item = found.get((key["pk"]["S"], key["sk"]["S"]))
                    call.read_units += capacity.read_units(capacity.item_size(item), consistent)
        elif name in ("Query", "Scan"):
            items = parsed.get("Items", [])
            call.items_returned = len(items)
            if "ProjectionExpression" in params:
                call.read_units = self._unprojected_units(name, params)
            else:
                total = sum(capacity.item_size(i) for i in items)
                call.read_units = capacity.read_units(total, bool(params.get("ConsistentRead")))
        elif name in WRITES:
            for table, key, transactional, old in self._pending.get("before", []):
                new = stored_item(table, key)
                call.write_units += capacity.item_write_units(old, new, INDEXES_BY_RULE, transactional)
        self._pending = {}

    def _unprojected_units(self, name: str, params: Mapping[str, Any]) -> float:
        """What DynamoDB charges a projected Query or Scan: the size of the entries it reads."""
        import boto3

        dropped = ("ProjectionExpression", "ReturnConsumedCapacity")
        asked = {k: v for k, v in params.items() if k not in dropped}
        names = asked.get("ExpressionAttributeNames")
        if names:
            used = " ".join(str(asked.get(k, "")) for k in ("KeyConditionExpression", "FilterExpression"))
            kept = {k: v for k, v in names.items() if re.search(re.escape(k) + r"\b", used)}
            asked = {k: v for k, v in asked.items() if k != "ExpressionAttributeNames"}
            if kept:
                asked["ExpressionAttributeNames"] = kept
        key = (name, json.dumps(asked, sort_keys=True, default=str), motopatch.generation())
        units = self._unprojected.get(key)
        if units is None:
            if self._read_client is None:
                self._read_client = boto3.client("dynamodb")
            method = self._read_client.query if name == "Query" else self._read_client.scan
            items = method(**asked).get("Items", [])
            total = sum(capacity.item_size(i) for i in items)
            units = capacity.read_units(total, bool(asked.get("ConsistentRead")))
            self._unprojected = {k: v for k, v in self._unprojected.items() if k[2] == key[2]}
            self._unprojected[key] = units
        return units


class Timer:
    """Time inside any other AWS client's calls (SES for notify), without capacity accounting."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []
        self._started = 0.0

    def attach(self, client: Any, service: str) -> None:
        client.meta.events.register_last(f"before-call.{service}", self._before)
        client.meta.events.register_first(f"after-call.{service}", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        self.calls.append((model.name, 0.0))
        self._started = time.perf_counter()

    def _after(self, model: Any, **_: Any) -> None:
        name = self.calls[-1][0]
        self.calls[-1] = (name, time.perf_counter() - self._started)

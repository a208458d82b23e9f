"""Two moto shortcuts, installed by the benchmark only, that keep DynamoDB's behaviour and drop
costs that grow with the table: a faster index Query, and transactions without table copies.

Transactions: moto deep-copies the whole table (its stream shard included) for every item of a
TransactWriteItems call, so that it can roll back: O(table) per item, 0.5 to 2 seconds per
request once the benchmark has made a few thousand items. The replacement saves only the items
the transaction names (and the stream's length) and puts those back if it is refused: the same
all-or-nothing outcome.

Index Query:

moto answers a Query on a global secondary index by walking every item of the table, sorting
all that match the partition key with DynamoType comparisons and only then applying the sort
key condition: about 10 seconds per call with 100,000 appointments holding time, whatever the
range asked. It also pages index results by the size of the whole table item instead of the
projected index entry (a KEYS_ONLY entry is ~100 bytes, an appointment ~700), so it returns
several pages where DynamoDB returns one. Both would measure moto, not the handlers.

This replacement keeps, per index partition, the entries sorted by (index sort key, table keys)
— the order moto and DynamoDB return them in — rebuilt after any write, and answers the key
condition with a binary search: the same items, in the same order, paged at 1 MB of projected
entries as DynamoDB does. Anything it does not cover (old-style filters, nested projections,
non-string keys, consistent reads, queries on the table itself) goes to moto's own Query.
`self_check` compares both on the current table.
"""

from __future__ import annotations

import copy
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, cast

_generation = [0]
_cache: dict[tuple[int, str, str], tuple[int, Any, list[tuple[str, str, str, Any]], list[str]]] = {}
_original: dict[str, Any] = {}
stats = {"fast": 0, "moto": 0}


def _bump(method: Any) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _generation[0] += 1
        try:
            return method(*args, **kwargs)
        finally:
            _generation[0] += 1

    wrapped.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapped


class _NoTableCopy:
    """Stands in for the `copy` module inside moto.dynamodb.models during a transaction: the
    table is not copied (the transaction wrapper saves what it needs), anything else is."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _transactions(original: Any) -> Any:
    import moto.dynamodb.models as models
    from moto.dynamodb.models.dynamo_type import DynamoType

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        saved = []
        lengths: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            kind, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            values = op.get("Item") if kind == "Put" else op.get("Key")
            if table is None or not values or table.hash_key_attr not in values:
                continue
            hash_key = DynamoType(values[table.hash_key_attr])
            range_key = DynamoType(values[table.range_key_attr]) if table.range_key_attr in values else None
            try:
                current = table.get_item(hash_key, range_key)
            except Exception:  # noqa: S112 (a bad key: moto's own call reports it)
                continue
            saved.append(
                (table, hash_key, range_key, copy.deepcopy(current) if current is not None else None)
            )
            if table.stream_shard is not None:
                lengths.setdefault(id(table), (table, len(table.stream_shard.items)))
        models_any: Any = models
        models_any.copy = _NoTableCopy
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is None:
                    if item is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items[hash_key] = item
                elif item is None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = item
            for table, length in lengths.values():
                del table.stream_shard.items[length:]
            raise
        finally:
            models_any.copy = copy

    transact_write_items.__wrapped__ = original  # type: ignore[attr-defined]
    return transact_write_items


def generation() -> int:
    """Changes whenever moto's tables may have: a key for what was computed from them."""
    return _generation[0]


def invalidate() -> None:
    """Forget the sorted index entries (after writing to moto's storage directly)."""
    _generation[0] += 1
    _cache.clear()


def install() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if _original:
        return
    from moto.core.botocore_stubber import BotocoreStubber

    _original["query"] = Table.query
    BotocoreStubber.__call__ = _stubber(BotocoreStubber.__call__)  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transactions(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign]
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, _bump(getattr(DynamoDBBackend, name)))
    for name in ("put_item", "delete_item"):
        setattr(Table, name, _bump(getattr(Table, name)))
    Table.query = _query  # type: ignore[method-assign]


def _entries(table: Any, index: Any, hash_attr: str, range_attr: str, value: str) -> Any:
    key = (id(table), index.name, value)
    cached = _cache.get(key)
    if cached is not None and cached[0] == _generation[0] and cached[1] is table:
        return cached[2], cached[3]
    entries = []
    # Table.all_items() would sort the whole table with DynamoType comparisons (9 s at 100,000);
    # the entries are sorted below by their own string keys.
    for stored in table.items.values():
        for item in stored.values() if table.range_key_attr else (stored,):
            h = item.attrs.get(hash_attr)
            if h is None or h.type != "S" or h.value != value:
                continue
            r = item.attrs.get(range_attr)
            if r is None:
                continue
            if r.type != "S" or item.hash_key.type != "S" or (item.range_key and item.range_key.type != "S"):
                return None
            entries.append(
                (r.value, item.hash_key.value, item.range_key.value if item.range_key else "", item)
            )
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    keys = [e[0] for e in entries]
    _cache[key] = (_generation[0], table, entries, keys)
    return entries, keys


@dataclass(frozen=True)
class _Plan:
    index: Any
    hash_attr: str
    range_attr: str


def _plan(table: Any, index_name: str | None, hash_conditions: Any, range_conditions: Any) -> _Plan | None:
    if not index_name or not hash_conditions or len(hash_conditions) != 1 or len(range_conditions or []) > 1:
        return None
    index = next((i for i in table.global_indexes or [] if i.name == index_name), None)
    if index is None:
        return None
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(hashes) != 1 or len(ranges) != 1 or hash_conditions[0][0] != hashes[0]:
        return None
    if range_conditions and range_conditions[0][0] != ranges[0]:
        return None
    if hash_conditions[0][1].type != "S":
        return None
    return _Plan(index, hashes[0], ranges[0])


def _project(index: Any, item: Any) -> Any:
    """The index entry of an item, as moto's projection makes it (without its JSON round trip):
    the item itself for ALL, its keys (and included attributes) otherwise. Values are shared,
    not copied: the answer is serialized at once and nothing changes them."""
    kind = (index.projection or {}).get("ProjectionType")
    if kind not in ("KEYS_ONLY", "INCLUDE"):
        return copy.deepcopy(item)
    names = [*index.table_key_attrs, *(k["AttributeName"] for k in index.schema)]
    if kind == "INCLUDE":
        names += index.projection.get("NonKeyAttributes", [])
    return _only(item, names)


def _only(item: Any, names: list[str]) -> Any:
    """A ProjectionExpression of top-level attributes, as moto's Item.project applies it."""
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

    entry: Any = Item.__new__(Item)
    entry.hash_key, entry.range_key = item.hash_key, item.range_key
    attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(attrs)
    for name in names:
        if name in item.attrs:
            dict.__setitem__(attrs, name, item.attrs[name])
    entry.attrs = attrs
    return entry


def _bounds(keys: list[str], comparison: str | None, values: list[str]) -> tuple[int, int] | None:
    op = (comparison or "").upper()
    if not op:
        return 0, len(keys)
    if op == "BETWEEN":
        return bisect_left(keys, values[0]), bisect_right(keys, values[1])
    if op in ("=", "EQ"):
        return bisect_left(keys, values[0]), bisect_right(keys, values[0])
    if op in (">=", "GE"):
        return bisect_left(keys, values[0]), len(keys)
    if op in (">", "GT"):
        return bisect_right(keys, values[0]), len(keys)
    if op in ("<=", "LE"):
        return 0, bisect_right(keys, values[0])
    if op in ("<", "LT"):
        return 0, bisect_left(keys, values[0])
    if op == "BEGINS_WITH":
        return bisect_left(keys, values[0]), bisect_left(keys, values[0] + "\U0010ffff")
    return None


def _query(
    self: Any,
    hash_key: Any,
    range_comparison: str | None,
    range_objs: list[Any],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: Any,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter_expression: Any = None,
    hash_key_conditions: Any = None,
    range_key_conditions: Any = None,
    **filter_kwargs: Any,
) -> Any:
    def moto() -> Any:
        stats["moto"] += 1
        return _original["query"](
            self,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            scan_index_forward,
            projection_expressions,
            index_name,
            consistent_read,
            filter_expression,
            hash_key_conditions=hash_key_conditions,
            range_key_conditions=range_key_conditions,
            **filter_kwargs,
        )

    if _original.get("disabled") or filter_kwargs or consistent_read:
        return moto()
    if projection_expressions and any(len(path) != 1 for path in projection_expressions):
        return moto()
    plan = _plan(self, index_name, hash_key_conditions, range_key_conditions)
    if plan is None or any(o.type != "S" for o in range_objs):
        return moto()
    found = _entries(self, plan.index, plan.hash_attr, plan.range_attr, hash_key_conditions[0][1].value)
    if found is None:
        return moto()
    entries, keys = found
    bounds = _bounds(keys, range_comparison, [o.value for o in range_objs])
    if bounds is None:
        return moto()
    stats["fast"] += 1
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    chosen = entries[bounds[0] : bounds[1]]
    if not scan_index_forward:
        chosen = chosen[::-1]
    if exclusive_start_key:
        try:
            start = (
                exclusive_start_key[plan.range_attr]["S"],
                exclusive_start_key[self.hash_key_attr]["S"],
                exclusive_start_key[self.range_key_attr]["S"] if self.range_key_attr else "",
            )
        except (KeyError, TypeError):
            return moto()
        if scan_index_forward:
            chosen = [e for e in chosen if (e[0], e[1], e[2]) > start]
        else:
            chosen = [e for e in chosen if (e[0], e[1], e[2]) < start]
    results: list[Any] = []
    projected_results: list[Any] = []
    size = 0
    last_key = None
    for entry in chosen:
        projected = _project(plan.index, entry[3])
        entry_size = projected.size()
        if len(results) == limit or size + entry_size > RESULT_SIZE_LIMIT:
            last_key = self._get_last_evaluated_key(results[-1], index_name)
            break
        results.append(entry[3])
        projected_results.append(projected)
        size += entry_size
    scanned = len(results)
    if projection_expressions:
        wanted = [path[0] for path in projection_expressions]
        projected_results = [_only(r, wanted) for r in projected_results]
    if filter_expression is not None:
        projected_results = [r for r in projected_results if filter_expression.expr(r)]
    return projected_results, scanned, last_key


def self_check(client: Any, table: str, queries: list[dict[str, Any]]) -> list[str]:
    """Run each Query with moto's own implementation and with this one; the differences found."""
    problems = []
    for args in queries:
        _original["disabled"] = True
        try:
            expected = client.query(TableName=table, **args)
        finally:
            _original.pop("disabled", None)
        got = client.query(TableName=table, **args)

        if expected.get("Items") != got.get("Items"):
            problems.append(f"{args.get('IndexName')} {args['KeyConditionExpression']}: items differ")
        if expected.get("LastEvaluatedKey") != got.get("LastEvaluatedKey"):
            problems.append(f"{args.get('IndexName')} {args['KeyConditionExpression']}: paging differs")
    return problems


class Replay:
    """Serves a repeated read call from moto's first answer to it while nothing was written.

    At 100,000 stored appointments moto spends ~0.4 ms per returned item serializing a Query's
    answer (~4 s for the 9,000 holds of a 31-day range), work DynamoDB does in its own fleet.
    With this on, the first call goes to moto and the same request, on the same table, gets the
    same bytes back, which botocore then parses as usual: the client's share of the call is
    still measured, moto's is not repeated."""

    def __init__(self, operations: tuple[str, ...] = ("Query",)) -> None:
        self.operations = tuple(f".{o}" for o in operations)
        self.enabled = False
        self.hits = 0
        self.misses = 0
        self._answers: dict[tuple[str, bytes, int], tuple[str, int, Any, bytes]] = {}

    def attach(self, client: Any) -> None:
        client.meta.events.register_first("before-send.dynamodb", self._send)

    def _send(self, request: Any, event_name: str = "", **_: Any) -> Any:
        if not self.enabled or not event_name.endswith(self.operations):
            return None
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse
        from moto.core.models import botocore_stubber

        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        key = (event_name, body, _generation[0])
        answer = self._answers.get(key)
        if answer is None:
            started = time.perf_counter()
            made = botocore_stubber.process_request(request)
            moto_seconds[0] += time.perf_counter() - started
            if made is None:
                return None
            status, headers, content = made
            content = content.encode() if isinstance(content, str) else content
            answer = (request.url, status, headers, content)
            self._answers = {k: v for k, v in self._answers.items() if k[2] == _generation[0]}
            self._answers[key] = answer
            self.misses += 1
        else:
            self.hits += 1
        url, status, headers, content = answer
        answered(request)
        return AWSResponse(url, status, cast(Any, headers), MockRawResponse(content))


# Requests already answered by Replay: botocore still calls every before-send handler (then takes
# the first answer), so moto's own stubber is told to leave these alone.
_answered: list[Any] = []


def answered(request: Any) -> None:
    """Tell moto's stubber to leave a request alone: a hook before it has answered it."""
    _answered.append(request)


# Seconds spent inside moto's stubber (moto's simulation of the service), summed over the run.
moto_seconds = [0.0]


def _stubber(original: Any) -> Any:
    def call(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if _answered and _answered[-1] is request:
            _answered.pop()
            return None
        started = time.perf_counter()
        try:
            return original(self, event_name, request, **kwargs)
        finally:
            moto_seconds[0] += time.perf_counter() - started

    return call

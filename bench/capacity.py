"""DynamoDB capacity from item sizes, by the documented rules, for when moto does not compute it.

moto answers ReturnConsumedCapacity with a constant per call (1.0, or 0.5 for some operations),
whatever was read or written, so the benchmark computes what DynamoDB would charge:

* item size: the UTF-8 length of every attribute name plus its value's size (string: UTF-8
  length; number: about one byte per two significant digits plus one; binary: its length;
  boolean and null: 1; list and map: 3 bytes plus each element and 1 byte per element; sets:
  the sum of their elements);
* reads: GetItem and BatchGetItem round every item up to 4 KB (an item not found still costs the
  minimum), Query rounds the total of the entries it reads (not only the attributes a
  ProjectionExpression returns) up to 4 KB; 1 read unit per 4 KB when strongly
  consistent, half when eventually consistent (index queries always are);
* writes: 1 write unit per 1 KB of the larger of the item before and after (a missing item
  still costs 1), 2 per 1 KB inside TransactWriteItems; every global secondary index whose entry
  is added, removed or changed costs 1 write unit per 1 KB of its entry (2 when its key changes:
  the old entry is deleted and the new one put). Index entries hold the table and index keys
  (KEYS_ONLY) or the whole item (ALL).

On-demand tables bill the same units as read and write request units.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

READ_BLOCK = 4096
WRITE_BLOCK = 1024
TABLE_KEYS = ("pk", "sk")


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, str]
    projection: str  # "ALL" or "KEYS_ONLY"


def _number_size(text: str) -> int:
    digits = text.lstrip("-").lower().split("e")[0].replace(".", "").strip("0")
    return (max(len(digits), 1) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(data) if isinstance(data, bytes | bytearray) else len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(e).encode()) for e in data)
    if kind == "NS":
        return sum(_number_size(str(e)) for e in data)
    if kind == "BS":
        return sum(len(e) if isinstance(e, bytes | bytearray) else len(base64.b64decode(e)) for e in data)
    if kind == "L":
        return 3 + sum(value_size(e) + 1 for e in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(e) + 1 for k, e in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_BLOCK))
    return float(units) if consistent else units / 2


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_BLOCK))


def _entry(item: Mapping[str, Any] | None, index: Index) -> dict[str, Any] | None:
    if not item or not all(k in item for k in index.keys):
        return None
    if index.projection == "ALL":
        return dict(item)
    return {k: item[k] for k in (*TABLE_KEYS, *index.keys) if k in item}


def index_write_units(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, indexes: Iterable[Index]
) -> int:
    units = 0
    for index in indexes:
        before, after = _entry(old, index), _entry(new, index)
        if before is None and after is None:
            continue
        if before is None:
            units += write_units(item_size(after))
        elif after is None:
            units += write_units(item_size(before))
        elif any(before[k] != after[k] for k in index.keys):
            units += write_units(item_size(before)) + write_units(item_size(after))
        elif before != after:
            units += write_units(max(item_size(before), item_size(after)))
    return units


def item_write_units(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    indexes: Iterable[Index],
    transactional: bool = False,
) -> int:
    """The table's units for one item written (x2 in a transaction) plus its indexes' units."""
    table = write_units(max(item_size(old), item_size(new)))
    return table * (2 if transactional else 1) + index_write_units(old, new, indexes)

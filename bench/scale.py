"""Availability and the staff calendar with 1,000 and with 100,000 stored appointments.

A table of its own with the same practice (three clinicians). The 1,000 confirmed appointments are
spread over the year around today, at the clinicians' working hours: 89 of them hold time in the
31 days queried. The 99,000 more go where a practice's 100,000 appointments must mostly be, in
its past (1 to 20 years back): its clinicians' hours hold a few hundred sessions in those 31 days
(437 take every slot the portal offers), so a table of 100,000 is mostly history whatever the
practice. The goal pair is therefore the same calendar in the range, with 1,000 and with 100,000
stored.

The second pair is the worst calendar: every slot of the range booked, on a table of 1,000 and on
the table of 100,000. What grows with the holds in the range (not with the table) is read from
the two pairs together.

Availability is measured for one clinician and for any clinician over 31 days, and the staff
calendar (`GET /staff/appointments`) over the same 31 days, in rounds that
alternate between the two tables (each round warmed up after the switch), so that whatever else
slows the machine for a while weighs on both sizes alike. Repeated Queries are answered from
moto's first answer (motopatch.Replay), in both sizes.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

from . import motopatch
from .instrument import Instrument
from .measure import Result, run
from .operations import availability_start
from .practice import NY, STAFF, Seeder, configure_practice, create_table, prepare, use_table

SMALL_TABLE = "portal-bench-1k"
LARGE_TABLE = "portal-bench-100k"
SMALL, LARGE = 1_000, 100_000


def _queries(first: datetime, last: datetime) -> list[dict[str, Any]]:
    """The availability query exactly as Store.busy makes it, and a paged one."""
    from functions.scheduling.config import MAX_DURATION_MINUTES
    from functions.store import keys

    low = keys.compact(first - timedelta(minutes=MAX_DURATION_MINUTES))
    busy = {
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :p AND gsi2sk BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {
            ":p": {"S": "BUSY"},
            ":lo": {"S": low},
            ":hi": {"S": keys.compact(last)},
        },
    }
    paged = {
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :p AND gsi2sk >= :lo",
        "ExpressionAttributeValues": {":p": {"S": "BUSY"}, ":lo": {"S": low}},
        "Limit": 25,
    }
    projected = {**busy, "ProjectionExpression": "gsi2sk"}
    calendar = {
        "IndexName": "gsi3",
        "KeyConditionExpression": "gsi3pk = :p AND gsi3sk BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {
            ":p": {"S": "CALENDAR"},
            ":lo": {"S": low},
            ":hi": {"S": keys.compact(last)},
        },
        "ProjectionExpression": "id, #s, clinicianId, clientName",
        "ExpressionAttributeNames": {"#s": "status"},
    }
    return [busy, paged, projected, calendar]


ROUNDS = 5


def _table(name: str, seed: int, history: int) -> Any:
    """A table with the practice and 1,000 appointments around today (the same for the same
    seed), plus `history` more in past years; returns its seeder."""
    create_table(name)
    seeder = Seeder(configure_practice(), seed=seed)
    seeder.seed(name, SMALL)
    if history:
        seeder.seed(name, history, past=True)
    return seeder


def measure(instrument: Instrument, invocations: dict[int, int], warmup: int) -> dict[str, Any]:
    from functions import aws

    first_day = availability_start()
    last_day = first_day + timedelta(days=30)
    window = {"from": first_day.isoformat(), "to": last_day.isoformat()}
    first = datetime.combine(first_day, clock(), tzinfo=NY)
    last = datetime.combine(first_day + timedelta(days=31), clock(), tzinfo=NY)
    variants: dict[str, tuple[str, dict[str, str], Any]] = {
        "one clinician": (
            "/availability",
            {"clientType": "existing", **window, "clinicianId": "c-okafor"},
            None,
        ),
        "any clinician": ("/availability", {"clientType": "existing", **window}, None),
        "staff calendar": ("/staff/appointments", window, STAFF),
    }
    replay = motopatch.Replay(("Query",))
    tables = {SMALL: SMALL_TABLE, LARGE: LARGE_TABLE}

    def switch(table: str) -> None:
        use_table(table)
        instrument.attach(aws.dynamodb())
        replay.attach(aws.dynamodb())

    def measured(label: str) -> dict[int, dict[str, dict[str, Any]]]:
        merged = {size: {name: Result(f"{name}, {label}") for name in variants} for size in tables}
        replay.enabled = True
        for _ in range(ROUNDS):
            for size, table in tables.items():
                switch(table)
                count = max(1, invocations[size] // ROUNDS) + warmup
                for name, (path, query, who) in variants.items():
                    calls = [prepare("GET", path, query=query, who=who) for _ in range(count)]
                    found = run(f"GET {path}, {name}, {label}", instrument, calls, warmup)
                    merged[size][name].samples += found.samples
                    merged[size][name].failures += found.failures
        replay.enabled = False
        return {size: {name: r.summary() for name, r in by.items()} for size, by in merged.items()}

    seeding: dict[str, float] = {}
    _table(SMALL_TABLE, 1000, 0)
    problems = motopatch.self_check(aws.dynamodb(), SMALL_TABLE, _queries(first, last))
    started = time.perf_counter()
    large_seeder = _table(LARGE_TABLE, 1000, LARGE - SMALL)
    seeding["100k"] = time.perf_counter() - started
    problems = problems or motopatch.self_check(aws.dynamodb(), LARGE_TABLE, _queries(first, last))
    plain = measured("as seeded")

    # The worst calendar: every slot of the range that is still offered booked, in both tables
    # (the same 1,000 in both, so the same holds are added).
    booked = {}
    for table in tables.values():
        use_table(table)
        booked[table] = large_seeder.book_every_slot(table, first_day, last_day)
    full = measured("the range fully booked")

    for table in tables.values():
        aws.dynamodb().delete_table(TableName=table)
    motopatch.invalidate()

    def pair(one: dict[str, Any], many: dict[str, Any]) -> dict[str, Any]:
        return {
            "1k": one,
            "100k": many,
            "p50_ratio": many["p50_ms"] / one["p50_ms"],
            "own_p50_ratio": many["own_p50_ms"] / one["own_p50_ms"],
            "dynamodb_p50_ratio": many["dynamodb_p50_ms"] / one["dynamodb_p50_ms"],
            "calls_identical": set(one["call_patterns"]) == set(many["call_patterns"]),
            "same_holds_read": one["items_returned"] == many["items_returned"],
        }

    pairs: dict[str, Any] = {}
    fuller: dict[str, float] = {}  # p50 with the range fully booked / as seeded (1,000 stored)
    for name in variants:
        pairs[name] = pair(plain[SMALL][name], plain[LARGE][name])
        pairs[f"{name}, range fully booked"] = pair(full[SMALL][name], full[LARGE][name])
        fuller[name] = full[SMALL][name]["p50_ms"] / plain[SMALL][name]["p50_ms"]
    return {
        "rounds": ROUNDS,
        "seeding_seconds": seeding,
        "holds_in_range": {
            "1k": plain[SMALL]["any clinician"]["items_returned"],
            "fully booked": full[SMALL]["any clinician"]["items_returned"],
            "booked_to_fill": booked,
        },
        "fast_query_self_check": problems or "moto's own Query and the benchmark's agree",
        "replayed_queries": replay.hits,
        "pairs": pairs,
        "fully_booked_to_seeded_p50": fuller,
    }


def main() -> None:
    """`python -m bench.scale [calls]`: this part of bench.run alone, printed a line per pair."""
    import os
    import sys

    from .run import alone

    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    found = alone(lambda: measure(Instrument(), {SMALL: calls, LARGE: calls}, 5))
    for name, v in found["pairs"].items():
        one, many = v["1k"], v["100k"]
        print(
            f"{name:<36} p50 {one['p50_ms']:6.2f} -> {many['p50_ms']:6.2f} ms ({v['p50_ratio']:.2f}x);"
            f" in DynamoDB {one['dynamodb_p50_ms']:5.2f} -> {many['dynamodb_p50_ms']:5.2f};"
            f" own {one['own_p50_ms']:5.2f} -> {many['own_p50_ms']:5.2f}; holds {one['items_returned']:g};"
            f" read units {one['read_units']:g} -> {many['read_units']:g}",
            flush=True,
        )
    os._exit(0)  # skip tearing down moto's 100,000 items


if __name__ == "__main__":
    main()

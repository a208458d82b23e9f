"""Availability with 1,000 and with 100,000 stored appointments.

A table of its own with the same practice; confirmed appointments are seeded uniformly over the
year around today across the practice's clinicians (bench.practice.Seeder). Availability is
measured for one clinician and for any clinician over 31 days, first with 1,000 appointments,
then after 99,000 more from the same distribution.

For comparison (not a goal), a second table holds the same 1,000 and 99,000 more moved back into
past years: 100,000 stored, with the queried range as full as with 1,000. It tells what grows
with the table from what grows with the holds in the range.

Repeated Queries are answered from moto's first answer (motopatch.Replay), in both sizes.
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
from .practice import NY, Seeder, configure_practice, create_table, prepare

TABLE = "portal-bench-scale"
HISTORY_TABLE = "portal-bench-history"
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
    return [busy, paged]


def _table(name: str, instrument: Instrument) -> tuple[Any, motopatch.Replay]:
    from functions import aws

    create_table(name)
    instrument.attach(aws.dynamodb())
    replay = motopatch.Replay(("Query",))
    replay.attach(aws.dynamodb())
    return configure_practice(), replay


def measure(instrument: Instrument, invocations: dict[int, int], warmup: int) -> dict[str, Any]:
    from functions import aws

    first_day = availability_start()
    window = {"from": first_day.isoformat(), "to": (first_day + timedelta(days=30)).isoformat()}
    first = datetime.combine(first_day, clock(), tzinfo=NY)
    last = datetime.combine(first_day + timedelta(days=31), clock(), tzinfo=NY)
    variants = {
        "one clinician": {"clientType": "existing", **window, "clinicianId": "c-okafor"},
        "any clinician": {"clientType": "existing", **window},
    }

    def measured(label: str, n: int) -> dict[str, Result]:
        return {
            name: run(
                f"GET /availability, {name}, {label}",
                instrument,
                [prepare("GET", "/availability", query=query) for _ in range(n + warmup)],
                warmup,
            )
            for name, query in variants.items()
        }

    # The goal: 1,000, then 100,000, uniformly over the year around today.
    config, replay = _table(TABLE, instrument)
    seeder = Seeder(config, seed=1000)
    seeding: dict[str, float] = {}
    started = time.perf_counter()
    seeder.seed(TABLE, SMALL)
    seeding["1k"] = time.perf_counter() - started
    problems = motopatch.self_check(aws.dynamodb(), TABLE, _queries(first, last))
    replay.enabled = True
    small = measured("1,000 stored", invocations[SMALL])
    replay.enabled = False
    started = time.perf_counter()
    seeder.seed(TABLE, LARGE - SMALL)
    seeding["99k more"] = time.perf_counter() - started
    replay.enabled = True
    large = measured("100,000 stored", invocations[LARGE])
    replay.enabled = False
    share = seeder.in_range(first - timedelta(hours=4), last)
    hits = replay.hits

    # For comparison, not a goal: the same 1,000 and 99,000 more in past years (history).
    config, replay = _table(HISTORY_TABLE, instrument)
    history_seeder = Seeder(config, seed=1000)
    history_seeder.seed(HISTORY_TABLE, SMALL)
    started = time.perf_counter()
    history_seeder.seed(HISTORY_TABLE, LARGE - SMALL, past=True)
    seeding["99k history"] = time.perf_counter() - started
    replay.enabled = True
    history = measured("100,000 stored, 99,000 in past years", invocations[SMALL])
    replay.enabled = False

    for name in (TABLE, HISTORY_TABLE):
        aws.dynamodb().delete_table(TableName=name)
    motopatch.invalidate()

    summary: dict[str, Any] = {
        "seeding_seconds": seeding,
        "share_of_appointments_in_query_range": share,
        "fast_query_self_check": problems or "moto's own Query and the benchmark's agree",
        "replayed_queries": hits + replay.hits,
        "variants": {},
        "history": {},
    }
    for name in variants:
        one, many, old = small[name].summary(), large[name].summary(), history[name].summary()
        summary["variants"][name] = {
            "1k": one,
            "100k": many,
            "p50_ratio": many["p50_ms"] / one["p50_ms"],
            "own_p50_ratio": many["own_p50_ms"] / one["own_p50_ms"],
            "dynamodb_p50_ratio": many["dynamodb_p50_ms"] / one["dynamodb_p50_ms"],
            "calls_identical": set(one["call_patterns"]) == set(many["call_patterns"]),
        }
        summary["history"][name] = {
            "100k_history": old,
            "p50_ratio": old["p50_ms"] / one["p50_ms"],
            "calls_identical": set(one["call_patterns"]) == set(old["call_patterns"]),
        }
    return summary

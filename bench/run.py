"""The benchmark suite: `python -m bench.run` from the project root (`--quick` for a short trial).

On moto in process (never real AWS), it measures
1. every API operation: DynamoDB calls per invocation, capacity units, p50/p95 latency over 200
   warm invocations, and the handler's time as a ratio to the time inside its DynamoDB calls;
   then the same operations with DynamoDB's answers recorded once and replayed, each handler
   against its floor (bench/replay.py);
2. availability with 1,000 and with 100,000 stored appointments;
3. each handler module's cold import time against a floor: the bundle as synth ships it, imported
   by Python 3.13 without writing bytecode (bench/imports.py);
4. notify throughput for a batch of 100 stream records;
5. approval to email at SES over 50 approvals while 10 % of DynamoDB write answers are lost;
6. one run of the reminder job with 10,000 stored appointments and 100 reminders due, the same
   run again, and a run with none due (bench/reminders.py);
prints a table, writes bench/results.json and ends with a line starting "bench:".
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from . import delivery, imports, motopatch, notify, operations, reminders, replay, scale
from .instrument import Instrument
from .measure import on_fresh_stack, run
from .practice import ENV, NY, use_environment

HERE = Path(__file__).resolve().parent
T = TypeVar("T")
INVOCATIONS = 200
WARMUP = 5

GOAL_RATIO = 1.5
GOAL_SCALE = 1.2
GOAL_IMPORT = imports.GOAL

# DynamoDB calls per operation documented in docs/data-model.md (with an Idempotency-Key).
BUDGETS = {
    "GET /portal": 1,
    "GET /clinicians": 1,
    "GET /availability, one clinician, 31 days": 2,
    "GET /availability, any clinician, 31 days": 2,
    "GET /me/appointments": 2,
    "GET /staff/requests": 2,
    "PATCH /staff/settings": 2,
    "POST /requests": 2,
    "POST /me/requests": 3,
    "POST /me/appointments/{id}/reschedule": 2,
    "POST /me/appointments/{id}/cancel": 2,
    "POST /staff/requests/{id}/approve": 2,
    "POST /staff/requests/{id}/deny": 2,
    "GET /staff/appointments, 31 days": 2,
    "POST /staff/appointments": 2,
    "POST /staff/appointments/{id}/reschedule": 2,
    "POST /staff/appointments/{id}/cancel": 2,
}

# ---- what the figures cost on AWS (us-east-1, on-demand, list prices since November 2024) ---------

PRICE_READ_UNIT = 0.125 / 1e6
PRICE_WRITE_UNIT = 0.625 / 1e6
PRICE_GB_SECOND = 0.0000133334  # Lambda arm64
PRICE_LAMBDA_REQUEST = 0.20 / 1e6
PRICE_API_REQUEST = 3.50 / 1e6  # API Gateway REST, first 333 million a month
MEMORY_MB = {"availability": 1024}  # infra/api.py MEMORY_MB; every other function has 512 MB
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, proportionally less below
# Assumed network and service time of one in-region DynamoDB call (ms), besides the SDK's own
# work on the client, which is measured (the part of a call's time not spent inside moto).
AWS_CALL_MS = {
    "GetItem": 3,
    "BatchGetItem": 4,
    "Query": 4,
    "PutItem": 5,
    "UpdateItem": 5,
    "TransactWriteItems": 10,
}
FUNCTION_OF = {
    "GET /portal": "availability",
    "GET /clinicians": "availability",
    "GET /availability, one clinician, 31 days": "availability",
    "GET /availability, any clinician, 31 days": "availability",
    "GET /me/appointments": "appointments",
    "GET /staff/requests": "review",
    "PATCH /staff/settings": "practice",
    "POST /requests": "submit",
    "POST /me/requests": "submit",
    "POST /me/appointments/{id}/reschedule": "reschedule",
    "POST /me/appointments/{id}/cancel": "cancel",
    "POST /staff/requests/{id}/approve": "review",
    "POST /staff/requests/{id}/deny": "review",
    "GET /staff/appointments, 31 days": "calendar",
    "POST /staff/appointments": "calendar",
    "POST /staff/appointments/{id}/reschedule": "calendar",
    "POST /staff/appointments/{id}/cancel": "calendar",
}
# A practice's month, per appointment request made through the portal: what clients and staff
# call around it (browsing, the request, checking it, the review, the odd change).
MIX_PER_REQUEST = {
    "GET /portal": 1.0,
    "GET /clinicians": 1.0,
    "GET /availability, one clinician, 31 days": 2.0,
    "GET /availability, any clinician, 31 days": 2.0,
    "POST /requests": 0.6,
    "POST /me/requests": 0.4,
    "GET /me/appointments": 1.5,
    "POST /me/appointments/{id}/reschedule": 0.1,
    "POST /me/appointments/{id}/cancel": 0.05,
    "GET /staff/requests": 2.0,
    "POST /staff/requests/{id}/approve": 1.0,
    "POST /staff/requests/{id}/deny": 0.15,
    "PATCH /staff/settings": 0.01,
}
REQUESTS_PER_MONTH = 400  # appointment requests of a 3-clinician practice
# Emails per appointment request: "awaiting review" to the practice, and most are confirmed.
EMAILS_PER_REQUEST = {"received": 1.0, "confirmed": 0.85}
NOTIFY_MEMORY_MB = 512
SES_CALL_MS = 30  # assumed SES SendEmail latency
PRICE_EMAIL = 0.10 / 1000  # SES, outbound
REMINDER_MEMORY_MB = 512
RUNS_PER_DAY = 24 * 60 // 5  # the reminder schedule: every 5 minutes


def aws_cost(name: str, figures: dict[str, Any]) -> dict[str, float]:
    """Modelled cost of one call on AWS: DynamoDB units, API Gateway, Lambda request and duration.
    Duration = (the handler's own time + the SDK's client-side time) scaled to the function's CPU
    share + the assumed network and service time of its DynamoDB calls."""
    memory = MEMORY_MB.get(FUNCTION_OF[name], 512)
    cpu = max(1.0, FULL_VCPU_MB / memory)
    calls = figures["calls_made"].split(" + ")
    service_ms = sum(AWS_CALL_MS.get(c, 5) for c in calls)
    own_ms = figures["own_p50_ms"] * cpu
    client_ms = figures["dynamodb_client_p50_ms"] * cpu
    duration_ms = round(own_ms + client_ms + service_ms + 0.5)
    lambda_compute = duration_ms / 1000 * memory / 1024 * PRICE_GB_SECOND
    dynamodb = figures["read_units"] * PRICE_READ_UNIT + figures["write_units"] * PRICE_WRITE_UNIT
    return {
        "memory_mb": memory,
        "cpu_scale": cpu,
        "modelled_duration_ms": duration_ms,
        "modelled_ratio": (own_ms + client_ms + service_ms) / (client_ms + service_ms),
        "dynamodb_usd": dynamodb,
        "lambda_usd": lambda_compute + PRICE_LAMBDA_REQUEST,
        "api_gateway_usd": PRICE_API_REQUEST,
        "total_usd": dynamodb + lambda_compute + PRICE_LAMBDA_REQUEST + PRICE_API_REQUEST,
    }


def notify_cost(batch: dict[str, Any]) -> dict[str, float]:
    """Modelled cost of one email, each delivered alone (a practice's changes rarely share a
    batch): DynamoDB units of the measured batch per email, one Lambda invocation whose duration
    is the measured per-email work scaled to 512 MB plus the DynamoDB and SES latency assumed."""
    emails = batch["emails_sent"] or 1
    cpu = FULL_VCPU_MB / NOTIFY_MEMORY_MB
    client_ms = (batch["seconds"] - batch["ses_seconds"] - batch["dynamodb_moto_seconds"]) * 1000 / emails
    service_ms = (
        AWS_CALL_MS["GetItem"] + AWS_CALL_MS["PutItem"] + AWS_CALL_MS["TransactWriteItems"] + SES_CALL_MS
    )
    duration_ms = round(client_ms * cpu + service_ms + 0.5)
    dynamodb = (batch["read_units"] * PRICE_READ_UNIT + batch["write_units"] * PRICE_WRITE_UNIT) / emails
    dynamodb += PRICE_READ_UNIT  # the configuration, read once per invocation
    lambda_usd = duration_ms / 1000 * NOTIFY_MEMORY_MB / 1024 * PRICE_GB_SECOND + PRICE_LAMBDA_REQUEST
    return {
        "modelled_duration_ms": duration_ms,
        "dynamodb_usd": dynamodb,
        "lambda_usd": lambda_usd,
        "total_usd": dynamodb + lambda_usd,
    }


def reminder_cost(run: dict[str, Any]) -> dict[str, float]:
    """Modelled cost and duration of one reminder run on AWS: the SDK's and the job's own measured
    time (outside moto and SES) scaled to 512 MB, plus the assumed latency of each DynamoDB call
    and each send; DynamoDB units as measured; SES per email."""
    cpu = FULL_VCPU_MB / REMINDER_MEMORY_MB
    client_ms = (run["seconds"] - run["ses_seconds"] - run["dynamodb_moto_seconds"]) * 1000
    service_ms = sum(AWS_CALL_MS.get(n, 5) * c for n, c in run["dynamodb_calls_by_name"].items())
    service_ms += SES_CALL_MS * run["ses_calls"]
    duration_ms = round(client_ms * cpu + service_ms + 0.5)
    dynamodb = run["read_units"] * PRICE_READ_UNIT + run["write_units"] * PRICE_WRITE_UNIT
    lambda_usd = duration_ms / 1000 * REMINDER_MEMORY_MB / 1024 * PRICE_GB_SECOND + PRICE_LAMBDA_REQUEST
    ses = run["emails_sent"] * PRICE_EMAIL
    return {
        "modelled_duration_ms": duration_ms,
        "dynamodb_usd": dynamodb,
        "lambda_usd": lambda_usd,
        "ses_usd": ses,
        "total_usd": dynamodb + lambda_usd + ses,
    }


def practice_month(costs: dict[str, dict[str, float]], emails: dict[str, dict[str, float]]) -> dict[str, Any]:
    calls = {name: weight * REQUESTS_PER_MONTH for name, weight in MIX_PER_REQUEST.items()}
    total_calls = sum(calls.values())
    total = sum(calls[name] * costs[name]["total_usd"] for name in calls)
    parts = {
        part: sum(calls[name] * costs[name][f"{part}_usd"] for name in calls)
        for part in ("dynamodb", "lambda", "api_gateway")
    }
    sent = {kind: share * REQUESTS_PER_MONTH for kind, share in EMAILS_PER_REQUEST.items()}
    notify = sum(sent[kind] * emails[kind]["total_usd"] for kind in sent)
    return {
        "appointment_requests": REQUESTS_PER_MONTH,
        "api_calls": total_calls,
        "usd_per_month": total,
        "usd_per_1000_api_calls": total / total_calls * 1000,
        "usd_per_month_by_part": parts,
        "emails": sum(sent.values()),
        "notify_usd_per_month": notify,
        "notify_usd_per_1000_emails": notify / sum(sent.values()) * 1000,
    }


# ---- running --------------------------------------------------------------------------------------


def quiet_logs() -> None:
    """The handlers log JSON lines to stdout at INFO (as on Lambda); send them to /dev/null."""
    sink = open(os.devnull, "w")  # noqa: SIM115 (kept open for the whole run)
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("client-portal"):
            for handler in logging.getLogger(name).handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(sink)


def load_handlers() -> None:
    import importlib

    from functions.api.routes import FUNCTIONS

    for module in (*FUNCTIONS.values(), "functions.notify.handler", "functions.jobs.reminders"):
        importlib.import_module(module)


def set_up() -> None:
    """The process as every part on moto needs it: moto's writes serialized, its index Query
    replaced (bench.motopatch), the handlers imported and their logs quieted."""
    from functions.local.embedded import serialize_moto_writes

    serialize_moto_writes()
    motopatch.install()
    load_handlers()
    quiet_logs()


def alone(measure: Callable[[], T]) -> T:
    """One part of the suite run alone (`python -m bench.scale`, `python -m bench.replay`): the
    environment and the process set up as here, then `measure` on moto, on a fresh stack."""
    from moto import mock_aws

    from functions import aws

    use_environment()
    set_up()

    def measured() -> T:
        with mock_aws():
            aws.reset()
            return measure()

    return on_fresh_stack(measured)


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def api_operations(instrument: Instrument, invocations: int, replayed: int) -> dict[str, Any]:
    from functions import aws

    progress("API operations: building the practice")
    world = operations.build()
    instrument.attach(aws.dynamodb())
    from .scale import _queries

    first = datetime.combine(world.first, datetime.min.time(), tzinfo=NY)
    checks = _queries(first, first.replace(year=first.year + 1))
    checks.append(
        {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "REQUESTS#pending"}},
            "Limit": 10,
        }
    )
    problems = motopatch.self_check(aws.dynamodb(), operations.TABLE, checks)
    # On the practice as built (before the changes below add to it): the calendar of the 31 days
    # availability reads is the one section 1 reads.
    progress("API operations with DynamoDB's answers replayed, against their floors")
    replayed_figures = replay.measure(world, replayed)
    instrument.attach(aws.dynamodb())
    found: dict[str, Any] = {}
    for operation in operations.OPERATIONS:
        prepared = operation.prepare(world, invocations + WARMUP)
        result = run(operation.name, instrument, prepared, WARMUP)
        if operation.after:
            operation.after(world)
        found[operation.name] = result.summary()
        progress(f"  {operation.name}: p50 {found[operation.name]['p50_ms']:.1f} ms")
    return {
        "operations": found,
        "fast_query_self_check": problems or "moto's own Query and the benchmark's agree",
        "replayed": replayed_figures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 invocations per operation, 2 import runs")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results.json")
    args = parser.parse_args()
    invocations = 20 if args.quick else INVOCATIONS
    replayed = 100 if args.quick else replay.INVOCATIONS
    started = time.perf_counter()
    use_environment()

    progress("cold imports (fresh interpreters)")
    cold = imports.measure(ENV, runs=2 if args.quick else imports.RUNS)

    from moto import mock_aws

    from functions import aws

    set_up()
    instrument = Instrument()

    def embedded() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        with mock_aws():
            aws.reset()
            api = api_operations(instrument, invocations, replayed)
            progress("availability with 1,000 and 100,000 stored appointments")
            scaled = scale.measure(instrument, {scale.SMALL: invocations, scale.LARGE: invocations}, WARMUP)
            progress("notify: a batch of 100 stream records")
            notified = notify.measure(instrument)
            progress("the reminder job: 100 due among 10,000 stored appointments")
            reminded = reminders.measure(instrument)
            aws.reset()
        with mock_aws():
            aws.reset()
            progress("approval to email at SES, 10 % of DynamoDB answers lost")
            delivered = delivery.measure()
        return api, scaled, notified, delivered, reminded

    # Preparing data makes thousands of calls too: off the main thread's deep stack (see
    # bench.measure.on_fresh_stack).
    api, scaled, notified, delivered, reminded = on_fresh_stack(embedded)
    elapsed = time.perf_counter() - started

    costs = {name: aws_cost(name, figures) for name, figures in api["operations"].items()}
    emails = {kind: notify_cost(batch) for kind, batch in notified.items()}
    reminder_costs = {label: reminder_cost(run) for label, run in reminded.items()}
    month = practice_month(costs, emails)
    goals = evaluate(api, scaled, cold, delivered)
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "moto": _version("moto"),
            "boto3": _version("boto3"),
            "aws_lambda_powertools": _version("aws_lambda_powertools"),
            "pydantic": _version("pydantic"),
        },
        "quick": args.quick,
        "runtime_seconds": elapsed,
        "goals": goals,
        "api": api,
        "aws_cost": {
            "per_operation": costs,
            "per_email": emails,
            "practice_month": month,
            "reminder_runs": reminder_costs,
            "reminder_idle_runs_per_day_usd": reminder_costs["idle"]["total_usd"] * RUNS_PER_DAY,
        },
        "availability_scale": scaled,
        "cold_imports": cold,
        "notify": notified,
        "approval_to_email": delivered,
        "reminders": reminded,
        "fast_query_calls": dict(motopatch.stats),
    }
    print(report(results))
    if not args.no_write:
        (HERE / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(summary_line(goals, elapsed), flush=True)
    return 0 if all(g["met"] for g in goals.values()) else 1


def _version(module: str) -> str:
    from importlib.metadata import version

    try:
        return version(module.replace("_", "-"))
    except Exception:
        return "?"


def _scale_met(pair: dict[str, Any]) -> bool:
    return bool(pair["p50_ratio"] <= GOAL_SCALE and pair["calls_identical"] and pair["same_holds_read"])


def evaluate(
    api: dict[str, Any], scaled: dict[str, Any], cold: dict[str, Any], delivered: dict[str, Any]
) -> dict[str, Any]:
    ops = api["operations"]
    replayed = api["replayed"]["operations"]
    replay_misses = {
        n: round(f[replay.RATIO], 2)
        for n, f in replayed.items()
        if f[replay.RATIO] > f["goal"] or f["failed"]
    }
    over = {n: round(f["ratio_p50"], 2) for n, f in ops.items() if f["ratio_p50"] > GOAL_RATIO}
    failed = {n: f["failed"] for n, f in ops.items() if f["failed"]}
    scale_misses = {
        n: {"p50_ratio": round(v["p50_ratio"], 2), "calls_identical": v["calls_identical"]}
        for n, v in scaled["pairs"].items()
        if not _scale_met(v)
    }
    slow_imports = {m: round(v["ratio"], 2) for m, v in cold["modules"].items() if v["ratio"] > GOAL_IMPORT}
    return {
        "handler_to_dynamodb_ratio": {
            "goal": f"p50 of (handler time / time inside DynamoDB calls) <= {GOAL_RATIO} for every operation",
            "met": not over and not failed,
            "misses": over,
            "failed_invocations": failed,
        },
        "replayed_ratio": {
            "goal": (
                "with DynamoDB's answers replayed, handler / floor (p50 of CPU time)"
                f" <= {replay.GOAL_AVAILABILITY} for availability (one and any clinician),"
                f" <= {replay.GOAL_OTHER} for every other operation"
            ),
            "met": not replay_misses and not api["replayed"]["unrecorded_calls"],
            "misses": replay_misses,
        },
        "availability_scale": {
            "goal": (
                f"p50 100k / p50 1k <= {GOAL_SCALE} with the same DynamoDB calls, one and any clinician,"
                " for the same calendar and for a fully booked one"
            ),
            "met": not scale_misses,
            "misses": scale_misses,
        },
        "cold_import": {
            "goal": (
                f"cold import (least CPU time) / floor <= {GOAL_IMPORT} for every handler module, the"
                " bundle as shipped, imported by Lambda's Python without writing bytecode"
            ),
            "met": not slow_imports,
            "misses": slow_imports,
        },
        "approval_to_email": {
            "goal": (
                f"with {delivered['answers_lost_share']:.0%} of DynamoDB write answers lost, all"
                f" {delivered['approvals']} confirmations at SES exactly once and every API answer true"
            ),
            "met": delivered["delivered"] == delivered["approvals"]
            and not delivered["sent_more_than_once"]
            and not delivered["untrue_answers"],
            "misses": {
                k: v
                for k, v in {
                    "not delivered": delivered["approvals"] - delivered["delivered"],
                    "sent more than once": delivered["sent_more_than_once"],
                    "untrue answers": len(delivered["untrue_answers"]),
                }.items()
                if v
            },
        },
    }


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(r, widths) for r in rows]
    return "\n".join(lines)


def report(results: dict[str, Any]) -> str:
    ops = results["api"]["operations"]
    out = [
        "",
        "1. API operations (moto in process; p50/p95 over 200 warm invocations, fresh data for each change)",
    ]
    rows = []
    for name, f in ops.items():
        calls = (
            str(int(f["dynamodb_calls"]))
            if f["dynamodb_calls_min"] == f["dynamodb_calls_max"]
            else (f"{f['dynamodb_calls_min']}-{f['dynamodb_calls_max']}")
        )
        rows.append(
            [
                name,
                f"{calls}/{BUDGETS.get(name, '-')}",
                f"{f['read_units']:g}",
                f"{f['write_units']:g}",
                f"{f['moto_reported_units']:g}" if f["moto_reported_units"] is not None else "-",
                f"{f['p50_ms']:.2f}",
                f"{f['p95_ms']:.2f}",
                f"{f['dynamodb_p50_ms']:.2f}",
                f"{f['own_p50_ms']:.2f}",
                f"{f['ratio_p50']:.2f}",
                "FAILED" if f["failed"] else ("ok" if f["ratio_p50"] <= GOAL_RATIO else "MISS"),
                f"{results['aws_cost']['per_operation'][name]['modelled_ratio']:.2f}",
            ]
        )
    out.append(
        _table(
            [
                "operation",
                "calls/budget",
                "RRU",
                "WRU",
                "moto CU",
                "p50 ms",
                "p95 ms",
                "in DDB p50",
                "own p50",
                "ratio",
                f"<= {GOAL_RATIO}",
                "AWS est.",
            ],
            rows,
        )
    )
    for name, f in ops.items():
        if f["failed"]:
            out.append(f"   {name}: {f['failed']} invocations failed, e.g. {f['failures'][0]}")
    out.append("   RRU/WRU: read/write request units per invocation, computed from item sizes (moto reports")
    out.append(
        "   a constant per call, shown as 'moto CU'); ratio: median of handler time / time inside DynamoDB;"
    )
    out.append("   AWS est.: the same ratio modelled for Lambda (see docs/performance.md), not measured.")
    out.append(f"   fast index Query self-check: {results['api']['fast_query_self_check']}")

    out += [
        "",
        "1b. The same operations with DynamoDB's answers replayed (no time in DynamoDB), against a floor",
    ]
    out += replay.table(results["api"]["replayed"], ops)

    scaled = results["availability_scale"]
    out += ["", "2. Availability and the staff calendar over 31 days, 1,000 vs 100,000 stored appointments"]
    rows = []
    for name, v in scaled["pairs"].items():
        for size in ("1k", "100k"):
            f = v[size]
            rows.append(
                [
                    f"{name}, {size}",
                    str(f["invocations"]),
                    f["calls_made"],
                    f"{f['items_returned']:g}",
                    f"{f['read_units']:g}",
                    f"{f['p50_ms']:.2f}",
                    f"{f['p95_ms']:.2f}",
                    f"{f['dynamodb_p50_ms']:.2f}",
                    f"{f['own_p50_ms']:.2f}",
                    "",
                ]
            )
        rows.append(
            [
                f"{name}, 100k/1k",
                "",
                "same" if v["calls_identical"] else "DIFFERENT",
                "same" if v["same_holds_read"] else "DIFFERENT",
                "",
                f"{v['p50_ratio']:.2f}x",
                "",
                f"{v['dynamodb_p50_ratio']:.2f}x",
                f"{v['own_p50_ratio']:.2f}x",
                "ok" if _scale_met(v) else "MISS",
            ]
        )
    out.append(
        _table(
            [
                "availability",
                "n",
                "DynamoDB calls",
                "holds read",
                "RRU",
                "p50 ms",
                "p95 ms",
                "in DDB p50",
                "own p50",
                f"<= {GOAL_SCALE}",
            ],
            rows,
        )
    )
    holds = scaled["holds_in_range"]
    fuller = scaled["fully_booked_to_seeded_p50"]
    out.append(
        f"   1k: spread over the year around today ({holds['1k']:g} holds in the range); 100k: the same plus"
        " 99,000 in past years"
    )
    out.append(
        f"   (seeded in {scaled['seeding_seconds']['100k']:.1f} s). Fully booked: every slot of the"
        f" range the portal still offered taken ({holds['fully booked']:g} holds)."
    )
    out.append(
        "   What the holds in the range cost: fully booked / as seeded, 1k: "
        + ", ".join(f"{ratio:.2f}x ({name})" for name, ratio in fuller.items())
        + f". {scaled['rounds']} rounds alternating the tables; repeated Queries replay moto's first answer."
    )
    out.append(f"   fast index Query self-check: {scaled['fast_query_self_check']}")

    out += ["", *imports.table(results["cold_imports"])]

    out += ["", "4. Notify, one invocation with 100 stream records"]
    rows = []
    for v in results["notify"].values():
        rows.append(
            [
                v["batch"],
                str(v["emails_sent"]),
                str(v["failed_records"]),
                f"{v['seconds'] * 1000:.0f}",
                f"{v['emails_per_second']:.0f}",
                f"{v['dynamodb_calls']}",
                f"{v['dynamodb_seconds'] * 1000:.0f}",
                f"{v['ses_seconds'] * 1000:.0f}",
                f"{v['own_seconds'] * 1000:.0f}",
            ]
        )
    out.append(
        _table(
            ["batch", "sent", "failed", "ms", "emails/s", "DDB calls", "in DDB ms", "in SES ms", "own ms"],
            rows,
        )
    )

    d = results["approval_to_email"]
    out += [
        "",
        f"5. Approval to email at SES, {d['approvals']} approvals, {d['answers_lost_share']:.0%} of DynamoDB"
        " write answers lost after the write",
        f"   p50 {d['latency_ms_p50']:.0f} ms, p99 {d['latency_ms_p99']:.0f} ms,"
        f" max {d['latency_ms_max']:.0f} ms;"
        f" delivered {d['delivered']}/{d['approvals']}, sent more than once {d['sent_more_than_once']},"
        f" untrue API answers {len(d['untrue_answers'])};"
        f" answers lost: {sum(d['answers_lost'].values())} of {d['writes']} writes {d['answers_lost']}",
    ]

    out += ["", "6. The reminder job, one run, 10,000 stored appointments (moto in process; AWS modelled)"]
    rows = []
    for label, v in results["reminders"].items():
        cost = results["aws_cost"]["reminder_runs"][label]
        calls = ", ".join(f"{n} {c}" for n, c in v["dynamodb_calls_by_name"].items())
        rows.append(
            [
                v["run"],
                str(v["emails_sent"]),
                f"{v['seconds'] * 1000:.0f}",
                calls,
                f"{v['read_units']:.1f}/{v['write_units']:.1f}",
                f"{cost['modelled_duration_ms']}",
                f"${cost['total_usd']:.6f}",
            ]
        )
    out.append(
        _table(["run", "sent", "ms", "DynamoDB calls", "RRU/WRU", "AWS est. ms", "AWS est. cost"], rows)
    )
    out.append(
        "   AWS est.: the job's and the SDK's measured time scaled to 512 MB, plus assumed service times"
        f" (DynamoDB as above, SES {SES_CALL_MS} ms); cost includes SES at ${PRICE_EMAIL * 1000:.2f} per"
        f" 1,000 emails. {RUNS_PER_DAY} runs a day with none due:"
        f" ${results['aws_cost']['reminder_idle_runs_per_day_usd']:.5f} a day."
    )

    month = results["aws_cost"]["practice_month"]
    out += [
        "",
        f"AWS cost model: {month['api_calls']:.0f} API calls a month for {month['appointment_requests']}"
        f" appointment requests: ${month['usd_per_month']:.4f} a month,"
        f" ${month['usd_per_1000_api_calls']:.4f} per 1,000 API calls"
        " (API Gateway, Lambda, DynamoDB);"
        f" notify: {month['emails']:.0f} emails, ${month['notify_usd_per_month']:.4f} a month"
        " (Lambda, DynamoDB; SES not included).",
        f"runtime {results['runtime_seconds']:.0f} s on {results['machine']['cpus']} CPUs",
    ]
    return "\n".join(out)


def summary_line(goals: dict[str, Any], elapsed: float) -> str:
    missed = [name for name, goal in goals.items() if not goal["met"]]
    if not missed:
        return f"bench: every goal met ({', '.join(goals)}) in {elapsed:.0f} s"
    details = []
    for name in missed:
        misses = goals[name].get("misses") or {}
        details.append(f"{name} ({len(misses)} missed: {', '.join(misses)})" if misses else name)
    met = [name for name in goals if name not in missed]
    return (
        f"bench: goals NOT met: {'; '.join(details)}"
        + (f"; met: {', '.join(met)}" if met else "")
        + f" — {elapsed:.0f} s"
    )


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip tearing down moto's in-memory tables (several million objects: ~15 s); the results are
    # written and closed.
    os._exit(code)

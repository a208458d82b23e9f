"""Timing prepared invocations with the instrument on, and summarising them."""

from __future__ import annotations

import gc
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .instrument import Instrument, Timer
from .practice import Prepared

T = TypeVar("T")


@dataclass
class Sample:
    seconds: float  # the handler's wall time, less the instrument's own hooks
    dynamodb_seconds: float
    moto_seconds: float
    calls: tuple[str, ...]
    read_units: float
    write_units: float
    moto_units: float | None
    items_returned: int

    @property
    def ratio(self) -> float:
        return self.seconds / self.dynamodb_seconds if self.dynamodb_seconds else float("inf")


@dataclass
class Result:
    name: str
    samples: list[Sample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def quantile(self, values: list[float], q: int) -> float:
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    def summary(self) -> dict[str, Any]:
        seconds = [s.seconds for s in self.samples]
        inside = [s.dynamodb_seconds for s in self.samples]
        own = [s.seconds - s.dynamodb_seconds for s in self.samples]
        client = [s.dynamodb_seconds - s.moto_seconds for s in self.samples]
        moto = [s.moto_seconds for s in self.samples]
        patterns = Counter(" + ".join(s.calls) for s in self.samples)
        counts = [len(s.calls) for s in self.samples]
        reported = [s.moto_units for s in self.samples if s.moto_units is not None]
        return {
            "invocations": len(self.samples),
            "failures": self.failures[:5],
            "failed": len(self.failures),
            "dynamodb_calls": statistics.median(counts),
            "dynamodb_calls_min": min(counts),
            "dynamodb_calls_max": max(counts),
            "calls_made": patterns.most_common(1)[0][0],
            "call_patterns": dict(patterns),
            "read_units": statistics.median(s.read_units for s in self.samples),
            "write_units": statistics.median(s.write_units for s in self.samples),
            "moto_reported_units": statistics.median(reported) if reported else None,
            "items_returned": statistics.median(s.items_returned for s in self.samples),
            "p50_ms": self.quantile(seconds, 50) * 1000,
            "p95_ms": self.quantile(seconds, 95) * 1000,
            "mean_ms": statistics.fmean(seconds) * 1000,
            "dynamodb_p50_ms": self.quantile(inside, 50) * 1000,
            "own_p50_ms": self.quantile(own, 50) * 1000,
            "dynamodb_client_p50_ms": self.quantile(client, 50) * 1000,
            "dynamodb_moto_p50_ms": self.quantile(moto, 50) * 1000,
            "ratio_p50": statistics.median(s.ratio for s in self.samples),
            "ratio_of_sums": sum(seconds) / sum(inside) if sum(inside) else None,
        }


def run(name: str, instrument: Instrument, prepared: list[Prepared], warmup: int) -> Result:
    """Invoke each prepared call in turn; the first `warmup` are not kept."""
    result = Result(name)
    # The benchmark's own state (moto's tables: up to 100,000 items) is not the handler's; keep
    # the cyclic collector from walking it again and again during the timed calls.
    gc.collect()
    gc.freeze()
    try:
        on_fresh_stack(_invoke, result, instrument, prepared, warmup)
    finally:
        gc.unfreeze()
    return result


def _reserving(slots: int) -> Callable[..., Any]:
    """A function whose frame holds `slots` locals: calling it makes CPython start a frame-stack
    chunk big enough for that frame and everything it calls."""
    names = [f"_{i}" for i in range(slots)]
    source = f"def call(function, args):\n    {' = '.join(names)} = None\n    return function(*args)\n"
    scope: dict[str, Any] = {}
    exec(compile(source, "<bench-stack>", "exec"), scope)  # noqa: S102 (fixed, generated source)
    return scope["call"]  # type: ignore[no-any-return]


# 9,000 slots (72 KB) make CPython allocate a 128 KB chunk: ~56 KB left for the calls made within,
# several times what a handler, botocore and moto need together.
_RESERVE = _reserving(9_000)


def on_fresh_stack(function: Callable[..., T], *args: Any) -> T:
    """Run a function where its calls never cross a frame-stack chunk boundary.

    CPython 3.11 keeps Python frames in chunks (16 KB unless a frame needs more) and unmaps a
    chunk as soon as the frame that opened it returns: a hot call that happens to sit on a chunk
    boundary maps and unmaps memory on every call. Depending only on how deep the caller was
    (python -m, one wrapper function more or less), moto's recursive response serializer took
    11, 20 or 66 ms for the same GetItem, the difference spent in the kernel. This runs the
    function on a new thread, inside a frame that opens a 128 KB chunk, so that the handler, botocore
    and moto all run within one chunk, whoever calls."""
    answer: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            answer.append(_RESERVE(function, args))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="bench")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return answer[0]


def _invoke(result: Result, instrument: Instrument, prepared: list[Prepared], warmup: int) -> None:
    for i, call in enumerate(prepared):
        instrument.begin()
        started = time.perf_counter()
        answer = call.handler(call.event, call.context)
        elapsed = time.perf_counter() - started
        invocation = instrument.end()
        if answer.get("statusCode") != call.status:
            result.failures.append(f"{answer.get('statusCode')}: {str(answer.get('body'))[:200]}")
        if i < warmup:
            continue
        result.samples.append(
            Sample(
                seconds=elapsed - invocation.overhead,
                dynamodb_seconds=invocation.dynamodb_seconds,
                moto_seconds=invocation.moto_seconds,
                calls=tuple(invocation.names),
                read_units=invocation.read_units,
                write_units=invocation.write_units,
                moto_units=invocation.moto_units,
                items_returned=invocation.items_returned,
            )
        )


def emails_sent() -> int:
    """How many emails moto's SES has accepted so far."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def timed_sending(
    instrument: Instrument, timer: Timer, invoke: Callable[[], T]
) -> tuple[T, float, int, dict[str, Any]]:
    """One invocation that sends email (notify's batch, a reminder run), on a fresh stack with the
    instrument on and SES's calls timed: its answer, its seconds less the instrument's own hooks,
    the emails SES accepted meanwhile, and its DynamoDB and SES figures."""
    before = emails_sent()
    timer.calls.clear()

    def timed() -> tuple[T, float]:
        instrument.begin()
        started = time.perf_counter()
        answer = invoke()
        return answer, time.perf_counter() - started

    answer, elapsed = on_fresh_stack(timed)
    invocation = instrument.end()
    elapsed -= invocation.overhead
    ses = sum(seconds for _, seconds in timer.calls)
    figures = {
        "dynamodb_calls": len(invocation.calls),
        "dynamodb_calls_by_name": {n: invocation.names.count(n) for n in sorted(set(invocation.names))},
        "dynamodb_seconds": invocation.dynamodb_seconds,
        "dynamodb_moto_seconds": invocation.moto_seconds,
        "ses_calls": len(timer.calls),
        "ses_seconds": ses,
        "own_seconds": elapsed - invocation.dynamodb_seconds - ses,
        "read_units": invocation.read_units,
        "write_units": invocation.write_units,
    }
    return answer, elapsed, emails_sent() - before, figures

"""Every route's handler against a floor, with DynamoDB's answers recorded once and replayed.

moto's time inside a call (1 to 50 ms) dwarfs the handler's own work, which flatters the ratio
of section 1; on AWS a call is a few milliseconds of network and the handler's own work is what
a client waits for beyond it. Here DynamoDB takes no time at all:

* each operation of bench.operations is prepared once and called once on moto, and a
  `before-send` hook on the handlers' own client records every answer moto gave (status,
  headers, bytes) and the parameters of every call;
* then the same event is handled again and again with those answers served, in order, by the
  same hook: botocore still serializes, signs and parses each call, nothing else runs;
* the floor is what any function answering that route must pay: a bare Powertools
  `APIGatewayRestResolver(enable_validation=True)` with one route, which makes the same calls
  with the same parameters on the same client (the same answers replayed) and returns the
  handler's recorded body, prepared beforehand.

Handler and floor alternate call by call (which goes first alternates too), in rounds over every
operation, so that whatever slows the machine for a while weighs on both alike; the figure is
the ratio of their medians. Replayed answers make each call do the same work: a write is
"accepted" every time, so the same prepared request can be handled any number of times.

`python -m bench.replay [invocations]` runs this part alone.
"""

from __future__ import annotations

import copy
import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from botocore import xform_name

from . import motopatch
from .measure import on_fresh_stack
from .operations import OPERATIONS, World
from .practice import Prepared

INVOCATIONS = 300
ROUNDS = 5
WARMUP = 5
# The goal of issue 17: availability at most 1.5 times its floor, every other route at most 2.
GOAL_AVAILABILITY = 1.5
GOAL_OTHER = 2.0
# The ratio the goal is judged on: of the medians of CPU time (the calling thread's). With the
# answers replayed a call waits for nothing, so its CPU time is all of its work; its wall time
# also holds whatever the machine's other work took from it, which on a shared machine weighs
# more on the longer of the two (both are reported).
RATIO = "cpu_ratio"

Answer = tuple[str, int, Any, bytes]  # url, status, headers, body


def goal(name: str) -> float:
    return GOAL_AVAILABILITY if name.startswith("GET /availability") else GOAL_OTHER


@dataclass
class Recording:
    name: str
    call: Prepared
    calls: list[tuple[str, dict[str, Any]]]  # (operation, API parameters) in the order made
    answers: list[Answer]
    response: dict[str, Any]  # the handler's answer on moto


class Tape:
    """A `before-send` hook on one client: records moto's answers, or serves recorded ones."""

    def __init__(self) -> None:
        self.recording = False
        self.serving = False  # neither: calls go to moto unrecorded (preparing data)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answers: list[Answer] = []
        self._queue: list[Answer] = []
        self.missing = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.dynamodb", self._params)
        client.meta.events.register_first("before-send.dynamodb", self._send)

    def record(self) -> None:
        self.recording, self.serving, self.calls, self.answers = True, False, [], []

    def serve(self, answers: list[Answer]) -> None:
        self.recording, self.serving = False, True
        self._queue = list(reversed(answers))

    def off(self) -> None:
        self.recording = self.serving = False

    def _params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.recording:
            self.calls.append((model.name, copy.deepcopy(params)))

    def _send(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse
        from moto.core.models import botocore_stubber

        if self.recording:
            made = botocore_stubber.process_request(request)
            assert made is not None, "moto did not answer a recorded call"
            status, headers, content = made
            answer: Answer = (
                request.url,
                status,
                headers,
                content.encode() if isinstance(content, str) else content,
            )
            self.answers.append(answer)
        elif not self.serving:
            return None
        elif self._queue:
            answer = self._queue.pop()
        else:
            self.missing += 1
            raise RuntimeError("the handler made a call that was not recorded")
        motopatch.answered(request)
        url, status, headers, content = answer
        return AWSResponse(url, status, headers, MockRawResponse(content))


def record(world: World, tape: Tape, only: str = "") -> list[Recording]:
    """Each operation prepared once and handled once on moto, its calls and answers kept."""
    found = []
    for operation in OPERATIONS:
        if only not in operation.name:
            continue
        (call,) = operation.prepare(world, 1)
        tape.record()
        response = call.handler(copy.deepcopy(call.event), call.context)
        tape.off()
        assert response["statusCode"] == call.status, (operation.name, response)
        found.append(Recording(operation.name, call, tape.calls, tape.answers, response))
        if operation.after:
            operation.after(world)
    return found


def floor(recording: Recording, client: Any) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A bare resolver with the route, making the recorded calls and returning the recorded body."""
    from functions.api.gateway import match

    matched = match(recording.call.event["httpMethod"], recording.call.event["path"].removeprefix("/api"))
    assert matched is not None
    route = matched[0]
    methods = [(getattr(client, xform_name(name)), params) for name, params in recording.calls]
    status = recording.response["statusCode"]
    body = recording.response["body"]
    headers = {"Content-Type": "application/json"}

    def answer() -> Response[str]:
        for method, params in methods:
            method(**params)
        return Response(status, "application/json", body, headers)

    def with_id(id: str) -> Response[str]:
        return answer()

    app = APIGatewayRestResolver(enable_validation=True)
    app.route(route.resolver_path, route.method)(with_id if "{id}" in route.path else answer)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler


@dataclass
class Timings:
    handler: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    handler_cpu: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _timed(
    tape: Tape, answers: list[Answer], handler: Callable[..., dict[str, Any]], event: Any, context: Any
) -> tuple[float, float, dict[str, Any]]:
    tape.serve(answers)
    cpu = time.thread_time()
    started = time.perf_counter()
    answer = handler(event, context)
    wall = time.perf_counter() - started
    return wall, time.thread_time() - cpu, answer


def _alternate(
    tape: Tape, recording: Recording, floor_handler: Callable[..., Any], n: int, into: Timings
) -> None:
    call = recording.call
    expected = recording.response
    for i in range(WARMUP + n):
        pair = [("handler", call.handler), ("floor", floor_handler)]
        if i % 2:
            pair.reverse()
        for kind, handler in pair:
            # Handlers may change the event (headers); each call gets a copy made before the clock.
            wall, cpu, answer = _timed(
                tape, recording.answers, handler, copy.deepcopy(call.event), call.context
            )
            if i < WARMUP:
                continue
            getattr(into, kind).append(wall)
            getattr(into, f"{kind}_cpu").append(cpu)
            if kind == "handler" and answer["statusCode"] != expected["statusCode"]:
                into.failures.append(f"{answer['statusCode']}: {str(answer.get('body'))[:200]}")
            elif (
                kind == "handler" and call.event["httpMethod"] == "GET" and answer["body"] != expected["body"]
            ):
                into.failures.append("a replayed GET answered another body than on moto")


def measure(world: World, invocations: int, rounds: int = ROUNDS, only: str = "") -> dict[str, Any]:
    from functions import aws

    aws.reset()  # a client without the instrument's hooks
    client = aws.dynamodb()
    tape = Tape()
    tape.attach(client)
    recordings = record(world, tape, only)
    floors = {r.name: floor(r, client) for r in recordings}
    timings = {r.name: Timings() for r in recordings}
    per_round = max(1, invocations // rounds)

    def timed() -> None:
        for _ in range(rounds):
            for r in recordings:
                _alternate(tape, r, floors[r.name], per_round, timings[r.name])

    gc.collect()
    gc.freeze()
    try:
        on_fresh_stack(timed)
    finally:
        gc.unfreeze()
        tape.off()
        aws.reset()  # what runs next gets a client without the tape's hooks

    found: dict[str, Any] = {}
    for r in recordings:
        t = timings[r.name]
        handler_p50 = statistics.median(t.handler) * 1000
        floor_p50 = statistics.median(t.floor) * 1000
        handler_cpu = statistics.median(t.handler_cpu) * 1000
        floor_cpu = statistics.median(t.floor_cpu) * 1000
        found[r.name] = {
            "handler_cpu_p50_ms": handler_cpu,
            "floor_cpu_p50_ms": floor_cpu,
            "cpu_ratio": handler_cpu / floor_cpu,
            "invocations": len(t.handler),
            "calls": " + ".join(name for name, _ in r.calls),
            "response_bytes": len(r.response.get("body") or ""),
            "handler_p50_ms": handler_p50,
            "floor_p50_ms": floor_p50,
            "ratio": handler_p50 / floor_p50,
            "goal": goal(r.name),
            "failed": len(t.failures),
            "failures": t.failures[:3],
        }
    return {"rounds": rounds, "operations": found, "unrecorded_calls": tape.missing}


def table(replayed: dict[str, Any], moto: dict[str, Any] | None = None) -> list[str]:
    from .run import _table

    rows = []
    for name, f in replayed["operations"].items():
        m = (moto or {}).get(name)
        rows.append(
            [
                name,
                f["calls"],
                f"{f['response_bytes']:,}",
                f"{m['p50_ms']:.2f}" if m else "-",
                f"{m['ratio_p50']:.2f}" if m else "-",
                f"{f['handler_p50_ms']:.2f}",
                f"{f['floor_p50_ms']:.2f}",
                f"{f['ratio']:.2f}",
                f"{f['handler_cpu_p50_ms']:.2f}",
                f"{f['floor_cpu_p50_ms']:.2f}",
                f"{f['cpu_ratio']:.2f}",
                f"{f['goal']:g}",
                "FAILED" if f["failed"] else ("ok" if f[RATIO] <= f["goal"] else "MISS"),
            ]
        )
    return [
        _table(
            [
                "operation",
                "DynamoDB calls",
                "bytes",
                "moto p50",
                "moto ratio",
                "p50",
                "floor p50",
                "ratio",
                "CPU p50",
                "floor CPU p50",
                "CPU ratio",
                "goal",
                "met",
            ],
            rows,
        ),
        f"   {replayed['rounds']} rounds, handler and floor alternating call by call; p50 of wall time and of"
        " the thread's CPU time (ms);",
        "   the goal is judged on the CPU ratio; moto p50 and moto ratio (handler / inside DynamoDB) are"
        " section 1's.",
    ]


def main() -> None:
    """`python -m bench.replay [--invocations N] [--only TEXT]`: this part of bench.run alone."""
    import argparse
    import os

    from . import operations
    from .run import alone

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invocations", type=int, default=INVOCATIONS, help="per operation and variant")
    parser.add_argument("--only", default="", help="only the operations whose name holds this text")
    args = parser.parse_args()
    found = alone(lambda: measure(operations.build(), args.invocations, only=args.only))
    print("\n".join(table(found)), flush=True)
    for name, f in found["operations"].items():
        if f["failed"]:
            print(f"   {name}: {f['failed']} failed, e.g. {f['failures'][0]}")
    os._exit(0)


if __name__ == "__main__":
    main()

"""Where the time goes, for a goal the benchmark reports as missed.

    python -m bench.profile availability [--stored 100000] [--clinician c-okafor] [--calls 20]
    python -m bench.profile operation "GET /staff/requests" [--calls 50] [--only functions/]
    python -m bench.profile import functions.request.docs

`availability` seeds the scale table as bench.run does and profiles warm calls (cProfile, time
per call by function, own time and cumulative); `operation` builds the practice of bench.run and
profiles one operation; `import` lists what a module's cold import loads beyond the floor's
(python -X importtime, cumulative microseconds).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
from datetime import timedelta
from typing import Any

from . import imports, motopatch, practice
from .measure import on_fresh_stack


def _profile(calls: list[practice.Prepared], top: int, only: str = "") -> str:
    profiler = cProfile.Profile()

    def invoke() -> None:
        profiler.enable()
        for call in calls:
            call.handler(call.event, call.context)
        profiler.disable()

    on_fresh_stack(invoke)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"{len(calls)} calls; times are totals over all of them\n")
    restrict: list[Any] = [only, top] if only else [top]
    stats.sort_stats("tottime").print_stats(*restrict)
    stats.sort_stats("cumulative").print_stats(*restrict)
    return out.getvalue()


def _start() -> Any:
    practice.use_environment()
    from moto import mock_aws

    from functions.local.embedded import serialize_moto_writes

    serialize_moto_writes()
    motopatch.install()
    context = mock_aws()
    context.start()
    from bench.run import load_handlers, quiet_logs

    load_handlers()
    quiet_logs()
    return context


def availability(stored: int, clinician: str | None, calls: int, top: int, only: str = "") -> str:
    from functions import aws

    from .operations import availability_start

    _start()
    practice.create_table("portal-bench-profile")
    config = practice.configure_practice()
    seeder = practice.Seeder(config, seed=1000)  # as bench.scale: 1,000 around today, the rest history
    seeder.seed("portal-bench-profile", min(stored, 1_000))
    if stored > 1_000:
        seeder.seed("portal-bench-profile", stored - 1_000, past=True)
    replay = motopatch.Replay(("Query",))
    replay.attach(aws.dynamodb())
    replay.enabled = True
    first = availability_start()
    query = {
        "clientType": "existing",
        "from": first.isoformat(),
        "to": (first + timedelta(days=30)).isoformat(),
    }
    if clinician:
        query["clinicianId"] = clinician
    for _ in range(3):
        warm = practice.prepare("GET", "/availability", query=query)
        warm.handler(warm.event, warm.context)
    return _profile([practice.prepare("GET", "/availability", query=query) for _ in range(calls)], top, only)


def operation(name: str, calls: int, top: int, only: str = "") -> str:
    from .operations import OPERATIONS, build

    _start()
    world = build()
    chosen = next(o for o in OPERATIONS if o.name == name)
    prepared = chosen.prepare(world, calls + 5)
    for call in prepared[:5]:
        call.handler(call.event, call.context)
    return _profile(prepared[5:], top, only)


def import_profile(module: str, top: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = {**os.environ, **practice.ENV, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return _import_profile(module, top, env)


def _import_profile(module: str, top: int, env: dict[str, str]) -> str:
    def loaded(code: str) -> dict[str, int]:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-X", "importtime", "-c", code],
            cwd=imports.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        found = {}
        for line in done.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                _, cumulative, name = line.split("|")
                if cumulative.strip().isdigit():
                    found[name.strip()] = int(cumulative)
        return found

    loaded(imports.FLOOR)  # warm the bytecode cache
    loaded(f"import {module}")
    floor = loaded(imports.FLOOR)
    mine = loaded(f"import {module}")
    extra = {name: us for name, us in mine.items() if name not in floor}
    lines = [f"modules {module} imports that the floor does not (cumulative ms, largest first):"]
    for name, us in sorted(extra.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {us / 1000:8.1f}  {name}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["availability", "operation", "import"])
    parser.add_argument("target", nargs="?", default="")
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--clinician", default=None)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--only", default="", help="a regular expression on file paths, e.g. 'functions/'")
    args = parser.parse_args()
    if args.what == "availability":
        print(availability(args.stored, args.clinician, args.calls, args.top, args.only))
    elif args.what == "operation":
        print(operation(args.target, args.calls, args.top, args.only))
    else:
        print(import_profile(args.target, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())

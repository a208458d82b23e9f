"""Cold import time of each handler module as Lambda imports it, against a floor.

The bundle is the one synth ships (`infra.bundling.bundle`; on a machine that is not arm64, with
the native modules of its own processor, so that they load), imported by Lambda's Python (3.13,
found as the bundler finds it) in a fresh interpreter that may not write bytecode (`-B`: Lambda's
/var/task is read-only), with boto3 and botocore beside it as the Lambda runtime provides them:
installed for 3.13 and compiled. The floor is what any Python Lambda function of this kind pays:
importing boto3, making a DynamoDB client and building a Powertools APIGatewayRestResolver with
validation (from the bundle too).

Each module and the floor run once untimed (the files into the page cache), then five times
each, interleaved, and the least counts. What is timed is the CPU time of the import
(`time.process_time`), and the least of the runs: on a shared machine other processes only ever
add to it (wall time counts the time they hold the CPU: a floor of 0.3 s measured 1.0 s under a
load of 8 on 2 cores; CPU time still grows with their use of the caches), while on Lambda the
import has its CPU share to itself. The same is measured on the bundle without its
bytecode, which is what a bundle made where no Python 3.13 could be had costs each cold start.

`python -m bench.imports` measures this part alone and prints its table (`make bench` runs it
among the rest).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "functions.request.availability",
    "functions.request.submit",
    "functions.request.appointments",
    "functions.request.reschedule",
    "functions.request.cancel",
    "functions.request.docs",
    "functions.review.decide",
    "functions.review.practice",
    "functions.review.clients",
    "functions.review.calendar",
    "functions.notify.handler",
)
FLOOR = (
    "import boto3; boto3.client('dynamodb'); "
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "APIGatewayRestResolver(enable_validation=True)"
)
RUNS = 5
GOAL = 1.25
# What the Lambda Python runtime provides, with bytecode, beside the bundle.
RUNTIME = ("boto3", "botocore")


def _body(target: str) -> str:
    return FLOOR if target == "floor" else f"import {target}"


def host_platform() -> str:
    """Lambda's platform (arm64), or this machine's processor's: the bundle's native modules
    (pydantic-core's) must load here; every other file is the same."""
    return f"manylinux2014_{platform.machine()}"


def runtime_dir(python: str) -> Path:
    """boto3 and botocore (the versions the tests use) installed for Lambda's platform and
    compiled by `python`, once, in build/."""
    from infra import bundling

    pins = [f"{name}=={version(name)}" for name in RUNTIME]
    key = hashlib.sha256("\n".join([python, bundling.PLATFORM, *pins]).encode()).hexdigest()[:16]
    target = ROOT / "build" / f"lambda-runtime-{key}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        bundling.install_for_lambda(target, pins)
        bundling.compile_bytecode(target, python, "/var/runtime")
        (target / ".complete").touch()
    return target


def _timed(python: str, paths: list[Path], target: str, env: dict[str, str]) -> float:
    code = (
        f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}; "
        f"import time; t = time.process_time(); {_body(target)}; print(time.process_time() - t)"
    )
    # -I: nothing from the environment or the user's site; -B: no bytecode written, as on Lambda.
    done = subprocess.run(  # noqa: S603
        [python, "-I", "-B", "-c", code], cwd=paths[0], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold import of {target} failed: {done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def _bytecode(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.pyc"))


def measure(env: dict[str, str], runs: int = RUNS, modules: tuple[str, ...] = MODULES) -> dict[str, Any]:
    from infra import bundling

    python = bundling.lambda_python() or sys.executable
    env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}, **env}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    runtime = runtime_dir(python)
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        shipped = Path(tmp) / "task"
        bundling.bundle(shipped, host_platform())
        sources = Path(tmp) / "sources"
        shutil.copytree(shipped, sources, ignore=shutil.ignore_patterns("__pycache__"))
        bundles = {"shipped": shipped, "sources": sources}
        written = {name: _bytecode(folder) for name, folder in bundles.items()}
        targets = ["floor", *modules]
        times: dict[tuple[str, str], list[float]] = {(b, t): [] for b in bundles for t in targets}
        for round_ in range(runs + 1):  # the first round is not timed
            for name, folder in bundles.items():
                for target in targets:
                    took = _timed(python, [folder, runtime], target, env)
                    if round_:
                        times[(name, target)].append(took)
        assert {name: _bytecode(folder) for name, folder in bundles.items()} == written, "bytecode written"
        shipped_bytecode = written["shipped"]
    least = {key: min(values) for key, values in times.items()}
    floor = least[("shipped", "floor")]
    return {
        "python": subprocess.run(  # noqa: S603
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip(),
        "bundle_bytecode_files": shipped_bytecode,
        "floor": {
            "ms": floor * 1000,
            "runs_ms": [t * 1000 for t in times[("shipped", "floor")]],
            "sources_ms": least[("sources", "floor")] * 1000,
        },
        "modules": {
            module: {
                "ms": least[("shipped", module)] * 1000,
                "runs_ms": [t * 1000 for t in times[("shipped", module)]],
                "ratio": least[("shipped", module)] / floor,
                "sources_ms": least[("sources", module)] * 1000,
                "sources_ratio": least[("sources", module)] / floor,
            }
            for module in modules
        },
    }


def table(cold: dict[str, Any]) -> list[str]:
    from .run import _table

    rows = [
        [
            "floor: boto3 + DynamoDB client + resolver",
            f"{cold['floor']['ms']:.0f}",
            "1.00",
            "",
            f"{cold['floor']['sources_ms']:.0f}",
            f"{cold['floor']['sources_ms'] / cold['floor']['ms']:.2f}",
        ]
    ]
    for module, v in cold["modules"].items():
        rows.append(
            [
                module,
                f"{v['ms']:.0f}",
                f"{v['ratio']:.2f}",
                "ok" if v["ratio"] <= GOAL else "MISS",
                f"{v['sources_ms']:.0f}",
                f"{v['sources_ratio']:.2f}",
            ]
        )
    return [
        f"3. Cold import of the bundle as shipped, Python {cold['python']} with -B (least CPU time of fresh"
        " interpreters), against the floor",
        _table(["module", "ms", "ratio", f"<= {GOAL}", "sources only ms", "ratio, sources only"], rows),
        f"   the bundle as synth ships it ({cold['bundle_bytecode_files']} bytecode files), boto3 as Lambda's"
        " runtime provides it; 'sources only': the same bundle without bytecode",
        "   (what a bundle made with no Python 3.13 at hand costs), against the same floor.",
    ]


def main() -> int:
    import argparse

    from .practice import ENV

    parser = argparse.ArgumentParser(description="Cold imports of the Lambda bundle, against a floor.")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed runs of each import (default {RUNS})")
    cold = measure(ENV, runs=parser.parse_args().runs)
    print("\n".join(table(cold)))
    misses = {m: round(v["ratio"], 2) for m, v in cold["modules"].items() if v["ratio"] > GOAL}
    ratios = [v["ratio"] for v in cold["modules"].values()]
    print(
        f"imports: every handler {min(ratios):.2f} to {max(ratios):.2f} times the floor"
        + (f"; over {GOAL}: {misses}" if misses else f", within {GOAL}")
    )
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())

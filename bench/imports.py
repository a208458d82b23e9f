"""Cold import time of each handler module in a fresh interpreter, against a floor.

The floor is what any Python Lambda function of this kind pays: importing boto3, making a
DynamoDB client and building a powertools APIGatewayRestResolver with validation. Every module
and the floor run once untimed (which also warms the bytecode cache), then five times each,
interleaved, and the median counts.

A second, separate figure estimates what a cold start on Lambda adds when the bundle holds no
bytecode for the Python 3.13 runtime (infra/bundling.py compiles it only when a 3.13 interpreter
is at hand at synth; Lambda's code directory is read-only, so nothing is cached between cold
starts): the time `compile()` takes on the sources of the modules the import loaded, except the
runtime's own boto3, botocore and their dependencies, which come with bytecode.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
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
    "functions.notify.handler",
)
FLOOR = (
    "import boto3; boto3.client('dynamodb'); "
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "APIGatewayRestResolver(enable_validation=True)"
)
RUNS = 5

# Provided with bytecode by the Lambda Python runtime (not bundled).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "six")

_COMPILE = """
import sys, time
{body}
site = [p for p in sys.path if p.endswith('site-packages')]
root = {root!r}
spent = 0.0
files = 0
for name, module in list(sys.modules.items()):
    path = getattr(module, '__file__', None) or ''
    if not path.endswith('.py'):
        continue
    top = name.split('.')[0]
    bundled = path.startswith(root + '/functions/') or (
        any(path.startswith(s) for s in site) and top not in {provided!r})
    if not bundled:
        continue
    source = open(path, 'rb').read()
    t = time.perf_counter()
    compile(source, path, 'exec', dont_inherit=True)
    spent += time.perf_counter() - t
    files += 1
print(spent, files)
"""


def _body(target: str) -> str:
    return FLOOR if target == "floor" else f"import {target}"


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold import failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def _timed(target: str, env: dict[str, str]) -> float:
    code = f"import time; t=time.perf_counter(); {_body(target)}; print(time.perf_counter()-t)"
    return float(_run(code, env))


def _compile_cost(target: str, env: dict[str, str]) -> tuple[float, int]:
    code = _COMPILE.format(body=_body(target), root=str(ROOT), provided=RUNTIME_PROVIDED)
    spent, files = _run(code, env).split()
    return float(spent), int(files)


def measure(env: dict[str, str], runs: int = RUNS, modules: tuple[str, ...] = MODULES) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        # Bytecode for everything, the project's modules included, in a cache of the run's own
        # (nothing is written into the source tree), filled by the untimed first run.
        env = {**os.environ, **env, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return _measure(env, runs, modules)


def _measure(env: dict[str, str], runs: int, modules: tuple[str, ...]) -> dict[str, Any]:
    targets = ["floor", *modules]
    times: dict[str, list[float]] = {t: [] for t in targets}
    compiled: dict[str, tuple[float, int]] = {}
    for target in targets:  # first: also warms the bytecode cache (not timed)
        compiled[target] = _compile_cost(target, env)
    for _ in range(runs):
        for target in targets:
            times[target].append(_timed(target, env))
    floor = statistics.median(times["floor"])
    floor_compile = compiled["floor"][0]
    result: dict[str, Any] = {
        "floor": {
            "median_ms": floor * 1000,
            "runs_ms": [t * 1000 for t in times["floor"]],
            "compile_ms": floor_compile * 1000,
            "compiled_files": compiled["floor"][1],
        },
        "modules": {},
    }
    for module in modules:
        median = statistics.median(times[module])
        spent, files = compiled[module]
        result["modules"][module] = {
            "median_ms": median * 1000,
            "runs_ms": [t * 1000 for t in times[module]],
            "ratio": median / floor,
            "compile_ms": spent * 1000,
            "compiled_files": files,
            "ratio_without_bytecode": (median + spent) / (floor + floor_compile),
        }
    return result

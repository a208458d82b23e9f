"""Lambda code bundled without Docker: the `functions` package and its run-time dependencies,
installed by pip as wheels for Lambda's platform (Python 3.13 on arm64).

The dependencies are installed once per dependency list into build/ and copied from there, so a
synth after the first takes seconds. boto3 is left out: the Lambda runtime provides it.

Bytecode: Lambda's /var/task is read-only, so a bundle without bytecode for Python 3.13 makes
every cold start compile the modules it imports from source (about 270 ms of CPU per function
on a full core: docs/performance.md). pip is told not to compile (its bytecode would be for the
interpreter running it, useless to Lambda and 40% of the bundle); when a Python 3.13 interpreter
is at hand (`$LAMBDA_PYTHON`, or `python3.13` on the PATH), it compiles the whole bundle with
unchecked-hash invalidation (valid whatever the files' times in the zip). Without one, the
bundle ships sources only and synth says so.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.13"
PLATFORM = "manylinux2014_aarch64"
PROVIDED = {"boto3", "botocore"}


def runtime_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements: list[str] = project["project"]["dependencies"]
    return [r for r in requirements if r.split(">")[0].split("=")[0].split("[")[0].strip() not in PROVIDED]


def dependencies_dir() -> Path:
    """The installed dependencies for Lambda's platform, built once per dependency list (and
    compiled once, when a Python 3.13 is at hand: every function's bundle copies them)."""
    requirements = runtime_requirements()
    python = lambda_python()
    compiled = "compiled" if python else "sources"
    key = hashlib.sha256(
        "\n".join([PLATFORM, PYTHON_VERSION, "no-compile", compiled, *requirements]).encode()
    ).hexdigest()[:16]
    target = ROOT / "build" / f"lambda-deps-{key}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers build it once
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-warn-conflicts",
                    "--no-compile",
                    "--target",
                    str(target),
                    "--platform",
                    PLATFORM,
                    "--implementation",
                    "cp",
                    "--python-version",
                    PYTHON_VERSION,
                    "--only-binary=:all:",
                    *requirements,
                ],
                check=True,
            )
            if python is not None:
                compile_bytecode(target, python)
            (target / ".complete").touch()
    return target


_warned: list[bool] = []


@jsii.implements(ILocalBundling)
class _LocalBundler:
    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        out = Path(output_dir)
        shutil.copytree(
            dependencies_dir(), out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete")
        )
        shutil.copytree(
            ROOT / "functions",
            out / "functions",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "local"),
        )
        python = lambda_python()
        if python is not None:
            compile_bytecode(out / "functions", python, "/var/task/functions")
        elif not _warned:
            _warned.append(True)
            print(
                f"bundling: no Python {PYTHON_VERSION} ($LAMBDA_PYTHON or python{PYTHON_VERSION});"
                " the functions ship sources only, compiled at each cold start (docs/performance.md)",
                file=sys.stderr,
            )
        return True


def lambda_python() -> str | None:
    """An interpreter of Lambda's Python version: $LAMBDA_PYTHON, which must be one, or else
    python3.13 on the PATH if it runs (a pyenv shim of a version not installed does not); None
    if there is none. Asked once per setting: every function's bundle asks."""
    return _lambda_python(os.environ.get("LAMBDA_PYTHON"), os.environ.get("PATH"))


@functools.cache
def _lambda_python(chosen: str | None, path: str | None) -> str | None:
    if chosen:
        version = _version_of(chosen)
        if version != PYTHON_VERSION:
            raise RuntimeError(f"LAMBDA_PYTHON is Python {version or '?'}; Lambda runs {PYTHON_VERSION}")
        return chosen
    found = shutil.which(f"python{PYTHON_VERSION}", path=path)
    return found if found and _version_of(found) == PYTHON_VERSION else None


def _version_of(python: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def compile_bytecode(directory: Path, python: str, prefix: str = "/var/task") -> None:
    """Bytecode for every module of the bundle, checked by nothing but its presence: the zip's
    file times cannot invalidate it, and the sources never change on Lambda. Compiled afresh
    (-f: bytecode already there may be of another kind), naming the files by where Lambda puts
    them (`prefix`, under /var/task), so that the bundle, and the asset hash, do not depend on
    the build path."""
    subprocess.run(  # noqa: S603
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-f",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(directory),
            "-p",
            prefix,
            str(directory),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def function_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(ROOT / "functions"),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("unused-local-bundling-only"),
            local=_LocalBundler(),
        ),
    )

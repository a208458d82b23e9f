"""Lambda code bundled without Docker: the `functions` package and its run-time dependencies,
installed by pip as wheels for Lambda's platform (Python 3.13 on arm64).

The dependencies are installed once per dependency list into build/ and copied from there, so a
synth after the first takes seconds. boto3 is left out: the Lambda runtime provides it.
"""

from __future__ import annotations

import fcntl
import hashlib
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
    """The installed dependencies for Lambda's platform, built once per dependency list."""
    requirements = runtime_requirements()
    key = hashlib.sha256("\n".join([PLATFORM, PYTHON_VERSION, *requirements]).encode()).hexdigest()[:16]
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
            (target / ".complete").touch()
    return target


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
        return True


def function_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(ROOT / "functions"),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("unused-local-bundling-only"),
            local=_LocalBundler(),
        ),
    )

"""Lambda code bundled without Docker: the `functions` package and its run-time dependencies,
installed by pip as wheels for Lambda's platform (Python 3.13 on arm64).

The dependencies are installed once per dependency list into build/ and copied from there, so a
synth after the first takes seconds. boto3 is left out: the Lambda runtime provides it.

Bytecode: Lambda's /var/task is read-only, so a bundle without bytecode for Python 3.13 makes
every cold start compile the modules it imports from source (docs/performance.md). pip is told
not to compile (its bytecode would be for the interpreter running it, useless to Lambda); a
Python 3.13 interpreter compiles the whole bundle with unchecked-hash invalidation (valid
whatever the files' times in the zip). It is looked for where one usually is (`lambda_python`):
`$LAMBDA_PYTHON`, `python3.13` on the PATH, pyenv's versions, uv's managed Pythons, asdf's
installs; where there is none, `uv python install 3.13` fetches one. Only when that fails too does
the bundle ship sources, and synth says so in one line.

The OpenAPI document is generated here too and bundled as `functions/request/openapi.json`, so
the docs function serves it without importing every handler and Powertools' OpenAPI models.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.13"
PLATFORM = "manylinux2014_aarch64"
PROVIDED = {"boto3", "botocore"}


def runtime_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements: list[str] = project["project"]["dependencies"]
    return [r for r in requirements if r.split(">")[0].split("=")[0].split("[")[0].strip() not in PROVIDED]


def install_for_lambda(target: Path, requirements: Sequence[str], platform: str = PLATFORM) -> None:
    """pip's wheels of `requirements` for Lambda's Python on `platform`, into `target`, uncompiled."""
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
            platform,
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            "--only-binary=:all:",
            *requirements,
        ],
        check=True,
    )


def dependencies_dir(platform: str = PLATFORM) -> Path:
    """The installed dependencies for Lambda's platform, built once per dependency list (and
    compiled once, when a Python 3.13 is at hand: every function's bundle copies them).
    `platform`: another processor's wheels, for running the bundle on this machine (bench)."""
    requirements = runtime_requirements()
    python = lambda_python()
    compiled = "compiled" if python else "sources"
    key = hashlib.sha256(
        "\n".join([platform, PYTHON_VERSION, "no-compile", compiled, *requirements]).encode()
    ).hexdigest()[:16]
    target = ROOT / "build" / f"lambda-deps-{key}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers build it once
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            install_for_lambda(target, requirements, platform)
            if python is not None:
                compile_bytecode(target, python)
            (target / ".complete").touch()
    return target


_warned: list[bool] = []
NO_BYTECODE_WARNING = (
    f"bundling: no Python {PYTHON_VERSION} found (LAMBDA_PYTHON, PATH, pyenv, uv, asdf) and "
    f"`uv python install {PYTHON_VERSION}` failed: the functions ship without bytecode, so every cold "
    "start compiles them first, which doubles its import (2.0 to 2.3 times the floor instead of 0.9 to "
    "1.1; docs/performance.md)"
)
DOCUMENT = Path("functions") / "request" / "openapi.json"


def bundle(out: Path, platform: str = PLATFORM) -> None:
    """The Lambda bundle, as synth writes it: dependencies, `functions` (less the local stack),
    the OpenAPI document, and bytecode for Lambda's Python when one can be had."""
    shutil.copytree(
        dependencies_dir(platform), out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete")
    )
    shutil.copytree(
        ROOT / "functions",
        out / "functions",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "local", DOCUMENT.name),
    )
    (out / DOCUMENT).write_text(openapi_document(), encoding="utf-8")
    python = lambda_python()
    if python is not None:
        compile_bytecode(out / "functions", python, "/var/task/functions")
    elif not _warned:
        _warned.append(True)
        print(NO_BYTECODE_WARNING, file=sys.stderr)


def openapi_document() -> str:
    """The document the docs function serves, exactly as `functions.request.docs` would build it."""
    from functions.request.docs import generate

    return generate()


@dataclass(frozen=True)
class Places:
    """Where to look for Lambda's Python, from the environment (`lambda_python`) or a test."""

    chosen: str | None  # $LAMBDA_PYTHON
    path: str | None  # $PATH
    pyenv_root: Path | None
    asdf_dir: Path | None
    uv: str | None  # the uv command, if any
    install: bool = True  # whether `uv python install` may be tried


def lambda_python() -> str | None:
    """An interpreter of Lambda's Python version, from wherever one usually is (see `find`);
    None if there is none and none could be installed. Asked once per setting: every
    function's bundle asks."""
    path = os.environ.get("PATH")
    home = Path.home()
    return find(
        Places(
            chosen=os.environ.get("LAMBDA_PYTHON"),
            path=path,
            pyenv_root=_pyenv_root(path, os.environ.get("PYENV_ROOT"), home),
            asdf_dir=Path(os.environ.get("ASDF_DATA_DIR") or home / ".asdf"),
            # uv on the PATH, or the one the dev dependencies put in the virtual environment
            uv=shutil.which(
                "uv", path=os.pathsep.join(p for p in (path, str(Path(sys.executable).parent)) if p)
            ),
        )
    )


@functools.cache
def find(places: Places) -> str | None:
    """$LAMBDA_PYTHON, which must be Lambda's version; else the first that runs as Lambda's
    version of: python3.13 on the PATH (a pyenv shim of a version not selected does not run),
    pyenv's versions/3.13.*, uv's `uv python find`, asdf's installs/python/3.13.*; else
    `uv python install 3.13` and uv's again."""
    if places.chosen:
        version = _version_of(places.chosen)
        if version != PYTHON_VERSION:
            raise RuntimeError(f"LAMBDA_PYTHON is Python {version or '?'}; Lambda runs {PYTHON_VERSION}")
        return places.chosen
    candidates = [
        lambda: shutil.which(f"python{PYTHON_VERSION}", path=places.path),
        *_installed(places.pyenv_root and places.pyenv_root / "versions"),
        lambda: _uv_find(places.uv),
        *_installed(places.asdf_dir and places.asdf_dir / "installs" / "python"),
    ]
    for candidate in candidates:
        found = candidate()
        if found and _version_of(found) == PYTHON_VERSION:
            return found
    if places.uv and places.install and _uv_install(places.uv):
        found = _uv_find(places.uv)
        if found and _version_of(found) == PYTHON_VERSION:
            return found
    return None


def _installed(versions: Path | None) -> list[Callable[[], str | None]]:
    """The python3.13 of each 3.13.x folder of a version manager (pyenv, asdf), newest first."""
    if versions is None or not versions.is_dir():
        return []

    def patch(folder: Path) -> int:
        digits = folder.name.removeprefix(f"{PYTHON_VERSION}.")
        return int(digits) if digits.isdigit() else -1

    folders = sorted(versions.glob(f"{PYTHON_VERSION}.*"), key=patch, reverse=True)
    return [functools.partial(str, folder / "bin" / f"python{PYTHON_VERSION}") for folder in folders]


@functools.cache
def _pyenv_root(path: str | None, root: str | None, home: Path) -> Path:
    pyenv = shutil.which("pyenv", path=path)
    if pyenv:
        done = _quiet([pyenv, "root"], timeout=30)
        if done is not None and done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    return Path(root) if root else home / ".pyenv"


def _uv_find(uv: str | None) -> str | None:
    if uv is None:
        return None
    done = _quiet([uv, "python", "find", "--no-project", PYTHON_VERSION], timeout=60)
    return done.stdout.strip() if done is not None and done.returncode == 0 and done.stdout.strip() else None


def _uv_install(uv: str) -> bool:
    """What a user's machine can do without one: uv fetches a standalone build (where its
    download site is reachable; anywhere else this fails, and the bundle ships sources)."""
    done = _quiet([uv, "python", "install", PYTHON_VERSION], timeout=180)
    return done is not None and done.returncode == 0


def _quiet(command: list[str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=False, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def _version_of(python: str) -> str | None:
    done = _quiet([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout=60)
    return done.stdout.strip() if done is not None and done.returncode == 0 else None


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
    """The code asset of every function. The CDK is imported here, not with the module: the
    bench builds the same bundle (`bundle`) without starting the CDK's JavaScript runtime."""
    import jsii
    from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling, aws_lambda

    @jsii.implements(ILocalBundling)
    class LocalBundler:
        def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
            bundle(Path(output_dir))
            return True

    return aws_lambda.Code.from_asset(
        str(ROOT / "functions"),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("unused-local-bundling-only"),
            local=LocalBundler(),
        ),
    )

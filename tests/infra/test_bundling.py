"""The Lambda bundle's bytecode: compiled for Lambda's Python when one is at hand, never for the
interpreter that happens to run the synth."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import bundling

ROOT = Path(__file__).resolve().parents[2]


def test_the_dependencies_ship_without_bytecode_of_the_synthesizing_interpreter():
    deps = bundling.dependencies_dir()
    assert (deps / "pydantic" / "__init__.py").exists()
    assert not list(deps.rglob("*.pyc"))


def test_no_interpreter_of_lambdas_version_means_sources_only(monkeypatch, tmp_path):
    monkeypatch.delenv("LAMBDA_PYTHON", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert bundling.lambda_python() is None

    # A pyenv shim for a version that is not installed is on the PATH but does not run.
    shims = tmp_path / "shims"
    shims.mkdir()
    monkeypatch.setenv("PATH", str(shims))
    shim = shims / f"python{bundling.PYTHON_VERSION}"
    shim.write_text("#!/bin/sh\necho 'pyenv: version not installed' >&2\nexit 127\n")
    shim.chmod(0o755)
    assert bundling.lambda_python() is None


def test_an_interpreter_of_lambdas_version_on_the_path_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv("LAMBDA_PYTHON", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    shim = tmp_path / f"python{bundling.PYTHON_VERSION}"
    shim.write_text(f"#!/bin/sh\necho {bundling.PYTHON_VERSION}\n")
    shim.chmod(0o755)
    assert bundling.lambda_python() == str(shim)


def test_an_interpreter_of_another_version_is_refused(monkeypatch):
    if sys.version_info[:2] == (3, 13):
        pytest.skip("this interpreter is Lambda's version")
    monkeypatch.setenv("LAMBDA_PYTHON", sys.executable)
    with pytest.raises(RuntimeError, match=f"Lambda runs {bundling.PYTHON_VERSION}"):
        bundling.lambda_python()


def test_compiled_bytecode_is_used_without_looking_at_the_sources(tmp_path):
    shutil.copytree(ROOT / "functions" / "scheduling", tmp_path / "scheduling")
    # Ordinary bytecode already there (a developer's checkout has it) is replaced.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tmp_path)], check=True)  # noqa: S603
    bundling.compile_bytecode(tmp_path, sys.executable)

    sources = sorted((tmp_path / "scheduling").glob("*.py"))
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, source not checked

    # A source changed after compiling (or with any file time, as in Lambda's zip) is not read:
    # the import runs the bytecode.
    (tmp_path / "scheduling" / "errors.py").write_text("raise SystemExit('the source was compiled')\n")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(tmp_path)}
    command = [sys.executable, "-c", "import scheduling.errors"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr


def test_compiled_bytecode_does_not_depend_on_where_it_was_built(tmp_path):
    built = []
    for place in ("one", "another/place"):
        target = tmp_path / place
        shutil.copytree(ROOT / "functions" / "scheduling", target / "scheduling")
        bundling.compile_bytecode(target, sys.executable)
        cached = Path(importlib.util.cache_from_source(str(target / "scheduling" / "slots.py")))
        built.append(cached.read_bytes())
    assert built[0] == built[1]
    assert b"/var/task/scheduling/slots.py" in built[0]
    assert str(tmp_path).encode() not in built[0]

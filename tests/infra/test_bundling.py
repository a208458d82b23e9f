"""The Lambda bundle's bytecode: compiled for Lambda's Python when one is at hand, never for the
interpreter that happens to run the synth."""

from __future__ import annotations

import importlib.util
import json
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
    assert not [p for p in deps.rglob("*.pyc") if ".cpython-313" not in p.name]


def _python(folder: Path, version: str = bundling.PYTHON_VERSION) -> Path:
    """A stand-in interpreter that says it is `version`."""
    folder.mkdir(parents=True, exist_ok=True)
    python = folder / f"python{bundling.PYTHON_VERSION}"
    python.write_text(f"#!/bin/sh\necho {version}\n")
    python.chmod(0o755)
    return python


def _places(tmp_path: Path, **given: object) -> bundling.Places:
    """Nothing anywhere, unless given: an empty PATH, pyenv and asdf folders, no uv."""
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    defaults: dict[str, object] = {
        "chosen": None,
        "path": str(empty),
        "pyenv_root": tmp_path / "pyenv",
        "asdf_dir": tmp_path / "asdf",
        "uv": None,
    }
    return bundling.Places(**{**defaults, **given})  # type: ignore[arg-type]


def test_no_interpreter_of_lambdas_version_anywhere_means_sources_only(tmp_path):
    assert bundling.find(_places(tmp_path)) is None

    # A pyenv shim for a version that is not selected is on the PATH but does not run; another
    # version's folder does not count.
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / f"python{bundling.PYTHON_VERSION}"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    _python(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin", "3.12")
    assert bundling.find(_places(tmp_path, path=str(shims))) is None


def test_an_interpreter_of_lambdas_version_on_the_path_is_used(tmp_path):
    python = _python(tmp_path / "bin")
    assert bundling.find(_places(tmp_path, path=str(tmp_path / "bin"))) == str(python)


def test_pyenvs_newest_313_is_used_when_it_is_not_on_the_path(tmp_path):
    versions = tmp_path / "pyenv" / "versions"
    _python(versions / "3.13.0" / "bin")
    newest = _python(versions / "3.13.10" / "bin")
    _python(versions / "3.13.2" / "bin")
    assert bundling.find(_places(tmp_path)) == str(newest)


def test_asdfs_313_is_used(tmp_path):
    python = _python(tmp_path / "asdf" / "installs" / "python" / "3.13.1" / "bin")
    assert bundling.find(_places(tmp_path)) == str(python)


def _fake_uv(tmp_path: Path, *, installs: bool) -> Path:
    """A stand-in uv: `python find` answers once a 3.13 is installed; `python install` installs
    one when `installs`, else fails as it does without its download site."""
    managed = tmp_path / "uv-pythons" / "cpython-3.13.5" / "bin"
    uv = tmp_path / "uv-bin" / "uv"
    uv.parent.mkdir(parents=True)
    python = managed / "python3.13"
    install = f"mkdir -p {managed} && printf '#!/bin/sh\\necho 3.13\\n' > {python} && chmod +x {python}"
    uv.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {tmp_path}/uv-calls\n'
        f'if [ "$2" = find ]; then [ -x {python} ] && echo {python} && exit 0; exit 2; fi\n'
        + (f'if [ "$2" = install ]; then {install}; exit 0; fi\n' if installs else "")
        + "echo 'error: failed to download' >&2; exit 1\n"
    )
    uv.chmod(0o755)
    return uv


def test_uvs_managed_313_is_used_and_else_installed_with_uv(tmp_path):
    # Given no 3.13 but uv, which can install one
    uv = _fake_uv(tmp_path, installs=True)

    # When Lambda's Python is looked for
    found = bundling.find(_places(tmp_path, uv=str(uv)))

    # Then uv was asked, installed 3.13, and its interpreter is used
    assert found == str(tmp_path / "uv-pythons" / "cpython-3.13.5" / "bin" / "python3.13")
    calls = (tmp_path / "uv-calls").read_text().splitlines()
    assert calls == ["python find --no-project 3.13", "python install 3.13", "python find --no-project 3.13"]

    # and the next search finds it with `uv python find`, without installing again
    (tmp_path / "uv-calls").unlink()
    assert bundling.find(_places(tmp_path, uv=str(uv), install=False)) == found
    assert (tmp_path / "uv-calls").read_text().splitlines() == ["python find --no-project 3.13"]


def test_a_failed_uv_install_means_sources_only(tmp_path):
    uv = _fake_uv(tmp_path, installs=False)
    assert bundling.find(_places(tmp_path, uv=str(uv))) is None
    assert "python install 3.13" in (tmp_path / "uv-calls").read_text()


def test_lambda_python_is_what_the_user_chose_and_must_be_313(tmp_path):
    chosen = _python(tmp_path / "chosen")
    _python(tmp_path / "bin")
    assert bundling.find(_places(tmp_path, chosen=str(chosen), path=str(tmp_path / "bin"))) == str(chosen)
    if sys.version_info[:2] != (3, 13):
        with pytest.raises(RuntimeError, match=f"Lambda runs {bundling.PYTHON_VERSION}"):
            bundling.find(_places(tmp_path, chosen=sys.executable))


def test_without_313_synth_says_so_in_one_line_with_the_cold_start_cost(monkeypatch, tmp_path, capsys):
    # Given no Python 3.13 to be had
    monkeypatch.setattr(bundling, "lambda_python", lambda: None)
    monkeypatch.setattr(bundling, "_warned", [])

    # When two functions' bundles are made
    for name in ("one", "two"):
        bundling.bundle(tmp_path / name)

    # Then they ship sources only, and one line says so with what a cold start pays for it
    assert not list((tmp_path / "one").rglob("*.pyc"))
    assert (tmp_path / "one" / "functions" / "request" / "docs.py").is_file()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "without bytecode" in lines[0]
    assert "cold start" in lines[0]
    assert "times the floor" in lines[0]


def test_the_bundle_carries_the_openapi_document_the_docs_function_serves(tmp_path):
    from functions.request import docs

    served = docs.generate()
    assert json.loads(served)["paths"]["/openapi.json"]
    assert bundling.openapi_document() == served


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

"""`make package` builds what Terraform deploys: each handler imports from the two zips alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import botocore
import pytest
import s3transfer

from infra import compile_hot_modules, package

ROOT = package.ROOT
DIST = ROOT / "dist"
HANDLER_MODULES = [Path(name).stem for name in package.HANDLERS]
HOT_MODULES = [f"chargeback.{name}" for name in compile_hot_modules.HOT_MODULES]
missing_handlers = [name for name in package.HANDLERS if not (package.SOURCE / name).exists()]
pytestmark = pytest.mark.skipif(
    bool(missing_handlers), reason=f"handlers not written yet: {missing_handlers}"
)


def python_312() -> str | None:
    """An interpreter of the Lambda runtime's version (3.12), if this machine has one."""
    candidates = [shutil.which("python3.12"), "/usr/bin/python3.12", "/usr/local/bin/python3.12"]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))
    for candidate in filter(None, candidates):
        try:
            version = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except OSError:
            continue
        if version.stdout.strip() == "(3, 12)":
            return candidate
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """(interpreter, functions.zip, layer.zip): `make package`'s output when a Python 3.12 exists to
    import it with, else the same build for this interpreter's version (the layer holds compiled wheels,
    both zips this interpreter's bytecode)."""
    interpreter = python_312()
    if interpreter and (DIST / "functions.zip").exists() and (DIST / "layer.zip").exists():
        return interpreter, DIST / "functions.zip", DIST / "layer.zip"
    output = tmp_path_factory.mktemp("dist")
    interpreter = interpreter or sys.executable
    version = package.python_version_of(interpreter)
    package.build_functions(output, bytecode_with=interpreter, python_version=version)
    architecture = "x86_64" if os.uname().machine == "x86_64" else "arm64"
    package.build_layer(output, architecture, version, bytecode_with=interpreter)
    return interpreter, output / "functions.zip", output / "layer.zip"


def lambda_runtime(target: Path) -> Path:
    """What the Lambda runtime itself provides besides the standard library: boto3 and botocore."""
    for module in (boto3, botocore, s3transfer):
        source = Path(module.__file__ or "").parent
        shutil.copytree(source, target / source.name, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_functions_zip_holds_the_handlers_and_the_chargeback_package_only(
    built: tuple[str, Path, Path],
) -> None:
    names = zipfile.ZipFile(built[1]).namelist()

    # At the root: the handlers, and the mypyc runtime library when the hot modules are compiled.
    assert {n for n in names if "/" not in n and "__mypyc." not in n} == set(package.HANDLERS)
    assert {n.split("/")[0] for n in names if "/" in n} - {"__pycache__"} == {"chargeback"}
    assert not [n for n in names if "test" in n.split("/")[-1]]


def test_both_zips_carry_the_bytecode_of_every_module_for_the_runtimes_python(
    built: tuple[str, Path, Path],
) -> None:
    tag = "cpython-312" if built[0] != sys.executable else sys.implementation.cache_tag
    for archive in built[1:]:
        names = set(zipfile.ZipFile(archive).namelist())
        sources = {n for n in names if n.endswith(".py")}
        expected = {
            f"{Path(n).parent / '__pycache__' / Path(n).stem}.{tag}.pyc".removeprefix("./") for n in sources
        }
        # Every module's bytecode beside it, and no other bytecode (the build machine's own, say).
        assert expected - names == set(), archive.name
        assert {n for n in names if n.endswith(".pyc")} == expected, archive.name


def test_layer_holds_the_runtime_dependencies_without_boto3(built: tuple[str, Path, Path]) -> None:
    top = {n.split("/")[1] for n in zipfile.ZipFile(built[2]).namelist()}

    assert {"aws_lambda_powertools", "pydantic", "pydantic_core", "ijson", "paramiko", "iso4217"} <= top
    assert not top & {"boto3", "botocore", "s3transfer"}
    assert all(n.startswith("python/") for n in zipfile.ZipFile(built[2]).namelist())


def test_packaging_is_deterministic(tmp_path: Path) -> None:
    interpreter = python_312() or sys.executable
    version = package.python_version_of(interpreter)
    first = package.build_functions(tmp_path / "a", bytecode_with=interpreter, python_version=version)
    second = package.build_functions(tmp_path / "b", bytecode_with=interpreter, python_version=version)

    assert first.read_bytes() == second.read_bytes()


def test_bytecode_for_another_python_than_the_runtimes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="needs that Python"):
        package.build_functions(tmp_path, bytecode_with=sys.executable, python_version="3.9")


def import_handlers(
    interpreter: str, task: Path, opt: Path, runtime: Path
) -> subprocess.CompletedProcess[str]:
    """Import every handler as the Lambda runtime would: /var/task, the layer and the runtime's boto3."""
    stack = json.loads((ROOT / "stack.json").read_text())
    env = {name: "1" for name in stack["lambda_environment"]} | {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "RAW_BUCKET": "raw",
        "PROCESSED_BUCKET": "processed",
        "SECRET_PREFIX": "chargeback-ftp-credentials-test",
        "REJECT_POLICY": "partial",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_METRICS_NAMESPACE": "Chargeback",
    }
    script = (
        "import importlib, sys\n"
        "from importlib.machinery import SourceFileLoader\n"
        # Every module compiled from source on import, as it would be on Lambda where it cannot be cached.
        "compiled, compile_source = [], SourceFileLoader.source_to_code\n"
        "def counted(self, data, path, *args, **kwargs):\n"
        "    compiled.append(path)\n"
        "    return compile_source(self, data, path, *args, **kwargs)\n"
        "SourceFileLoader.source_to_code = counted\n"
        f"sys.path[:0] = {[str(task), str(opt / 'python'), str(runtime)]!r}\n"
        f"for name in {HANDLER_MODULES!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    assert callable(module.lambda_handler), name\n"
        "    print(name, module.__file__)\n"
        f"for name in {HOT_MODULES!r}:\n"
        "    print(name, importlib.import_module(name).__file__)\n"
        f"print('compiled:', sorted(p for p in compiled if not p.startswith({str(runtime)!r})))\n"
        "print(sys.version_info[:2])\n"
    )
    # -I: no environment paths, no user site; -S: not even the interpreter's own site-packages;
    # -B: no bytecode written (/var/task and /opt are read-only on Lambda).
    return subprocess.run(
        [interpreter, "-I", "-S", "-B", "-c", script],
        cwd=task.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def unpacked(built: tuple[str, Path, Path], tmp_path: Path) -> tuple[str, Path, Path, Path]:
    interpreter, functions_zip, layer_zip = built
    task, opt = tmp_path / "var-task", tmp_path / "opt"
    zipfile.ZipFile(functions_zip).extractall(task)
    zipfile.ZipFile(layer_zip).extractall(opt)
    return interpreter, task, opt, lambda_runtime(tmp_path / "var-runtime")


def test_every_handler_imports_from_the_packages_alone(unpacked: tuple[str, Path, Path, Path]) -> None:
    interpreter, task, opt, runtime = unpacked

    result = import_handlers(interpreter, task, opt, runtime)

    assert result.returncode == 0, result.stderr
    if interpreter != sys.executable:
        assert result.stdout.rstrip().endswith("(3, 12)")
    for name in HANDLER_MODULES:
        assert f"{name} {task / name}.py" in result.stdout
    # A compiled module in the zip is the one the runtime imports, not its source beside it.
    for name in HOT_MODULES:
        path = name.replace(".", "/")
        compiled = sorted(task.glob(f"{path}.*.so"))
        assert (
            f"{name} {compiled[0] if compiled else task / path}{'' if compiled else '.py'}" in result.stdout
        )


def test_no_module_of_the_packages_is_compiled_at_import(unpacked: tuple[str, Path, Path, Path]) -> None:
    result = import_handlers(*unpacked)

    assert result.returncode == 0, result.stderr
    assert "compiled: []" in result.stdout


def test_import_check_catches_a_module_without_its_bytecode(unpacked: tuple[str, Path, Path, Path]) -> None:
    interpreter, task, opt, runtime = unpacked
    for bytecode in (task / "chargeback" / "__pycache__").glob("contracts.*.pyc"):
        bytecode.unlink()
    (opt / "python" / "pydantic" / "main.py").write_text(
        (opt / "python" / "pydantic" / "main.py").read_text() + "\n# edited after the build\n"
    )

    result = import_handlers(interpreter, task, opt, runtime)

    assert result.returncode == 0, result.stderr
    compiled = f"compiled: {sorted([str(opt / 'python' / 'pydantic' / 'main.py'), str(task / 'chargeback' / 'contracts.py')])}"
    assert compiled in result.stdout


def test_import_check_catches_a_dependency_missing_from_the_layer(
    unpacked: tuple[str, Path, Path, Path],
) -> None:
    interpreter, task, opt, runtime = unpacked
    shutil.rmtree(opt / "python" / "pydantic")

    result = import_handlers(interpreter, task, opt, runtime)

    assert result.returncode != 0
    assert "No module named 'pydantic'" in result.stderr

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
    import it with, else the same build for this interpreter's version (the layer holds compiled wheels)."""
    interpreter = python_312()
    if interpreter and (DIST / "functions.zip").exists() and (DIST / "layer.zip").exists():
        return interpreter, DIST / "functions.zip", DIST / "layer.zip"
    output = tmp_path_factory.mktemp("dist")
    version = "3.12" if interpreter else f"{sys.version_info.major}.{sys.version_info.minor}"
    package.build_functions(output)
    package.build_layer(output, "x86_64" if os.uname().machine == "x86_64" else "arm64", version)
    return interpreter or sys.executable, output / "functions.zip", output / "layer.zip"


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
    assert {n.split("/")[0] for n in names if "/" in n} == {"chargeback"}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "test" in n.split("/")[-1]]


def test_layer_holds_the_runtime_dependencies_without_boto3(built: tuple[str, Path, Path]) -> None:
    top = {n.split("/")[1] for n in zipfile.ZipFile(built[2]).namelist()}

    assert {"aws_lambda_powertools", "pydantic", "pydantic_core", "ijson", "paramiko", "iso4217"} <= top
    assert not top & {"boto3", "botocore", "s3transfer"}
    assert all(n.startswith("python/") for n in zipfile.ZipFile(built[2]).namelist())


def test_packaging_is_deterministic(tmp_path: Path) -> None:
    first = package.build_functions(tmp_path / "a").read_bytes()
    second = package.build_functions(tmp_path / "b").read_bytes()

    assert first == second


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
        f"sys.path[:0] = {[str(task), str(opt / 'python'), str(runtime)]!r}\n"
        f"for name in {HANDLER_MODULES!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    assert callable(module.lambda_handler), name\n"
        "    print(name, module.__file__)\n"
        f"for name in {HOT_MODULES!r}:\n"
        "    print(name, importlib.import_module(name).__file__)\n"
        "print(sys.version_info[:2])\n"
    )
    # -I: no environment paths, no user site; -S: not even the interpreter's own site-packages.
    return subprocess.run(
        [interpreter, "-I", "-S", "-c", script],
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


def test_import_check_catches_a_dependency_missing_from_the_layer(
    unpacked: tuple[str, Path, Path, Path],
) -> None:
    interpreter, task, opt, runtime = unpacked
    shutil.rmtree(opt / "python" / "pydantic")

    result = import_handlers(interpreter, task, opt, runtime)

    assert result.returncode != 0
    assert "No module named 'pydantic'" in result.stderr

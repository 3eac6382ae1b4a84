"""Build the two files Terraform deploys (`make package`):

- dist/functions.zip: the three handlers and the `chargeback` package at the zip's root (nothing
  for tests or local runs), with the hot modules compiled by mypyc (infra/compile_hot_modules.py) when
  `--compile-with` names an interpreter of the runtime's version and architecture that has mypy;
- dist/layer.zip: the runtime dependencies, hash-pinned in requirements/lambda-<arch>.txt (from
  pyproject.toml by `make lock`), as manylinux wheels for the
  Lambda runtime's Python and the chosen architecture, under python/ (boto3, botocore and
  s3transfer come with the runtime and are left out).

With `--bytecode-with` an interpreter of the runtime's version, both zips carry each module's bytecode
(`__pycache__/*.cpython-312.pyc`, checked against the source's hash, not its timestamp). The runtime cannot
write it itself: /var/task and /opt are read-only, so without it every cold start compiles every module
again (about 280 ms of the handlers' import, measured by benchmarks/cold_start.py).

Both zips are deterministic: sorted entries, fixed timestamps and permissions, so an unchanged
source gives an unchanged source_code_hash and no Lambda update.

    python infra/package.py [--architecture x86_64|arm64] [--python-version 3.12] [--output dist]
                            [--compile-with PYTHON] [--bytecode-with PYTHON]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

try:
    from infra.compile_hot_modules import compile_package
except ModuleNotFoundError:  # run as a script: infra/ itself is on sys.path
    from compile_hot_modules import compile_package  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "lambda_functions"
HANDLERS = ("data_processor.py", "csv_generator.py", "ftp_uploader.py")
PACKAGE = "chargeback"
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
INSTALL_ROOTS = {"functions": "/var/task", "layer": "/opt"}  # where the Lambda runtime unpacks each zip
PLATFORMS = {
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
}


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def runtime_lock(architecture: str) -> Path:
    """The hash-pinned runtime dependencies for the Lambda's Python and architecture (`make lock` writes it)."""
    return ROOT / "requirements" / f"lambda-{architecture}.txt"


def write_zip(target: Path, files: Iterable[tuple[str, Path]]) -> Path:
    """A zip whose bytes depend only on the files' names and contents."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
            archive.writestr(info, path.read_bytes())
    partial.replace(target)
    return target


def package_files(source: Path = SOURCE) -> list[tuple[str, Path]]:
    files = [(name, source / name) for name in HANDLERS if (source / name).exists()]
    for path in (source / PACKAGE).rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            files.append((path.relative_to(source).as_posix(), path))
    return files


def python_version_of(python: str) -> str:
    completed = subprocess.run(  # noqa: S603 - an interpreter named on the command line
        [python, "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return completed.stdout.strip()


def tree_files(tree: Path) -> list[tuple[str, Path]]:
    return [(path.relative_to(tree).as_posix(), path) for path in tree.rglob("*") if path.is_file()]


def compile_bytecode(python: str, tree: Path, install_root: str, python_version: str) -> None:
    """Write the bytecode of every module under `tree` beside it, as `python` (of the runtime's version)
    compiles it, naming the sources where the runtime will find them (`install_root`): tracebacks and the
    bytes do not depend on where the package was built. Hash-checked, so an edited source is recompiled."""
    if (found := python_version_of(python)) != python_version:
        raise SystemExit(f"bytecode for the Python {python_version} runtime needs that Python, not {found}")
    subprocess.run(  # noqa: S603 - an interpreter named on the command line, arguments built here
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "checked-hash",
         "-s", str(tree), "-p", install_root, str(tree)],
        env={**os.environ, "PYTHONHASHSEED": "0"},  # sets and frozensets marshalled in one order
        check=True,
    )  # fmt: skip


def build_functions(
    output: Path,
    source: Path = SOURCE,
    compile_with: str | None = None,
    bytecode_with: str | None = None,
    python_version: str = "3.12",
) -> Path:
    """functions.zip; with `compile_with`, the hot modules' extensions built by that interpreter beside
    their sources (the runtime imports an extension before the source of the same name); with
    `bytecode_with`, every module's bytecode."""
    with tempfile.TemporaryDirectory(prefix="chargeback-functions-") as temp:
        tree = Path(temp) / "task"
        for name, path in package_files(source):
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, tree / name)
        if compile_with is not None:
            compiled = Path(temp) / "compiled"
            for extension in compile_package(compile_with, compiled, source):
                shutil.copyfile(compiled / extension, tree / extension)
        if bytecode_with is not None:
            compile_bytecode(bytecode_with, tree, INSTALL_ROOTS["functions"], python_version)
        return write_zip(output / "functions.zip", tree_files(tree))


def install_dependencies(target: Path, architecture: str, python_version: str) -> None:
    platforms = [arg for platform in PLATFORMS[architecture] for arg in ("--platform", platform)]
    subprocess.run(  # noqa: S603 - pip of this interpreter, arguments built here
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            *platforms,
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
            "--upgrade",
            "--no-compile",  # pip's bytecode would be for the interpreter running pip, not the runtime's
            "--require-hashes",
            "--requirement",
            str(runtime_lock(architecture)),
        ],
        check=True,
    )
    for path in list(target.iterdir()):
        name = requirement_name(path.name.split("-")[0]) if path.name.endswith(".dist-info") else path.name
        if name in RUNTIME_PROVIDED or path.name == "bin":
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def build_layer(
    output: Path,
    architecture: str = "x86_64",
    python_version: str = "3.12",
    bytecode_with: str | None = None,
) -> Path:
    """layer.zip; with `bytecode_with`, every module's bytecode."""
    with tempfile.TemporaryDirectory(prefix="chargeback-layer-") as tmp:
        tree = Path(tmp)
        install_dependencies(tree / "python", architecture, python_version)
        if bytecode_with is not None:
            compile_bytecode(bytecode_with, tree, INSTALL_ROOTS["layer"], python_version)
        return write_zip(output / "layer.zip", tree_files(tree))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--architecture", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--output", type=Path, default=ROOT / "dist")
    parser.add_argument("--only", choices=("functions", "layer"), help="build one of the two zips")
    parser.add_argument(
        "--compile-with", metavar="PYTHON", help="compile the hot modules for this interpreter (mypyc)"
    )
    parser.add_argument(
        "--bytecode-with", metavar="PYTHON", help="add every module's bytecode, compiled by this interpreter"
    )
    args = parser.parse_args(argv)
    built = []
    if args.only in (None, "functions"):
        built.append(
            build_functions(
                args.output,
                compile_with=args.compile_with,
                bytecode_with=args.bytecode_with,
                python_version=args.python_version,
            )
        )
    if args.only in (None, "layer"):
        built.append(
            build_layer(args.output, args.architecture, args.python_version, bytecode_with=args.bytecode_with)
        )
    for path in built:
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size:,} bytes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the two files Terraform deploys (`make package`):

- dist/functions.zip: the three handlers and the `chargeback` package at the zip's root (nothing
  for tests or local runs), with the hot modules compiled by mypyc (infra/compile_hot_modules.py) when
  `--compile-with` names an interpreter of the runtime's version and architecture that has mypy;
- dist/layer.zip: the runtime dependencies, hash-pinned in requirements/lambda-<arch>.txt (from
  pyproject.toml by `make lock`), as manylinux wheels for the
  Lambda runtime's Python and the chosen architecture, under python/ (boto3, botocore and
  s3transfer come with the runtime and are left out).

Both zips are deterministic: sorted entries, fixed timestamps and permissions, so an unchanged
source gives an unchanged source_code_hash and no Lambda update.

    python infra/package.py [--architecture x86_64|arm64] [--python-version 3.12] [--output dist]
                            [--compile-with PYTHON]
"""

from __future__ import annotations

import argparse
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


def build_functions(output: Path, source: Path = SOURCE, compile_with: str | None = None) -> Path:
    """functions.zip; with `compile_with`, the hot modules' extensions built by that interpreter beside
    their sources (the runtime imports an extension before the source of the same name)."""
    files = package_files(source)
    if compile_with is None:
        return write_zip(output / "functions.zip", files)
    with tempfile.TemporaryDirectory(prefix="chargeback-compiled-") as temp:
        compiled = Path(temp)
        extensions = compile_package(compile_with, compiled, source)
        files += [(extension.as_posix(), compiled / extension) for extension in extensions]
        return write_zip(output / "functions.zip", files)


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
            "--require-hashes",
            "--requirement",
            str(runtime_lock(architecture)),
        ],
        check=True,
    )
    for path in list(target.iterdir()):
        name = requirement_name(path.name.split("-")[0]) if path.name.endswith(".dist-info") else path.name
        if name in RUNTIME_PROVIDED or path.name in ("bin", "__pycache__"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def build_layer(output: Path, architecture: str = "x86_64", python_version: str = "3.12") -> Path:
    with tempfile.TemporaryDirectory(prefix="chargeback-layer-") as tmp:
        site = Path(tmp) / "python"
        install_dependencies(site, architecture, python_version)
        files = [
            (path.relative_to(tmp).as_posix(), path)
            for path in site.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        ]
        return write_zip(output / "layer.zip", files)


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
    args = parser.parse_args(argv)
    built = []
    if args.only in (None, "functions"):
        built.append(build_functions(args.output, compile_with=args.compile_with))
    if args.only in (None, "layer"):
        built.append(build_layer(args.output, args.architecture, args.python_version))
    for path in built:
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size:,} bytes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

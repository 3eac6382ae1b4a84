"""Compile the processing path's hot modules to C extensions with mypyc, for one interpreter.

The per-record work of `data_processor` (the fast path, duplicate ids, splitting, the loop itself) is
Python bytecode; mypyc (the compiler that ships with mypy) turns those modules, unchanged, into C
extensions for the interpreter that runs it, about a third less CPU per record (benchmarks/scale.py).
The Python sources stay the reference: every test runs them, and tests/scale/test_compiled.py holds the
compiled build to the same output byte for byte. Where no compiled build exists (arm64, which this
machine cannot compile for, or a missing compiler) the same sources run as they are.

    python infra/compile_hot_modules.py [--output build/compiled] [--python PYTHON]

writes OUTPUT/chargeback/ (a copy of the package, with `<module>.cpython-<ver>-<platform>.so` beside the
compiled modules' sources: an extension is imported before the source of the same name) and the mypyc
runtime library `<hash>__mypyc.*.so` at OUTPUT's root, which must sit on sys.path beside the package.
PYTHON needs mypy installed (the dev lock has it for the local venv; requirements/mypyc.txt for Python
3.12, the Lambda runtime's).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "lambda_functions"
PACKAGE = "chargeback"
# What the data_processor runs once a record: mypyc-clean as they are (csv_writer hits a mypyc bug on
# a 16-tuple; reader hands most of its work to msgspec and ijson, already C).
HOT_MODULES = ("fast_path", "seen_ids", "processing", "splitter", "hashing")
# Lambda's Amazon Linux 2023 has glibc 2.34: an extension needing a newer symbol would not load there.
MAX_GLIBC = (2, 34)
_MYPY_CONFIG = "[mypy]\nignore_missing_imports = True\n"


def extension_files(directory: Path) -> list[Path]:
    """The compiled extensions under `directory` (relative paths), sorted."""
    found = [*directory.glob("*.so"), *(directory / PACKAGE).rglob("*.so")]  # not mypyc's build/ copies
    return sorted(path.relative_to(directory) for path in found)


def glibc_needed(extension: Path) -> tuple[int, int] | None:
    """The newest glibc symbol version `extension` needs (objdump), or None when objdump is missing."""
    objdump = shutil.which("objdump")
    if objdump is None:
        return None
    symbols = subprocess.run([objdump, "-T", str(extension)], capture_output=True, text=True, check=True)  # noqa: S603
    versions = {tuple(map(int, found)) for found in re.findall(r"GLIBC_(\d+)\.(\d+)", symbols.stdout)}
    return max(versions, default=(0, 0))  # type: ignore[return-value]


def copy_sources(source: Path, target: Path) -> None:
    """The `chargeback` package's sources under `source`, copied to `target` (no bytecode, no extensions)."""
    shutil.copytree(source / PACKAGE, target / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.so"))


def compile_package(python: str, output: Path, source: Path = SOURCE) -> list[Path]:
    """Copy the `chargeback` package to `output` and compile HOT_MODULES there for `python`.

    Returns the extension files written (relative to `output`). Raises CalledProcessError with mypyc's
    output when it fails, RuntimeError when an extension needs a glibc newer than Lambda's.
    """
    if os.sep in python:
        python = os.path.abspath(python)  # it runs in another folder; not resolved: a venv's is a link
    with tempfile.TemporaryDirectory(prefix="chargeback-mypyc-") as temp:
        work = Path(temp)
        copy_sources(source, work)
        (work / "mypy.ini").write_text(_MYPY_CONFIG)
        modules = [f"{PACKAGE}/{name}.py" for name in HOT_MODULES]
        # Folder names (the temporary one, the checkout's, where mypyc's headers are) kept out of the debug
        # information: the same sources give the same bytes wherever they are built.
        mypyc_headers = subprocess.run(  # noqa: S603
            [python, "-c", "import mypyc, os; print(os.path.dirname(mypyc.__file__))"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        prefix_maps = f"-ffile-prefix-map={work}=. -ffile-prefix-map={mypyc_headers}=mypyc"
        environment = os.environ | {"CFLAGS": f"{prefix_maps} -fno-ident"}
        completed = subprocess.run(  # noqa: S603 - mypyc of the given interpreter, arguments built here
            [python, "-m", "mypyc", *modules], cwd=work, env=environment, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if completed.returncode != 0:
            raise subprocess.CalledProcessError(
                completed.returncode, completed.args, completed.stdout, completed.stderr
            )
        built = extension_files(work)
        for extension in built:
            needed = glibc_needed(work / extension)
            if needed is not None and needed > MAX_GLIBC:
                raise RuntimeError(f"{extension} needs glibc {needed}, newer than Lambda's {MAX_GLIBC}")
        if output.exists():
            shutil.rmtree(output)
        copy_sources(source, output)
        for extension in built:
            shutil.copy2(work / extension, output / extension)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "compiled")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to compile for")
    args = parser.parse_args(argv)
    try:
        built = compile_package(args.python, args.output)
    except subprocess.CalledProcessError as error:
        sys.stderr.write(error.stdout + error.stderr)
        return 1
    for extension in built:
        print(args.output / extension)
    return 0


if __name__ == "__main__":
    sys.exit(main())

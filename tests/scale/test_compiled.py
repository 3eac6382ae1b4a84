"""The mypyc build of the hot modules (infra/compile_hot_modules.py: what functions.zip ships for x86_64)
gives what the Python sources give, byte for byte: generated batches in the three shapes under both
reject policies and split small, the whole bad-input corpus, mutated records through the fast path, and
repeated ids through SeenIds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.compile_hot_modules import HOT_MODULES, SOURCE, compile_package

RUN = Path(__file__).with_name("compiled_run.py")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("compiled")
    compile_package(sys.executable, output)
    return output


def run(package_root: Path, workdir: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(RUN), str(package_root), str(workdir)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_the_compiled_hot_modules_give_what_the_sources_give(compiled: Path, tmp_path: Path) -> None:
    from_sources = run(SOURCE, tmp_path / "sources")
    from_build = run(compiled, tmp_path / "compiled")

    assert all(path.endswith(".py") for path in from_sources["loaded"].values())
    assert all(path.endswith(".so") for path in from_build["loaded"].values())
    assert set(from_build["loaded"]) == set(HOT_MODULES)
    assert from_build["outcomes"] == from_sources["outcomes"]
    assert from_build["rows"] == from_sources["rows"]
    assert from_build["added"] == from_sources["added"]
    # The comparison has something to compare: files split, records rejected, rows taken and declined.
    generated = from_sources["outcomes"]["generated-array-partial.json"]
    assert generated["rejected"] > 0 and max(part for part, *_ in generated["slices"]) > 1
    assert from_sources["outcomes"]["generated-array-strict.json"]["error"] == "BatchRejected"
    assert {"None"} < set(from_sources["rows"])
    assert False in from_sources["added"] and True in from_sources["added"]


@pytest.mark.slow
def test_the_compiled_build_is_the_same_bytes_wherever_it_is_made(compiled: Path, tmp_path: Path) -> None:
    # An unchanged source must give an unchanged functions.zip (no Lambda update on the next apply).
    elsewhere = tmp_path / "another" / "folder"
    built = compile_package(sys.executable, elsewhere)

    assert built and built == sorted(path.relative_to(compiled) for path in compiled.rglob("*.so"))
    assert all((elsewhere / path).read_bytes() == (compiled / path).read_bytes() for path in built)

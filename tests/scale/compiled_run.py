"""One run of the processing path from the `chargeback` package at sys.argv[1] (the Python sources, or
infra/compile_hot_modules.py's build): prints, as one JSON document, which files the hot modules were
loaded from and everything the path produced, for tests/scale/test_compiled.py to compare.

    python tests/scale/compiled_run.py PACKAGE_ROOT WORKDIR
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import random
import sys
from datetime import date
from pathlib import Path

sys.path[:0] = [sys.argv[1], str(Path(__file__).resolve().parents[2])]

from benchmarks.generate_batch import write_batch  # noqa: E402
from chargeback.errors import ChargebackError  # noqa: E402
from chargeback.fast_path import usual_record_row  # noqa: E402
from chargeback.processing import process_batch  # noqa: E402
from chargeback.seen_ids import SeenIds  # noqa: E402
from chargeback.settings import RejectPolicy  # noqa: E402
from infra.compile_hot_modules import HOT_MODULES  # noqa: E402
from tests.scale.test_fast_paths import BASE, CANDIDATES, EXTRA_FIELDS  # noqa: E402

TODAY = date(2026, 11, 22)
CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def processed(name: str, data: bytes, workdir: Path, policy: RejectPolicy, limits: tuple[int, int]) -> dict:
    """What process_batch makes of `data`: its result and every file it wrote, or its error."""
    workdir.mkdir(parents=True)
    try:
        result = process_batch(
            io.BytesIO(data), name, f"incoming/{name}", TODAY, limits[0], limits[1], policy, workdir
        )
    except ChargebackError as error:
        outcome: dict[str, object] = {"error": type(error).__name__, "message": str(error)}
    else:
        outcome = {
            "batch_id": result.batch_id, "received": result.received, "valid": result.valid,
            "rejected": result.rejected, "counts": result.counts, "input_sha256": result.input_sha256,
            "slices": [(s.part, s.network, s.records, s.bytes) for s in result.slices],
        }  # fmt: skip
    outcome["files"] = {
        path.relative_to(workdir).as_posix(): sha256(path)
        for path in sorted(workdir.rglob("*"))
        if path.is_file()
    }
    return outcome


def mutated_records(count: int, seed: int) -> list[dict[str, object]]:
    """Records of BASE with up to four fields swapped for tricky values, as the fast-path property test."""
    rng = random.Random(seed)
    records = []
    for _ in range(count):
        raw: dict[str, object] = dict(BASE)
        for name in rng.sample(sorted(CANDIDATES), rng.randint(0, 4)):
            raw[name] = rng.choice(CANDIDATES[name])
        if rng.random() < 0.5:
            raw = {name: value for name, value in raw.items() if value is not None}
        records.append(raw | rng.choice(EXTRA_FIELDS))
    return records


def main() -> None:
    workdir = Path(sys.argv[2])
    loaded = {name: importlib.import_module(f"chargeback.{name}").__file__ for name in HOT_MODULES}
    outcomes: dict[str, object] = {}
    for shape in ("object", "array", "jsonl"):
        text = io.StringIO()
        write_batch(text, 3000, shape, reject_rate=0.05, seed=11)
        data = text.getvalue().encode("utf-8")
        for policy in RejectPolicy:
            name = f"generated-{shape}-{policy.value}.json"
            outcomes[name] = processed(name, data, workdir / name, policy, (400, 64 * 1024))
    for path in sorted(CORPUS.glob("*.json*")):
        if path.name != "expected.json":
            outcomes[path.name] = processed(
                path.name, path.read_bytes(), workdir / path.name, RejectPolicy.PARTIAL, (50_000, 50 << 20)
            )
    rows = [usual_record_row(raw, TODAY.isoformat()) for raw in mutated_records(5000, seed=3)]
    seen = SeenIds(filter_bytes=1 << 10)  # a small filter: the exact store answers most of the time
    added = [seen.add(f"CB-{number % 1500}") for number in range(3000)]
    print(
        json.dumps(
            {"loaded": loaded, "outcomes": outcomes, "rows": [repr(row) for row in rows], "added": added}
        )
    )


if __name__ == "__main__":
    main()

"""Peak memory and speed of the data_processor's processing path on a large input.

    python benchmarks/data_processor_memory.py [--mb 200] [--shape object|array|jsonl] [--keep DIR]

Generates an input of about --mb megabytes with generate_batch.py, then runs `process_batch` (stream from a
local file, validate, reject duplicates, split, write the CSV rows and the rejects report: all the
data_processor does except the S3 calls) in a child process, and reports the child's peak RSS
(getrusage ru_maxrss), the RSS of the same child after imports only, and records per second.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BYTES_PER_RECORD = 451  # what generate_batch.py writes on average

CHILD = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from chargeback.processing import process_batch
from chargeback.settings import RejectPolicy
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
source, workdir, run = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "run"
started = time.perf_counter()
result = None
if run:
    with source.open("rb") as stream:
        result = process_batch(stream, source.name, "incoming/" + source.name, date(2026, 11, 22),
                               50_000, 50 * 1024 * 1024, RejectPolicy.PARTIAL, workdir)
elapsed = time.perf_counter() - started
print(json.dumps({"baseline_kb": baseline, "seconds": elapsed,
                  "received": result.received if result else 0, "valid": result.valid if result else 0,
                  "rejected": result.rejected if result else 0, "parts": len(result.parts()) if result else 0}))
"""


def run_child(source: Path, workdir: Path, mode: str) -> tuple[dict, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), str(workdir), mode],
        check=True, capture_output=True, text=True, cwd=HERE.parent / "lambda_functions",
    )  # fmt: skip
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kb <= before:
        raise RuntimeError("this child's peak is hidden by an earlier, larger child; run it first")
    return json.loads(completed.stdout), peak_kb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--shape", choices=["object", "array", "jsonl"], default="object")
    parser.add_argument("--keep", type=Path, help="write the input here and keep it (reused if present)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as temp:
        source = args.keep or Path(temp) / f"batch.{'jsonl' if args.shape == 'jsonl' else 'json'}"
        if not source.exists():
            count = args.mb * 1024 * 1024 // BYTES_PER_RECORD
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "generate_batch.py"),
                    str(count),
                    str(source),
                    "--shape",
                    args.shape,
                ],
                check=True,
            )
        workdir = Path(temp) / "work"
        workdir.mkdir()
        # RUSAGE_CHILDREN keeps the largest child's peak: measure the smaller (imports only) child first.
        _, imports_kb = run_child(source, workdir, "imports")
        started = time.perf_counter()
        stats, peak_kb = run_child(source, workdir, "run")
        wall = time.perf_counter() - started
        size = source.stat().st_size
    print(f"input: {size / 1e6:.1f} MB, {stats['received']} records ({args.shape})")
    print(f"valid {stats['valid']}, rejected {stats['rejected']}, batch parts {stats['parts']}")
    print(f"peak RSS: {peak_kb / 1024:.1f} MiB (after imports only: {imports_kb / 1024:.1f} MiB)")
    print(f"processing: {stats['seconds']:.1f} s, {stats['received'] / stats['seconds']:,.0f} records/s"
          f" ({size / 1e6 / stats['seconds']:.1f} MB/s); child wall time {wall:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()

"""Our processing path against what an engineer would write instead, at 10k, 100k and 1M records.

    .venv/bin/pip install -e '.[bench]'      # pandas and orjson, for the baselines
    .venv/bin/python benchmarks/scale.py [--sizes 10000,100000,1000000] [--data /tmp/chargeback-bench] [--repeat 3]

One realistic batch per size (benchmarks/generate_batch.py, shape 2 — a bare array — so that every approach
reads the very same bytes) is generated once into --data and reused. Each approach runs in its own child
process, which reports its own peak RSS (getrusage ru_maxrss, the whole process: interpreter, imports,
data) and the wall and CPU time of the work (imports excluded):

- ours: `process_batch` (stream, validate, mask, reject duplicates, split, render the CSV rows: the
  data_processor without S3) then, for each slice, `write_csv_file` (header + rows: the csv_generator
  without S3). Local files, default settings (50,000 records / 50 MiB a file). Its hot modules compiled
  by mypyc for this interpreter first (infra/compile_hot_modules.py, as `make package` does for the
  x86_64 Lambdas), into --data;
- ours_python: the same path from the Python sources (what runs where there is no build: arm64);
- (a) naive: `json.load` + `csv.DictWriter`, one file per network value, no validation;
- (b) pandas: `read_json` + `groupby` + `to_csv`, no validation;
- (c) the floor, no validation: orjson (whole file) + `csv.writer`, and ijson's C backend (streaming) +
  `csv.writer`; the faster of the two is the floor.

Then a markdown table (records/s, peak RSS, ratios) and the cost per million records at the CPU time
measured for our two stages (see --help for the prices).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLUMNS = (
    "chargeback_id", "network", "case_number", "arn", "card_number", "merchant_id", "merchant_name",
    "transaction_id", "transaction_date", "chargeback_date", "amount", "currency", "reason_code", "stage",
    "response_due_date",
)  # fmt: skip
APPROACHES = ("ours", "ours_python", "naive", "pandas", "floor_orjson", "floor_ijson")
LABELS = {
    "ours": "ours (validate, mask, split, CSV), compiled as deployed on x86_64",
    "ours_python": "ours, the same as Python (arm64, or no build)",
    "naive": "(a) json.load + csv.DictWriter",
    "pandas": "(b) pandas read_json + groupby + to_csv",
    "floor_orjson": "(c) orjson + csv.writer",
    "floor_ijson": "(c) ijson yajl2_c stream + csv.writer",
}

# us-east-1, x86_64, as of 2026 (override on the command line).
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1_000_000
SFN_TRANSITION = 0.025 / 1000
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
MEMORY_MB = {"data_processor": 1024, "csv_generator": 512, "ftp_uploader": 512}  # stack.json


# ---- children: each runs one approach and prints one JSON line ----


def _usage() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def run_ours(source: Path, out: Path) -> dict:
    from datetime import date

    from chargeback.csv_writer import write_csv_file
    from chargeback.processing import process_batch
    from chargeback.settings import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_RECORDS_PER_FILE, RejectPolicy

    cpu0, _ = _usage()
    wall0 = time.perf_counter()
    with source.open("rb") as stream:
        result = process_batch(
            stream, source.name, "incoming/" + source.name, date(2026, 11, 22),
            DEFAULT_MAX_RECORDS_PER_FILE, DEFAULT_MAX_FILE_BYTES, RejectPolicy.PARTIAL, out,
        )  # fmt: skip
    cpu1, _ = _usage()
    wall1 = time.perf_counter()
    rows = 0
    csv_bytes: list[int] = []
    for piece in result.slices:
        with piece.path.open("rb") as stream:
            csv_path = out / f"{piece.network}-{piece.part:03d}.csv"
            summary = write_csv_file(stream, csv_path)
            rows += piece.records
            csv_bytes.append(summary.bytes)
    cpu2, _ = _usage()
    wall2 = time.perf_counter()
    return {
        "rows": rows, "received": result.received, "rejected": result.rejected, "files": len(result.slices),
        "input_bytes": source.stat().st_size, "counts": result.counts,
        "slice_bytes": _by_network((p.network, p.path.stat().st_size) for p in result.slices),
        "csv_bytes": _by_network(zip((p.network for p in result.slices), csv_bytes, strict=True)),
        "stage_cpu": {"data_processor": cpu1 - cpu0, "csv_generator": cpu2 - cpu1},
        "stage_wall": {"data_processor": wall1 - wall0, "csv_generator": wall2 - wall1},
        "parts": len(result.parts()),
    }  # fmt: skip


run_ours_python = run_ours  # the same path, run from the sources rather than the mypyc build


def _by_network(pairs) -> dict[str, int]:  # type: ignore[no-untyped-def]
    totals: dict[str, int] = {}
    for network, size in pairs:
        totals[network] = totals.get(network, 0) + size
    return totals


def run_naive(source: Path, out: Path) -> dict:
    import csv

    with source.open(encoding="utf-8") as stream:
        records = json.load(stream)
    groups: dict[str, list[dict]] = {}
    for record in records:
        groups.setdefault(str(record.get("network")), []).append(record)
    for network, group in groups.items():
        with (out / f"{network}.csv").open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(group)
    return {"rows": sum(len(group) for group in groups.values()), "files": len(groups)}


def run_pandas(source: Path, out: Path) -> dict:
    import pandas as pd

    frame = pd.read_json(source, orient="records", dtype=False, convert_dates=False)
    rows = files = 0
    for network, group in frame.groupby("network"):
        group.to_csv(out / f"{network}.csv", index=False, columns=list(COLUMNS))
        rows += len(group)
        files += 1
    return {"rows": rows, "files": files}


def _write_grouped(records, out: Path) -> dict:  # type: ignore[no-untyped-def]
    import csv

    files: dict[str, object] = {}
    writers: dict[str, object] = {}
    rows = 0
    for record in records:
        network = record["network"]
        writer = writers.get(network)
        if writer is None:
            file = files[network] = (out / f"{network}.csv").open("w", encoding="utf-8", newline="")
            writer = writers[network] = csv.writer(file)
            writer.writerow(COLUMNS)  # type: ignore[attr-defined]
        writer.writerow([record.get(column) for column in COLUMNS])  # type: ignore[attr-defined]
        rows += 1
    for file in files.values():
        file.close()  # type: ignore[attr-defined]
    return {"rows": rows, "files": len(files)}


def run_floor_orjson(source: Path, out: Path) -> dict:
    import orjson

    return _write_grouped(orjson.loads(source.read_bytes()), out)


def run_floor_ijson(source: Path, out: Path) -> dict:
    import ijson

    with source.open("rb") as stream:
        return _write_grouped(ijson.get_backend("yajl2_c").items(stream, "item", use_float=False), out)


def child(approach: str, source: Path, out: Path) -> None:
    sys.path[:0] = [str(compiled_build(source.parent) if approach == "ours" else ROOT / "lambda_functions")]
    run = globals()[f"run_{approach}"]
    if approach.startswith("ours"):  # imports outside the timing, as for the others (pandas' takes ~0.5 s)
        import chargeback.fast_path
        import chargeback.processing

        assert chargeback.fast_path.__file__.endswith(".so" if approach == "ours" else ".py")
    elif approach == "pandas":
        import pandas  # noqa: F401
    cpu0, _ = _usage()
    wall0 = time.perf_counter()
    stats = run(source, out)
    wall = time.perf_counter() - wall0
    cpu, peak_kb = _usage()
    print(json.dumps(stats | {"wall": wall, "cpu": cpu - cpu0, "peak_kb": peak_kb}))


# ---- parent ----


def compiled_build(data: Path) -> Path:
    """Where the mypyc build of the hot modules (infra/compile_hot_modules.py) for this interpreter lies."""
    return data / f"compiled-{sys.version_info.major}{sys.version_info.minor}"


def ensure_batch(data: Path, count: int) -> Path:
    path = data / f"batch-{count}.json"
    if not path.exists():
        partial = path.with_suffix(".partial")
        subprocess.run(
            [sys.executable, str(HERE / "generate_batch.py"), str(count), str(partial), "--shape", "array"],
            check=True,
        )  # fmt: skip
        partial.rename(path)
    return path


def measure(approach: str, source: Path, data: Path) -> dict:
    out = data / f"out-{approach}-{source.stem}"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    out.mkdir(parents=True)
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", approach, str(source), str(out)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    subprocess.run(["rm", "-rf", str(out)], check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def mib(kb: int) -> str:
    return f"{kb / 1024:,.0f} MiB"


def table(results: dict[int, dict[str, dict]], sizes: list[int]) -> str:
    lines = [
        "| records | approach | wall s | CPU s | records/s (wall) | records/CPU-s | peak RSS"
        " | ours vs this: speed (CPU), peak RSS |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        ours = results[size]["ours"]
        for approach in APPROACHES:
            stats = results[size].get(approach)
            if stats is None:
                continue
            ratio = (
                "-"
                if approach == "ours"
                else f"{stats['cpu'] / ours['cpu']:.2f}x, {ours['peak_kb'] / stats['peak_kb']:.2f}x"
            )
            lines.append(
                f"| {size:,} | {LABELS[approach]} | {stats['wall']:.2f} | {stats['cpu']:.2f} |"
                f" {size / stats['wall']:,.0f} | {size / stats['cpu']:,.0f} | {mib(stats['peak_kb'])} | {ratio} |"
            )
    return "\n".join(lines)


def goals(results: dict[int, dict[str, dict]], sizes: list[int]) -> str:
    """The issue's goals, speeds compared in CPU time (wall time on a shared machine counts other work)."""
    small, large = min(sizes), max(sizes)
    ours_small, ours = results[small]["ours"], results[large]["ours"]
    lines = [f"Goals (at {large:,} records; speeds in records per CPU-second):"]
    growth = ours["peak_kb"] / ours_small["peak_kb"]
    verdict = "met" if growth <= 1.25 and ours["peak_kb"] < 256 * 1024 else "NOT met"
    lines.append(
        f"- peak RSS {mib(ours['peak_kb'])} = {growth:.2f}x the peak at {small:,}"
        f" ({mib(ours_small['peak_kb'])}); goal <= 1.25x and < 256 MiB: {verdict}"
    )
    rate = large / ours["cpu"]
    stages = ours["stage_cpu"]
    lines.append(
        f"- ours {rate:,.0f}/s end to end; data_processor stage alone {large / stages['data_processor']:,.0f}/s,"
        f" csv_generator stage alone {large / stages['csv_generator']:,.0f}/s"
    )
    if "naive" in results[large]:
        other = large / results[large]["naive"]["cpu"]
        verdict = "met" if rate >= other else "NOT met"
        lines.append(f"- vs naive (a) {other:,.0f}/s: {rate / other:.2f}x; goal >= 1x: {verdict}")
        if "ours_python" in results[large]:
            python = large / results[large]["ours_python"]["cpu"]
            lines.append(f"  (ours as Python, without the build: {python:,.0f}/s, {python / other:.2f}x)")
    floors = [results[large][name] for name in ("floor_orjson", "floor_ijson") if name in results[large]]
    if floors:
        floor = max(large / stats["cpu"] for stats in floors)
        verdict = "met" if rate >= 0.5 * floor else "NOT met"
        lines.append(f"- vs the floor (c) {floor:,.0f}/s: {rate / floor:.2f}x; goal >= 0.5x: {verdict}")
    if "pandas" in results[large]:
        pandas = results[large]["pandas"]
        faster = ours["cpu"] < pandas["cpu"]
        tenth = ours["peak_kb"] * 10 <= pandas["peak_kb"]
        lines.append(
            f"- vs pandas (b): {pandas['cpu'] / ours['cpu']:.2f}x its speed,"
            f" {ours['peak_kb'] / pandas['peak_kb']:.3f}x its peak RSS;"
            f" goal faster and <= 0.1x: speed {'met' if faster else 'NOT met'}, memory {'met' if tenth else 'NOT met'}"
        )
    return "\n".join(lines)


def s3_requests(size: int) -> int:
    """Requests to write (or copy) one object of `size` bytes with boto3's defaults: one PUT up to 8 MiB,
    else a multipart upload (create, one request per 8 MiB part, complete)."""
    chunk = 8 * 1024 * 1024
    return 1 if size <= chunk else 2 + -(-size // chunk)


def vcpu_share(memory_mb: int) -> float:
    """Lambda's CPU share grows with memory: one full vCPU at 1,769 MB."""
    return min(1.0, memory_mb / 1769)


def cost(results: dict[int, dict[str, dict]], sizes: list[int]) -> str:
    """Dollars per million records, from our stages' CPU time and output sizes at the largest size.

    Lambda bills duration. A CPU-bound function's duration is its CPU time divided by its vCPU share, so
    GB-seconds = CPU seconds / share x memory GB (at 1,024 MB: 0.58 vCPU; below 1,769 MB the GB-seconds of
    a CPU-bound job do not depend on memory). The ftp_uploader is network-bound: ~2 s a file is assumed.
    """
    size = max(sizes)
    ours = results[size]["ours"]
    scale = 1_000_000 / size
    dp_cpu = ours["stage_cpu"]["data_processor"] * scale
    csv_cpu = ours["stage_cpu"]["csv_generator"] * scale
    dp_gbs = dp_cpu / vcpu_share(MEMORY_MB["data_processor"]) * MEMORY_MB["data_processor"] / 1024
    csv_gbs = csv_cpu / vcpu_share(MEMORY_MB["csv_generator"]) * MEMORY_MB["csv_generator"] / 1024
    # Files per network at a million records (50,000 records a file; the byte limit is not reached).
    per_network = {network: -(-round(count * scale) // 50_000) for network, count in ours["counts"].items()}
    parts = max(per_network.values())
    files = sum(per_network.values())
    upload_gbs = files * 2.0 * MEMORY_MB["ftp_uploader"] / 1024
    invocations = 1 + parts + files
    # Standard workflow, success path: 8 top-level states, 3 per part (generate, deliver map, summarise), 1 a file.
    transitions = 8 + 3 * parts + files
    # Manifest and reports, delivery receipts, the archive copy (multipart copy when large), then the
    # slices of rows and CSV files (multipart uploads when large).
    puts = 3 + files + s3_requests(round(ours["input_bytes"] * scale))
    for network, count in per_network.items():
        for kind in ("slice_bytes", "csv_bytes"):
            puts += count * s3_requests(round(ours[kind][network] * scale / count))
    gets = 1 + 2 * files + 4  # the input; each slice and each CSV once; HEADs and the manifest check
    share = vcpu_share(MEMORY_MB["data_processor"])
    lines = [
        f"Cost per million records (scaled from {size:,}; us-east-1 x86 prices; Lambda duration = CPU / vCPU share):",
        f"- data_processor: {dp_cpu:.0f} CPU-s -> {dp_cpu / share:.0f} s at {MEMORY_MB['data_processor']} MB"
        f" ({share:.2f} vCPU) = {dp_gbs:.0f} GB-s = ${dp_gbs * LAMBDA_GB_SECOND:.5f}",
        f"- csv_generator: {csv_cpu:.0f} CPU-s over {parts:.0f} parts -> {csv_gbs:.0f} GB-s at"
        f" {MEMORY_MB['csv_generator']} MB = ${csv_gbs * LAMBDA_GB_SECOND:.5f}",
        f"- ftp_uploader: {files:.0f} files x ~2 s (network-bound, assumed) -> {upload_gbs:.0f} GB-s"
        f" = ${upload_gbs * LAMBDA_GB_SECOND:.5f}",
        f"- Lambda requests: {invocations:.0f} = ${invocations * LAMBDA_REQUEST:.5f}",
        f"- Step Functions (standard): ~{transitions:.0f} transitions = ${transitions * SFN_TRANSITION:.5f}",
        f"- S3: ~{puts:.0f} PUT/COPY/multipart + ~{gets:.0f} GET = ${puts * S3_PUT + gets * S3_GET:.5f}",
    ]
    total = (
        (dp_gbs + csv_gbs + upload_gbs) * LAMBDA_GB_SECOND
        + invocations * LAMBDA_REQUEST
        + transitions * SFN_TRANSITION
        + puts * S3_PUT
        + gets * S3_GET
    )
    lines.append(f"- total: ${total:.4f} per million records")
    five_million = 5 * dp_cpu / share
    lines.append(
        f"5 million records in one data_processor at {MEMORY_MB['data_processor']} MB: ~{five_million:.0f} s of"
        f" the 900 s limit ({five_million / 900:.0%}); at 1,769 MB (one vCPU): ~{5 * dp_cpu:.0f} s."
        f" Rows staged in /tmp for 5 million records: {sum(ours['slice_bytes'].values()) * scale * 5 / 1e9:.2f} GB."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--data", type=Path, default=Path("/tmp/chargeback-bench"))
    parser.add_argument("--only", default=",".join(APPROACHES), help="approaches to run, comma-separated")
    parser.add_argument(
        "--repeat", type=int, default=1,
        help="rounds; each approach keeps its fastest (by CPU) of them. Rounds alternate the approaches, so"
        " a slow spell of a shared machine does not fall on one approach only",
    )  # fmt: skip
    parser.add_argument("--child", nargs=3, metavar=("APPROACH", "SOURCE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    sizes = sorted(int(size) for size in args.sizes.split(","))
    approaches = [name for name in APPROACHES if name in args.only.split(",")]
    args.data.mkdir(parents=True, exist_ok=True)
    if "ours" in approaches:
        sys.path[:0] = [str(ROOT)]
        from infra.compile_hot_modules import compile_package

        print("compiling the hot modules (mypyc) ...", file=sys.stderr)
        compile_package(sys.executable, compiled_build(args.data))
    results: dict[int, dict[str, dict]] = {}
    for size in sizes:
        source = ensure_batch(args.data, size)
        results[size] = {}
        for _ in range(args.repeat):
            for approach in approaches:
                stats = measure(approach, source, args.data)
                print(
                    f"{size:>9,} {approach:<13} {stats['wall']:7.2f} s wall {stats['cpu']:7.2f} s CPU"
                    f" {mib(stats['peak_kb']):>10} rows {stats['rows']:,}",
                    file=sys.stderr,
                )
                best = results[size].get(approach)
                if best is None or stats["cpu"] < best["cpu"]:
                    results[size][approach] = stats
    print(table(results, sizes))
    if "ours" in approaches:
        print()
        print(goals(results, sizes))
        print()
        print(cost(results, sizes))


if __name__ == "__main__":
    main()

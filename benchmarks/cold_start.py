"""Cold start: each handler's import time from the deployed packages, and the packages' zipped size.

    .venv/bin/python benchmarks/cold_start.py [--dist dist] [--runs 5]

Uses `dist/functions.zip` and `dist/layer.zip` (run `make package` first). Unpacks them as the Lambda runtime
lays them out (/var/task, /opt/python) beside the runtime's own boto3 and botocore (with their bytecode, as
the runtime has it), then imports each handler in a fresh isolated interpreter of the runtime's version
(3.12 when this machine has one: -I -S, the stack.json environment) with `-X importtime`, --runs times, and
reports the fastest run: the whole import and its largest parts. As on Lambda, whose /var/task and /opt are
read-only, no bytecode is written (-B): a module whose bytecode the zips do not carry is compiled on every
import. "handler's own" is the handler module's own time: mostly creating its boto3
clients (loading the service models), at import so that every invocation reuses them. The last two rows
are floors: a module that only imports boto3 and creates an S3 client, as every handler does; and one that
also does what the project's required libraries cost any handler, pydantic (one model, used once) and
Powertools (a Logger and a Metrics), with none of our code: the stack floor. The last column is each
handler's import less the stack floor's: what our own code costs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import boto3
import botocore
import s3transfer

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ("data_processor", "csv_generator", "ftp_uploader")
PARTS = ("boto3", "aws_lambda_powertools", "pydantic", "chargeback", "paramiko")
# Each part is counted where it is first imported (pydantic's time may sit within chargeback's, etc.).
GOAL_MS = 300
GOAL_ZIP_MB = 25
# Modules importing only what any handler of this stack must: (module name, row label, source).
FLOORS = (
    (
        "sdk_floor",
        "floor: `import boto3` and `boto3.client('s3')` alone",
        'import boto3\n\ns3 = boto3.client("s3")\n',
    ),
    (
        "stack_floor",
        "stack floor: that, plus pydantic (one model) and Powertools (Logger, Metrics)",
        "import boto3\n"
        "from aws_lambda_powertools import Logger, Metrics\n"
        "from pydantic import BaseModel\n\n\n"
        "class Event(BaseModel):\n    bucket: str\n    key: str\n\n\n"
        'Event.model_validate({"bucket": "b", "key": "k"})\n'
        'logger = Logger()\nmetrics = Metrics()\ns3 = boto3.client("s3")\n',
    ),
)


def interpreter() -> str:
    found = sorted(
        Path.home().glob(".pyenv/versions/3.12*/bin/python3.12")
    )  # not pyenv's shim: it may refuse
    return str(found[-1] if found else shutil.which("python3.12") or sys.executable)


def environment() -> dict[str, str]:
    stack = json.loads((ROOT / "stack.json").read_text())
    env = {name: "1" for name in stack["lambda_environment"]} | {
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
    return env


def import_times(python: str, paths: list[Path], handler: str) -> dict[str, int]:
    """Microseconds: the handler's whole import and the cumulative time of each top-level part in PARTS."""
    script = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}; import {handler}"
    completed = subprocess.run(
        [python, "-I", "-S", "-B", "-X", "importtime", "-c", script],
        env=environment(), capture_output=True, text=True, check=True, cwd=paths[0].parent,
    )  # fmt: skip
    times: dict[str, int] = {}
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        module = name.strip()
        direct = len(name) - len(name.lstrip()) == 3  # imported by the handler module itself
        if module == handler:
            times[module] = int(cumulative)
            times["own"] = int(line.split("|")[0].split(":")[1])
        elif module in PARTS and module not in times:  # the outermost import counts
            times[module] = int(cumulative)
        elif direct and module.startswith("chargeback."):
            times["chargeback"] = times.get("chargeback", 0) + int(cumulative)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    functions_zip, layer_zip = args.dist / "functions.zip", args.dist / "layer.zip"
    if not (functions_zip.exists() and layer_zip.exists()):
        sys.exit(f"{functions_zip} or {layer_zip} is missing: run `make package` first")
    sizes = {path.name: path.stat().st_size / 1e6 for path in (functions_zip, layer_zip)}
    total = sum(sizes.values())
    print("| package | zipped MB |\n|---|---:|")
    for name, size in sizes.items():
        print(f"| {name} | {size:.2f} |")
    print(f"| total (goal < {GOAL_ZIP_MB}) | {total:.2f} ({'met' if total < GOAL_ZIP_MB else 'NOT met'}) |\n")
    python = interpreter()
    with tempfile.TemporaryDirectory(prefix="cold-start-") as temp:
        task, opt, runtime = Path(temp) / "task", Path(temp) / "opt", Path(temp) / "runtime"
        zipfile.ZipFile(functions_zip).extractall(task)
        zipfile.ZipFile(layer_zip).extractall(opt)
        for module in (boto3, botocore, s3transfer):
            source = Path(module.__file__ or "").parent
            shutil.copytree(source, runtime / source.name, ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([python, "-m", "compileall", "-q", str(runtime)], check=True)
        paths = [task, opt / "python", runtime]
        shipped = sum(name.endswith(".pyc") for name in zipfile.ZipFile(layer_zip).namelist())
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        bytecode = (
            "with the bytecode the zips carry"
            if shipped
            else "the zips carry no bytecode: compiled at import"
        )
        print(f"Import time, fastest of {args.runs} fresh interpreters (Python {version}; {bytecode}), ms:\n")
        columns = (*PARTS, "own")
        # What any handler pays before its own code: the floors, beside the layer (for pydantic, Powertools).
        floor = Path(temp) / "floor"
        floor.mkdir()
        labels = dict.fromkeys(HANDLERS, "")
        for floor_module, floor_label, floor_source in FLOORS:
            (floor / f"{floor_module}.py").write_text(floor_source)
            labels[floor_module] = floor_label
        fastest: dict[str, dict[str, int]] = {}
        for handler, label in labels.items():
            where = [floor, *paths[1:]] if label else paths
            runs = [import_times(python, where, handler) for _ in range(args.runs)]
            fastest[handler] = min(runs, key=lambda times: times[handler])
        stack_floor = fastest[FLOORS[-1][0]][FLOORS[-1][0]] / 1000
        print("| handler | import | " + " | ".join(PARTS) + " | handler's own | above the stack floor |")
        print("|---|---:|" + "---:|" * (len(columns) + 1))
        for handler, label in labels.items():
            best = fastest[handler]
            cells = " | ".join(f"{best[part] / 1000:.0f}" if part in best else "-" for part in columns)
            whole = best[handler] / 1000
            verdict = "" if label else " (met)" if whole < GOAL_MS else " (NOT met)"
            above = "-" if label else f"{whole - stack_floor:+.0f}"
            print(f"| {label or handler} | {whole:.0f}{verdict} | {cells} | {above} |")


if __name__ == "__main__":
    main()

"""`chargeback run INPUT` (the whole pipeline on this machine) and `chargeback redrive BATCH_ID` (on AWS).

Exit status: 0 when the batch succeeded, 1 when it failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chargeback_cli.stack import StackSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chargeback", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the whole pipeline locally on an input file")
    run.add_argument("input", type=Path, help="a chargeback batch: JSON object, JSON array or JSON Lines")
    run.add_argument("--targets", type=Path, help="JSON object keyed by network: the servers to deliver to")
    run.add_argument(
        "--workdir", type=Path, help="where the run's files go (default: a new folder under ./runs/)"
    )
    run.add_argument("--json", action="store_true", help="print one JSON summary on stdout, nothing else")
    run.add_argument("--max-records-per-file", type=_positive_int)
    run.add_argument("--max-file-bytes", type=_positive_int)
    run.add_argument("--reject-policy", choices=("partial", "strict"))

    redrive = commands.add_parser("redrive", help="on AWS: deliver what a failed batch did not deliver")
    redrive.add_argument("batch_id")
    redrive.add_argument("--environment", default="prod", help="the stack's environment (default: prod)")
    redrive.add_argument("--project", default="chargeback")
    redrive.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    redrive.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    if args.command == "run":
        return _run(parser, args)
    return _redrive(args)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not args.input.is_file():
        parser.print_usage(sys.stderr)
        print(f"chargeback run: error: no such input file: {args.input}", file=sys.stderr)
        return EXIT_USAGE
    targets = None
    if args.targets is not None:
        try:
            targets = _read_targets(args.targets)
        except (OSError, ValueError) as error:
            print(f"chargeback run: error: --targets {args.targets}: {error}", file=sys.stderr)
            return EXIT_USAGE
    workdir = args.workdir or Path("runs") / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")

    from chargeback_cli.lambda_emulation import install_stdout_router
    from chargeback_cli.local_run import LocalPipeline, local_settings
    from chargeback_cli.report import render_report

    # Handler logs and warnings are the functions' (DIR/logs/), never mixed into our output.
    install_stdout_router()
    warnings.simplefilter("ignore")
    out = sys.__stdout__ or sys.stdout

    def progress(line: str) -> None:
        if not args.json:
            print(line, file=out, flush=True)

    settings = local_settings(
        max_records_per_file=args.max_records_per_file,
        max_file_bytes=args.max_file_bytes,
        reject_policy=args.reject_policy,
    )
    with LocalPipeline(workdir, targets, settings, progress) as pipeline:
        summary = pipeline.run(args.input)
        delivered_root = str(workdir / "delivered") if pipeline.servers is not None else None
    if args.json:
        print(summary.model_dump_json(), file=out)
    else:
        rejects = _rejected_records(workdir / summary.rejects_report) if summary.rejects_report else None
        print(render_report(summary, args.input.name, str(workdir), delivered_root, rejects), file=out)
    return EXIT_OK if summary.status == "succeeded" else EXIT_FAILED


def _rejected_records(report: Path) -> list[dict[str, Any]] | None:
    try:
        return list(json.loads(report.read_text(encoding="utf-8"))["records"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read_targets(path: Path) -> dict[str, dict[str, Any]]:
    targets = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(targets, dict) or not all(isinstance(value, dict) for value in targets.values()):
        raise ValueError("must be a JSON object keyed by network, each value a server description")
    return targets


def _redrive(args: argparse.Namespace) -> int:
    import boto3

    from chargeback_cli.redrive import RedriveError, redrive_batch
    from chargeback_cli.stack import Stack

    session = boto3.session.Session(region_name=args.region)
    region = session.region_name or "us-east-1"
    account_id = session.client("sts").get_caller_identity()["Account"]
    stack = Stack(
        StackSettings(
            project=args.project, environment=args.environment, account_id=account_id, region=region
        )
    )
    try:
        report = redrive_batch(
            stack,
            session.client("s3"),
            session.client("stepfunctions"),
            session.client("lambda"),
            args.batch_id,
            None if args.json else print,
        )
    except RedriveError as error:
        print(f"chargeback redrive: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        print(
            f"batch {report.batch_id}: {len(report.delivered)} delivered now, "
            f"{len(report.already_delivered)} already delivered, {len(report.failed)} failed"
        )
    return EXIT_OK if report.succeeded else EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())

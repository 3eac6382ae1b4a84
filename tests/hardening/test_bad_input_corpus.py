"""The bad-input corpus (`tests/data/bad/`, made by its `build_corpus.py`): every file through the real
processing path, each with the answer `expected.json` gives it, and no card data in anything it produced.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chargeback.errors import BatchRejected, InvalidBatchFile
from chargeback.processing import ProcessingResult, process_batch
from chargeback.settings import RejectPolicy
from chargeback_cli.local_run import LocalPipeline
from chargeback_cli.local_servers import LocalServers
from tests.hardening.hardening_support import REPO, TALLY, Captured, scan_run
from tests.support.leak_scan import LeakScanner

CORPUS = REPO / "tests" / "data" / "bad"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
TODAY = date(2026, 11, 20)
FILE_ERRORS: dict[str, type[Exception]] = {
    "InvalidBatchFile": InvalidBatchFile,
    "BatchRejected": BatchRejected,
}


def _process(name: str, workdir: Path) -> ProcessingResult:
    return process_batch(
        io.BytesIO((CORPUS / name).read_bytes()), name, f"incoming/{name}", TODAY,
        max_records_per_file=50_000, max_file_bytes=50 * 1024 * 1024,
        reject_policy=RejectPolicy.PARTIAL, workdir=workdir,
    )  # fmt: skip


def test_the_corpus_has_at_least_40_files_each_with_an_expected_answer() -> None:
    files = {path.name for path in CORPUS.iterdir() if path.name not in ("expected.json", "build_corpus.py")}
    assert files == set(EXPECTED)
    assert len(files) >= 40
    kinds = {case["error"] for case in EXPECTED.values()}
    assert kinds == {"InvalidBatchFile", "BatchRejected", "rejected", None}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_input_gets_its_expected_answer_and_no_output_holds_its_card_data(
    name: str, tmp_path: Path
) -> None:
    expected = EXPECTED[name]
    messages: list[str] = []
    if expected["error"] in FILE_ERRORS:
        with pytest.raises(FILE_ERRORS[expected["error"]]) as raised:
            _process(name, tmp_path)
        message = str(raised.value)
        assert name in message
        if expected["error"] == "InvalidBatchFile":
            assert "byte" in message or "line" in message  # the position
        messages.append(message)
    else:
        result = _process(name, tmp_path)
        if expected["error"] is None:
            assert result.rejected == 0 and result.valid == result.received >= 1
        else:
            assert (result.valid, result.rejected) == (1, 1)
            assert result.rejects_report is not None
            (entry,) = json.loads(result.rejects_report.read_text(encoding="utf-8"))["records"]
            found = [(error["field"], error["rule"]) for error in entry["errors"]]
            assert (expected["field"], expected["rule"]) in found
            messages.extend(error["message"] for error in entry["errors"])
    scanner = LeakScanner(security_values=expected.get("security_values", ()))
    scanner.scan_path(tmp_path)
    for message in messages:
        scanner.scan_text(message, "error message")
    assert scanner.leaks == [], [str(leak) for leak in scanner.leaks]
    TALLY.bad_inputs_tried += 1


PIPELINE_CASES = [
    "truncated_in_a_pan.json",
    "card_number_a_json_number.json",
    "nested_track2.json",
    "cvv_field.json",
    "array_of_nulls.json",
]


def test_bad_inputs_through_the_local_run_are_kept_alerted_and_leak_nothing(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    security_values = [
        value for name in PIPELINE_CASES for value in EXPECTED[name].get("security_values", [])
    ]
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        for name in PIPELINE_CASES:
            execution_arn = pipeline.drop(CORPUS / name)
            summary = pipeline.summary(execution_arn, pipeline.wait(execution_arn, timeout_seconds=120))
            error = EXPECTED[name]["error"]
            assert summary.status == ("succeeded" if error == "rejected" else "failed"), name
            kept = "archive" if error == "rejected" else "rejected"
            body = pipeline.clients.s3.get_object(
                Bucket=pipeline.stack.bucket_name("raw"), Key=f"{kept}/{name}"
            )
            assert body["Body"].read() == (CORPUS / name).read_bytes()
        alerts = [
            json.loads(path.read_text(encoding="utf-8")) for path in (run_dir / "alerts").glob("*.json")
        ]
        failures = [
            alert["message"] for alert in alerts if alert["topic_arn"] == pipeline.stack.topic_arn("alerts")
        ]
        assert sorted(message["error"] for message in failures) == ["BatchRejected", "InvalidBatchFile"]
    scanner = scan_run(
        pipeline, [CORPUS / name for name in PIPELINE_CASES], servers.secrets(), security_values, captured()
    )
    assert scanner.leaks == [], [str(leak) for leak in scanner.leaks]

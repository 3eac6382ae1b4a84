"""`chargeback redrive BATCH_ID`: deliver what a failed batch did not, and nothing it did.

It reads the batch's manifest from the processed bucket, finds the batch's failed execution,
regenerates each part's CSV files with the deployed `csv_generator` (deterministic: the same
bytes, so the same SHA-256), and invokes the deployed `ftp_uploader` only for the files that
have no delivery receipt. The uploader's ledger would skip a delivered file anyway; checking the
receipts first keeps the redrive to exactly the missing files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chargeback.contracts import GeneratedFile, GeneratedPart, Manifest
from chargeback.layout import manifest_key
from chargeback.ledger import S3Ledger
from chargeback.storage import get_json
from chargeback_cli.stack import Stack

Progress = Callable[[str], None]


class RedriveError(RuntimeError):
    """The batch cannot be redriven: unknown batch id, or no manifest (the input never got processed)."""


@dataclass
class RedriveReport:
    batch_id: str
    failed_execution: str | None
    already_delivered: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "status": "succeeded" if self.succeeded else "failed",
            "failed_execution": self.failed_execution,
            "already_delivered": self.already_delivered,
            "delivered": self.delivered,
            "failed": self.failed,
        }


def redrive_batch(
    stack: Stack, s3: Any, sfn: Any, lambda_: Any, batch_id: str, progress: Progress | None = None
) -> RedriveReport:
    say: Progress = progress or (lambda _line: None)
    manifest = _read_manifest(stack, s3, batch_id)
    report = RedriveReport(batch_id, find_failed_execution(stack, sfn, batch_id))
    if report.failed_execution:
        say(f"failed execution: {report.failed_execution}")
    ledger = S3Ledger(s3, stack.bucket_name("processed"))
    for part in manifest.parts:
        generated = GeneratedPart.model_validate(
            _invoke(lambda_, stack.function_name("csv_generator"), part.model_dump(mode="json"))
        )
        for file in generated.files:
            if _has_receipt(ledger, file):
                report.already_delivered.append(file.name)
                say(f"  {file.name}: already delivered, skipped")
                continue
            say(f"  {file.name}: delivering to {file.network}")
            try:
                _invoke(lambda_, stack.function_name("ftp_uploader"), file.model_dump(mode="json"))
            except _FunctionError as error:
                report.failed[file.name] = str(error)
                say(f"  {file.name}: NOT delivered: {error}")
            else:
                report.delivered.append(file.name)
    return report


def find_failed_execution(stack: Stack, sfn: Any, batch_id: str, newest: int = 200) -> str | None:
    """The newest failed execution whose processing produced `batch_id` (searches the newest `newest`)."""
    paginator = sfn.get_paginator("list_executions")
    seen = 0
    for page in paginator.paginate(stateMachineArn=stack.state_machine_arn, statusFilter="FAILED"):
        for execution in page["executions"]:
            seen += 1
            if seen > newest:
                return None
            history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)
            for event in history["events"]:
                details = event.get("stateExitedEventDetails") or {}
                if details.get("name") == "Process Data" and _processed_batch_id(details) == batch_id:
                    return str(execution["executionArn"])
    return None


def _processed_batch_id(details: dict[str, Any]) -> str | None:
    """The batch id in "Process Data"'s output; None when it failed (its output then holds no manifest)."""
    output = json.loads(details.get("output") or "null")
    manifest = output.get("processed", {}).get("manifest", {}) if isinstance(output, dict) else {}
    return manifest.get("batch_id") if isinstance(manifest, dict) else None


class _FunctionError(RuntimeError):
    pass


def _invoke(lambda_: Any, function_name: str, payload: dict[str, Any]) -> Any:
    response = lambda_.invoke(FunctionName=function_name, Payload=json.dumps(payload).encode("utf-8"))
    body = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise _FunctionError(f"{body.get('errorType')}: {body.get('errorMessage')}")
    return body


def _read_manifest(stack: Stack, s3: Any, batch_id: str) -> Manifest:
    document = get_json(s3, stack.bucket_name("processed"), manifest_key(batch_id))
    if document is None:
        raise RedriveError(
            f"no manifest for batch {batch_id!r}: the batch was never processed "
            "(a rejected input is fixed and dropped again, not redriven)"
        )
    return Manifest.model_validate(document)


def _has_receipt(ledger: S3Ledger, file: GeneratedFile) -> bool:
    receipt = ledger.find(file.batch_id, file.network, file.name)
    return receipt is not None and receipt.sha256 == file.sha256

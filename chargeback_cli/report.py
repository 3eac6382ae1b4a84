"""What one run did: the `--json` summary (CONTRACT section 7) and the report a person reads."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel


class FileOutcome(BaseModel):
    network: str
    name: str
    rows: int
    bytes: int
    sha256: str
    delivered: bool
    remote_path: str | None
    error: str | None = None


class RunSummary(BaseModel):
    status: Literal["succeeded", "failed"]
    batch_id: str | None
    received: int
    valid: int
    rejected: int
    files: list[FileOutcome]
    rejects_report: str | None
    error: str | None


def summarise_execution(status: str, history: Iterable[dict[str, Any]]) -> RunSummary:
    """Build the summary from an execution's history: the manifest, the generated files, the deliveries.

    `rejects_report` is left None: where the report lies on disk is the caller's to say.
    """
    manifest: dict[str, Any] = {}
    generated: dict[str, dict[str, Any]] = {}
    deliveries: dict[str, dict[str, Any]] = {}
    message: dict[str, Any] = {}
    for event in history:
        details = event.get("stateExitedEventDetails")
        if not details:
            continue
        output = json.loads(details.get("output") or "null")
        name = details["name"]
        if name == "Process Data" and isinstance(output, dict) and "processed" in output:
            manifest = output["processed"]["manifest"]
        elif name == "Generate CSV Files" and "generated" in output:
            for file in output["generated"]["files"]:
                generated[file["name"]] = file
        elif name in ("Deliver File", "Record Delivery Failure") and "name" in output:
            # A caught failure also exits its task state, with the input and the error: skip those.
            deliveries[output["name"]] = output
        elif name.startswith("Describe "):
            message = output["notification"]["message"]

    files = []
    for name, file in generated.items():
        delivery = deliveries.get(name, {})
        files.append(
            FileOutcome(
                network=file["network"],
                name=name,
                rows=file["rows"],
                bytes=file["bytes"],
                sha256=file["sha256"],
                delivered=bool(delivery.get("delivered")),
                remote_path=delivery.get("remote_path"),
                error=_delivery_error(delivery),
            )
        )
    succeeded = status == "SUCCEEDED"
    return RunSummary(
        status="succeeded" if succeeded else "failed",
        batch_id=manifest.get("batch_id") or message.get("batch_id"),
        received=manifest.get("received", 0),
        valid=manifest.get("valid", 0),
        rejected=manifest.get("rejected", 0),
        files=files,
        rejects_report=None,
        error=None if succeeded else _batch_error(status, message),
    )


def _delivery_error(delivery: dict[str, Any]) -> str | None:
    if not delivery or delivery.get("delivered"):
        return None
    return f"{delivery.get('error')}: {_cause_message(delivery.get('cause'))}"


def _batch_error(status: str, message: dict[str, Any]) -> str:
    if not message:
        return f"execution {status.lower()}"
    return f"{message.get('error')}: {_cause_message(message.get('cause'))}"


def _cause_message(cause: Any) -> str:
    """A Lambda error's Cause is the runtime's JSON error payload; keep its message."""
    if isinstance(cause, str):
        try:
            payload = json.loads(cause)
        except ValueError:
            return cause
        if isinstance(payload, dict) and "errorMessage" in payload:
            return str(payload["errorMessage"])
    return str(cause)


SHOWN_REJECTS = 5


def render_report(
    summary: RunSummary,
    input_name: str,
    workdir: str,
    delivered_root: str | None,
    rejects: list[dict[str, Any]] | None = None,
) -> str:
    """The short report that ends a run without `--json`; `rejects` are the rejects report's records."""
    lines = [
        "",
        f"Batch {summary.batch_id or '(none)'} from {input_name}: {summary.status.upper()}",
        f"  records: {summary.received} received, {summary.valid} valid, {summary.rejected} rejected",
    ]
    if summary.rejects_report:
        lines.append(f"  rejects report: {summary.rejects_report}")
    for record in (rejects or [])[:SHOWN_REJECTS]:
        reasons = "; ".join(f"{error['field']} [{error['rule']}]" for error in record.get("errors", []))
        lines.append(f"    record {record.get('index')} ({record.get('chargeback_id')}): {reasons}")
    if summary.rejected > SHOWN_REJECTS and rejects:
        lines.append(f"    ... and {summary.rejected - SHOWN_REJECTS} more in the rejects report")
    if summary.files:
        lines.append("  files:")
        width = max(len(file.name) for file in summary.files)
        for file in summary.files:
            if file.delivered:
                where = f"delivered to {file.network}: {file.remote_path}"
            else:
                where = f"NOT delivered: {file.error}"
            lines.append(f"    {file.name:<{width}}  {file.rows:>6} rows {file.bytes:>9} bytes  {where}")
    if summary.error:
        lines.append(f"  error: {summary.error}")
    lines.append(f"  everything the run produced: {workdir}")
    if delivered_root:
        lines.append(f"  delivered files: {delivered_root}")
    return "\n".join(lines)

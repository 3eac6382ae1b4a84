"""data_processor Lambda: one uploaded batch file -> CSV rows per part and network, a rejects
report and a manifest in the processed bucket; the input moved to `archive/`; returns the manifest (S3
references and counts only). Run again for the same input (a retry after success), it reads the archived
copy and gives the same manifest.

A file that cannot be read as a batch (InvalidBatchFile), or a batch that cannot go on (BatchRejected), is
moved byte for byte to `rejected/` with an error report beside it, and the same exception is raised again
for the state machine to catch by name.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from chargeback import layout
from chargeback.contracts import BatchPart, InputRef, Manifest, NetworkSlice, ProcessRequest, S3Ref
from chargeback.errors import BatchRejected, InvalidBatchFile
from chargeback.processing import REJECTS_REPORT_NAME, ProcessingResult, first_rejects, process_batch
from chargeback.settings import Settings, load_settings
from chargeback.storage import get_json, head_identity, move_object, open_object, put_json, upload_file

REJECTS_IN_ERROR_REPORT = 1000
SOURCE_ETAG = "source-etag"  # metadata of an archived input: the ETag it had in incoming/

logger = Logger()
metrics = Metrics()
s3 = boto3.client("s3")


def locate_input(request: ProcessRequest) -> tuple[str, str]:
    """(key, etag) of the input the event names: in place, or already in `archive/` (a retry after success).

    The archived copy carries the original's ETag as metadata: under SSE-KMS a copy gets an ETag of its own.
    """
    wanted = request.etag.strip('"')
    for key in (request.key, layout.archive_key(request.key)):
        found = head_identity(s3, request.bucket, key)
        if found is not None and (not wanted or wanted in (found.etag, found.metadata.get(SOURCE_ETAG))):
            return key, found.etag
    raise FileNotFoundError(f"{request.key} (ETag {wanted or 'any'}) is neither in place nor in archive/")


def reject_input(request: ProcessRequest, source_key: str, error: Exception, workdir: Path) -> None:
    """Move the input to `rejected/` unchanged and write the error report beside it."""
    rejected_key = layout.rejected_key(request.key)
    move_object(s3, request.bucket, source_key, rejected_key)
    report: dict[str, object] = {
        "file": request.key,
        "error_type": type(error).__name__,
        "error": str(error),
        "rejected_key": rejected_key,
    }
    rejects = workdir / REJECTS_REPORT_NAME
    if rejects.exists():
        report["rejects"] = first_rejects(rejects, REJECTS_IN_ERROR_REPORT)
    put_json(s3, request.bucket, layout.rejected_report_key(request.key), report)
    metrics.add_metric(name="FilesRejected", unit=MetricUnit.Count, value=1)
    logger.warning(
        "input rejected", extra={"input_key": request.key, "rejected_key": rejected_key, "error": str(error)}
    )


def check_batch_id_is_free(batch_id: str, sha256: str, settings: Settings) -> None:
    """A batch_id already used by a different input is refused: its files may be delivered already.

    The same input again (the same bytes: a retry, a redrive, the same file dropped again) may reuse it.
    """
    earlier = get_json(s3, settings.processed_bucket, layout.manifest_key(batch_id))
    if earlier is not None and earlier.get("input", {}).get("sha256") != sha256:
        raise BatchRejected(
            f"batch_id {batch_id} is already used by another input ({earlier['input'].get('key')});"
            " give this file a batch_id of its own"
        )


def publish(result: ProcessingResult, request: ProcessRequest, etag: str, settings: Settings) -> Manifest:
    """Upload the slices of rows and the rejects report, write the manifest, and return it."""
    bucket, batch_id = settings.processed_bucket, result.batch_id
    parts = []
    for part, slices in result.parts().items():
        networks = []
        for piece in slices:
            key = layout.rows_key(batch_id, part, piece.network)
            upload_file(s3, bucket, key, piece.path, "text/csv; charset=utf-8")
            networks.append(
                NetworkSlice(
                    network=piece.network, bucket=bucket, key=key, records=piece.records, bytes=piece.bytes
                )
            )
        parts.append(BatchPart(batch_id=batch_id, part=part, networks=networks))
    rejects = None
    if result.rejects_report is not None:
        rejects = S3Ref(bucket=bucket, key=layout.rejects_report_key(batch_id))
        upload_file(s3, bucket, rejects.key, result.rejects_report, "application/json")
    manifest = Manifest(
        batch_id=batch_id,
        input=InputRef(
            bucket=request.bucket,
            key=request.key,
            etag=etag,
            sha256=result.input_sha256,
            archive_key=layout.archive_key(request.key),
        ),
        received=result.received,
        valid=result.valid,
        rejected=result.rejected,
        counts=result.counts,
        rejects_report=rejects,
        manifest=S3Ref(bucket=bucket, key=layout.manifest_key(batch_id)),
        parts=parts,
    )
    put_json(s3, bucket, manifest.manifest.key, manifest.model_dump(mode="json"))
    return manifest


def record_counts(result: ProcessingResult) -> None:
    metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=result.received)
    metrics.add_metric(name="RecordsValid", unit=MetricUnit.Count, value=result.valid)
    metrics.add_metric(name="RecordsRejected", unit=MetricUnit.Count, value=result.rejected)
    counts: dict[str, object] = {"batch_id": result.batch_id, "shape": result.shape.value}
    counts |= {"received": result.received}
    counts |= {"valid": result.valid, "rejected": result.rejected, "counts": result.counts}
    logger.info("batch processed", extra=counts | {"parts": len(result.parts())})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = ProcessRequest.model_validate(event)
    settings = load_settings(os.environ)
    source_key, etag = locate_input(request)
    with tempfile.TemporaryDirectory(prefix="batch-") as workdir:
        try:
            stream = open_object(s3, request.bucket, source_key, etag)
            result = process_batch(
                stream, request.key, request.key, datetime.now(UTC).date(), settings.max_records_per_file,
                settings.max_file_bytes, settings.reject_policy, Path(workdir),
            )  # fmt: skip
            check_batch_id_is_free(result.batch_id, result.input_sha256, settings)
        except (InvalidBatchFile, BatchRejected) as error:
            reject_input(request, source_key, error, Path(workdir))
            raise
        manifest = publish(result, request, etag, settings)
    if source_key != manifest.input.archive_key:
        move_object(s3, request.bucket, source_key, manifest.input.archive_key, {SOURCE_ETAG: etag})
    record_counts(result)
    return manifest.model_dump(mode="json")

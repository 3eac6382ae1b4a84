"""csv_generator Lambda: one batch part -> its CSV files (at most one per network) in the processed bucket.

The data_processor has rendered every row already; a file is the header row and the part's rows of one
network, so the same input always gives byte-identical files, and a redrive can compare SHA-256 values.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from chargeback import layout
from chargeback.contracts import BatchPart, GeneratedFile, GeneratedPart, NetworkSlice
from chargeback.csv_writer import HEADER_ROW, write_csv_file
from chargeback.storage import open_object, upload_file

logger = Logger()
metrics = Metrics()
s3 = boto3.client("s3")


def generate_file(part: BatchPart, piece: NetworkSlice, workdir: Path) -> GeneratedFile:
    """Write one network's CSV file of the part from its rows, and upload it."""
    name = layout.csv_file_name(piece.network, part.batch_id, part.part)
    path = workdir / name
    summary = write_csv_file(open_object(s3, piece.bucket, piece.key), path)
    if summary.bytes - len(HEADER_ROW) != piece.bytes:
        raise ValueError(
            f"{piece.key} holds {summary.bytes - len(HEADER_ROW)} bytes of rows, the manifest says {piece.bytes}"
        )
    key = layout.csv_key(part.batch_id, name)
    upload_file(s3, piece.bucket, key, path, "text/csv; charset=utf-8")
    path.unlink()
    metrics.add_metric(name="RowsGenerated", unit=MetricUnit.Count, value=piece.records)
    with single_metric(name="FilesGenerated", unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="network", value=piece.network)
    logger.info("csv generated", extra={"key": key, "rows": piece.records, "bytes": summary.bytes})
    return GeneratedFile(
        batch_id=part.batch_id, network=piece.network, name=name, bucket=piece.bucket, key=key,
        rows=piece.records, bytes=summary.bytes, sha256=summary.sha256,
    )  # fmt: skip


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    part = BatchPart.model_validate(event)
    with tempfile.TemporaryDirectory(prefix="csv-") as workdir:
        files = [generate_file(part, piece, Path(workdir)) for piece in part.networks]
    return GeneratedPart(batch_id=part.batch_id, part=part.part, files=files).model_dump(mode="json")

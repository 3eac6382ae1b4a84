"""ftp_uploader: deliver one generated CSV file (a `GeneratedFile`) to its network's server, once.

Environment: SECRET_PREFIX (e.g. chargeback-ftp-credentials-dev), PROCESSED_BUCKET (where the receipts
go), optional DELIVERY_MAX_ATTEMPTS (in-Lambda attempts, default 4) and DELIVERY_TIMEOUT_SECONDS
(connect and I/O timeout, default 30). Targets come from Secrets Manager, cached per container.
"""

from __future__ import annotations

import os
import time
from typing import BinaryIO

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from aws_lambda_powertools.utilities.typing import LambdaContext

from chargeback.contracts import DeliveryResult, GeneratedFile
from chargeback.delivery import DeliverySettings, deliver
from chargeback.errors import ChargebackError
from chargeback.ledger import S3Ledger
from chargeback.storage import open_object
from chargeback.targets import Target, resolve_target

logger = Logger()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"chargeback"})

s3 = boto3.client("s3")
SECRET_MAX_AGE_SECONDS = 300


def _delivery_settings() -> DeliverySettings:
    """Read at each call (cheap), so a changed environment never meets a stale module-level copy."""
    return DeliverySettings(
        max_attempts=int(os.environ.get("DELIVERY_MAX_ATTEMPTS", "4")),
        timeout_seconds=float(os.environ.get("DELIVERY_TIMEOUT_SECONDS", "30")),
    )


def _secret(name: str) -> str | None:
    """The secret's text, cached per container; None when there is no such secret."""
    try:
        return str(parameters.get_secret(name, max_age=SECRET_MAX_AGE_SECONDS))
    except GetParameterError as exc:
        if "ResourceNotFoundException" in str(exc):
            return None
        raise


def _target(network: str) -> Target:
    return resolve_target(network, os.environ.get("SECRET_PREFIX", ""), _secret)


def _source(file: GeneratedFile) -> BinaryIO:
    return open_object(s3, file.bucket, file.key)


def _record_metrics(network: str, result: DeliveryResult | None, started: float) -> None:
    """Failures, or a new delivery's count, bytes and latency; nothing for a file delivered before."""
    if result is not None and result.already_delivered:
        return
    metrics.add_dimension(name="network", value=network)
    if result is None:
        metrics.add_metric(name="DeliveryFailures", unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name="FilesDelivered", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="BytesDelivered", unit=MetricUnit.Bytes, value=result.bytes)
    metrics.add_metric(
        name="DeliveryLatency", unit=MetricUnit.Milliseconds, value=(time.monotonic() - started) * 1000
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    file = GeneratedFile.model_validate(event)
    logger.append_keys(batch_id=file.batch_id, network=file.network, file_name=file.name)
    started = time.monotonic()
    try:
        ledger = S3Ledger(s3, os.environ.get("PROCESSED_BUCKET", ""))
        result = deliver(file, _target(file.network), lambda: _source(file), ledger, _delivery_settings())
    except ChargebackError:
        _record_metrics(file.network, None, started)
        raise
    _record_metrics(file.network, result, started)
    return result.model_dump(mode="json")

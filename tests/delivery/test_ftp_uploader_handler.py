"""The ftp_uploader Lambda end to end under moto (S3 object, Secrets Manager secret) to a real server."""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from delivery_support import LEDGER_BUCKET, MB, make_payload, sha256_of
from moto import mock_aws

from chargeback.errors import ConfigurationError
from chargeback_cli.local_servers import LocalServers


@pytest.fixture
def lambda_context() -> Any:
    return SimpleNamespace(
        function_name="chargeback-test-ftp-uploader",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:chargeback-test-ftp-uploader",
        aws_request_id=str(uuid.uuid4()),
    )


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, str, Any, Any]]:
    prefix = f"chargeback-ftp-credentials-test{uuid.uuid4().hex[:6]}"  # fresh name: no cached secret
    monkeypatch.setenv("SECRET_PREFIX", prefix)
    monkeypatch.setenv("PROCESSED_BUCKET", LEDGER_BUCKET)
    monkeypatch.setenv("DELIVERY_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("DELIVERY_TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Chargeback")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "ftp_uploader")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=LEDGER_BUCKET)
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        import ftp_uploader

        yield importlib.reload(ftp_uploader), prefix, s3, secrets


def test_handler_streams_the_s3_object_to_the_network_server_and_writes_the_receipt(
    handler: tuple[ModuleType, str, Any, Any],
    servers: LocalServers,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module, prefix, s3, secrets = handler
    payload = make_payload("amex", 3 * MB)
    file = payload.file.model_copy(update={"bucket": LEDGER_BUCKET})
    s3.put_object(Bucket=LEDGER_BUCKET, Key=file.key, Body=payload.data)
    secrets.create_secret(Name=f"{prefix}/amex", SecretString=json.dumps(servers.target("amex")))

    result = module.lambda_handler(file.model_dump(mode="json"), lambda_context)

    assert result["delivered"] is True and result["already_delivered"] is False
    assert result["rows"] == file.rows and result["sha256"] == file.sha256
    assert sha256_of(servers.delivered_dir("amex") / file.name) == file.sha256
    receipt = json.loads(s3.get_object(Bucket=LEDGER_BUCKET, Key=result["receipt"]["key"])["Body"].read())
    assert receipt["remote_path"] == f"/{file.name}" and receipt["protocol"] == "sftp"
    assert "password" not in receipt and "private_key" not in receipt
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    metrics = {m["Name"] for e in emitted for d in e["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"FilesDelivered", "BytesDelivered", "DeliveryLatency"} <= metrics
    assert emitted[-1]["network"] == "amex"
    assert emitted[-1]["BytesDelivered"] in (3 * MB, [3 * MB])

    again = module.lambda_handler(file.model_dump(mode="json"), lambda_context)
    assert again["already_delivered"] is True
    assert servers.upload_log("amex").count(file.name) == 1


def test_handler_uses_the_single_shared_secret_keyed_by_network(
    handler: tuple[ModuleType, str, Any, Any], servers: LocalServers, lambda_context: Any
) -> None:
    module, prefix, s3, secrets = handler
    payload = make_payload("mastercard", 64 * 1024)
    file = payload.file.model_copy(update={"bucket": LEDGER_BUCKET})
    s3.put_object(Bucket=LEDGER_BUCKET, Key=file.key, Body=payload.data)
    secrets.create_secret(Name=prefix, SecretString=json.dumps({"mastercard": servers.target("mastercard")}))

    result = module.lambda_handler(file.model_dump(mode="json"), lambda_context)

    assert result["delivered"] is True
    assert sha256_of(servers.delivered_dir("mastercard") / file.name) == file.sha256


def test_handler_fails_a_network_without_a_secret_with_a_clear_error_and_a_failure_metric(
    handler: tuple[ModuleType, str, Any, Any], lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    module, prefix, s3, _ = handler
    payload = make_payload("discover", 1024)
    file = payload.file.model_copy(update={"bucket": LEDGER_BUCKET})
    s3.put_object(Bucket=LEDGER_BUCKET, Key=file.key, Body=payload.data)

    with pytest.raises(
        ConfigurationError, match=f"no delivery target for network discover.*{prefix}/discover"
    ):
        module.lambda_handler(file.model_dump(mode="json"), lambda_context)

    assert "DeliveryFailures" in capsys.readouterr().out

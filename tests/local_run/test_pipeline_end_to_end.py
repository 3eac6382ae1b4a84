"""End to end through the real state machine definition, the real handlers and real local servers."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chargeback.errors import TransientDeliveryError
from chargeback_cli import cli
from chargeback_cli.local_run import LocalPipeline

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sample_chargeback_data.json"
NETWORKS = ("visa", "mastercard", "amex", "discover")


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[LocalPipeline]:
    with LocalPipeline(tmp_path / "run") as running:
        yield running


def _s3_bytes(pipeline: LocalPipeline, bucket: str, key: str) -> bytes:
    return pipeline.clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _keys(pipeline: LocalPipeline, which: str) -> list[str]:
    bucket = pipeline.stack.bucket_name(which)
    return [item["Key"] for item in pipeline.clients.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def _delivered_files(pipeline: LocalPipeline, network: str) -> list[Path]:
    root = pipeline.servers.delivered_dir(network)
    return sorted(path for path in root.rglob("*") if path.is_file())


def _task_failures(pipeline: LocalPipeline, execution_arn: str, error: str) -> list[dict[str, Any]]:
    return [
        event
        for event in pipeline.history(execution_arn)
        if event["type"] == "TaskFailed" and event["taskFailedEventDetails"].get("error") == error
    ]


def _alerts(pipeline: LocalPipeline) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((pipeline.workdir / "alerts").glob("*.json"))]


def test_the_sample_delivers_one_file_to_each_network_equal_to_what_csv_generator_wrote(pipeline):
    summary = pipeline.run(SAMPLE)

    assert summary.status == "succeeded", summary.error
    assert sorted(file.network for file in summary.files) == sorted(NETWORKS)
    processed = pipeline.stack.bucket_name("processed")
    for file in summary.files:
        (delivered,) = _delivered_files(pipeline, file.network)
        assert delivered.name == file.name
        assert file.delivered and file.remote_path.endswith(file.name)
        generated = _s3_bytes(pipeline, processed, f"batches/{summary.batch_id}/csv/{file.name}")
        assert delivered.read_bytes() == generated
        assert pipeline.servers.upload_log(file.network) == [file.name]
    assert _keys(pipeline, "raw") == [f"archive/{SAMPLE.name}"]
    assert (
        _s3_bytes(pipeline, pipeline.stack.bucket_name("raw"), f"archive/{SAMPLE.name}")
        == SAMPLE.read_bytes()
    )
    (success,) = _alerts(pipeline)
    assert success["topic_arn"] == pipeline.stack.topic_arn("success")
    assert success["message"]["status"] == "SUCCEEDED"
    assert success["message"]["batch_id"] == summary.batch_id
    assert summary.rejected > 0 and summary.rejects_report is not None


def test_a_malformed_file_fails_is_kept_in_rejected_is_alerted_and_delivers_nothing(pipeline, tmp_path):
    broken = tmp_path / "truncated_batch.json"
    broken.write_bytes(SAMPLE.read_bytes()[:700])

    summary = pipeline.run(broken)

    assert summary.status == "failed"
    assert "truncated_batch.json" in (summary.error or "")
    raw = pipeline.stack.bucket_name("raw")
    assert _s3_bytes(pipeline, raw, "rejected/truncated_batch.json") == broken.read_bytes()
    report = json.loads(_s3_bytes(pipeline, raw, "rejected/truncated_batch.json.error.json"))
    assert "truncated_batch.json" in json.dumps(report)
    assert not [key for key in _keys(pipeline, "raw") if key.startswith("incoming/")]
    (alert,) = _alerts(pipeline)
    assert alert["topic_arn"] == pipeline.stack.topic_arn("alerts")
    assert alert["message"]["input_key"] == "incoming/truncated_batch.json"
    assert alert["message"]["error"] == "InvalidBatchFile"
    assert "truncated_batch.json" in alert["message"]["cause"]
    assert all(_delivered_files(pipeline, network) == [] for network in NETWORKS)
    assert _task_failures(pipeline, pipeline_last_execution(pipeline), "InvalidBatchFile")


def pipeline_last_execution(pipeline: LocalPipeline) -> str:
    executions = pipeline.clients.sfn.list_executions(stateMachineArn=pipeline.stack.state_machine_arn)
    return str(executions["executions"][0]["executionArn"])


def test_one_server_down_fails_that_network_only_and_redrive_sends_just_the_missing_file(pipeline):
    pipeline.servers.stop("amex")

    execution_arn = pipeline.drop(SAMPLE)
    status = pipeline.wait(execution_arn)
    summary = pipeline.summary(execution_arn, status)

    assert summary.status == "failed"
    outcome = {file.network: file for file in summary.files}
    assert not outcome["amex"].delivered
    assert all(outcome[network].delivered for network in ("visa", "mastercard", "discover"))
    retries = _task_failures(pipeline, execution_arn, "TransientDeliveryError")
    attempts = pipeline.settings.delivery_retry_max_attempts
    assert attempts is not None and len(retries) == attempts + 1
    (alert,) = _alerts(pipeline)
    assert alert["message"]["status"] == "FAILED"
    failed = [d for d in alert["message"]["deliveries"] if not d["delivered"]]
    assert [d["network"] for d in failed] == ["amex"]
    assert "amex" in failed[0]["cause"]
    messages = pipeline.clients.sqs.receive_message(QueueUrl=pipeline.stack.queue_url("failed_batches"))
    assert json.loads(messages["Messages"][0]["Body"])["batch_id"] == summary.batch_id

    pipeline.servers.start("amex")
    report = pipeline.redrive(summary.batch_id)

    assert report.failed_execution == execution_arn
    assert report.delivered == [outcome["amex"].name]
    assert sorted(report.already_delivered) == sorted(
        outcome[n].name for n in ("visa", "mastercard", "discover")
    )
    for network in NETWORKS:
        assert pipeline.servers.upload_log(network) == [outcome[network].name]


def test_the_same_input_dropped_twice_delivers_nothing_the_second_time(pipeline):
    first = pipeline.run(SAMPLE)
    second = pipeline.run(SAMPLE)

    assert first.status == second.status == "succeeded"
    assert first.batch_id == second.batch_id
    for file in first.files:
        assert pipeline.servers.upload_log(file.network) == [file.name]


def test_a_transient_delivery_error_is_retried_by_the_state_machine_then_succeeds(pipeline):
    uploader = pipeline.emulation.functions[pipeline.stack.function_name("ftp_uploader")]
    real_handler = uploader.resolve()
    failures_left = {"mastercard": 1}

    def fails_once_for_mastercard(event: dict[str, Any], context: Any) -> Any:
        if failures_left.get(event["network"], 0) > 0:
            failures_left[event["network"]] -= 1
            raise TransientDeliveryError("mastercard: 127.0.0.1: connection reset (injected)")
        return real_handler(event, context)

    uploader.handler = fails_once_for_mastercard

    execution_arn = pipeline.drop(SAMPLE)
    status = pipeline.wait(execution_arn)

    assert status == "SUCCEEDED"
    (retry,) = _task_failures(pipeline, execution_arn, "TransientDeliveryError")
    assert "mastercard" in retry["taskFailedEventDetails"]["cause"]
    assert pipeline.servers.upload_log("mastercard") != []


def test_the_redrive_command_delivers_the_missing_file_through_the_deployed_functions(pipeline, capsys):
    pipeline.servers.stop("visa")
    failed = pipeline.run(SAMPLE)
    assert failed.status == "failed"
    pipeline.servers.start("visa")
    capsys.readouterr()

    exit_status = cli.main(
        ["redrive", str(failed.batch_id), "--environment", "local", "--region", "us-east-1", "--json"]
    )

    report = json.loads(capsys.readouterr().out)
    assert exit_status == 0
    visa_file = next(file.name for file in failed.files if file.network == "visa")
    assert report["delivered"] == [visa_file]
    assert len(report["already_delivered"]) == 3
    assert pipeline.servers.upload_log("visa") == [visa_file]


def test_the_redrive_command_refuses_a_batch_that_was_never_processed(pipeline, capsys):
    exit_status = cli.main(["redrive", "no-such-batch", "--environment", "local", "--region", "us-east-1"])

    assert exit_status == 1
    assert "no manifest for batch 'no-such-batch'" in capsys.readouterr().err


def test_a_part_whose_files_cannot_be_generated_fails_the_batch_and_redrive_delivers_it(pipeline):
    generator = pipeline.emulation.functions[pipeline.stack.function_name("csv_generator")]
    real_handler = generator.resolve()

    def out_of_space(event: dict[str, Any], context: Any) -> Any:
        raise OSError("No space left on device (injected)")

    generator.handler = out_of_space
    summary = pipeline.run(SAMPLE)

    assert summary.status == "failed"
    assert summary.files == []
    (alert,) = _alerts(pipeline)
    (failure,) = alert["message"]["deliveries"]
    assert failure["name"] == "batch part 1" and failure["delivered"] is False
    assert failure["error"] == "OSError" and "No space left" in failure["cause"]
    assert all(_delivered_files(pipeline, network) == [] for network in NETWORKS)

    generator.handler = real_handler
    report = pipeline.redrive(str(summary.batch_id))

    assert len(report.delivered) == 4 and report.failed == {}
    assert all(len(pipeline.servers.upload_log(network)) == 1 for network in NETWORKS)

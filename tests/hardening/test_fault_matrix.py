"""The fault matrix, end to end: the real state machine in moto, the real handlers, real servers.

Each test breaks one thing, then checks what the user sees (execution status, alert, history), that
the input is still in S3, that nothing reached a server twice, that `redrive` (or, where the batch was
never processed, dropping the file again) recovers once the fault is gone, and that no byte the run
produced holds a full card number, a card security value, a password or a private key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ResponseStreamingError

from chargeback.ledger import S3Ledger
from chargeback_cli.local_run import LocalPipeline, local_settings
from chargeback_cli.local_servers import LocalServers
from chargeback_cli.redrive import RedriveError
from chargeback_cli.report import RunSummary
from tests.hardening.hardening_support import (
    NETWORKS,
    SAMPLE,
    SAMPLE_SECURITY_VALUES,
    TALLY,
    Captured,
    batch_records,
    scan_run,
    write_batch,
)
from tests.support.fault_proxy import FaultProxy

BIG_BATCH_CVV = "9073"


def _alerts(pipeline: LocalPipeline) -> list[dict[str, Any]]:
    pipeline.collect_alerts()
    paths = sorted((pipeline.workdir / "alerts").glob("*.json"))
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths]


def _failure_alert(pipeline: LocalPipeline) -> dict[str, Any]:
    failures = [a for a in _alerts(pipeline) if a["topic_arn"] == pipeline.stack.topic_arn("alerts")]
    assert len(failures) == 1, failures
    message: dict[str, Any] = failures[0]["message"]
    assert message["status"] == "FAILED"
    return message


def _task_failures(pipeline: LocalPipeline, execution_arn: str, error: str) -> list[str]:
    """The cause of every failed task attempt with this error name, in order."""
    return [
        str(event["taskFailedEventDetails"].get("cause"))
        for event in pipeline.history(execution_arn)
        if event["type"] == "TaskFailed" and event["taskFailedEventDetails"].get("error") == error
    ]


def _keys(pipeline: LocalPipeline, which: str, prefix: str = "") -> list[str]:
    pages = pipeline.clients.s3.get_paginator("list_objects_v2").paginate(
        Bucket=pipeline.stack.bucket_name(which), Prefix=prefix
    )
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def _s3_bytes(pipeline: LocalPipeline, which: str, key: str) -> bytes:
    body = pipeline.clients.s3.get_object(Bucket=pipeline.stack.bucket_name(which), Key=key)["Body"]
    return bytes(body.read())


def _run(pipeline: LocalPipeline, path: Path) -> tuple[str, RunSummary]:
    execution_arn = pipeline.drop(path)
    summary = pipeline.summary(execution_arn, pipeline.wait(execution_arn, timeout_seconds=120))
    return execution_arn, summary


def _outcome(summary: RunSummary) -> dict[str, Any]:
    return {file.network: file for file in summary.files}


def _assert_input_archived(pipeline: LocalPipeline, path: Path) -> None:
    assert _keys(pipeline, "raw", "incoming/") == []
    assert _s3_bytes(pipeline, "raw", f"archive/{path.name}") == path.read_bytes()


def _assert_each_file_reached_its_server_once(servers: LocalServers, summary: RunSummary) -> None:
    for file in summary.files:
        assert servers.upload_log(file.network) == [file.name], file.network
        delivered = servers.delivered_dir(file.network) / file.name
        assert delivered.stat().st_size == file.bytes
        assert not list(servers.delivered_dir(file.network).glob("*.part"))


def _deliver_to(pipeline: LocalPipeline, network: str, target: dict[str, Any]) -> None:
    """Replace a network's secret (as an operator fixing it would) and start with cold Lambda caches."""
    pipeline.clients.secrets.put_secret_value(
        SecretId=pipeline.stack.secret_name(network), SecretString=json.dumps(target)
    )
    parameters.clear_caches()


def _leak_free(
    pipeline: LocalPipeline,
    inputs: list[Path],
    secrets: list[str],
    captured: Captured,
    security_values: tuple[str, ...] = SAMPLE_SECURITY_VALUES,
) -> None:
    scanner = scan_run(pipeline, inputs, secrets, security_values, captured())
    assert scanner.leaks == [], [str(leak) for leak in scanner.leaks]


def _survived() -> None:
    TALLY.faults_survived += 1


def test_a_good_run_delivers_each_file_once_and_leaks_nothing(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        _, summary = _run(pipeline, SAMPLE)

        assert summary.status == "succeeded", summary.error
        assert sorted(_outcome(summary)) == sorted(NETWORKS)
        _assert_input_archived(pipeline, SAMPLE)
        _assert_each_file_reached_its_server_once(servers, summary)
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)


def test_a_closed_port_is_retried_then_alerted_and_redrive_delivers_only_that_file(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        servers.stop("discover")

        execution_arn, summary = _run(pipeline, SAMPLE)

        assert summary.status == "failed"
        outcome = _outcome(summary)
        assert [n for n, f in outcome.items() if not f.delivered] == ["discover"]
        causes = _task_failures(pipeline, execution_arn, "TransientDeliveryError")
        assert len(causes) == 1 + (pipeline.settings.delivery_retry_max_attempts or 0)
        assert all("ConnectionRefusedError" in cause for cause in causes)
        alert = _failure_alert(pipeline)
        (failed,) = [d for d in alert["deliveries"] if not d["delivered"]]
        assert failed["network"] == "discover" and "127.0.0.1" in failed["cause"]
        assert servers.upload_log("discover") == []
        _assert_input_archived(pipeline, SAMPLE)

        servers.start("discover")
        report = pipeline.redrive(summary.batch_id or "")

        assert report.failed_execution == execution_arn
        assert report.delivered == [outcome["discover"].name]
        assert len(report.already_delivered) == 3
        _assert_each_file_reached_its_server_once(servers, summary)
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()


def test_a_connection_reset_mid_transfer_leaves_no_file_under_its_final_name_and_redrive_delivers_it(
    run_dir: Path, servers: LocalServers, captured: Captured, tmp_path: Path
) -> None:
    items = batch_records(3000, ("visa", "mastercard"))
    for item in items[::1000]:
        item["cvv2"] = BIG_BATCH_CVV  # these records are rejected; the value must appear nowhere
    big = write_batch(tmp_path / "big_visa_batch.json", items)
    targets = servers.targets()
    with FaultProxy(servers.port("visa")) as proxy:
        proxy.cut_after_bytes, proxy.cut_once = 150_000, False  # well past the SSH handshake: mid-upload
        targets["visa"]["port"] = proxy.port
        with LocalPipeline(run_dir, targets=targets) as pipeline:
            execution_arn, summary = _run(pipeline, big)

            assert summary.status == "failed"
            visa = _outcome(summary)["visa"]
            assert not visa.delivered and visa.bytes > 150_000
            attempts = 1 + (pipeline.settings.delivery_retry_max_attempts or 0)
            causes = _task_failures(pipeline, execution_arn, "TransientDeliveryError")
            assert len(causes) == attempts and all("while uploading" in cause for cause in causes)
            assert (
                proxy.cuts == proxy.connections == attempts * (pipeline.settings.delivery_max_attempts or 1)
            )
            assert servers.upload_log("visa") == []
            assert not (servers.delivered_dir("visa") / visa.name).exists()
            (failed,) = [d for d in _failure_alert(pipeline)["deliveries"] if not d["delivered"]]
            assert failed["network"] == "visa"
            _assert_input_archived(pipeline, big)

            proxy.cut_after_bytes = None
            report = pipeline.redrive(summary.batch_id or "")

            assert report.delivered == [visa.name]
            delivered = (servers.delivered_dir("visa") / visa.name).read_bytes()
            assert delivered == _s3_bytes(
                pipeline, "processed", f"batches/{summary.batch_id}/csv/{visa.name}"
            )
            _assert_each_file_reached_its_server_once(servers, summary)
    _leak_free(pipeline, [big], servers.secrets(), captured, (BIG_BATCH_CVV,))
    _survived()


def test_a_refused_login_fails_at_once_names_the_server_not_the_password_and_redrive_after_the_fix(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    targets = servers.targets()
    wrong_password = "wrong-" + str(targets["mastercard"]["password"])[::-1]
    targets["mastercard"]["password"] = wrong_password
    with LocalPipeline(run_dir, targets=targets) as pipeline:
        execution_arn, summary = _run(pipeline, SAMPLE)

        assert summary.status == "failed"
        (cause,) = _task_failures(pipeline, execution_arn, "DeliveryRefused")
        assert _task_failures(pipeline, execution_arn, "TransientDeliveryError") == []
        assert "mastercard" in cause and "127.0.0.1" in cause and "530" in cause
        (failed,) = [d for d in _failure_alert(pipeline)["deliveries"] if not d["delivered"]]
        assert failed["network"] == "mastercard" and failed["error"] == "DeliveryRefused"
        assert servers.upload_log("mastercard") == []

        _deliver_to(pipeline, "mastercard", servers.target("mastercard"))
        report = pipeline.redrive(summary.batch_id or "")

        assert report.delivered == [_outcome(summary)["mastercard"].name]
        _assert_each_file_reached_its_server_once(servers, summary)
        _assert_input_archived(pipeline, SAMPLE)
    _leak_free(pipeline, [SAMPLE], [*servers.secrets(), wrong_password], captured)
    _survived()


def test_a_changed_host_key_is_refused_for_every_sftp_server_and_redrive_after_the_new_key_is_set(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        servers.rotate_host_key()

        execution_arn, summary = _run(pipeline, SAMPLE)

        assert summary.status == "failed"
        refused = _task_failures(pipeline, execution_arn, "DeliveryRefused")
        assert len(refused) == 2 and all("host key" in cause for cause in refused)
        alert = _failure_alert(pipeline)
        assert sorted(d["network"] for d in alert["deliveries"] if not d["delivered"]) == ["amex", "visa"]
        assert servers.upload_log("visa") == servers.upload_log("amex") == []

        for network in ("visa", "amex"):
            _deliver_to(pipeline, network, servers.target(network))
        report = pipeline.redrive(summary.batch_id or "")

        assert sorted(report.delivered) == sorted(_outcome(summary)[n].name for n in ("visa", "amex"))
        _assert_each_file_reached_its_server_once(servers, summary)
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()


def test_a_full_remote_disk_ftp_552_fails_at_once_and_redrive_delivers_once_there_is_room(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        servers.fail_uploads("discover", "552 Requested file action aborted: exceeded storage allocation")

        execution_arn, summary = _run(pipeline, SAMPLE)

        assert summary.status == "failed"
        (cause,) = _task_failures(pipeline, execution_arn, "DeliveryRefused")
        assert "552" in cause and "discover" in cause
        (failed,) = [d for d in _failure_alert(pipeline)["deliveries"] if not d["delivered"]]
        assert failed["network"] == "discover"
        assert not list(servers.delivered_dir("discover").glob("*.csv*"))

        servers.fail_uploads("discover", None)
        report = pipeline.redrive(summary.batch_id or "")

        assert report.delivered == [_outcome(summary)["discover"].name]
        _assert_each_file_reached_its_server_once(servers, summary)
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()


def test_a_server_slower_than_the_timeout_is_given_up_on_and_redrive_delivers_once_it_is_fast(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    settings = local_settings(delivery_timeout_seconds=2, delivery_retry_max_attempts=1)
    targets = servers.targets()
    with FaultProxy(servers.port("amex")) as proxy:
        proxy.delay_seconds = 3.0
        targets["amex"]["port"] = proxy.port
        with LocalPipeline(run_dir, targets=targets, settings=settings) as pipeline:
            execution_arn, summary = _run(pipeline, SAMPLE)

            assert summary.status == "failed"
            causes = _task_failures(pipeline, execution_arn, "TransientDeliveryError")
            assert len(causes) == 2 and all("timed out while connecting" in cause for cause in causes)
            assert proxy.connections == 4
            (failed,) = [d for d in _failure_alert(pipeline)["deliveries"] if not d["delivered"]]
            assert failed["network"] == "amex" and "gave up after 2 attempts" in failed["cause"]

            proxy.delay_seconds = 0
            report = pipeline.redrive(summary.batch_id or "")

            assert report.delivered == [_outcome(summary)["amex"].name]
            _assert_each_file_reached_its_server_once(servers, summary)
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()


def _fail_get_object_once(fault: str) -> dict[str, Callable[..., Any]]:
    """botocore hooks (event -> handler) for an S3 client: one GetObject fails (`fault`), later ones work."""
    left = {"faults": 1}

    class BrokenBody:
        def __init__(self, body: Any) -> None:
            self.body = body
            self.read_so_far = 0

        def read(self, size: int = -1) -> bytes:
            if self.read_so_far >= 2000:
                raise ResponseStreamingError(error="Connection reset by peer (injected)")
            data: bytes = self.body.read(min(size, 1000) if size and size > 0 else 1000)
            self.read_so_far += len(data)
            return data

        def close(self) -> None:
            self.body.close()

    def before_call(**_kwargs: Any) -> Any:
        if fault == "internal_error" and left["faults"]:
            left["faults"] -= 1
            error = {"Error": {"Code": "InternalError", "Message": "We encountered an internal error."}}
            return _Http500(), error
        return None

    def after_call(parsed: dict[str, Any], **_kwargs: Any) -> None:
        if fault == "reset_mid_read" and left["faults"] and "Body" in parsed:
            left["faults"] -= 1
            parsed["Body"] = BrokenBody(parsed["Body"])

    return {"before-call.s3.GetObject": before_call, "after-call.s3.GetObject": after_call}


class _Http500:
    status_code = 500
    headers: ClassVar[dict[str, str]] = {}
    content = b""


@pytest.mark.parametrize("fault", ["internal_error", "reset_mid_read"])
def test_an_s3_error_reading_the_input_alerts_keeps_the_input_in_incoming_and_a_second_drop_recovers(
    run_dir: Path, servers: LocalServers, captured: Captured, fault: str
) -> None:
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        import importlib

        pipeline.emulation.functions[pipeline.stack.function_name("data_processor")].resolve()
        events = importlib.import_module("data_processor").s3.meta.events
        hooks = _fail_get_object_once(fault)
        for name, hook in hooks.items():
            events.register(name, hook)
        try:
            _, summary = _run(pipeline, SAMPLE)
        finally:
            for name, hook in hooks.items():
                events.unregister(name, hook)

        assert summary.status == "failed" and summary.files == []
        alert = _failure_alert(pipeline)
        expected = "ClientError" if fault == "internal_error" else "ResponseStreamingError"
        assert alert["error"] == expected
        assert ("InternalError" if fault == "internal_error" else "reset") in alert["cause"]
        assert _keys(pipeline, "raw") == [f"incoming/{SAMPLE.name}"]
        assert _s3_bytes(pipeline, "raw", f"incoming/{SAMPLE.name}") == SAMPLE.read_bytes()
        assert _keys(pipeline, "processed") == []
        assert all(servers.upload_log(network) == [] for network in NETWORKS)
        with pytest.raises(RedriveError, match="never processed"):
            pipeline.redrive("ACQ-20261118-01")

        _, again = _run(pipeline, SAMPLE)

        assert again.status == "succeeded", again.error
        _assert_input_archived(pipeline, SAMPLE)
        _assert_each_file_reached_its_server_once(servers, again)
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()


def test_a_crash_after_the_upload_before_the_receipt_is_redriven_without_a_second_upload(
    run_dir: Path, servers: LocalServers, captured: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_record = S3Ledger.record
    crashes = {"visa": 1}

    def crash_before_the_receipt(self: S3Ledger, receipt: Any) -> Any:
        if crashes.get(receipt.network):
            crashes[receipt.network] -= 1
            raise RuntimeError("the uploader died after the rename, before the receipt (injected)")
        return real_record(self, receipt)

    monkeypatch.setattr(S3Ledger, "record", crash_before_the_receipt)
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        execution_arn, summary = _run(pipeline, SAMPLE)

        assert summary.status == "failed"
        visa = _outcome(summary)["visa"]
        assert servers.upload_log("visa") == [visa.name]  # on the server, under its final name
        assert _task_failures(pipeline, execution_arn, "RuntimeError")
        (failed,) = [d for d in _failure_alert(pipeline)["deliveries"] if not d["delivered"]]
        assert failed["network"] == "visa" and "before the receipt" in failed["cause"]
        receipts = _keys(pipeline, "processed", f"deliveries/{summary.batch_id}/")
        assert not [key for key in receipts if key.endswith(f"{visa.name}.json")]

        report = pipeline.redrive(summary.batch_id or "")

        assert report.delivered == [visa.name]
        receipt = json.loads(
            _s3_bytes(pipeline, "processed", f"deliveries/{summary.batch_id}/visa/{visa.name}.json")
        )
        assert receipt["already_on_server"] is True and receipt["sha256"] == visa.sha256
        _assert_each_file_reached_its_server_once(servers, summary)
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()


def test_the_same_file_dropped_again_and_under_another_name_is_delivered_only_once(
    run_dir: Path, servers: LocalServers, captured: Captured, tmp_path: Path
) -> None:
    renamed = tmp_path / "copy_of_the_sample.json"
    renamed.write_bytes(SAMPLE.read_bytes())
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        _, first = _run(pipeline, SAMPLE)
        second_arn, second = _run(pipeline, SAMPLE)
        _, third = _run(pipeline, renamed)

        assert first.status == second.status == third.status == "succeeded"
        assert first.batch_id == second.batch_id == third.batch_id
        outputs = [
            json.loads(event["stateExitedEventDetails"]["output"])
            for event in pipeline.history(second_arn)
            if event["type"] == "TaskStateExited"
            and event["stateExitedEventDetails"]["name"] == "Deliver File"
        ]
        assert len(outputs) == 4 and all(output["already_delivered"] for output in outputs)
        _assert_each_file_reached_its_server_once(servers, first)
        assert _keys(pipeline, "raw") == [f"archive/{renamed.name}", f"archive/{SAMPLE.name}"]
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()


def test_the_same_file_dropped_twice_at_once_runs_two_executions_and_delivers_once(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        raw = pipeline.stack.bucket_name("raw")
        for _ in range(2):
            pipeline.clients.s3.put_object(
                Bucket=raw, Key=f"incoming/{SAMPLE.name}", Body=SAMPLE.read_bytes()
            )
        arns = pipeline.start_triggered_executions()

        assert len(arns) == 2
        summaries = [pipeline.summary(arn, pipeline.wait(arn, timeout_seconds=120)) for arn in arns]

        assert [s.status for s in summaries] == ["succeeded", "succeeded"], [s.error for s in summaries]
        assert summaries[0].batch_id == summaries[1].batch_id
        _assert_each_file_reached_its_server_once(servers, summaries[0])
        _assert_input_archived(pipeline, SAMPLE)
        receipts = _keys(pipeline, "processed", f"deliveries/{summaries[0].batch_id}/")
        assert len([key for key in receipts if key.endswith(".csv.json")]) == 4
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()


def test_retries_are_bounded_a_server_that_resets_every_connection_is_tried_exactly_so_often(
    run_dir: Path, servers: LocalServers, captured: Captured
) -> None:
    targets = servers.targets()
    with FaultProxy(servers.port("mastercard")) as proxy:
        proxy.refuse = True  # accept, then reset at once
        targets["mastercard"]["port"] = proxy.port
        with LocalPipeline(run_dir, targets=targets) as pipeline:
            execution_arn, summary = _run(pipeline, SAMPLE)

            state_machine_attempts = 1 + (pipeline.settings.delivery_retry_max_attempts or 0)
            lambda_attempts = pipeline.settings.delivery_max_attempts or 1
            assert summary.status == "failed"
            causes = _task_failures(pipeline, execution_arn, "TransientDeliveryError")
            assert len(causes) == state_machine_attempts
            assert all(f"gave up after {lambda_attempts} attempts" in cause for cause in causes)
            assert proxy.connections == state_machine_attempts * lambda_attempts
            history = pipeline.history(execution_arn)
            entered = [
                e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
            ]
            assert entered.count("Record Delivery Failure") == 1 and entered[-1] == "Batch Failed"
            failed_batches = pipeline.clients.sqs.receive_message(
                QueueUrl=pipeline.stack.queue_url("failed_batches")
            )["Messages"]
            assert json.loads(failed_batches[0]["Body"])["batch_id"] == summary.batch_id

            proxy.refuse = False
            report = pipeline.redrive(summary.batch_id or "")

            assert report.delivered == [_outcome(summary)["mastercard"].name]
            _assert_each_file_reached_its_server_once(servers, summary)
    _leak_free(pipeline, [SAMPLE], servers.secrets(), captured)
    _survived()

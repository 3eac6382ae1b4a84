"""The whole pipeline on one machine: moto runs the state machine, real servers receive the files.

`LocalPipeline` is one emulated environment: the same resources, names and Lambda environment as
`terraform apply` creates (from `stack.json`), the same state machine definition file, the same
handler code, and local FTP/FTPS/SFTP servers unless targets are given. Dropping a file in
`incoming/` makes moto send the S3 "Object Created" event through EventBridge to the trigger
queue; the pipeline then does what the deployed EventBridge Pipe does (moto has no Pipes): it
starts an execution with that event.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from chargeback.layout import INCOMING_PREFIX, rejects_report_key
from chargeback_cli.lambda_emulation import LambdaEmulation
from chargeback_cli.local_stack import LocalClients, provision
from chargeback_cli.redrive import RedriveReport, redrive_batch
from chargeback_cli.report import RunSummary, summarise_execution
from chargeback_cli.stack import Stack, StackSettings

Progress = Callable[[str], None]

# Locally, a server that is down should not keep a newcomer waiting minutes: short retries.
LOCAL_DELIVERY_SETTINGS = {
    "delivery_retry_interval_seconds": 1,
    "delivery_retry_max_attempts": 2,
    "delivery_max_attempts": 2,
    "delivery_timeout_seconds": 10,
}
# No X-Ray daemon on a laptop.
LOCAL_LAMBDA_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true"}


def local_settings(**overrides: Any) -> StackSettings:
    """The local stack's settings: `stack.json` defaults, short delivery retries, and `overrides`."""
    values: dict[str, Any] = {**LOCAL_DELIVERY_SETTINGS, "extra_environment": dict(LOCAL_LAMBDA_ENVIRONMENT)}
    values.update({name: value for name, value in overrides.items() if value is not None})
    return StackSettings(**values)


class ExecutionTimeout(RuntimeError):
    pass


class LocalPipeline:
    def __init__(
        self,
        workdir: Path,
        targets: dict[str, dict[str, Any]] | None = None,
        settings: StackSettings | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.workdir = workdir
        self.given_targets = targets
        self.settings = settings or local_settings()
        self.stack = Stack(self.settings)
        self.progress: Progress = progress or (lambda _line: None)
        self.servers: Any = None
        self.emulation = LambdaEmulation()
        self._exit_stack = ExitStack()
        self._drops = 0
        self._alerts_written = 0

    # -- set-up and tear-down -------------------------------------------------------------

    def __enter__(self) -> LocalPipeline:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # moto's interpreter logs every caught error at WARNING; the execution history has them all.
        logging.getLogger("moto").setLevel(logging.ERROR)
        # A new stack is a new set of Lambda containers: nothing cached from an earlier one (secrets).
        parameters.clear_caches()
        try:
            targets = self.given_targets
            if targets is None:
                from chargeback_cli.local_servers import LocalServers

                self.servers = self._exit_stack.enter_context(LocalServers(self.workdir / "delivered"))
                targets = self.servers.targets()
                self.progress(f"started local servers: {_describe_targets(targets)}")
            self._exit_stack.enter_context(
                mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
            )
            self._exit_stack.enter_context(self.emulation.installed())
            self.clients = LocalClients.create(self.settings.region)
            self.alerts_queue_url = provision(
                self.stack, self.clients, self.emulation, targets, self.workdir / "logs"
            )
            self.progress(f"created the {self.stack.name_prefix} stack in the AWS emulation")
        except BaseException:
            self._exit_stack.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self.export()
        finally:
            self._exit_stack.close()

    # -- running batches ------------------------------------------------------------------

    def drop(self, path: Path, name: str | None = None) -> str:
        """Upload `path` to `incoming/` and start the execution its event triggers. Returns the execution ARN."""
        key = INCOMING_PREFIX + (name or path.name)
        with path.open("rb") as body:
            self.clients.s3.put_object(Bucket=self.stack.bucket_name("raw"), Key=key, Body=body)
        self.progress(f"uploaded {path.name} to s3://{self.stack.bucket_name('raw')}/{key}")
        arns = self.start_triggered_executions()
        if len(arns) != 1:
            raise RuntimeError(f"expected one execution for {key}, the trigger queue gave {len(arns)}")
        return arns[0]

    def start_triggered_executions(self) -> list[str]:
        """Do what the EventBridge Pipe does: each trigger queue message starts one execution."""
        queue_url = self.stack.queue_url("trigger")
        arns: list[str] = []
        while True:
            messages = self.clients.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return arns
            for message in messages:
                self._drops += 1
                execution_name = f"local-{self._drops:04d}-{uuid.uuid4().hex[:12]}"
                arns.append(
                    self.clients.sfn.start_execution(
                        stateMachineArn=self.stack.state_machine_arn,
                        name=execution_name,
                        input=message["Body"],
                    )["executionArn"]
                )
                self.clients.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                self.progress(f"started execution {execution_name}")

    def wait(self, execution_arn: str, timeout_seconds: float = 600) -> str:
        """Wait for the execution to end, reporting each state as it goes. Returns its status."""
        deadline = time.monotonic() + timeout_seconds
        seen = 0
        while True:
            status = self.clients.sfn.describe_execution(executionArn=execution_arn)["status"]
            events = self.history(execution_arn)
            for event in events[seen:]:
                line = _progress_line(event)
                if line:
                    self.progress(line)
            seen = len(events)
            if status != "RUNNING":
                self.collect_alerts()
                return str(status)
            if time.monotonic() > deadline:
                raise ExecutionTimeout(f"execution {execution_arn} still running after {timeout_seconds}s")
            time.sleep(0.2)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self.clients.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def run(self, path: Path, name: str | None = None) -> RunSummary:
        execution_arn = self.drop(path, name)
        status = self.wait(execution_arn)
        return self.summary(execution_arn, status)

    def summary(self, execution_arn: str, status: str) -> RunSummary:
        summary = summarise_execution(status, self.history(execution_arn))
        if summary.batch_id and summary.rejected:
            report = self.local_copy_path(
                self.stack.bucket_name("processed"), rejects_report_key(summary.batch_id)
            )
            summary = summary.model_copy(update={"rejects_report": str(report.relative_to(self.workdir))})
        return summary

    def redrive(self, batch_id: str) -> RedriveReport:
        report = redrive_batch(
            self.stack, self.clients.s3, self.clients.sfn, self.clients.lambda_, batch_id, self.progress
        )
        self.collect_alerts()
        return report

    # -- what a user can look at afterwards -------------------------------------------------

    def collect_alerts(self) -> list[Path]:
        """Write every message published to the SNS topics to `DIR/alerts/`, one JSON file each."""
        written: list[Path] = []
        alerts_dir = self.workdir / "alerts"
        while True:
            messages = self.clients.sqs.receive_message(
                QueueUrl=self.alerts_queue_url, MaxNumberOfMessages=10
            ).get("Messages", [])
            if not messages:
                return written
            alerts_dir.mkdir(parents=True, exist_ok=True)
            for message in messages:
                envelope = json.loads(message["Body"])
                self._alerts_written += 1
                topic = envelope.get("TopicArn", "").rsplit(":", 1)[-1]
                path = alerts_dir / f"{self._alerts_written:03d}-{topic}.json"
                record = {
                    "topic_arn": envelope.get("TopicArn"),
                    "subject": envelope.get("Subject"),
                    "timestamp": envelope.get("Timestamp"),
                    "message": _maybe_json(envelope.get("Message", "")),
                }
                path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
                written.append(path)
                self.clients.sqs.delete_message(
                    QueueUrl=self.alerts_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def local_copy_path(self, bucket: str, key: str) -> Path:
        """Where `DIR/s3/<bucket>/<key>` puts an object; keys never escape the folder.

        Each '/'-separated part of the key is one folder or file name, so two keys never share a copy:
        '%' is written '%25' and NUL '%00'; a part that is empty, '.' or '..' is written '%', '%2E' or
        '%2E%2E'; a part longer than a file name may be is cut, with a hash of it appended. An object whose
        key is also the folder of other keys ('a/b' and 'a/b/c') is copied to 'a/b%'.
        """
        return self.workdir.joinpath("s3", bucket, *(_local_name(part) for part in key.split("/")))

    def export(self) -> None:
        """Copy every object of the emulated buckets to `DIR/s3/<bucket>/<key>`."""
        self.collect_alerts()
        for which in self.stack.definition["buckets"]:
            bucket = self.stack.bucket_name(which)
            paginator = self.clients.s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    target = self.local_copy_path(bucket, item["Key"])
                    _make_folders(self.workdir / "s3" / bucket, target.parent)
                    if target.is_dir():  # the key is also the folder of other keys
                        target = target.with_name(target.name + "%")
                    self.clients.s3.download_file(bucket, item["Key"], str(target))


_NAME_MAX_BYTES = 255


def _local_name(part: str) -> str:
    """One part of an S3 key as a file name that stays where it is put (see `local_copy_path`)."""
    if part in ("", ".", ".."):
        return part.replace(".", "%2E") or "%"
    name = part.replace("%", "%25").replace("\x00", "%00")
    if len(name.encode("utf-8", "surrogateescape")) > _NAME_MAX_BYTES:
        digest = hashlib.sha256(part.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        name = name.encode("utf-8", "surrogateescape")[:200].decode("utf-8", "ignore") + "~" + digest
    return name


def _make_folders(root: Path, folder: Path) -> None:
    """`mkdir -p folder` below `root`, moving a file that holds a folder's place to `<name>%` (see above)."""
    root.mkdir(parents=True, exist_ok=True)
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.is_file():
            current.rename(current.with_name(current.name + "%"))
        current.mkdir(exist_ok=True)


def _describe_targets(targets: dict[str, dict[str, Any]]) -> str:
    return ", ".join(
        f"{network} {target.get('protocol', '?')}://{target.get('host')}:{target.get('port')}"
        for network, target in targets.items()
    )


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


_SHOWN_STATES = {
    "Process Data",
    "Generate CSV Files",
    "Deliver File",
    "Record Delivery Failure",
    "Batch Failed",
}


def _progress_line(event: dict[str, Any]) -> str | None:
    kind = event["type"]
    if kind == "TaskStateEntered" and event["stateEnteredEventDetails"]["name"] in _SHOWN_STATES:
        payload = _maybe_json(event["stateEnteredEventDetails"].get("input") or "")
        return f"  -> {event['stateEnteredEventDetails']['name']}{_describe_input(payload)}"
    if kind in ("TaskFailed", "LambdaFunctionFailed"):
        details = event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails") or {}
        return f"     failed: {details.get('error')} (the state machine decides: retry or catch)"
    if kind == "ExecutionSucceeded":
        return "  execution succeeded"
    if kind == "ExecutionFailed":
        return "  execution failed"
    return None


def _describe_input(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("file"), dict):
        file = payload["file"]
        return f": {file.get('name')} ({file.get('rows')} rows) to {file.get('network')}"
    if isinstance(payload, dict) and isinstance(payload.get("part"), dict):
        return f": batch part {payload['part'].get('part')}"
    if isinstance(payload, dict) and isinstance(payload.get("detail"), dict):
        return f": {payload['detail'].get('object', {}).get('key')}"
    return ""

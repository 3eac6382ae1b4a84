"""Create, in the embedded AWS emulation, the resources `terraform apply` creates, with the same names.

Buckets (raw with EventBridge notifications), the EventBridge rule to the trigger queue and its
dead-letter queue, the failed-batches queue, the alerts and success topics, one secret per
network, the three functions with their environment variables, and the state machine from the
same definition file, rendered as Terraform's `templatefile` renders it.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from chargeback_cli.lambda_emulation import LambdaEmulation
from chargeback_cli.stack import Stack

ALERTS_CAPTURE_QUEUE = "local-alerts-capture"


@dataclass
class LocalClients:
    s3: Any
    sqs: Any
    sns: Any
    events: Any
    secrets: Any
    lambda_: Any
    iam: Any
    sfn: Any

    @classmethod
    def create(cls, region: str) -> LocalClients:
        def client(name: str) -> Any:
            return boto3.client(name, region_name=region)  # type: ignore[call-overload]

        return cls(
            s3=client("s3"),
            sqs=client("sqs"),
            sns=client("sns"),
            events=client("events"),
            secrets=client("secretsmanager"),
            lambda_=client("lambda"),
            iam=client("iam"),
            sfn=client("stepfunctions"),
        )


def _placeholder_code() -> bytes:
    """moto needs a deployment package; the emulation runs the handler from this checkout instead."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Run in-process by chargeback_cli.lambda_emulation.\n")
    return buffer.getvalue()


def provision(
    stack: Stack, clients: LocalClients, emulation: LambdaEmulation, targets: dict[str, Any], log_dir: Path
) -> str:
    """Create every resource; register each function's real handler. Returns the alerts capture queue URL."""
    region = stack.settings.region
    for which in stack.definition["buckets"]:
        bucket = stack.bucket_name(which)
        if region == "us-east-1":
            clients.s3.create_bucket(Bucket=bucket)
        else:
            clients.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        clients.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    raw_bucket = stack.bucket_name("raw")
    clients.s3.put_bucket_notification_configuration(
        Bucket=raw_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )

    queue_arns = {}
    for which in stack.definition["queues"]:
        url = clients.sqs.create_queue(QueueName=stack.queue_name(which))["QueueUrl"]
        if url != stack.queue_url(which):
            raise RuntimeError(f"emulated queue URL {url} differs from the computed {stack.queue_url(which)}")
        queue_arns[which] = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    clients.sqs.set_queue_attributes(
        QueueUrl=stack.queue_url("trigger"),
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": queue_arns["trigger_dlq"], "maxReceiveCount": "5"}
            )
        },
    )
    clients.events.put_rule(
        Name=f"{stack.name_prefix}-incoming-object-created",
        EventPattern=json.dumps(incoming_event_pattern(stack)),
    )
    clients.events.put_targets(
        Rule=f"{stack.name_prefix}-incoming-object-created",
        Targets=[{"Id": "trigger-queue", "Arn": queue_arns["trigger"]}],
    )

    capture_url = clients.sqs.create_queue(QueueName=ALERTS_CAPTURE_QUEUE)["QueueUrl"]
    capture_arn = clients.sqs.get_queue_attributes(QueueUrl=capture_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    for which in stack.definition["topics"]:
        topic_arn = clients.sns.create_topic(Name=stack.topic_name(which))["TopicArn"]
        clients.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=capture_arn)

    for network, target in targets.items():
        clients.secrets.create_secret(Name=stack.secret_name(network), SecretString=json.dumps(target))

    role_arn = clients.iam.create_role(
        RoleName=f"{stack.name_prefix}-local-execution",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    code = _placeholder_code()
    for key, function in stack.definition["functions"].items():
        environment = stack.lambda_environment(key)
        clients.lambda_.create_function(
            FunctionName=stack.function_name(key),
            Runtime="python3.12",
            Role=role_arn,
            Handler=function["handler"],
            Code={"ZipFile": code},
            Timeout=function["timeout_seconds"],
            MemorySize=function["memory_mb"],
            EphemeralStorage={"Size": function["ephemeral_storage_mb"]},
            Environment={"Variables": environment},
        )
        emulation.register(stack.function_name(key), function["handler"], environment, log_dir / f"{key}.log")

    clients.sfn.create_state_machine(
        name=stack.state_machine_name,
        definition=stack.state_machine_definition(),
        roleArn=role_arn,
        type="STANDARD",
    )
    return capture_url


def incoming_event_pattern(stack: Stack) -> dict[str, Any]:
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [stack.bucket_name("raw")]},
            "object": {"key": [{"prefix": stack.definition["prefixes"]["incoming"]}]},
        },
    }

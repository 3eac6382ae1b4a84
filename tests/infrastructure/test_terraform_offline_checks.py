"""The offline Terraform checks pass on the repository, and each one catches a mistake planted in a copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra import terraform_checks as checks

ROOT = checks.ROOT
ASL = ROOT / "statemachine" / "chargeback.asl.json"
needs_definition = pytest.mark.skipif(
    not ASL.exists(), reason="statemachine/chargeback.asl.json not written yet"
)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the configuration to break on purpose."""
    return checks.copy_configuration(ROOT, tmp_path / "tf")


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}: the planted mistake would not be planted"
    path.write_text(text.replace(old, new, count))


@pytest.mark.parametrize(
    "name",
    ["fmt", "loader", "references", "provider_schema", "policies", "shared_source"],
)
def test_repository_passes_offline_check(name: str) -> None:
    assert checks.CHECKS[name](ROOT) == []


@needs_definition
def test_repository_state_machine_renders_with_terraform_variables() -> None:
    assert checks.check_state_machine(ROOT) == []


def test_repository_passes_checkov_with_no_failed_check() -> None:
    if not checks.CHECKOV.exists():
        pytest.skip("run `make test` (it creates .venv-checkov)")
    assert checks.check_checkov(ROOT) == []


# --- terraform fmt and Terraform's loader ------------------------------------------------------


def test_fmt_catches_misaligned_arguments(broken: Path) -> None:
    edit(broken / "s3.tf", "  block_public_acls       = true", "  block_public_acls = true")

    assert checks.check_fmt(broken) == ["terraform fmt: s3.tf is not formatted"]


def test_fmt_catches_unformatted_tfvars(broken: Path) -> None:
    edit(broken / "environments" / "dev.tfvars", 'environment = "dev"', 'environment="dev"')

    assert any("dev.tfvars" in p for p in checks.check_fmt(broken))


def test_loader_catches_duplicate_resource(broken: Path) -> None:
    (broken / "extra.tf").write_text('resource "aws_sns_topic" "alerts" {\n  name = "again"\n}\n')

    problems = checks.check_loader(broken)

    assert problems and 'Duplicate resource "aws_sns_topic" configuration' in problems[0]


def test_loader_catches_invalid_type(broken: Path) -> None:
    edit(broken / "variables.tf", "type        = bool", "type        = boolean")

    problems = checks.check_loader(broken)

    assert problems and "Invalid type specification" in problems[0]


# --- references and the provider schema --------------------------------------------------------


def test_references_catch_undeclared_resource_variable_and_local(broken: Path) -> None:
    edit(
        broken / "messaging.tf",
        "kms_master_key_id         = aws_kms_key.main.arn",
        "kms_master_key_id = aws_kms_key.primary.arn",
    )
    edit(broken / "lambda.tf", "var.lambda_architecture]", "var.lambda_arch]")
    edit(broken / "s3.tf", "local.stack.prefixes.archive", "local.stacks.prefixes.archive")

    problems = checks.check_references(broken)

    assert "messaging.tf: aws_kms_key.primary refers to no declared resource" in problems
    assert "lambda.tf: var.lambda_arch refers to no declared var" in problems
    assert "s3.tf: local.stacks refers to no declared local" in problems
    assert len(problems) == 3


def test_references_catch_undeclared_data_source(broken: Path) -> None:
    edit(
        broken / "iam.tf",
        "data.aws_iam_policy_document.trigger.json",
        "data.aws_iam_policy_document.pipe.json",
    )

    assert checks.check_references(broken) == [
        "iam.tf: data.aws_iam_policy_document.pipe refers to no declared data"
    ]


def test_provider_schema_catches_unknown_argument_and_block(broken: Path) -> None:
    edit(
        broken / "s3.tf",
        "  bucket = local.raw_bucket_name\n",
        "  bucket = local.raw_bucket_name\n  acl_enabled = true\n",
    )
    edit(broken / "step_functions.tf", "  tracing_configuration {", "  tracing_config {")

    problems = checks.check_provider_schema(broken)

    assert "s3.tf: aws_s3_bucket.raw: no argument 'acl_enabled' in the provider schema" in problems
    assert (
        "step_functions.tf: aws_sfn_state_machine.pipeline: no block 'tracing_config' in the provider schema"
        in problems
    )
    assert len(problems) == 2


def test_provider_schema_catches_nested_and_dynamic_mistakes(broken: Path) -> None:
    edit(broken / "s3.tf", "sse_algorithm     =", "sse_algo =")
    edit(broken / "lambda.tf", "subnet_ids         = var.vpc_subnet_ids", "subnets = var.vpc_subnet_ids")

    problems = checks.check_provider_schema(broken)

    assert any("apply_server_side_encryption_by_default: no argument 'sse_algo'" in p for p in problems)
    assert any("vpc_config: no argument 'subnets'" in p for p in problems)


def test_provider_schema_catches_missing_required_argument_and_unknown_type(broken: Path) -> None:
    edit(broken / "iam.tf", "  role   = aws_iam_role.trigger.id\n", "")
    (broken / "extra.tf").write_text('resource "aws_s3_bucket_magic" "x" {}\n')

    problems = checks.check_provider_schema(broken)

    assert "iam.tf: aws_iam_role_policy.trigger: required argument 'role' is missing" in problems
    assert "extra.tf: aws_s3_bucket_magic.x: unknown type" in problems


def test_provider_schema_catches_provider_pinned_to_another_major(broken: Path) -> None:
    edit(broken / "versions.tf", '"~> 6.25"', '"~> 5.84"')

    assert any("does not pin the AWS provider major" in p for p in checks.check_provider_schema(broken))


# --- the state machine -------------------------------------------------------------------------


@needs_definition
def test_state_machine_check_catches_dangling_next(broken: Path) -> None:
    path = broken / "statemachine" / "chargeback.asl.json"
    target = re.findall(r'"Next": "([^"]+)"', path.read_text())[-1]
    edit(path, f'"Next": "{target}"', '"Next": "No Such State"')

    assert any("'No Such State' names no state" in p for p in checks.check_state_machine(broken))


@needs_definition
def test_state_machine_check_catches_placeholder_terraform_does_not_pass(broken: Path) -> None:
    edit(broken / "statemachine" / "chargeback.asl.json", "${alerts_topic_arn}", "${alerts_topic}")

    assert (
        "placeholder ${alerts_topic} is not among the variables Terraform passes"
        in checks.check_state_machine(broken)
    )


@needs_definition
def test_state_machine_check_catches_invalid_json(broken: Path) -> None:
    path = broken / "statemachine" / "chargeback.asl.json"
    path.write_text(path.read_text().rstrip().removesuffix("}"))

    assert any("not valid JSON" in p for p in checks.check_state_machine(broken))


@needs_definition
def test_state_machine_check_catches_undeclared_function(broken: Path) -> None:
    edit(
        broken / "statemachine" / "chargeback.asl.json",
        '"FunctionName": "${csv_generator_arn}"',
        '"FunctionName": "csv-generator"',
    )

    assert any(
        "calls 'csv-generator', not one of the declared functions" in p
        for p in checks.check_state_machine(broken)
    )


@needs_definition
def test_state_machine_check_catches_variable_terraform_does_not_provide(broken: Path) -> None:
    edit(broken / "step_functions.tf", '"queue_url:failed_batches"', '"queue_url:failed"')

    assert any(
        "local.template_values has no 'queue_url:failed_batches'" in p
        for p in checks.check_state_machine(broken)
    )


@needs_definition
def test_state_machine_role_allows_every_integration_the_definition_calls() -> None:
    assert checks.check_state_machine_permissions(ROOT) == []


@needs_definition
def test_state_machine_permissions_catch_a_call_the_role_does_not_allow(broken: Path) -> None:
    edit(broken / "iam.tf", 'actions   = ["sqs:SendMessage"]', 'actions   = ["sqs:GetQueueUrl"]')

    assert checks.check_state_machine_permissions(broken) == [
        "the state machine calls sqs:SendMessage but its role does not allow it"
    ]


def test_integration_actions_follow_the_service_integration_names() -> None:
    assert checks.integration_actions("arn:aws:states:::lambda:invoke") == ["lambda:InvokeFunction"]
    assert checks.integration_actions("arn:aws:states:::aws-sdk:s3:deleteObject") == ["s3:DeleteObject"]
    assert checks.integration_actions("arn:aws:states:::aws-sdk:s3:copyObject") == [
        "s3:GetObject",
        "s3:PutObject",
    ]
    assert checks.integration_actions("arn:aws:states:::sns:publish.waitForTaskToken") == ["sns:Publish"]


# --- policies ----------------------------------------------------------------------------------


def test_policies_catch_function_without_tracing_or_log_retention(broken: Path) -> None:
    edit(broken / "lambda.tf", 'mode = "Active"', 'mode = "PassThrough"')
    edit(broken / "lambda.tf", "  retention_in_days = var.log_retention_in_days\n", "")

    problems = checks.check_policies(broken)

    assert "aws_lambda_function.this: X-Ray tracing is not Active" in problems
    assert any("lacks retention_in_days" in p for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('status = "Enabled"\n  }', 'status = "Suspended"\n  }', "no versioning"),
        ('sse_algorithm     = "aws:kms"', 'sse_algorithm     = "AES256"', "no SSE-KMS"),
        ("restrict_public_buckets = true", "restrict_public_buckets = false", "no blocked public access"),
        ('values   = ["false"]', 'values   = ["true"]', "no a TLS-only bucket policy"),
    ],
)
def test_policies_catch_bucket_setting_removed(broken: Path, old: str, new: str, expected: str) -> None:
    edit(broken / "s3.tf", old, new)

    problems = checks.check_policies(broken)

    assert f"aws_s3_bucket.raw: {expected}" in " ".join(problems)
    assert f"aws_s3_bucket.processed: {expected}" in " ".join(problems)


def test_policies_catch_bucket_outside_the_shared_settings(broken: Path) -> None:
    (broken / "extra.tf").write_text('resource "aws_s3_bucket" "scratch" {\n  bucket = "scratch"\n}\n')

    problems = checks.check_policies(broken)

    assert {p for p in problems if "scratch" in p} == {
        "aws_s3_bucket.scratch: no versioning",
        "aws_s3_bucket.scratch: no SSE-KMS with the customer-managed key",
        "aws_s3_bucket.scratch: no blocked public access",
        "aws_s3_bucket.scratch: no a TLS-only bucket policy",
    }


@pytest.mark.parametrize("action", ["*", "s3:*"])
def test_policies_catch_wildcard_action(broken: Path, action: str) -> None:
    edit(broken / "iam.tf", 'actions   = ["s3:GetObject"]', f'actions   = ["{action}"]')

    assert f"data.aws_iam_policy_document.ftp_uploader: wildcard action '{action}'" in checks.check_policies(
        broken
    )


def test_policies_catch_inline_json_policy(broken: Path) -> None:
    edit(
        broken / "iam.tf",
        "policy = data.aws_iam_policy_document.trigger.json",
        'policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })',
    )

    assert any("aws_iam_role_policy.trigger: policy is not built" in p for p in checks.check_policies(broken))


def test_policies_catch_alarm_to_another_topic(broken: Path) -> None:
    text = (broken / "monitoring.tf").read_text()
    (broken / "monitoring.tf").write_text(
        text.replace("alarm_actions       = [aws_sns_topic.alerts.arn]", "alarm_actions       = []", 1)
    )

    assert checks.check_policies(broken) == [
        "aws_cloudwatch_metric_alarm.lambda_errors: alarm_actions must be [aws_sns_topic.alerts.arn]"
    ]


# --- checkov -----------------------------------------------------------------------------------


def test_checkov_catches_unencrypted_topic(broken: Path) -> None:
    if not checks.CHECKOV.exists():
        pytest.skip("run `make test` (it creates .venv-checkov)")
    edit(broken / "messaging.tf", "  kms_master_key_id = aws_kms_key.main.arn\n}", "}")

    problems = checks.check_checkov(broken)

    assert len(problems) == 1
    assert re.match(r"checkov CKV_AWS_26 .*aws_sns_topic\.alerts", problems[0])

"""Terraform and the local runner take names, Lambda environment variables and the state machine's
variables from one file, stack.json; Terraform must provide a value for everything it declares."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra import terraform_checks as checks

ROOT = checks.ROOT


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return checks.copy_configuration(ROOT, tmp_path / "tf")


def rewrite_stack(directory: Path, change) -> None:
    path = directory / "stack.json"
    spec = json.loads(path.read_text())
    change(spec)
    path.write_text(json.dumps(spec, indent=2))


def test_terraform_provides_every_source_stack_json_names() -> None:
    assert checks.check_shared_source(ROOT) == []


def test_lambda_environment_names_are_exactly_stack_json_keys() -> None:
    config = checks.load(ROOT)
    (function,) = config.of_type("aws_lambda_function")
    variables = checks.is_block(function.body["environment"]) and function.body["environment"][0]["variables"]

    assert variables == (
        "${{for name, source in local.stack.lambda_environment : name => "
        'merge(local.lambda_environment_values, {"function_key" = each.key})[source]}}'
    )


def test_state_machine_variables_are_exactly_stack_json_template_variables() -> None:
    (machine,) = checks.load(ROOT).of_type("aws_sfn_state_machine")

    assert "for name, source in local.stack.state_machine.template_variables" in machine.body["definition"]
    assert (
        'templatefile("${path.module}/${local.stack.state_machine.definition}"' in machine.body["definition"]
    )


def test_shared_source_catches_new_environment_variable_without_terraform_value(broken: Path) -> None:
    rewrite_stack(broken, lambda spec: spec["lambda_environment"].update({"CUTOFF_HOUR": "cutoff_hour"}))

    assert checks.check_shared_source(broken) == [
        "Lambda environment variable CUTOFF_HOUR: Terraform provides no value for 'cutoff_hour'"
    ]


def test_shared_source_catches_new_state_machine_variable_without_terraform_value(broken: Path) -> None:
    rewrite_stack(
        broken, lambda spec: spec["state_machine"]["template_variables"].update({"archive": "bucket:archive"})
    )

    assert checks.check_shared_source(broken) == [
        "state machine variable archive: Terraform provides no value for 'bucket:archive'"
    ]


def test_shared_source_catches_variable_default_drifting_from_stack_json(broken: Path) -> None:
    rewrite_stack(broken, lambda spec: spec["defaults"].update({"max_records_per_file": 1000}))

    assert checks.check_shared_source(broken) == [
        "variable max_records_per_file: default 50000 differs from stack.json's 1000"
    ]


def test_shared_source_catches_environment_not_built_from_stack_json(broken: Path) -> None:
    text = (broken / "lambda.tf").read_text()
    start = text.index("  environment {")
    end = text.index("  tracing_config {")
    (broken / "lambda.tf").write_text(
        text[:start] + '  environment {\n    variables = { RAW_BUCKET = "x" }\n  }\n\n' + text[end:]
    )

    assert (
        "aws_lambda_function.this: environment variables must come from local.stack.lambda_environment"
        in checks.check_shared_source(broken)
    )


def test_dashboard_shows_every_metric_the_handlers_emit() -> None:
    emitted = set()
    for handler in (ROOT / "lambda_functions").glob("*.py"):
        emitted |= set(re.findall(r'(?:add_metric|single_metric)\(\s*name="(\w+)"', handler.read_text()))
    dashboard = str(checks.load(ROOT).locals["metric_groups"])

    assert emitted, "no metric found in the handlers"
    assert {name for name in emitted if f'"{name}"' not in dashboard} == set()

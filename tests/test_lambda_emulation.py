"""The one reach into moto's internals: if a moto upgrade makes the wrapper stop taking effect, fail here."""

import inspect
import io
import json
import os
import zipfile
from typing import Any

import boto3
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

from chargeback.errors import TransientDeliveryError
from chargeback_cli.lambda_emulation import LambdaEmulation


def _create_function(name: str) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("placeholder.txt", "")
    boto3.client("lambda", region_name="us-east-1").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="x.handler",
        Code={"ZipFile": code.getvalue()},
    )


def _echo_environment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print("a log line from the handler")
    return {
        "event": event,
        "setting": os.environ.get("EMULATION_TEST_SETTING"),
        "function": context.function_name,
    }


def _raise_transient(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise TransientDeliveryError("visa: 127.0.0.1: connection refused")


def test_moto_still_has_the_method_the_wrapper_replaces():
    parameters = list(inspect.signature(LambdaFunction._invoke_lambda).parameters)
    assert parameters == ["self", "event"]


@mock_aws
def test_invoking_a_registered_function_runs_the_real_handler_with_its_environment(tmp_path):
    _create_function("echo")
    emulation = LambdaEmulation()
    emulation.register(
        "echo", _echo_environment, {"EMULATION_TEST_SETTING": "from-stack"}, tmp_path / "echo.log"
    )

    with emulation.installed():
        response = boto3.client("lambda", region_name="us-east-1").invoke(
            FunctionName="echo", Payload=json.dumps({"batch": "b-1"}).encode()
        )

    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {
        "event": {"batch": "b-1"},
        "setting": "from-stack",
        "function": "echo",
    }
    assert "EMULATION_TEST_SETTING" not in os.environ
    assert "a log line from the handler" in (tmp_path / "echo.log").read_text()


@mock_aws
def test_a_handler_exception_comes_back_in_the_lambda_runtime_error_shape():
    _create_function("failing")
    emulation = LambdaEmulation()
    emulation.register("failing", _raise_transient, {})

    with emulation.installed():
        response = boto3.client("lambda", region_name="us-east-1").invoke(
            FunctionName="failing", Payload=b"{}"
        )

    error = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Handled"
    assert error["errorType"] == "TransientDeliveryError"
    assert error["errorMessage"] == "visa: 127.0.0.1: connection refused"


def test_the_wrapper_is_removed_on_exit():
    original = LambdaFunction._invoke_lambda
    with LambdaEmulation().installed():
        assert LambdaFunction._invoke_lambda is not original
    assert LambdaFunction._invoke_lambda is original

"""Run the real Lambda handlers in-process when moto invokes a function.

moto executes the state machine for real, but runs Lambda code only in Docker, which this
project cannot rely on. Every invocation (boto3, Step Functions, event sources) goes through
`moto.awslambda.models.LambdaFunction._invoke_lambda(self, event) -> (payload, errored, logs)`,
so this module wraps that one method, and only for the functions registered with it: the
function's environment variables are set around the call, the handler's output is captured as
the function's log, and an exception comes back in the Lambda runtime's error shape so the
state machine's `Retry` and `Catch` match it by class name.

This is the only place that reaches into moto's internals; `tests/test_lambda_emulation.py`
fails loudly if a moto upgrade makes the wrapper stop taking effect.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction

Handler = Callable[[dict[str, Any], Any], Any]

# os.environ and sys.stdout are process-wide: one invocation at a time.
_INVOCATION_LOCK = threading.RLock()


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the Lambda runtime's context object that our handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    timeout_seconds: int = 900

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


@dataclass
class EmulatedFunction:
    handler: str | Handler  # "module.function", imported at the first call under the function's environment
    environment: dict[str, str]
    log_path: Path | None = None
    invocations: int = 0

    def resolve(self) -> Handler:
        if isinstance(self.handler, str):
            module_name, _, function_name = self.handler.rpartition(".")
            self.handler = getattr(importlib.import_module(module_name), function_name)
        assert callable(self.handler)
        return self.handler


@dataclass
class LambdaEmulation:
    """A registry of function name -> real handler, active while `installed()` is entered."""

    functions: dict[str, EmulatedFunction] = field(default_factory=dict)

    def register(
        self,
        function_name: str,
        handler: str | Handler,
        environment: dict[str, str],
        log_path: Path | None = None,
    ) -> None:
        self.functions[function_name] = EmulatedFunction(handler, dict(environment), log_path)

    @contextlib.contextmanager
    def installed(self) -> Iterator[LambdaEmulation]:
        original = LambdaFunction._invoke_lambda
        emulation = self

        def _invoke_lambda(function: LambdaFunction, event: str | None = None) -> tuple[str, bool, str]:
            emulated = emulation.functions.get(function.function_name)
            if emulated is None:
                return original(function, event)
            return emulation._invoke(function, emulated, event)

        LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]

    def _invoke(
        self, function: LambdaFunction, emulated: EmulatedFunction, event: Any
    ) -> tuple[str, bool, str]:
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        context = LambdaContext(
            function_name=function.function_name,
            memory_limit_in_mb=int(function.memory_size or 128),
            invoked_function_arn=function.function_arn,
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{function.function_name}",
            timeout_seconds=int(function.timeout or 3),
        )
        runtime_environment = {
            # What the Lambda runtime sets, so SDK clients and Powertools find their region and name.
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(context.memory_limit_in_mb),
            **emulated.environment,
        }
        with _INVOCATION_LOCK, _environment(runtime_environment), _captured_stdout() as output:
            emulated.invocations += 1
            try:
                result = emulated.resolve()(event if event is not None else {}, context)
                payload, errored = json.dumps(result), False
            except Exception as error:  # every handler error goes back to the caller, as on Lambda
                payload, errored = json.dumps(_runtime_error(error)), True
                print(
                    json.dumps({"level": "ERROR", "errorType": type(error).__name__, "message": str(error)})
                )
        logs = output.getvalue()
        if emulated.log_path is not None:
            emulated.log_path.parent.mkdir(parents=True, exist_ok=True)
            with emulated.log_path.open("a", encoding="utf-8") as log_file:
                log_file.write(logs)
        return payload, errored, logs


def _runtime_error(error: Exception) -> dict[str, Any]:
    """The Lambda runtime's error payload. The stack trace lists code locations only, never values."""
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": [
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in frames
        ],
    }


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _StdoutRouter(io.TextIOBase):
    """Process stdout that sends a thread's writes to its current capture buffer, if any.

    Powertools binds its log handler to `sys.stdout` when a handler module is imported, so
    swapping `sys.stdout` per call would not reach it; routing the one stream does.
    """

    def __init__(self, target: Any) -> None:
        self.target = target
        self.local = threading.local()

    def _current(self) -> Any:
        return getattr(self.local, "buffer", None) or self.target

    def write(self, text: str) -> int:
        return self._current().write(text)

    def flush(self) -> None:
        self._current().flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


_ROUTER: _StdoutRouter | None = None


def install_stdout_router() -> None:
    """Route stdout through the capture router; call before handler modules are imported."""
    global _ROUTER
    if _ROUTER is None or sys.stdout is not _ROUTER:
        _ROUTER = _StdoutRouter(sys.stdout)
        sys.stdout = _ROUTER


@contextlib.contextmanager
def _captured_stdout() -> Iterator[io.StringIO]:
    """Handlers log to stdout as on Lambda; here that output becomes the function's log, not ours."""
    install_stdout_router()
    assert _ROUTER is not None
    buffer = io.StringIO()
    _ROUTER.local.buffer = buffer
    try:
        yield buffer
    finally:
        _ROUTER.local.buffer = None

"""Names and settings of one deployed (or emulated) stack, from `stack.json`.

Terraform reads the same file (`jsondecode(file("stack.json"))`), so the local run creates the
resources with the names and the Lambda environment variables that `terraform apply` creates.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_FILE = REPO_ROOT / "stack.json"


def load_stack_definition(path: Path = STACK_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class StackSettings:
    """The values Terraform takes as variables; defaults come from `stack.json`."""

    project: str = "chargeback"
    environment: str = "local"
    account_id: str = "123456789012"
    region: str = "us-east-1"
    max_records_per_file: int | None = None
    max_file_bytes: int | None = None
    reject_policy: str | None = None
    log_level: str | None = None
    delivery_retry_interval_seconds: int | None = None
    delivery_retry_max_attempts: int | None = None
    delivery_max_attempts: int | None = None
    delivery_timeout_seconds: int | None = None
    enable_success_notifications: bool = True
    extra_environment: dict[str, str] = field(default_factory=dict)


class Stack:
    """Resource names, Lambda environments and state machine variables for one environment."""

    def __init__(self, settings: StackSettings, definition: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.definition = definition if definition is not None else load_stack_definition()

    @property
    def name_prefix(self) -> str:
        return f"{self.settings.project}-{self.settings.environment}"

    @property
    def networks(self) -> tuple[str, ...]:
        return tuple(self.definition["networks"])

    def setting(self, name: str) -> Any:
        value = getattr(self.settings, name, None)
        return self.definition["defaults"][name] if value is None else value

    def bucket_name(self, which: str) -> str:
        suffix = self.definition["buckets"][which]
        return f"{self.name_prefix}-{suffix}-{self.settings.account_id}"

    def queue_name(self, which: str) -> str:
        return f"{self.name_prefix}-{self.definition['queues'][which]}"

    def queue_url(self, which: str) -> str:
        region, account = self.settings.region, self.settings.account_id
        return f"https://sqs.{region}.amazonaws.com/{account}/{self.queue_name(which)}"

    def topic_name(self, which: str) -> str:
        return f"{self.name_prefix}-{self.definition['topics'][which]}"

    def topic_arn(self, which: str) -> str:
        return f"arn:aws:sns:{self.settings.region}:{self.settings.account_id}:{self.topic_name(which)}"

    def function_name(self, key: str) -> str:
        return f"{self.name_prefix}-{self.definition['functions'][key]['name_suffix']}"

    def function_arn(self, key: str) -> str:
        region, account = self.settings.region, self.settings.account_id
        return f"arn:aws:lambda:{region}:{account}:function:{self.function_name(key)}"

    @property
    def function_keys(self) -> tuple[str, ...]:
        return tuple(self.definition["functions"])

    @property
    def state_machine_name(self) -> str:
        return f"{self.name_prefix}-{self.definition['state_machine']['name_suffix']}"

    @property
    def state_machine_arn(self) -> str:
        region, account = self.settings.region, self.settings.account_id
        return f"arn:aws:states:{region}:{account}:stateMachine:{self.state_machine_name}"

    @property
    def secret_prefix(self) -> str:
        return f"{self.definition['secret_prefix']}{self.settings.environment}"

    def secret_name(self, network: str) -> str:
        return f"{self.secret_prefix}/{network}"

    @cached_property
    def _sources(self) -> dict[str, str]:
        values: dict[str, str] = {
            "environment": self.settings.environment,
            "secret_prefix": self.secret_prefix,
            "metrics_namespace": self.definition["metrics_namespace"],
        }
        for name in self.definition["defaults"]:
            values[name] = str(self.setting(name))
            values[f"setting:{name}"] = str(self.setting(name))
        for which in self.definition["buckets"]:
            values[f"bucket:{which}"] = self.bucket_name(which)
        for which in self.definition["queues"]:
            values[f"queue_url:{which}"] = self.queue_url(which)
        for which in self.definition["topics"]:
            values[f"topic_arn:{which}"] = self.topic_arn(which)
        if not self.settings.enable_success_notifications:
            values["topic_arn:success"] = ""
        for key in self.function_keys:
            values[f"function_arn:{key}"] = self.function_arn(key)
        return values

    def resolve(self, source: str, function_key: str | None = None) -> str:
        if source == "function_key":
            if function_key is None:
                raise KeyError("'function_key' is only defined for a Lambda function's environment")
            return function_key
        return self._sources[source]

    def lambda_environment(self, function_key: str) -> dict[str, str]:
        environment = {
            name: self.resolve(source, function_key)
            for name, source in self.definition["lambda_environment"].items()
        }
        environment.update(self.settings.extra_environment)
        return environment

    def template_variables(self) -> dict[str, str]:
        return {
            name: self.resolve(source)
            for name, source in self.definition["state_machine"]["template_variables"].items()
        }

    def state_machine_definition(self) -> str:
        template = (REPO_ROOT / self.definition["state_machine"]["definition"]).read_text(encoding="utf-8")
        return render_template(template, self.template_variables())


_TEMPLATE_TOKEN = re.compile(r"\$\$\{|%%\{|\$\{([^}]*)\}|%\{")


class TemplateError(ValueError):
    pass


def render_template(template: str, variables: dict[str, Any]) -> str:
    """Render `template` as Terraform's `templatefile()` does for plain interpolations.

    `${name}` takes the variable's value (an undeclared name is an error, as in Terraform);
    `$${` and `%%{` are the escapes for a literal `${` and `%{`; `%{` directives are not used
    by our templates and are refused rather than silently misread.
    """

    def substitute(match: re.Match[str]) -> str:
        matched = match.group(0)
        if matched == "$${":
            return "${"
        if matched == "%%{":
            return "%{"
        if matched == "%{":
            raise TemplateError("template directives (%{...}) are not supported")
        name = match.group(1).strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise TemplateError(f"only plain variable references are supported, got ${{{name}}}")
        if name not in variables:
            raise TemplateError(f"vars map does not contain key {name!r}, referenced in the template")
        value = variables[name]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return _TEMPLATE_TOKEN.sub(substitute, template)

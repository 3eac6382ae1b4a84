"""docs/api.md shows an example of every JSON document; each must match the code that reads or writes it."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from chargeback.contracts import (
    BatchPart,
    DeliveryResult,
    GeneratedFile,
    GeneratedPart,
    Manifest,
    ProcessRequest,
)
from chargeback.ledger import Receipt
from chargeback_cli.report import RunSummary

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = re.compile(r"<!-- example: (\w+) -->\s*```json\n(.*?)\n```", re.DOTALL)


def _examples() -> dict[str, Any]:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    return {name: json.loads(body) for name, body in EXAMPLE.findall(text)}


def _state(name: str) -> dict[str, Any]:
    definition = json.loads(
        re.sub(r"\$\{\w+\}", "1", (REPO / "statemachine" / "chargeback.asl.json").read_text(encoding="utf-8"))
    )

    def find(states: dict[str, Any]) -> dict[str, Any] | None:
        for state_name, state in states.items():
            if state_name == name:
                return state
            inner = state.get("ItemProcessor") or state.get("Iterator")
            if inner and (found := find(inner["States"])):
                return found
        return None

    found = find(definition["States"])
    assert found is not None, name
    return found


def _json_path(document: Any, path: str) -> Any:
    for part in path.removeprefix("$.").split("."):
        document = document[part]
    return document


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("Manifest", Manifest),
        ("BatchPart", BatchPart),
        ("GeneratedPart", GeneratedPart),
        ("GeneratedFile", GeneratedFile),
        ("DeliveryResult", DeliveryResult),
        ("Receipt", Receipt),
        ("RunSummary", RunSummary),
    ],
)
def test_each_documented_payload_is_exactly_what_its_model_reads_and_writes(
    name: str, model: type[BaseModel]
):
    example = _examples()[name]
    assert model.model_validate(example).model_dump(mode="json") == example


def test_the_documented_state_machine_input_gives_data_processor_its_request():
    event = _examples()["StateMachineInput"]
    payload = _state("Process Data")["Parameters"]["Payload"]

    request = ProcessRequest.model_validate(
        {field.removesuffix(".$"): _json_path(event, path) for field, path in payload.items()}
    )

    assert request == ProcessRequest.model_validate(_examples()["ProcessRequest"])
    assert request.key == "incoming/sample_chargeback_data.json"


def test_the_documented_alert_has_exactly_the_fields_the_state_machine_builds():
    built = _state("Describe Delivery Failure")["Parameters"]["message"]
    assert set(_examples()["AlertMessage"]) == {field.removesuffix(".$") for field in built}
    for delivery in _examples()["AlertMessage"]["deliveries"]:
        if not delivery["delivered"]:
            failure = _state("Record Delivery Failure")["Parameters"]
            assert set(delivery) == {field.removesuffix(".$") for field in failure}
        else:
            DeliveryResult.model_validate(delivery)


def test_every_example_in_the_document_is_checked_here():
    assert set(_examples()) == {
        "StateMachineInput",
        "ProcessRequest",
        "Manifest",
        "BatchPart",
        "GeneratedPart",
        "GeneratedFile",
        "DeliveryResult",
        "Receipt",
        "AlertMessage",
        "RunSummary",
    }

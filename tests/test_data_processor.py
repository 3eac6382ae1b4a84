from __future__ import annotations

import json

import pytest
from pipeline_fixtures import (
    PROCESSED_BUCKET,
    RAW_BUCKET,
    REPO,
    SAMPLE,
    Pipeline,
    as_array,
    as_json_lines,
    as_object,
    pipeline,
    record,
    records,
)

from chargeback import layout
from chargeback.contracts import Manifest, ProcessRequest
from chargeback.errors import BatchRejected, ConfigurationError, InvalidBatchFile
from chargeback.settings import load_settings

__all__ = ["pipeline"]  # the fixture, imported for pytest

PAN = "4111111111111111"


def test_sample_batch_is_normalised_with_rejects_report_and_manifest(
    pipeline: Pipeline, lambda_context
) -> None:
    # Given the sample file dropped in the raw bucket
    event = pipeline.put_input("sample_chargeback_data.json", SAMPLE.read_bytes())
    # When data_processor runs
    output = pipeline.data_processor.lambda_handler(event, lambda_context)
    # Then it returns the manifest: references and counts only
    manifest = Manifest.model_validate(output)
    assert (manifest.batch_id, manifest.received, manifest.valid, manifest.rejected) == (
        "ACQ-20261118-01",
        20,
        16,
        4,
    )
    assert manifest.counts == {"visa": 5, "mastercard": 4, "amex": 3, "discover": 4}
    assert manifest.input.key == "incoming/sample_chargeback_data.json"
    assert manifest.input.archive_key == "archive/sample_chargeback_data.json"
    assert manifest.input.etag == event["object"]["etag"]
    assert len(json.dumps(output)) < 4096
    # and the objects it names exist in the processed bucket
    (part,) = manifest.parts
    assert [piece.network for piece in part.networks] == ["visa", "mastercard", "amex", "discover"]
    for piece in part.networks:
        assert piece.key == layout.rows_key("ACQ-20261118-01", 1, piece.network)
        lines = pipeline.read(PROCESSED_BUCKET, piece.key).splitlines()
        assert len(lines) == piece.records
    assert manifest.rejects_report is not None
    rejects = json.loads(pipeline.read(PROCESSED_BUCKET, manifest.rejects_report.key))
    assert rejects["rejected"] == 4 and len(rejects["records"]) == 4
    assert json.loads(pipeline.read(PROCESSED_BUCKET, manifest.manifest.key)) == output
    # and the input is moved, unchanged, to archive/
    assert pipeline.keys(RAW_BUCKET) == ["archive/sample_chargeback_data.json"]
    assert pipeline.read(RAW_BUCKET, "archive/sample_chargeback_data.json") == SAMPLE.read_bytes()


def test_a_retry_after_success_reads_the_archived_input_and_gives_the_same_manifest(
    pipeline: Pipeline, lambda_context
) -> None:
    event = pipeline.put_input("sample_chargeback_data.json", SAMPLE.read_bytes())
    first = pipeline.data_processor.lambda_handler(event, lambda_context)
    objects = pipeline.all_objects()
    again = pipeline.data_processor.lambda_handler(event, lambda_context)
    assert again == first
    assert pipeline.all_objects() == objects


def test_the_archived_input_remembers_its_etag_so_a_retry_finds_it_even_when_the_copy_has_another(
    pipeline: Pipeline, lambda_context
) -> None:
    event = pipeline.put_input("sample_chargeback_data.json", SAMPLE.read_bytes())
    pipeline.data_processor.lambda_handler(event, lambda_context)
    archived = pipeline.s3.head_object(Bucket=RAW_BUCKET, Key="archive/sample_chargeback_data.json")
    assert archived["Metadata"]["source-etag"] == event["object"]["etag"]

    # Under SSE-KMS a copy gets an ETag of its own: only the metadata still names the original.
    body = pipeline.read(RAW_BUCKET, "archive/sample_chargeback_data.json")
    pipeline.s3.put_object(
        Bucket=RAW_BUCKET, Key="archive/sample_chargeback_data.json", Body=body,
        Metadata={"source-etag": "0f" * 16},
    )  # fmt: skip
    kms_like_event = {**event, "object": {**event["object"], "etag": "0f" * 16}}
    key, _etag = pipeline.data_processor.locate_input(ProcessRequest.model_validate(kms_like_event))
    assert key == "archive/sample_chargeback_data.json"


def test_input_that_is_gone_fails_without_writing_anything(pipeline: Pipeline, lambda_context) -> None:
    event = pipeline.put_input("b.json", as_array(records(2)))
    event["object"]["etag"] = "0" * 32  # the object was replaced since the event
    with pytest.raises(FileNotFoundError, match="neither in place nor in archive"):
        pipeline.data_processor.lambda_handler(event, lambda_context)
    assert pipeline.keys(RAW_BUCKET) == ["incoming/b.json"]
    assert pipeline.keys(PROCESSED_BUCKET) == []


def test_counts_are_published_as_metrics(
    pipeline: Pipeline, lambda_context, capsys: pytest.CaptureFixture
) -> None:
    event = pipeline.put_input("sample_chargeback_data.json", SAMPLE.read_bytes())
    pipeline.data_processor.lambda_handler(event, lambda_context)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    values = {
        key: doc[key]
        for doc in emf
        for key in ("RecordsReceived", "RecordsValid", "RecordsRejected")
        if key in doc
    }
    assert values == {"RecordsReceived": [20.0], "RecordsValid": [16.0], "RecordsRejected": [4.0]}
    assert all(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Chargeback" for doc in emf)


def test_limits_from_the_environment_split_the_batch(pipeline: Pipeline, lambda_context, monkeypatch) -> None:
    monkeypatch.setenv("MAX_RECORDS_PER_FILE", "2")
    event = pipeline.put_input("b.json", as_array(records(10)))
    manifest = Manifest.model_validate(pipeline.data_processor.lambda_handler(event, lambda_context))
    assert [part.part for part in manifest.parts] == [1, 2]
    assert all(piece.records <= 2 for part in manifest.parts for piece in part.networks)
    assert sum(piece.records for part in manifest.parts for piece in part.networks) == 10


def test_event_without_etag_uses_the_object_etag(pipeline: Pipeline, lambda_context) -> None:
    event = pipeline.put_input("b.jsonl", as_json_lines(records(2)))
    etag = event["object"].pop("etag")
    manifest = Manifest.model_validate(pipeline.data_processor.lambda_handler(event, lambda_context))
    assert manifest.input.etag == etag


MALFORMED = [
    pytest.param(as_array(records(3))[:-7], id="truncated"),
    pytest.param(b'"just a string"', id="wrong-top-level"),
    pytest.param(b'{"batch_id": "B", "records": []}', id="object-without-chargebacks"),
    pytest.param(b'[{"chargeback_id": "CB-1", "merchant_name": "caf\xe9"}]', id="invalid-utf8"),
    pytest.param(b"chargeback_id,network\r\nCB-1," + PAN.encode() + b"\r\n", id="not-json"),
    pytest.param(b"", id="empty"),
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_file_is_moved_unchanged_to_rejected_with_its_report(
    pipeline: Pipeline, lambda_context, body: bytes
) -> None:
    event = pipeline.put_input("daily/batch 01.json", body)
    with pytest.raises(InvalidBatchFile) as caught:
        pipeline.data_processor.lambda_handler(event, lambda_context)
    assert "byte" in str(caught.value)  # the position
    assert pipeline.keys(RAW_BUCKET) == [
        "rejected/daily/batch 01.json",
        "rejected/daily/batch 01.json.error.json",
    ]
    assert pipeline.read(RAW_BUCKET, "rejected/daily/batch 01.json") == body
    report_text = pipeline.read(RAW_BUCKET, "rejected/daily/batch 01.json.error.json").decode()
    assert PAN not in report_text
    report = json.loads(report_text)
    assert report["file"] == "incoming/daily/batch 01.json"
    assert report["error_type"] == "InvalidBatchFile"
    assert report["error"] == str(caught.value)
    assert pipeline.keys(PROCESSED_BUCKET) == []


def test_strict_policy_rejects_the_batch_and_moves_the_file(
    pipeline: Pipeline, lambda_context, monkeypatch
) -> None:
    monkeypatch.setenv("REJECT_POLICY", "strict")
    body = as_array([record(chargeback_id="CB-1"), record(chargeback_id="CB-2", reason_code="99.9")])
    event = pipeline.put_input("strict.json", body)
    with pytest.raises(BatchRejected, match=r"record 1 \(chargeback_id CB-2\).*'reason_code'"):
        pipeline.data_processor.lambda_handler(event, lambda_context)
    assert pipeline.read(RAW_BUCKET, "rejected/strict.json") == body
    report = json.loads(pipeline.read(RAW_BUCKET, "rejected/strict.json.error.json"))
    assert report["error_type"] == "BatchRejected"
    assert [entry["chargeback_id"] for entry in report["rejects"]] == ["CB-2"]
    assert pipeline.keys(PROCESSED_BUCKET) == []


def test_batch_without_valid_record_is_rejected_with_every_reason(pipeline: Pipeline, lambda_context) -> None:
    event = pipeline.put_input(
        "bad.json", as_array([record(amount="0"), record(chargeback_id="CB-2", network="diners")])
    )
    with pytest.raises(BatchRejected, match="no valid record"):
        pipeline.data_processor.lambda_handler(event, lambda_context)
    report = json.loads(pipeline.read(RAW_BUCKET, "rejected/bad.json.error.json"))
    assert [entry["errors"][0]["field"] for entry in report["rejects"]] == ["amount", "network"]
    assert pipeline.keys(RAW_BUCKET) == ["rejected/bad.json", "rejected/bad.json.error.json"]


def test_setting_defaults_are_those_of_stack_json() -> None:
    defaults = json.loads((REPO / "stack.json").read_text())["defaults"]
    settings = load_settings({"PROCESSED_BUCKET": "p"})
    assert settings.max_records_per_file == defaults["max_records_per_file"]
    assert settings.max_file_bytes == defaults["max_file_bytes"]
    assert settings.reject_policy == defaults["reject_policy"]
    assert set(defaults) >= {"max_records_per_file", "max_file_bytes", "reject_policy"}


@pytest.mark.parametrize(
    "env",
    [
        {"MAX_RECORDS_PER_FILE": "0"},
        {"MAX_FILE_BYTES": "50MB"},
        {"REJECT_POLICY": "lenient"},
        {"PROCESSED_BUCKET": ""},
    ],
)
def test_bad_setting_fails_before_the_input_is_touched(
    pipeline: Pipeline, lambda_context, monkeypatch, env
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    event = pipeline.put_input("b.json", as_array(records(2)))
    with pytest.raises(ConfigurationError, match=next(iter(env))):
        pipeline.data_processor.lambda_handler(event, lambda_context)
    assert pipeline.keys(RAW_BUCKET) == ["incoming/b.json"]
    assert pipeline.keys(PROCESSED_BUCKET) == []


def test_batch_id_of_another_input_is_refused_but_the_same_input_may_run_again(
    pipeline: Pipeline, lambda_context
) -> None:
    first = pipeline.put_input("monday.json", as_object(records(2), batch_id="DAILY"))
    pipeline.data_processor.lambda_handler(first, lambda_context)
    # the same input again (a retry or a re-drop) reuses its batch
    again = Manifest.model_validate(pipeline.data_processor.lambda_handler(first, lambda_context))
    assert again.batch_id == "DAILY"
    # a different file claiming the same batch_id is rejected, and the first batch is left alone
    other = pipeline.put_input("tuesday.json", as_object(records(3), batch_id="DAILY"))
    with pytest.raises(BatchRejected, match="already used by another input"):
        pipeline.data_processor.lambda_handler(other, lambda_context)
    assert pipeline.keys(RAW_BUCKET) == [
        "archive/monday.json",
        "rejected/tuesday.json",
        "rejected/tuesday.json.error.json",
    ]
    manifest = json.loads(pipeline.read(PROCESSED_BUCKET, layout.manifest_key("DAILY")))
    assert (manifest["input"]["key"], manifest["received"]) == ("incoming/monday.json", 2)

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest
from pipeline_fixtures import (
    GOLDEN,
    PROCESSED_BUCKET,
    RAW_BUCKET,
    SAMPLE,
    Pipeline,
    pipeline,
    record,
)

from chargeback.contracts import GeneratedPart, Manifest
from chargeback.csv_writer import CSV_COLUMNS, HEADER_ROW
from chargeback.masking import find_full_pans

__all__ = ["pipeline"]  # the fixture, imported for pytest


def process(
    pipeline: Pipeline, lambda_context, body: bytes, name: str = "sample_chargeback_data.json"
) -> Manifest:
    event = pipeline.put_input(name, body)
    return Manifest.model_validate(pipeline.data_processor.lambda_handler(event, lambda_context))


def generate(pipeline: Pipeline, lambda_context, manifest: Manifest) -> list[GeneratedPart]:
    return [
        GeneratedPart.model_validate(
            pipeline.csv_generator.lambda_handler(part.model_dump(mode="json"), lambda_context)
        )
        for part in manifest.parts
    ]


def test_sample_csv_files_equal_the_golden_files(pipeline: Pipeline, lambda_context) -> None:
    manifest = process(pipeline, lambda_context, SAMPLE.read_bytes())
    (generated,) = generate(pipeline, lambda_context, manifest)
    names = [file.name for file in generated.files]
    assert names == [
        f"{n}_chargebacks_ACQ-20261118-01_001.csv" for n in ("visa", "mastercard", "amex", "discover")
    ]
    for file in generated.files:
        data = pipeline.read(PROCESSED_BUCKET, file.key)
        assert file.key == f"batches/ACQ-20261118-01/csv/{file.name}"
        assert data == (GOLDEN / file.name).read_bytes()
        assert (file.bytes, file.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert file.rows == data.count(b"\r\n") - 1


def test_csv_is_the_header_row_then_the_rows_the_data_processor_rendered(
    pipeline: Pipeline, lambda_context
) -> None:
    manifest = process(pipeline, lambda_context, SAMPLE.read_bytes())
    (generated,) = generate(pipeline, lambda_context, manifest)
    for piece, file in zip(manifest.parts[0].networks, generated.files, strict=True):
        rows = pipeline.read(PROCESSED_BUCKET, piece.key)
        assert pipeline.read(PROCESSED_BUCKET, file.key) == HEADER_ROW + rows
        assert (file.rows, len(rows)) == (piece.records, piece.bytes)
        parsed = list(csv.reader(io.StringIO(rows.decode("utf-8"), newline="")))
        assert len(parsed) == piece.records and {len(row) for row in parsed} == {len(CSV_COLUMNS)}


def test_sample_csv_neutralises_formulas_and_formats_amounts(pipeline: Pipeline, lambda_context) -> None:
    manifest = process(pipeline, lambda_context, SAMPLE.read_bytes())
    (generated,) = generate(pipeline, lambda_context, manifest)
    rows: dict[str, dict[str, str]] = {}
    for file in generated.files:
        reader = csv.DictReader(
            io.StringIO(pipeline.read(PROCESSED_BUCKET, file.key).decode("utf-8"), newline="")
        )
        rows |= {row["chargeback_id"]: row for row in reader}
    assert (
        rows["CB-20261118-0003"]["merchant_name"]
        == '\'=HYPERLINK("http://refund.example/claim","Claim refund")'
    )
    assert rows["CB-20261118-0011"]["merchant_name"] == "'+1 Mobile Store"
    assert rows["CB-20261118-0013"]["merchant_name"] == "'@home Furnishings"
    assert (rows["CB-20261118-0001"]["amount"], rows["CB-20261118-0001"]["currency"]) == ("125.50", "USD")
    assert (rows["CB-20261118-0013"]["amount"], rows["CB-20261118-0013"]["currency"]) == ("42.00", "USD")
    assert (rows["CB-20261118-0006"]["amount"], rows["CB-20261118-0006"]["currency"]) == ("1200", "JPY")
    assert (rows["CB-20261118-0004"]["amount"], rows["CB-20261118-0004"]["currency"]) == ("15000", "JPY")
    assert (rows["CB-20261118-0010"]["amount"], rows["CB-20261118-0010"]["currency"]) == ("12.345", "BHD")
    assert rows["CB-20261118-0004"]["merchant_name"] == "東京ラーメン株式会社"
    assert rows["CB-20261118-0001"]["card_number"] == "411111******1111"


def test_generating_again_gives_byte_identical_files(pipeline: Pipeline, lambda_context) -> None:
    manifest = process(pipeline, lambda_context, SAMPLE.read_bytes())
    first = generate(pipeline, lambda_context, manifest)
    second = generate(pipeline, lambda_context, manifest)
    assert first == second


def test_split_batch_gives_at_most_four_files_a_part(pipeline: Pipeline, lambda_context, monkeypatch) -> None:
    monkeypatch.setenv("MAX_RECORDS_PER_FILE", "2")
    manifest = process(pipeline, lambda_context, SAMPLE.read_bytes())
    generated = generate(pipeline, lambda_context, manifest)
    assert [part.part for part in generated] == [1, 2, 3]
    assert all(1 <= len(part.files) <= 4 for part in generated)
    assert [f.name for f in generated[2].files] == ["visa_chargebacks_ACQ-20261118-01_003.csv"]
    assert sum(f.rows for part in generated for f in part.files) == 16


def test_files_generated_metric_has_the_network_dimension(
    pipeline: Pipeline, lambda_context, capsys: pytest.CaptureFixture
) -> None:
    manifest = process(pipeline, lambda_context, SAMPLE.read_bytes())
    capsys.readouterr()
    generate(pipeline, lambda_context, manifest)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"FilesGenerated"' in line]
    assert sorted(doc["network"] for doc in emf) == ["amex", "discover", "mastercard", "visa"]
    assert all(doc["FilesGenerated"] in (1.0, [1.0]) for doc in emf)


def test_full_pan_and_card_security_value_appear_nowhere(
    pipeline: Pipeline, lambda_context, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    # Given full PANs in valid records, in a rejected one, and card security data (a CVV, track data)
    pans = ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "4012888888881881"]
    cvv, track = "9183", f";{pans[4]}=27121015432112345678?"
    body = json.loads(SAMPLE.read_bytes())
    body["chargebacks"] += [
        record(chargeback_id="CB-leak-1", card_number=pans[4], cvv2=cvv),
        record(chargeback_id="CB-leak-2", card_number=pans[0], track2=track),
        record(chargeback_id="CB-leak-3", card_number="4111 1111 1111 1111", amount="1.001"),
    ]
    # When both handlers run
    caplog.set_level("INFO")  # botocore's DEBUG lines are not ours (and echo request bodies)
    caplog.set_level("DEBUG", logger="chargeback-tests")  # the handlers' Powertools logger
    manifest = process(pipeline, lambda_context, json.dumps(body).encode(), name="leaky.json")
    returned = [
        manifest.model_dump(mode="json"),
        *(p.model_dump(mode="json") for p in generate(pipeline, lambda_context, manifest)),
    ]
    # Then no output holds them: every S3 object but the input itself, the returned dicts, logs, stdout/stderr
    outputs = {
        key: data for key, data in pipeline.all_objects().items() if key != f"{RAW_BUCKET}/archive/leaky.json"
    }
    assert len(outputs) == 10  # 4 normalised, 4 CSV, the rejects report, the manifest
    captured = capsys.readouterr()
    texts = [
        *(data.decode("utf-8") for data in outputs.values()),
        json.dumps(returned),
        caplog.text,
        captured.out,
        captured.err,
    ]
    for text in texts:
        for secret in [*pans, track, "8888888881881"]:
            assert secret not in text
        assert re.search(rf"(?<![0-9A-Za-z]){cvv}(?![0-9A-Za-z])", text) is None  # not inside a hex id
    for key, data in outputs.items():
        assert find_full_pans(data.decode("utf-8")) == [], key
    rejects = json.loads(pipeline.read(PROCESSED_BUCKET, "batches/ACQ-20261118-01/rejects.json"))
    assert {e["chargeback_id"] for e in rejects["records"]} >= {"CB-leak-1", "CB-leak-2", "CB-leak-3"}

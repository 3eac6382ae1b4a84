from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipeline_fixtures import SAMPLE, as_array, as_json_lines, as_object, record, records

from chargeback.errors import BatchRejected, InvalidBatchFile
from chargeback.masking import find_full_pans
from chargeback.processing import (
    REJECTS_REPORT_NAME,
    ProcessingResult,
    first_rejects,
    process_batch,
)
from chargeback.reader import Shape
from chargeback.settings import RejectPolicy
from chargeback.validation import validate_batch_id
from tests.support.csv_rows import read_rows

TODAY = date(2026, 11, 22)


def run(
    data: bytes,
    workdir: Path,
    name: str = "batch.json",
    policy: RejectPolicy = RejectPolicy.PARTIAL,
    max_records: int = 50_000,
) -> ProcessingResult:
    return process_batch(
        io.BytesIO(data), name, f"incoming/{name}", TODAY, max_records, 50 * 1024 * 1024, policy,
        workdir,
    )  # fmt: skip


def normalised(result: ProcessingResult) -> dict[tuple[int, str], bytes]:
    return {(piece.part, piece.network): piece.path.read_bytes() for piece in result.slices}


def test_three_input_shapes_give_identical_normalised_records(tmp_path: Path) -> None:
    items = [*records(9), record(chargeback_id="CB-bad", amount="10.123")]
    outputs = []
    for number, (data, name) in enumerate(
        [
            (as_object(items, batch_id="B-1"), "b.json"),
            (as_array(items), "b.json"),
            (as_json_lines(items), "b.jsonl"),
        ]
    ):
        result = run(data, tmp_path / str(number), name, max_records=2)
        outputs.append((normalised(result), result.counts, result.received, result.valid, result.rejected))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][2:] == (10, 9, 1)


def test_sample_batch_counts_and_rejects_report(tmp_path: Path) -> None:
    result = run(SAMPLE.read_bytes(), tmp_path, "sample_chargeback_data.json")
    assert (result.batch_id, result.shape) == ("ACQ-20261118-01", Shape.OBJECT)
    assert (result.received, result.valid, result.rejected) == (20, 16, 4)
    assert result.counts == {"visa": 5, "mastercard": 4, "amex": 3, "discover": 4}
    assert result.rejects_report is not None
    report = json.loads(result.rejects_report.read_text())
    assert report["batch_id"] == "ACQ-20261118-01"
    assert report["input_key"] == "incoming/sample_chargeback_data.json"
    assert report["rejected"] == 4
    assert [(entry["index"], entry["errors"][0]["field"]) for entry in report["records"]] == [
        (16, "reason_code"),
        (17, "amount"),
        (18, "chargeback_date"),
        (19, "cvv"),
    ]


def test_records_are_written_as_their_normalised_csv_rows(tmp_path: Path) -> None:
    result = run(
        as_array([record(network="Master Card", reason_code="4837", card_number="5555555555554444")]),
        tmp_path,
    )
    (normal,) = read_rows(result.slices[0].path)
    assert normal["network"] == "mastercard"
    assert normal["card_number"] == "555555******4444"
    assert normal["amount"] == "125.50"
    assert result.slices[0].bytes == result.slices[0].path.stat().st_size


def test_partial_policy_leaves_bad_records_out(tmp_path: Path) -> None:
    items = [
        record(chargeback_id="CB-1"),
        record(chargeback_id="CB-2", currency="XYZ"),
        record(chargeback_id="CB-3"),
    ]
    result = run(as_array(items), tmp_path)
    assert [r["chargeback_id"] for r in read_rows(result.slices[0].path)] == ["CB-1", "CB-3"]
    assert (result.valid, result.rejected) == (2, 1)


def test_strict_policy_fails_at_the_first_bad_record_naming_file_record_field_and_rule(
    tmp_path: Path,
) -> None:
    items = [
        record(chargeback_id="CB-1"),
        record(chargeback_id="CB-2", amount="10.123"),
        record(chargeback_id="CB-3"),
    ]
    with pytest.raises(BatchRejected) as caught:
        run(as_array(items), tmp_path, policy=RejectPolicy.STRICT)
    message = str(caught.value)
    assert "batch.json" in message
    assert "record 1" in message and "CB-2" in message
    assert "'amount'" in message and "[precision]" in message
    assert first_rejects(tmp_path / REJECTS_REPORT_NAME, 10)[0]["chargeback_id"] == "CB-2"


def test_strict_policy_accepts_a_clean_batch(tmp_path: Path) -> None:
    result = run(as_array(records(4)), tmp_path, policy=RejectPolicy.STRICT)
    assert (result.valid, result.rejected, result.rejects_report) == (4, 0, None)


@pytest.mark.parametrize("data", [as_array([record(amount="-1"), record(reason_code="nope")]), as_object([])])
def test_batch_without_a_valid_record_fails(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(BatchRejected, match="no valid record"):
        run(data, tmp_path)


def test_duplicate_chargeback_id_keeps_the_first_and_rejects_later_ones(tmp_path: Path) -> None:
    items = [
        record(chargeback_id="CB-1", merchant_name="first"),
        record(chargeback_id="CB-2"),
        record(chargeback_id="CB-1", merchant_name="second"),
        record(chargeback_id="CB-1", merchant_name="third"),
    ]
    result = run(as_array(items), tmp_path)
    kept = [(r["chargeback_id"], r["merchant_name"]) for r in read_rows(result.slices[0].path)]
    assert kept == [("CB-1", "first"), ("CB-2", "Acme Store")]
    assert result.rejects_report is not None
    report = json.loads(result.rejects_report.read_text())
    assert [(e["index"], e["chargeback_id"], e["errors"][0]["field"]) for e in report["records"]] == [
        (2, "CB-1", "chargeback_id"),
        (3, "CB-1", "chargeback_id"),
    ]


def test_invalid_record_does_not_take_the_id_of_a_later_valid_one(tmp_path: Path) -> None:
    items = [record(chargeback_id="CB-1", amount="0"), record(chargeback_id="CB-1")]
    result = run(as_array(items), tmp_path)
    assert (result.valid, result.rejected) == (1, 1)


def test_batch_id_comes_from_the_file_when_valid(tmp_path: Path) -> None:
    assert run(as_object(records(1), batch_id="ACQ.2026-11_01"), tmp_path).batch_id == "ACQ.2026-11_01"


@pytest.mark.parametrize("batch_id", ["../../etc", ".hidden", "x" * 65, "a/b", "", None])
def test_unusable_batch_id_is_derived_from_key_and_content(tmp_path: Path, batch_id: str | None) -> None:
    result = run(as_object(records(1), batch_id=batch_id), tmp_path, name="daily export.json")
    assert result.batch_id != batch_id
    assert validate_batch_id(result.batch_id) == result.batch_id
    assert "/" not in result.batch_id and not result.batch_id.startswith(".")
    again = run(as_object(records(1), batch_id=batch_id), tmp_path / "again", name="daily export.json")
    assert again.batch_id == result.batch_id  # the same bytes give the same batch, whatever their ETag
    other = run(as_object(records(2), batch_id=batch_id), tmp_path / "other", name="daily export.json")
    assert other.batch_id != result.batch_id  # other bytes under the same name are another batch
    assert other.input_sha256 != result.input_sha256


def test_truncated_file_fails_after_its_good_records_without_a_rejects_report(tmp_path: Path) -> None:
    with pytest.raises(InvalidBatchFile, match="after 2 record"):
        run(as_array(records(3))[:-5], tmp_path)
    assert not (tmp_path / REJECTS_REPORT_NAME).exists()


def test_rejects_report_is_streamed_for_many_rejects(tmp_path: Path) -> None:
    items = [record(chargeback_id=f"CB-{i}", currency="usd!") for i in range(3000)] + [
        record(chargeback_id="CB-ok")
    ]
    result = run(as_array(items), tmp_path)
    assert result.rejects_report is not None
    report = json.loads(result.rejects_report.read_text())
    assert report["rejected"] == len(report["records"]) == 3000
    assert [entry["index"] for entry in first_rejects(result.rejects_report, 5)] == [0, 1, 2, 3, 4]


FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=12),
    st.sampled_from(
        ["4111111111111111", "visa", "MC", "USD", "JPY", "10.4", "4837", "2026-10-01", "125.50", "1e3"]
    ),
)
RAW_RECORDS = st.one_of(
    st.builds(
        lambda extra: record(**extra),
        st.dictionaries(st.sampled_from(sorted(record())) | st.just("cvv"), FIELD_VALUES),
    ),
    st.dictionaries(st.text(max_size=6), FIELD_VALUES, max_size=4),
    FIELD_VALUES,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(RAW_RECORDS, max_size=6), policy=st.sampled_from(list(RejectPolicy)))
def test_arbitrary_records_give_a_result_or_a_named_batch_error(
    tmp_path_factory: pytest.TempPathFactory, items: list, policy: RejectPolicy
) -> None:
    workdir = tmp_path_factory.mktemp("run")
    try:
        result = run(json.dumps(items).encode(), workdir, policy=policy)
    except BatchRejected as error:
        assert find_full_pans(str(error)) == []
    else:
        assert result.valid + result.rejected == result.received == len(items)
        for piece in result.slices:
            assert find_full_pans(piece.path.read_text()) == []
        if result.rejects_report is not None:
            assert find_full_pans(result.rejects_report.read_text()) == []

"""Fuzzing the input format through the reader and the whole processing path (`process_batch`).

`tests/test_reader.py` fuzzes the reader alone with arbitrary bytes and cut JSON, and
`tests/test_validation_properties.py` fuzzes one record at a time. Here whole batch files are built from
mostly-valid records with mutated fields, in each of the three shapes, with header fields of any JSON type,
then optionally damaged byte by byte, and processed as data_processor does. The only exceptions allowed
are InvalidBatchFile and BatchRejected; a processed batch must add up, hold only valid normalised records,
keep every batch id inside its folder, and leak no card number or card security value. Fixed budgets and
`derandomize=True`, so CI runs the same examples every time.
"""

from __future__ import annotations

import io
import json
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chargeback.errors import BatchRejected, InvalidBatchFile
from chargeback.layout import batch_prefix
from chargeback.processing import ProcessingResult, process_batch
from chargeback.settings import RejectPolicy
from chargeback.validation import validate_batch_id
from tests.hardening.hardening_support import FULL_PANS, REASON_CODES, TALLY
from tests.support.csv_rows import read_rows
from tests.support.leak_scan import LeakScanner

TODAY = date(2026, 11, 20)
CVV = "5823"  # every record that carries card security data carries this value
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.decimals(allow_nan=False)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

# Field values: the right kind most of the time, anything now and then.
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "chargeback_id": st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True) | json_values,
    "network": st.sampled_from(["visa", "MC", "American Express", "DISC", "Master Card", "diners"])
    | json_values,
    "case_number": st.text(max_size=20) | json_values,
    "arn": st.from_regex(r"[0-9]{23}", fullmatch=True) | st.text(max_size=25),
    "card_number": st.sampled_from([*FULL_PANS.values(), "411111******1111", "5555 5555 5555 4444", "4111"])
    | json_values,
    "merchant_id": st.text(min_size=1, max_size=70) | json_values,
    "merchant_name": st.text(max_size=50) | json_values,
    "transaction_id": st.text(max_size=20),
    "transaction_date": st.dates(date(2020, 1, 1), date(2027, 1, 1)).map(str) | json_values,
    "chargeback_date": st.dates(date(2020, 1, 1), date(2027, 1, 1)).map(str) | st.text(max_size=12),
    "amount": st.decimals(min_value=-10, max_value=10**20, places=3).map(str)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["1e3", "1E-2", "12.50", "0", "-1", "NaN", "1e999"])
    | json_values,
    "currency": st.sampled_from(["USD", "EUR", "JPY", "BHD", "usd", "XYZ", ""]) | json_values,
    "reason_code": st.sampled_from([*REASON_CODES.values(), "10.4 ", "nope"]) | json_values,
    "stage": st.sampled_from(["first_chargeback", "Pre-Arbitration", "arb", "appeal"]) | json_values,
    "response_due_date": st.none() | st.dates().map(str) | st.text(max_size=12),
}


def _valid_record(index: int) -> dict[str, Any]:
    network = ("visa", "mastercard", "amex", "discover")[index % 4]
    return {
        "chargeback_id": f"CB-{index}",
        "network": network,
        "card_number": FULL_PANS[network],
        "merchant_id": "MID-1",
        "transaction_date": "2026-10-01",
        "chargeback_date": "2026-10-15",
        "amount": "10.00",
        "currency": "USD",
        "reason_code": REASON_CODES[network],
    }


@st.composite
def records(draw: st.DrawFn, index: int) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(json_values)  # not an object at all
    record: dict[str, Any] = _valid_record(index)
    for name in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=3, unique=True)):
        if draw(st.booleans()):
            record[name] = draw(FIELD_VALUES[name])
        else:
            record.pop(name, None)
    if draw(st.integers(0, 9)) == 0:
        record[draw(st.sampled_from(["cvv", "CVC2", "track_2", "Pin"]))] = CVV
    if draw(st.integers(0, 9)) == 0:
        record[draw(st.text(max_size=10))] = draw(json_values)  # an unknown extra field
    return record


@st.composite
def batch_files(draw: st.DrawFn) -> tuple[bytes, str, int]:
    """(file bytes, file name, number of records written) in one of the three shapes."""
    count = draw(st.integers(0, 12))
    items = [draw(records(index)) for index in range(count)]
    shape = draw(st.sampled_from(["object", "array", "json_lines"]))
    indent = draw(st.sampled_from([None, 0, 2]))
    if shape == "json_lines":
        items = [item if isinstance(item, dict) else {"value": item} for item in items]
        data = "".join(json.dumps(item, default=str) + "\n" for item in items)
        return data.encode(), draw(st.sampled_from(["batch.jsonl", "batch.ndjson"])), count
    if shape == "array":
        return json.dumps(items, indent=indent, default=str).encode(), "batch.json", count
    header = {name: draw(json_values | st.text(max_size=80)) for name in ("batch_id", "source", "created_at")}
    body: dict[str, Any] = {**header, "chargebacks": items}
    if draw(st.booleans()):
        body = {"chargebacks": items, **header}  # header fields after the array
    return (
        json.dumps(body, indent=indent, default=str, ensure_ascii=draw(st.booleans())).encode(),
        "b.json",
        count,
    )


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few bytes replaced, inserted or deleted, or cut short."""
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["replace", "insert", "delete", "cut"]))
        byte = bytes([draw(st.integers(0, 255))])
        if action == "replace":
            data = data[:position] + byte + data[position + 1 :]
        elif action == "insert":
            data = data[:position] + byte + data[position:]
        elif action == "delete":
            data = data[:position] + data[position + 1 :]
        else:
            data = data[:position]
    return data


def _process(data: bytes, name: str, workdir: Path) -> ProcessingResult | Exception:
    try:
        return process_batch(
            io.BytesIO(data), name, f"incoming/{name}", TODAY,
            max_records_per_file=3, max_file_bytes=10 * 1024 * 1024,
            reject_policy=RejectPolicy.PARTIAL, workdir=workdir,
        )  # fmt: skip
    except (InvalidBatchFile, BatchRejected) as error:
        return error


def _check(data: bytes, name: str, written: int | None) -> None:
    TALLY.fuzz_examples_run += 1
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        outcome = _process(data, name, workdir)
        scanner = LeakScanner(security_values=[CVV])
        scanner.scan_path(workdir)
        if isinstance(outcome, Exception):
            assert name in str(outcome)
            scanner.scan_text(str(outcome), "error message")
        else:
            assert outcome.received == outcome.valid + outcome.rejected
            assert sum(outcome.counts.values()) == outcome.valid >= 1
            if written is not None:
                assert outcome.received == written
            assert validate_batch_id(outcome.batch_id) == outcome.batch_id
            assert batch_prefix(outcome.batch_id).count("/") == 2 and ".." not in outcome.batch_id
            normalised: list[dict[str, str]] = []
            for piece in outcome.slices:
                normalised.extend(read_rows(piece.path))
                assert piece.records <= 3
            assert len(normalised) == outcome.valid
            assert all(Decimal(row["amount"]) > Decimal(0) for row in normalised)
        assert scanner.leaks == [], [str(leak) for leak in scanner.leaks]


@FUZZ
@given(batch_files())
def test_any_batch_file_of_mutated_records_is_processed_or_refused_by_name(
    batch: tuple[bytes, str, int],
) -> None:
    data, name, count = batch
    _check(data, name, count)


@FUZZ
@given(st.data())
def test_a_damaged_batch_file_is_processed_or_refused_by_name_and_never_leaks(data: st.DataObject) -> None:
    original, name, _ = data.draw(batch_files())
    _check(data.draw(damaged(original)), name, None)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=300), st.sampled_from(["b.json", "b.jsonl", "b.ndjson", "b"]))
def test_arbitrary_bytes_through_the_whole_processing_path_are_refused_by_name(
    data: bytes, name: str
) -> None:
    _check(data, name, None)

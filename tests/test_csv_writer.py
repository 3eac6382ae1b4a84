from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from chargeback.csv_writer import CSV_COLUMNS, HEADER_ROW, neutralise, render_row, write_csv_file
from chargeback.models import ChargebackRecord, Stage
from chargeback.networks import Network

CONTRACT_COLUMNS = [
    "chargeback_id",
    "network",
    "case_number",
    "arn",
    "card_number",
    "merchant_id",
    "merchant_name",
    "transaction_id",
    "transaction_date",
    "chargeback_date",
    "amount",
    "currency",
    "reason_code",
    "reason_description",
    "stage",
    "response_due_date",
]


def make(**overrides: object) -> ChargebackRecord:
    fields: dict[str, object] = {
        "chargeback_id": "CB-1",
        "network": Network.VISA,
        "case_number": "CASE-1",
        "arn": "74912346253082947165832",
        "card_number": "411111******1111",
        "merchant_id": "MID-1",
        "merchant_name": "Acme Store",
        "transaction_id": "TX-1",
        "transaction_date": date(2026, 10, 1),
        "chargeback_date": date(2026, 10, 15),
        "amount": Decimal("125.50"),
        "currency": "USD",
        "reason_code": "10.4",
        "reason_description": "Other Fraud - Card-Absent Environment",
        "stage": Stage.FIRST_CHARGEBACK,
        "response_due_date": None,
    }
    return ChargebackRecord(**(fields | overrides))  # type: ignore[arg-type]


def write(records: list[ChargebackRecord]) -> bytes:
    return HEADER_ROW + b"".join(render_row(item) for item in records)


def test_columns_are_the_contract_columns_in_order() -> None:
    assert list(CSV_COLUMNS) == CONTRACT_COLUMNS
    assert (",".join(CONTRACT_COLUMNS) + "\r\n").encode() == HEADER_ROW


def test_file_is_utf8_without_bom_with_crlf_and_one_header_row() -> None:
    data = write([make(), make(chargeback_id="CB-2", merchant_name="Café Zürich")])
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.startswith(HEADER_ROW)
    lines = data.split(b"\r\n")
    assert len(lines) == 4 and lines[-1] == b""
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert "Café Zürich".encode() in data


def test_row_cells_format_dates_amount_enums_and_empty_none() -> None:
    row = render_row(make(response_due_date=None, case_number=None, stage=Stage.PRE_ARBITRATION))
    assert row == (
        b"CB-1,visa,,74912346253082947165832,411111******1111,MID-1,Acme Store,TX-1,2026-10-01,2026-10-15,"
        b"125.50,USD,10.4,Other Fraud - Card-Absent Environment,pre_arbitration,\r\n"
    )


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("125.5"), "USD", "125.50"),
        (Decimal("42"), "USD", "42.00"),
        (Decimal("10.100"), "USD", "10.10"),
        (Decimal("1200.0"), "JPY", "1200"),
        (Decimal("15000"), "JPY", "15000"),
        (Decimal("12.345"), "BHD", "12.345"),
        (Decimal("7"), "BHD", "7.000"),
        (Decimal("1E+3"), "USD", "1000.00"),
    ],
)
def test_amount_has_exactly_the_currency_fraction_digits(amount: Decimal, currency: str, text: str) -> None:
    cells = next(csv.reader(io.StringIO(render_row(make(amount=amount, currency=currency)).decode())))
    assert cells[CSV_COLUMNS.index("amount")] == text


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1 Mobile", "'+1 Mobile"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturn", "'\rReturn"),
        ("Plain = fine", "Plain = fine"),
        ("", ""),
    ],
)
def test_text_cells_starting_a_formula_are_neutralised(name: str, cell: str) -> None:
    data = write([make(merchant_name=name)])
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[1][CSV_COLUMNS.index("merchant_name")] == cell


def test_amount_is_not_a_text_cell_but_ids_are() -> None:
    cells = next(
        csv.reader(io.StringIO(render_row(make(chargeback_id="-CB-1", transaction_id="=1")).decode()))
    )
    assert cells[0] == "'-CB-1"
    assert cells[CSV_COLUMNS.index("transaction_id")] == "'=1"
    assert neutralise("125.50") == "125.50"


def test_rfc4180_quoting_round_trips_commas_quotes_and_newlines() -> None:
    name = 'Smith, "Bob" & Sons\r\nLtd'
    data = write([make(merchant_name=name)])
    assert b'"Smith, ""Bob"" & Sons\r\nLtd"' in data
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[1][CSV_COLUMNS.index("merchant_name")] == name


def test_file_is_the_header_then_the_rows_counted_and_hashed(tmp_path: Path) -> None:
    rows = b"".join(render_row(make(chargeback_id=f"CB-{i}")) for i in range(3))
    summary = write_csv_file(io.BytesIO(rows), tmp_path / "out.csv")
    data = (tmp_path / "out.csv").read_bytes()
    assert data == HEADER_ROW + rows
    assert summary.bytes == len(data)
    assert summary.sha256 == hashlib.sha256(data).hexdigest()


def test_same_records_always_give_the_same_bytes(tmp_path: Path) -> None:
    records = [make(chargeback_id=f"CB-{i}", merchant_name="東京 =x") for i in range(50)]
    first = write_csv_file(io.BytesIO(write(records)[len(HEADER_ROW) :]), tmp_path / "a.csv")
    second = write_csv_file(io.BytesIO(write(records)[len(HEADER_ROW) :]), tmp_path / "b.csv")
    assert first == second
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_header_only_file_for_no_records(tmp_path: Path) -> None:
    summary = write_csv_file(io.BytesIO(b""), tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_bytes() == HEADER_ROW
    assert summary.bytes == len(HEADER_ROW)

"""The fast paths of issue 6 give exactly what the plain code they stand in for gives."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chargeback.csv_writer import _amount_cell, _RowRenderer, render_row, row_length
from chargeback.currencies import format_amount
from chargeback.models import ChargebackRecord, Stage
from chargeback.networks import Network
from chargeback.processing import _TO_JSON, SeenIds, iter_normalised_records

CELL = st.text(alphabet=st.sampled_from(list("ab,\"\r\n =+-@\t'é東\x00\u2028")), max_size=5)


def csv_module_row(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


@given(st.lists(CELL, max_size=17))
def test_row_renderer_gives_the_csv_module_bytes(cells: list[str]) -> None:
    assert _RowRenderer().render(cells) == csv_module_row(cells)


def outcome(function, *args):
    try:
        return function(*args)
    except ValueError as error:
        return type(error)


AMOUNT_TEXT = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.sampled_from(["125.50", "125.5", "1E+3", "1.00E+2", "-5.00", "-0.00", "0E-2", "7", "7.000", "1.5E-7"]),
    st.integers(-(10**20), 10**20).map(str),
)


@given(AMOUNT_TEXT, st.sampled_from(["USD", "JPY", "BHD", "CLF", "XXX", "usd", "EUR"]))
def test_amount_cell_is_format_amount(text: str, currency: str) -> None:
    amount = Decimal(text)
    assert outcome(_amount_cell, amount, currency) == outcome(format_amount, amount, currency)


@given(st.lists(st.text(max_size=6) | st.integers(0, 300).map(str), max_size=400))
def test_seen_ids_answers_like_a_set(values: list[str]) -> None:
    seen, reference = SeenIds(), set()
    for value in values:
        assert seen.add(value) == (value not in reference)
        reference.add(value)
    assert len(seen) == len(reference)


LINE = (
    b'{"chargeback_id":"CB-%d","network":"visa","case_number":null,"arn":null,"card_number":"411111******1111",'
    b'"merchant_id":"M-1","merchant_name":"Caf\xc3\xa9","transaction_id":null,"transaction_date":"2026-06-01",'
    b'"chargeback_date":"2026-06-15","amount":"125.50","currency":"USD","reason_code":"10.4",'
    b'"reason_description":"Other Fraud - Card-Absent Environment","stage":"first_chargeback",'
    b'"response_due_date":null}'
)


def test_normalised_lines_validated_a_chunk_at_a_time_give_every_record_in_order() -> None:
    data = b"\n".join(LINE % i for i in range(500)) + b"\n"
    records = list(iter_normalised_records(io.BytesIO(data), chunk_size=4096))
    assert [r.chargeback_id for r in records] == [f"CB-{i}" for i in range(500)]
    assert records[0].amount == Decimal("125.50")


def test_two_records_on_one_line_fail_as_they_did_line_by_line() -> None:
    data = LINE % 1 + b"\n" + LINE % 2 + b"," + LINE % 3 + b"\n" + LINE % 4 + b"\n"
    seen: list[str] = []
    with pytest.raises(ValidationError):
        for record in iter_normalised_records(io.BytesIO(data)):
            seen.append(record.chargeback_id)
    assert seen == ["CB-1"]


PIECES = [*",\"\r\n =+-@\t'é東\x01\\:", "null", ':"=', '":null', "a", "7"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=4).map("".join)


@given(
    texts=st.lists(st.none() | TEXT, min_size=10, max_size=10),
    network=st.sampled_from(list(Network)),
    stage=st.sampled_from(list(Stage)),
    amount=st.sampled_from(["1.50", "12", "1E+3", "-4.00", "0.001", "7.000", "1.5E-7", "125.5"]),
    currency=st.sampled_from(["USD", "JPY", "BHD"]),
    due=st.none() | st.just(date(2026, 2, 2)),
)
def test_row_length_from_the_json_line_is_the_rendered_row_length(
    texts, network, stage, amount, currency, due
) -> None:
    required = [text or "x" for text in texts]
    record = ChargebackRecord.from_checked(
        {
            "chargeback_id": required[0], "network": network, "case_number": texts[1], "arn": texts[2],
            "card_number": required[3], "merchant_id": required[4], "merchant_name": texts[5],
            "transaction_id": texts[6], "transaction_date": date(2026, 1, 2), "chargeback_date": date(2026, 1, 3),
            "amount": Decimal(amount), "currency": currency, "reason_code": required[7],
            "reason_description": required[8], "stage": stage, "response_due_date": due,
        }
    )  # fmt: skip
    assert outcome(row_length, record, _TO_JSON(record)) == outcome(lambda r: len(render_row(r)), record)

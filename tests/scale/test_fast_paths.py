"""The fast paths of issue 6 give exactly what the plain code they stand in for gives."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate_batch import make_record
from chargeback.csv_writer import _amount_cell, _RowRenderer, render_row
from chargeback.currencies import format_amount
from chargeback.fast_path import usual_record_row
from chargeback.models import ChargebackRecord
from chargeback.validation import validate_record

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


TODAY = date(2026, 11, 22)
BASE = {
    "chargeback_id": "CB-1", "network": "visa", "case_number": "VI-1", "arn": "1" * 23,
    "card_number": "4111111111111111", "merchant_id": "M-1", "merchant_name": "Acme", "transaction_id": "T-1",
    "transaction_date": "2026-06-01", "chargeback_date": "2026-06-15", "amount": "125.50", "currency": "USD",
    "reason_code": "10.4", "stage": "first_chargeback", "response_due_date": "2026-07-15",
}  # fmt: skip
CANDIDATES: dict[str, list[object]] = {
    "chargeback_id": ["CB-2", "-CB", "=1", "a" * 64, "a" * 65, "4111111111111111", "CB 1", "", None, 5, "é"],
    "network": ["VISA", "Master Card", "mc", "AMEX", "DISC", "nope", "", None, 1, ["visa"]],
    "case_number": [None, "", "=SUM(1)", "a,b", 'a"b', "a\r\nb", "東京", "\ud800", "4111 1111 1111 1111",
                    "CB-20261118-0001", "x\x00y", 7, "\t1"],
    "arn": [None, "", "2" * 22, "a" * 23, 5, "1" * 24],
    "card_number": ["4111111111111112", "411111******1111", "411111XXXXXX1111", "411111xxxxxx1111",
                    "4111-1111-1111-1111", "411111***1111", "41111*1111", "", None, 4111111111111111,
                    "5555555555554444", "411111*******11111", "4111111111111111111"],
    "merchant_id": ["", " ", "a" * 64, "a" * 65, "Müller", "+1", "\x01", None, "a,b", '"q"'],
    "merchant_name": [None, "", "Café, Zürich", 'Smith "Bob"', "=cmd", "\u2028", "\ud800", "line\nbreak",
                      "4111111111111111", "Card 4111-1111-1111-1111", "3782 822463 10005", "a\x00b", 1,
                      "Call 1-800-555-0199 - 2"],
    "transaction_id": [None, "", "@x", "TXN 4111 1111", "4012888888881881", "-1", "T,1", 'T"1', "T\r1"],
    "transaction_date": ["2026-02-30", "2026-6-1", "2026-06-01T00:00", "", None, 20260601, "2026-06-16",
                         "0999-01-01"],
    "chargeback_date": ["2026-05-01", "2026-11-22", "2026-11-23", "2026-02-29", None, "2026-06-01"],
    "amount": ["125.5", "0.00", "0", "-1.00", "1E+2", Decimal("125.50"), Decimal("125.5"), 125, "0125.50",
               "10.123", "999999999999.99", "1000000000000.00", True, 12.5, "", None, "125.50 ", "0.01",
               Decimal("1E+2"), "\uff17.00"],
    "currency": ["usd", "JPY", "BHD", "XXX", "US", None, "XAU", "EUR"],
    "reason_code": ["4837", "f29", "F29", "UA02", "nope", "", None, "13.1"],
    "stage": [None, "", "Representment", "pre-arb", "nope", 3, ["x"], "arbitration", "chargeback"],
    "response_due_date": [None, "", "2026-13-01", 5, "2026-01-01"],
}  # fmt: skip
EXTRA_FIELDS: list[dict[str, object]] = [{}, {}, {}, {"cvv": "123"}, {"note": "x"}, {"CVV2": ""}]
EXTRAS = st.sampled_from(EXTRA_FIELDS)


@st.composite
def raw_records(draw: st.DrawFn) -> object:
    overrides = draw(st.dictionaries(st.sampled_from(sorted(CANDIDATES)), st.none(), max_size=4))
    raw: dict[str, object] = dict(BASE)
    for name in overrides:
        raw[name] = draw(st.sampled_from(CANDIDATES[name]))
    if draw(st.booleans()):
        raw = {name: value for name, value in raw.items() if value is not None}  # absent, not null
    return raw | draw(EXTRAS)


@settings(max_examples=1500, deadline=None)
@given(raw_records())
def test_usual_record_row_gives_what_validate_record_then_render_row_give(raw: object) -> None:
    fast = usual_record_row(raw, TODAY.isoformat())
    full = validate_record(raw, 0, TODAY)
    if fast is not None:  # the fast path never rejects; what it takes, it takes as the full path would
        assert isinstance(full, ChargebackRecord)
        assert fast == (full.chargeback_id, full.network.value, render_row(full))


@pytest.mark.parametrize("text", ["Call 1-800-555-0199 - 2", "Suite 100 - 2000 - 3000", "0" * 12 + "-1"])
def test_a_digit_run_that_is_no_card_number_still_takes_the_fast_path(text: str) -> None:
    # Digits, spaces and dashes are folded alike before the card-number search: a long run of them only
    # leads to the exact search, which finds no card number here.
    raw = BASE | {"merchant_name": text, "case_number": text}
    full = validate_record(raw, 0, TODAY)
    assert isinstance(full, ChargebackRecord)
    expected = (full.chargeback_id, full.network.value, render_row(full))
    assert usual_record_row(raw, TODAY.isoformat()) == expected


@pytest.mark.parametrize("known", ["network", "amount", "stage", "arn"])
def test_a_record_with_an_unknown_field_in_place_of_a_known_one_is_declined(known: str) -> None:
    # Fifteen fields, as the usual record has, but one is not a contract field: the full path checks it.
    raw = {name: value for name, value in BASE.items() if name != known} | {"cvv": "123"}
    assert len(raw) == len(BASE)
    assert usual_record_row(raw, TODAY.isoformat()) is None


def test_the_usual_records_of_a_realistic_batch_take_the_fast_path() -> None:
    rng = random.Random(7)
    # As the reader gives them: JSON numbers as int or Decimal.
    raws = [
        json.loads(json.dumps(make_record(rng, index, reject_rate=0.0)), parse_float=Decimal)
        for index in range(2000)
    ]
    taken = [usual_record_row(raw, TODAY.isoformat()) for raw in raws]
    # Amounts given as JSON numbers with fewer fraction digits than the currency's go the full path.
    assert sum(row is not None for row in taken) >= 0.9 * len(raws)
    for raw, row in zip(raws, taken, strict=True):
        if row is not None:
            full = validate_record(raw, 0, TODAY)
            assert isinstance(full, ChargebackRecord) and row[2] == render_row(full)

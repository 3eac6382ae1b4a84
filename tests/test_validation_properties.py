"""Property-based tests (hypothesis): whatever a record holds, validation returns a record or a rejection,
and never echoes a full card number (PAN) or a card security value in what it says."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chargeback.masking import find_full_pans, luhn_valid
from chargeback.models import ChargebackRecord
from chargeback.validation import RecordRejection, derive_batch_id, validate_batch_id, validate_record

TODAY = date(2026, 1, 20)
FIELDS = (
    "chargeback_id", "network", "case_number", "arn", "card_number", "merchant_id", "merchant_name",
    "transaction_id", "transaction_date", "chargeback_date", "amount", "currency", "reason_code", "stage",
    "response_due_date",
)  # fmt: skip
SECURITY_NAMES = ("cvv", "CVV2", "cvc", "Cvc-2", "cid", "csc", "track2", "track_data", "pin", "PIN_BLOCK")
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def full_pans(draw: st.DrawFn) -> str:
    """A Luhn-valid card number of 13-19 digits."""
    body = draw(st.text(alphabet="0123456789", min_size=12, max_size=18))
    return next(body + check for check in "0123456789" if luhn_valid(body + check))


@st.composite
def pan_like_text(draw: st.DrawFn) -> str:
    """A full PAN, maybe grouped with spaces or hyphens, maybe inside other text."""
    pan = draw(full_pans())
    style = draw(st.sampled_from(["bare", "spaced", "hyphened", "embedded"]))
    if style == "spaced":
        return " ".join(pan[i : i + 4] for i in range(0, len(pan), 4))
    if style == "hyphened":
        return "-".join(pan[i : i + 4] for i in range(0, len(pan), 4))
    if style == "embedded":
        return (
            draw(st.text(alphabet="abc_-. ", max_size=5)) + pan + draw(st.text(alphabet="xyz_-.", max_size=5))
        )
    return pan


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.decimals()
    | st.text(max_size=30)
    | pan_like_text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

plausible_values = {
    "chargeback_id": st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True) | full_pans(),
    "network": st.sampled_from(
        ["visa", "VISA", "MC", "Master Card", "amex", "American Express", "DISC", "jcb"]
    ),
    "arn": st.from_regex(r"[0-9]{21,24}", fullmatch=True),
    "card_number": st.sampled_from(["411111******1111", "5555 55XX XXXX 4444"]) | pan_like_text(),
    "merchant_id": st.text(min_size=1, max_size=70),
    "transaction_date": st.dates().map(date.isoformat),
    "chargeback_date": st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 3, 1)).map(date.isoformat),
    "amount": st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10, max_value=10**6)
    | st.text(alphabet="0123456789.eE+-", max_size=12),
    "currency": st.sampled_from(["USD", "usd", "JPY", "BHD", "XAU", "EURO"]),
    "reason_code": st.sampled_from(
        ["10.4", "13.1", "12.6.1", "4837", "4853", "F29", "c08", "UA02", "RG", "zz"]
    ),
    "stage": st.sampled_from(["first_chargeback", "Representment", "pre-arbitration", "arbitration", "x"]),
}


VALID_BASE: dict[str, object] = {
    "chargeback_id": "CB-1",
    "network": "visa",
    "card_number": "411111******1111",
    "merchant_id": "M1",
    "merchant_name": "Acme",
    "transaction_date": "2026-01-01",
    "chargeback_date": "2026-01-02",
    "amount": "1.00",
    "currency": "USD",
    "reason_code": "10.4",
}


@st.composite
def raw_records(draw: st.DrawFn) -> dict[str, object]:
    """Records from valid to wild: a valid record with some fields dropped, changed to plausible values,
    PAN-like text or any JSON value, plus maybe card security fields and unknown fields."""
    record = dict(VALID_BASE)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=len(FIELDS), unique=True)):
        choice = draw(st.sampled_from(["plausible", "plausible", "absent", "pan", "any"]))
        if choice == "absent":
            record.pop(name, None)
        elif choice == "pan":
            record[name] = draw(pan_like_text())
        elif choice == "any" or name not in plausible_values:
            record[name] = draw(json_values)
        else:
            record[name] = draw(plausible_values[name])
    for name in draw(st.lists(st.sampled_from(SECURITY_NAMES), max_size=2, unique=True)):
        record[name] = draw(st.sampled_from(["zq735", "zq9921", None, ""]) | pan_like_text())
    record.update(draw(st.dictionaries(st.text(max_size=12), json_values, max_size=3)))
    return record


def _input_strings(value: object) -> list[str]:
    """Every string, number and key the input holds."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.extend(str(key) for key in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not None:
            found.append(str(item))
    return found


def _input_pans(value: object) -> set[str]:
    """Every Luhn-valid run of 13-19 digits in the input, and the card number given grouped, ungrouped."""
    pans: set[str] = set()
    for text in _input_strings(value):
        pans.update(find_full_pans(text))
    if isinstance(value, dict) and isinstance(value.get("card_number"), str):
        pans.update(find_full_pans(value["card_number"].replace(" ", "").replace("-", "")))
    return pans


def _assert_says_nothing_secret(rejection: RecordRejection, raw: object) -> None:
    said = "\n".join(
        [
            rejection.describe("input.json"),
            json.dumps(rejection.to_report(), ensure_ascii=False),
            repr(rejection),
        ]
    )
    assert not set(find_full_pans(said)) & _input_pans(raw)
    if isinstance(raw, dict) and isinstance(raw.get("card_number"), str) and len(raw["card_number"]) >= 13:
        # Not as a number of its own. Inside a longer run of digits (a 20-digit chargeback id, which is
        # echoed as the CSV would carry it) it is not a card number.
        assert not re.search(rf"(?<![0-9]){re.escape(raw['card_number'])}(?![0-9])", said)
    for error in rejection.errors:
        assert not find_full_pans(error.message)
        assert not find_full_pans(error.field)
    assert "zq735" not in said and "zq9921" not in said


@PROPERTY_SETTINGS
@given(json_values)
def test_any_json_value_gives_a_record_or_a_rejection(raw: object) -> None:
    result = validate_record(raw, 0, TODAY)

    assert isinstance(result, RecordRejection)  # no JSON value but an object can be a record
    _assert_says_nothing_secret(result, raw)


@PROPERTY_SETTINGS
@given(raw_records(), st.integers(min_value=0, max_value=10**9))
def test_any_record_gives_a_record_or_a_rejection_that_echoes_no_pan(
    raw: dict[str, object], index: int
) -> None:
    result = validate_record(raw, index, TODAY)

    assert isinstance(result, (ChargebackRecord, RecordRejection))
    if isinstance(result, RecordRejection):
        assert result.index == index
        assert result.errors
        _assert_says_nothing_secret(result, raw)
    else:
        dumped = result.model_dump_json()
        assert ChargebackRecord.model_validate_json(dumped) == result
        assert not set(find_full_pans(dumped)) & _input_pans({"card_number": raw["card_number"]})
        assert sum(c.isdigit() for c in result.card_number) == 10 and "*" in result.card_number
        assert "zq735" not in dumped and "zq9921" not in dumped
        assert all(raw.get(name) in (None, "") for name in SECURITY_NAMES)
    event(type(result).__name__)


@PROPERTY_SETTINGS
@given(full_pans(), st.sampled_from(["", " ", "-"]))
def test_every_full_pan_is_masked_to_first_six_and_last_four(pan: str, separator: str) -> None:
    grouped = separator.join(pan[i : i + 4] for i in range(0, len(pan), 4))
    raw = {
        "chargeback_id": "CB-1",
        "network": "visa",
        "card_number": grouped,
        "merchant_id": "M1",
        "transaction_date": "2026-01-01",
        "chargeback_date": "2026-01-02",
        "amount": "1.00",
        "currency": "USD",
        "reason_code": "10.4",
    }

    record = validate_record(raw, 0, TODAY)

    assert isinstance(record, ChargebackRecord)
    assert record.card_number == pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
    assert pan not in record.model_dump_json()


@PROPERTY_SETTINGS
@given(st.text(max_size=300), st.text(max_size=40))
def test_derived_batch_ids_are_always_valid_and_never_hold_a_pan(key: str, etag: str) -> None:
    batch_id = derive_batch_id(key, etag)

    assert validate_batch_id(batch_id) == batch_id
    assert not find_full_pans(batch_id)


@PROPERTY_SETTINGS
@given(json_values | st.from_regex(r"[A-Za-z0-9._-]{1,70}", fullmatch=True))
def test_validate_batch_id_keeps_only_safe_ids(value: object) -> None:
    kept = validate_batch_id(value)

    if kept is not None:
        assert kept == value
        assert 1 <= len(kept) <= 64 and not kept.startswith(".")
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in kept)
        assert not find_full_pans(kept)


def test_amount_given_as_decimal_is_never_turned_into_a_float() -> None:
    raw = {
        "chargeback_id": "CB-1",
        "network": "visa",
        "card_number": "411111******1111",
        "merchant_id": "M1",
        "transaction_date": "2026-01-01",
        "chargeback_date": "2026-01-02",
        "amount": Decimal("0.30"),
        "currency": "USD",
        "reason_code": "10.4",
    }

    record = validate_record(raw, 0, TODAY)

    assert isinstance(record, ChargebackRecord)
    assert type(record.amount) is Decimal and record.amount == Decimal("0.1") * 3

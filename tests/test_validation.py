"""Every rule of the record table (contract section 2): valid forms accepted, invalid ones rejected with the
record's index, the field and the rule named; full PANs and card security values never echoed."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, localcontext

import pytest

from chargeback.models import BatchHeader, ChargebackRecord, Stage
from chargeback.networks import Network
from chargeback.validation import (
    CARD_SECURITY_FIELDS,
    FieldError,
    RecordRejection,
    derive_batch_id,
    duplicate_id_rejection,
    validate_batch_id,
    validate_record,
)

TODAY = date(2026, 1, 20)
FULL_PAN = "4111111111111111"
MISSING = object()


def raw_record(**changes: object) -> dict[str, object]:
    """A valid raw record as the reader yields it, with `changes` applied (MISSING deletes a field)."""
    record: dict[str, object] = {
        "chargeback_id": "CB-2026-0001",
        "network": "visa",
        "case_number": "VCR-77812",
        "arn": "74123456789012345678901",
        "card_number": "411111******1111",
        "merchant_id": "MID-000123",
        "merchant_name": "Acme Books",
        "transaction_id": "TX-991",
        "transaction_date": "2026-01-02",
        "chargeback_date": "2026-01-15",
        "amount": Decimal("125.50"),
        "currency": "USD",
        "reason_code": "10.4",
        "stage": "first_chargeback",
        "response_due_date": "2026-02-14",
    }
    for name, value in changes.items():
        if value is MISSING:
            record.pop(name, None)
        else:
            record[name] = value
    return record


def accepted(raw: object) -> ChargebackRecord:
    result = validate_record(raw, 3, TODAY)
    assert isinstance(result, ChargebackRecord), result
    return result


def rejected(raw: object, index: int = 3) -> RecordRejection:
    result = validate_record(raw, index, TODAY)
    assert isinstance(result, RecordRejection), result
    return result


def test_valid_record_is_normalised_into_the_record_model() -> None:
    record = accepted(raw_record())

    assert record.model_dump(mode="json") == {
        "chargeback_id": "CB-2026-0001",
        "network": "visa",
        "case_number": "VCR-77812",
        "arn": "74123456789012345678901",
        "card_number": "411111******1111",
        "merchant_id": "MID-000123",
        "merchant_name": "Acme Books",
        "transaction_id": "TX-991",
        "transaction_date": "2026-01-02",
        "chargeback_date": "2026-01-15",
        "amount": "125.50",
        "currency": "USD",
        "reason_code": "10.4",
        "reason_description": "Other Fraud - Card-Absent Environment",
        "stage": "first_chargeback",
        "response_due_date": "2026-02-14",
    }


ACCEPTED_FORMS = [
    # (changes, field, normalised value)
    ({"chargeback_id": "A"}, "chargeback_id", "A"),
    ({"chargeback_id": "x" * 64}, "chargeback_id", "x" * 64),
    ({"chargeback_id": "cb_2026.01-05"}, "chargeback_id", "cb_2026.01-05"),
    ({"network": "VISA"}, "network", Network.VISA),
    ({"network": "  Visa Inc. "}, "network", Network.VISA),
    ({"network": "MC", "reason_code": "4837"}, "network", Network.MASTERCARD),
    ({"network": "Master Card", "reason_code": "4853"}, "network", Network.MASTERCARD),
    ({"network": "master-card", "reason_code": "4808"}, "network", Network.MASTERCARD),
    ({"network": "AMEX", "reason_code": "F29"}, "network", Network.AMEX),
    ({"network": "American Express", "reason_code": "C08"}, "network", Network.AMEX),
    ({"network": "DISC", "reason_code": "UA02"}, "network", Network.DISCOVER),
    ({"network": "Discover Card", "reason_code": "AA"}, "network", Network.DISCOVER),
    ({"case_number": MISSING}, "case_number", None),
    ({"case_number": ""}, "case_number", None),
    ({"arn": MISSING}, "arn", None),
    ({"arn": None}, "arn", None),
    ({"arn": ""}, "arn", None),
    ({"card_number": "411111XXXXXX1111"}, "card_number", "411111******1111"),
    ({"card_number": "411111xxxxxx1111"}, "card_number", "411111******1111"),
    ({"card_number": "4111 11** **** 1111"}, "card_number", "411111******1111"),
    ({"card_number": "4111-11XX-XXXX-1111"}, "card_number", "411111******1111"),
    ({"card_number": "41111111XXXX1111"}, "card_number", "411111******1111"),
    ({"card_number": FULL_PAN}, "card_number", "411111******1111"),
    ({"card_number": "4111 1111 1111 1111"}, "card_number", "411111******1111"),
    ({"card_number": "378282246310005"}, "card_number", "378282*****0005"),
    ({"card_number": "4222222222222"}, "card_number", "422222***2222"),
    ({"card_number": "6011000000000000001"}, "card_number", "601100*********0001"),
    ({"merchant_id": "M"}, "merchant_id", "M"),
    ({"merchant_id": "Merchant 12/b#" + "x" * 50}, "merchant_id", "Merchant 12/b#" + "x" * 50),
    ({"merchant_name": "Café Zürich — 東京"}, "merchant_name", "Café Zürich — 東京"),
    ({"merchant_name": '=HYPERLINK("x")'}, "merchant_name", '=HYPERLINK("x")'),
    ({"merchant_name": None}, "merchant_name", None),
    ({"transaction_id": MISSING}, "transaction_id", None),
    ({"chargeback_date": "2026-01-02"}, "chargeback_date", date(2026, 1, 2)),
    ({"chargeback_date": "2026-01-20"}, "chargeback_date", TODAY),
    ({"transaction_date": "2024-02-29"}, "transaction_date", date(2024, 2, 29)),
    ({"amount": "125.5"}, "amount", Decimal("125.50")),
    ({"amount": "10.100"}, "amount", Decimal("10.10")),
    ({"amount": Decimal("10.100")}, "amount", Decimal("10.10")),
    ({"amount": 7}, "amount", Decimal("7.00")),
    ({"amount": "0.01"}, "amount", Decimal("0.01")),
    ({"amount": "1e2"}, "amount", Decimal("100.00")),
    ({"amount": "1.5E+1"}, "amount", Decimal("15.00")),
    ({"amount": Decimal("1200.0"), "currency": "JPY"}, "amount", Decimal("1200")),
    ({"amount": "1200", "currency": "JPY"}, "amount", Decimal("1200")),
    ({"amount": "12.345", "currency": "BHD"}, "amount", Decimal("12.345")),
    ({"amount": "12.3", "currency": "BHD"}, "amount", Decimal("12.300")),
    ({"currency": "usd"}, "currency", "USD"),
    ({"currency": "Jpy", "amount": "5"}, "currency", "JPY"),
    ({"currency": "EUR"}, "currency", "EUR"),
    ({"reason_code": "12.6.1"}, "reason_code", "12.6.1"),
    ({"reason_code": "13.1"}, "reason_code", "13.1"),
    ({"network": "amex", "reason_code": "f29"}, "reason_code", "F29"),
    ({"network": "discover", "reason_code": "rg"}, "reason_code", "RG"),
    ({"stage": MISSING}, "stage", Stage.FIRST_CHARGEBACK),
    ({"stage": None}, "stage", Stage.FIRST_CHARGEBACK),
    ({"stage": "Representment"}, "stage", Stage.REPRESENTMENT),
    ({"stage": "pre-arbitration"}, "stage", Stage.PRE_ARBITRATION),
    ({"stage": "ARBITRATION"}, "stage", Stage.ARBITRATION),
    ({"response_due_date": MISSING}, "response_due_date", None),
    ({"response_due_date": "2026-03-01"}, "response_due_date", date(2026, 3, 1)),
    ({"cvv": None}, "chargeback_id", "CB-2026-0001"),
    ({"cvv2": ""}, "chargeback_id", "CB-2026-0001"),
    ({"pin": "   "}, "chargeback_id", "CB-2026-0001"),
    ({"case_number": "4111111111111112"}, "case_number", "4111111111111112"),  # 16 digits, not Luhn-valid
    ({"chargeback_id": "ACQ-2026-11-18-000001"}, "chargeback_id", "ACQ-2026-11-18-000001"),  # groups, no card
    ({"case_number": "1234567890" * 2 + "123"}, "case_number", "1234567890" * 2 + "123"),  # 23 digits
    ({"amount": "999999999999.99"}, "amount", Decimal("999999999999.99")),
]


@pytest.mark.parametrize(("changes", "field", "expected"), ACCEPTED_FORMS, ids=repr)
def test_valid_forms_are_accepted_and_normalised(changes: dict, field: str, expected: object) -> None:
    record = accepted(raw_record(**changes))

    assert getattr(record, field) == expected
    if isinstance(expected, Decimal):
        assert str(record.amount) == str(expected)  # the exponent too: quantised to the minor units


REJECTED_FORMS = [
    # (changes, field, rule)
    ({"chargeback_id": MISSING}, "chargeback_id", "required"),
    ({"chargeback_id": ""}, "chargeback_id", "required"),
    ({"chargeback_id": 1234}, "chargeback_id", "type"),
    ({"chargeback_id": "CB 1"}, "chargeback_id", "pattern"),
    ({"chargeback_id": "CB/1"}, "chargeback_id", "pattern"),
    ({"chargeback_id": "CBé1"}, "chargeback_id", "pattern"),
    ({"chargeback_id": "x" * 65}, "chargeback_id", "length"),
    ({"network": MISSING}, "network", "required"),
    ({"network": "jcb"}, "network", "unknown_network"),
    ({"network": "visa mastercard"}, "network", "unknown_network"),
    ({"network": 4}, "network", "type"),
    ({"case_number": 77812}, "case_number", "type"),
    ({"arn": "7412345678901234567890"}, "arn", "pattern"),
    ({"arn": "741234567890123456789012"}, "arn", "pattern"),
    ({"arn": "7412345678901234567890A"}, "arn", "pattern"),
    ({"arn": "7412 3456789012345678901"}, "arn", "pattern"),
    ({"arn": 74123456789012345678901}, "arn", "type"),
    ({"card_number": MISSING}, "card_number", "required"),
    ({"card_number": "4111111111111112"}, "card_number", "luhn"),
    ({"card_number": "411111111111"}, "card_number", "length"),
    ({"card_number": "41111111111111111113"}, "card_number", "length"),
    ({"card_number": "411111****11"}, "card_number", "length"),
    ({"card_number": "4111************11"}, "card_number", "format"),
    ({"card_number": "411111**1111**1111"}, "card_number", "format"),
    ({"card_number": "411111######1111"}, "card_number", "format"),
    ({"card_number": "4111-1111-abcd-1111"}, "card_number", "format"),
    ({"card_number": "\uff14\uff11" * 8}, "card_number", "format"),
    ({"card_number": 4111111111111111}, "card_number", "type"),
    ({"merchant_id": MISSING}, "merchant_id", "required"),
    ({"merchant_id": ""}, "merchant_id", "required"),
    ({"merchant_id": "m" * 65}, "merchant_id", "length"),
    ({"merchant_id": "MID\n1"}, "merchant_id", "printable"),
    ({"merchant_id": "MID\x001"}, "merchant_id", "printable"),
    ({"merchant_id": 123}, "merchant_id", "type"),
    ({"merchant_name": 5}, "merchant_name", "type"),
    ({"merchant_name": "bad \ud800 surrogate"}, "merchant_name", "encoding"),
    ({"transaction_id": ["TX"]}, "transaction_id", "type"),
    ({"transaction_date": MISSING}, "transaction_date", "required"),
    ({"transaction_date": "2026-1-5"}, "transaction_date", "format"),
    ({"transaction_date": "2026-01-02T10:00:00"}, "transaction_date", "format"),
    ({"transaction_date": "2026-01-02 "}, "transaction_date", "format"),
    ({"transaction_date": "20260102"}, "transaction_date", "format"),
    ({"transaction_date": "02/01/2026"}, "transaction_date", "format"),
    ({"transaction_date": "2026-W01-1"}, "transaction_date", "format"),
    ({"transaction_date": "2026-02-30"}, "transaction_date", "invalid_date"),
    ({"transaction_date": "2025-02-29"}, "transaction_date", "invalid_date"),
    ({"transaction_date": 20260102}, "transaction_date", "type"),
    ({"chargeback_date": MISSING}, "chargeback_date", "required"),
    ({"chargeback_date": "2026-01-01"}, "chargeback_date", "before_transaction_date"),
    ({"chargeback_date": "2026-01-21"}, "chargeback_date", "in_future"),
    ({"chargeback_date": "2026-13-01"}, "chargeback_date", "invalid_date"),
    ({"amount": MISSING}, "amount", "required"),
    ({"amount": None}, "amount", "required"),
    ({"amount": "0"}, "amount", "positive"),
    ({"amount": Decimal("0.00")}, "amount", "positive"),
    ({"amount": "-12.50"}, "amount", "positive"),
    ({"amount": -3}, "amount", "positive"),
    ({"amount": "12,50"}, "amount", "format"),
    ({"amount": "1,000.00"}, "amount", "format"),
    ({"amount": "1_000"}, "amount", "format"),
    ({"amount": " 10.00"}, "amount", "format"),
    ({"amount": "$10"}, "amount", "format"),
    ({"amount": "NaN"}, "amount", "format"),
    ({"amount": "Infinity"}, "amount", "format"),
    ({"amount": Decimal("NaN")}, "amount", "format"),
    ({"amount": Decimal("-Infinity")}, "amount", "format"),
    ({"amount": "\u0661\u0660"}, "amount", "format"),
    ({"amount": True}, "amount", "type"),
    ({"amount": 10.5}, "amount", "type"),
    ({"amount": {"value": "10"}}, "amount", "type"),
    ({"amount": "10.123"}, "amount", "precision"),
    ({"amount": Decimal("10.001")}, "amount", "precision"),
    ({"amount": "1e-3"}, "amount", "precision"),
    ({"amount": "1200.5", "currency": "JPY"}, "amount", "precision"),
    ({"amount": "1.2345", "currency": "BHD"}, "amount", "precision"),
    ({"amount": "1e30"}, "amount", "too_large"),
    ({"amount": "4111111111111111"}, "amount", "too_large"),
    ({"case_number": "4111111111111111"}, "case_number", "card_number_in_text"),
    ({"merchant_name": "Refund to card 4111 1111 1111 1111"}, "merchant_name", "card_number_in_text"),
    ({"transaction_id": "TX-5555-5555-5555-4444"}, "transaction_id", "card_number_in_text"),
    ({"merchant_id": "MID4111111111111111"}, "merchant_id", "card_number_in_text"),
    ({"merchant_name": "Amex 3782 822463 10005"}, "merchant_name", "card_number_in_text"),
    ({"amount": 1234567890123}, "amount", "too_large"),
    ({"amount": 10**40}, "amount", "too_large"),
    ({"currency": MISSING}, "currency", "required"),
    ({"currency": "US"}, "currency", "unknown_currency"),
    ({"currency": "USDD"}, "currency", "unknown_currency"),
    ({"currency": "ABC"}, "currency", "unknown_currency"),
    ({"currency": "XAU"}, "currency", "unknown_currency"),
    ({"currency": "XXX"}, "currency", "unknown_currency"),
    ({"currency": "$"}, "currency", "unknown_currency"),
    ({"currency": 840}, "currency", "type"),
    ({"reason_code": MISSING}, "reason_code", "required"),
    ({"reason_code": "4837"}, "reason_code", "unknown_reason_code"),
    ({"reason_code": "10.6"}, "reason_code", "unknown_reason_code"),
    ({"reason_code": "10.4 "}, "reason_code", "unknown_reason_code"),
    ({"network": "mastercard", "reason_code": "10.4"}, "reason_code", "unknown_reason_code"),
    ({"network": "amex", "reason_code": "UA02"}, "reason_code", "unknown_reason_code"),
    ({"network": "discover", "reason_code": "F29"}, "reason_code", "unknown_reason_code"),
    ({"network": "mastercard", "reason_code": 4837}, "reason_code", "type"),
    ({"stage": "appeal"}, "stage", "unknown_stage"),
    ({"stage": 2}, "stage", "type"),
    ({"response_due_date": "next week"}, "response_due_date", "format"),
    ({"response_due_date": "2026-02-31"}, "response_due_date", "invalid_date"),
    ({"cvv": "123"}, "cvv", "card_security_data"),
    ({"CVV2": "123"}, "CVV2", "card_security_data"),
    ({"cvc-2": 123}, "cvc-2", "card_security_data"),
    ({"CID": "1234"}, "CID", "card_security_data"),
    ({"Track_2": ";4111111111111111=2512?"}, "Track_2", "card_security_data"),
    ({"track data": "%B4111111111111111^DOE/J^2512"}, "track data", "card_security_data"),
    ({"pin_block": "0412AC89ABCDEF67"}, "pin_block", "card_security_data"),
    ({"PIN": "1234"}, "PIN", "card_security_data"),
    ({"card": {"number": "x", "cvv": "123"}}, "cvv", "card_security_data"),
    ({"extras": [{"deep": [{"csc": "123"}]}]}, "csc", "card_security_data"),
]


@pytest.mark.parametrize(("changes", "field", "rule"), REJECTED_FORMS, ids=repr)
def test_invalid_forms_are_rejected_naming_record_field_and_rule(
    changes: dict, field: str, rule: str
) -> None:
    rejection = rejected(raw_record(**changes), index=41)

    assert rejection.index == 41
    assert (field, rule) in [(error.field, error.rule) for error in rejection.errors], rejection.errors
    line = rejection.describe("incoming/daily.json")
    assert line.startswith("incoming/daily.json: record 41 (")
    assert f"field '{field}' [{rule}]: " in line


@pytest.mark.parametrize("raw", [[], "record", 7, None, Decimal("1.5"), True, [raw_record()]], ids=repr)
def test_a_record_that_is_not_an_object_is_rejected_as_a_whole(raw: object) -> None:
    rejection = rejected(raw, index=0)

    assert rejection.errors == (FieldError("<record>", "type", "a record must be a JSON object"),)
    assert rejection.chargeback_id is None


def test_every_error_of_a_record_is_reported_not_just_the_first() -> None:
    raw = raw_record(network="jcb", arn="12", amount="-1", currency="usdx", stage="?", cvv="999")

    rejection = rejected(raw)

    assert [(e.field, e.rule) for e in rejection.errors] == [
        ("network", "unknown_network"),
        ("arn", "pattern"),
        ("amount", "positive"),
        ("currency", "unknown_currency"),
        ("stage", "unknown_stage"),
        ("cvv", "card_security_data"),
    ]


def test_unknown_fields_are_ignored_and_never_copied() -> None:
    record = accepted(
        raw_record(internal_note="call the merchant", risk={"score": 0.97}, reason_description="x")
    )

    dumped = record.model_dump_json()
    assert "call the merchant" not in dumped
    assert "score" not in dumped
    assert record.reason_description == "Other Fraud - Card-Absent Environment"


def test_full_pan_is_masked_and_appears_nowhere_in_the_record() -> None:
    record = accepted(raw_record(card_number="4111 1111 1111 1111"))

    assert record.card_number == "411111******1111"
    assert FULL_PAN not in record.model_dump_json()
    assert FULL_PAN not in repr(record)


def test_full_pan_and_security_value_appear_nowhere_in_a_rejection() -> None:
    raw = raw_record(
        chargeback_id=FULL_PAN, card_number="5555555555554443", amount="0", cvv2="735", track2=";" + FULL_PAN
    )

    rejection = rejected(raw)

    texts = [rejection.describe("f.json"), json.dumps(rejection.to_report()), repr(rejection)]
    for text in texts:
        assert FULL_PAN not in text
        assert "5555555555554443" not in text
        assert "735" not in text
    assert rejection.chargeback_id == "411111******1111"
    assert {e.rule for e in rejection.errors} >= {"luhn", "positive", "card_security_data"}


def test_rejection_describe_and_report_have_the_agreed_shape() -> None:
    rejection = rejected(raw_record(chargeback_id="CB-9", amount="10.123"), index=7)

    assert rejection.describe("in.json") == (
        "in.json: record 7 (chargeback_id CB-9): field 'amount' [precision]: "
        "amount has more fraction digits than USD allows (2), not rounded"
    )
    assert rejection.to_report() == {
        "index": 7,
        "chargeback_id": "CB-9",
        "errors": [
            {
                "field": "amount",
                "rule": "precision",
                "message": "amount has more fraction digits than USD allows (2), not rounded",
            }
        ],
    }


def test_rejection_of_an_invalid_id_carries_no_id() -> None:
    rejection = rejected(raw_record(chargeback_id="bad id", amount="0"))

    assert rejection.chargeback_id is None
    assert "(no valid chargeback_id)" in rejection.describe("f.json")


def test_duplicate_id_rejection_names_the_rule_and_keeps_the_id() -> None:
    rejection = duplicate_id_rejection(12, "CB-1")

    assert rejection.to_report() == {
        "index": 12,
        "chargeback_id": "CB-1",
        "errors": [
            {
                "field": "chargeback_id",
                "rule": "duplicate",
                "message": "chargeback_id appeared earlier in the file; the first occurrence is kept",
            }
        ],
    }


@pytest.mark.parametrize("name", sorted(CARD_SECURITY_FIELDS))
def test_every_card_security_field_rejects_the_record_in_any_spelling(name: str) -> None:
    for spelling in (name, name.upper(), name.replace("_", "-"), name.replace("_", "")):
        rejection = rejected(raw_record(**{spelling: "735"}))
        assert [(e.field, e.rule) for e in rejection.errors] == [(spelling, "card_security_data")]


def test_record_round_trips_through_json_exactly() -> None:
    records = [
        accepted(raw_record()),
        accepted(raw_record(amount="1200.0", currency="jpy", stage="arbitration", arn=None)),
        accepted(
            raw_record(amount="0.5", currency="BHD", merchant_name='Souq "Al" — ١٢', response_due_date=None)
        ),
    ]
    for record in records:
        again = ChargebackRecord.model_validate_json(record.model_dump_json())
        assert again == record
        assert str(again.amount) == str(record.amount)
        assert again.model_dump_json() == record.model_dump_json()


def test_record_built_by_validation_equals_one_validated_by_pydantic() -> None:
    record = accepted(raw_record())

    revalidated = ChargebackRecord.model_validate(record.model_dump())
    assert revalidated == record
    assert revalidated.model_fields_set == record.model_fields_set
    assert revalidated.model_dump_json() == record.model_dump_json()
    with pytest.raises(ValueError, match="frozen"):
        record.amount = Decimal(1)


def test_field_order_is_the_csv_column_order() -> None:
    assert tuple(ChargebackRecord.model_fields) == (
        "chargeback_id", "network", "case_number", "arn", "card_number", "merchant_id", "merchant_name",
        "transaction_id", "transaction_date", "chargeback_date", "amount", "currency", "reason_code",
        "reason_description", "stage", "response_due_date",
    )  # fmt: skip


@pytest.mark.parametrize(
    "batch_id", ["b", "2026-01-05", "VISA_batch.001", "x" * 64, "a..b", "-lead-hyphen", "_x"], ids=repr
)
def test_usable_batch_ids_are_kept(batch_id: str) -> None:
    assert validate_batch_id(batch_id) == batch_id


@pytest.mark.parametrize(
    "batch_id",
    [
        "",
        ".hidden",
        "..",
        "../etc",
        "a/b",
        "a\\b",
        "x" * 65,
        "sp ace",
        "é",
        123,
        None,
        FULL_PAN,
        "b-" + FULL_PAN,
    ],
    ids=repr,
)
def test_unusable_batch_ids_are_refused(batch_id: object) -> None:
    assert validate_batch_id(batch_id) is None


def test_derived_batch_id_is_stable_valid_and_follows_the_object() -> None:
    first = derive_batch_id("incoming/Daily Visa 2026-01-05.json", '"9b2cf535f27731c974343645a3985328"')

    assert first.startswith("Daily-Visa-2026-01-05-")
    assert validate_batch_id(first) == first
    assert first == derive_batch_id("incoming/Daily Visa 2026-01-05.json", "9b2cf535f27731c974343645a3985328")
    assert first != derive_batch_id("incoming/Daily Visa 2026-01-05.json", "another-etag")
    assert first != derive_batch_id(
        "incoming/other/Daily Visa 2026-01-05.json", "9b2cf535f27731c974343645a3985328"
    )


@pytest.mark.parametrize(
    "key",
    [
        "incoming/.json",
        "incoming/...",
        "incoming/../../etc/passwd",
        "incoming/" + "n" * 300 + ".jsonl",
        "",
        "/",
    ],
    ids=repr,
)
def test_derived_batch_id_is_valid_whatever_the_key(key: str) -> None:
    batch_id = derive_batch_id(key, "etag")

    assert validate_batch_id(batch_id) == batch_id
    assert "/" not in batch_id and not batch_id.startswith(".")


def test_derived_batch_id_never_carries_a_card_number_from_the_key() -> None:
    batch_id = derive_batch_id(f"incoming/{FULL_PAN}.json", "e")

    assert FULL_PAN not in batch_id
    assert batch_id.startswith("411111-1111-")


def test_batch_header_keeps_strings_masks_card_numbers_and_drops_other_types() -> None:
    header = BatchHeader.model_validate(
        {"batch_id": "B-1", "source": f"ops {FULL_PAN}", "created_at": 20260105, "chargebacks": []}
    )

    assert header == BatchHeader(batch_id="B-1", source="ops 411111******1111", created_at=None)
    assert BatchHeader.model_validate({"batch_id": FULL_PAN}).batch_id == "411111******1111"
    assert len(BatchHeader.model_validate({"source": "s" * 10_000}).source or "") == 200


def test_validation_does_not_depend_on_the_callers_decimal_context() -> None:
    with localcontext() as context:
        context.prec = 3
        record = accepted(raw_record(amount="123456.7"))
    assert str(record.amount) == "123456.70"


@pytest.mark.parametrize(
    "name",
    ["tracking_number", "pin_code", "pinned", "cvv_present", "stripe_data", "description", "csc_result"],
)
def test_fields_that_only_look_like_card_security_data_are_ignored(name: str) -> None:
    record = accepted(raw_record(**{name: "560001"}))

    assert "560001" not in record.model_dump_json()

"""Writes the bad-input corpus beside this file and its `expected.json`: `python tests/data/bad/build_corpus.py`.

Each case is one input file and what the processing path must answer:

- `{"error": "InvalidBatchFile"}`: the file cannot be read as a batch (syntax, encoding, shape);
- `{"error": "BatchRejected"}`: it reads, but no record is valid;
- `{"error": "rejected", "field": F, "rule": R}`: the file holds a valid record and one bad record; the bad one
  is left out and its rejects-report entry names that field and rule, the valid one goes on;
- `{"error": null}`: odd but acceptable (exponents, huge free text); every record goes on.

`security_values` lists card security values the file holds; like any full card number in it, they must appear
in no output. The files are committed; this script documents how they were made and remakes them.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PAN = "4111111111111111"


def good(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "chargeback_id": "CB-GOOD-1",
        "network": "visa",
        "case_number": "CASE-1",
        "card_number": PAN,
        "merchant_id": "MID-1",
        "merchant_name": "Acme",
        "transaction_id": "TX-1",
        "transaction_date": "2026-10-01",
        "chargeback_date": "2026-10-15",
        "amount": "125.50",
        "currency": "USD",
        "reason_code": "10.4",
    }
    for key, value in overrides.items():
        if value is _DROP:
            record.pop(key, None)
        else:
            record[key] = value
    return record


_DROP = object()


def bad(**overrides: Any) -> dict[str, Any]:
    return good(**{"chargeback_id": "CB-BAD-1", **overrides})


def pair(bad_record: Any) -> bytes:
    return json.dumps([good(), bad_record], ensure_ascii=False).encode("utf-8")


def raw_pair(bad_record_text: str) -> bytes:
    """A good record and a bad one given as JSON text (for duplicate keys and raw numbers)."""
    return ("[" + json.dumps(good()) + ",\n" + bad_record_text + "]").encode("utf-8")


def rejected(field: str, rule: str) -> dict[str, Any]:
    return {"error": "rejected", "field": field, "rule": rule}


INVALID = {"error": "InvalidBatchFile"}
NO_VALID = {"error": "BatchRejected"}
FINE = {"error": None}
SAMPLE_START = json.dumps({"batch_id": "B-1", "chargebacks": [good(), bad()]}).encode()

CASES: dict[str, tuple[bytes, dict[str, Any]]] = {
    # --- syntax -----------------------------------------------------------------------------------
    "empty.json": (b"", INVALID),
    "whitespace_only.json": (b" \n\t\r\n ", INVALID),
    "truncated_object.json": (SAMPLE_START[: len(SAMPLE_START) // 2], INVALID),
    "truncated_in_a_pan.json": (SAMPLE_START[: SAMPLE_START.index(PAN.encode()) + 9], INVALID),
    "trailing_comma.json": (pair(good(chargeback_id="CB-2"))[:-1] + b",]", INVALID),
    "trailing_garbage.json": (pair(good(chargeback_id="CB-2")) + b" ]]garbage", INVALID),
    "single_quotes.json": (b"[{'chargeback_id': 'CB-1', 'network': 'visa'}]", INVALID),
    "unquoted_keys.json": (b'[{chargeback_id: "CB-1"}]', INVALID),
    "comment.json": (b"// export\n" + pair(good(chargeback_id="CB-2")), INVALID),
    "nan_literal.json": (raw_pair(json.dumps(bad())[:-1] + ', "fee": NaN}'), INVALID),
    "infinity_amount.json": (raw_pair(json.dumps(bad(amount=_DROP))[:-1] + ', "amount": Infinity}'), INVALID),
    "negative_infinity_amount.json": (
        raw_pair(json.dumps(bad(amount=_DROP))[:-1] + ', "amount": -Infinity}'),
        INVALID,
    ),
    "leading_zero_number.json": (
        raw_pair(json.dumps(bad(amount=_DROP))[:-1] + ', "amount": 0125.50}'),
        INVALID,
    ),
    "hex_number.json": (raw_pair(json.dumps(bad(amount=_DROP))[:-1] + ', "amount": 0x10}'), INVALID),
    "unterminated_string.json": (b'[{"chargeback_id": "CB-1, "network": "visa"}]', INVALID),
    "control_char_in_string.json": (b'[{"chargeback_id": "CB\x01-1"}]', INVALID),
    # --- encoding ---------------------------------------------------------------------------------
    "invalid_utf8.json": (
        pair(bad(merchant_name="Caf\u00e9")).replace("Caf\u00e9".encode(), b"Caf\xe9"),
        INVALID,
    ),
    "overlong_utf8.json": (pair(bad(merchant_name="a/b")).replace(b"a/b", b"a\xc0\xafb"), INVALID),
    "utf16_with_bom.json": (codecs.BOM_UTF16_LE + pair(good()).decode().encode("utf-16-le"), INVALID),
    "latin1_file.json": (pair(bad(merchant_name="Z\u00fcrich")).decode().encode("latin-1"), INVALID),
    # A lone surrogate escape is no Unicode character. yajl reads a high one as '?' (the record goes on with
    # that) and turns a low one into bytes that are not UTF-8 (the file is refused).
    "lone_high_surrogate_escape.json": (
        raw_pair(json.dumps(bad())[:-1] + ', "merchant_name": "a\\ud800b"}'),
        FINE,
    ),
    "lone_low_surrogate_escape.json": (
        raw_pair(json.dumps(bad())[:-1] + ', "merchant_name": "\\udc00"}'),
        INVALID,
    ),
    # --- shape ------------------------------------------------------------------------------------
    "top_level_string.json": (b'"chargebacks"', INVALID),
    "top_level_number.json": (b"42", INVALID),
    "top_level_null.json": (b"null", INVALID),
    "object_without_chargebacks.json": (b'{"batch_id": "B-1", "records": []}', INVALID),
    "chargebacks_is_an_object.json": (b'{"batch_id": "B-1", "chargebacks": {"0": {}}}', INVALID),
    "chargebacks_is_a_string.json": (b'{"chargebacks": "' + PAN.encode() + b'"}', INVALID),
    "json_lines_with_an_array_line.jsonl": (
        (json.dumps(good()) + "\n[1, 2]\n").encode(),
        INVALID,
    ),
    "json_lines_with_a_broken_line.jsonl": (
        (json.dumps(good()) + '\n{"chargeback_id": \n').encode(),
        INVALID,
    ),
    "array_of_numbers.json": (b"[1, 2, 3]", NO_VALID),
    "array_of_nulls.json": (b"[null, null]", NO_VALID),
    "empty_array.json": (b"[]", NO_VALID),
    "empty_chargebacks.json": (b'{"batch_id": "B-1", "chargebacks": []}', NO_VALID),
    "deep_nesting.json": (b"[" * 20_000 + b"]" * 20_000, NO_VALID),
    "record_is_a_string.json": (pair(PAN), rejected("<record>", "type")),
    "record_is_an_array.json": (pair([bad()]), rejected("<record>", "type")),
    # --- field rules (CONTRACT section 2) ---------------------------------------------------------
    "chargeback_id_missing.json": (pair(good(chargeback_id=_DROP)), rejected("chargeback_id", "required")),
    "chargeback_id_too_long.json": (pair(bad(chargeback_id="C" * 65)), rejected("chargeback_id", "length")),
    "chargeback_id_path_traversal.json": (
        pair(bad(chargeback_id="../../etc/passwd")),
        rejected("chargeback_id", "pattern"),
    ),
    "chargeback_id_a_number.json": (pair(bad(chargeback_id=12345)), rejected("chargeback_id", "type")),
    "chargeback_id_duplicate.json": (pair(good()), rejected("chargeback_id", "duplicate")),
    "network_unknown.json": (pair(bad(network="diners")), rejected("network", "unknown_network")),
    "network_missing.json": (pair(bad(network=_DROP)), rejected("network", "required")),
    "network_an_object.json": (pair(bad(network={"name": "visa"})), rejected("network", "type")),
    "arn_22_digits.json": (pair(bad(arn="7" * 22)), rejected("arn", "pattern")),
    "arn_a_number.json": (
        raw_pair(json.dumps(bad())[:-1] + ', "arn": 74912346253082947165832}'),
        rejected("arn", "type"),
    ),
    "card_number_missing.json": (pair(bad(card_number=_DROP)), rejected("card_number", "required")),
    "card_number_fails_luhn.json": (
        pair(bad(card_number="4111111111111112")),
        rejected("card_number", "luhn"),
    ),
    "card_number_12_digits.json": (pair(bad(card_number="411111111111")), rejected("card_number", "length")),
    "card_number_20_digits.json": (
        pair(bad(card_number="41111111111111111113")),
        rejected("card_number", "length"),
    ),
    "card_number_letters.json": (
        pair(bad(card_number="4111abcd11111111")),
        rejected("card_number", "format"),
    ),
    "card_number_a_json_number.json": (
        raw_pair(json.dumps(bad(card_number=_DROP))[:-1] + f', "card_number": {PAN}}}'),
        rejected("card_number", "type"),
    ),
    "card_number_fullwidth_digits.json": (
        pair(bad(card_number="\uff14\uff11\uff11\uff11" * 4)),
        rejected("card_number", "format"),
    ),
    "merchant_id_missing.json": (pair(bad(merchant_id=_DROP)), rejected("merchant_id", "required")),
    "merchant_id_too_long.json": (pair(bad(merchant_id="M" * 65)), rejected("merchant_id", "length")),
    "merchant_id_control_char.json": (
        pair(bad(merchant_id="MID\u0007")),
        rejected("merchant_id", "printable"),
    ),
    "merchant_name_a_list.json": (pair(bad(merchant_name=["Acme"])), rejected("merchant_name", "type")),
    "transaction_date_slashes.json": (
        pair(bad(transaction_date="2026/10/01")),
        rejected("transaction_date", "format"),
    ),
    "transaction_date_feb_30.json": (
        pair(bad(transaction_date="2026-02-30")),
        rejected("transaction_date", "invalid_date"),
    ),
    "transaction_date_missing.json": (
        pair(bad(transaction_date=_DROP)),
        rejected("transaction_date", "required"),
    ),
    "transaction_date_a_number.json": (
        pair(bad(transaction_date=20261001)),
        rejected("transaction_date", "type"),
    ),
    "transaction_date_with_time.json": (
        pair(bad(transaction_date="2026-10-01T10:00:00Z")),
        rejected("transaction_date", "format"),
    ),
    "chargeback_date_before_transaction.json": (
        pair(bad(chargeback_date="2026-09-01")),
        rejected("chargeback_date", "before_transaction_date"),
    ),
    "chargeback_date_in_future.json": (
        pair(bad(chargeback_date="2099-01-01")),
        rejected("chargeback_date", "in_future"),
    ),
    "amount_zero.json": (pair(bad(amount="0.00")), rejected("amount", "positive")),
    "amount_negative.json": (pair(bad(amount="-10.00")), rejected("amount", "positive")),
    "amount_text.json": (pair(bad(amount="ten dollars")), rejected("amount", "format")),
    "amount_nan_string.json": (pair(bad(amount="NaN")), rejected("amount", "format")),
    "amount_infinity_string.json": (pair(bad(amount="Infinity")), rejected("amount", "format")),
    "amount_boolean.json": (pair(bad(amount=True)), rejected("amount", "type")),
    "amount_missing.json": (pair(bad(amount=_DROP)), rejected("amount", "required")),
    "amount_too_precise_usd.json": (pair(bad(amount="10.123")), rejected("amount", "precision")),
    "amount_fraction_in_jpy.json": (
        pair(bad(amount="1200.5", currency="JPY")),
        rejected("amount", "precision"),
    ),
    "amount_huge.json": (pair(bad(amount="1" + "0" * 40)), rejected("amount", "too_large")),
    "amount_huge_exponent.json": (
        raw_pair(json.dumps(bad(amount=_DROP))[:-1] + ', "amount": 1e400}'),
        rejected("amount", "too_large"),
    ),
    "amount_tiny_exponent.json": (
        raw_pair(json.dumps(bad(amount=_DROP))[:-1] + ', "amount": 1e-400}'),
        rejected("amount", "precision"),
    ),
    "amount_exponent_exact.json": (
        raw_pair(json.dumps(bad(amount=_DROP))[:-1] + ', "amount": 1.2550E2}'),
        FINE,
    ),
    "amount_exponent_string_exact.json": (pair(bad(amount="1.2E3")), FINE),
    "amount_very_long_digits.json": (pair(bad(amount="1." + "0" * 5000)), rejected("amount", "format")),
    "currency_unknown.json": (pair(bad(currency="XYZ")), rejected("currency", "unknown_currency")),
    "currency_four_letters.json": (pair(bad(currency="USDD")), rejected("currency", "unknown_currency")),
    "currency_missing.json": (pair(bad(currency=_DROP)), rejected("currency", "required")),
    "reason_code_of_another_network.json": (
        pair(bad(reason_code="4837")),
        rejected("reason_code", "unknown_reason_code"),
    ),
    "reason_code_missing.json": (pair(bad(reason_code=_DROP)), rejected("reason_code", "required")),
    "stage_unknown.json": (pair(bad(stage="appeal")), rejected("stage", "unknown_stage")),
    "response_due_date_bad.json": (
        pair(bad(response_due_date="next week")),
        rejected("response_due_date", "format"),
    ),
    # --- card security data ------------------------------------------------------------------------
    "cvv_field.json": (
        pair(bad(cvv="4821")),
        {**rejected("cvv", "card_security_data"), "security_values": ["4821"]},
    ),
    "cvc2_upper_case.json": (
        pair(bad(CVC2="5307")),
        {**rejected("CVC2", "card_security_data"), "security_values": ["5307"]},
    ),
    "nested_track2.json": (
        pair(bad(extra={"card": {"Track-2": f";{PAN}=29121010000000000000?"}})),
        {**rejected("Track-2", "card_security_data"), "security_values": ["29121010000000000000"]},
    ),
    "pin_block.json": (
        pair(bad(pin_block="0412AC89ABCDEF67")),
        {**rejected("pin_block", "card_security_data"), "security_values": ["0412AC89ABCDEF67"]},
    ),
    # --- duplicate keys (the last one counts, as in most JSON parsers) -----------------------------
    "duplicate_key_amount.json": (
        raw_pair(json.dumps(bad())[:-1] + ', "amount": "10.123"}'),
        rejected("amount", "precision"),
    ),
    "duplicate_key_card_number.json": (
        raw_pair(json.dumps(bad())[:-1] + ', "card_number": "5555555555554445"}'),
        rejected("card_number", "luhn"),
    ),
    # --- very long values ---------------------------------------------------------------------------
    "chargeback_id_100k_chars.json": (
        pair(bad(chargeback_id="C" * 100_000)),
        rejected("chargeback_id", "length"),
    ),
    "merchant_name_200kb.json": (pair(bad(merchant_name="Zürich " * 30_000)), FINE),
    "extra_field_deeply_nested.json": (
        raw_pair(json.dumps(bad())[:-1] + ', "extra": ' + "[" * 5000 + '{"cvv": "8642"}' + "]" * 5000 + "}"),
        {**rejected("cvv", "card_security_data"), "security_values": ["8642"]},
    ),
}


def main() -> None:
    expected: dict[str, dict[str, Any]] = {}
    for name, (data, outcome) in CASES.items():
        (HERE / name).write_bytes(data)
        expected[name] = outcome
    (HERE / "expected.json").write_text(
        json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()

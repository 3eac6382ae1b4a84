"""Card numbers: Luhn, masking to first 6 + last 4, masked and full inputs, and leak scanning."""

from __future__ import annotations

import re

import pytest

from chargeback.masking import (
    CardNumberError,
    find_full_pans,
    luhn_valid,
    mask_pan,
    normalise_card_number,
    redact_pans,
)

LUHN_VALID = [
    "4111111111111111",  # Visa test card
    "4222222222222",  # 13-digit Visa
    "5555555555554444",  # Mastercard
    "2223003122003222",  # Mastercard 2-series
    "378282246310005",  # Amex, 15 digits
    "6011111111111117",  # Discover
    "3530111333300000",  # JCB
    "6011000000000000001",  # 19 digits
]


@pytest.mark.parametrize("digits", LUHN_VALID)
def test_known_test_card_numbers_pass_luhn(digits: str) -> None:
    assert luhn_valid(digits)


@pytest.mark.parametrize(
    "digits", ["4111111111111112", "5555555555554443", "378282246310006", "1234567812345678"]
)
def test_one_wrong_digit_fails_luhn(digits: str) -> None:
    assert not luhn_valid(digits)


@pytest.mark.parametrize("text", ["", "0", "4111 1111 1111 1111", "4111-1111", "\uff10\uff10", "abc"])
def test_luhn_refuses_anything_but_ascii_digits(text: str) -> None:
    assert not luhn_valid(text)


def test_luhn_catches_every_single_digit_change() -> None:
    pan = "4111111111111111"
    for position in range(len(pan)):
        for digit in "0123456789":
            changed = pan[:position] + digit + pan[position + 1 :]
            assert luhn_valid(changed) == (changed == pan)


@pytest.mark.parametrize(
    ("digits", "masked"),
    [
        ("4111111111111111", "411111******1111"),
        ("4222222222222", "422222***2222"),
        ("378282246310005", "378282*****0005"),
        ("6011000000000000001", "601100*********0001"),
    ],
)
def test_mask_keeps_first_six_and_last_four(digits: str, masked: str) -> None:
    assert mask_pan(digits) == masked
    assert len(mask_pan(digits)) == len(digits)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("411111******1111", "411111******1111"),
        ("411111XXXXXX1111", "411111******1111"),
        ("411111xxxxxx1111", "411111******1111"),
        ("411111*XxX**1111", "411111******1111"),
        ("4111 11** **** 1111", "411111******1111"),
        ("4111-11XX-XXXX-1111", "411111******1111"),
        ("41111111****1111", "411111******1111"),  # first 8 shown: re-masked to first 6
        ("411111******111111", "411111********1111"),  # last 6 shown: re-masked to last 4
        ("4111111111111111", "411111******1111"),
        (" 4111 1111 1111 1111 ", "411111******1111"),
        ("3782-822463-10005", "378282*****0005"),
        ("422222XXX2222", "422222***2222"),  # 13 digits, the shortest PAN
    ],
)
def test_accepted_card_numbers_come_out_masked(value: str, masked: str) -> None:
    assert normalise_card_number(value) == masked


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("4111111111111112", "luhn"),
        ("411111111111", "length"),
        ("41111111111111111113", "length"),
        ("4111***1111111", "format"),
        ("411111**1111**1111", "format"),
        ("************1111", "format"),
        ("411111**********", "format"),
        ("4111.1111.1111.1111", "format"),
        ("4111/1111/1111/1111", "format"),
        ("4111111111111111\n", "format"),
        ("\uff14" * 16, "format"),
        ("", "required"),
        ("   ", "required"),
        (4111111111111111, "type"),
        (None, "type"),
    ],
)
def test_refused_card_numbers_name_the_rule(value: object, rule: str) -> None:
    with pytest.raises(CardNumberError) as caught:
        normalise_card_number(value)  # type: ignore[arg-type]
    assert caught.value.rule == rule


@pytest.mark.parametrize(
    "value",
    ["4111111111111112", "4111 1111 1111 1112", "41111111111111111113", "4111a11111111111", "541234567890"],
)
def test_card_number_errors_hold_no_digits_of_the_input(value: str) -> None:
    with pytest.raises(CardNumberError) as caught:
        normalise_card_number(value)

    message = str(caught.value)
    digits = re.sub(r"\D", "", value)
    for start in range(len(digits) - 3):
        assert digits[start : start + 4] not in message  # not even four digits in a row
    assert caught.value.message == message


def test_find_full_pans_finds_every_luhn_valid_run_and_only_those() -> None:
    text = (
        "ok 4111111111111111, mc=5555555555554444; bad 4111111111111112; "
        "too long 41111111111111111113; arn 74123456789012345678901; masked 411111******1111; "
        "amex378282246310005x"
    )

    assert find_full_pans(text) == ["4111111111111111", "5555555555554444", "378282246310005"]


def test_find_full_pans_in_bytes_decoded_text_of_csv() -> None:
    csv_text = 'CB-1,visa,,,"411111******1111",M1\r\nCB-2,visa,,,4222222222222,M2\r\n'

    assert find_full_pans(csv_text) == ["4222222222222"]


def test_redact_pans_masks_full_pans_and_leaves_the_rest() -> None:
    assert redact_pans("file-4111111111111111-x.json") == "file-411111******1111-x.json"
    assert redact_pans("id 4111111111111112 and 12345") == "id 4111111111111112 and 12345"
    assert find_full_pans(redact_pans(" ".join(LUHN_VALID))) == []

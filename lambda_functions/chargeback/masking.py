"""Card numbers: Luhn check, masking to first 6 + last 4, and finding full PANs in text.

A full card number (PAN) never lives beyond `normalise_card_number`: it returns the masked form, and its
errors never contain the input or any of its digits.
"""

from __future__ import annotations

import re

PAN_MIN_DIGITS = 13
PAN_MAX_DIGITS = 19

# Masked input: at least the first 6 and last 4 digits shown, mask characters between.
_MASKED = re.compile(r"([0-9]{6,})[Xx*]+([0-9]{4,})")
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")
_SEPARATORS = str.maketrans("", "", " -")
_CANONICAL_MASKED = re.compile(r"[0-9]{6}\*{3,9}[0-9]{4}")  # already first 6 + '*' + last 4


class CardNumberError(ValueError):
    """A card number that is not accepted. `rule` names the broken rule; the message holds no digits."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def luhn_valid(digits: str) -> bool:
    """True when `digits` (ASCII digits only, at least 2) passes the Luhn (mod 10) check."""
    if len(digits) < 2 or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def mask_pan(digits: str) -> str:
    """First 6 + '*' for each hidden digit + last 4: '4111111111111111' -> '411111******1111'."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def normalise_card_number(value: str) -> str:
    """The masked PAN for a card number given masked or in full; raises CardNumberError otherwise.

    Accepted: a masked PAN ('411111******1111', 'X', 'x' or '*' as mask) or a full PAN of 13-19 digits that
    passes Luhn, either possibly grouped with spaces or hyphens. The result is always first 6 + '*' + last 4.
    """
    if not isinstance(value, str):
        raise CardNumberError("type", "card_number must be a string")
    if _CANONICAL_MASKED.fullmatch(value) is not None:
        return value
    compact = value.translate(_SEPARATORS)
    if not compact:
        raise CardNumberError("required", "card_number is empty")
    if not compact.isascii():
        raise CardNumberError("format", "card_number may hold only digits, mask characters, spaces, hyphens")
    if not PAN_MIN_DIGITS <= len(compact) <= PAN_MAX_DIGITS:
        raise CardNumberError("length", "card_number must have 13 to 19 digits (masked or not)")
    if compact.isdigit():
        if not luhn_valid(compact):
            raise CardNumberError("luhn", "card_number is a full number that fails the Luhn check")
        return mask_pan(compact)
    if _MASKED.fullmatch(compact) is None:
        raise CardNumberError(
            "format", "card_number must be a full PAN or a masked PAN showing first 6 and last 4 digits"
        )
    return mask_pan(compact)


def find_full_pans(text: str) -> list[str]:
    """Every Luhn-valid run of 13-19 digits in `text` (a run not part of a longer run of digits)."""
    return [run for run in _DIGIT_RUN.findall(text) if luhn_valid(run)]


def redact_pans(text: str) -> str:
    """`text` with every full PAN (as `find_full_pans` sees them) replaced by its masked form."""
    return _DIGIT_RUN.sub(lambda m: mask_pan(m[0]) if luhn_valid(m[0]) else m[0], text)

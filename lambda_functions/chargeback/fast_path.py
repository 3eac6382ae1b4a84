"""The usual record, straight to its CSV row: one pattern match and a few table lookups, no model built.

Most records of a real file are alike: the fifteen fields of section 2 and no other, plain ASCII ids,
ISO dates, an amount with exactly its currency's fraction digits, a known network alias, reason code and
stage. `usual_record_row` recognises such a record and returns its chargeback id, network and CSV row
bytes: exactly what `validate_record` followed by `render_row` would give (a property test holds the two
together). Anything it does not recognise, valid or not, it declines (None), and the caller runs the
full validation, which has the final word and names every broken rule. The fast path never rejects.

Where the time goes: the eleven text fields are joined (NUL-separated) and checked by one compiled
pattern; dates are looked up among those already seen valid; the card-number-in-text check is one search
over the free-text fields; the row is the plain comma join when no cell needs quoting.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, Final

from chargeback.csv_writer import render_cells
from chargeback.currencies import MINOR_UNITS as _MINOR_UNITS
from chargeback.networks import Network, normalise_network
from chargeback.reason_codes import REASON_CODES
from chargeback.validation import _PAN_SHAPED, _STAGES, RECORD_FIELDS

# The free texts first (the card-number-in-text search stops at their end), then the structured fields.
# A free text may not start like a formula (that cell would need neutralising): the full path handles it.
_FREE = r"(?![=+\-@\t\r])[^\x00]*"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_USUAL_TEXTS: Final = re.compile(
    r"([A-Za-z0-9._][A-Za-z0-9._-]{0,63})\x00"  # chargeback_id
    rf"({_FREE})\x00"  # case_number
    r"((?![=+\-@\t\r])[ -~]{1,64})\x00"  # merchant_id: printable ASCII
    rf"({_FREE})\x00"  # merchant_name
    rf"({_FREE})\x00"  # transaction_id
    r"((?:[0-9]{23})?)\x00"  # arn
    r"(?:([0-9]{13,19})|([0-9]{6})[*Xx]{3,9}([0-9]{4}))\x00"  # card_number: full, or first 6 + mask + last 4
    rf"({_DATE})\x00({_DATE})\x00"  # transaction_date, chargeback_date
    r"([A-Z]{3})\x00"  # currency
    r"([^\x00]+)\x00"  # reason_code
    rf"((?:{_DATE})?)"  # response_due_date
)
# A plain positive amount: no sign, exponent or leading zero, at most 12 integer digits.
_PLAIN_AMOUNT: Final = re.compile(r"(?:0|[1-9][0-9]{0,11})(?:\.([0-9]+))?")
# The free texts' UTF-8 translated so that one search answers each question about them. Digits, spaces
# and dashes fold to '0': a card number in any shape `_PAN_SHAPED` finds (13-19 digits, or digit groups
# split by spaces or dashes) is then a run of at least 13 '0's. The characters that make csv.writer quote
# a cell (QUOTE_MINIMAL: comma, quote, CR, LF) fold to '\x01'. No other cell of the row can hold them:
# the pattern rules them out, and the reason code is a known one (checked below).
_FOLD_FREE_TEXTS: Final = bytes.maketrans(b'123456789 -,"\r\n', b"00000000000\x01\x01\x01\x01")
_THIRTEEN: Final = b"0" * 13
_QUOTED_CHARACTER: Final = b"\x01"
_DOUBLED_DIGIT: Final = str.maketrans("0123456789", "0246813579")  # 2d, less 9 when over 9

_NETWORK_NAMES: dict[str, str] = {}  # names as files give them -> canonical value, bounded below
_NETWORK_NAMES_MAX: Final = 1024
_VALID_DATES: set[str] = set()  # ISO dates seen to be calendar dates, bounded below
_VALID_DATES_MAX: Final = 4096
_STAGE_VALUES: Final = {text: stage.value for text, stage in _STAGES.items()}
# Each description as its CSV cell (quoted when it holds a comma).
_DESCRIPTION_CELLS: Final = {
    network.value: {code: render_cells([text]).decode()[:-2] for code, text in table.items()}
    for network, table in REASON_CODES.items()
}
assert not any(set(code) & set(',"\r\n') for table in REASON_CODES.values() for code in table)


def _luhn_valid(digits: str) -> bool:
    """Luhn over ASCII digits, in C: every second digit from the right doubled by a translation table."""
    summed = digits[-1::-2] + digits[-2::-2].translate(_DOUBLED_DIGIT)
    return (sum(summed.encode("ascii")) - 48 * len(summed)) % 10 == 0


def _quoted(text: str) -> str:
    if "," in text or '"' in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _network(name: object) -> str | None:
    if type(name) is not str:
        return None
    value = _NETWORK_NAMES.get(name)
    if value is None:
        network: Network | None = normalise_network(name)
        if network is None:
            return None
        value = network.value
        if len(_NETWORK_NAMES) < _NETWORK_NAMES_MAX:
            _NETWORK_NAMES[name] = value
    return value


def _is_date(text: str) -> bool:
    if text in _VALID_DATES:
        return True
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    if len(_VALID_DATES) >= _VALID_DATES_MAX:
        _VALID_DATES.clear()
    _VALID_DATES.add(text)
    return True


# The twelve text fields in the pattern's order; absent or null optional ones are empty texts.
_TEXT_FIELDS: Final = (
    "chargeback_id", "case_number", "merchant_id", "merchant_name", "transaction_id", "arn", "card_number",
    "transaction_date", "chargeback_date", "currency", "reason_code", "response_due_date",
)  # fmt: skip
_TEXT_VALUES: Final = itemgetter(*_TEXT_FIELDS)
_FIELD_COUNT: Final = len(RECORD_FIELDS)
# The record's other fields: a record of exactly _FIELD_COUNT fields with all twelve texts and these three
# has no other field, which three look-ups tell faster than a set comparison of all fifteen.
assert {*_TEXT_FIELDS, "network", "amount", "stage"} == RECORD_FIELDS


def _texts_with_gaps(raw: dict[Any, Any]) -> str | None:
    """The texts joined, absent or null fields as empty texts (a required one then fails the pattern)."""
    values = [raw.get(name) for name in _TEXT_FIELDS]
    try:
        return "\x00".join(["" if value is None else value for value in values])
    except TypeError:  # a value that is not a string
        return None


def usual_record_row(raw: object, today: str) -> tuple[str, str, bytes] | None:
    """(chargeback_id, network, CSV row) of a usual valid record; None for anything else.

    `today` is the UTC date as ISO text (`date.isoformat()`): chargeback_date may not be after it.
    """
    if type(raw) is not dict:
        return None
    texts: str | None
    try:  # all twelve present and strings (the usual record): one C call each
        texts = "\x00".join(_TEXT_VALUES(raw))
        only_known = len(raw) == _FIELD_COUNT and "network" in raw and "amount" in raw and "stage" in raw
    except (KeyError, TypeError):  # a field absent, null, or not a string
        texts = _texts_with_gaps(raw)
        only_known = False
    if not only_known and not RECORD_FIELDS.issuperset(raw):
        return None  # extra fields: the full path checks them for card security data
    if texts is None:
        return None
    match = _USUAL_TEXTS.fullmatch(texts)
    if match is None:
        return None
    # Card numbers in the free texts: one search of the folded texts (bytes.translate, in C) rules most
    # texts out. `find`, not `in`: bytes' `in` first tries its operand as an integer, and formats (then
    # drops) a TypeError every time, which costs three times the search.
    folded = texts[: match.end(5)].encode("utf-8", "surrogatepass").translate(_FOLD_FREE_TEXTS)
    if folded.find(_THIRTEEN) != -1 and _PAN_SHAPED.search(texts, 0, match.end(5)) is not None:
        return None
    (chargeback_id, case_number, merchant_id, merchant_name, transaction_id, arn, full_pan, first6, last4,
     transaction_date, chargeback_date, currency, reason_code, due) = match.groups()  # fmt: skip

    # Network, reason code, stage and currency: four look-ups in small tables. (Remembering each
    # combination under one tuple key cost more: about 1,000 tuples a file, each look-up comparing four
    # strings scattered in memory.)
    network = _network(raw.get("network"))
    if network is None:
        return None
    description_cell = _DESCRIPTION_CELLS[network].get(reason_code)
    stage_value = raw.get("stage")
    if stage_value is None or stage_value == "":
        stage: str | None = "first_chargeback"
    else:
        stage = _STAGE_VALUES.get(stage_value) if type(stage_value) is str else None
    units = _MINOR_UNITS.get(currency)
    if description_cell is None or stage is None or units is None:
        return None
    amount_value = raw.get("amount")
    amount_type = type(amount_value)
    if amount_type is str:
        amount: str = amount_value  # type: ignore[assignment]  # checked just above
    elif amount_type is Decimal or amount_type is int:
        amount = str(amount_value)
    else:
        return None
    plain = _PLAIN_AMOUNT.fullmatch(amount)
    if plain is None:
        return None
    fraction_digits = len(plain[1] or "")
    if fraction_digits < units:  # '125.5' USD is 125.50, as validation's quantize gives it
        amount += ("." if fraction_digits == 0 else "") + "0" * (units - fraction_digits)
    if (
        fraction_digits > units  # would need rounding, or trailing zeros dropped: the full path decides
        or not amount.strip("0.")  # zero
        or not (transaction_date <= chargeback_date <= today)
        or (transaction_date not in _VALID_DATES and not _is_date(transaction_date))
        or (chargeback_date not in _VALID_DATES and not _is_date(chargeback_date))
        or (due and due not in _VALID_DATES and not _is_date(due))
    ):
        return None
    if full_pan is None:
        card = first6 + "*" * (match.end(9) - match.start(8) - 10) + last4
    elif _luhn_valid(full_pan):
        card = full_pan[:6] + "*" * (len(full_pan) - 10) + full_pan[-4:]
    else:
        return None
    cells: tuple[str, ...]
    if folded.find(_QUOTED_CHARACTER) == -1:
        cells = (
            chargeback_id, network, case_number, arn, card, merchant_id, merchant_name, transaction_id,
            transaction_date, chargeback_date, amount, currency, reason_code, description_cell, stage,
            due + "\r\n",
        )  # fmt: skip
    else:  # a free text with a comma, quote or line break: quoted as csv.writer (QUOTE_MINIMAL) would
        cells = (
            _quoted(chargeback_id), network, _quoted(case_number), arn, card, _quoted(merchant_id),
            _quoted(merchant_name), _quoted(transaction_id), transaction_date, chargeback_date, amount,
            currency, reason_code, description_cell, stage, due + "\r\n",
        )  # fmt: skip
    try:
        return chargeback_id, network, ",".join(cells).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a free text: the full path names the field
        return None

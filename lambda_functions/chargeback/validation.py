"""Validation of one raw chargeback record (contract section 2) into a `ChargebackRecord` or a rejection.

`validate_record` collects every error of a record, not just the first. Error messages are fixed texts
that name the field and the rule: they never echo an input value, so a full card number (PAN) or card
security data given in the input cannot leak through them. The checks are plain comparisons and compiled
regular expressions (no exception per field on the happy path), and a valid record is built without a
second validation pass, so validation keeps up with the streaming reader.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from chargeback.currencies import DECIMAL_CONTEXT, minor_units, quantum
from chargeback.masking import CardNumberError, find_full_pans, luhn_valid, normalise_card_number, redact_pans
from chargeback.models import ChargebackRecord, Stage
from chargeback.networks import Network, normalise_network
from chargeback.reason_codes import REASON_CODES, canonical_reason_code

# Field names that carry card security data. A record holding any of them (in any letter case, with or
# without `-`, `_`, `.` or spaces, at any depth of an extra field) with a non-empty value is rejected.
CARD_SECURITY_FIELDS: frozenset[str] = frozenset(
    {
        "cvv", "cvv2", "icvv", "cvc", "cvc2", "cid", "csc", "cav2", "cvn", "cvn2", "cvd",
        "cvv_code", "security_code", "card_security_code", "card_verification_value",
        "card_verification_code", "card_verification_number",
        "track", "track1", "track2", "track3", "track_data", "track1_data", "track2_data",
        "magstripe", "magnetic_stripe", "mag_stripe",
        "pin", "pin_block", "pvv",
    }
)  # fmt: skip
_SECURITY_SEPARATORS = str.maketrans("", "", "-_. ")
_SECURITY_COMPACT: frozenset[str] = frozenset(
    name.translate(_SECURITY_SEPARATORS) for name in CARD_SECURITY_FIELDS
)

# The input fields of section 2. Any other field is ignored (after the card security check).
RECORD_FIELDS: frozenset[str] = frozenset(
    {
        "chargeback_id", "network", "case_number", "arn", "card_number", "merchant_id", "merchant_name",
        "transaction_id", "transaction_date", "chargeback_date", "amount", "currency", "reason_code",
        "stage", "response_due_date",
    }
)  # fmt: skip

BATCH_ID_MAX_CHARS = 64
# Integer digits. 12 allows 999,999,999,999 in any currency, far above any chargeback, and keeps an amount
# from ever being a 13-19 digit run that a card-number scanner (or a person) would read as a PAN.
MAX_AMOUNT_DIGITS = 12

_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ID_FORBIDDEN = re.compile(r"[^A-Za-z0-9._-]+")
_ARN = re.compile(r"[0-9]{23}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_DECIMAL_TEXT_MAX_CHARS = 64
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.([0-9]{1,20}))?")  # within MAX_AMOUNT_DIGITS and the 64 chars
_STAGE_SEPARATORS = re.compile(r"[\s.-]+")
_STAGES: dict[str, Stage] = {
    **{stage.value: stage for stage in Stage},
    "chargeback": Stage.FIRST_CHARGEBACK,
    "first_chargeback": Stage.FIRST_CHARGEBACK,
    "firstchargeback": Stage.FIRST_CHARGEBACK,
    "re_presentment": Stage.REPRESENTMENT,
    "second_presentment": Stage.REPRESENTMENT,
    "prearbitration": Stage.PRE_ARBITRATION,
    "pre_arb": Stage.PRE_ARBITRATION,
    "arb": Stage.ARBITRATION,
}


@dataclass(frozen=True)
class FieldError:
    """One broken rule. `message` names the field and the rule; it never holds an input value."""

    field: str
    rule: str
    message: str


@dataclass(frozen=True)
class RecordRejection:
    """A record left out of the batch, with every error found in it.

    `chargeback_id` is the record's id when it is a valid one (with any full-PAN-like digit run in it
    masked), else None.
    """

    index: int
    chargeback_id: str | None
    errors: tuple[FieldError, ...]

    def describe(self, file_name: str) -> str:
        """One line: "<file>: record <index> (chargeback_id X): field 'amount' [rule]: message; ..."."""
        who = f"chargeback_id {self.chargeback_id}" if self.chargeback_id else "no valid chargeback_id"
        problems = "; ".join(f"field '{e.field}' [{e.rule}]: {e.message}" for e in self.errors)
        return f"{redact_pans(file_name)}: record {self.index} ({who}): {problems}"

    def to_report(self) -> dict:
        """The rejects-report entry: {"index", "chargeback_id", "errors": [{"field", "rule", "message"}]}."""
        return {
            "index": self.index,
            "chargeback_id": self.chargeback_id,
            "errors": [{"field": e.field, "rule": e.rule, "message": e.message} for e in self.errors],
        }


def duplicate_id_rejection(index: int, chargeback_id: str) -> RecordRejection:
    """The rejection of a record whose `chargeback_id` appeared earlier in the file (the first is kept)."""
    error = FieldError(
        "chargeback_id",
        "duplicate",
        "chargeback_id appeared earlier in the file; the first occurrence is kept",
    )
    return RecordRejection(index, redact_pans(chargeback_id), (error,))


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return not value
    return False


def _is_security_field(name: object) -> bool:
    return (
        isinstance(name, str)
        and len(name) <= 64
        and name.translate(_SECURITY_SEPARATORS).lower() in _SECURITY_COMPACT
    )


_SECURITY_MESSAGE = "card security data is not accepted; the record is rejected"
_NESTED_SECURITY_MESSAGE = "card security data (in a nested object) is not accepted; the record is rejected"
_MAX_NESTED_NODES = 10_000


def _security_errors(raw: dict[Any, Any], errors: list[FieldError]) -> None:
    """Reject card security data in the extra fields, at any depth. Its value is never looked at again."""
    nested: list[dict[Any, Any] | list[Any]] = []
    for key, value in raw.items():
        if key in RECORD_FIELDS:
            continue
        if _is_security_field(key):
            if not _is_empty(value):
                errors.append(FieldError(key, "card_security_data", _SECURITY_MESSAGE))
        elif isinstance(value, (dict, list)):
            nested.append(value)
    seen = 0
    while nested and seen < _MAX_NESTED_NODES:
        node = nested.pop()
        seen += 1
        items = node.items() if isinstance(node, dict) else ((None, item) for item in node)
        for key, value in items:
            if key is not None and _is_security_field(key) and not _is_empty(value):
                errors.append(FieldError(key, "card_security_data", _NESTED_SECURITY_MESSAGE))
            elif isinstance(value, (dict, list)):
                nested.append(value)


def _missing_or_type(name: str, value: object, type_message: str) -> FieldError:
    if value is None or value == "":
        return FieldError(name, "required", f"{name} is required")
    return FieldError(name, "type", type_message)


def _optional_text(raw: dict[Any, Any], name: str, errors: list[FieldError]) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if type(value) is not str:
        errors.append(FieldError(name, "type", f"{name} must be a string"))
        return None
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            errors.append(
                FieldError(name, "encoding", f"{name} holds characters that cannot be UTF-8 encoded")
            )
            return None
    return value


# Network names as they come (aliases, any case) and what they stand for: a few distinct names a file.
_KNOWN_NETWORK_NAMES: dict[str, Network] = {}
_KNOWN_NETWORK_NAMES_MAX = 1024

# Dates repeat a lot within a batch (a few days' chargebacks): parsed ones are kept, up to a bound.
_DATE_CACHE: dict[str, date] = {}
_DATE_CACHE_MAX = 4096


def _date(raw: dict[Any, Any], name: str, required: bool, errors: list[FieldError]) -> date | None:
    value = raw.get(name)
    if type(value) is str:
        parsed = _DATE_CACHE.get(value)
        if parsed is not None:
            return parsed
        if len(value) == 10 and _ISO_DATE.fullmatch(value) is not None:
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                errors.append(FieldError(name, "invalid_date", f"{name} is not a calendar date"))
                return None
            if len(_DATE_CACHE) >= _DATE_CACHE_MAX:
                _DATE_CACHE.clear()
            _DATE_CACHE[value] = parsed
            return parsed
    if value is None or value == "":
        if required:
            errors.append(FieldError(name, "required", f"{name} is required"))
    elif type(value) is str:
        errors.append(FieldError(name, "format", f"{name} must be an ISO 8601 date YYYY-MM-DD"))
    else:
        errors.append(FieldError(name, "type", f"{name} must be a date string YYYY-MM-DD"))
    return None


def _amount(value: object, errors: list[FieldError]) -> Decimal | None:
    """The amount as a Decimal (> 0, finite, not too large), before the currency's precision check."""
    amount: Decimal
    if isinstance(value, Decimal):
        amount = value
    elif type(value) is str and value:
        if len(value) > _DECIMAL_TEXT_MAX_CHARS or _DECIMAL_TEXT.fullmatch(value) is None:
            errors.append(FieldError("amount", "format", "amount must be a decimal number such as 125.50"))
            return None
        amount = Decimal(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float):
        errors.append(
            FieldError("amount", "type", "amount must be a decimal (JSON string or number), never a float")
        )
        return None
    else:
        errors.append(
            _missing_or_type("amount", value, "amount must be a decimal, as a JSON string or number")
        )
        return None
    if not amount.is_finite():
        errors.append(FieldError("amount", "format", "amount must be a finite decimal number"))
        return None
    if amount <= 0:
        errors.append(FieldError("amount", "positive", "amount must be greater than 0"))
        return None
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        errors.append(
            FieldError("amount", "too_large", f"amount must have at most {MAX_AMOUNT_DIGITS} integer digits")
        )
        return None
    return amount


def _in_minor_units(amount: Decimal, currency: str, units: int, errors: list[FieldError]) -> Decimal | None:
    """`amount` with exactly `units` fraction digits, or None (and an error) when that would need rounding."""
    exponent = amount.as_tuple().exponent
    if exponent == -units:
        return amount
    try:
        quantised = amount.quantize(quantum(units), context=DECIMAL_CONTEXT)
    except InvalidOperation:  # pragma: no cover - amounts are bounded above; a safety net
        quantised = None
    if quantised is None or quantised != amount:
        message = f"amount has more fraction digits than {currency} allows ({units}), not rounded"
        errors.append(FieldError("amount", "precision", message))
        return None
    return quantised


def _stage(value: object, errors: list[FieldError]) -> Stage:
    if value is None or value == "":
        return Stage.FIRST_CHARGEBACK
    if type(value) is not str:
        errors.append(FieldError("stage", "type", "stage must be a string"))
        return Stage.FIRST_CHARGEBACK
    found = _STAGES.get(value) or _STAGES.get(_STAGE_SEPARATORS.sub("_", value.strip()).lower())
    if found is None:
        message = "stage must be first_chargeback, representment, pre_arbitration or arbitration"
        errors.append(FieldError("stage", "unknown_stage", message))
        return Stage.FIRST_CHARGEBACK
    return found


# What a card number looks like inside text: 13-19 digits in a row, or grouped as printed on a card
# (4-4-4-4[-3], or Amex 4-6-5) by single spaces or hyphens, not part of a longer run of digits. Other
# digit groups (dates, counters in ids like CB-20261118-0001) are not read as one number.
_PAN_SHAPED = re.compile(
    r"(?<![0-9])(?:[0-9]{13,19}|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,7}|[0-9]{4}([ -])[0-9]{6}\2[0-9]{5})(?![0-9])"
)
_CARD_IN_TEXT_MESSAGE = (
    "looks like a full card number (a Luhn-valid run of 13-19 digits); a card number belongs in "
    "card_number only, where it is masked"
)


def _card_numbers_in_text(fields: tuple[tuple[str, object], ...], errors: list[FieldError]) -> None:
    """A full card number in a text field would reach the CSV and every other output: refuse the record."""
    # One search over all the texts (NUL joins no run) settles the usual record; then field by field.
    if _PAN_SHAPED.search("\x00".join([value for _, value in fields if type(value) is str])) is None:
        return
    for name, value in fields:
        if isinstance(value, str) and any(
            luhn_valid(match.group().replace(" ", "").replace("-", ""))
            for match in _PAN_SHAPED.finditer(value)
        ):
            errors.append(FieldError(name, "card_number_in_text", f"{name} {_CARD_IN_TEXT_MESSAGE}"))


def _safe_chargeback_id(raw: dict[Any, Any]) -> str | None:
    value = raw.get("chargeback_id")
    if type(value) is str and _ID.fullmatch(value) is not None:
        return redact_pans(value) if len(value) >= 13 else value
    return None


def validate_record(raw: object, index: int, today: date) -> ChargebackRecord | RecordRejection:
    """Check one raw record against every rule of section 2; the normalised record, or all its errors.

    `raw` is what the reader yields (a dict from JSON, numbers as int or Decimal). `today` is the UTC date
    that `chargeback_date` may not pass. Duplicate ids are the reader's concern (`duplicate_id_rejection`).
    The fast path is written out inline on purpose: it runs for every record of files of millions.
    """
    if not isinstance(raw, dict):
        return RecordRejection(
            index, None, (FieldError("<record>", "type", "a record must be a JSON object"),)
        )
    errors: list[FieldError] = []

    chargeback_id = raw.get("chargeback_id")
    if type(chargeback_id) is not str or _ID.fullmatch(chargeback_id) is None:
        if type(chargeback_id) is str and len(chargeback_id) > 64:
            errors.append(
                FieldError("chargeback_id", "length", "chargeback_id must have at most 64 characters")
            )
        elif type(chargeback_id) is str and chargeback_id:
            message = "chargeback_id may hold only letters, digits, '.', '_', '-'"
            errors.append(FieldError("chargeback_id", "pattern", message))
        else:
            errors.append(_missing_or_type("chargeback_id", chargeback_id, "chargeback_id must be a string"))

    network_value = raw.get("network")
    network = _KNOWN_NETWORK_NAMES.get(network_value) if type(network_value) is str else None
    if network is None and type(network_value) is str:
        network = normalise_network(network_value)
        if network is not None and len(_KNOWN_NETWORK_NAMES) < _KNOWN_NETWORK_NAMES_MAX:
            _KNOWN_NETWORK_NAMES[network_value] = network
    if network is None:
        if type(network_value) is str and network_value:
            message = "network must be visa, mastercard, amex, discover or an alias"
            errors.append(FieldError("network", "unknown_network", message))
        else:
            errors.append(_missing_or_type("network", network_value, "network must be a string"))

    # Optional texts, dates and stage: the usual value is checked inline, anything else by the helper.
    case_number = raw.get("case_number")
    if type(case_number) is not str or not case_number or not case_number.isascii():
        case_number = _optional_text(raw, "case_number", errors)

    arn = raw.get("arn")
    if arn is not None and (type(arn) is not str or _ARN.fullmatch(arn) is None):
        if arn == "":
            arn = None
        else:
            rule = "pattern" if type(arn) is str else "type"
            errors.append(FieldError("arn", rule, "arn must be a string of exactly 23 digits"))

    card_number: str | None = None
    card_value = raw.get("card_number")
    if card_value is None or card_value == "":
        errors.append(FieldError("card_number", "required", "card_number is required"))
    else:
        try:
            card_number = normalise_card_number(card_value)
        except CardNumberError as error:
            errors.append(FieldError("card_number", error.rule, error.message))

    merchant_id = raw.get("merchant_id")
    if (
        type(merchant_id) is not str
        or not merchant_id
        or len(merchant_id) > 64
        or not merchant_id.isprintable()
    ):
        if type(merchant_id) is str and len(merchant_id) > 64:
            errors.append(FieldError("merchant_id", "length", "merchant_id must have at most 64 characters"))
        elif type(merchant_id) is str and merchant_id:
            message = "merchant_id may hold only printable characters"
            errors.append(FieldError("merchant_id", "printable", message))
        else:
            errors.append(_missing_or_type("merchant_id", merchant_id, "merchant_id must be a string"))

    merchant_name = raw.get("merchant_name")
    if type(merchant_name) is not str or not merchant_name or not merchant_name.isascii():
        merchant_name = _optional_text(raw, "merchant_name", errors)
    transaction_id = raw.get("transaction_id")
    if type(transaction_id) is not str or not transaction_id or not transaction_id.isascii():
        transaction_id = _optional_text(raw, "transaction_id", errors)

    value = raw.get("transaction_date")
    transaction_date = _DATE_CACHE.get(value) if type(value) is str else None
    if transaction_date is None:
        transaction_date = _date(raw, "transaction_date", True, errors)
    value = raw.get("chargeback_date")
    chargeback_date = _DATE_CACHE.get(value) if type(value) is str else None
    if chargeback_date is None:
        chargeback_date = _date(raw, "chargeback_date", True, errors)
    if chargeback_date is not None:
        if transaction_date is not None and chargeback_date < transaction_date:
            message = "chargeback_date must not be before transaction_date"
            errors.append(FieldError("chargeback_date", "before_transaction_date", message))
        if chargeback_date > today:
            errors.append(
                FieldError("chargeback_date", "in_future", "chargeback_date must not be after today (UTC)")
            )

    # The usual amount: a string of plain positive decimal digits. Taken as is, and its number of fraction
    # digits is its exponent, so the currency check below needs no arithmetic when they match.
    amount_value = raw.get("amount")
    plain = _PLAIN_AMOUNT.fullmatch(amount_value) if type(amount_value) is str else None
    if plain is not None and plain[0].strip("0."):
        amount: Decimal | None = Decimal(plain[0])
    else:
        plain = None
        amount = _amount(amount_value, errors)

    currency: str | None = None
    currency_value = raw.get("currency")
    units: int | None = None
    if type(currency_value) is str and len(currency_value) == 3:
        currency = currency_value if currency_value.isupper() else currency_value.upper()
        units = minor_units(currency)
    if units is None or currency is None:
        if type(currency_value) is str and currency_value:
            message = "currency must be an ISO 4217 alpha-3 code"
            errors.append(FieldError("currency", "unknown_currency", message))
        else:
            errors.append(_missing_or_type("currency", currency_value, "currency must be a string"))
    elif amount is not None and (plain is None or len(plain[1] or "") != units):
        amount = _in_minor_units(amount, currency, units, errors)

    reason_code = None
    reason_value = raw.get("reason_code")
    if type(reason_value) is not str or not reason_value:
        errors.append(_missing_or_type("reason_code", reason_value, "reason_code must be a string"))
    elif network is not None:
        reason_code = canonical_reason_code(network, reason_value)
        if reason_code is None:
            message = f"reason_code is not a known {network.value} reason code"
            errors.append(FieldError("reason_code", "unknown_reason_code", message))

    value = raw.get("stage")
    stage = _STAGES.get(value) if type(value) is str else None
    if stage is None:
        stage = _stage(value, errors)
    value = raw.get("response_due_date")
    response_due_date = _DATE_CACHE.get(value) if type(value) is str else None
    if response_due_date is None:
        response_due_date = _date(raw, "response_due_date", False, errors)

    if not RECORD_FIELDS.issuperset(raw):
        _security_errors(raw, errors)
    _card_numbers_in_text(
        (
            ("chargeback_id", chargeback_id),
            ("case_number", case_number),
            ("merchant_id", merchant_id),
            ("merchant_name", merchant_name),
            ("transaction_id", transaction_id),
        ),
        errors,
    )

    if errors or network is None or reason_code is None:
        return RecordRejection(index, _safe_chargeback_id(raw), tuple(errors))
    return ChargebackRecord.from_checked(
        {
            "chargeback_id": chargeback_id,
            "network": network,
            "case_number": case_number,
            "arn": arn,
            "card_number": card_number,
            "merchant_id": merchant_id,
            "merchant_name": merchant_name,
            "transaction_id": transaction_id,
            "transaction_date": transaction_date,
            "chargeback_date": chargeback_date,
            "amount": amount,
            "currency": currency,
            "reason_code": reason_code,
            "reason_description": REASON_CODES[network][reason_code],
            "stage": stage,
            "response_due_date": response_due_date,
        }
    )


def validate_batch_id(value: object) -> str | None:
    """The file's own `batch_id` when usable: [A-Za-z0-9._-]{1,64}, no leading dot, no full-PAN-like run."""
    if type(value) is not str or _ID.fullmatch(value) is None or value.startswith("."):
        return None
    if len(value) >= 13 and find_full_pans(value):
        return None
    return value


_KNOWN_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")
_DERIVED_STEM_MAX_CHARS = 48
_DERIVED_HASH_CHARS = 12


def derive_batch_id(object_key: str, fingerprint: str) -> str:
    """A batch id for a file without a usable one: its base name, sanitised, plus a hash of key and content.

    `fingerprint` identifies the content: the processing path passes the input's SHA-256 (not its ETag,
    which under SSE-KMS differs between two uploads of the same bytes).

    'incoming/Daily Visa 2026-01-05.json' -> 'Daily-Visa-2026-01-05-<12 hex>'. The same object (key and
    content) always gives the same id; the result always passes `validate_batch_id`.
    """
    name = object_key.rsplit("/", 1)[-1]
    stripped = True
    while stripped:
        stripped = False
        for suffix in _KNOWN_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                stripped = True
    stem = _ID_FORBIDDEN.sub("-", redact_pans(name)).lstrip(".-_")[:_DERIVED_STEM_MAX_CHARS].rstrip(".-_")
    digest = hashlib.sha256(
        f"{object_key}\n{fingerprint.strip().strip(chr(34))}".encode("utf-8", "surrogatepass")
    )
    suffix = digest.hexdigest()[:_DERIVED_HASH_CHARS]
    candidate = f"{stem}-{suffix}" if stem else f"batch-{suffix}"
    return candidate if validate_batch_id(candidate) is not None else f"batch-{suffix}"

"""The CSV files of CONTRACT section 3, written as a stream.

UTF-8 without BOM, RFC 4180 quoting (minimal), CRLF line ends, one header row, the columns in
`ChargebackRecord` field order. Text cells that start with = + - @ tab or CR are neutralised against
spreadsheet formula injection by a leading `'`. Amounts are not text cells: they have exactly the currency's
fraction digits. Dates are ISO 8601, absent values empty. The same records always give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Final, get_args

from chargeback.currencies import format_amount, minor_units
from chargeback.models import ChargebackRecord

CSV_COLUMNS: Final[tuple[str, ...]] = tuple(ChargebackRecord.model_fields)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """`text` with a leading `'` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _text(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _enum(value: Enum) -> str:
    return str(value._value_)


def _date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _converter(column: str) -> Callable[[Any], str]:
    """How a column's value becomes its cell, decided once from the model's field type."""
    annotation = ChargebackRecord.model_fields[column].annotation
    kinds = set(get_args(annotation)) - {type(None)} or {annotation}
    if kinds <= {str}:
        return _text
    if kinds <= {date}:
        return _date
    if all(isinstance(kind, type) and issubclass(kind, Enum) for kind in kinds):
        return _enum
    raise TypeError(f"no CSV rendering for column {column!r} of type {annotation}")


# The row is built by hand below for speed (a quarter of the generic loop's time); this checks, at import,
# that the model's columns and their kinds are still the ones it was written for.
_KINDS: Final = tuple(
    "amount" if column == "amount" else _converter(column).__name__ for column in CSV_COLUMNS
)
if _KINDS != (
    "_text", "_enum", "_text", "_text", "_text", "_text", "_text", "_text", "_date", "_date", "amount", "_text",
    "_text", "_text", "_enum", "_date",
):  # fmt: skip
    raise TypeError(f"row_cells was written for other columns than {CSV_COLUMNS}")
_VALUES = itemgetter(*CSV_COLUMNS)
_TEXT_INDEXES: Final = tuple(i for i, kind in enumerate(_KINDS) if kind == "_text")
_AMOUNT_TEXT_MAX_CHARS: Final = 50  # well inside DECIMAL_CONTEXT's precision


def _amount_cell(amount: Decimal, currency: str) -> str:
    """`format_amount`, without its arithmetic when `str(amount)` already has the currency's fraction digits.

    Validation stores amounts quantised to the currency, so the fast path is the usual one; anything else
    (another exponent, scientific notation, NaN, an unknown currency) goes through `format_amount`.
    """
    text = str(amount)
    units = minor_units(currency)
    if units is not None and len(text) <= _AMOUNT_TEXT_MAX_CHARS and "E" not in text:
        dot = text.find(".")
        if (dot >= 0 and len(text) - dot - 1 == units) if units else (dot < 0 and text.lstrip("-").isdigit()):
            return text
    return format_amount(amount, currency)


def row_cells(record: ChargebackRecord) -> list[str]:
    """The cells of one record's row, in column order."""
    (chargeback_id, network, case_number, arn, card_number, merchant_id, merchant_name, transaction_id,
     transaction_date, chargeback_date, amount, currency, reason_code, reason_description, stage,
     response_due_date) = _VALUES(record.__dict__)  # fmt: skip
    cells = [
        chargeback_id, network._value_, case_number or "", arn or "", card_number, merchant_id,
        merchant_name or "", transaction_id or "", transaction_date.isoformat(), chargeback_date.isoformat(),
        _amount_cell(amount, currency), currency, reason_code, reason_description, stage._value_,
        "" if response_due_date is None else response_due_date.isoformat(),
    ]  # fmt: skip
    for i in _TEXT_INDEXES:
        if cells[i].startswith(_FORMULA_STARTS):
            cells[i] = "'" + cells[i]
    return cells


class _RowRenderer:
    """csv.writer over a reused buffer: one row to its exact bytes."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

    def render(self, cells: list[str]) -> bytes:
        # No cell holds a delimiter, quote or line break (the usual row): csv.writer's output is the plain
        # join, so skip it. A comma inside a cell adds to the count, so the count alone tells.
        line = ",".join(cells)
        if (
            len(cells) > 1
            and line.count(",") == len(cells) - 1
            and '"' not in line
            and "\r" not in line
            and "\n" not in line
        ):
            return (line + "\r\n").encode("utf-8")
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue().encode("utf-8")


_RENDERER = _RowRenderer()
HEADER_ROW: Final[bytes] = _RENDERER.render(list(CSV_COLUMNS))


def render_row(record: ChargebackRecord) -> bytes:
    """The exact bytes of the record's CSV row, CRLF included."""
    return _RENDERER.render(row_cells(record))


def render_cells(cells: list[str]) -> bytes:
    """The exact bytes of a row of these cells (already neutralised), CRLF included."""
    return _RENDERER.render(cells)


@dataclass(frozen=True)
class CsvSummary:
    bytes: int  # the whole file, header included
    sha256: str


_COPY_CHUNK: Final = 1024 * 1024


def write_csv_file(rows: BinaryIO, path: Path) -> CsvSummary:
    """One CSV file at `path`: the header row, then `rows` (rendered rows, as `process_batch` writes them)
    copied as they are, hashed on the way.
    """
    digest = hashlib.sha256(HEADER_ROW)
    size = len(HEADER_ROW)
    with path.open("wb") as out:
        out.write(HEADER_ROW)
        while chunk := rows.read(_COPY_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return CsvSummary(bytes=size, sha256=digest.hexdigest())

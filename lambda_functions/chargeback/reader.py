"""Streaming reader of a batch file: yields `(index, raw_record)` one at a time, never holding the file.

Three shapes (CONTRACT section 2):

1. an object `{"batch_id": ..., "source": ..., "created_at": ..., "chargebacks": [...]}`; the header fields
   may come before or after the array, so `BatchReader.header` is complete once iteration has ended;
2. a bare array of records;
3. JSON Lines (`.jsonl` / `.ndjson`, or a `.json` file whose first line is a whole record).

Parsing is ijson's C backend (yajl2) with `use_float=False`: JSON numbers come as `int` or `Decimal`, never
float. yajl rejects NaN/Infinity, invalid UTF-8 and trailing garbage. Any problem with the file raises
`InvalidBatchFile` whose message names the file and the position (byte offset, line, column, record index)
and never quotes the file's content: yajl's own messages carry a snippet of the input (which could hold a
card number), so only their first line, the kind of error, is kept, and only if it holds no digits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import BinaryIO, Final

import ijson

from chargeback.errors import InvalidBatchFile
from chargeback.masking import redact_pans
from chargeback.models import BatchHeader

_BACKEND = ijson.get_backend("yajl2_c")
CHUNK_SIZE: Final = 64 * 1024
# How much of the start and of the end of the file is kept to read the header fields of shape 1.
HEADER_WINDOW: Final = 64 * 1024
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_WHITESPACE: Final = b" \t\r\n"
_JSON_LINES_SUFFIXES: Final = (".jsonl", ".ndjson")
# yajl's first line is fixed text ("parse error: trailing garbage"); anything else is not trusted.
_ERROR_KIND = re.compile(r"(lexical|parse) error: [^\n]{1,100}")
_DIGIT_RUN = re.compile(r"[0-9]{2,}")
_HEADER_FIELDS: Final = ("batch_id", "source", "created_at")


class Shape(StrEnum):
    OBJECT = "object"
    ARRAY = "array"
    JSON_LINES = "json_lines"


class _Source:
    """The input stream as ijson reads it, counting bytes and keeping what a precise error needs.

    Keeps the first `HEADER_WINDOW` bytes, the last two chunks (the tail, for header fields after the array,
    and the chunk where a syntax error happened) and the number of newlines before the current chunk.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._pending = b""
        self.head = b""
        self.consumed = 0  # bytes handed to the parser so far
        self.chunk = b""  # the last chunk handed to the parser
        self.chunk_start = 0
        self.previous_chunk = b""
        self.newlines_before_chunk = 0

    def fill_head(self) -> bytes:
        """Read the first `HEADER_WINDOW` bytes (less for a shorter file) without consuming them."""
        parts = []
        size = 0
        while size < HEADER_WINDOW:
            data = self._stream.read(HEADER_WINDOW - size)
            if not data:
                break
            parts.append(data)
            size += len(data)
        head = b"".join(parts)
        if head.startswith(_UTF8_BOM):  # tolerated, as RFC 8259 allows; not part of the JSON text
            head = head[len(_UTF8_BOM) :]
            self.consumed = len(_UTF8_BOM)
            self.chunk_start = self.consumed
        self.head = head
        self._pending = head
        return head

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self._pending:
            data, self._pending = self._pending, b""
        else:
            data = self._stream.read(size if size > 0 else CHUNK_SIZE)
        if data:
            self.newlines_before_chunk += self.chunk.count(b"\n")
            self.previous_chunk = self.chunk
            self.chunk_start = self.consumed
            self.chunk = data
            self.consumed += len(data)
        return data

    def tail(self) -> bytes:
        return self.previous_chunk + self.chunk

    def position(self, offset: int) -> str:
        """'byte X (line L, column C)' for an absolute offset inside the current chunk or at its end."""
        within = max(0, min(offset - self.chunk_start, len(self.chunk)))
        before = self.chunk[:within]
        line = self.newlines_before_chunk + before.count(b"\n") + 1
        last_newline = before.rfind(b"\n")
        if last_newline >= 0:
            return f"byte {offset} (line {line}, column {within - last_newline})"
        if self.newlines_before_chunk == 0:
            return f"byte {offset} (line 1, column {offset + 1})"
        return f"byte {offset} (line {line})"


def _error_offset(source: _Source, message: bytes) -> int:
    """Where yajl stopped, from the context line of its message matched against the current chunk.

    yajl shows up to 30 bytes either side of the point where it stopped (just after the offending byte),
    newlines as spaces, padded so that this point is under column 40: (40 - offset) spaces when the offset in
    the chunk is under 30, else 10. The offending byte is the one before. A premature end of the input is at
    the end of what was read.
    """
    lines = message.split(b"\n")
    if b"premature EOF" in lines[0] or len(lines) < 2:
        return source.consumed
    context = lines[1]
    chunk = source.chunk.replace(b"\n", b" ").replace(b"\r", b" ")
    for offset in range(30):
        if context == b" " * (40 - offset) + chunk[: offset + 30]:
            return source.chunk_start + max(offset - 1, 0)
    found = chunk.find(context[10:]) if len(context) > 10 else -1
    return source.chunk_start + found + 29 if found >= 0 else source.chunk_start


def _yajl_message(error: Exception) -> bytes:
    arg = error.args[0] if error.args else b""
    return arg if isinstance(arg, bytes) else str(arg).encode("utf-8", "replace")


def _error_kind(message: bytes) -> str:
    match = _ERROR_KIND.fullmatch(message.split(b"\n", 1)[0].decode("ascii", "replace"))
    if match is None or _DIGIT_RUN.search(match[0]):
        return "not valid JSON"
    return match[0].rstrip(". ")


class BatchReader:
    """Iterate to get `(index, raw_record)`; `header` and `shape` are known once iteration has ended."""

    def __init__(self, stream: BinaryIO, file_name: str) -> None:
        self.file_name = redact_pans(file_name)  # it goes into messages; a key could hold a card number
        self._source = _Source(stream)
        self.shape: Shape | None = None
        self.header = BatchHeader()
        self.records = 0
        self._header_fields: dict[str, object] = {}
        self._chargebacks_seen = False

    def __iter__(self) -> Iterator[tuple[int, object]]:
        head = self._source.fill_head()
        first = head.lstrip(_WHITESPACE)[:1]
        offset = self._source.chunk_start + len(head) - len(head.lstrip(_WHITESPACE))
        if not first:
            raise InvalidBatchFile(f"{self.file_name}: the file is empty (byte {offset})")
        self.shape = self._detect_shape(head, first, offset)
        if self.shape is Shape.OBJECT:
            items = _BACKEND.items(self._source, "chargebacks.item", use_float=False)
        elif self.shape is Shape.ARRAY:
            items = _BACKEND.items(self._source, "item", use_float=False)
        else:
            items = _BACKEND.items(self._source, "", use_float=False, multiple_values=True)
        try:
            for index, record in enumerate(items):
                if self.shape is Shape.JSON_LINES and not isinstance(record, dict):
                    raise InvalidBatchFile(
                        f"{self.file_name}: record {index} (line {index + 1} if one record a line) is not a"
                        " JSON object; a JSON Lines file holds one record object a line"
                    )
                self.records = index + 1
                yield index, record
        except ijson.JSONError as error:
            message = _yajl_message(error)
            offset = _error_offset(self._source, message)
            raise InvalidBatchFile(
                f"{self.file_name}: {_error_kind(message)} at {self._source.position(offset)},"
                f" after {self.records} record(s)"
            ) from None
        except UnicodeDecodeError:
            raise InvalidBatchFile(
                f"{self.file_name}: invalid UTF-8 near {self._source.position(self._source.chunk_start)},"
                f" after {self.records} record(s)"
            ) from None
        if self.shape is Shape.OBJECT:
            self._finish_object()

    def _detect_shape(self, head: bytes, first: bytes, offset: int) -> Shape:
        if first == b"[":
            return Shape.ARRAY
        if first != b"{":
            kind = (
                "a JSON value that is not an object or an array"
                if _is_json_value(head) or (len(head) >= HEADER_WINDOW and first in b'"-0123456789')
                else "not JSON"
            )
            raise InvalidBatchFile(
                f"{self.file_name}: {kind} at byte {offset}; expected an object with 'chargebacks', an array"
                " of records or JSON Lines"
            )
        if self.file_name.lower().endswith(_JSON_LINES_SUFFIXES):
            return Shape.JSON_LINES
        scan = _scan_head_members(head)
        self._header_fields.update(scan.fields)
        if scan.chargebacks is not None:
            if scan.chargebacks != "[":
                raise InvalidBatchFile(
                    f"{self.file_name}: 'chargebacks' is not an array (byte {scan.chargebacks_offset})"
                )
            self._chargebacks_seen = True
            return Shape.OBJECT
        if scan.complete:  # a whole object without 'chargebacks' in the window
            if scan.followed_by_object:
                return Shape.JSON_LINES
            raise InvalidBatchFile(
                f"{self.file_name}: the top-level object has no 'chargebacks' array (byte {offset})"
            )
        return Shape.OBJECT

    def _finish_object(self) -> None:
        tail_fields, tail_has_chargebacks = _scan_tail_members(self._source.tail())
        fields = {**self._header_fields, **tail_fields}
        if not (self._chargebacks_seen or tail_has_chargebacks or self.records):
            raise InvalidBatchFile(
                f"{self.file_name}: the top-level object has no 'chargebacks' array"
                f" (end at byte {self._source.consumed})"
            )
        self.header = BatchHeader.model_validate({k: v for k, v in fields.items() if k in _HEADER_FIELDS})


def read_batch(stream: BinaryIO, file_name: str) -> BatchReader:
    """A reader over `stream`; iterate it for `(index, raw_record)`, then look at `.header`."""
    return BatchReader(stream, file_name)


def _is_json_value(head: bytes) -> bool:
    try:
        _DECODER.raw_decode(head.decode("utf-8").strip())
    except (ValueError, RecursionError):
        return False
    return True


class _HeadScan:
    def __init__(self) -> None:
        self.fields: dict[str, object] = {}
        self.chargebacks: str | None = None  # first character of its value
        self.chargebacks_offset = 0
        self.complete = False
        self.followed_by_object = False


_DECODER = json.JSONDecoder(parse_float=Decimal)
_WS = re.compile(r"[ \t\r\n]*")


def _scan_head_members(head: bytes) -> _HeadScan:
    """Top-level members of the object that starts `head`, up to 'chargebacks' or the window's end.

    A member cut by the window ends the scan.
    """
    scan = _HeadScan()
    text = head.decode("utf-8", "replace")
    pos = _WS.match(text, 1).end()  # type: ignore[union-attr]
    if text[pos : pos + 1] == "}":
        scan.complete = True
        pos += 1
    try:
        while not scan.complete:
            key, pos = _DECODER.raw_decode(text, pos)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if text[pos : pos + 1] != ":" or not isinstance(key, str):
                return scan
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            if key == "chargebacks":
                scan.chargebacks = text[pos : pos + 1]
                scan.chargebacks_offset = len(text[:pos].encode("utf-8"))
                return scan
            value, pos = _DECODER.raw_decode(text, pos)
            scan.fields[key] = value
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            separator = text[pos : pos + 1]
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            if separator == "}":
                scan.complete = True
            elif separator != ",":
                return scan
    except (json.JSONDecodeError, RecursionError):
        return scan
    scan.followed_by_object = text[pos : pos + 1] == "{"
    return scan


def _scan_tail_members(tail: bytes) -> tuple[dict[str, object], bool]:
    """Top-level members after the 'chargebacks' array, read backwards from the end of a valid object.

    The whole file has parsed, so the text is valid JSON: scanning back from the final '}', a '"' is a string
    delimiter unless an odd run of backslashes precedes it, so strings and nesting can be followed backwards.
    Members are split at top-level commas; the scan stops at the first member that does not fit in the window
    (the 'chargebacks' array itself, normally). Returns the members found and whether 'chargebacks' was one.
    """
    end = len(tail.rstrip(_WHITESPACE)) - 1
    if end < 0 or tail[end : end + 1] != b"}":
        return {}, False
    fields: dict[str, object] = {}
    depth = 0
    member_end = end  # exclusive end of the member being scanned
    i = end - 1
    while i >= 0:
        char = tail[i]
        if char == 0x22:  # '"': skip back to the opening quote
            i -= 1
            while i >= 0:
                if tail[i] == 0x22:
                    backslashes = 0
                    j = i - 1
                    while j >= 0 and tail[j] == 0x5C:
                        backslashes += 1
                        j -= 1
                    if j < 0:
                        return fields, False  # the run of backslashes reaches the window's edge
                    if backslashes % 2 == 0:
                        break
                i -= 1
            if i < 0:
                return fields, False
        elif char in (0x5D, 0x7D):  # ']' '}'
            depth += 1
        elif char in (0x5B, 0x7B):  # '[' '{'
            if depth == 0:  # the object's opening brace: the whole object fits in the window
                found = _member(tail[i + 1 : member_end])
                if found is not None:
                    fields.setdefault(found[0], found[1])
                return fields, "chargebacks" in fields
            depth -= 1
        elif char == 0x2C and depth == 0:  # ',' between top-level members
            found = _member(tail[i + 1 : member_end])
            if found is None:
                return fields, False
            fields.setdefault(found[0], found[1])
            member_end = i
        i -= 1
    return fields, False


def _member(text: bytes) -> tuple[str, object] | None:
    try:
        member = _DECODER.decode("{" + text.decode("utf-8") + "}")
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if not isinstance(member, dict) or len(member) != 1:
        return None
    key, value = next(iter(member.items()))
    if key == "chargebacks":
        return key, None  # only its presence matters here
    return key, value

"""Streaming reader of a batch file: yields `(index, raw_record)` one at a time, never holding the file.

Three shapes (CONTRACT section 2):

1. an object `{"batch_id": ..., "source": ..., "created_at": ..., "chargebacks": [...]}`; the header fields
   may come before or after the array, so `BatchReader.header` is complete once iteration has ended;
2. a bare array of records;
3. JSON Lines (`.jsonl` / `.ndjson`, or a `.json` file whose first line is a whole record).

The reference parser is ijson's C backend (yajl2) with `use_float=False`: JSON numbers come as `int` or
`Decimal`, never float. yajl rejects NaN/Infinity, invalid UTF-8 and trailing garbage. Any problem with the
file raises `InvalidBatchFile` whose message names the file and the position (byte offset, line, column,
record index) and never quotes the file's content: yajl's own messages carry a snippet of the input (which
could hold a card number), so only their first line, the kind of error, is kept, and only if it holds no
digits.

ijson costs about 11 µs a record, so the records are read by a fast path first (`_FastPath`): blocks of about
`BLOCK_SIZE` bytes of records, cut after a '}' (a newline for JSON Lines), are parsed in one call of msgspec's
decoder (`float_hook=Decimal`; a declared dependency), or, should it be missing, of the standard library's
C scanner (`parse_float=Decimal`, with checks); a block that parses whole was cut between two records, since a cut
inside a string or a nested value cannot parse. The fast path never decides anything about a file that ijson
would decide differently: at the first thing it does not take (a syntax error, a lone surrogate escape, NaN,
a non-object JSON Lines value, a record larger than `MAX_BLOCK_SIZE`, the end of the records array) it hands
the rest of the file to ijson, replayed so that ijson sees the very chunks it would have read from the file
itself, in the same parser state; records, header, errors and their positions are ijson's own.
`FAST_PATH = False` (or `BatchReader(..., fast=False)`) reads with ijson alone.
"""

from __future__ import annotations

import io
import json
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from decimal import Decimal
from enum import StrEnum
from itertools import islice
from json.scanner import make_scanner
from typing import BinaryIO, Final, cast

import ijson

from chargeback.errors import InvalidBatchFile
from chargeback.masking import redact_pans
from chargeback.models import BatchHeader

_BACKEND = ijson.get_backend("yajl2_c")
CHUNK_SIZE: Final = 64 * 1024
# How much of the start and of the end of the file is kept to read the header fields of shape 1.
HEADER_WINDOW: Final = 64 * 1024
# The fast path parses about this many bytes of records in one call; a record that does not fit makes the
# block grow, up to MAX_BLOCK_SIZE, past which ijson reads the rest.
BLOCK_SIZE: Final = 64 * 1024
MAX_BLOCK_SIZE: Final = 8 * 1024 * 1024
FAST_PATH = True  # False: ijson alone (the reference the fast path is tested against)
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


# An integer literal this long is refused: no chargeback field holds one, and ijson's C backend crashes the
# process (not an exception) on an integer past Python's int conversion limit (4,300 digits). Digit runs in
# strings, fractions and exponents are left to the parsers and to validation.
MAX_INTEGER_DIGITS: Final = 4000
# Digits folded to '0' and the rest to '.', then a substring search: linear, where a regex of 4000 digits
# costs a scan at every digit (12 us a record on the benchmark).
_FOLD_DIGITS: Final = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x2E for byte in range(256))
_LONG_RUN: Final = b"0" * MAX_INTEGER_DIGITS
# Folding a whole read cost about 1.5% of the data_processor's time, so every _SAMPLE_STRIDE-th byte is
# folded first: a run of MAX_INTEGER_DIGITS digits lying wholly in a read holds at least
# MAX_INTEGER_DIGITS // _SAMPLE_STRIDE (15) of those bytes, one after the other in the sample, so a
# sample without such a run proves the read has none. In real files 15 bytes 256 apart that are all
# digits are vanishingly rare; then the whole read is folded and searched, as before.
_SAMPLE_STRIDE: Final = 256
_SAMPLED_RUN: Final = b"0" * (MAX_INTEGER_DIGITS // _SAMPLE_STRIDE)


def _leading_digits(data: bytes) -> int:
    return len(data) - len(data.lstrip(b"0123456789"))


def _trailing_digits(data: bytes) -> int:
    return len(data) - len(data.rstrip(b"0123456789"))


def _is_integer_literal(before: bytes, after: bytes) -> bool:
    """Whether a digit run between `before` (up to two bytes) and `after` (one byte, or none at the end)
    can be a JSON integer: not in a string ('"' next to it), not a fraction or an exponent.
    """
    last = before[-1:]
    if last in (b".", b'"', b"e", b"E", b"+") or (last == b"-" and before[-2:-1] in (b"e", b"E")):
        return False
    return after not in (b".", b"e", b"E", b'"')


class _IntegerGuard:
    """The stream, read through: raises InvalidBatchFile at an integer literal of `MAX_INTEGER_DIGITS` digits
    or more, before any parser has it whole. Every byte of the file passes here once, whichever parser reads
    it; a run across reads is followed (its length and the two bytes before it are kept, not its bytes).
    """

    def __init__(self, stream: BinaryIO, file_name: str) -> None:
        self._stream = stream
        self._file_name = file_name
        self._offset = 0  # bytes read so far
        self._run = 0  # digits at the end of what was read so far
        self._before_run = b""  # the (up to) two bytes before that run
        self._last = b""  # the last two bytes read

    def _refuse(self, start: int) -> InvalidBatchFile:
        return InvalidBatchFile(
            f"{self._file_name}: an integer of {MAX_INTEGER_DIGITS} or more digits at byte {start}; no field"
            " holds such a number, and it cannot be parsed safely"
        )

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        leading = _leading_digits(data)
        # The run carried from the last read, when it ends in this one.
        if (
            self._run
            and leading < len(data)
            and self._run + leading >= MAX_INTEGER_DIGITS
            and _is_integer_literal(self._before_run, data[leading : leading + 1])
        ):
            raise self._refuse(self._offset - self._run)
        folded = b""  # the read folded, only when its sample shows a run of digits it may hold
        if data[::_SAMPLE_STRIDE].translate(_FOLD_DIGITS).find(_SAMPLED_RUN) != -1:
            folded = data.translate(_FOLD_DIGITS)
        position = folded.find(_LONG_RUN, leading if self._run else 0)
        while position >= 0:
            end = position + _leading_digits(data[position:])
            if end == len(data):
                break  # it reaches the end of this read: decided with the next one
            before = (self._last + data[:position])[-2:] if position < 2 else data[position - 2 : position]
            if _is_integer_literal(before, data[end : end + 1]):
                raise self._refuse(self._offset + position)
            position = folded.find(_LONG_RUN, end)
        trailing = _trailing_digits(data)
        if data and trailing == len(data):
            self._run += trailing
        elif data:
            run_start = len(data) - trailing
            self._before_run = (self._last + data[max(run_start - 2, 0) : run_start])[-2:]
            self._run = trailing
        elif self._run >= MAX_INTEGER_DIGITS and _is_integer_literal(self._before_run, b""):
            raise self._refuse(self._offset - self._run)  # the end of the file ends the run
        self._last = (self._last + data[-2:])[-2:]
        self._offset += len(data)
        return data


class _Source:
    """The input stream as ijson reads it, counting bytes and keeping what a precise error needs.

    Keeps the first `header_window` bytes, the last two chunks (the tail, for header fields after the array,
    and the chunk where a syntax error happened) and the number of newlines before the current chunk.
    Chunks queued by `resume` are handed out before the stream's next ones; a synthetic one (the replay of
    what the fast path read) is handed to the parser without counting.
    """

    def __init__(
        self, stream: BinaryIO, header_window: int = HEADER_WINDOW, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self._stream = stream
        self.header_window = header_window
        self.chunk_size = chunk_size
        self._queue: deque[tuple[bytes, bool]] = deque()  # (data, synthetic)
        self.head = b""
        self.consumed = 0  # bytes handed to the parser so far
        self.chunk = b""  # the last chunk handed to the parser
        self.chunk_start = 0
        self.previous_chunk = b""
        self.newlines_before_chunk = 0

    def fill_head(self) -> bytes:
        """Read the first `header_window` bytes (less for a shorter file) without consuming them."""
        parts = []
        size = 0
        while size < self.header_window:
            data = self._stream.read(self.header_window - size)
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
        if head:
            self._queue.append((head, False))
        return head

    def take_head(self) -> None:
        """The fast path reads from here on (`read_raw`); `resume` hands the parser what it should see."""
        self._queue.clear()

    def read_raw(self) -> bytes:
        """The stream's next chunk, read as `read` would have read it, without handing it to the parser."""
        return self._stream.read(self.chunk_size)

    def resume(
        self,
        synthetic: bytes,
        chunks: list[bytes],
        *,
        chunk: bytes,
        chunk_start: int,
        newlines_before_chunk: int,
    ) -> None:
        """Queue `synthetic` (uncounted), then `chunks`, the file's chunks that follow `chunk`."""
        self._queue.clear()
        if synthetic:
            self._queue.append((synthetic, True))
        self._queue.extend((data, False) for data in chunks)
        self.chunk = chunk
        self.chunk_start = chunk_start
        self.consumed = chunk_start + len(chunk)
        self.newlines_before_chunk = newlines_before_chunk
        self.previous_chunk = b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self._queue:
            data, synthetic = self._queue.popleft()
            if synthetic:
                return data
        else:
            data = self._stream.read(size if size > 0 else self.chunk_size)
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


class _NotPlainJson(ValueError):
    """NaN, Infinity or -Infinity: the standard library reads them, yajl rejects them."""


def _reject_constant(name: str) -> object:
    raise _NotPlainJson(name)


_SCAN = make_scanner(json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant))  # type: ignore[arg-type]
_WS_BYTES = re.compile(rb"[ \t\r\n]*")
_WS_TEXT = re.compile(r"[ \t\r\n]*")
_LINE_WS: Final = b" \t\r"
# Two objects side by side on one line: a line holding more than one JSON Lines record.
_OBJECTS_ON_ONE_LINE = re.compile(rb"\}[ \t\r]*,[ \t\r]*\{")
# An escape, in order (so that an escaped backslash is one), with its code where it is a surrogate.
_ESCAPE = re.compile(r"\\(?:u([dD][89a-fA-F][0-9a-fA-F]{2})|u[0-9a-fA-F]{4}|.)")
_SCAN_ERRORS = (
    ValueError,
    RecursionError,
    StopIteration,
    ArithmeticError,  # decimal.InvalidOperation: an exponent past Decimal's range
)  # JSONDecodeError, UnicodeDecodeError are ValueErrors


def _parse(text: str) -> object:
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:
        raise ValueError("no JSON value") from None
    if end != len(text):
        raise ValueError("extra data")
    return value


def _may_differ(text: str) -> bool:
    """Whether ijson could read the JSON `text` differently from the standard library: a lone surrogate
    escape (yajl makes '?' of a high one, joins it with whatever escape follows, and makes bytes that are
    not UTF-8 of a low one), even one whose value a duplicate key then replaces.
    """
    if "\\ud" not in text and "\\uD" not in text:
        return False
    low_expected_at = -1  # where the escape after a high surrogate must be
    for escape in _ESCAPE.finditer(text):
        code = int(escape[1], 16) if escape[1] else None
        if low_expected_at >= 0:
            if escape.start() != low_expected_at or code is None or code < 0xDC00:
                return True
            low_expected_at = -1
        elif code is not None:
            if code >= 0xDC00:
                return True
            low_expected_at = escape.end()
    return low_expected_at >= 0


def _stdlib_decode_array(data: bytes | memoryview) -> object:
    """The JSON value in `data` (a block wrapped in brackets) by the standard library's C scanner, or
    ValueError where ijson could read it differently.
    """
    text = str(data, "utf-8")
    if _may_differ(text):
        raise ValueError("a lone surrogate escape")
    return _parse(text)


def _stdlib_decode_lines(data: bytes | memoryview) -> list[object]:
    """The JSON Lines records in `data`, whole lines, if it holds one object a line; else ValueError.

    The lines are joined with commas into one array. When that parses to as many objects as there are lines,
    and no line holds two objects side by side, each object is one whole line: every comma between two
    objects is then one of those put in place of a newline.
    """
    raw = bytes(data)
    if _OBJECTS_ON_ONE_LINE.search(raw):
        raise ValueError("two objects on one line")
    values = _stdlib_decode_array(b"[" + raw.replace(b"\n", b",") + b"]")
    if not isinstance(values, list) or len(values) != raw.count(b"\n") + 1:
        raise ValueError("not one value a line")
    return values


def _select_decoders() -> tuple[
    Callable[[bytes | memoryview], object], Callable[[bytes | memoryview], list[object]]
]:
    """msgspec's, where it is installed: twice as fast as the standard library, straight from bytes, and it
    refuses on its own everything where the standard library needs checks (NaN, Infinity, lone surrogate
    escapes, invalid UTF-8); integers stay int however big, and the text of other numbers goes to Decimal.
    Its JSON Lines are whitespace-separated values, as yajl's `multiple_values`.
    """
    try:
        import msgspec
    except ImportError:
        return _stdlib_decode_array, _stdlib_decode_lines
    decoder = msgspec.json.Decoder(float_hook=Decimal)
    return decoder.decode, decoder.decode_lines


# Each raises ValueError (or RecursionError) for anything it does not take.
_decode_array, _decode_lines = _select_decoders()
# What a block that cannot be decoded raises (ArithmeticError: an exponent past Decimal's range).
_BLOCK_ERRORS: Final = (ValueError, RecursionError, ArithmeticError)


def _parse_array_block(data: bytes | memoryview) -> list[object] | None:
    """The elements of the array in `data` (a block wrapped in brackets), or None."""
    try:
        values = _decode_array(data)
    except _BLOCK_ERRORS:
        return None
    return values if isinstance(values, list) else None


def _parse_lines_block(data: bytes | memoryview) -> list[object] | None:
    """The records of `data`, whole lines of JSON Lines (the last one without its newline), or None."""
    try:
        values = _decode_lines(data)
    except _BLOCK_ERRORS:
        return None
    if not all(type(value) is dict for value in values):
        return None
    return values


def _parse_array_stepwise(raw: bytes) -> tuple[list[object], int]:
    """Elements one at a time from the start of `raw` up to the first that does not parse whole.

    Returns them with the length in bytes of `raw` they took.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        text = raw[: error.start].decode("utf-8")
    values: list[object] = []
    position = taken = 0
    while True:
        try:
            value, end = _SCAN(text, position)
        except _SCAN_ERRORS:
            break
        if _may_differ(text[position:end]):
            break
        position = _WS_TEXT.match(text, end).end()  # type: ignore[union-attr]
        following = text[position : position + 1]
        if type(value) is not dict and following not in (",", "]"):
            break  # a number may run on ('12.' or '12' cut by the block), where yajl reads the whole token
        values.append(value)
        taken = end
        if following != ",":
            break
        position = _WS_TEXT.match(text, position + 1).end()  # type: ignore[union-attr]
    return values, len(text[:taken].encode("utf-8"))


def _parse_lines_stepwise(raw: bytes) -> tuple[list[object], int]:
    """Records from whole lines of `raw`, one line at a time, up to the first line that is not one record.

    Blank lines are passed over. Returns the records with the length in bytes of `raw` they took.
    """
    values: list[object] = []
    start = 0
    while start < len(raw):
        newline = raw.find(b"\n", start)
        end = len(raw) if newline < 0 else newline + 1
        line = raw[start:end]
        if line.strip(_LINE_WS + b"\n"):
            try:
                text = line.decode("utf-8")
                position = _WS_TEXT.match(text).end()  # type: ignore[union-attr]
                value, stop = _SCAN(text, position)
            except _SCAN_ERRORS:
                break
            if (
                _WS_TEXT.match(text, stop).end() != len(text)  # type: ignore[union-attr]
                or type(value) is not dict
                or _may_differ(text)
            ):
                break
            values.append(value)
        start = end
    return values, start


class _FastPath:
    """Reads the records in blocks (see the module's docstring), then sets the source up for ijson.

    Keeps the file's chunks as ijson would have read them (the head, then `chunk_size` reads) from a little
    before the records being parsed, and boundaries `(offset, records before it)` between top-level values,
    so that `handover` can replay to ijson the chunk holding the current position from a known state.
    """

    def __init__(
        self, source: _Source, shape: Shape, region: int, block_size: int, max_block_size: int
    ) -> None:
        head = source.head
        start = source.chunk_start
        self._source = source
        self._shape = shape
        self._block_size = block_size
        self._max_block_size = max_block_size
        self._prefix = head[:region]  # what comes before the records: up to the array's '['
        self._chunks = [head]
        self._starts = [start]  # file offset of each kept chunk
        self._newlines = [0]  # newlines before each kept chunk
        self._newlines_end = head.count(b"\n")
        self._end = start + len(head)  # file offset after the last chunk read
        self._eof = False
        self._buf = head  # the file's bytes from _buf_start to _end
        self._buf_start = start
        self._scratch = bytearray()
        self._boundaries = [(start, 0)]  # (offset, records before it), before the file's first value
        self.pos = start + region  # after the last record handed out (or where the records start)
        self.count = 0
        source.take_head()

    def blocks(self) -> Iterator[list[object]]:
        return self._lines() if self._shape is Shape.JSON_LINES else self._array()

    def _fill(self, pos: int, size: int) -> None:
        """Make the buffer hold the file's bytes from `pos` to `pos + size`, or to its end."""
        if self._end >= pos + size or self._eof:
            return
        parts: list[bytes | memoryview] = [memoryview(self._buf)[pos - self._buf_start :]]
        while self._end < pos + size:
            data = self._source.read_raw()
            if not data:
                self._eof = True
                break
            self._chunks.append(data)
            self._starts.append(self._end)
            self._newlines.append(self._newlines_end)
            self._newlines_end += data.count(b"\n")
            self._end += len(data)
            parts.append(data)
        self._buf = b"".join(parts)
        self._buf_start = pos

    def _wrap(self, start: int, stop: int) -> memoryview:
        """`buffer[start:stop]` between brackets, copied once into a scratch buffer that is kept."""
        size = stop - start + 2
        if len(self._scratch) < size:
            self._scratch = bytearray(2 * size)
        scratch = self._scratch
        scratch[0] = 0x5B  # '['
        scratch[1 : size - 1] = memoryview(self._buf)[start:stop]
        scratch[size - 1] = 0x5D  # ']'
        return memoryview(scratch)[:size]

    def _array(self) -> Iterator[list[object]]:
        size = self._block_size
        while True:
            self._fill(self.pos, size)
            buf = self._buf
            base = self._buf_start
            i = _WS_BYTES.match(buf, self.pos - base).end()  # type: ignore[union-attr]
            if self.count:
                if buf[i : i + 1] != b",":
                    return  # the end of the array, or an error: ijson's part
                i = _WS_BYTES.match(buf, i + 1).end()  # type: ignore[union-attr]
            if i >= len(buf) or buf[i] == 0x5D:  # ']'
                return
            window = min(len(buf), i + size)
            cut = buf.rfind(b"}", i, window) + 1
            values = _parse_array_block(self._wrap(i, cut)) if cut else None
            if values is not None:
                taken = cut - i
            else:
                values, taken = _parse_array_stepwise(buf[i:cut])
            if not values:
                if (window < len(buf) or not self._eof) and size < self._max_block_size:
                    size *= 2  # a value larger than the block, or one that does not parse
                    continue
                return
            size = self._block_size
            self._advance(base + i + taken, len(values))
            yield values

    def _lines(self) -> Iterator[list[object]]:
        size = self._block_size
        while True:
            self._fill(self.pos, size)
            buf = self._buf
            i = self.pos - self._buf_start
            if i >= len(buf):
                return
            window = min(len(buf), i + size)
            newline = buf.rfind(b"\n", i, window)
            if newline < 0 and (window < len(buf) or not self._eof):
                if size < self._max_block_size:
                    size *= 2  # a line longer than the block
                    continue
                return
            stop = len(buf) if newline < 0 else newline
            values = _parse_lines_block(memoryview(buf)[i:stop])
            if values is not None:
                taken = stop - i + (newline >= 0)
            else:
                values, taken = _parse_lines_stepwise(buf[i : stop + 1])
                if not taken:
                    return
            size = self._block_size
            self._advance(self._buf_start + i + taken, len(values))
            if values:
                yield values

    def _advance(self, pos: int, records: int) -> None:
        """Records up to `pos` handed out: a new boundary; drop the chunks a handover can no longer need."""
        self.pos = pos
        self.count += records
        self._boundaries.append((pos, self.count))
        # A handover replays from the chunk holding the byte before the position (at least this one, j),
        # starting at the last boundary not after that chunk's start, with chunk j-1 as the parser's last one.
        j = max(bisect_right(self._starts, pos - 1) - 1, 0)
        last = max(k for k, (offset, _) in enumerate(self._boundaries) if offset <= self._starts[j])
        del self._boundaries[:last]
        keep = min(bisect_right(self._starts, self._boundaries[0][0]) - 1, j - 1)
        if keep > 0:
            del self._chunks[:keep], self._starts[:keep], self._newlines[:keep]

    def handover(self) -> int:
        """Queue on the source what ijson must read to go on from `pos`; the number of values it will yield
        that were handed out already (or are synthetic) and must be skipped.
        """
        j = max(bisect_right(self._starts, self.pos - 1) - 1, 0)
        if j == 0:  # the file's first chunk (the chunk before j is always kept): ijson reads all again
            self._source.resume(
                b"", self._chunks[j:], chunk=b"", chunk_start=self._starts[j], newlines_before_chunk=0
            )
            return self.count
        offset, before = max(b for b in self._boundaries if b[0] <= self._starts[j])
        first = bisect_right(self._starts, offset) - 1
        replay = b"".join(self._chunks[first:j])[offset - self._starts[first] :]
        # A boundary after a record: the parser state there is "inside the array (or between JSON Lines
        # values), after a value", made with the real prefix and an empty object, skipped like the records.
        synthetic = replay if before == 0 else self._prefix + b"{}" + replay
        self._source.resume(
            synthetic,
            self._chunks[j:],
            chunk=self._chunks[j - 1],
            chunk_start=self._starts[j - 1],
            newlines_before_chunk=self._newlines[j - 1],
        )
        return self.count - before + (1 if before else 0)


def _valid_prefix(prefix: bytes) -> bool:
    """Whether yajl reads the object's members before the 'chargebacks' array (`prefix` ends with its '[')."""
    try:
        for _ in _BACKEND.basic_parse(io.BytesIO(prefix + b"]}"), use_float=False):
            pass
    except (ijson.JSONError, ValueError):  # UnicodeDecodeError is a ValueError
        return False
    return True


class BatchReader:
    """Iterate to get `(index, raw_record)`; `header` and `shape` are known once iteration has ended."""

    def __init__(
        self,
        stream: BinaryIO,
        file_name: str,
        *,
        fast: bool | None = None,
        chunk_size: int = CHUNK_SIZE,
        header_window: int = HEADER_WINDOW,
        block_size: int = BLOCK_SIZE,
        max_block_size: int = MAX_BLOCK_SIZE,
    ) -> None:
        """`fast`: whether to use the fast path (default `FAST_PATH`); the sizes are for tests."""
        self.file_name = redact_pans(file_name)  # it goes into messages; a key could hold a card number
        self._source = _Source(
            cast(BinaryIO, _IntegerGuard(stream, self.file_name)), header_window, chunk_size
        )
        self._fast = FAST_PATH if fast is None else fast
        self._block_size = block_size
        self._max_block_size = max_block_size
        self.shape: Shape | None = None
        self.header = BatchHeader()
        self.records = 0
        self._header_fields: dict[str, object] = {}
        self._chargebacks_seen = False
        self._records_start: int | None = None  # where the records start in the head (after the array's '[')

    def __iter__(self) -> Iterator[tuple[int, object]]:
        head = self._source.fill_head()
        first = head.lstrip(_WHITESPACE)[:1]
        offset = self._source.chunk_start + len(head) - len(head.lstrip(_WHITESPACE))
        if not first:
            raise InvalidBatchFile(f"{self.file_name}: the file is empty (byte {offset})")
        self.shape = self._detect_shape(head, first, offset)
        skip = 0
        if self._fast and self._records_start is not None:
            fast = _FastPath(
                self._source, self.shape, self._records_start, self._block_size, self._max_block_size
            )
            index = 0
            for values in fast.blocks():
                for record in values:
                    self.records = index + 1
                    yield index, record
                    index += 1
            skip = fast.handover()
        chunk_size = self._source.chunk_size
        if self.shape is Shape.OBJECT:
            items = _BACKEND.items(self._source, "chargebacks.item", use_float=False, buf_size=chunk_size)
        elif self.shape is Shape.ARRAY:
            items = _BACKEND.items(self._source, "item", use_float=False, buf_size=chunk_size)
        else:
            items = _BACKEND.items(
                self._source, "", use_float=False, multiple_values=True, buf_size=chunk_size
            )
        try:
            for index, record in enumerate(islice(items, skip, None), self.records):
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
        except ArithmeticError:  # decimal.InvalidOperation: an exponent of 19 digits or more
            raise InvalidBatchFile(
                f"{self.file_name}: a number out of range near {self._source.position(self._source.chunk_start)},"
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
            self._records_start = len(head) - len(head.lstrip(_WHITESPACE)) + 1
            return Shape.ARRAY
        if first != b"{":
            kind = (
                "a JSON value that is not an object or an array"
                if _is_json_value(head)
                or (len(head) >= self._source.header_window and first in b'"-0123456789')
                else "not JSON"
            )
            raise InvalidBatchFile(
                f"{self.file_name}: {kind} at byte {offset}; expected an object with 'chargebacks', an array"
                " of records or JSON Lines"
            )
        if self.file_name.lower().endswith(_JSON_LINES_SUFFIXES):
            self._records_start = 0
            return Shape.JSON_LINES
        scan = _scan_head_members(head)
        self._header_fields.update(scan.fields)
        if scan.chargebacks is not None:
            if scan.chargebacks != "[":
                raise InvalidBatchFile(
                    f"{self.file_name}: 'chargebacks' is not an array (byte {scan.chargebacks_offset})"
                )
            self._chargebacks_seen = True
            if head[scan.chargebacks_offset : scan.chargebacks_offset + 1] == b"[" and _valid_prefix(
                head[: scan.chargebacks_offset + 1]
            ):
                self._records_start = scan.chargebacks_offset + 1
            return Shape.OBJECT
        if scan.complete:  # a whole object without 'chargebacks' in the window
            if scan.followed_by_object:
                self._records_start = 0
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


def read_batch(stream: BinaryIO, file_name: str, *, fast: bool | None = None) -> BatchReader:
    """A reader over `stream`; iterate it for `(index, raw_record)`, then look at `.header`."""
    return BatchReader(stream, file_name, fast=fast)


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

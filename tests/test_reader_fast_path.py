"""The reader's fast path against ijson alone: the same records, header, shape and errors for every input.

`BatchReader(..., fast=False)` is the reference. Small chunk, header and block sizes make records straddle
chunks and blocks, so that the hand-over to ijson (replaying the chunk it would have been reading) happens
at every kind of place.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate_batch import write_batch
from chargeback import reader as reader_module
from chargeback.errors import InvalidBatchFile
from chargeback.reader import BatchReader, Shape

BAD = Path(__file__).parent / "data" / "bad"
SIZES: dict[str, dict[str, int]] = {
    "default": {},
    "tiny": {"chunk_size": 16, "header_window": 16, "block_size": 8, "max_block_size": 64},
    "small": {"chunk_size": 64, "header_window": 100, "block_size": 40, "max_block_size": 1024},
    "medium": {"chunk_size": 512, "header_window": 1024, "block_size": 256, "max_block_size": 8192},
}


class _Mark(str):
    """Structure in `describe`'s output, told apart from string values."""


def describe(value: object) -> str:
    """repr without recursion (records may be nested deeper than repr can go): types, key order, exponents."""
    parts: list[str] = []
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Mark):
            parts.append(str.__str__(item))
        elif isinstance(item, dict):
            stack.append(_Mark("}"))
            for key, member in reversed(list(item.items())):
                stack.extend([member, _Mark(repr(key) + ":")])
            parts.append("{")
        elif isinstance(item, list):
            stack.append(_Mark("]"))
            stack.extend(reversed(item))
            parts.append("[")
        else:
            parts.append(repr(item))
    return " ".join(parts)


DECODERS = ["stdlib"] + (
    ["msgspec"] if reader_module._decode_array is not reader_module._stdlib_decode_array else []
)


@pytest.fixture(autouse=True, params=DECODERS)
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test with each block decoder the fast path can have: msgspec where installed, else the stdlib."""
    if request.param == "stdlib":
        monkeypatch.setattr(reader_module, "_decode_array", reader_module._stdlib_decode_array)
        monkeypatch.setattr(reader_module, "_decode_lines", reader_module._stdlib_decode_lines)
    return str(request.param)


def outcome(data: bytes, name: str, *, fast: bool, **sizes: int) -> tuple[Any, ...]:
    """Everything a caller can see: the records (by repr: types, key order, Decimal exponents), the
    shape, header and count, or the error's message with the records yielded before it.
    """
    reader = BatchReader(io.BytesIO(data), name, fast=fast, **sizes)
    seen = []
    try:
        for index, record in reader:
            seen.append((index, describe(record)))
    except InvalidBatchFile as error:
        return ("error", str(error), seen, reader.records)
    return ("ok", seen, reader.shape, reader.header, reader.records)


def assert_same(data: bytes, name: str = "batch.json", sizes: tuple[str, ...] = tuple(SIZES)) -> None:
    for size in sizes:
        expected = outcome(data, name, fast=False, **SIZES[size])
        assert outcome(data, name, fast=True, **SIZES[size]) == expected, size


def generated(count: int, shape: str, seed: int) -> bytes:
    out = io.StringIO()
    write_batch(out, count, shape, reject_rate=0.2, seed=seed)
    return out.getvalue().encode("utf-8")


# --- the bad-input corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(p for p in BAD.iterdir() if p.suffix in (".json", ".jsonl")), ids=str)
def test_bad_input_corpus(path: Path) -> None:
    assert_same(path.read_bytes(), path.name)


# --- generated batches -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("shape", ["object", "array", "jsonl"])
def test_generated_batches(shape: str, seed: int) -> None:
    data = generated(40, shape, seed)
    name = "batch.jsonl" if shape == "jsonl" else "batch.json"
    assert_same(data, name)
    assert_same(b"\xef\xbb\xbf" + data, name)
    assert_same(data.replace(b"\n", b"\r\n"), name)
    assert_same(data + b" \n\t\n", name)
    assert_same(data + b"x", name)
    assert_same(data + b'{"a": 1}', name)
    assert_same(data[: len(data) // 2], name)
    assert_same(data[: len(data) * 3 // 4] + b"\x00" + data[len(data) * 3 // 4 :], name)


@pytest.mark.parametrize("shape", ["object", "array", "jsonl"])
def test_the_fast_path_reads_a_large_file_itself(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = generated(3000, shape, 7)
    name = "batch.jsonl" if shape == "jsonl" else "batch.json"
    through_ijson = 0
    items = reader_module._BACKEND.items

    def counting(*args: Any, **kwargs: Any) -> Iterator[object]:
        nonlocal through_ijson
        for item in items(*args, **kwargs):
            through_ijson += 1
            yield item

    monkeypatch.setattr(reader_module._BACKEND, "items", counting)
    assert outcome(data, name, fast=True) == outcome(data, name, fast=False)
    fast_only = through_ijson - 3000  # what the pure read above went through ijson
    assert fast_only < 1000  # the last few blocks, replayed; not the file


# --- chunk and block boundaries ----------------------------------------------------------------------

GOOD = {"chargeback_id": "CB-1", "network": "visa", "amount": "12.50"}


def array(*records: str, before: str = "[", after: str = "]") -> bytes:
    return (before + ",\n".join(records) + after).encode("utf-8")


TRICKY_RECORDS = [
    '{"a": "}"}',
    '{"a": "},{"}',
    '{"a": "}, {\\"b\\": 1}"}',
    '{"a": {"b": {"c": "}"}}, "d": [1, {"e": 2}]}',
    '{"a": "\\\\"}',
    '{"a": "x\\"}"}',
    '{"a": 1, "a": 2, "b": 3}',
    '{"n": [0, -0, 1.0, 1e2, 1E-2, -0.0, 12345678901234567890123, 1.5e+300, 1e400, 0.000]}',
    '{"big": ' + "9" * 2000 + "}",
    '{"big": 1.' + "0" * 2000 + "}",
    '{"s": "caf\\u00e9 \\ud83d\\ude00 \\u0000 \\/ \\b\\f\\n\\r\\t"}',
    '{"s": "é 東京 😀"}',
    '{"deep": ' + "[" * 50 + "]" * 50 + "}",
    "{}",
    '{"": ""}',
    '{"k": true, "l": false, "m": null}',
]


@pytest.mark.parametrize("record", TRICKY_RECORDS)
def test_tricky_records_in_every_position(record: str) -> None:
    good = json.dumps(GOOD)
    for records in ([record], [record, good], [good, record], [good] * 5 + [record] + [good] * 5):
        assert_same(array(*records))
        assert_same(array(*records, before='{"batch_id": "B", "chargebacks": [', after='], "source": "s"}'))
        assert_same("\n".join(records).encode("utf-8") + b"\n", "batch.jsonl")


BAD_RECORDS = [
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"a": -Infinity}',
    '{"a": "\\ud800"}',
    '{"a": "\\udc00"}',
    '{"a": "\\ud800\\u0041"}',
    '{"a": "\\uD800\\uD800"}',
    '{"a": "x\\ud800"}',
    '{"\\ud800": 1}',
    '{"a": "\\udc00", "a": 1}',
    '{"a": ["\\ud800"], "a": 1}',
    '{"a": "\\\\\\udc00"}',
    '{"a": "\x01"}',
    '{"a": "\t"}',
    '{"a": 01}',
    '{"a": 1.}',
    '{"a": .5}',
    '{"a": +1}',
    '{"a": 0x10}',
    "{'a': 1}",
    '{"a": 1,}',
    '{"a" 1}',
    '{"a": tru}',
    '{"a": "\\x"}',
    '{"a": "\\u12"}',
    '{"deep": ' + "[" * 3000 + "]" * 3000 + "}",
    '{"a": 1}}',
    '{"a": [1}',
    "1",
    '"text"',
    "[1, 2]",
    "null",
    "",
]


@pytest.mark.parametrize("record", BAD_RECORDS)
def test_bad_records_in_every_position(record: str) -> None:
    good = json.dumps(GOOD)
    for records in ([record], [record, good], [good, record], [good] * 5 + [record] + [good] * 5):
        assert_same(array(*records))
        assert_same(array(*records, before='{"chargebacks": [', after="]}"))
        assert_same("\n".join(records).encode("utf-8") + b"\n", "batch.jsonl")


@pytest.mark.parametrize(
    "raw",
    [
        b'[{"a": "\xff"}]',
        b'[{"a": "\xed\xa0\x80"}]',
        b'[{"a": "\xc0\xaf"}]',
        b'[{"a": "\xf4\x90\x80\x80"}]',
        b'[{"a": "\xe6\x9d"}]',
        b'[{"a": 1}\xff]',
    ],
)
def test_invalid_utf8_in_every_position(raw: bytes) -> None:
    good = json.dumps(GOOD).encode()
    inner = raw[1:-1]
    for records in ([inner], [good, inner], [good] * 5 + [inner] + [good] * 5):
        assert_same(b"[" + b",\n".join(records) + b"]")
        assert_same(b"\n".join(records) + b"\n", "batch.jsonl")


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b"[ ]",
        b"[\n]\n",
        b"  [ {} , {} ]  ",
        b"[{},]",
        b"[{} {}]",
        b"[{},,{}]",
        b"[,{}]",
        b"[{}]]",
        b"[{}] x",
        b"[{}",
        b"[{},",
        b'[{}, 1, "a", [], {}, null, {}]',
        b"[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]",
        b'[{"a": 1}' + b" " * 300 + b", {}]",
        b'{"chargebacks": []}',
        b'{"chargebacks": [], "chargebacks": [{"a": 1}]}',
        b'{"chargebacks": [{"a": 1}], "batch_id": "B-2", "chargebacks": [{"b": 2}], "source": "x"}',
        b'{"batch_id": "B-1", "source": NaN, "chargebacks": [{"a": 1}]}',
        b'{"batch_id": "\\ud800", "chargebacks": [{"a": 1}, {"b": 2}]}',
        b'{"batch_id": "B-1", "chargebacks": [{"a": 1}, {"b": 2}], "created_at": "t"} x',
        b'{"batch_id": "B-1", "chargebacks": [{"a": 1}, {"b": 2}], "created_at": }',
        b'{"chargebacks": [{"a": 1}]',
        b'{"a": 1}\n\n{"b": 2}\n',
        b'{"a": 1}\n  \n\t\n{"b": 2}',
        b'{"a": 1}{"b": 2}\n{"c": 3}\n',
        b'{"a": 1}, {"b": 2}\n{"c": 3}\n',
        b'{"a": 1}\n{"b":\n2}\n{"c": 3}\n',
        b'{"a": [1\n2]}\n',
        b'{"a": 1},{"b": [1\n2]}\n',
        b'{"a": 1}\n',
        b'{"a": 1}\n\n\n',
        b'{"a": 1}\r\n{"b": 2}\r\n',
        b'{"a": 1}\n[1]\n{"b": 2}\n',
    ],
)
@pytest.mark.parametrize("name", ["batch.json", "batch.jsonl"])
def test_edges(data: bytes, name: str) -> None:
    assert_same(data, name)
    assert_same(b"\xef\xbb\xbf" + data, name)
    assert_same(data.replace(b"{}", b'{"x": "' + b"y" * 100 + b'"}'), name)


def test_header_fields_around_a_long_array() -> None:
    records = [json.dumps({**GOOD, "chargeback_id": f"CB-{i}"}) for i in range(200)]
    data = array(*records, before='{"batch_id": "B-1", "chargebacks": [', after='], "created_at": "T"}')
    assert_same(data)
    long_member = '"note": "' + "n" * 5000 + '"'
    assert_same(array(*records, before="{" + long_member + ', "chargebacks": [', after="]}"))
    assert_same(array(*records, before='{"chargebacks": [', after="], " + long_member + ', "source": "S"}'))


def test_a_record_larger_than_the_largest_block() -> None:
    large = json.dumps({**GOOD, "blob": "b" * 20_000, "nested": [{"x": "}"}] * 500})
    good = json.dumps(GOOD)
    for records in ([large], [good, large, good], [good] * 50 + [large] + [good] * 50):
        assert_same(array(*records))
        assert_same("\n".join(records).encode() + b"\n", "batch.jsonl")


def test_an_error_deep_in_a_large_file() -> None:
    records = [json.dumps({**GOOD, "chargeback_id": f"CB-{i}"}) for i in range(3000)]
    for position in (0, 1, 1500, 2999):
        broken = [*records]
        broken[position] = broken[position].replace('"12.50"', "12..5")
        assert_same(array(*broken), sizes=("default", "medium"))
        assert_same("\n".join(broken).encode() + b"\n", "batch.jsonl", sizes=("default", "medium"))
        repeated = [json.dumps(GOOD)] * 3000  # the same bytes everywhere: yajl's context is found early
        repeated[position] = repeated[position].replace('"12.50"', "12..5")
        assert_same(array(*repeated), sizes=("default", "medium"))


# --- random documents ---------------------------------------------------------------------------------


def number_texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers().map(str),
        st.decimals(allow_nan=False, allow_infinity=False).map(str),
        st.from_regex(r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,20})?([eE][-+]?[0-9]{1,4})?", fullmatch=True),
    )


def string_texts() -> st.SearchStrategy[str]:
    escapes = st.sampled_from(
        ["\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u00e9", "\\n", '\\"', "\\\\", "}", "},{"]
    )
    plain = st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters='"\\', min_codepoint=0x20),
        max_size=12,
    )
    return st.lists(plain | escapes, max_size=4).map(lambda parts: '"' + "".join(parts) + '"')


JSON_TEXTS = st.recursive(
    number_texts() | string_texts() | st.sampled_from(["true", "false", "null"]),
    lambda children: (
        st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
        | st.lists(st.tuples(string_texts(), children), max_size=5).map(
            lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"
        )
    ),
    max_leaves=12,
)
RECORD_TEXTS = st.lists(st.tuples(string_texts(), JSON_TEXTS), max_size=6).map(
    lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(RECORD_TEXTS | JSON_TEXTS.filter(lambda text: not text.startswith("{")), max_size=12),
    shape=st.sampled_from(["array", "object", "jsonl"]),
    separator=st.sampled_from([",", ",\n", " , ", ",\r\n"]),
    mutation=st.none() | st.tuples(st.integers(min_value=0), st.binary(max_size=2), st.integers(0, 2)),
    size=st.sampled_from(["tiny", "small", "medium"]),
)
def test_random_documents(
    records: list[str], shape: str, separator: str, mutation: tuple[int, bytes, int] | None, size: str
) -> None:
    if shape == "jsonl":
        data = "\n".join(records).encode("utf-8") + b"\n"
    elif shape == "array":
        data = ("[" + separator.join(records) + "]").encode("utf-8")
    else:
        data = ('{"batch_id": "B", "chargebacks": [' + separator.join(records) + '], "source": "S"}').encode()
    if mutation is not None:  # a few bytes replaced: mostly errors, anywhere
        at, insert, remove = mutation
        at %= len(data) + 1
        data = data[:at] + insert + data[at + remove :]
    assert_same(data, "batch.jsonl" if shape == "jsonl" else "batch.json", sizes=(size,))


def test_random_generated_batches_cut_and_spliced() -> None:
    rng = random.Random(5)
    for _ in range(30):
        shape = rng.choice(["object", "array", "jsonl"])
        data = generated(rng.randint(1, 30), shape, rng.randint(0, 10**6))
        at = rng.randrange(len(data))
        data = rng.choice([data[:at], data[:at] + data[at + 1 :], data[:at] + b"}" + data[at:]])
        name = "batch.jsonl" if shape == "jsonl" else "batch.json"
        assert_same(data, name, sizes=(rng.choice(["tiny", "small", "medium"]),))


def test_numbers_stay_exact() -> None:
    data = b'[{"a": 1.10, "b": 1e2, "c": 10, "d": -0.0}]'
    ((_, record),) = list(BatchReader(io.BytesIO(data), "b.json", fast=True))
    assert isinstance(record, dict)
    assert [repr(value) for value in record.values()] == [
        repr(Decimal("1.10")),
        repr(Decimal("1E+2")),
        "10",
        repr(Decimal("-0.0")),
    ]
    assert BatchReader(io.BytesIO(data), "b.json").shape is None  # known once read
    reader = BatchReader(io.BytesIO(data), "b.json")
    list(reader)
    assert reader.shape is Shape.ARRAY


@pytest.mark.parametrize(
    "data",
    [
        b'{"batch_id": "B", "chargebacks": [-6572956375073799241223040975468.\x002278881232], "source": "S"}',
        b'[12.x, {"a": 1}]',
        b"[12e, 1]",
        b"[truex, 1]",
    ],
)
def test_a_value_that_runs_on_past_the_stdlib_scanner_is_left_to_ijson(data: bytes) -> None:
    # Found by test_random_documents: the scanner stopped at '468' where yajl reads '468.' as one token.
    assert_same(data)

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pipeline_fixtures import as_array, as_json_lines, as_object, record, records

from chargeback.errors import InvalidBatchFile
from chargeback.masking import find_full_pans
from chargeback.reader import BatchReader, Shape, read_batch

PAN = "4111111111111111"
LAMBDA_FUNCTIONS = Path(__file__).resolve().parents[1] / "lambda_functions"


def read_all(data: bytes, name: str = "batch.json") -> tuple[list, BatchReader]:
    reader = read_batch(io.BytesIO(data), name)
    return list(reader), reader


def test_three_shapes_yield_the_same_records_with_their_index() -> None:
    items = records(5)
    results = [
        read_all(as_object(items), "b.json")[0],
        read_all(as_array(items), "b.json")[0],
        read_all(as_json_lines(items), "b.jsonl")[0],
        read_all(as_json_lines(items), "b.ndjson")[0],
    ]
    assert all(result == list(enumerate(items)) for result in results)


@pytest.mark.parametrize(
    ("data", "name", "shape"),
    [
        (as_object(records(2)), "b.json", Shape.OBJECT),
        (as_array(records(2)), "b.json", Shape.ARRAY),
        (as_json_lines(records(2)), "b.jsonl", Shape.JSON_LINES),
        (as_json_lines(records(2)), "b.json", Shape.JSON_LINES),  # detected: first line is a whole record
        (b"\xef\xbb\xbf" + as_array(records(2)), "b.json", Shape.ARRAY),  # a UTF-8 BOM is tolerated
    ],
)
def test_shape_is_detected(data: bytes, name: str, shape: Shape) -> None:
    result, reader = read_all(data, name)
    assert reader.shape is shape
    assert [raw["chargeback_id"] for _, raw in result] == ["CB-0", "CB-1"]


def test_numbers_are_decimal_never_float() -> None:
    result, _ = read_all(as_array([record(amount=1), {"amount": 10.10}, {"amount": 1e3}]))
    amounts = [raw["amount"] for _, raw in result]
    assert amounts == [1, Decimal("10.1"), Decimal("1000")]
    assert not any(isinstance(amount, float) for amount in amounts)


def test_header_fields_before_the_array() -> None:
    _, reader = read_all(
        as_object(records(1), batch_id="B-1", source="ops", created_at="2026-11-18T06:00:00Z")
    )
    assert reader.header.batch_id == "B-1"
    assert reader.header.source == "ops"
    assert reader.header.created_at == "2026-11-18T06:00:00Z"


def test_header_fields_after_a_large_array_are_found() -> None:
    # Strings full of brackets, braces and escaped quotes around the end of the array, and unknown members.
    tricky = [record(chargeback_id=f"CB-{i}", merchant_name='x]"}\\", {[') for i in range(3000)]
    body = json.dumps(
        {
            "source": "before",
            "chargebacks": tricky,
            "batch_id": "B-after",
            "meta": {"k": ["]", "}"]},
            "created_at": "t",
        }
    )
    result, reader = read_all(body.encode())
    assert len(result) == 3000
    assert len(body) > 200_000  # more than the header windows
    assert reader.header.batch_id == "B-after"
    assert reader.header.source == "before"
    assert reader.header.created_at == "t"


def test_non_string_header_field_reads_as_absent() -> None:
    _, reader = read_all(as_object(records(1), batch_id=12345))
    assert reader.header.batch_id is None


def test_records_that_are_not_objects_in_an_array_are_passed_on_for_validation() -> None:
    result, _ = read_all(b'[1, "x", null, {"a": 1}]')
    assert result == [(0, 1), (1, "x"), (2, None), (3, {"a": 1})]


def test_reader_streams_without_reading_the_whole_file() -> None:
    data = as_array(records(40_000))
    stream = io.BytesIO(data)
    reader = iter(read_batch(stream, "big.json"))
    next(reader)
    assert len(data) > 4_000_000
    assert stream.tell() <= 256 * 1024


MALFORMED = [
    pytest.param(b"", "b.json", "empty", "byte 0", id="empty"),
    pytest.param(b"  \n\t ", "b.json", "empty", "byte", id="whitespace-only"),
    pytest.param(b"this is not json " + PAN.encode(), "b.json", "not JSON", "byte 0", id="not-json"),
    pytest.param(b"<xml>" + PAN.encode() + b"</xml>", "b.json", "not JSON", "byte 0", id="xml"),
    pytest.param(
        b'"' + PAN.encode() + b'"', "b.json", "not an object or an array", "byte 0", id="top-level-string"
    ),
    pytest.param(b"42", "b.json", "not an object or an array", "byte 0", id="top-level-number"),
    pytest.param(
        b'{"batch_id": "B", "records": []}', "b.json", "no 'chargebacks' array", "byte", id="no-chargebacks"
    ),
    pytest.param(
        b'{"chargebacks": {"a": 1}}',
        "b.json",
        "'chargebacks' is not an array",
        "byte 16",
        id="chargebacks-object",
    ),
    pytest.param(
        b'[{"card_number": "' + PAN.encode() + b'"}, {"a": ',
        "b.json",
        "premature EOF",
        "byte 44",
        id="truncated",
    ),
    pytest.param(
        b'[{"a": 1},\n {"card_number": "' + PAN.encode() + b'\xff"}]',
        "b.json",
        "invalid bytes in UTF8",
        "line 2",
        id="bad-utf8",
    ),
    pytest.param(
        b'[{"a": 1},\n {"amount": NaN}]', "b.json", "invalid char", "byte 23 (line 2, column 13)", id="nan"
    ),
    pytest.param(b'[{"amount": Infinity}]', "b.json", "invalid char", "byte 12", id="infinity"),
    pytest.param(
        b'[{"a": 1}] {"x": "' + PAN.encode() + b'"}', "b.json", "trailing garbage", "byte 11", id="trailing"
    ),
    pytest.param(b'{"a": 1}\n[1, 2]\n', "b.jsonl", "record 1", "line 2", id="json-lines-array-line"),
    pytest.param(b'{"a": 1}\n42\n', "b.jsonl", "not a JSON object", "record 1", id="json-lines-number-line"),
    pytest.param(
        b'{"a": 1}\n{"card_number": "' + PAN.encode() + b'", \n',
        "b.jsonl",
        "premature EOF",
        "line 3",
        id="json-lines-truncated",
    ),
    pytest.param('[{"a": "\u00e9"}]'.encode("utf-16"), "b.json", "not JSON", "byte 0", id="utf-16"),
]


@pytest.mark.parametrize(("data", "name", "what", "where"), MALFORMED)
def test_malformed_file_raises_invalid_batch_file_naming_file_and_position(
    data: bytes, name: str, what: str, where: str
) -> None:
    with pytest.raises(InvalidBatchFile) as caught:
        read_all(data, name)
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert what in message
    assert where in message
    assert PAN not in message
    assert "xml" not in message and "not json " not in message  # no content quoted


def test_error_deep_in_a_large_file_gives_the_exact_line() -> None:
    good = b"".join(json.dumps(r).encode() + b",\n" for r in records(5000))
    data = b"[\n" + good + b'{"amount": 12..5}]'
    with pytest.raises(InvalidBatchFile) as caught:
        read_all(data)
    offset = data.index(b"12..5")
    assert "line 5002" in str(caught.value)
    assert str(offset + 3) in str(caught.value) or str(offset + 2) in str(caught.value)
    assert "after 5000 record(s)" in str(caught.value)


def test_file_name_with_a_card_number_is_masked_in_errors() -> None:
    with pytest.raises(InvalidBatchFile) as caught:
        read_all(b"", f"{PAN}.json")
    assert PAN not in str(caught.value)
    assert "411111******1111.json" in str(caught.value)


PAN_LIKE = st.sampled_from(["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | PAN_LIKE,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8) | PAN_LIKE, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), name=st.sampled_from(["b.json", "b.jsonl"]))
def test_arbitrary_bytes_give_records_or_invalid_batch_file(data: bytes, name: str) -> None:
    try:
        read_all(data, name)
    except InvalidBatchFile as error:
        assert str(error).startswith(name)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, cut=st.integers(min_value=0), name=st.sampled_from(["b.json", "b.jsonl"]))
def test_arbitrary_json_cut_anywhere_never_echoes_a_pan(value: object, cut: int, name: str) -> None:
    text = json.dumps(value)
    data = text.encode()[: cut % (len(text) + 1)] if cut % 3 else text.encode()
    try:
        read_all(data, name)
    except InvalidBatchFile as error:
        assert find_full_pans(str(error)) == []


class ShortReads(io.BytesIO):
    """A stream that returns at most `limit` bytes a read, as a network stream may."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self.limit if size is None or size < 0 else min(size, self.limit))


HUGE_NUMBER_FILES = [
    pytest.param(as_array, "b.json", id="array"),
    pytest.param(as_object, "b.json", id="object"),
    pytest.param(as_json_lines, "b.jsonl", id="json-lines"),
]


@pytest.mark.parametrize(("build", "name"), HUGE_NUMBER_FILES)
def test_a_number_of_thousands_of_digits_is_refused_by_name_without_crashing_the_process(build, name) -> None:
    # ijson's C backend crashes the interpreter on integers past Python's 4,300-digit limit: run the read in
    # a child process so that a regression fails this test instead of killing the test run.
    data = build([record(amount="AMOUNT")]).replace(b'"AMOUNT"', b"7" * 5000)
    script = (
        "import io, sys; from chargeback.reader import read_batch; from chargeback.errors import InvalidBatchFile\n"
        "try:\n    list(read_batch(io.BytesIO(sys.stdin.buffer.read()), sys.argv[1]))\n"
        "except InvalidBatchFile as error:\n    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, name], input=data, capture_output=True, check=False,
        env={"PYTHONPATH": str(LAMBDA_FUNCTIONS), "PATH": os.environ.get("PATH", "")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    message = done.stdout.decode()
    assert name in message and "an integer of 4000 or more digits" in message
    assert f"at byte {data.index(b'7' * 5000)};" in message


@pytest.mark.parametrize("limit", [1, 2, 3, 999, 4096, 10**6])
@pytest.mark.parametrize(
    ("amount", "refused"),
    [
        (b"1" * 4000, True),
        (b"-" + b"1" * 4000, True),
        (b"1" * 3999, False),  # an integer of 3,999 digits: read, then rejected by validation
        (b'"' + b"1" * 5000 + b'"', False),  # a string
        (b"1." + b"0" * 5000, False),  # a fraction
        (b"0." + b"1" * 5000, False),
        (b"1" * 5000 + b".5", False),
    ],
)
def test_only_an_integer_literal_of_thousands_of_digits_is_refused_wherever_reads_split_it(
    limit: int, amount: bytes, refused: bool
) -> None:
    data = as_array([record(amount="AMOUNT"), record(chargeback_id="CB-2")]).replace(b'"AMOUNT"', amount)
    reader = read_batch(ShortReads(data, limit), "b.json")
    if refused:
        start = data.index(b"1" * 3999) - amount.startswith(b"-")
        with pytest.raises(InvalidBatchFile, match=f"at byte {start + amount.startswith(b'-')};"):
            list(reader)
    else:
        assert len(list(reader)) == 2


@settings(max_examples=60, deadline=None)
@given(
    filler=st.integers(min_value=0, max_value=40),
    padding=st.integers(min_value=0, max_value=600),
    digits=st.sampled_from([3999, 4000, 4001, 4095, 4351, 9000]),
    limit=st.sampled_from([4096, 5000, 65536, 10**6]),
)
def test_a_run_of_thousands_of_digits_is_found_wherever_it_falls_against_the_sampled_bytes(
    filler: int, padding: int, digits: int, limit: int
) -> None:
    # The guard folds every 256th byte of a read first: the run is refused at any offset against them.
    data = as_array(
        [record(chargeback_id=f"CB-{i}", merchant_name="x" * padding) for i in range(filler)]
        + [record(amount="AMOUNT"), record(chargeback_id="CB-last")]
    ).replace(b'"AMOUNT"', b"7" * digits)
    reader = read_batch(ShortReads(data, limit), "b.json")
    if digits >= 4000:
        with pytest.raises(InvalidBatchFile, match=f"at byte {data.index(b'7' * digits)};"):
            list(reader)
    else:
        assert len(list(reader)) == filler + 2


@pytest.mark.parametrize("limit", [1, 7, 4096])
def test_an_integer_of_thousands_of_digits_at_the_very_end_is_refused(limit: int) -> None:
    data = b"[" + b"1" * 4000
    with pytest.raises(InvalidBatchFile, match="at byte 1;"):
        list(read_batch(ShortReads(data, limit), "b.json"))


@pytest.mark.parametrize("exponent", [b"1e9999999999999999999", b"1E-" + b"1" * 4000, b"2e+" + b"9" * 30])
@pytest.mark.parametrize("fast", [True, False])
def test_a_number_past_decimals_range_refuses_the_file_by_name(exponent: bytes, fast: bool) -> None:
    data = as_array([record(chargeback_id="CB-1"), record(amount="AMOUNT")]).replace(b'"AMOUNT"', exponent)
    with pytest.raises(
        InvalidBatchFile, match=r"b\.json: a number out of range near byte \d+.*after 1 record"
    ):
        list(read_batch(io.BytesIO(data), "b.json", fast=fast))

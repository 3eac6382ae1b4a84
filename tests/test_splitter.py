from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pipeline_fixtures import as_array, records

from chargeback.csv_writer import HEADER_ROW, write_csv_file
from chargeback.processing import process_batch
from chargeback.settings import RejectPolicy
from chargeback.splitter import Splitter
from tests.support.csv_rows import read_rows

TODAY = date(2026, 11, 22)


def test_records_limit_starts_a_new_file() -> None:
    splitter = Splitter(max_records_per_file=3, max_file_bytes=10**9)
    assert [splitter.assign("visa", 100) for _ in range(7)] == [1, 1, 1, 2, 2, 2, 3]


def test_bytes_limit_counts_the_header_row() -> None:
    splitter = Splitter(max_records_per_file=1000, max_file_bytes=300, header_bytes=100)
    assert [splitter.assign("visa", 100) for _ in range(5)] == [1, 1, 2, 2, 3]


def test_row_exactly_filling_the_file_stays_in_it() -> None:
    splitter = Splitter(max_records_per_file=1000, max_file_bytes=250, header_bytes=50)
    assert [splitter.assign("visa", 100), splitter.assign("visa", 100), splitter.assign("visa", 1)] == [
        1,
        1,
        2,
    ]


def test_row_larger_than_the_limit_goes_alone_in_its_own_file() -> None:
    splitter = Splitter(max_records_per_file=1000, max_file_bytes=300, header_bytes=100)
    sizes = [100, 500, 100, 100]
    assert [splitter.assign("visa", size) for size in sizes] == [1, 2, 3, 3]


def test_networks_fill_their_own_files() -> None:
    splitter = Splitter(max_records_per_file=2, max_file_bytes=10**9)
    order = ["visa", "amex", "visa", "visa", "amex", "discover"]
    assert [splitter.assign(network, 10) for network in order] == [1, 1, 1, 2, 1, 1]
    assert (splitter.parts("visa"), splitter.parts("amex"), splitter.parts("mastercard")) == (2, 1, 0)


@pytest.mark.parametrize(("records_limit", "bytes_limit"), [(0, 100), (10, 0), (-1, -1)])
def test_limits_below_one_are_refused(records_limit: int, bytes_limit: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Splitter(records_limit, bytes_limit)


@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["visa", "mastercard", "amex", "discover"]), st.integers(1, 400))
    ),
    max_records=st.integers(1, 20),
    max_bytes=st.integers(150, 3000),
)
def test_every_file_honours_both_limits_unless_a_single_row_is_too_large(
    rows: list[tuple[str, int]], max_records: int, max_bytes: int
) -> None:
    splitter = Splitter(max_records, max_bytes, header_bytes=100)
    files: dict[tuple[str, int], list[int]] = {}
    last_part: dict[str, int] = {}
    for network, size in rows:
        part = splitter.assign(network, size)
        assert part in (
            last_part.get(network, 1),
            last_part.get(network, 0) + 1,
        )  # parts in order, none skipped
        last_part[network] = part
        files.setdefault((network, part), []).append(size)
    for sizes in files.values():
        assert len(sizes) <= max_records
        assert 100 + sum(sizes) <= max_bytes or len(sizes) == 1


def test_split_batch_keeps_order_limits_and_at_most_four_files_a_part(tmp_path: Path) -> None:
    # Given 203 records of four networks, interleaved unevenly
    networks = ("visa", "visa", "mastercard", "amex", "visa", "discover", "mastercard")
    items = records(203, networks)
    max_bytes = len(HEADER_ROW) + 5 * 200  # about 4-5 rows a file
    # When the batch is split
    result = process_batch(
        io.BytesIO(as_array(items)), "b.json", "incoming/b.json", TODAY, 7, max_bytes,
        RejectPolicy.PARTIAL, tmp_path,
    )  # fmt: skip
    # Then every part holds at most one file per network, parts are numbered 1..n
    parts = result.parts()
    assert sorted(parts) == list(range(1, len(parts) + 1))
    for slices in parts.values():
        assert len(slices) <= 4
        assert len({piece.network for piece in slices}) == len(slices)
    # and every file honours both limits
    for piece in result.slices:
        with piece.path.open("rb") as source:
            summary = write_csv_file(source, tmp_path / "check.csv")
        assert len(read_rows(piece.path)) == piece.records <= 7
        assert summary.bytes <= max_bytes
    # and each network's records, read part after part, are in input order
    for network in set(networks):
        ids = []
        for part in sorted(parts):
            for piece in parts[part]:
                if piece.network == network:
                    ids += [r["chargeback_id"] for r in read_rows(piece.path)]
        assert ids == [item["chargeback_id"] for item in items if item["network"] == network]
    assert len(parts) > 3  # the limits did split the batch

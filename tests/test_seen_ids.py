"""SeenIds (chargeback.seen_ids): the same answers as a set, in every process, at any size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from array import array
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chargeback.seen_ids import DEFAULT_FILTER_BYTES, FIRST_FILTER_BYTES, SeenIds, _holds, digest

ROOT = Path(__file__).resolve().parent.parent
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

# Pinned: the digest must not move between processes, hash seeds or Python versions.
GOLDEN = ["CB-000000123", "", "a", "a\x00", "é", "CB-" + "9" * 61]


def check_against_set(values: list[str], seen: SeenIds) -> None:
    reference: set[str] = set()
    for value in values:
        expected = value not in reference
        reference.add(value)
        assert seen.add(value) is expected, value
        assert value in seen
    assert len(seen) == len(reference)


@given(st.lists(st.text(max_size=20), max_size=300))
def test_same_answers_as_a_set_for_any_strings(values: list[str]) -> None:
    check_against_set(values, SeenIds())


@given(st.lists(st.text(alphabet="ab\x00", max_size=6), max_size=300), st.sampled_from([1, 2, 64]))
def test_same_answers_with_a_saturated_filter(values: list[str], filter_bytes: int) -> None:
    # A filter of 8 to 512 bits is soon all ones: nearly every add takes the exact search.
    check_against_set(values, SeenIds(filter_bytes=filter_bytes))


@given(st.lists(st.integers(0, 2_000), max_size=500), st.booleans())
@settings(max_examples=50)
def test_same_answers_for_id_like_strings_with_many_repeats(numbers: list[int], small: bool) -> None:
    values = [f"CB-{number:09d}" for number in numbers]
    check_against_set(values, SeenIds(filter_bytes=8 if small else 1 << 22))


def test_adversarial_near_misses() -> None:
    # Prefixes, trailing NULs, one-byte changes, reorderings, non-ASCII, empty, the maximum length.
    values = ["", "\x00", "\x00\x00", "a", "a\x00", "\x00a", "ab", "ba", "é", "e\u0301", "CB-1", "CB-01"]
    values += [f"CB-{i:09d}" for i in range(300)] + [f"CB-{i:09d}"[::-1] for i in range(300)]
    values += ["x" * n for n in range(1, 80)] + ["CB-" + c * 61 for c in ID_ALPHABET]
    check_against_set(values + values[::-1] + values, SeenIds(filter_bytes=16))
    assert len({digest(value) for value in values}) == len(set(values))


def test_the_first_occurrence_is_kept_and_every_repeat_refused() -> None:
    seen = SeenIds()
    assert seen.add("CB-1") is True
    assert [seen.add("CB-1") for _ in range(3)] == [False, False, False]
    assert len(seen) == 1
    assert "CB-2" not in seen
    assert 5 not in seen


def test_the_filter_size_must_be_a_power_of_two() -> None:
    for bad in (0, 3, -8, 1 << 33):
        with pytest.raises(ValueError, match="filter_bytes must be a power of two"):
            SeenIds(filter_bytes=bad)
        with pytest.raises(ValueError, match="first_filter_bytes must be a power of two"):
            SeenIds(first_filter_bytes=bad)


def test_two_hundred_thousand_ids() -> None:
    seen = SeenIds()
    count = 200_000
    assert all(seen.add(f"CB-{i:09d}") for i in range(count))
    assert len(seen) == count
    # In another order: every one is a repeat; then new ones again.
    assert not any(seen.add(f"CB-{(i * 7919) % count:09d}") for i in range(count))
    assert all(seen.add(f"CB-{i:09d}") for i in range(count, count + 1_000))
    assert len(seen) == count + 1_000
    # The digests behave: no full collision, and the partitions are even (about 49 ids each).
    sizes = [0 if partition is None else len(partition) for partition in seen._lows]
    assert min(sizes) > 0
    assert max(sizes) < 3 * (count + 1_000) / len(sizes)
    assert seen.memory_bytes() < 10 * (count + 1_000)  # 6 bytes a digest, headroom, 8192 array headers


def test_the_filter_grows_with_the_ids_and_keeps_every_digest() -> None:
    # first_filter_bytes at first; doubled once it holds more than one id per 16 bits, up to filter_bytes.
    seen = SeenIds(filter_bytes=1 << 17, first_filter_bytes=1 << 16)
    values = [f"CB-{i:09d}" for i in range(70_000)]
    for count, value in enumerate(values, 1):
        seen.add(value)
        if count in (1 << 15, (1 << 15) + 1, 70_000):
            size = len(seen._filter)
            assert size == (1 << 16 if count == 1 << 15 else 1 << 17)
            expected = bytearray(size)
            for key in map(digest, values[:count]):  # each digest's bit, as add() sets it
                expected[key & (size - 1)] |= 1 << ((key >> 61) % 8)
            assert seen._filter == expected
    assert not any(seen.add(value) for value in values)


def test_a_small_batch_allocates_little() -> None:
    tracemalloc.start()
    try:
        seen = SeenIds()
        for i in range(1_000):
            seen.add(f"CB-{i:09d}")
        allocated, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The first filter, two lists of 4096 partitions and the ~1,000 arrays the ids are in (about 0.2 MiB):
    # not the full filter, nor 8192 arrays made up front.
    assert allocated < FIRST_FILTER_BYTES + 512 * 1024 < DEFAULT_FILTER_BYTES


def test_small_filter_large_n() -> None:
    # The exact store alone (a one-byte filter): the answers do not depend on the filter.
    seen = SeenIds(filter_bytes=1)
    values = [f"CB-{i:06d}" for i in range(5_000)]
    assert all(seen.add(value) for value in values)
    assert not any(seen.add(value) for value in reversed(values))


CHILD = """
import json, sys
from chargeback.seen_ids import SeenIds, _holds, digest
values = json.loads(sys.argv[1])
seen = SeenIds(filter_bytes=64)
print(json.dumps({"digests": [digest(v) for v in values], "answers": [seen.add(v) for v in values],
                  "hash": hash("CB-000000123")}))
"""


def run_child(values: list[str], seed: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT / "lambda_functions"))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(values)], capture_output=True, text=True, env=env, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_same_digests_and_answers_in_every_process() -> None:
    values = [*GOLDEN, *(f"CB-{i:09d}" for i in range(200)), "CB-000000005", "a"]
    first, second = run_child(values, "1"), run_child(values, "2")
    assert first["hash"] != second["hash"]  # the seeds did differ: str hashes moved
    assert first["digests"] == second["digests"] == [digest(value) for value in values]
    assert first["answers"] == second["answers"]
    assert first["answers"][-2:] == [False, False]


def test_pinned_digests() -> None:
    # CPython's tuple hash of the UTF-8 bytes on a 64-bit build (the same since 3.8).
    assert [digest(value) for value in GOLDEN] == [
        2725287499415242210,
        5740354900026072187,
        -5842460086913362318,
        3823223384134344019,
        262016421630814685,
        -4960922239508556252,
    ]


def test_the_exact_test_matches_whole_aligned_low_words_and_their_high_word() -> None:
    lows = array("I", [0x0201_0000, 0x0000_0003, 7])
    highs = array("H", [1, 2, 9])
    assert _holds(lows, highs, 0x0000_0003, 2) and _holds(lows, highs, 7, 9)
    assert not _holds(lows, highs, 7, 1)  # the low word is there, with another high word
    # 01 02 03 00 appears in the bytes across the first two words (little endian), not as a word
    pattern = int.from_bytes(bytes([1, 2, 3, 0]), sys.byteorder)
    assert not _holds(lows, highs, pattern, 1) and not _holds(lows, highs, pattern, 2)

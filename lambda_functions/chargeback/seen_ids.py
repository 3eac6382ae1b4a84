"""The chargeback ids seen so far in a batch file, in flat, small memory, with deterministic answers.

`SeenIds` keeps a 64-bit digest of each id, never the id itself:

- The digest is CPython's tuple hash of the id's UTF-8 bytes, `hash(tuple(value.encode()))`: xxHash64's
  round (multiply, rotate, multiply) over one lane a byte, then the length. Unlike `hash(str)` it takes
  no key: an int's hash is its value, so the same id has the same digest in every process, whatever
  PYTHONHASHSEED (a test runs two processes with different seeds and pins some digests). It is the same
  algorithm on every 64-bit CPython since 3.8. It costs 0.3 us, a third of `hashlib.blake2b`. Each step
  is a bijection of the 64-bit state for a given byte, so ids that differ only in their last byte never
  share a digest, and two ids share one only when their states meet at their last differing byte: about
  2^-64 for ids not built against this (unkeyed) hash. A set of n ids then holds a colliding pair with
  probability about n^2 / 2^65: 2.7e-8 for a million ids, 2.7e-6 for ten million.
- A fixed bitmap filter (`filter_bytes`, 4 MiB = 2^25 bits by default, allocated at construction) has one
  bit set per digest. A clear bit proves the id new: the common case, one byte read and one written.
  A set bit (a repeat, or a false positive: about n / 2^25 of new ids, 3% at a million) leads to the exact
  test below, so the filter never causes a false "duplicate", it only decides when to look.
- The exact store: every digest appended to one of 4096 append-only `array("q")` partitions (chosen by its
  top 12 bits), 8 bytes an id plus the arrays' 1/16 growth headroom: about 8.5 bytes an id at a million
  ids, growing in small steps, one partition at a time. The exact test searches the partition's bytes
  for the digest's 8 bytes (bytes.find, in C).

So an id is reported as a duplicate only when an earlier id has the same full 64-bit digest: never
because of the filter. benchmarks/seen_ids.py measures the speed and memory against the sorted
partitions this replaces.
"""

from __future__ import annotations

import sys
from array import array
from typing import Final

__all__ = ["DEFAULT_FILTER_BYTES", "SeenIds", "digest"]

_PARTITION_SHIFT: Final = 52  # 4096 partitions, by the top 12 bits (as a signed index: -2048..2047)
_BITS: Final = tuple(1 << k for k in range(8))  # the filter bit, chosen by the top 3 bits (-4..3)
_BYTEORDER: Final = sys.byteorder  # how array("q") lays out its items
DEFAULT_FILTER_BYTES: Final = 1 << 22  # 4 MiB, 2^25 bits


def digest(value: str) -> int:
    """The 64-bit digest (signed) of `value` that `SeenIds` keeps: the same in every process."""
    return hash(tuple(value.encode()))


def _holds(partition: array[int], key: int) -> bool:
    """Whether `partition` holds `key`: a byte search, in C, that counts only 8-byte-aligned matches."""
    pattern = key.to_bytes(8, _BYTEORDER, signed=True)
    data = partition.tobytes()
    position = data.find(pattern)
    while position >= 0:
        if not position & 7:
            return True
        position = data.find(pattern, position + 1)
    return False


class SeenIds:
    """A set of strings kept as 64-bit digests: `add` returns False for one added before.

    See the module's documentation: a fixed `filter_bytes` bitmap (4 MiB by default; a power of two, at
    least 1) plus about 8.5 bytes an id; a false "duplicate" only on a full 64-bit digest collision,
    probability about n^2 / 2^65 for n ids (2.7e-8 at a million).
    """

    __slots__ = ("_filter", "_mask", "_partitions")

    def __init__(self, filter_bytes: int = DEFAULT_FILTER_BYTES) -> None:
        if filter_bytes < 1 or filter_bytes & (filter_bytes - 1):
            raise ValueError(f"filter_bytes must be a power of two, got {filter_bytes}")
        self._filter = bytearray(filter_bytes)
        self._mask = filter_bytes - 1
        self._partitions = [array("q") for _ in range(1 << (64 - _PARTITION_SHIFT))]

    def __len__(self) -> int:
        return sum(map(len, self._partitions))

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        key = digest(value)
        return _holds(self._partitions[key >> _PARTITION_SHIFT], key)

    def add(self, value: str) -> bool:
        """Add `value`; False when it was there already."""
        key = hash(tuple(value.encode()))  # digest(), inline: this is the hot path
        bitmap = self._filter
        index = key & self._mask
        byte = bitmap[index]
        bit = _BITS[key >> 61]
        partition = self._partitions[key >> _PARTITION_SHIFT]
        if byte & bit:
            if _holds(partition, key):
                return False
        else:
            bitmap[index] = byte | bit
        partition.append(key)
        return True

    def memory_bytes(self) -> int:
        """The bytes the digests' arrays hold now (items plus growth headroom), without the fixed filter."""
        return sum(map(sys.getsizeof, self._partitions))

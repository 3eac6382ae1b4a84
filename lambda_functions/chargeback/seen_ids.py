"""The chargeback ids seen so far in a batch file, in flat, small memory, with deterministic answers.

`SeenIds` keeps a 60-bit digest of each id, never the id itself:

- The digest is CPython's tuple hash of the id's UTF-8 bytes, `hash(tuple(value.encode()))`: xxHash64's
  round (multiply, rotate, multiply) over one lane a byte, then the length. Unlike `hash(str)` it takes
  no key: an int's hash is its value, so the same id has the same digest in every process, whatever
  PYTHONHASHSEED (a test runs two processes with different seeds and pins some digests). It is the same
  algorithm on every 64-bit CPython since 3.8. It costs 0.3 us, a third of `hashlib.blake2b`. Each step
  is a bijection of the 64-bit state for a given byte, so ids that differ only in their last byte never
  share a digest, and two ids share one only when their states meet at their last differing byte: about
  2^-64 for ids not built against this (unkeyed) hash. 60 of its bits are kept (below), so a set of n
  ids holds a colliding pair with probability about n^2 / 2^61: 4.3e-7 for a million ids.
- A bitmap filter has one bit set per digest. A clear bit proves the id new: the common case, one byte
  read and one written. A set bit (a repeat, or a false positive) leads to the exact test below, so the
  filter never causes a false "duplicate", it only decides when to look. It starts at 2 MiB (2^24 bits)
  and doubles (its bits set again from the exact store, which holds every digest's low bits) whenever
  it holds more than one id per 16 bits, up to `filter_bytes` (4 MiB = 2^25 bits by default). So false
  positives stay under 1/16 of new ids until it is full (about 6% at a million ids), and a small batch
  does not pay for 4 MiB it would barely use (zeroing them took about 2.5 ms, a few per cent of a
  batch of ten thousand records). It starts no smaller: that would save more memory at ten thousand
  records than at a million, and the data_processor's peak at a million records is held to 1.25 times
  its peak at ten thousand (issue 6).
- The exact store: one of 4096 partitions, chosen by the digest's top 12 bits, keeps bits 0-31 in an
  append-only `array("I")` and bits 32-47 in an `array("H")`: 6 bytes an id plus the arrays' 1/16
  growth headroom, growing in small steps, one partition at a time, each made at its first id (8192
  empty arrays up front cost another 2 ms). (Whole 8-byte digests took 2 MiB more at a million ids,
  which broke the data_processor's flat-memory goal.) The exact test searches the partition's low words
  (bytes.find, in C) and compares the high word at each match.

So an id is reported as a duplicate only when an earlier id has the same 60-bit digest: never because of
the filter. benchmarks/seen_ids.py measures its speed and memory.
"""

from __future__ import annotations

import sys
from array import array
from typing import Final

__all__ = ["DEFAULT_FILTER_BYTES", "FIRST_FILTER_BYTES", "SeenIds", "digest"]

_PARTITION_SHIFT: Final = 52  # 4096 partitions, by the top 12 bits (as a signed index: -2048..2047)
_BITS: Final = tuple(1 << k for k in range(8))  # the filter bit, chosen by the top 3 bits (-4..3)
_BYTEORDER: Final = sys.byteorder  # how array("q") lays out its items
DEFAULT_FILTER_BYTES: Final = 1 << 22  # 4 MiB, 2^25 bits
FIRST_FILTER_BYTES: Final = 1 << 21  # 2 MiB: the filter's size until it holds more than 2^20 ids
_IDS_PER_FILTER_BYTE: Final = 0.5  # one id per 16 bits: then the filter doubles, up to its full size
_PARTITIONS: Final = 1 << (64 - _PARTITION_SHIFT)


def digest(value: str) -> int:
    """The 64-bit digest (signed) of `value`, of which `SeenIds` keeps 60 bits: the same in every process."""
    return hash(tuple(value.encode()))


def _holds(lows: array[int], highs: array[int], low: int, high: int) -> bool:
    """Whether the partition holds (low, high): a byte search of `lows`, in C, counting only 4-byte-aligned
    matches, each then checked against `highs` at the same index.
    """
    pattern = low.to_bytes(4, _BYTEORDER)
    data = lows.tobytes()
    position = data.find(pattern)
    while position >= 0:
        if not position & 3 and highs[position >> 2] == high:
            return True
        position = data.find(pattern, position + 1)
    return False


class SeenIds:
    """A set of strings kept as 60-bit digests: `add` returns False for one added before.

    See the module's documentation: a bitmap filter of `first_filter_bytes` growing to `filter_bytes` (2
    and 4 MiB by default; powers of two from 1 to 2^32) plus about 6.4 bytes an id; a false "duplicate" only
    on a 60-bit digest collision, probability about n^2 / 2^61 for n ids (4.3e-7 at a million).
    """

    __slots__ = ("_count", "_filter", "_filter_bytes", "_grow_at", "_highs", "_lows", "_mask")

    def __init__(
        self, filter_bytes: int = DEFAULT_FILTER_BYTES, first_filter_bytes: int = FIRST_FILTER_BYTES
    ) -> None:
        for name, size in (("filter_bytes", filter_bytes), ("first_filter_bytes", first_filter_bytes)):
            # At most 2^32 bytes: a filter index is taken from the low 32 bits, which the store keeps.
            if size < 1 or size & (size - 1) or size > 1 << 32:
                raise ValueError(f"{name} must be a power of two up to 2^32, got {size}")
        self._filter_bytes = filter_bytes
        self._count = 0
        # Partition k at index k (negative k from the end, as a list indexes): each made at its first id.
        self._lows: list[array[int] | None] = [None] * _PARTITIONS  # bits 0-31 of each digest
        self._highs: list[array[int] | None] = [None] * _PARTITIONS  # bits 32-47
        self._filter = bytearray()
        self._mask = 0
        self._grow_at = 0
        self._size_filter(min(filter_bytes, first_filter_bytes))

    def __len__(self) -> int:
        return self._count

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        key = digest(value)
        index = key >> _PARTITION_SHIFT
        lows, highs = self._lows[index], self._highs[index]
        if lows is None or highs is None:
            return False
        return _holds(lows, highs, key & 0xFFFF_FFFF, (key >> 32) & 0xFFFF)

    def add(self, value: str) -> bool:
        """Add `value`; False when it was there already."""
        key = hash(tuple(value.encode()))  # digest(), inline: this is the hot path
        bitmap = self._filter
        index = key & self._mask
        byte = bitmap[index]
        bit = _BITS[key >> 61]
        partition = key >> _PARTITION_SHIFT
        lows = self._lows[partition]
        highs = self._highs[partition]
        low = key & 0xFFFF_FFFF
        high = (key >> 32) & 0xFFFF
        if lows is None or highs is None:
            lows = self._lows[partition] = array("I")
            highs = self._highs[partition] = array("H")
        if byte & bit:
            if _holds(lows, highs, low, high):
                return False
        else:
            bitmap[index] = byte | bit
        lows.append(low)
        highs.append(high)
        self._count += 1
        if self._count > self._grow_at:
            self._size_filter(2 * len(bitmap))
        return True

    def _size_filter(self, size: int) -> None:
        """A filter of `size` bytes holding every digest stored so far; the next size once it is crowded."""
        bitmap = bytearray(size)
        mask = size - 1
        for position, lows in enumerate(self._lows):
            if lows is not None:
                partition = position - _PARTITIONS if position >= _PARTITIONS // 2 else position
                bit = _BITS[partition >> (61 - _PARTITION_SHIFT)]  # the digest's top 3 bits, as in add()
                for low in lows:
                    bitmap[low & mask] |= bit  # the filter's index is in the low 32 bits
        self._filter = bitmap
        self._mask = mask
        full = size >= self._filter_bytes
        self._grow_at = 1 << 62 if full else int(size * _IDS_PER_FILTER_BYTE)

    def memory_bytes(self) -> int:
        """The bytes the digests' arrays hold now (items plus growth headroom), without the filter."""
        arrays = [*self._lows, *self._highs]
        return sum(sys.getsizeof(stored) for stored in arrays if stored is not None)

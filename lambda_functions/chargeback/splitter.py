"""Splitting a batch into parts that honour `max_records_per_file` and `max_file_bytes` (CONTRACT section 3).

Each network's records, in input order, fill that network's files one after the other; a file is closed
when the next row would take it over either limit (the header row counts towards the bytes). Part k of the
batch is file k of every network, so a batch part never holds more than one file per network (at most 4).

A single row larger than `max_file_bytes` minus the header cannot fit any file: it goes alone in its own
file, which then exceeds the byte limit by that row. Rejecting it would drop a valid chargeback because of a
size setting; a real row is a few hundred bytes and the limit megabytes, so this only happens with a
misconfigured limit, and the oversized file is visible in the manifest counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chargeback.csv_writer import HEADER_ROW


@dataclass
class _Fill:
    part: int = 0
    records: int = 0
    bytes: int = 0


@dataclass
class Splitter:
    """Assigns each row to a part number (from 1), per network, as rows come in input order."""

    max_records_per_file: int
    max_file_bytes: int
    header_bytes: int = len(HEADER_ROW)
    _fills: dict[str, _Fill] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_records_per_file < 1:
            raise ValueError("max_records_per_file must be at least 1")
        if self.max_file_bytes < 1:
            raise ValueError("max_file_bytes must be at least 1")

    def assign(self, network: str, row_bytes: int) -> int:
        """The part the next row of `network` (of `row_bytes` bytes) goes to."""
        fill = self._fills.get(network)
        if fill is None:
            fill = self._fills[network] = _Fill()
        if (
            fill.part == 0
            or fill.records >= self.max_records_per_file
            or (fill.records > 0 and fill.bytes + row_bytes > self.max_file_bytes)
        ):
            fill.part += 1
            fill.records = 0
            fill.bytes = self.header_bytes
        fill.records += 1
        fill.bytes += row_bytes
        return fill.part

    def parts(self, network: str) -> int:
        """How many files `network` has so far."""
        fill = self._fills.get(network)
        return fill.part if fill else 0

"""The data_processor's work, without AWS: read -> validate -> reject duplicates -> split -> write.

`process_batch` streams the input once. Each valid record is rendered at once to its CSV row (the exact
bytes of section 3), and the rows are written to one local file per (batch part, network) under `workdir`:
the csv_generator only puts the header in front. Rejections go to a rejects report file there too. Memory
stays flat whatever the input size: one record at a time, at most one open file per network, and the
chargeback ids seen so far kept as 6-byte digests (`SeenIds`, deterministic: the same file always gets
the same answers).

The usual record takes the fast path (`usual_record_row`: straight to its row); any other goes through
`validate_record`, which has the final word, then `render_row`. Both give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO, Final, TextIO, cast

from chargeback.csv_writer import render_row
from chargeback.errors import BatchRejected
from chargeback.fast_path import usual_record_row
from chargeback.hashing import HashingReader
from chargeback.masking import redact_pans
from chargeback.models import BatchHeader
from chargeback.networks import Network
from chargeback.reader import Shape, read_batch
from chargeback.seen_ids import SeenIds
from chargeback.settings import RejectPolicy
from chargeback.splitter import Splitter
from chargeback.validation import (
    RecordRejection,
    derive_batch_id,
    duplicate_id_rejection,
    validate_batch_id,
    validate_record,
)

REJECTS_REPORT_NAME: Final = "rejects.json"
_REJECTS_LINES_NAME: Final = "rejects.records.jsonl"
_NETWORK_ORDER: Final = {network.value: position for position, network in enumerate(Network)}
_WRITE_BUFFER: Final = 256 * 1024


@dataclass(frozen=True)
class SliceFile:
    """The CSV rows (no header) of one network in one batch part."""

    part: int
    network: str
    path: Path
    records: int
    bytes: int


@dataclass(frozen=True)
class ProcessingResult:
    batch_id: str
    header: BatchHeader
    shape: Shape
    received: int
    valid: int
    rejected: int
    counts: dict[str, int]  # valid records per network, in Network order
    slices: list[SliceFile]  # by part, then Network order
    rejects_report: Path | None  # None when no record was rejected
    input_sha256: str  # of the whole input file, byte for byte

    def parts(self) -> dict[int, list[SliceFile]]:
        grouped: dict[int, list[SliceFile]] = {}
        for piece in self.slices:
            grouped.setdefault(piece.part, []).append(piece)
        return grouped


@dataclass
class _OpenSlice:
    part: int
    path: Path
    out: BinaryIO
    records: int = 0
    bytes: int = 0


@dataclass
class _SliceWriters:
    """At most one open file per network: the one of its current part."""

    directory: Path
    open_slices: dict[str, _OpenSlice] = field(default_factory=dict)
    done: list[SliceFile] = field(default_factory=list)

    def write(self, part: int, network: str, row: bytes) -> None:
        current = self.open_slices.get(network)
        if current is None or current.part != part:
            if current is not None:
                self._close(network, current)
            path = self.directory / f"part-{part:03d}" / f"{network}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            current = _OpenSlice(part, path, path.open("wb", buffering=_WRITE_BUFFER))
            self.open_slices[network] = current
        current.out.write(row)
        current.records += 1
        current.bytes += len(row)

    def _close(self, network: str, current: _OpenSlice) -> None:
        current.out.close()
        self.done.append(SliceFile(current.part, network, current.path, current.records, current.bytes))

    def close(self) -> list[SliceFile]:
        for network, current in self.open_slices.items():
            self._close(network, current)
        self.open_slices.clear()
        return sorted(self.done, key=lambda piece: (piece.part, _NETWORK_ORDER[piece.network]))

    def abort(self) -> None:
        for current in self.open_slices.values():
            current.out.close()
        self.open_slices.clear()


class _Rejects:
    """Rejections streamed to a JSON Lines file, then wrapped into the rejects report."""

    def __init__(self, workdir: Path) -> None:
        self._lines_path = workdir / _REJECTS_LINES_NAME
        self.report_path = workdir / REJECTS_REPORT_NAME
        self._out: TextIO | None = None
        self.count = 0

    def add(self, rejection: RecordRejection) -> None:
        if self._out is None:
            self._out = self._lines_path.open("w", encoding="utf-8", buffering=_WRITE_BUFFER)
        self._out.write(json.dumps(rejection.to_report(), ensure_ascii=False))
        self._out.write("\n")
        self.count += 1

    def write_report(self, batch_id: str | None, input_key: str) -> Path | None:
        """The report `{"batch_id", "input_key", "rejected", "records": [...]}`, written as a stream."""
        if self._out is None:
            return None
        self._out.close()
        with self.report_path.open("w", encoding="utf-8") as report:
            head = json.dumps({"batch_id": batch_id, "input_key": input_key, "rejected": self.count})
            report.write(head[:-1] + ', "records": [\n')
            with self._lines_path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines):
                    report.write(",\n" if number else "")
                    report.write(line.rstrip("\n"))
            report.write("\n]}\n")
        self._lines_path.unlink()
        return self.report_path


def process_batch(
    stream: BinaryIO,
    file_name: str,
    object_key: str,
    today: date,
    max_records_per_file: int,
    max_file_bytes: int,
    reject_policy: RejectPolicy,
    workdir: Path,
) -> ProcessingResult:
    """Read, validate and split one batch file into files of CSV rows under `workdir`.

    Raises InvalidBatchFile (the file cannot be read as a batch) or BatchRejected (no valid record, or a
    bad record under the strict policy). Either way the rejects report, if any, is at
    `workdir / REJECTS_REPORT_NAME`.
    """
    source = HashingReader(stream)  # the content's SHA-256: what makes two inputs "the same file"
    reader = read_batch(cast(BinaryIO, source), file_name)
    splitter = Splitter(max_records_per_file, max_file_bytes)
    writers = _SliceWriters(workdir / "rows")
    rejects = _Rejects(workdir)
    seen = SeenIds()
    counts = dict.fromkeys(_NETWORK_ORDER, 0)
    received = 0
    today_text = today.isoformat()

    def reject(rejection: RecordRejection) -> None:
        rejects.add(rejection)
        if reject_policy is RejectPolicy.STRICT:
            rejects.write_report(None, object_key)
            raise BatchRejected(f"strict reject policy: {rejection.describe(file_name)}")

    try:
        for index, raw in reader:
            received += 1
            usual = usual_record_row(raw, today_text)
            if usual is not None:
                chargeback_id, network, row = usual
            else:
                result = validate_record(raw, index, today)
                if isinstance(result, RecordRejection):
                    reject(result)
                    continue
                chargeback_id, network, row = result.chargeback_id, result.network._value_, render_row(result)
            if not seen.add(chargeback_id):
                reject(duplicate_id_rejection(index, chargeback_id))
                continue
            writers.write(splitter.assign(network, len(row)), network, row)
            counts[network] += 1
    except BaseException:
        writers.abort()
        raise
    slices = writers.close()
    source.drain()
    batch_id = validate_batch_id(reader.header.batch_id) or derive_batch_id(object_key, source.sha256)
    report = rejects.write_report(batch_id, object_key)
    valid = received - rejects.count
    if valid == 0:
        raise BatchRejected(
            f"{redact_pans(file_name)}: no valid record ({received} received, {rejects.count} rejected)"
            + ("; the rejects report lists why" if rejects.count else "")
        )
    assert reader.shape is not None
    return ProcessingResult(
        batch_id=batch_id,
        header=reader.header,
        shape=reader.shape,
        received=received,
        valid=valid,
        rejected=rejects.count,
        counts={network: count for network, count in counts.items() if count},
        slices=slices,
        rejects_report=report,
        input_sha256=source.sha256,
    )


def first_rejects(report: Path, limit: int) -> list[dict]:
    """The first `limit` entries of a rejects report written by `process_batch`, without loading it whole."""
    entries: list[dict] = []
    with report.open(encoding="utf-8") as lines:
        next(lines, None)  # the report's head line
        for line in lines:
            text = line.rstrip().rstrip(",")
            if len(entries) >= limit or not text.startswith("{"):
                break
            entries.append(json.loads(text))
    return entries

"""Reading back the slices `process_batch` writes: CSV rows without a header, one dict a row."""

from __future__ import annotations

import csv
from pathlib import Path

from chargeback.csv_writer import CSV_COLUMNS


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as rows:
        return [dict(zip(CSV_COLUMNS, row, strict=True)) for row in csv.reader(rows)]

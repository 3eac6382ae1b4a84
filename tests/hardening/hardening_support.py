"""What the hardening tests share: the session's tally (for the note), inputs with card data in them, and
the leak check of everything a local run produced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chargeback_cli.local_run import LocalPipeline
from tests.support.leak_scan import LeakScanner

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sample_chargeback_data.json"
SAMPLE_SECURITY_VALUES = ("739",)  # the sample's one record with a CVV
# What the `captured` fixture returns: (where, text) of stdout, stderr and the captured logs so far.
Captured = Callable[[], list[tuple[str, str]]]
NETWORKS = ("visa", "mastercard", "amex", "discover")
REASON_CODES = {"visa": "10.4", "mastercard": "4837", "amex": "F29", "discover": "UA02"}
# Luhn-valid test card numbers, one per network, given in full in the inputs built here.
FULL_PANS = {
    "visa": "4111111111111111",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "discover": "6011111111111117",
}


@dataclass
class Tally:
    """Counts the hardening suite reports at the end of the session (see conftest.py)."""

    faults_survived: int = 0
    bad_inputs_tried: int = 0
    fuzz_examples_run: int = 0
    hostile_names_tried: int = 0


TALLY = Tally()


def batch_records(count: int, networks: Iterable[str] = NETWORKS, prefix: str = "CB") -> list[dict[str, Any]]:
    """`count` valid records cycling over `networks`, every fifth one with its card number in full."""
    chosen = tuple(networks)
    items = []
    for i in range(count):
        network = chosen[i % len(chosen)]
        items.append(
            {
                "chargeback_id": f"{prefix}-{i:06d}",
                "network": network,
                "case_number": f"CASE-{i}",
                "card_number": FULL_PANS[network]
                if i % 5 == 0
                else FULL_PANS[network][:6] + "******" + "1234",
                "merchant_id": f"MID-{i % 97}",
                "merchant_name": f"Merchant {i % 13} — Zürich",
                "transaction_id": f"TX-{i}",
                "transaction_date": "2026-10-01",
                "chargeback_date": "2026-10-15",
                "amount": f"{(i % 500) + 1}.25",
                "currency": "USD",
                "reason_code": REASON_CODES[network],
            }
        )
    return items


def write_batch(path: Path, items: list[dict[str, Any]], **header: Any) -> Path:
    path.write_text(json.dumps({**header, "chargebacks": items}, ensure_ascii=False), encoding="utf-8")
    return path


def raw_input_copies(pipeline: LocalPipeline) -> list[Path]:
    """The local copies of the inputs the pipeline keeps byte for byte (incoming/, archive/, rejected/)."""
    root = pipeline.workdir / "s3" / pipeline.stack.bucket_name("raw")
    if not root.exists():
        return []
    return [path for path in root.rglob("*") if path.is_file() and not path.name.endswith(".error.json")]


def scan_run(
    pipeline: LocalPipeline,
    inputs: Iterable[Path],
    secrets: Iterable[str],
    security_values: Iterable[str] = (),
    captured: Iterable[tuple[str, str]] = (),
) -> LeakScanner:
    """Scan every byte of the run folder (after `export`) and the captured output for leaks.

    The inputs' own copies in the raw bucket are the one place a full card number may be: they are
    checked to be byte for byte one of `inputs` instead, and left out of the scan.
    """
    originals = {path.read_bytes() for path in inputs}
    copies = raw_input_copies(pipeline)
    for copy in copies:
        assert copy.read_bytes() in originals, f"{copy} is not byte for byte one of the inputs"
    scanner = LeakScanner(secrets=list(secrets), security_values=list(security_values))
    scanner.scan_path(pipeline.workdir, exclude=copies)
    for where, text in captured:
        scanner.scan_text(text, where)
    assert scanner.files_scanned > 0
    return scanner

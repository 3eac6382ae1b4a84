"""A leak scanner for tests: look through bytes a run produced for what must never leave the input.

    scanner = LeakScanner(secrets=servers.secrets(), security_values=["739"])
    scanner.scan_path(run_dir, exclude=[run_dir / "s3" / raw_bucket / "archive"])
    scanner.scan_text(captured_stdout, "stdout")
    assert scanner.leaks == []

It finds:

- full card numbers: every Luhn-valid run of 13-19 digits (`chargeback.masking.find_full_pans`), also
  when written with the spaces or hyphens a card number is often grouped with (`4111 1111 1111 1111`).
  Two kinds of run are not card numbers and are passed over (one in ten is Luhn-valid by chance, and
  every metric line has one): the fraction digits of a decimal number (`"DeliveryLatency": 204.0726699997`)
  and 13-digit epoch milliseconds of the years 2017-2036 (`"Timestamp": 1795314473160`; no card scheme
  issues 13-digit numbers starting with 1 or 2);
- card security values given in the inputs (CVV, CVC, PIN...), as whole tokens: not inside a longer
  run of letters or digits (so `739` is found in `"cvv": "739"`, not in `a7391f` or `17390`), nor as the
  fraction of a decimal number (`12.739`) or the milliseconds of a log line's time (`02:40:52,739`);
- secrets: passwords as they are, private keys whole or by any line of their body (a key written into
  JSON has its newlines escaped, so the whole text would not match).

A `Leak` says where and what kind, never the value. `bytes_scanned` counts what was looked at;
`TOTALS` adds up every scanner's figures for the test session's report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chargeback.masking import find_full_pans

# A card number grouped in 4s (or 4-6-5 for Amex) with single spaces or hyphens.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")
_EPOCH_MILLIS = range(1_480_000_000_000, 2_100_000_000_000)
_GROUPED_PAN = re.compile(r"(?<![0-9])[0-9]{4}(?:[ -][0-9]{3,6}){2,4}(?![0-9])")
# Not part of a longer token, not the fraction of a decimal number ('12.739'), not the milliseconds of a log
# line's time ('02:40:52,739').
_NOT_A_SECURITY_VALUE_BEFORE = rb"(?<![0-9A-Za-z])(?<![0-9]\.)(?<![0-9]{2}:[0-9]{2},)"
_KEY_BODY_LINE = re.compile(r"^[A-Za-z0-9+/=]{24,}$")


@dataclass(frozen=True)
class Leak:
    where: str
    kind: str  # "pan", "card_security_value", "password", "private_key"
    offset: int

    def __str__(self) -> str:
        return f"{self.kind} at byte {self.offset} of {self.where}"


@dataclass
class ScanTotals:
    bytes_scanned: int = 0
    files_scanned: int = 0
    leaks: int = 0


TOTALS = ScanTotals()


@dataclass
class LeakScanner:
    secrets: Iterable[str] = ()
    security_values: Iterable[str] = ()
    counted: bool = True  # add to TOTALS (a scanner's own tests plant leaks and say False)
    leaks: list[Leak] = field(default_factory=list)
    bytes_scanned: int = 0
    files_scanned: int = 0

    def __post_init__(self) -> None:
        self._needles: list[tuple[str, bytes]] = []
        for secret in self.secrets:
            if "PRIVATE KEY" in secret:
                lines = [line.strip() for line in secret.splitlines()]
                self._needles += [
                    ("private_key", line.encode()) for line in lines if _KEY_BODY_LINE.match(line)
                ]
            elif secret:
                self._needles.append(("password", secret.encode()))
        values = sorted({value for value in self.security_values if value})
        self._security = [
            re.compile(_NOT_A_SECURITY_VALUE_BEFORE + re.escape(value.encode()) + rb"(?![0-9A-Za-z])")
            for value in values
        ]

    def scan_bytes(self, data: bytes, where: str) -> list[Leak]:
        """Scan `data`; record and return the leaks found in it."""
        found: list[Leak] = []
        text = data.decode("latin-1")  # one character a byte: offsets stay byte offsets, digits stay digits
        for match in _DIGIT_RUN.finditer(text):
            if find_full_pans(match[0]) and not _not_a_card_number(text, match):
                found.append(Leak(where, "pan", match.start()))
        for match in _GROUPED_PAN.finditer(text):
            if find_full_pans(match[0].replace(" ", "").replace("-", "")):
                found.append(Leak(where, "pan", match.start()))
        for kind, needle in self._needles:
            position = data.find(needle)
            if position >= 0:
                found.append(Leak(where, kind, position))
        for pattern in self._security:
            hit = pattern.search(data)
            if hit is not None:
                found.append(Leak(where, "card_security_value", hit.start()))
        self.bytes_scanned += len(data)
        if self.counted:
            TOTALS.bytes_scanned += len(data)
            TOTALS.leaks += len(found)
        self.leaks.extend(found)
        return found

    def scan_text(self, text: str, where: str) -> list[Leak]:
        return self.scan_bytes(text.encode("utf-8", "surrogatepass"), where)

    def scan_path(self, root: Path, exclude: Iterable[Path] = ()) -> list[Leak]:
        """Scan a file, or every file under a folder except those at or under a path in `exclude`."""
        excluded = [Path(path) for path in exclude]
        found: list[Leak] = []
        paths = [root] if root.is_file() else sorted(path for path in root.rglob("*") if path.is_file())
        for path in paths:
            if any(path == skip or skip in path.parents for skip in excluded):
                continue
            self.files_scanned += 1
            TOTALS.files_scanned += int(self.counted)
            found += self.scan_bytes(path.read_bytes(), str(path))
        return found


def _not_a_card_number(text: str, match: re.Match[str]) -> bool:
    start = match.start()
    if start >= 2 and text[start - 1] == "." and text[start - 2].isdigit():
        return True  # the fraction of a decimal number
    return len(match[0]) == 13 and int(match[0]) in _EPOCH_MILLIS

"""Helpers shared by the delivery tests: payloads described as `GeneratedFile`s, retry counters, file checks."""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from chargeback.contracts import GeneratedFile
from chargeback.delivery import DeliverySettings
from chargeback.targets import Target
from chargeback.transports import Transport, transport_for

LEDGER_BUCKET = "chargeback-test-processed"
FAST = DeliverySettings(max_attempts=3, base_delay_seconds=0.01, max_delay_seconds=0.05, timeout_seconds=5)
MB = 1024 * 1024

# visa: SFTP with password, mastercard: FTPS, amex: SFTP with private key, discover: plain FTP.
PROTOCOLS = {"visa": "sftp", "mastercard": "ftps", "amex": "sftp-key", "discover": "ftp"}


@dataclass
class Payload:
    """Bytes to deliver, described as the `GeneratedFile` the state machine would pass."""

    data: bytes
    file: GeneratedFile

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data)


def make_payload(network: str, size: int, seed: bytes = b"") -> Payload:
    block = hashlib.sha256(seed or uuid.uuid4().bytes).digest() * 2048  # 64 KiB, varied per payload
    data = (block * (size // len(block) + 1))[:size]
    batch_id = f"batch-{uuid.uuid4().hex[:10]}"
    name = f"{network}_chargebacks_{batch_id}_001.csv"
    file = GeneratedFile(
        batch_id=batch_id,
        network=network,
        name=name,
        bucket="processed",
        key=f"batches/{batch_id}/csv/{name}",
        rows=size // 100,
        bytes=size,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return Payload(data, file)


@dataclass
class Counter:
    """Counts connections made and sleeps taken, so a test can tell retries apart from failing at once."""

    connects: int = 0
    sleeps: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def connect(self, target: Target, timeout: float) -> Transport:
        with self.lock:
            self.connects += 1
        return transport_for(target, timeout)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def part_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.part"))

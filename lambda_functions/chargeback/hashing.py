"""A reader that hashes what passes through it: the input's content fingerprint, a delivery's checksum."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

DRAIN_CHUNK_BYTES = 1024 * 1024


class HashingReader:
    """Reads through to the source, counting bytes and computing their SHA-256 on the way."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.bytes = 0
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self._hash.update(data)
        self.bytes += len(data)
        return data

    def drain(self) -> None:
        """Read what is left, so `sha256` covers the whole source."""
        while self.read(DRAIN_CHUNK_BYTES):
            pass

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

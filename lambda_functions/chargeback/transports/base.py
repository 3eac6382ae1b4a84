"""The small interface every transport implements, so delivery does not care which protocol it speaks.

A transport turns its library's failures into the two named errors: `TransientDeliveryError` for what
may pass (refused, reset, timeout, FTP 4xx) and `DeliveryRefused` for what will not (login refused,
permission denied, host key or certificate mismatch, FTP 5xx). Messages name the server and the
reason, never a password or a key.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import BinaryIO

from chargeback.targets import Target

CHUNK_BYTES = 256 * 1024


class Transport(ABC):
    def __init__(self, target: Target, timeout_seconds: float) -> None:
        self.target = target
        self.timeout_seconds = timeout_seconds

    @abstractmethod
    def connect(self) -> None:
        """Open the session and log in; for SFTP, check the host key first."""

    @abstractmethod
    def close(self) -> None:
        """Close quietly; never raises."""

    @abstractmethod
    def size(self, path: str) -> int | None:
        """Size of a remote file in bytes, or None when it does not exist."""

    @abstractmethod
    def upload(self, source: BinaryIO, path: str) -> None:
        """Write `source` (read in chunks until it ends) to `path`, replacing what is there."""

    @abstractmethod
    def rename(self, source: str, destination: str) -> None:
        """Rename a remote file; `destination` does not exist."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove a remote file; a missing file is fine."""

    def __enter__(self) -> Transport:
        try:
            self.connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

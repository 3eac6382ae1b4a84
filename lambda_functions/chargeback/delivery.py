"""Deliver one generated file to its network's server, once.

The protocol, for one file (batch, network, name, SHA-256):

1. The ledger has a receipt: done, nothing is sent (a receipt with another SHA-256 is refused).
2. Take the ledger lock; an invocation already delivering this file makes this one fail with
   `TransientDeliveryError("delivery already in progress")`, which the state machine retries.
3. Connect. If the final name is already on the server with the right size, an earlier attempt died
   after its rename: record it as delivered without sending it again.
4. Else upload to `<name>.part` (streamed, hashed on the way), check the remote size, rename to `<name>`.
   The card company never sees a half file; a failed attempt deletes its `.part` when it still can,
   and the next attempt deletes any leftover before it starts.
5. Write the receipt, release the lock.

Transient faults are retried here a bounded number of times with exponential backoff and full jitter;
`DeliveryRefused` and `ConfigurationError` go up at once. Every message names the network and server.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from chargeback.contracts import DeliveryResult, GeneratedFile
from chargeback.errors import ConfigurationError, DeliveryRefused, TransientDeliveryError
from chargeback.hashing import HashingReader
from chargeback.ledger import Receipt, S3Ledger
from chargeback.targets import Target
from chargeback.transports import Transport, transport_for

logger = logging.getLogger(__name__)

Connect = Callable[[Target, float], Transport]


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int = 4
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 20.0
    timeout_seconds: float = 30.0


def backoff_delay(attempt: int, settings: DeliverySettings, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
    ceiling = min(settings.max_delay_seconds, settings.base_delay_seconds * 2 ** (attempt - 1))
    return rng.uniform(0, ceiling)


def _receipt(file: GeneratedFile, target: Target, attempt: int, on_server: bool) -> Receipt:
    return Receipt(
        batch_id=file.batch_id,
        network=file.network,
        name=file.name,
        remote_path=target.remote_path(file.name),
        bytes=file.bytes,
        sha256=file.sha256,
        host=target.host,
        protocol=target.protocol,
        delivered_at=datetime.now(UTC),
        attempt=attempt,
        already_on_server=on_server,
    )


def _send(
    transport: Transport,
    file: GeneratedFile,
    target: Target,
    open_source: Callable[[], BinaryIO],
    attempt: int,
) -> Receipt:
    final = target.remote_path(file.name)
    part = final + ".part"
    on_server = transport.size(final)
    if on_server == file.bytes:
        logger.info("%s is already on the server with the right size: recorded, not sent again", final)
        return _receipt(file, target, attempt, on_server=True)
    if on_server is not None:
        raise DeliveryRefused(
            f"{target.address}: {final} already exists with {on_server} bytes, not {file.bytes}; not overwritten"
        )
    transport.delete(part)
    source = open_source()
    try:
        reader = HashingReader(source)
        transport.upload(reader, part)  # type: ignore[arg-type]
        if reader.sha256 != file.sha256 or reader.bytes != file.bytes:
            raise DeliveryRefused(
                f"{target.address}: the S3 object {file.key} does not match the sha256/size it was generated with"
            )
        remote_size = transport.size(part)
        if remote_size != file.bytes:
            raise TransientDeliveryError(
                f"{target.address}: {part} has {remote_size} bytes on the server after upload, not {file.bytes}"
            )
        transport.rename(part, final)
    except BaseException:
        with contextlib.suppress(Exception):
            transport.delete(part)
        raise
    finally:
        with contextlib.suppress(Exception):
            source.close()
    return _receipt(file, target, attempt, on_server=False)


def _send_with_retries(
    file: GeneratedFile,
    target: Target,
    open_source: Callable[[], BinaryIO],
    settings: DeliverySettings,
    connect: Connect,
    sleep: Callable[[float], None],
    rng: random.Random,
) -> Receipt:
    last: TransientDeliveryError | None = None
    for attempt in range(1, settings.max_attempts + 1):
        try:
            with connect(target, settings.timeout_seconds) as transport:
                return _send(transport, file, target, open_source, attempt)
        except TransientDeliveryError as exc:
            last = exc
            if attempt == settings.max_attempts:
                break
            delay = backoff_delay(attempt, settings, rng)
            logger.warning(
                "delivery of %s file %s, attempt %d of %d failed (%s); retrying in %.2f s",
                file.network,
                file.name,
                attempt,
                settings.max_attempts,
                exc,
                delay,
            )
            sleep(delay)
        except (DeliveryRefused, ConfigurationError) as exc:
            raise type(exc)(f"{file.network}: {exc}") from exc
    raise TransientDeliveryError(
        f"{file.network}: gave up after {settings.max_attempts} attempts: {last}"
    ) from last


def _result(file: GeneratedFile, receipt: Receipt, ledger: S3Ledger, already: bool) -> DeliveryResult:
    return DeliveryResult(
        batch_id=file.batch_id,
        network=file.network,
        name=file.name,
        rows=file.rows,
        delivered=True,
        already_delivered=already,
        remote_path=receipt.remote_path,
        bytes=receipt.bytes,
        sha256=receipt.sha256,
        receipt=ledger.receipt_ref(file.batch_id, file.network, file.name),
    )


def _check_receipt(file: GeneratedFile, ledger: S3Ledger) -> Receipt | None:
    receipt = ledger.find(file.batch_id, file.network, file.name)
    if receipt is not None and receipt.sha256 != file.sha256:
        raise DeliveryRefused(
            f"{file.network}: file {file.name} of batch {file.batch_id} was already delivered with different "
            f"content (sha256 {receipt.sha256[:12]}..., now {file.sha256[:12]}...)"
        )
    return receipt


def deliver(
    file: GeneratedFile,
    target: Target,
    open_source: Callable[[], BinaryIO],
    ledger: S3Ledger,
    settings: DeliverySettings | None = None,
    connect: Connect = transport_for,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> DeliveryResult:
    """Deliver `file` (its bytes come from `open_source()`, called once per attempt) unless already delivered."""
    settings = settings or DeliverySettings()
    receipt = _check_receipt(file, ledger)
    if receipt is not None:
        logger.info("%s file %s: receipt found, already delivered", file.network, file.name)
        return _result(file, receipt, ledger, already=True)
    lock = ledger.lock(file.batch_id, file.network, file.name, file.sha256)
    try:
        receipt = _check_receipt(file, ledger)
        if receipt is not None:
            return _result(file, receipt, ledger, already=True)
        receipt = _send_with_retries(
            file,
            target,
            open_source,
            settings,
            connect,
            sleep,
            rng or random.Random(),  # noqa: S311 (jitter, not cryptography)
        )
        ledger.record(receipt)
    finally:
        ledger.release(lock)
    logger.info(
        "%s file %s delivered to %s as %s (%d bytes, attempt %d%s)",
        file.network,
        file.name,
        target.address,
        receipt.remote_path,
        receipt.bytes,
        receipt.attempt,
        ", found already on the server" if receipt.already_on_server else "",
    )
    return _result(file, receipt, ledger, already=receipt.already_on_server)

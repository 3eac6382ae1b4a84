"""The delivery ledger in S3: one receipt per delivered file, and a lock while a delivery is under way.

This is an S3 adapter (it takes a boto3 client); it relies on S3 conditional writes only:

- `deliveries/<batch>/<network>/<name>.lock` is created with `If-None-Match: *`, so of two invocations
  for the same file exactly one gets it. The other raises `TransientDeliveryError("delivery already in
  progress")`: the state machine retries it later, and then it finds the receipt. A lock older than
  `stale_after_seconds` (the Lambda timeout plus a margin: its holder is dead) is taken over with
  `If-Match: <its ETag>`, so two invocations cannot both take over the same stale lock.
- `deliveries/<batch>/<network>/<name>.json` (`layout.receipt_key`) is the receipt, also written with
  `If-None-Match: *`. A receipt for the same name with a different SHA-256 means a different file was
  delivered under that name: `DeliveryRefused`, never a silent overwrite.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from chargeback.contracts import S3Ref
from chargeback.errors import DeliveryRefused, TransientDeliveryError
from chargeback.layout import receipt_key


class Receipt(BaseModel):
    """What the ledger keeps for a delivered file. No secret: host and protocol, never credentials."""

    model_config = ConfigDict(frozen=True)

    batch_id: str
    network: str
    name: str
    remote_path: str
    bytes: int
    sha256: str
    host: str
    protocol: str
    delivered_at: datetime
    attempt: int
    already_on_server: bool = False


@dataclass(frozen=True)
class Lock:
    key: str
    etag: str
    owner: str


def lock_key(batch_id: str, network: str, name: str) -> str:
    return receipt_key(batch_id, network, name).removesuffix(".json") + ".lock"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Ledger:
    def __init__(
        self,
        s3: Any,
        bucket: str,
        stale_after_seconds: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.stale_after_seconds = stale_after_seconds
        self.clock = clock

    def receipt_ref(self, batch_id: str, network: str, name: str) -> S3Ref:
        return S3Ref(bucket=self.bucket, key=receipt_key(batch_id, network, name))

    def find(self, batch_id: str, network: str, name: str) -> Receipt | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=receipt_key(batch_id, network, name))["Body"]
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        return Receipt.model_validate_json(body.read())

    def lock(self, batch_id: str, network: str, name: str, sha256: str) -> Lock:
        key = lock_key(batch_id, network, name)
        owner = uuid.uuid4().hex
        body = json.dumps({"owner": owner, "sha256": sha256, "acquired_at": self.clock()}).encode()
        try:
            etag = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*")["ETag"]
            return Lock(key=key, etag=etag, owner=owner)
        except ClientError as exc:
            if _error_code(exc) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
        return self._take_over_if_stale(key, body, owner, network, name)

    def _take_over_if_stale(self, key: str, body: bytes, owner: str, network: str, name: str) -> Lock:
        busy = TransientDeliveryError(f"delivery already in progress for {network} file {name}")
        try:
            held = self.s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                raise busy from None  # released meanwhile: the next try starts clean
            raise
        acquired_at = float(json.loads(held["Body"].read()).get("acquired_at", 0))
        if self.clock() - acquired_at <= self.stale_after_seconds:
            raise busy
        try:
            etag = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, IfMatch=held["ETag"])["ETag"]
        except ClientError as exc:
            if _error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"):
                raise busy from None
            raise
        return Lock(key=key, etag=etag, owner=owner)

    def release(self, lock: Lock) -> None:
        """Drop the lock if it is still ours (a takeover after a very long stall leaves the new owner's)."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=lock.key, IfMatch=lock.etag)
        except ClientError as exc:
            if _error_code(exc) not in ("PreconditionFailed", "NoSuchKey", "404"):
                raise

    def record(self, receipt: Receipt) -> S3Ref:
        ref = self.receipt_ref(receipt.batch_id, receipt.network, receipt.name)
        try:
            self.s3.put_object(
                Bucket=ref.bucket,
                Key=ref.key,
                Body=receipt.model_dump_json(indent=2).encode(),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _error_code(exc) != "PreconditionFailed":
                raise
            existing = self.find(receipt.batch_id, receipt.network, receipt.name)
            if existing is not None and existing.sha256 != receipt.sha256:
                raise DeliveryRefused(
                    f"{receipt.network} file {receipt.name} was already delivered with different content "
                    f"(sha256 {existing.sha256[:12]}..., now {receipt.sha256[:12]}...)"
                ) from None
        return ref

"""Fixtures and builders of the data_processor / csv_generator tests (import them into a test module).

`s3_buckets`: moto S3 with the raw and processed buckets, the handlers' environment set, and the
handlers' module-level S3 clients pointed at the emulation.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "sample_chargeback_data.json"
GOLDEN = REPO / "tests" / "golden"
RAW_BUCKET = "chargeback-test-raw"
PROCESSED_BUCKET = "chargeback-test-processed"


def record(**overrides: Any) -> dict[str, Any]:
    """A valid raw record (as a user would write it), with `overrides` applied (None removes a field)."""
    raw: dict[str, Any] = {
        "chargeback_id": "CB-1",
        "network": "visa",
        "case_number": "CASE-1",
        "card_number": "411111******1111",
        "merchant_id": "MID-1",
        "merchant_name": "Acme Store",
        "transaction_id": "TX-1",
        "transaction_date": "2026-10-01",
        "chargeback_date": "2026-10-15",
        "amount": "125.50",
        "currency": "USD",
        "reason_code": "10.4",
    }
    for key, value in overrides.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def records(count: int, networks: tuple[str, ...] = ("visa", "mastercard", "amex", "discover")) -> list[dict]:
    """`count` valid records cycling over `networks`, ids CB-0..."""
    codes = {"visa": "10.4", "mastercard": "4837", "amex": "F29", "discover": "UA02"}
    return [
        record(
            chargeback_id=f"CB-{i}",
            network=networks[i % len(networks)],
            reason_code=codes[networks[i % len(networks)]],
        )
        for i in range(count)
    ]


def as_object(items: list, **header: Any) -> bytes:
    return json.dumps({**header, "chargebacks": items}).encode()


def as_array(items: list) -> bytes:
    return json.dumps(items).encode()


def as_json_lines(items: list) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


@dataclass
class Pipeline:
    """The emulated buckets and the two handler modules, wired to them."""

    s3: Any
    data_processor: ModuleType
    csv_generator: ModuleType

    def put_input(self, name: str, body: bytes) -> dict:
        """Drop `body` at incoming/<name>; return the data_processor event for it."""
        key = f"incoming/{name}"
        etag = self.s3.put_object(Bucket=RAW_BUCKET, Key=key, Body=body)["ETag"].strip('"')
        return {"bucket": RAW_BUCKET, "object": {"key": key, "etag": etag}}

    def keys(self, bucket: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def all_objects(self) -> dict[str, bytes]:
        """Every object of both buckets, as 'bucket/key' -> bytes."""
        return {
            f"{bucket}/{key}": self.read(bucket, key)
            for bucket in (RAW_BUCKET, PROCESSED_BUCKET)
            for key in self.keys(bucket)
        }


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    monkeypatch.setenv("RAW_BUCKET", RAW_BUCKET)
    monkeypatch.setenv("PROCESSED_BUCKET", PROCESSED_BUCKET)
    monkeypatch.setenv("REJECT_POLICY", "partial")
    monkeypatch.delenv("MAX_RECORDS_PER_FILE", raising=False)
    monkeypatch.delenv("MAX_FILE_BYTES", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=RAW_BUCKET)
        s3.create_bucket(Bucket=PROCESSED_BUCKET)
        modules = [importlib.import_module(name) for name in ("data_processor", "csv_generator")]
        for module in modules:
            monkeypatch.setattr(module, "s3", s3)
        yield Pipeline(s3, *modules)

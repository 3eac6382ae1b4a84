"""Fixtures for the delivery tests: real FTP/FTPS/SFTP servers on 127.0.0.1 and a moto S3 ledger."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from delivery_support import LEDGER_BUCKET, PROTOCOLS, Counter
from moto import mock_aws

from chargeback.ledger import S3Ledger
from chargeback_cli.local_servers import LocalServers

for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServers]:
    with LocalServers(tmp_path_factory.mktemp("servers"), protocols=PROTOCOLS) as running:
        yield running


@pytest.fixture
def s3() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=LEDGER_BUCKET)
        yield client


@pytest.fixture
def ledger(s3: object) -> S3Ledger:
    return S3Ledger(s3, LEDGER_BUCKET)


@pytest.fixture
def counter() -> Counter:
    return Counter()

"""Hostile names: S3 keys and batch ids with '../', absolute paths, NUL, Unicode, spaces and '+', and
1,000 characters. Each is refused or handled, and never makes a file outside its folder: not in the S3 key
layout, not in the local `DIR/s3` copy, not on a delivery server.
"""

from __future__ import annotations

import io
import json
import os
from datetime import date
from pathlib import Path

import pytest

from chargeback.processing import process_batch
from chargeback.settings import RejectPolicy
from chargeback.validation import validate_batch_id
from chargeback_cli.local_run import LocalPipeline
from chargeback_cli.local_servers import LocalServers
from tests.hardening.hardening_support import (
    NETWORKS,
    SAMPLE,
    SAMPLE_SECURITY_VALUES,
    TALLY,
    Captured,
    batch_records,
    scan_run,
)

HOSTILE_NAMES = [
    "../escape.json",
    "../../../../etc/cron.d/evil.json",
    "/absolute/path.json",
    "a/../../b.json",
    "..",
    "./",
    "name with spaces+plus.json",
    "name%20already%2Bencoded.json",
    "%2e%2e%2fencoded-dots.json",
    "nul\x00byte.json",
    "ünïcödé 名前 😀.json",
    "x" * 1000 + ".json",
]
HOSTILE_BATCH_IDS = [
    "../../etc/passwd",
    "/absolute",
    "..",
    ".hidden",
    "a\x00b",
    "a b+c",
    "名前",
    "x" * 1000,
    "4111111111111111",
    "batch/../../x",
]


def _inside(path: Path, folder: Path) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep)


def _no_batch_id(tmp_path: Path) -> Path:
    """The sample's records as a bare array: no batch_id, so the batch id is derived from the key."""
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))["chargebacks"]
    path = tmp_path / "no_batch_id.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_hostile_input_keys_are_processed_with_safe_batch_ids_and_no_file_lands_outside_its_folder(
    tmp_path: Path, servers: LocalServers, run_dir: Path, captured: Captured
) -> None:
    source = _no_batch_id(tmp_path)
    batch_ids = set()
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        raw, processed = pipeline.stack.bucket_name("raw"), pipeline.stack.bucket_name("processed")
        for name in HOSTILE_NAMES:
            execution_arn = pipeline.drop(source, name)
            summary = pipeline.summary(execution_arn, pipeline.wait(execution_arn, timeout_seconds=120))

            assert summary.status == "succeeded", (name, summary.error)
            batch_id = summary.batch_id or ""
            assert validate_batch_id(batch_id) == batch_id and len(batch_id) <= 64
            batch_ids.add(batch_id)
            archived = pipeline.clients.s3.get_object(Bucket=raw, Key=f"archive/{name}")["Body"].read()
            assert archived == source.read_bytes()
            for file in summary.files:
                assert file.remote_path == f"/{file.name}" and file.name.startswith(
                    f"{file.network}_chargebacks_"
                )
            TALLY.hostile_names_tried += 1
        assert len(batch_ids) == len(HOSTILE_NAMES)  # each key its own batch
        keys = [item["Key"] for item in pipeline.clients.s3.list_objects_v2(Bucket=processed)["Contents"]]
        for key in keys:
            top, batch_id, *_ = key.split("/")
            assert top in ("batches", "deliveries") and batch_id in batch_ids and ".." not in key.split("/")
        for network in NETWORKS:
            assert len(servers.upload_log(network)) == len(HOSTILE_NAMES)
            assert all("/" not in name for name in servers.upload_log(network))

    everything = [Path(root, name) for root, _, names in os.walk(run_dir) for name in names]
    assert all(_inside(path, run_dir) for path in everything)
    s3_copies = [path for path in everything if _inside(path, run_dir / "s3")]
    assert all(
        _inside(path, run_dir / "s3" / raw) or _inside(path, run_dir / "s3" / processed) for path in s3_copies
    )
    assert len([path for path in s3_copies if _inside(path, run_dir / "s3" / raw)]) == len(HOSTILE_NAMES)
    for network in NETWORKS:
        home = servers.delivered_dir(network)
        delivered = [path for path in everything if _inside(path, home)]
        assert len(delivered) == len(HOSTILE_NAMES) and all(path.parent == home for path in delivered)
    assert {path.parent for path in everything if _inside(path, run_dir / "delivered")} <= {
        run_dir / "delivered",
        *(servers.delivered_dir(network) for network in NETWORKS),
    }
    scanner = scan_run(pipeline, [source], servers.secrets(), SAMPLE_SECURITY_VALUES, captured())
    assert scanner.leaks == [], [str(leak) for leak in scanner.leaks]


@pytest.mark.parametrize("hostile", HOSTILE_BATCH_IDS)
def test_a_hostile_batch_id_in_the_file_is_replaced_by_one_derived_from_the_key(
    hostile: str, tmp_path: Path
) -> None:
    body = json.dumps({"batch_id": hostile, "chargebacks": batch_records(4)}).encode()

    result = process_batch(
        io.BytesIO(body), "daily.json", "incoming/daily.json", date(2026, 11, 20),
        50_000, 50 * 1024 * 1024, RejectPolicy.PARTIAL, tmp_path,
    )  # fmt: skip

    assert result.batch_id != hostile and result.batch_id.startswith("daily-")
    assert validate_batch_id(result.batch_id) == result.batch_id
    TALLY.hostile_names_tried += 1


def test_local_copies_of_hostile_keys_stay_in_the_bucket_folder_and_never_share_a_path(
    tmp_path: Path,
) -> None:
    pipeline = LocalPipeline(tmp_path / "run")
    keys = [
        *(f"incoming/{name}" for name in HOSTILE_NAMES),
        "",
        "/",
        "//",
        "a/b",
        "a/b/c",
        "a/./b",
        "a//b",
        "a%2Fb",
        "a%b",
        "..\\..\\windows.json",
    ]
    paths = [pipeline.local_copy_path("bucket", key) for key in keys]
    folder = tmp_path / "run" / "s3" / "bucket"
    assert all(_inside(path, folder) for path in paths)
    assert len(set(paths)) == len(keys)
    assert all(len(part.encode()) <= 255 for path in paths for part in path.parts)


def test_a_url_encoded_event_key_is_refused_without_touching_the_object(
    tmp_path: Path, servers: LocalServers, run_dir: Path
) -> None:
    name = "name with spaces+plus.json"
    with LocalPipeline(run_dir, targets=servers.targets()) as pipeline:
        raw = pipeline.stack.bucket_name("raw")
        etag = pipeline.clients.s3.put_object(Bucket=raw, Key=f"incoming/{name}", Body=SAMPLE.read_bytes())[
            "ETag"
        ]
        event = {"bucket": raw, "object": {"key": "incoming/name+with+spaces%2Bplus.json", "etag": etag}}

        response = pipeline.clients.lambda_.invoke(
            FunctionName=pipeline.stack.function_name("data_processor"), Payload=json.dumps(event).encode()
        )

        error = json.loads(response["Payload"].read())
        assert response.get("FunctionError") and error["errorType"] == "FileNotFoundError"
        assert "incoming/name+with+spaces%2Bplus.json" in error["errorMessage"]
        listed = pipeline.clients.s3.list_objects_v2(Bucket=raw)["Contents"]
        assert [item["Key"] for item in listed] == [f"incoming/{name}"]
        assert (
            pipeline.clients.s3.list_objects_v2(Bucket=pipeline.stack.bucket_name("processed"))["KeyCount"]
            == 0
        )
    TALLY.hostile_names_tried += 1

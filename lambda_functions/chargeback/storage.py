"""Thin S3 adapter: the few S3 calls the handlers make, in one place. No logic beyond the calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def open_object(s3: S3Client, bucket: str, key: str, etag: str = "") -> BinaryIO:
    """The object's body as a streaming binary file (read(n) in chunks, never the whole object).

    With `etag`, the read fails (PreconditionFailed) if the object has changed since the event described it.
    """
    extra = {"IfMatch": f'"{etag.strip(chr(34))}"'} if etag else {}
    response = s3.get_object(Bucket=bucket, Key=key, **extra)  # type: ignore[arg-type]
    return cast(BinaryIO, response["Body"])


@dataclass(frozen=True)
class ObjectIdentity:
    etag: str  # without its quotes
    metadata: dict[str, str]  # the object's user metadata (x-amz-meta-*)


def head_identity(s3: S3Client, bucket: str, key: str) -> ObjectIdentity | None:
    """The object's ETag and user metadata, or None when there is no such object."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return ObjectIdentity(head["ETag"].strip('"'), dict(head.get("Metadata", {})))


def get_json(s3: S3Client, bucket: str, key: str) -> Any | None:
    """The object parsed as JSON, or None when there is no such object."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body.read())


def put_json(s3: S3Client, bucket: str, key: str, obj: object) -> None:
    body = json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def upload_file(s3: S3Client, bucket: str, key: str, path: Path, content_type: str = "") -> None:
    """Upload a local file (multipart above the transfer threshold)."""
    extra = {"ContentType": content_type} if content_type else None
    s3.upload_file(str(path), bucket, key, ExtraArgs=extra)


def move_object(
    s3: S3Client, bucket: str, src_key: str, dst_key: str, metadata: dict[str, str] | None = None
) -> None:
    """Copy the object byte for byte to `dst_key` in the same bucket (multipart copy when large), then delete it.

    With `metadata`, the copy's user metadata is replaced by it (the content type is kept).
    """
    extra: dict[str, Any] | None = None
    if metadata is not None:
        content_type = s3.head_object(Bucket=bucket, Key=src_key).get("ContentType", "binary/octet-stream")
        extra = {"MetadataDirective": "REPLACE", "Metadata": metadata, "ContentType": content_type}
    s3.copy({"Bucket": bucket, "Key": src_key}, bucket, dst_key, ExtraArgs=extra)
    s3.delete_object(Bucket=bucket, Key=src_key)

"""The JSON that travels between the state machine's states: S3 references and counts, never records.

Each Lambda parses its event into one of these models and returns another one's `model_dump(mode="json")`.
`docs/api.md` shows an example of each; a test checks those examples against these models.
"""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

NETWORKS = ("visa", "mastercard", "amex", "discover")


class _Contract(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class S3Ref(_Contract):
    bucket: str
    key: str


class S3ObjectRef(_Contract):
    """`detail.object` of the S3 "Object Created" EventBridge event."""

    # AWS names the field `etag`; moto 5.2's emulated event names it `eTag`: accept both.
    key: str
    etag: str = Field(default="", validation_alias=AliasChoices("etag", "eTag"))
    size: int | None = None


class ProcessRequest(_Contract):
    """Input of `data_processor`: the uploaded object, as the state machine passes it from the event:
    `{"bucket": detail.bucket.name, "object": detail.object}`."""

    bucket: str
    object: S3ObjectRef

    @property
    def key(self) -> str:
        return self.object.key

    @property
    def etag(self) -> str:
        return self.object.etag


class InputRef(_Contract):
    """Where the original input was, and where `data_processor` moved it once processed."""

    bucket: str
    key: str
    etag: str
    sha256: str = Field(description="of the input's bytes: what makes a second drop 'the same file'")
    archive_key: str


class NetworkSlice(_Contract):
    """The CSV rows (rendered, no header) of one network within one batch part, in the processed bucket."""

    network: str
    bucket: str
    key: str
    records: int
    bytes: int = Field(description="of the rows: the CSV file is the header row and these bytes")


class BatchPart(_Contract):
    """Input of `csv_generator`: one batch part, at most one slice per network (so at most 4 files)."""

    batch_id: str
    part: int = Field(ge=1)
    networks: list[NetworkSlice]


class Manifest(_Contract):
    """Output of `data_processor`."""

    batch_id: str
    input: InputRef
    received: int
    valid: int
    rejected: int
    counts: dict[str, int] = Field(description="valid records per network")
    rejects_report: S3Ref | None
    manifest: S3Ref
    parts: list[BatchPart]


class GeneratedFile(_Contract):
    """One CSV file written by `csv_generator`; also the input of `ftp_uploader`."""

    batch_id: str
    network: str
    name: str
    bucket: str
    key: str
    rows: int
    bytes: int
    sha256: str


class GeneratedPart(_Contract):
    """Output of `csv_generator`."""

    batch_id: str
    part: int
    files: list[GeneratedFile]


class DeliveryResult(_Contract):
    """Output of `ftp_uploader`: the file is on the server under its final name."""

    batch_id: str
    network: str
    name: str
    rows: int
    delivered: bool
    already_delivered: bool = Field(
        description="true when the ledger or the server showed an earlier delivery"
    )
    remote_path: str
    bytes: int
    sha256: str
    receipt: S3Ref

"""Validation of one raw chargeback record into a `ChargebackRecord` or a `RecordRejection`. (Skeleton.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chargeback.models import ChargebackRecord

CARD_SECURITY_FIELDS: frozenset[str] = frozenset(
    ("cvv", "cvv2", "cvc", "cvc2", "cid", "csc", "cav2", "track", "track1", "track2", "track_data", "pin")
)


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str
    message: str


@dataclass(frozen=True)
class RecordRejection:
    index: int
    chargeback_id: str | None
    errors: tuple[FieldError, ...]

    def describe(self, file_name: str) -> str:
        raise NotImplementedError

    def to_report(self) -> dict:
        raise NotImplementedError


def validate_record(raw: object, index: int, today: date) -> ChargebackRecord | RecordRejection:
    raise NotImplementedError


def validate_batch_id(value: object) -> str | None:
    raise NotImplementedError


def derive_batch_id(object_key: str, etag: str) -> str:
    raise NotImplementedError

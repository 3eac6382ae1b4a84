"""The normalised chargeback record and the batch header (pydantic v2).

A `ChargebackRecord` is what validation produces: card number masked, amount quantised to the currency's
minor units, network and stage canonical. It is safe to write anywhere. Its field order is the CSV column
order of the contract (section 3).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from chargeback.masking import redact_pans
from chargeback.networks import Network

HEADER_TEXT_MAX_CHARS = 200


class Stage(StrEnum):
    FIRST_CHARGEBACK = "first_chargeback"
    REPRESENTMENT = "representment"
    PRE_ARBITRATION = "pre_arbitration"
    ARBITRATION = "arbitration"


class ChargebackRecord(BaseModel):
    """One valid, normalised chargeback. Field order == CSV column order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chargeback_id: str
    network: Network
    case_number: str | None
    arn: str | None
    card_number: str
    merchant_id: str
    merchant_name: str | None
    transaction_id: str | None
    transaction_date: date
    chargeback_date: date
    amount: Decimal
    currency: str
    reason_code: str
    reason_description: str
    stage: Stage
    response_due_date: date | None

    @classmethod
    def from_checked(cls, values: dict[str, Any]) -> ChargebackRecord:
        """A record from values that validation has already checked and normalised, without a second pass.

        `values` must hold exactly the fields, with their final types (Network, Stage, date, Decimal). This
        saves pydantic's re-validation (about 5 us a record, mostly the Decimal). A test pins the result
        against `model_validate` so a pydantic upgrade that changes model internals is caught.
        """
        record = cls.__new__(cls)
        object.__setattr__(record, "__dict__", values)
        object.__setattr__(record, "__pydantic_fields_set__", set(values))
        object.__setattr__(record, "__pydantic_extra__", None)
        object.__setattr__(record, "__pydantic_private__", None)
        return record


class BatchHeader(BaseModel):
    """The optional top-level fields of an input of shape 1 (`{"batch_id": ..., "chargebacks": [...]}`).

    A value that is not a string is read as absent; any full card number in a value is masked (these values
    go into logs and notifications); `source` and `created_at` are cut to 200 characters.
    `validate_batch_id` decides whether `batch_id` is usable.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    batch_id: str | None = None
    source: str | None = None
    created_at: str | None = None

    @field_validator("batch_id", mode="before")
    @classmethod
    def _batch_id(cls, value: object) -> str | None:
        return redact_pans(value) if isinstance(value, str) else None

    @field_validator("source", "created_at", mode="before")
    @classmethod
    def _short_text(cls, value: object) -> str | None:
        return redact_pans(value[:HEADER_TEXT_MAX_CHARS]) if isinstance(value, str) else None

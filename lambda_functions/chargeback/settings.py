"""The processing settings of the data_processor Lambda, from its environment (names as in stack.json).

`load_settings` takes the environment as a mapping (the handler passes `os.environ`), so this module reads
nothing by itself. Defaults are those of stack.json's "defaults" (a test keeps them equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from chargeback.errors import ConfigurationError

DEFAULT_MAX_RECORDS_PER_FILE = 50_000
DEFAULT_MAX_FILE_BYTES = 52_428_800


class RejectPolicy(StrEnum):
    PARTIAL = "partial"  # bad records are left out and reported; the valid ones go on
    STRICT = "strict"  # one bad record fails the whole batch


DEFAULT_REJECT_POLICY = RejectPolicy.PARTIAL


@dataclass(frozen=True)
class Settings:
    raw_bucket: str
    processed_bucket: str
    max_records_per_file: int = DEFAULT_MAX_RECORDS_PER_FILE
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    reject_policy: RejectPolicy = DEFAULT_REJECT_POLICY


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {text!r}") from None
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    return value


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set")
    return value


def load_settings(env: Mapping[str, str]) -> Settings:
    policy = env.get("REJECT_POLICY", "").strip().lower() or DEFAULT_REJECT_POLICY
    if policy not in {p.value for p in RejectPolicy}:
        raise ConfigurationError(f"REJECT_POLICY must be 'partial' or 'strict', got {policy!r}")
    return Settings(
        raw_bucket=env.get("RAW_BUCKET", "").strip(),
        processed_bucket=_required(env, "PROCESSED_BUCKET"),
        max_records_per_file=_positive_int(env, "MAX_RECORDS_PER_FILE", DEFAULT_MAX_RECORDS_PER_FILE),
        max_file_bytes=_positive_int(env, "MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES),
        reject_policy=RejectPolicy(policy),
    )

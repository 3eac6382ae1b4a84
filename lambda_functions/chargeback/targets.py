"""Where a network's files go: the delivery target of contract section 4, and how it is looked up.

The secret is JSON:

    {"protocol": "sftp", "host": "sftp.visa.example", "port": 22, "username": "acq123",
     "password": "...", "private_key": "-----BEGIN ...", "host_key": "ssh-ed25519 AAAA...",
     "remote_dir": "/inbound/chargebacks", "passive": true, "ca_cert": "-----BEGIN CERTIFICATE..."}

Without `protocol`, port 21 means `ftps` and any other port `sftp`. Plain `ftp` only when asked for by name.
Secrets never show in `repr()`/`str()` of a target (pydantic `SecretStr`).

Lookup (`resolve_target`): the secret `<prefix>/<network>`; else the single secret `<prefix>`, which is
either one flat target for every network or an object keyed by network. Fetching is passed in, so this
module needs no AWS SDK.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from chargeback.errors import ConfigurationError

Protocol = Literal["sftp", "ftps", "ftp"]

_DEFAULT_PORTS = {"sftp": 22, "ftps": 21, "ftp": 21}
_HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
)


class HostKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    key_type: str
    blob: str = Field(description="base64 of the public key, as in known_hosts")


def parse_host_keys(text: str) -> tuple[HostKey, ...]:
    """Read `ssh-ed25519 AAAA...` lines, each optionally led by a known_hosts host field and followed by a comment."""
    keys: list[HostKey] = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        for i, field in enumerate(fields[:-1]):
            if field in _HOST_KEY_TYPES or field.startswith("sk-"):
                keys.append(HostKey(key_type=field, blob=fields[i + 1]))
                break
        else:
            raise ValueError("host_key must be in known_hosts format, e.g. 'ssh-ed25519 AAAA...'")
    return tuple(keys)


class Target(BaseModel):
    """One network's server. Built from the secret's JSON; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    protocol: Protocol
    protocol_inferred: bool = Field(default=False, description="true when the secret gave no protocol")
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    username: str = Field(min_length=1)
    password: SecretStr | None = None
    private_key: SecretStr | None = None
    host_key: str | None = None
    remote_dir: str = ""
    passive: bool = True
    ca_cert: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _infer_protocol_and_port(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        port = data.get("port")
        if isinstance(port, str) and port.strip():
            data["port"] = port = int(port.strip()) if port.strip().isdigit() else port
        if not data.get("protocol"):
            data["protocol"] = "ftps" if port == 21 else "sftp"
            data["protocol_inferred"] = True
        else:
            data["protocol"] = str(data["protocol"]).lower()
        if port in (None, ""):
            data["port"] = _DEFAULT_PORTS.get(data["protocol"], 22)
        for optional in ("password", "private_key", "host_key", "ca_cert"):
            if data.get(optional) == "":
                data[optional] = None
        return data

    @field_validator("host_key")
    @classmethod
    def _host_key_is_known_hosts(cls, value: str | None) -> str | None:
        if value is not None and not parse_host_keys(value):
            raise ValueError("host_key holds no key")
        return value

    @model_validator(mode="after")
    def _has_credentials(self) -> Target:
        if self.password is None and self.private_key is None:
            raise ValueError("a target needs a password or a private_key")
        if self.protocol != "sftp" and self.password is None:
            raise ValueError(f"{self.protocol} needs a password")
        if self.protocol == "sftp" and self.host_key is None:
            raise ValueError(
                "sftp needs host_key (known_hosts format): host keys are never trusted on first use"
            )
        return self

    @property
    def host_keys(self) -> tuple[HostKey, ...]:
        return parse_host_keys(self.host_key or "")

    @property
    def address(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"

    def remote_path(self, name: str) -> str:
        directory = self.remote_dir.rstrip("/")
        if not directory:
            return "/" + name if self.remote_dir.startswith("/") else name
        return f"{directory}/{name}"


def parse_target(network: str, data: object) -> Target:
    """A target from a secret's value (JSON text or already parsed). Errors name the field, never its value."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError:
            raise ConfigurationError(f"delivery target for {network}: the secret is not JSON") from None
    try:
        return Target.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'secret'}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"delivery target for {network}: {reasons}") from None


def _is_flat_target(data: object) -> bool:
    return isinstance(data, dict) and "host" in data


def resolve_target(network: str, prefix: str, fetch: Callable[[str], str | None]) -> Target:
    """Find `network`'s target. `fetch(name)` returns the secret's text, or None when there is no such secret."""
    own = fetch(f"{prefix}/{network}")
    if own is not None:
        return parse_target(network, own)
    shared_text = fetch(prefix)
    if shared_text is None:
        raise ConfigurationError(
            f"no delivery target for network {network}: neither secret {prefix}/{network} nor {prefix} exists"
        )
    try:
        shared = json.loads(shared_text)
    except ValueError:
        raise ConfigurationError(f"delivery target for {network}: the secret {prefix} is not JSON") from None
    if _is_flat_target(shared):
        return parse_target(network, shared)
    if isinstance(shared, dict) and isinstance(shared.get(network), dict):
        return parse_target(network, shared[network])
    raise ConfigurationError(
        f"no delivery target for network {network}: secret {prefix} has neither a flat target nor a '{network}' entry"
    )

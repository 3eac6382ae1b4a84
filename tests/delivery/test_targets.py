"""The secret shape of contract section 4, its lookup rule, and private key formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from delivery_support import FAST, Counter, make_payload, sha256_of

from chargeback.delivery import DeliverySettings, backoff_delay, deliver
from chargeback.errors import ConfigurationError
from chargeback.ledger import S3Ledger
from chargeback.targets import parse_target, resolve_target
from chargeback.transports.sftp import load_private_key
from chargeback_cli.local_servers import LocalServers

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def test_protocol_follows_the_port_when_the_secret_gives_none() -> None:
    seeds = parse_target("visa", {"host": "h", "username": "u", "password": "p", "port": "21"})
    other = parse_target(
        "visa", {"host": "h", "username": "u", "password": "p", "port": "2222", "host_key": KEY}
    )

    assert (seeds.protocol, seeds.port, seeds.protocol_inferred) == ("ftps", 21, True)
    assert (other.protocol, other.port) == ("sftp", 2222)


def test_host_key_may_carry_a_known_hosts_host_field_and_comment() -> None:
    target = parse_target(
        "visa", {"host": "h", "port": 22, "username": "u", "password": "p", "host_key": f"[h]:22 {KEY} ops@x"}
    )

    assert [(k.key_type, k.blob) for k in target.host_keys] == [("ssh-ed25519", KEY.split()[1])]


def test_a_target_never_shows_its_password_or_key_in_repr_or_str() -> None:
    target = parse_target(
        "visa",
        {
            "host": "h",
            "username": "u",
            "password": "hunter2-secret",
            "private_key": "KEYMATERIAL",
            "host_key": KEY,
        },
    )

    for text in (repr(target), str(target), str(target.model_dump())):
        assert "hunter2-secret" not in text and "KEYMATERIAL" not in text


def test_a_bad_secret_is_a_configuration_error_naming_the_field_not_its_value() -> None:
    with pytest.raises(ConfigurationError) as bad:
        parse_target("amex", {"host": "h", "username": "u", "password": "s3cr3t-value", "port": "twenty-two"})

    assert "amex" in str(bad.value) and "port" in str(bad.value) and "s3cr3t-value" not in str(bad.value)


def test_sftp_without_a_pinned_host_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="host_key"):
        parse_target("visa", {"protocol": "sftp", "host": "h", "username": "u", "password": "p"})


def test_lookup_prefers_the_network_secret_then_the_shared_flat_or_keyed_one() -> None:
    flat = {"host": "shared", "username": "u", "password": "p", "port": 21}
    store = {
        "pfx/visa": json.dumps({**flat, "host": "own"}),
        "pfx": json.dumps(flat),
    }
    keyed = {"pfx": json.dumps({"amex": {**flat, "host": "amex-host"}})}

    assert resolve_target("visa", "pfx", lambda n: store.get(n)).host == "own"
    assert resolve_target("discover", "pfx", lambda n: store.get(n)).host == "shared"
    assert resolve_target("amex", "pfx", lambda n: keyed.get(n)).host == "amex-host"
    with pytest.raises(ConfigurationError, match="no delivery target for network visa"):
        resolve_target("visa", "pfx", lambda n: keyed.get(n))
    with pytest.raises(ConfigurationError, match="neither secret pfx/discover nor pfx"):
        resolve_target("discover", "pfx", lambda n: None)


def _pem(key: object, fmt: serialization.PrivateFormat) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("key", "fmt", "name"),
    [
        (ed25519.Ed25519PrivateKey.generate(), serialization.PrivateFormat.OpenSSH, "ssh-ed25519"),
        (
            ec.generate_private_key(ec.SECP256R1()),
            serialization.PrivateFormat.TraditionalOpenSSL,
            "ecdsa-sha2-nistp256",
        ),
        (ec.generate_private_key(ec.SECP384R1()), serialization.PrivateFormat.OpenSSH, "ecdsa-sha2-nistp384"),
        (rsa.generate_private_key(65537, 2048), serialization.PrivateFormat.TraditionalOpenSSL, "ssh-rsa"),
        (rsa.generate_private_key(65537, 2048), serialization.PrivateFormat.OpenSSH, "ssh-rsa"),
    ],
    ids=["ed25519-openssh", "ecdsa-pem", "ecdsa384-openssh", "rsa-pem", "rsa-openssh"],
)
def test_private_keys_load_in_pem_and_openssh_formats(
    key: object, fmt: serialization.PrivateFormat, name: str
) -> None:
    assert load_private_key(_pem(key, fmt)).get_name() == name


def test_an_unreadable_private_key_is_a_configuration_error_without_its_text() -> None:
    with pytest.raises(ConfigurationError) as bad:
        load_private_key(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key-at-all\n-----END OPENSSH PRIVATE KEY-----"
        )

    assert "not-a-key-at-all" not in str(bad.value)


@pytest.mark.parametrize("key_type", ["ecdsa-sha2-nistp256", "ssh-rsa"])
def test_sftp_logs_in_with_ecdsa_and_rsa_client_keys(tmp_path: Path, ledger: S3Ledger, key_type: str) -> None:
    with LocalServers(
        tmp_path, networks=["amex"], protocols={"amex": "sftp-key"}, client_key_type=key_type
    ) as own:
        payload = make_payload("amex", 256 * 1024)
        target = parse_target("amex", own.target("amex"))

        deliver(payload.file, target, payload.open, ledger, FAST, connect=Counter().connect)

        assert sha256_of(own.delivered_dir("amex") / payload.file.name) == payload.file.sha256


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    settings = DeliverySettings(base_delay_seconds=1, max_delay_seconds=5)

    class Top:
        def uniform(self, low: float, high: float) -> float:
            assert low == 0
            return high

    assert [backoff_delay(n, settings, Top()) for n in range(1, 6)] == [1, 2, 4, 5, 5]  # type: ignore[arg-type]

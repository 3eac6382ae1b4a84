"""The leak scanner finds what it must (so a clean scan means something) and passes over look-alikes."""

from __future__ import annotations

import json
from pathlib import Path

from chargeback_cli.local_servers import client_key
from tests.support.leak_scan import LeakScanner

PASSWORD = "s3cr3t-Pa55word-for-tests"
PRIVATE_KEY, _ = client_key("ssh-ed25519")


def _kinds(text: str) -> list[str]:
    scanner = LeakScanner(secrets=[PASSWORD, PRIVATE_KEY], security_values=["739", "4821"], counted=False)
    return [leak.kind for leak in scanner.scan_text(text, "test")]


def test_full_card_numbers_are_found_bare_grouped_and_inside_text() -> None:
    assert _kinds("card 4111111111111111 declined") == ["pan"]
    assert _kinds('{"card":"378282246310005"}') == ["pan"]
    assert _kinds("4111 1111 1111 1111") == ["pan"]
    assert _kinds("5555-5555-5555-4444") == ["pan"]


def test_masked_numbers_luhn_failures_timestamps_and_fractions_are_not_card_numbers() -> None:
    assert _kinds("411111******1111 4111111111111112") == []
    assert _kinds('{"Timestamp":1795314473160}') == []  # Luhn-valid epoch milliseconds
    assert _kinds('"DeliveryLatency":[204.07266999973217]') == []
    assert _kinds("74912346253082947165832") == []  # a 23-digit ARN


def test_card_security_values_are_found_as_whole_tokens_only() -> None:
    assert _kinds('{"cvv": "739"}') == ["card_security_value"]
    assert _kinds("cvv=4821;") == ["card_security_value"]
    assert _kinds("CB-7391 a739b 17390 02:40:52,739 12.739") == []


def test_passwords_and_private_keys_are_found_even_json_escaped() -> None:
    assert _kinds(f"login {PASSWORD}") == ["password"]
    assert "private_key" in _kinds(json.dumps({"key": PRIVATE_KEY}))


def test_a_folder_scan_counts_bytes_and_skips_excluded_paths(tmp_path: Path) -> None:
    (tmp_path / "clean.txt").write_text("nothing here")
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "input.json").write_text('{"card_number": "4111111111111111"}')
    scanner = LeakScanner(counted=False)

    assert scanner.scan_path(tmp_path, exclude=[tmp_path / "kept"]) == []
    assert scanner.bytes_scanned == len("nothing here") and scanner.files_scanned == 1
    assert [leak.kind for leak in scanner.scan_path(tmp_path)] == ["pan"]

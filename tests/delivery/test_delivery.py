"""Delivery against real servers on 127.0.0.1: intact, atomic, retried, refused, never twice."""

from __future__ import annotations

import threading
from typing import Any, BinaryIO

import pytest
from delivery_support import FAST, MB, Counter, Payload, make_payload, part_files, sha256_of

from chargeback.contracts import DeliveryResult
from chargeback.delivery import DeliverySettings, deliver
from chargeback.errors import DeliveryRefused, TransientDeliveryError
from chargeback.ledger import Receipt, S3Ledger
from chargeback.targets import parse_target
from chargeback_cli.local_servers import LocalServers
from tests.support.fault_proxy import FaultProxy

ALL = ["visa", "mastercard", "amex", "discover"]  # sftp+password, ftps, sftp+key, plain ftp


def _deliver(
    servers: LocalServers,
    payload: Payload,
    ledger: S3Ledger,
    counter: Counter,
    settings: DeliverySettings = FAST,
    **overrides: Any,
) -> DeliveryResult:
    target = parse_target(payload.file.network, {**servers.target(payload.file.network), **overrides})
    return deliver(
        payload.file, target, payload.open, ledger, settings, connect=counter.connect, sleep=counter.sleep
    )


class ObservedSource:
    """A source stream that runs `on_read(bytes_read_so_far)` after every read."""

    def __init__(self, data: bytes, on_read: Any) -> None:
        self.data, self.pos, self.on_read = data, 0, on_read

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.pos + size
        chunk = self.data[self.pos : end]
        self.pos += len(chunk)
        self.on_read(self.pos)
        return chunk

    def close(self) -> None:
        return None


@pytest.mark.parametrize("network", ALL)
def test_each_protocol_delivers_50_mb_intact_and_leaves_no_part(
    servers: LocalServers, ledger: S3Ledger, counter: Counter, network: str
) -> None:
    payload = make_payload(network, 50 * MB)

    result = _deliver(servers, payload, ledger, counter)

    landed = servers.delivered_dir(network) / payload.file.name
    assert sha256_of(landed) == payload.file.sha256
    assert part_files(servers.delivered_dir(network)) == []
    assert result.delivered and not result.already_delivered
    assert result.remote_path == f"/{payload.file.name}"
    receipt = ledger.find(payload.file.batch_id, network, payload.file.name)
    assert receipt is not None
    assert (receipt.bytes, receipt.sha256, receipt.host, receipt.attempt) == (
        50 * MB,
        payload.file.sha256,
        "127.0.0.1",
        1,
    )
    assert servers.upload_log(network).count(payload.file.name) == 1


@pytest.mark.parametrize("network", ALL)
def test_final_name_is_absent_while_the_upload_is_under_way(
    servers: LocalServers, ledger: S3Ledger, counter: Counter, network: str
) -> None:
    payload = make_payload(network, 8 * MB)
    home = servers.delivered_dir(network)
    seen: list[tuple[bool, bool]] = []

    def look(done: int) -> None:
        if 2 * MB <= done < 7 * MB:
            seen.append(((home / payload.file.name).exists(), (home / f"{payload.file.name}.part").exists()))

    target = parse_target(network, servers.target(network))
    deliver(payload.file, target, lambda: ObservedSource(payload.data, look), ledger, FAST)  # type: ignore[arg-type,return-value]

    assert seen, "the source was never read mid-transfer"
    assert all(not final for final, _ in seen)
    assert any(part for _, part in seen)
    assert sha256_of(home / payload.file.name) == payload.file.sha256


@pytest.mark.parametrize("network", ["visa", "amex"])
def test_sftp_connection_cut_by_the_proxy_mid_transfer_is_retried_to_one_complete_file(
    servers: LocalServers, ledger: S3Ledger, counter: Counter, network: str
) -> None:
    payload = make_payload(network, 20 * MB)
    with FaultProxy(servers.port(network)) as proxy:
        proxy.cut_after_bytes = 6 * MB

        result = _deliver(servers, payload, ledger, counter, port=proxy.port)

        assert proxy.cuts == 1
    home = servers.delivered_dir(network)
    assert result.delivered
    assert counter.connects == 2 and len(counter.sleeps) == 1
    assert sha256_of(home / payload.file.name) == payload.file.sha256
    assert part_files(home) == []
    assert servers.upload_log(network).count(payload.file.name) == 1
    receipt = ledger.find(payload.file.batch_id, network, payload.file.name)
    assert receipt is not None and receipt.attempt == 2


@pytest.mark.parametrize("network", ["mastercard", "discover"])
def test_ftp_control_connection_cut_mid_transfer_is_retried_to_one_complete_file(
    servers: LocalServers, ledger: S3Ledger, counter: Counter, network: str
) -> None:
    payload = make_payload(network, 20 * MB)
    opened: list[int] = []
    with FaultProxy(servers.port(network)) as proxy:

        def cut_once(done: int) -> None:
            if len(opened) == 1 and done >= 6 * MB and proxy.cuts == 0:
                proxy.cut_all()

        def source() -> BinaryIO:
            opened.append(1)
            return ObservedSource(payload.data, cut_once)  # type: ignore[return-value]

        target = parse_target(network, {**servers.target(network), "port": proxy.port})
        result = deliver(
            payload.file, target, source, ledger, FAST, connect=counter.connect, sleep=counter.sleep
        )

        assert proxy.cuts >= 1
    home = servers.delivered_dir(network)
    assert result.delivered
    assert counter.connects == 2 and len(opened) == 2
    assert sha256_of(home / payload.file.name) == payload.file.sha256
    assert part_files(home) == []
    assert servers.upload_log(network).count(payload.file.name) == 1


@pytest.mark.parametrize(
    ("network", "overrides", "reason"),
    [
        ("visa", {"password": "not-the-password"}, "login refused"),
        ("mastercard", {"password": "not-the-password"}, "login refused"),
        ("discover", {"password": "not-the-password"}, "login refused"),
        ("visa", {"remote_dir": "/readonly"}, "ermission denied"),
        ("amex", {"remote_dir": "/readonly"}, "ermission denied"),
        ("mastercard", {"remote_dir": "/readonly"}, "550"),
        ("discover", {"remote_dir": "/readonly"}, "550"),
        (
            "visa",
            {"host_key": "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOpYDS1e"},
            "host key mismatch",
        ),
        ("mastercard", {"ca_cert": None}, "certificate not trusted"),
        ("discover", {"protocol": "ftps"}, '"protocol": "ftp"'),
    ],
    ids=[
        "sftp-wrong-password",
        "ftps-wrong-password",
        "ftp-wrong-password",
        "sftp-permission-denied",
        "sftp-key-permission-denied",
        "ftps-permission-denied",
        "ftp-permission-denied",
        "sftp-unknown-host-key-type",
        "ftps-untrusted-certificate",
        "plain-ftp-server-offered-as-ftps",
    ],
)
def test_permanent_failures_are_refused_at_once_with_no_retry_and_no_partial_file(
    servers: LocalServers,
    ledger: S3Ledger,
    counter: Counter,
    network: str,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    payload = make_payload(network, 1 * MB)

    with pytest.raises(DeliveryRefused) as refused:
        _deliver(servers, payload, ledger, counter, **overrides)

    message = str(refused.value)
    assert reason in message
    assert message.startswith(f"{network}: ") and "127.0.0.1" in message
    assert counter.connects == 1 and counter.sleeps == []
    assert part_files(servers.delivered_dir(network)) == []
    assert not (servers.delivered_dir(network) / payload.file.name).exists()
    assert ledger.find(payload.file.batch_id, network, payload.file.name) is None
    ledger.lock(
        payload.file.batch_id, network, payload.file.name, payload.file.sha256
    )  # the lock was released


def test_an_sftp_host_key_that_is_not_the_pinned_one_is_refused(
    servers: LocalServers, ledger: S3Ledger, counter: Counter
) -> None:
    other = LocalServers(servers.root / "impostor", networks=["visa"])
    payload = make_payload("visa", 1 * MB)

    with pytest.raises(DeliveryRefused, match="host key mismatch"):
        _deliver(servers, payload, ledger, counter, host_key=other.host_key)

    assert counter.connects == 1 and counter.sleeps == []


def test_a_changed_sftp_host_key_is_refused_never_trusted_on_first_use(
    tmp_path: Any, ledger: S3Ledger, counter: Counter
) -> None:
    with LocalServers(tmp_path, networks=["visa"], protocols={"visa": "sftp"}) as own:
        pinned = own.target("visa")
        own.rotate_host_key()
        payload = make_payload("visa", 1 * MB)
        target = parse_target("visa", {**pinned, "port": own.port("visa")})

        with pytest.raises(DeliveryRefused, match="host key mismatch") as refused:
            deliver(
                payload.file, target, payload.open, ledger, FAST, connect=counter.connect, sleep=counter.sleep
            )

        assert counter.connects == 1 and counter.sleeps == []
        assert "visa: sftp://127.0.0.1" in str(refused.value)
        assert list(own.delivered_dir("visa").glob("*.csv*")) == []


def test_a_server_that_is_down_gives_transient_error_after_bounded_retries_then_a_redrive_delivers(
    tmp_path: Any, ledger: S3Ledger, counter: Counter
) -> None:
    with LocalServers(tmp_path, networks=["mastercard"]) as own:
        payload = make_payload("mastercard", 1 * MB)
        target = parse_target("mastercard", own.target("mastercard"))
        own.stop("mastercard")

        with pytest.raises(TransientDeliveryError) as down:
            deliver(
                payload.file, target, payload.open, ledger, FAST, connect=counter.connect, sleep=counter.sleep
            )

        assert counter.connects == FAST.max_attempts
        assert len(counter.sleeps) == FAST.max_attempts - 1
        assert all(0 <= s <= FAST.max_delay_seconds for s in counter.sleeps)
        assert str(down.value).startswith("mastercard: gave up after 3 attempts")
        assert "127.0.0.1" in str(down.value)

        own.start("mastercard")
        result = deliver(payload.file, target, payload.open, ledger, FAST)
        assert result.delivered
        assert sha256_of(own.delivered_dir("mastercard") / payload.file.name) == payload.file.sha256


def test_connections_reset_at_once_are_retried_and_bounded(
    servers: LocalServers, ledger: S3Ledger, counter: Counter
) -> None:
    payload = make_payload("visa", 1 * MB)
    with FaultProxy(servers.port("visa")) as proxy:
        proxy.refuse = True

        with pytest.raises(TransientDeliveryError):
            _deliver(servers, payload, ledger, counter, port=proxy.port)

        assert proxy.connections == FAST.max_attempts
    assert counter.sleeps and len(counter.sleeps) == FAST.max_attempts - 1


@pytest.mark.parametrize("network", ["amex", "mastercard"])
def test_the_same_file_invoked_twice_in_a_row_is_delivered_once(
    servers: LocalServers, ledger: S3Ledger, counter: Counter, network: str
) -> None:
    payload = make_payload(network, 2 * MB)

    first = _deliver(servers, payload, ledger, counter)
    second = _deliver(servers, payload, ledger, counter)

    assert not first.already_delivered
    assert second.already_delivered and second.receipt == first.receipt
    assert counter.connects == 1
    assert servers.upload_log(network).count(payload.file.name) == 1


@pytest.mark.parametrize("network", ["visa", "discover"])
def test_the_same_file_invoked_twice_at_once_is_delivered_once(
    servers: LocalServers, ledger: S3Ledger, network: str
) -> None:
    payload = make_payload(network, 16 * MB)
    target = parse_target(network, servers.target(network))
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def invoke() -> None:
        start.wait()
        try:
            outcomes.append(deliver(payload.file, target, payload.open, ledger, FAST))
        except TransientDeliveryError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=invoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    delivered = [o for o in outcomes if isinstance(o, DeliveryResult) and not o.already_delivered]
    assert len(outcomes) == 2 and len(delivered) == 1
    busy = [o for o in outcomes if isinstance(o, TransientDeliveryError)]
    assert all("delivery already in progress" in str(o) for o in busy)
    retried = deliver(payload.file, target, payload.open, ledger, FAST)  # what the state machine's Retry does
    assert retried.already_delivered
    assert servers.upload_log(network).count(payload.file.name) == 1


class Killed(BaseException):
    """The Lambda dies (timeout, crash) between the rename and the receipt."""


class DiesBeforeReceipt(S3Ledger):
    def record(self, receipt: Receipt) -> Any:
        raise Killed

    def release(self, lock: Any) -> None:
        return None  # a dead process releases nothing


@pytest.mark.parametrize("network", ["amex", "discover"])
def test_an_attempt_killed_after_the_rename_is_recorded_by_the_next_without_a_second_upload(
    servers: LocalServers, s3: Any, counter: Counter, network: str
) -> None:
    payload = make_payload(network, 2 * MB)
    target = parse_target(network, servers.target(network))
    bucket = "chargeback-test-processed"
    with pytest.raises(Killed):
        deliver(payload.file, target, payload.open, DiesBeforeReceipt(s3, bucket), FAST)
    assert (servers.delivered_dir(network) / payload.file.name).exists()

    with pytest.raises(TransientDeliveryError, match="delivery already in progress"):
        deliver(payload.file, target, payload.open, S3Ledger(s3, bucket, stale_after_seconds=900), FAST)
    later = S3Ledger(
        s3, bucket, stale_after_seconds=0
    )  # the dead attempt's lock is older than the Lambda timeout
    result = deliver(payload.file, target, payload.open, later, FAST, connect=counter.connect)

    assert result.delivered and result.already_delivered
    receipt = later.find(payload.file.batch_id, network, payload.file.name)
    assert receipt is not None and receipt.already_on_server
    assert servers.upload_log(network).count(payload.file.name) == 1
    assert sha256_of(servers.delivered_dir(network) / payload.file.name) == payload.file.sha256


def test_a_different_file_already_on_the_server_under_the_final_name_is_not_overwritten(
    servers: LocalServers, ledger: S3Ledger, counter: Counter
) -> None:
    payload = make_payload("visa", 1 * MB)
    squatter = servers.delivered_dir("visa") / payload.file.name
    squatter.write_bytes(b"someone else's file")

    with pytest.raises(DeliveryRefused, match="already exists with 19 bytes"):
        _deliver(servers, payload, ledger, counter)

    assert squatter.read_bytes() == b"someone else's file"


def test_a_source_that_does_not_match_its_sha256_is_refused_and_cleaned_up(
    servers: LocalServers, ledger: S3Ledger, counter: Counter
) -> None:
    payload = make_payload("mastercard", 1 * MB)
    tampered = Payload(b"x" * len(payload.data), payload.file)

    with pytest.raises(DeliveryRefused, match="does not match the sha256"):
        _deliver(servers, tampered, ledger, counter)

    assert part_files(servers.delivered_dir("mastercard")) == []
    assert not (servers.delivered_dir("mastercard") / payload.file.name).exists()


def test_no_password_private_key_or_pan_appears_in_logs_or_errors(
    servers: LocalServers,
    ledger: S3Ledger,
    counter: Counter,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level("DEBUG")
    pan = "4111111111111111"
    texts: list[str] = []
    for network in ALL:
        payload = make_payload(network, 256 * 1024)
        payload = Payload(f"chargeback_id,card_number\ncb-1,{pan}\n".encode() + payload.data, payload.file)
        payload.file = payload.file.model_copy(
            update={
                "bytes": len(payload.data),
                "sha256": __import__("hashlib").sha256(payload.data).hexdigest(),
            }
        )
        target = parse_target(network, servers.target(network))
        texts += [repr(target), str(target), str(target.model_dump())]
        _deliver(servers, payload, ledger, counter)
        for overrides in ({"remote_dir": "/readonly"}, {"port": 1}):
            try:
                _deliver(servers, make_payload(network, 1024), ledger, counter, **overrides)
            except (DeliveryRefused, TransientDeliveryError) as exc:
                texts += [str(exc), repr(exc), str(exc.__cause__)]
    out, err = capsys.readouterr()
    texts += [caplog.text, out, err]

    everything = "\n".join(texts)
    secrets = servers.secrets()
    assert secrets
    key_lines = [
        line for s in secrets for line in s.splitlines() if len(line) > 20 and "PRIVATE KEY" not in line
    ]
    for secret in [*(s for s in secrets if "\n" not in s), *key_lines, pan]:
        assert secret not in everything

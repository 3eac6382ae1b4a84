"""SFTP with paramiko. The server's host key must match the pinned `host_key`; it is never trusted on first use.

The key check happens right after the key exchange, before any password or key signature is sent.
Only the pinned key types are offered in the negotiation, so a server with several host keys shows
the one that was pinned.
"""

from __future__ import annotations

import contextlib
import errno
import io
import socket
import time
from collections.abc import Iterator
from typing import BinaryIO

import paramiko

from chargeback.errors import ConfigurationError, DeliveryRefused, TransientDeliveryError
from chargeback.targets import Target
from chargeback.transports.base import CHUNK_BYTES, Transport

_NEGOTIATED_TYPES = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}
_KEY_CLASSES: tuple[type[paramiko.PKey], ...] = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


def load_private_key(text: str) -> paramiko.PKey:
    """An Ed25519, ECDSA or RSA private key, PEM or OpenSSH format, without passphrase."""
    for key_class in _KEY_CLASSES:
        try:
            return key_class.from_private_key(io.StringIO(text.strip() + "\n"))
        except (paramiko.SSHException, ValueError, TypeError):
            continue
    raise ConfigurationError("private_key is not an unencrypted Ed25519, ECDSA or RSA key (PEM or OpenSSH)")


class SftpTransport(Transport):
    def __init__(self, target: Target, timeout_seconds: float) -> None:
        super().__init__(target, timeout_seconds)
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None

    @property
    def sftp(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            raise TransientDeliveryError(f"{self.target.address}: not connected")
        return self._sftp

    def connect(self) -> None:
        target = self.target
        pkey = load_private_key(target.private_key.get_secret_value()) if target.private_key else None
        with self._errors("connecting"):
            sock = socket.create_connection((target.host, target.port), timeout=self.timeout_seconds)
            transport = paramiko.Transport(sock)
            self._transport = transport
            transport.banner_timeout = self.timeout_seconds
            transport.handshake_timeout = self.timeout_seconds
            transport.auth_timeout = self.timeout_seconds
            offered: list[str] = []
            for key in target.host_keys:
                offered.extend(
                    t for t in _NEGOTIATED_TYPES.get(key.key_type, (key.key_type,)) if t not in offered
                )
            transport.get_security_options().key_types = offered
            started = time.monotonic()
            try:
                transport.start_client(timeout=self.timeout_seconds)
                # start_client returns on its timeout: then this raises "No existing session"
                server_key = transport.get_remote_server_key()
            except paramiko.SSHException as exc:
                if "Incompatible ssh peer" in str(exc):
                    raise DeliveryRefused(
                        f"{target.address}: host key mismatch: the server offers none of the pinned key types "
                        f"({', '.join(k.key_type for k in target.host_keys)})"
                    ) from None
                if time.monotonic() - started >= self.timeout_seconds:
                    raise TransientDeliveryError(
                        f"{target.address}: timed out while connecting"
                        f" (no SSH handshake within {self.timeout_seconds:g} s)"
                    ) from None
                raise
            self._check_host_key(server_key)
            self._authenticate(transport, pkey)
            self._sftp = paramiko.SFTPClient.from_transport(transport)
            if self._sftp is None:
                raise TransientDeliveryError(f"{target.address}: the server opened no SFTP session")
            self._sftp.get_channel().settimeout(self.timeout_seconds)  # type: ignore[union-attr]

    def _check_host_key(self, server_key: paramiko.PKey) -> None:
        name, blob = server_key.get_name(), server_key.get_base64()
        if not any(k.key_type == name and k.blob == blob for k in self.target.host_keys):
            raise DeliveryRefused(
                f"{self.target.address}: host key mismatch: the server presented {name} "
                f"SHA256:{server_key.fingerprint.split(':', 1)[-1]}, which is not the pinned host_key "
                "(unknown or changed host key; not trusted on first use)"
            )

    def _authenticate(self, transport: paramiko.Transport, pkey: paramiko.PKey | None) -> None:
        target = self.target
        try:
            if pkey is not None:
                transport.auth_publickey(target.username, pkey)
            elif target.password is not None:
                transport.auth_password(target.username, target.password.get_secret_value())
        except paramiko.AuthenticationException:
            raise DeliveryRefused(
                f"{target.address}: login refused for user {target.username} "
                f"({'private key' if pkey is not None else 'password'} authentication)"
            ) from None
        if not transport.is_authenticated():
            raise DeliveryRefused(f"{target.address}: login refused for user {target.username}")

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        address = self.target.address
        try:
            yield
        except (DeliveryRefused, TransientDeliveryError, ConfigurationError):
            raise
        except TimeoutError:
            raise TransientDeliveryError(f"{address}: timed out while {action}") from None
        except (PermissionError, FileNotFoundError) as exc:
            raise DeliveryRefused(f"{address}: {exc.strerror or exc} while {action}") from None
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise DeliveryRefused(f"{address}: permission denied while {action}") from None
            if exc.errno == errno.ENOENT:
                raise DeliveryRefused(f"{address}: no such file or directory while {action}") from None
            raise TransientDeliveryError(f"{address}: {type(exc).__name__} while {action}: {exc}") from None
        except (EOFError, paramiko.SSHException) as exc:
            raise TransientDeliveryError(f"{address}: {type(exc).__name__} while {action}: {exc}") from None

    def close(self) -> None:
        for closable in (self._sftp, self._transport):
            if closable is not None:
                with contextlib.suppress(Exception):
                    closable.close()
        self._sftp = self._transport = None

    def size(self, path: str) -> int | None:
        with self._errors(f"checking {path}"):
            try:
                return self.sftp.stat(path).st_size
            except FileNotFoundError:
                return None

    def upload(self, source: BinaryIO, path: str) -> None:
        with self._errors(f"uploading {path}"), self.sftp.open(path, "wb") as remote:
            remote.set_pipelined(True)
            while chunk := source.read(CHUNK_BYTES):
                remote.write(chunk)

    def rename(self, source: str, destination: str) -> None:
        with self._errors(f"renaming {source} to {destination}"):
            self.sftp.rename(source, destination)

    def delete(self, path: str) -> None:
        with self._errors(f"deleting {path}"):
            try:
                self.sftp.remove(path)
            except FileNotFoundError:
                return

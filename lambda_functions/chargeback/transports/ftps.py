"""FTPS with the standard library's `ftplib.FTP_TLS`: explicit TLS (AUTH TLS), protected data channel (PROT P).

The certificate is checked against the system's trust store, or against the `ca_cert` PEM of the secret,
host name included. A server that answers AUTH TLS with a refusal is plain FTP: the error says to set
`"protocol": "ftp"` if that is really meant.

FTP replies decide the error class: 4xx is `TransientDeliveryError`, 5xx is `DeliveryRefused`. That
includes 552 (storage allocation exceeded): RFC 959 calls it permanent, and a full disk needs a person
anyway; the batch stays in S3 and a redrive after the fix sends it. (A server that says 452 instead is retried.)
"""

from __future__ import annotations

import contextlib

# ftplib.FTP_TLS: explicit TLS, PROT P, the certificate verified.
import ftplib  # nosec B402
import ssl
from collections.abc import Iterator
from typing import BinaryIO

from chargeback.errors import ConfigurationError, DeliveryRefused, TransientDeliveryError
from chargeback.targets import Target
from chargeback.transports.base import CHUNK_BYTES, Transport


class FtpsTransport(Transport):
    def __init__(self, target: Target, timeout_seconds: float) -> None:
        super().__init__(target, timeout_seconds)
        self._ftp: ftplib.FTP | None = None

    @property
    def ftp(self) -> ftplib.FTP:
        if self._ftp is None:
            raise TransientDeliveryError(f"{self.target.address}: not connected")
        return self._ftp

    def _client(self) -> ftplib.FTP:
        if self.target.ca_cert:
            context = ssl.create_default_context(cadata=self.target.ca_cert)
        else:
            context = ssl.create_default_context()
        return ftplib.FTP_TLS(context=context, timeout=self.timeout_seconds)  # noqa: S321 (TLS, verified)

    def _secure_control(self, ftp: ftplib.FTP) -> None:
        assert isinstance(ftp, ftplib.FTP_TLS)
        try:
            ftp.auth()
        except ftplib.error_perm as exc:
            hint = ' (set "protocol": "ftp" in the secret if plain FTP is really meant)'
            raise DeliveryRefused(
                f"{self.target.address}: the server offers no TLS: AUTH TLS answered {str(exc)[:80]}{hint}"
            ) from None

    def _secure_data(self, ftp: ftplib.FTP) -> None:
        assert isinstance(ftp, ftplib.FTP_TLS)
        ftp.prot_p()

    def connect(self) -> None:
        target = self.target
        assert target.password is not None
        with self._errors("connecting"):
            ftp = self._client()
            self._ftp = ftp
            ftp.connect(target.host, target.port, timeout=self.timeout_seconds)
            self._secure_control(ftp)
            try:
                ftp.login(target.username, target.password.get_secret_value())
            except ftplib.error_perm as exc:
                raise DeliveryRefused(
                    f"{target.address}: login refused for user {target.username}: {str(exc)[:80]}"
                ) from None
            self._secure_data(ftp)
            ftp.set_pasv(target.passive)
            ftp.voidcmd("TYPE I")

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        address = self.target.address
        try:
            yield
        except (DeliveryRefused, TransientDeliveryError, ConfigurationError):
            raise
        except ftplib.error_temp as exc:
            raise TransientDeliveryError(
                f"{address}: server replied {str(exc)[:120]} while {action}"
            ) from None
        except ftplib.error_perm as exc:
            raise DeliveryRefused(f"{address}: server replied {str(exc)[:120]} while {action}") from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryRefused(
                f"{address}: TLS certificate not trusted ({exc.verify_message}) while {action}"
            ) from None
        except TimeoutError:
            raise TransientDeliveryError(f"{address}: timed out while {action}") from None
        except (ftplib.Error, OSError, EOFError) as exc:
            raise TransientDeliveryError(f"{address}: {type(exc).__name__} while {action}: {exc}") from None

    def close(self) -> None:
        if self._ftp is None:
            return
        try:
            self._ftp.quit()
        except Exception:
            with contextlib.suppress(Exception):
                self._ftp.close()
        self._ftp = None

    def size(self, path: str) -> int | None:
        with self._errors(f"checking {path}"):
            try:
                return self.ftp.size(path)
            except ftplib.error_perm:
                return None

    def upload(self, source: BinaryIO, path: str) -> None:
        with self._errors(f"uploading {path}"):
            self.ftp.storbinary(f"STOR {path}", source, blocksize=CHUNK_BYTES)

    def rename(self, source: str, destination: str) -> None:
        with self._errors(f"renaming {source} to {destination}"):
            self.ftp.rename(source, destination)

    def delete(self, path: str) -> None:
        with self._errors(f"deleting {path}"):
            try:
                self.ftp.delete(path)
            except ftplib.error_perm:
                return

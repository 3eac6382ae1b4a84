"""Plain FTP: only where the secret says `"protocol": "ftp"`, and every connection logs a warning."""

from __future__ import annotations

# Plain FTP only where the secret says "protocol": "ftp" (contract section 4).
import ftplib  # nosec B402
import logging

from chargeback.transports.ftps import FtpsTransport

logger = logging.getLogger(__name__)


class FtpTransport(FtpsTransport):
    def _client(self) -> ftplib.FTP:
        logger.warning(
            "plain FTP to %s: credentials and data travel unencrypted (the secret asks for protocol ftp)",
            self.target.address,
        )
        return ftplib.FTP(timeout=self.timeout_seconds)  # noqa: S321  # nosec B321

    def _secure_control(self, ftp: ftplib.FTP) -> None:
        return None

    def _secure_data(self, ftp: ftplib.FTP) -> None:
        return None

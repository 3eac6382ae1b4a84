"""Transports to the card networks' servers: SFTP (paramiko), FTPS (ftplib.FTP_TLS) and plain FTP."""

from __future__ import annotations

from chargeback.targets import Target
from chargeback.transports.base import Transport


def transport_for(target: Target, timeout_seconds: float) -> Transport:
    """A not yet connected transport for the target's protocol."""
    if target.protocol == "sftp":
        from chargeback.transports.sftp import SftpTransport

        return SftpTransport(target, timeout_seconds)
    if target.protocol == "ftps":
        from chargeback.transports.ftps import FtpsTransport

        return FtpsTransport(target, timeout_seconds)
    from chargeback.transports.ftp import FtpTransport

    return FtpTransport(target, timeout_seconds)


__all__ = ["Transport", "transport_for"]

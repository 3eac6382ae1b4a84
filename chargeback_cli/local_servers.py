"""Real FTP, FTPS and SFTP servers on 127.0.0.1, one per card network, for the tests and the local run.

    with LocalServers(Path("run/delivered")) as servers:
        targets = servers.targets()          # network -> the secret JSON of contract section 4
        ...                                  # deliver; files land in servers.delivered_dir(network)
        servers.stop("amex"); servers.start("amex")   # down, then up again on the same port

- FTP and FTPS: pyftpdlib (FTPS through `TLS_FTPHandler`, TLS required on control and data channels,
  with a self-signed certificate made at start for 127.0.0.1; its PEM is the target's `ca_cert`).
- SFTP: asyncssh's SFTP server, chrooted to the network's folder, with an Ed25519 host key made at
  start (the target's `host_key`); password or public-key login.

Each server runs in this process on its own thread (pyftpdlib) or on one shared asyncio loop thread
(asyncssh), on a free port chosen at the first start and kept across `stop`/`start`.

Protocols per network: `sftp` (password), `sftp-key` (private key), `ftps`, `ftp` (plain). Default:
visa `sftp`, mastercard `ftps`, amex `sftp-key`, discover `ftps`.

Every server has a `readonly/` folder in each user's home where writes are denied, so a test can
point `remote_dir` there to see "permission denied". `fail_uploads(network, "552 ...")` makes an FTP/FTPS
server answer every upload with that reply (a full disk), until it is called with None. `upload_log(network)` lists the final names the
server saw written (a rename to, or a direct upload of, a name not ending in `.part`).
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

NETWORKS = ("visa", "mastercard", "amex", "discover")
DEFAULT_PROTOCOLS = {"visa": "sftp", "mastercard": "ftps", "amex": "sftp-key", "discover": "ftps"}
PROTOCOLS = ("sftp", "sftp-key", "ftps", "ftp")
READONLY_DIR = "readonly"

logging.getLogger("pyftpdlib").addHandler(logging.NullHandler())
logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
logging.getLogger("asyncssh").setLevel(logging.WARNING)


def _is_final(name: str) -> bool:
    return not name.endswith(".part")


def self_signed_certificate(directory: Path) -> tuple[Path, str]:
    """A P-256 certificate and key for 127.0.0.1/localhost: (PEM file with both, certificate PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chargeback local FTPS")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = directory / "ftps-cert.pem"
    path.write_text(cert_pem + key_pem)
    path.chmod(0o600)
    return path, cert_pem


def client_key(key_type: str) -> tuple[str, asyncssh.SSHKey]:
    """A client key pair: (private key in OpenSSH format, as ssh-keygen writes it; the same key for asyncssh)."""
    key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if key_type == "ssh-ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    elif key_type.startswith("ecdsa-sha2-nistp"):
        curves = {"256": ec.SECP256R1(), "384": ec.SECP384R1(), "521": ec.SECP521R1()}
        key = ec.generate_private_key(curves[key_type.removeprefix("ecdsa-sha2-nistp")])
    elif key_type == "ssh-rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    else:
        raise ValueError(f"unsupported client key type {key_type}")
    text = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    return text, asyncssh.import_private_key(text)


@dataclass
class _Server:
    network: str
    protocol: str
    home: Path
    username: str
    password: str
    port: int = 0
    uploads: list[str] = field(default_factory=list)
    client_key: asyncssh.SSHKey | None = None
    client_key_text: str = ""
    stor_reply: str | None = None  # FTP/FTPS: answer every STOR with this reply instead (a fault)
    running: Any = None  # FTP: (FTPServer, stop Event, Thread); SFTP: (acceptor, set of connections)


# --- FTP / FTPS (pyftpdlib) -------------------------------------------------------------------------


def _ftp_handler(server: _Server, certfile: Path | None) -> type[FTPHandler]:
    base: type[FTPHandler] = TLS_FTPHandler if certfile is not None else FTPHandler

    class Handler(base):
        def ftp_STOR(self, file: str, mode: str = "w") -> Any:
            if server.stor_reply is not None:
                self.respond(server.stor_reply)
                return None
            result = super().ftp_STOR(file, mode)
            if result is not None and _is_final(file):
                server.uploads.append(Path(file).name)
            return result

        def ftp_RNTO(self, path: str) -> Any:
            result = super().ftp_RNTO(path)
            if result is not None and _is_final(path):
                server.uploads.append(Path(path).name)
            return result

    authorizer = DummyAuthorizer()
    authorizer.add_user(server.username, server.password, str(server.home), perm="elradfmwMT")
    authorizer.override_perm(server.username, str(server.home / READONLY_DIR), perm="elr", recursive=True)
    Handler.authorizer = authorizer
    Handler.banner = f"chargeback local {server.protocol} server for {server.network}"
    Handler.timeout = 60
    Handler.auth_failed_timeout = 0.2
    if certfile is not None:
        Handler.certfile = str(certfile)
        Handler.tls_control_required = True
        Handler.tls_data_required = True
        Handler.ssl_context = None  # a fresh context for this handler class
    return Handler


def _run_ftp(ftp_server: FTPServer, stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            ftp_server.ioloop.loop(timeout=0.05, blocking=False)
    finally:
        ftp_server.close_all()


# --- SFTP (asyncssh) --------------------------------------------------------------------------------


def _sftp_factory(server: _Server) -> Any:
    class Sftp(asyncssh.SFTPServer):
        def __init__(self, chan: Any) -> None:
            super().__init__(chan, chroot=str(server.home).encode())

        @staticmethod
        def _deny_readonly(path: bytes) -> None:
            if READONLY_DIR.encode() in path.split(b"/"):
                raise asyncssh.SFTPPermissionDenied("permission denied")

        def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> Any:
            if pflags & asyncssh.FXF_WRITE:
                self._deny_readonly(path)
                if _is_final(path.decode()):
                    server.uploads.append(path.decode().rsplit("/", 1)[-1])
            return super().open(path, pflags, attrs)

        def remove(self, path: bytes) -> Any:
            self._deny_readonly(path)
            return super().remove(path)

        def rename(self, oldpath: bytes, newpath: bytes) -> Any:
            self._deny_readonly(oldpath)
            self._deny_readonly(newpath)
            result = super().rename(oldpath, newpath)
            if _is_final(newpath.decode()):
                server.uploads.append(newpath.decode().rsplit("/", 1)[-1])
            return result

        def posix_rename(self, oldpath: bytes, newpath: bytes) -> Any:
            return self.rename(oldpath, newpath)

    return Sftp


def _ssh_server_class(server: _Server, connections: set[Any]) -> type[asyncssh.SSHServer]:
    class SshServer(asyncssh.SSHServer):
        def connection_made(self, conn: Any) -> None:
            self._conn = conn
            connections.add(conn)

        def connection_lost(self, exc: Exception | None) -> None:
            connections.discard(self._conn)

        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return server.protocol == "sftp"

        def validate_password(self, username: str, password: str) -> bool:
            return secrets.compare_digest(username, server.username) and secrets.compare_digest(
                password, server.password
            )

        def public_key_auth_supported(self) -> bool:
            return server.client_key is not None

        def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
            assert server.client_key is not None
            return username == server.username and key.public_data == server.client_key.public_data

    return SshServer


class LocalServers:
    def __init__(
        self,
        root: Path,
        networks: Iterable[str] = NETWORKS,
        protocols: dict[str, str] | None = None,
        client_key_type: str = "ssh-ed25519",
    ) -> None:
        self.root = Path(root)
        self.networks = tuple(networks)
        chosen = {**DEFAULT_PROTOCOLS, **(protocols or {})}
        self._servers: dict[str, _Server] = {}
        for network in self.networks:
            protocol = chosen.get(network, "sftp")
            if protocol not in PROTOCOLS:
                raise ValueError(f"unknown protocol {protocol!r} for {network}; choose from {PROTOCOLS}")
            home = self.root / network
            server = _Server(
                network=network,
                protocol=protocol,
                home=home,
                username=f"{network}-acquirer",
                password=secrets.token_urlsafe(18),
            )
            if protocol == "sftp-key":
                server.client_key_text, server.client_key = client_key(client_key_type)
            self._servers[network] = server
        self._host_key = asyncssh.generate_private_key("ssh-ed25519")
        self._certfile: Path | None = None
        self._cert_pem = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> LocalServers:
        self.start_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_all(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for network in self.networks:
            self.start(network)

    def close(self) -> None:
        for network in self.networks:
            self.stop(network)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._loop_thread is not None:
                self._loop_thread.join(5)
            self._loop.close()
            self._loop = None

    def start(self, network: str) -> None:
        """Start (or restart) one network's server, on the port it had before if it ran already."""
        server = self._servers[network]
        if server.running is not None:
            return
        (server.home / READONLY_DIR).mkdir(parents=True, exist_ok=True)
        if server.protocol in ("ftp", "ftps"):
            self._start_ftp(server)
        else:
            self._start_sftp(server)

    def stop(self, network: str) -> None:
        """Stop one network's server and drop its open connections; its port stays reserved for `start`."""
        server = self._servers[network]
        if server.running is None:
            return
        if server.protocol in ("ftp", "ftps"):
            _, stop, thread = server.running
            stop.set()
            thread.join(5)
        else:
            acceptor, connections = server.running

            async def _close() -> None:
                acceptor.close()
                for conn in list(connections):
                    conn.abort()
                await acceptor.wait_closed()

            self._run(_close())
        server.running = None

    def _start_ftp(self, server: _Server) -> None:
        certfile = None
        if server.protocol == "ftps":
            if self._certfile is None:
                self._certfile, self._cert_pem = self_signed_certificate(self.root)
            certfile = self._certfile
        handler = _ftp_handler(server, certfile)
        ftp_server = FTPServer(("127.0.0.1", server.port), handler, ioloop=IOLoop())
        server.port = ftp_server.address[1]
        stop = threading.Event()
        thread = threading.Thread(
            target=_run_ftp, args=(ftp_server, stop), name=f"{server.protocol}-{server.network}", daemon=True
        )
        thread.start()
        server.running = (ftp_server, stop, thread)

    def _run(self, coroutine: Any) -> Any:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._loop_thread = threading.Thread(
                target=self._loop.run_forever, name="sftp-servers", daemon=True
            )
            self._loop_thread.start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def _start_sftp(self, server: _Server) -> None:
        connections: set[Any] = set()

        async def _listen() -> Any:
            return await asyncssh.create_server(
                _ssh_server_class(server, connections),
                "127.0.0.1",
                server.port,
                server_host_keys=[self._host_key],
                sftp_factory=_sftp_factory(server),
                allow_scp=False,
                reuse_address=True,
            )

        acceptor = self._run(_listen())
        server.port = acceptor.get_port()
        server.running = (acceptor, connections)

    def rotate_host_key(self) -> None:
        """Give the SFTP servers a new host key and restart them (a "changed host key" for pinned clients)."""
        self._host_key = asyncssh.generate_private_key("ssh-ed25519")
        for network, server in self._servers.items():
            if server.protocol.startswith("sftp") and server.running is not None:
                self.stop(network)
                self.start(network)

    def fail_uploads(self, network: str, reply: str | None) -> None:
        """FTP/FTPS only: answer every upload (STOR) with `reply`, e.g. "552 Disk full"; None to stop."""
        server = self._servers[network]
        if server.protocol not in ("ftp", "ftps"):
            raise ValueError(f"{network} serves {server.protocol}: upload faults are for FTP/FTPS servers")
        server.stor_reply = reply

    # --- what tests and the local run read ---------------------------------------------------------

    @property
    def host_key(self) -> str:
        """The SFTP servers' host key in known_hosts format (`ssh-ed25519 AAAA...`)."""
        exported: bytes = self._host_key.export_public_key("openssh")
        return exported.decode().strip()

    @property
    def ca_cert(self) -> str:
        return self._cert_pem

    def port(self, network: str) -> int:
        return self._servers[network].port

    def protocol(self, network: str) -> str:
        return self._servers[network].protocol

    def target(self, network: str) -> dict[str, Any]:
        """The secret JSON (contract section 4) that delivers to this network's local server."""
        server = self._servers[network]
        secret: dict[str, Any] = {
            "protocol": "sftp" if server.protocol.startswith("sftp") else server.protocol,
            "host": "127.0.0.1",
            "port": server.port,
            "username": server.username,
            "remote_dir": "/",
        }
        if server.client_key is not None:
            secret["private_key"] = server.client_key_text
        else:
            secret["password"] = server.password
        if server.protocol.startswith("sftp"):
            secret["host_key"] = self.host_key
        if server.protocol == "ftps":
            secret["ca_cert"] = self._cert_pem
        if server.protocol in ("ftp", "ftps"):
            secret["passive"] = True
        return secret

    def targets(self) -> dict[str, dict[str, Any]]:
        return {network: self.target(network) for network in self.networks}

    def delivered_dir(self, network: str) -> Path:
        return self._servers[network].home

    def upload_log(self, network: str) -> list[str]:
        """Final names written on this network's server, in order (one entry per upload or rename)."""
        return list(self._servers[network].uploads)

    def secrets(self) -> list[str]:
        """Every password and private key the servers accept: for tests that scan output for leaks."""
        found: list[str] = []
        for network in self.networks:
            secret = self.target(network)
            found.extend(secret[k] for k in ("password", "private_key") if k in secret)
        return found

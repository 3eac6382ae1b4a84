"""Throughput of each transport on loopback for one file, beside OpenSSH's `sftp` and `curl`'s FTP upload.

    .venv/bin/python benchmarks/transport_throughput.py [--mb 50] [--runs 3]

The local servers (chargeback_cli.local_servers) run in a child process, so the clients measured here
do not share an interpreter with them. Each row uploads the same file to the same server; the figure
is the best of `--runs`. Our transports do what a delivery does on the wire: connect, log in (host key
or certificate checked), upload `<name>.part`, check its size, rename. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1] / "lambda_functions"),
    str(Path(__file__).resolve().parents[1]),
]

from chargeback.targets import parse_target  # noqa: E402
from chargeback.transports import transport_for  # noqa: E402

PROTOCOLS = {"visa": "sftp", "amex": "sftp-key", "mastercard": "ftps", "discover": "ftp"}


def _serve(root: str, conn: Connection) -> None:
    from chargeback_cli.local_servers import LocalServers

    with LocalServers(Path(root), networks=list(PROTOCOLS), protocols=PROTOCOLS) as servers:
        conn.send(servers.targets())
        conn.recv()  # until the parent says stop


def _ours(target: dict[str, Any], network: str, source: Path, name: str) -> None:
    parsed = parse_target(network, target)
    with transport_for(parsed, 60) as transport, source.open("rb") as fh:
        part = parsed.remote_path(name + ".part")
        transport.upload(fh, part)
        assert transport.size(part) == source.stat().st_size
        transport.rename(part, parsed.remote_path(name))


def _openssh_sftp(target: dict[str, Any], work: Path, source: Path, name: str) -> None:
    key = work / "id_client"
    key.write_text(target["private_key"])
    key.chmod(0o600)
    known = work / "known_hosts"
    known.write_text(f"[127.0.0.1]:{target['port']} {target['host_key']}\n")
    batch = work / "batch"
    batch.write_text(f"put {source} /{name}\n")
    subprocess.run(
        ["/usr/bin/sftp", "-q", "-b", str(batch), "-i", str(key), "-P", str(target["port"]),
         "-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
         f"{target['username']}@127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip


def _curl(target: dict[str, Any], work: Path, source: Path, name: str, tls: bool) -> None:
    config = work / "curl.cfg"  # credentials in a file, not on the command line
    config.write_text(f'user = "{target["username"]}:{target["password"]}"\n')
    config.chmod(0o600)
    command = ["/usr/bin/curl", "-sS", "--fail", "-K", str(config), "-T", str(source)]
    if tls:
        ca = work / "ca.pem"
        ca.write_text(target["ca_cert"])
        command += ["--ssl-reqd", "--cacert", str(ca)]
    subprocess.run([*command, f"ftp://127.0.0.1:{target['port']}/{name}"], check=True, capture_output=True)


def _best(runs: int, action: Callable[[str], None], clean: Callable[[], None]) -> float:
    best = float("inf")
    for i in range(runs):
        clean()
        started = time.perf_counter()
        action(f"bench-{i}.csv")
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chargeback-bench-") as tmp:
        work = Path(tmp)
        root = work / "servers"
        source = work / "payload.csv"
        with source.open("wb") as fh:
            for _ in range(args.mb):
                fh.write(os.urandom(1024 * 1024))
        parent, child = multiprocessing.Pipe()
        server = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(str(root), child), daemon=True
        )
        server.start()
        targets: dict[str, dict[str, Any]] = parent.recv()

        def clean(network: str) -> Callable[[], None]:
            def _clean() -> None:
                for leftover in (root / network).glob("bench-*"):
                    leftover.unlink()

            return _clean

        rows: list[tuple[str, str, float, str]] = []
        for network, label in (("amex", "sftp (key)"), ("visa", "sftp (password)")):
            upload = functools.partial(_ours, targets[network], network, source)
            rows.append((label, "paramiko (ours)", _best(args.runs, upload, clean(network)), "openssh"))
        rows.append(("sftp (key)", "OpenSSH sftp", _best(args.runs, lambda n: _openssh_sftp(targets["amex"], work, source, n), clean("amex")), "openssh"))  # fmt: skip
        rows.append(("ftps", "ftplib FTP_TLS (ours)", _best(args.runs, lambda n: _ours(targets["mastercard"], "mastercard", source, n), clean("mastercard")), "curl-ftps"))  # fmt: skip
        rows.append(("ftps", "curl --ssl-reqd", _best(args.runs, lambda n: _curl(targets["mastercard"], work, source, n, True), clean("mastercard")), "curl-ftps"))  # fmt: skip
        rows.append(("ftp", "ftplib FTP (ours)", _best(args.runs, lambda n: _ours(targets["discover"], "discover", source, n), clean("discover")), "curl-ftp"))  # fmt: skip
        rows.append(("ftp", "curl", _best(args.runs, lambda n: _curl(targets["discover"], work, source, n, False), clean("discover")), "curl-ftp"))  # fmt: skip
        parent.send("stop")
        server.join(10)
        shutil.rmtree(root, ignore_errors=True)

    reference = {
        "openssh": next(s for label, client, s, _ in rows if client == "OpenSSH sftp"),
        "curl-ftps": next(s for label, client, s, _ in rows if client == "curl --ssl-reqd"),
        "curl-ftp": next(s for label, client, s, _ in rows if client == "curl"),
    }
    names = {"openssh": "OpenSSH sftp", "curl-ftps": "curl FTPS", "curl-ftp": "curl FTP"}
    print(
        f"{args.mb} MB file, loopback, best of {args.runs}; servers: pyftpdlib and asyncssh in a child process\n"
    )
    print("| protocol | client | seconds | MB/s | vs reference |")
    print("|---|---|---:|---:|---|")
    for label, client, seconds, ref in rows:
        ratio = reference[ref] / seconds
        print(f"| {label} | {client} | {seconds:.2f} | {args.mb / seconds:.1f} | {ratio:.2f}x {names[ref]} |")


if __name__ == "__main__":
    main()

"""A fault-injecting TCP proxy on 127.0.0.1, for tests that need a network that misbehaves.

It forwards every connection to one upstream port and can, on request:

- cut a connection (TCP reset on both sides) once N bytes went upstream (`cut_after_bytes`),
- cut every open connection now (`cut_all()`),
- refuse new connections: accept and reset at once (`refuse = True`),
- delay every forwarded chunk (`delay_seconds`).

`connections` counts the connections accepted, so a test can tell how many attempts a client made.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

_CHUNK = 65536


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer sees a connection reset, not a clean end of stream."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.cut_after_bytes: int | None = None
        self.cut_once = True
        self.refuse = False
        self.delay_seconds = 0.0
        self.connections = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._open: list[tuple[socket.socket, socket.socket]] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"fault-proxy-{self.port}", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cut_all(self) -> None:
        """Reset every connection open right now."""
        with self._lock:
            pairs, self._open = self._open, []
            self.cuts += len(pairs)
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self.cut_all()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            if self.refuse:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._open.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upstream_bound: bool) -> None:
        sent = 0
        while True:
            try:
                data = src.recv(_CHUNK)
            except OSError:
                data = b""
            if not data:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                return
            if self.delay_seconds:
                self._closed.wait(self.delay_seconds)
            limit = self.cut_after_bytes
            if upstream_bound and limit is not None and sent + len(data) >= limit:
                if self.cut_once:
                    self.cut_after_bytes = None
                self._cut_pair(src, dst)
                return
            try:
                dst.sendall(data)
            except OSError:
                return
            sent += len(data)

    def _cut_pair(self, a: socket.socket, b: socket.socket) -> None:
        with self._lock:
            self._open = [p for p in self._open if a not in p]
            self.cuts += 1
        _reset(a)
        _reset(b)

"""A fault-injecting HTTP proxy on loopback, between the CardDAV store and a real server.

Faults wait in a queue; each applies to the next request that matches its method, and its
``where`` if given (after letting ``skip`` matching requests pass), ``times`` times (None:
to every one, until removed). Everything else is forwarded as it is.

:meth:`FaultProxy.relocate_creates` plays a server that names a new card itself, as Google
does: a ``PUT`` with ``If-None-Match: *`` to ``…/X.vcf`` is stored as ``…/srv-<n>-X.vcf``
and answered ``201 Created`` with ``Location:`` naming that (and, optionally, no ETag).
Every request is logged in :attr:`FaultProxy.seen`.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>&lol4;</D:href></D:response>
</D:multistatus>"""


@dataclass
class Fault:
    """What to do to one request. ``kind``: ``status`` (answer ``status`` with ``headers``
    and ``body``, not forwarded), ``hang`` (forward, then say nothing for ``seconds``),
    ``reset`` (forward, then cut the answer off mid-body), ``rewrite`` (forward, pass the
    answer's body through ``transform``), ``before`` (run ``action``, then forward).
    ``where``: only requests whose path or body contains it (one card's PUT or GET by its
    name, the multigets that ask for it); ``times``: how many requests it applies to (None:
    every one, until :meth:`FaultProxy.remove`)."""

    method: str
    kind: str
    status: int = 500
    headers: dict[str, str] | None = None
    body: bytes = b""
    seconds: float = 3.0
    skip: int = 0
    transform: Callable[[bytes], bytes] | None = None
    action: Callable[[], None] | None = None
    drop: tuple[str, ...] = ()  # ``rewrite``: answer headers to leave out (lower case)
    where: str = ""
    times: int | None = 1

    def matches(self, method: str, path: str, body: bytes) -> bool:
        if method != self.method:
            return False
        return not self.where or self.where in path or self.where.encode() in body


@dataclass(frozen=True)
class Seen:
    """A request as it reached the proxy: method, path, the conditional headers."""

    method: str
    path: str
    if_match: str | None
    if_none_match: str | None


@dataclass
class Relocation:
    """How :meth:`FaultProxy.relocate_creates` answers: ``etag`` False leaves the ETag out
    of the 201; ``form`` is how the Location is written: ``url`` (a full URL), ``path``
    (an absolute path) or ``name`` (a reference relative to the PUT's URL)."""

    etag: bool = True
    form: str = "url"
    moved: dict[str, str] = field(default_factory=dict)  # asked path -> stored path


class FaultProxy:
    def __init__(self, upstream: str, tls: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.applied: list[str] = []
        self.seen: list[Seen] = []
        self.relocation: Relocation | None = None
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def remove(self, fault: Fault) -> None:
        with self.lock:
            self.faults = [f for f in self.faults if f is not fault]

    def relocate_creates(self, *, etag: bool = True, form: str = "url") -> Relocation:
        """From now on, store each created card under a name of the server's own."""
        self.relocation = Relocation(etag, form)
        return self.relocation

    def take(self, method: str, path: str = "", body: bytes = b"") -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if not fault.matches(method, path, body):
                    continue
                if fault.skip:
                    fault.skip -= 1
                    return None
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                self.applied.append(f"{fault.kind} {method}")
                return fault
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size) if size else b""
        with self.owner.lock:
            self.owner.seen.append(
                Seen(
                    self.command,
                    self.path,
                    self.headers.get("If-Match"),
                    self.headers.get("If-None-Match"),
                )
            )
        if self._relocated(body):
            return
        fault = self.owner.take(self.command, self.path, body)
        if fault is not None and fault.kind == "status":
            self._reply(fault.status, fault.headers or {}, fault.body)
            return
        if fault is not None and fault.kind == "before" and fault.action is not None:
            fault.action()
        status, headers, answer = self._forward(body)
        if fault is None or fault.kind == "before":
            self._reply(status, headers, answer)
        elif fault.kind == "hang":
            time.sleep(fault.seconds)
            self.close_connection = True
        elif fault.kind == "reset":
            self._cut_off(status, headers, answer)
        elif fault.kind == "rewrite":
            kept = {k: v for k, v in headers.items() if k.lower() not in fault.drop}
            self._reply(status, kept, (fault.transform or bytes)(answer))

    def _relocated(self, body: bytes) -> bool:
        """A create under relocation: stored under another name, answered with Location."""
        moving = self.owner.relocation
        if moving is None or self.command != "PUT" or self.headers.get("If-None-Match") != "*":
            return False
        folder, _, name = urlsplit(self.path).path.rpartition("/")
        with self.owner.lock:
            path = f"{folder}/srv-{len(moving.moved)}-{name}"
            moving.moved[self.path] = path
        status, headers, answer = self._forward(body, path)
        if status == 201:
            base = self.owner.base
            host = self.headers.get("Host")
            headers["Location"] = {
                "url": f"{self.owner.scheme}://{host}{path}" if host else base + path,
                "path": path,
                "name": path.rpartition("/")[2],
            }[moving.form]
            if not moving.etag:
                headers = {k: v for k, v in headers.items() if k.lower() != "etag"}
        self._reply(status, headers, answer)
        return True

    def _forward(self, body: bytes, path: str | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(*self.owner.upstream, timeout=30)
        try:
            # plain bodies, so that faults can rewrite them
            drop = {"connection", "accept-encoding"}
            headers = {k: v for k, v in self.headers.items() if k.lower() not in drop}
            conn.request(self.command, path or self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            skip = {"connection", "transfer-encoding", "content-length", "keep-alive"}
            kept = {k: v for k, v in resp.getheaders() if k.lower() not in skip}
            return resp.status, kept, resp.read()
        finally:
            conn.close()

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _cut_off(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) + 100))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        # a TCP reset rather than an orderly close
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True


for _method in ("GET", "PUT", "DELETE", "PROPFIND", "PROPPATCH", "REPORT", "MKCOL", "OPTIONS"):
    setattr(_Handler, f"do_{_method}", _Handler._handle)

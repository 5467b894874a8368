"""A fault-injecting HTTP proxy on loopback, between the CardDAV store and a real server.

Faults wait in a queue; each applies to the next request that matches its method (after
letting ``skip`` matching requests pass). Everything else is forwarded as it is.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
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
    answer's body through ``transform``), ``before`` (run ``action``, then forward)."""

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


class FaultProxy:
    def __init__(self, upstream: str, tls: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.applied: list[str] = []
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

    def take(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method != method:
                    continue
                if fault.skip:
                    fault.skip -= 1
                    return None
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
        fault = self.owner.take(self.command)
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

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(*self.owner.upstream, timeout=30)
        try:
            # plain bodies, so that faults can rewrite them
            drop = {"connection", "accept-encoding"}
            headers = {k: v for k, v in self.headers.items() if k.lower() not in drop}
            conn.request(self.command, self.path, body=body or None, headers=headers)
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

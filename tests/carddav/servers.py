"""Real CardDAV servers for the tests: Radicale (no auth, and once with htpasswd) and
Xandikos, each started once per session on a free loopback port, with a fresh address book
per test. Any test folder uses them by importing the fixtures into its conftest::

    from tests.carddav.servers import book, radicale, radicale_auth, server, xandikos
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from syncgui.providers.carddav.dav import mkcol_addressbook

BIN = Path(sys.executable).parent
_XML = {"Content-Type": "application/xml; charset=utf-8"}


def _proppatch(name: str) -> bytes:
    return (
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype>'
        f"<D:collection/><C:addressbook/></D:resourcetype><D:displayname>{name}"
        "</D:displayname></D:prop></D:set></D:propertyupdate>"
    ).encode()


SERVERS = ["radicale", "xandikos"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running CardDAV server: where it is and how to make an address book on it."""

    kind: str
    base: str  # http://127.0.0.1:PORT
    home: str  # the path under which address books are made
    user: str | None = None
    password: str | None = None

    def auth(self) -> httpx.BasicAuth | None:
        return httpx.BasicAuth(self.user, self.password or "") if self.user else None

    def new_book(self, name: str = "Contacts") -> str:
        """A fresh, empty address book; its URL."""
        url = f"{self.base}{self.home}{uuid.uuid4().hex[:12]}/"
        if self.kind == "radicale":
            body = mkcol_addressbook(name)
            reply = httpx.request("MKCOL", url, content=body, auth=self.auth())
            assert reply.status_code == 201, (reply.status_code, reply.text)
            return url
        # Xandikos ignores the resource type of an extended MKCOL (the collection then
        # guesses its type from its cards and stops being an address book when emptied);
        # a PROPPATCH sets it for good
        assert httpx.request("MKCOL", url).status_code == 201
        reply = httpx.request("PROPPATCH", url, content=_proppatch(name), headers=_XML)
        assert reply.status_code == 207, reply.text
        return url

    def card_hrefs(self, url: str) -> list[str]:
        """The hrefs of the cards in the address book at ``url``, straight from the server
        (a Depth-1 PROPFIND, as another client would see them)."""
        reply = httpx.request("PROPFIND", url, headers={"Depth": "1"}, auth=self.auth(), timeout=10)
        assert reply.status_code == 207, reply.text
        return re.findall(r"href>([^<]+\.vcf)</", reply.text)

    def book_url_with_user(self, url: str) -> str:
        """``url`` with the user name in it (``http://alice@127.0.0.1:…``)."""
        if not self.user:
            return url
        return url.replace("http://", f"http://{self.user}@", 1)


def _start(args: list[str], url: str, log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{args[0]} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            httpx.request("PROPFIND", url, headers={"Depth": "0"}, timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{args[0]} did not start: {log.read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_radicale(root: Path, auth: bool) -> Iterator[Server]:
    """Run a Radicale in ``root`` (``auth``: user alice signs in with a password) while the
    generator is not closed."""
    root.mkdir(parents=True, exist_ok=True)
    yield from _radicale(root, auth)


def _radicale(root: Path, auth: bool) -> Iterator[Server]:
    port = free_port()
    args = [
        str(BIN / "radicale"),
        "--server-hosts",
        f"127.0.0.1:{port}",
        "--storage-filesystem-folder",
        str(root / "collections"),
    ]
    password = None
    if auth:
        password = "s3cret"
        users = root / "users"
        users.write_text(f"alice:{password}\n")
        args += [
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(users),
            "--auth-htpasswd-encryption",
            "plain",
            "--auth-delay",  # Radicale waits after a refused sign-in: not in tests
            "0",
        ]
    else:
        args += ["--auth-type", "none"]
    base = f"http://127.0.0.1:{port}"
    proc = _start(args, base + "/", root / "log")
    try:
        yield Server("radicale", base, "/alice/", "alice", password)
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _radicale(tmp_path_factory.mktemp("radicale"), auth=False)


@pytest.fixture(scope="session")
def radicale_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _radicale(tmp_path_factory.mktemp("radicale-auth"), auth=True)


@pytest.fixture(scope="session")
def xandikos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("xandikos")
    port = free_port()
    args = [
        str(BIN / "xandikos"),
        "serve",
        "-l",
        "127.0.0.1",
        "--port",
        str(port),
        "-d",
        str(root / "data"),
        "--defaults",
    ]
    base = f"http://127.0.0.1:{port}"
    proc = _start(args, base + "/", root / "log")
    try:
        yield Server("xandikos", base, "/user/contacts/")
    finally:
        _stop(proc)


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> Server:
    found: Server = request.getfixturevalue(request.param)
    return found


@pytest.fixture
def book(server: Server) -> str:
    """A fresh address book on each server (its URL)."""
    return server.new_book()

"""TLS: certificates are verified by default; an account's own CA file is accepted."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncgui.engine.errors import StoreUnavailable
from syncgui.providers.carddav import AddressBook, discover, open_store
from tests.carddav.proxy import FaultProxy
from tests.carddav.servers import Server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tls")
    cert, key = root / "cert.pem", root / "key.pem"
    args = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    args += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
    args += ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
    subprocess.run(args, check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_proxy(radicale: Server, certificate: tuple[Path, Path]) -> Iterator[FaultProxy]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*certificate)
    proxy = FaultProxy(radicale.base, tls=ctx)
    yield proxy
    proxy.close()


def test_an_unknown_certificate_is_refused_and_a_ca_file_accepted(
    radicale: Server, tls_proxy: FaultProxy, certificate: tuple[Path, Path]
) -> None:
    url = radicale.new_book("Secure").replace(radicale.base, tls_proxy.base)
    with pytest.raises(StoreUnavailable, match=r"secure connection .* CA file"):
        discover(url, user="alice", password=None)
    with pytest.raises(StoreUnavailable, match="secure connection"):
        open_store(url, user="alice", password=None).list(None)

    ca = str(certificate[0])
    assert discover(url, user="alice", password=None, ca_file=ca) == [AddressBook(url, "Secure", 0)]
    store = open_store(url, user="alice", password=None, ca_file=ca)
    assert store.list(None).entries == []
    store.close()
    with pytest.raises(StoreUnavailable, match="certificate authority file"):
        open_store(url, user="alice", password=None, ca_file=str(certificate[1]) + ".missing")

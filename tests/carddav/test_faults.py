"""Faults between the store and Radicale, injected by a loopback proxy: after each, the
next sync ends with every contact on both sides, none lost, none duplicated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.events import Status
from syncgui.providers.carddav import client, fetch, open_store
from tests.carddav.proxy import BILLION_LAUGHS, Fault, FaultProxy
from tests.carddav.servers import Server, free_port
from tests.carddav.support import Pair, card
from tests.carddav.test_sync import _server_write


class Faulty:
    def __init__(self, pair: Pair, proxy: FaultProxy, direct: str) -> None:
        self.pair = pair
        self.proxy = proxy
        self.direct = direct  # the book's URL on the server itself, past the proxy

    def settled(self, count: int) -> dict[str, bytes]:
        """The next sync, without faults, leaves ``count`` contacts on both sides."""
        result = self.pair.sync()
        assert result.status is Status.OK, result.errors
        cards = self.pair.assert_same(exact=False)
        assert len(cards) == count
        return cards

    def add_to_folder(self, *uids: str) -> None:
        for uid in uids:
            (self.pair.folder / f"{uid}.vcf").write_bytes(card(uid, f"Person {uid}"))


@pytest.fixture
def faulty(radicale: Server, tmp_path: Path) -> Iterator[Faulty]:
    proxy = FaultProxy(radicale.base)
    book = radicale.new_book()
    pair = Pair(tmp_path, book.replace(radicale.base, proxy.base), timeout=1.0)
    f = Faulty(pair, proxy, book)
    f.add_to_folder(*(f"f{i}" for i in range(6)))
    _server_write(book, "s0", card("s0", "Server 0"))
    _server_write(book, "s1", card("s1", "Server 1"))
    f.settled(8)
    yield f
    proxy.close()


def test_a_server_error_stops_the_sync_and_loses_nothing(faulty: Faulty) -> None:
    (faulty.pair.folder / "f0.vcf").write_bytes(card("f0", "Person f0", "edited"))
    faulty.add_to_folder("f6")
    faulty.proxy.add(Fault("REPORT", "status", 500))
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:\d+ failed with an internal"):
        faulty.pair.sync()
    cards = faulty.settled(9)
    assert b"edited" in cards["f0"]


def test_a_busy_server_is_asked_again_after_retry_after(faulty: Faulty) -> None:
    busy = Fault("REPORT", "status", 503, headers={"Retry-After": "1"})
    faulty.proxy.add(busy)
    faulty.add_to_folder("f6")
    assert faulty.pair.sync().to_b.created == 1
    assert faulty.proxy.applied == ["status REPORT"]

    for _ in range(3):
        faulty.proxy.add(Fault("REPORT", "status", 503, headers={"Retry-After": "1"}))
    faulty.add_to_folder("f7")
    with pytest.raises(StoreUnavailable, match=r"not available now.*wait 1 s"):
        faulty.pair.sync()
    faulty.settled(10)


def test_a_hang_mid_batch_after_the_server_wrote(faulty: Faulty) -> None:
    faulty.add_to_folder("n0", "n1", "n2", "n3")
    faulty.proxy.add(Fault("PUT", "hang", seconds=2.0, skip=1))  # the second PUT is written
    with pytest.raises(StoreUnavailable, match="did not answer within 1 s"):
        faulty.pair.sync()
    faulty.settled(12)


def test_a_connection_reset_mid_body(faulty: Faulty) -> None:
    faulty.add_to_folder("n0")
    faulty.proxy.add(Fault("REPORT", "reset"))  # a read: asked again
    assert faulty.pair.sync().to_b.created == 1
    faulty.add_to_folder("n1", "n2")
    faulty.proxy.add(Fault("PUT", "reset"))  # a write: the sync stops
    with pytest.raises(StoreUnavailable, match="cut off"):
        faulty.pair.sync()
    faulty.settled(11)


def test_a_412_on_a_put_leaves_the_card_for_the_next_sync(faulty: Faulty) -> None:
    (faulty.pair.folder / "s0.vcf").unlink()
    paths = {p.name: p for p in faulty.pair.folder.glob("*.vcf")}
    assert "f1.vcf" in paths
    paths["f1.vcf"].write_bytes(card("f1", "Person f1", "ours"))
    faulty.proxy.add(Fault("PUT", "status", 412))
    result = faulty.pair.sync()
    assert [p.item for p in result.errors] == ["Person f1"]
    assert "changed on the server" in result.errors[0].message
    cards = faulty.settled(7)
    assert b"ours" in cards["f1"]


def test_an_edit_on_the_server_between_listing_and_writing_is_not_overwritten(
    faulty: Faulty,
) -> None:
    (faulty.pair.folder / "f1.vcf").write_bytes(card("f1", "Person f1", "ours"))
    theirs = card("f1", "Person f1").replace(b"END:VCARD", b"EMAIL:f1@example.org\r\nEND:VCARD")

    def edit_on_the_server() -> None:
        _server_write(faulty.direct, "f1", theirs)

    faulty.proxy.add(Fault("PUT", "before", action=edit_on_the_server))
    result = faulty.pair.sync()
    assert len(result.errors) == 1 and "changed on the server" in result.errors[0].message
    cards = faulty.settled(8)
    assert b"NOTE:ours" in cards["f1"] and b"EMAIL:f1@example.org" in cards["f1"]


def test_hostile_xml_is_refused_and_nothing_is_deleted(faulty: Faulty) -> None:
    faulty.proxy.add(Fault("REPORT", "status", 207, body=BILLION_LAUGHS))
    with pytest.raises(StoreUnavailable, match="refused for safety"):
        faulty.pair.sync()
    assert len(faulty.pair.folder_cards()) == 8
    faulty.settled(8)


def test_a_resource_that_is_not_a_vcard_is_reported_and_kept(faulty: Faulty) -> None:
    _server_write(faulty.direct, "s0", card("s0", "Server 0", "edited"))

    def spoil(body: bytes) -> bytes:
        return body.replace(b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:s0", b"HELLO\r\nUID:s0")

    faulty.proxy.add(Fault("REPORT", "rewrite", transform=spoil, skip=2))  # the multiget
    result = faulty.pair.sync()
    assert len(result.errors) == 1
    assert "s0.vcf" in result.errors[0].message and "not a vCard" in result.errors[0].message
    assert b"edited" not in faulty.pair.folder_cards()["s0"]  # kept as it was
    assert b"edited" in faulty.settled(8)["s0"]


def test_a_card_too_large_is_reported_and_kept(
    faulty: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    _server_write(faulty.direct, "s1", card("s1", "Server 1", "x" * 400))
    monkeypatch.setattr(fetch, "MAX_CARD", 300)
    result = faulty.pair.sync()
    assert len(result.errors) == 1 and "too large" in result.errors[0].message
    assert len(faulty.pair.folder_cards()) == 8
    monkeypatch.undo()
    assert b"xxxx" in faulty.settled(8)["s1"]


def test_a_put_answered_without_etag_is_asked_for_its_version_once(faulty: Faulty) -> None:
    faulty.add_to_folder("n0", "n1")
    for _ in range(2):
        faulty.proxy.add(Fault("PUT", "rewrite", drop=("etag",)))
    result = faulty.pair.sync()
    assert result.to_b.created == 2 and not result.errors
    assert faulty.proxy.applied == ["rewrite PUT", "rewrite PUT"]
    faulty.settled(10)
    assert faulty.pair.requests == 1  # what the server holds is what was recorded: no echo


def test_an_oversized_response_is_refused_and_nothing_is_deleted(
    faulty: Faulty, monkeypatch: pytest.MonkeyPatch
) -> None:
    faulty.pair.set_token(None)  # a full listing: every card's ETag in one answer
    monkeypatch.setattr(client, "MAX_RESPONSE", 500)
    with pytest.raises(StoreUnavailable, match="larger than"):
        faulty.pair.sync()
    monkeypatch.undo()
    assert len(faulty.pair.folder_cards()) == 8
    faulty.settled(8)


def test_a_server_that_is_not_running() -> None:
    port = free_port()
    store = open_store(f"http://127.0.0.1:{port}/alice/book/", user=None, password=None)
    with pytest.raises(StoreUnavailable, match=rf"Cannot connect .*127\.0\.0\.1:{port}"):
        store.list(None)

"""Faults between the store and Radicale (and, for a server failing on one card, Xandikos
too), injected by a loopback proxy: after each, the next sync ends with every contact on
both sides, none lost, none duplicated."""

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


def _faulty(server: Server, tmp_path: Path) -> Iterator[Faulty]:
    """Eight contacts on both sides (f0…f5 from the folder, s0 and s1 from the server),
    synced through a proxy to ``server``."""
    proxy = FaultProxy(server.base)
    book = server.new_book()
    pair = Pair(tmp_path, book.replace(server.base, proxy.base), timeout=1.0)
    f = Faulty(pair, proxy, book)
    f.add_to_folder(*(f"f{i}" for i in range(6)))
    _server_write(book, "s0", card("s0", "Server 0"))
    _server_write(book, "s1", card("s1", "Server 1"))
    f.settled(8)
    yield f
    proxy.close()


@pytest.fixture
def faulty(radicale: Server, tmp_path: Path) -> Iterator[Faulty]:
    yield from _faulty(radicale, tmp_path)


@pytest.fixture
def faulty_any(server: Server, tmp_path: Path) -> Iterator[Faulty]:
    """:func:`faulty` on each server."""
    yield from _faulty(server, tmp_path)


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


# -- a server failing (5xx) on one card, as Xandikos on a card it cannot decode -----------------

_FAILED = {"Content-Type": "text/plain; charset=utf-8"}
_FAILED_BODY = b"500 Internal Server Error\n\nServer got itself in trouble"


def _fail(proxy: FaultProxy, method: str, where: str = "") -> Fault:
    """From now on, answer 500 to every ``method`` request about ``where``."""
    fault = Fault(method, "status", 500, _FAILED, _FAILED_BODY, where=where, times=None)
    proxy.add(fault)
    return fault


def _edit_on_the_server(faulty: Faulty, *uids: str) -> None:
    for uid in uids:
        _server_write(faulty.direct, uid, card(uid, f"Server {uid[1:]}", "edited"))


def test_a_5xx_on_one_cards_put_rejects_that_card_and_the_sync_goes_on(
    faulty_any: Faulty,
) -> None:
    faulty_any.add_to_folder("n0", "n1", "n2")
    fault = _fail(faulty_any.proxy, "PUT", "/n1.vcf")
    for attempt in range(2):  # every sync reports the card again, and writes the others
        faulty_any.proxy.seen.clear()
        result = faulty_any.pair.sync()
        assert [p.item for p in result.errors] == ["Person n1"]
        message = result.errors[0].message
        assert "the server refused the create (500: Internal Server Error)" in message
        assert "tried again at the next sync" in message
        assert result.to_b.created == (2 if attempt == 0 else 0)
        sent = [(r.method, r.path.rpartition("/")[2]) for r in faulty_any.proxy.seen]
        assert sent.count(("PUT", "n1.vcf")) == 1
        assert len(faulty_any.pair.book_cards()) == 10
        assert len(faulty_any.pair.folder_cards()) == 11
    faulty_any.proxy.remove(fault)
    faulty_any.settled(11)  # n1 too, on both sides


def test_a_server_failing_every_write_is_unavailable_not_each_card(faulty_any: Faulty) -> None:
    faulty_any.add_to_folder("n0", "n1")
    (faulty_any.pair.folder / "f0.vcf").write_bytes(card("f0", "Person f0", "edited"))
    # the listing works; every write fails, and so does the check that the book answers
    down = [_fail(faulty_any.proxy, method) for method in ("PUT", "PROPFIND")]
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:\d+ failed with an internal"):
        faulty_any.pair.sync()
    assert len(faulty_any.pair.folder_cards()) == 10
    for fault in down:
        faulty_any.proxy.remove(fault)
    assert b"edited" in faulty_any.settled(10)["f0"]


def test_a_5xx_on_a_multiget_reads_that_batch_card_by_card(faulty_any: Faulty) -> None:
    _edit_on_the_server(faulty_any, "s0", "s1")
    _fail(faulty_any.proxy, "REPORT", "/s1.vcf")  # every multiget that asks for s1
    result = faulty_any.pair.sync()
    assert result.status is Status.OK and not result.errors, result.errors
    assert result.to_a.updated == 2
    got = {r.path.rpartition("/")[2] for r in faulty_any.proxy.seen if r.method == "GET"}
    assert got == {"s0.vcf", "s1.vcf"}
    cards = faulty_any.pair.folder_cards()
    assert b"edited" in cards["s0"] and b"edited" in cards["s1"]


@pytest.mark.parametrize("others", [True, False], ids=["with-others", "alone"])
def test_a_card_the_server_cannot_send_is_reported_and_the_others_sync(
    faulty_any: Faulty, others: bool
) -> None:
    """A card that fails in a multiget and in a GET is reported and skipped, every sync,
    until the server sends it; the others sync."""
    _edit_on_the_server(faulty_any, *(["s0", "s1"] if others else ["s1"]))
    faults = [
        _fail(faulty_any.proxy, "REPORT", "/s1.vcf"),
        _fail(faulty_any.proxy, "GET", "/s1.vcf"),
    ]
    for _ in range(2):
        result = faulty_any.pair.sync()
        (problem,) = result.errors  # by href: the card could not be read
        assert problem.item.endswith("/s1.vcf"), problem
        assert "failed to send this card (500" in problem.message
        cards = faulty_any.pair.folder_cards()
        assert len(cards) == 8
        assert b"edited" not in cards["s1"]
        assert (b"edited" in cards["s0"]) is others
    for fault in faults:
        faulty_any.proxy.remove(fault)
    assert b"edited" in faulty_any.settled(8)["s1"]


def test_a_server_failing_every_read_is_unavailable(faulty_any: Faulty) -> None:
    _edit_on_the_server(faulty_any, "s0", "s1")
    down = [_fail(faulty_any.proxy, "REPORT", "addressbook-multiget")]
    down.append(_fail(faulty_any.proxy, "GET"))
    with pytest.raises(StoreUnavailable, match="failed with an internal"):
        faulty_any.pair.sync()
    assert len(faulty_any.pair.folder_cards()) == 8
    for fault in down:
        faulty_any.proxy.remove(fault)
    cards = faulty_any.settled(8)
    assert b"edited" in cards["s0"] and b"edited" in cards["s1"]

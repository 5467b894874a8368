"""The card cache's fallback when a server fails (5xx) a multiget, without a server."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from syncgui.engine.errors import ItemUnreadable, ItemVanished, StoreUnavailable
from syncgui.providers.carddav import dav
from syncgui.providers.carddav.client import Reply, ServerFailed
from syncgui.providers.carddav.fetch import CardCache
from tests.carddav.support import card

LATIN1 = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Gonz\xe1lez;Jos\xe9\r\nEND:VCARD\r\n"


def _failed(status: int = 500) -> ServerFailed:
    reply = Reply(status, {"content-type": "text/plain"}, b"Internal Server Error", "http://h/")
    return ServerFailed("The CardDAV server h failed with an internal error (500).", reply)


class FailingServer:
    """Fails every multiget; sends each card by GET except those in ``broken``."""

    def __init__(self, cards: dict[str, bytes], broken: set[str], up: bool = True) -> None:
        self.cards = cards
        self.broken = broken
        self.up = up
        self.sent: list[str] = []

    def multiget(self, hrefs: Sequence[str]) -> dav.Multistatus:
        self.sent.append("REPORT " + " ".join(hrefs))
        raise _failed()

    def get(self, href: str) -> Reply:
        self.sent.append(f"GET {href}")
        if href in self.broken:
            raise _failed()
        if href not in self.cards:
            return Reply(404, {}, b"", href)
        return Reply(200, {"etag": f'"{href}"'}, self.cards[href], href)

    def check_book(self) -> None:
        self.sent.append("PROPFIND")
        if not self.up:
            raise _failed()

    def cache(self) -> CardCache:
        cache = CardCache(self.multiget, self.get, self.check_book)
        cache.reset(list(self.cards))
        return cache


def test_a_failed_multiget_is_read_card_by_card_byte_for_byte() -> None:
    server = FailingServer({"/a.vcf": LATIN1, "/b.vcf": card("b", "B")}, broken=set())
    cache = server.cache()
    cache.fetch(["/a.vcf", "/b.vcf"], {"/a.vcf": '"/a.vcf"', "/b.vcf": '"old"'})
    assert cache.peek("/a.vcf") == LATIN1  # not UTF-8: as the server stores it
    assert cache.etag("/b.vcf") == '"/b.vcf"'
    assert cache.newer == {"/b.vcf"}
    assert not cache.failed
    assert server.sent == ["REPORT /a.vcf /b.vcf", "GET /a.vcf", "GET /b.vcf"]


def test_only_the_cards_that_fail_again_are_reported() -> None:
    server = FailingServer({"/a.vcf": card("a", "A"), "/b.vcf": card("b", "B")}, {"/b.vcf"})
    cache = server.cache()
    assert cache.get("/a.vcf", None) == card("a", "A")
    with pytest.raises(ItemUnreadable, match=r"/b\.vcf: the server failed to send this card"):
        cache.get("/b.vcf", None)
    assert cache.failed
    assert "PROPFIND" not in server.sent  # another card came: the server answers


def test_a_server_that_fails_every_card_is_unavailable() -> None:
    server = FailingServer({"/a.vcf": b"", "/b.vcf": b""}, {"/a.vcf", "/b.vcf"})
    with pytest.raises(StoreUnavailable, match="internal error"):
        server.cache().fetch(["/a.vcf", "/b.vcf"], None)


@pytest.mark.parametrize("up", [True, False])
def test_one_card_alone_is_blamed_only_while_the_book_answers(up: bool) -> None:
    server = FailingServer({"/a.vcf": b""}, {"/a.vcf"}, up=up)
    cache = server.cache()
    if up:
        cache.fetch(["/a.vcf"], None)
        with pytest.raises(ItemUnreadable):
            cache.get("/a.vcf", None)
    else:
        with pytest.raises(StoreUnavailable):
            cache.fetch(["/a.vcf"], None)
    assert server.sent == ["REPORT /a.vcf", "GET /a.vcf", "PROPFIND"]


def test_a_card_gone_by_its_get_is_vanished() -> None:
    server = FailingServer({"/a.vcf": card("a", "A")}, set())
    cache = server.cache()
    cache.fetch(["/a.vcf", "/gone.vcf"], None)
    with pytest.raises(ItemVanished):
        cache.get("/gone.vcf", None)

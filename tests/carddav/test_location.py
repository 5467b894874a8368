"""Where a written card is and which version of it the store may overwrite.

A server that names new cards itself (Google) answers the create with ``201`` and a
``Location`` header; neither Radicale nor Xandikos does, so a loopback proxy plays that
server in front of each (:meth:`FaultProxy.relocate_creates`). The store must record the
server's href: later edits and deletes go there, conditionally, nothing is duplicated, and
a sync with nothing to do stays one request.

And after a listing that found no change (it sends no ETags), a write uses the ETag the card
was read with only once the server confirmed that nothing else changed since the engine
looked: an edit made on the server between the listing and the read is never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncgui.engine.errors import ItemRejected
from syncgui.engine.events import Status
from syncgui.providers.carddav import open_store
from tests.carddav.proxy import FaultProxy, Relocation
from tests.carddav.servers import Server
from tests.carddav.support import Pair, card
from tests.carddav.test_sync import _server_write


class Relocating:
    """A folder and an address book behind a proxy that renames the cards it creates."""

    def __init__(self, pair: Pair, proxy: FaultProxy, moving: Relocation, direct: str) -> None:
        self.pair = pair
        self.proxy = proxy
        self.moving = moving
        self.direct = direct  # the book on the server itself

    def server_hrefs(self) -> dict[str, str]:
        """The cards the server holds: UID -> the last segment of its href."""
        store = open_store(self.direct, user=None, password=None)
        try:
            listing = store.list(None)
            assert listing.entries is not None
            found: dict[str, str] = {}
            for entry in listing.entries:
                data = store.read(entry.key)
                uid = next(
                    line[4:].decode()
                    for line in data.splitlines()
                    if line.upper().startswith(b"UID:")
                )
                assert uid not in found, f"duplicate contact {uid}"
                found[uid] = entry.key.rpartition("/")[2]
            return found
        finally:
            store.close()

    def writes(self) -> list[tuple[str, str, str | None, str | None]]:
        """The writes that reached the proxy since the last call: method, last segment of
        the path, If-Match, If-None-Match."""
        seen = [
            (s.method, s.path.rpartition("/")[2], s.if_match, s.if_none_match)
            for s in self.proxy.seen
            if s.method in ("PUT", "DELETE")
        ]
        self.proxy.seen.clear()
        return seen


@pytest.fixture(params=["url", "url-no-etag", "path", "name"])
def relocating(
    request: pytest.FixtureRequest, server: Server, tmp_path: Path
) -> Iterator[Relocating]:
    """The Location as a full URL (with and without an ETag in the 201), as a path, and
    as a name relative to the PUT's URL."""
    proxy = FaultProxy(server.base)
    form, _, etag = str(request.param).partition("-")
    moving = proxy.relocate_creates(etag=not etag, form=form)
    direct = server.new_book()
    pair = Pair(tmp_path, direct.replace(server.base, proxy.base))
    yield Relocating(pair, proxy, moving, direct)
    proxy.close()


def test_a_card_the_server_renames_is_edited_and_deleted_where_the_server_put_it(
    relocating: Relocating,
) -> None:
    r, folder = relocating, relocating.pair.folder
    for uid in ("ann", "bob", "cy"):
        (folder / f"{uid}.vcf").write_bytes(card(uid, f"Person {uid}"))

    first = r.pair.sync()
    assert first.status is Status.OK, first.errors
    assert first.to_b.created == 3
    where = r.server_hrefs()
    assert sorted(where) == ["ann", "bob", "cy"]  # each once, under the server's names
    assert sorted(where.values()) == sorted(p.rpartition("/")[2] for p in r.moving.moved.values())
    assert all(name.startswith("srv-") for name in where.values())
    # a 201 without ETag: the version is asked for once, where the server put the card
    asked = {s.path for s in r.proxy.seen if s.method == "PROPFIND"}
    assert asked == (set() if r.moving.etag else set(r.moving.moved.values()))
    assert [w[3] for w in r.writes()] == ["*", "*", "*"]  # three creates, nothing else

    again = r.pair.sync()
    assert (again.to_a.created, again.to_b.created, again.to_a.deleted) == (0, 0, 0)
    assert r.pair.requests == 1  # nothing to do: one request
    assert sorted(r.pair.folder_cards()) == ["ann", "bob", "cy"]  # nothing came back

    (folder / "bob.vcf").write_bytes(card("bob", "Person bob", "edited in the folder"))
    edited = r.pair.sync()
    assert edited.status is Status.OK, edited.errors
    assert (edited.to_b.updated, edited.to_b.created) == (1, 0)
    [(method, name, if_match, _)] = r.writes()
    assert (method, name) == ("PUT", where["bob"]) and if_match  # conditional, where it is
    assert r.server_hrefs() == where  # no second card
    assert b"edited in the folder" in r.pair.book_cards()["bob"]

    (folder / "cy.vcf").unlink()
    deleted = r.pair.sync()
    assert deleted.to_b.deleted == 1
    [(method, name, if_match, _)] = r.writes()
    assert (method, name) == ("DELETE", where["cy"]) and if_match
    assert sorted(r.server_hrefs()) == ["ann", "bob"]

    for _ in range(2):
        quiet = r.pair.sync()
        assert quiet.status is Status.OK and not quiet.errors
        assert r.pair.requests == 1
    assert r.writes() == []
    cards = r.pair.assert_same(exact=False)
    assert sorted(cards) == ["ann", "bob"]


def test_an_edit_on_the_server_to_a_renamed_card_comes_to_the_folder(
    relocating: Relocating,
) -> None:
    r = relocating
    (r.pair.folder / "dee.vcf").write_bytes(card("dee", "Person dee"))
    assert r.pair.sync().to_b.created == 1
    [name] = r.server_hrefs().values()
    _server_write(r.direct, name.removesuffix(".vcf"), card("dee", "Person dee", "theirs"))
    result = r.pair.sync()
    assert (result.to_a.updated, result.to_b.created, result.to_b.updated) == (1, 0, 0)
    assert b"NOTE:theirs" in r.pair.folder_cards()["dee"]
    assert list(r.server_hrefs().values()) == [name]
    r.pair.sync()
    assert r.pair.requests == 1


# -- writes after a listing that found no change -------------------------------------------


def test_an_edit_on_the_server_after_the_listing_is_not_overwritten(
    server: Server, tmp_path: Path
) -> None:
    proxy = FaultProxy(server.base)
    direct = server.new_book()
    pair = Pair(tmp_path, direct.replace(server.base, proxy.base))
    try:
        for uid in ("eve", "fay"):
            (pair.folder / f"{uid}.vcf").write_bytes(card(uid, f"Person {uid}"))
        assert pair.sync().to_b.created == 2
        (pair.folder / "eve.vcf").write_bytes(card("eve", "Person eve", "ours"))
        (pair.folder / "fay.vcf").write_bytes(card("fay", "Person fay", "ours too"))
        theirs = card("eve", "Person eve").replace(
            b"END:VCARD", b"EMAIL:eve@example.org\r\nEND:VCARD"
        )
        sent: list[str] = []

        def edit_once(method: str, url: str) -> None:
            # the listing (the first request) found no change; another client edits eve
            # before the store reads the cards it will overwrite
            sent.append(method)
            if len(sent) == 2:
                _server_write(direct, "eve", theirs)

        pair.hook = edit_once
        result = pair.sync()
        pair.hook = None
        assert len(sent) > 2
        assert result.to_b.updated == 1  # fay; eve was not overwritten
        assert [p.message for p in result.errors if "changed on the server" in p.message]
        assert b"EMAIL:eve@example.org" in pair.book_cards()["eve"]
        settled = pair.sync()
        assert settled.status is Status.OK, settled.errors
        cards = pair.assert_same(exact=False)
        assert b"NOTE:ours" in cards["eve"] and b"EMAIL:eve@example.org" in cards["eve"]
        assert b"NOTE:ours too" in cards["fay"]
        puts = [s for s in proxy.seen if s.method == "PUT"]
        assert all(s.if_match or s.if_none_match == "*" for s in puts)  # never blind
    finally:
        proxy.close()


def test_a_folder_edit_after_a_quiet_listing_costs_no_full_listing(
    server: Server, tmp_path: Path
) -> None:
    proxy = FaultProxy(server.base)
    direct = server.new_book()
    pair = Pair(tmp_path, direct.replace(server.base, proxy.base))
    try:
        for i in range(30):
            (pair.folder / f"g{i:02}.vcf").write_bytes(card(f"g{i:02}", f"Person {i}"))
        assert pair.sync().to_b.created == 30
        for i in (3, 17):
            (pair.folder / f"g{i:02}.vcf").write_bytes(card(f"g{i:02}", f"Person {i}", "edit"))
        proxy.seen.clear()
        result = pair.sync()
        assert result.to_b.updated == 2 and not result.errors
        # the changes since the token (none), each card read for history, one look at the
        # changes before writing, two conditional PUTs, the new token
        assert [s.method for s in proxy.seen] == ["REPORT"] * 4 + ["PUT"] * 2 + ["REPORT"]
        assert all(s.if_match for s in proxy.seen if s.method == "PUT")
        pair.sync()
        assert pair.requests == 1
        assert len(pair.assert_same(exact=False)) == 30
    finally:
        proxy.close()


def test_a_card_read_after_the_look_at_the_changes_is_looked_at_again(
    server: Server, book: str
) -> None:
    """The engine writes in batches, reading each batch's cards before writing it: a card
    read after the store last looked at the changes is not written on the strength of
    that look."""
    writer = open_store(book, user=None, password=None)
    writer.list(None)
    keys = [writer.create(f"h{i}", card(f"h{i}", f"Person {i}")).key for i in range(3)]
    token = writer.commit()
    assert token is not None
    writer.close()

    store = open_store(book, user=None, password=None)
    assert store.list(token).entries is None  # no change: no ETags
    store.read(keys[0])
    store.update(keys[0], card("h0", "Person 0", "ours"))  # one look at the changes
    _server_write(book, "h1", card("h1", "Person 1", "theirs"))  # after that look
    assert b"theirs" in store.read(keys[1])  # read with the new ETag
    with pytest.raises(ItemRejected, match="changed on the server"):
        store.update(keys[1], card("h1", "Person 1", "ours"))
    store.read(keys[2])
    with pytest.raises(ItemRejected, match="changed on the server"):
        store.delete(keys[1])
    store.delete(keys[2])
    assert store.commit() is None  # another client wrote: the next sync lists everything
    store.close()
    check = open_store(book, user=None, password=None)
    listing = check.list(None)
    assert listing.entries is not None and len(listing.entries) == 2
    assert b"theirs" in check.read(keys[1]) and b"NOTE:ours" in check.read(keys[0])
    check.close()

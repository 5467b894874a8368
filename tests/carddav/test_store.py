"""The CardDAV store against real servers: the simple-store contract, conditional writes,
tokens, request counts."""

from __future__ import annotations

import pytest

from syncgui.engine.errors import ItemRejected, ItemVanished
from syncgui.providers.carddav import open_carddav_store
from syncgui.providers.carddav.store import CardDavStore
from tests.carddav.servers import Server
from tests.carddav.support import card, requests_of
from tests.fidelity_support import original


def _open(server: Server, book: str) -> CardDavStore:
    return open_carddav_store(server.book_url_with_user(book))


def test_the_store_lists_reads_creates_updates_and_deletes(server: Server, book: str) -> None:
    store = _open(server, book)
    first = store.list(None)
    assert first.entries == []
    ada = card("ada", "Ada Lovelace")
    written = store.create("ada", ada)
    assert written.key.endswith("/ada.vcf")
    store.commit()
    listing = store.list(None)
    assert listing.entries is not None
    assert [(e.key, e.stamp) for e in listing.entries] == [(written.key, written.stamp)]
    assert store.read(written.key) == ada  # verbatim, CRLF and all

    edited = store.update(written.key, card("ada", "Ada King"))
    assert edited.key == written.key and edited.stamp != written.stamp
    assert store.read(edited.key) == card("ada", "Ada King")
    store.delete(edited.key)
    store.commit()
    again = store.list(None)
    assert again.entries == []
    with pytest.raises(ItemVanished):
        store.read(written.key)
    store.close()


def test_a_stale_etag_is_refused_and_nothing_is_overwritten(server: Server, book: str) -> None:
    ours, theirs = _open(server, book), _open(server, book)
    key = ours.create("grace", card("grace", "Grace Hopper")).key
    ours.commit()
    ours.list(None)
    theirs.list(None)
    theirs.update(key, card("grace", "Grace Hopper", "edited elsewhere"))
    with pytest.raises(ItemRejected, match="changed on the server"):
        ours.update(key, card("grace", "Grace Hopper", "ours"))
    with pytest.raises(ItemRejected, match="changed on the server"):
        ours.delete(key)
    fresh = _open(server, book)
    fresh.list(None)
    assert b"edited elsewhere" in fresh.read(key)


def test_a_second_create_of_the_same_name_is_refused(server: Server, book: str) -> None:
    a, b = _open(server, book), _open(server, book)
    a.create("same", card("same", "One"))
    with pytest.raises(ItemRejected, match="already exists"):
        b.create("same", card("same", "Two"))


def test_a_card_xandikos_cannot_parse_is_refused_as_not_valid_not_as_changed(
    xandikos: Server,
) -> None:
    """Xandikos answers 412 with the CardDAV precondition valid-address-data to a card it
    cannot parse, to an update as to a create: the card is refused, nothing was there or
    changed since."""
    bad = original("samsung-21.vcf")
    store = _open(xandikos, xandikos.new_book())
    store.list(None)
    with pytest.raises(ItemRejected, match=r"refused the create \(412, valid-address-data\)"):
        store.create("bad", bad)
    key = store.create("good", card("good", "Good")).key
    with pytest.raises(ItemRejected, match=r"refused the update \(412.*not a valid vCard") as err:
        store.update(key, bad)
    assert "changed on the server" not in err.value.message
    store.list(None)
    assert store.read(key) == card("good", "Good")


def test_no_change_is_one_request_and_changes_come_with_their_bytes(
    server: Server, book: str
) -> None:
    store = _open(server, book)
    store.list(None)
    keys = [store.create(f"p{i}", card(f"p{i}", f"Person {i}")).key for i in range(5)]
    token = store.commit()
    assert token is not None  # only our own writes since the listing's token
    before = requests_of(store)
    listing = store.list(token)
    assert listing.entries is None
    assert requests_of(store) - before == 1

    other = _open(server, book)
    other.list(None)
    other.update(keys[2], card("p2", "Person 2", "moved"))
    before = requests_of(store)
    listing = store.list(token)
    assert listing.entries is not None and len(listing.entries) == 5
    changed = [e for e in listing.entries if e.data is not None]
    assert [e.key for e in changed] == [keys[2]]
    assert changed[0].data == card("p2", "Person 2", "moved")
    assert requests_of(store) - before == 3  # changes, full listing, multiget


def test_a_refused_token_lists_everything(server: Server, book: str) -> None:
    store = _open(server, book)
    for i in range(3):
        store.create(f"p{i}", card(f"p{i}", f"Person {i}"))
    store.commit()
    listing = store.list("http://example.invalid/not-a-token")
    assert listing.entries is not None and len(listing.entries) == 3
    assert listing.complete and not listing.problems


def test_reads_in_listing_order_fetch_ahead_in_growing_batches(server: Server, book: str) -> None:
    writer = _open(server, book)
    writer.list(None)
    cards = {writer.create(f"r{i:02}", card(f"r{i:02}", f"Reader {i}")).key for i in range(40)}
    writer.close()
    store = _open(server, book)
    listing = store.list(None)
    assert listing.entries is not None and {e.key for e in listing.entries} == cards
    before = requests_of(store)
    for entry in listing.entries:
        assert store.read(entry.key).startswith(b"BEGIN:VCARD")
    assert requests_of(store) - before <= 5  # windows of 4, 8, 16, 32 cards
    again = _open(server, book)
    keys = [e.key for e in again.list(None).entries or ()]
    before = requests_of(again)
    for key in keys[::10]:  # scattered reads stay small
        again.read(key)
    assert requests_of(again) - before == 4


def test_writes_after_a_listing_without_changes_use_fresh_etags(server: Server, book: str) -> None:
    store = _open(server, book)
    store.list(None)
    keys = [store.create(f"w{i}", card(f"w{i}", f"Writer {i}")).key for i in range(3)]
    token = store.commit()
    assert token is not None

    again = _open(server, book)
    assert again.list(token).entries is None  # no change: no ETags were sent
    made = again.create("w9", card("w9", "Writer 9"))
    again.update(keys[0], card("w0", "Writer 0", "updated"))  # ETags fetched now
    again.update(made.key, card("w9", "Writer 9", "updated too"))
    other = _open(server, book)
    other.list(None)
    other.update(keys[1], card("w1", "Writer 1", "theirs"))
    with pytest.raises(ItemRejected):  # changed since the listing: not ours to overwrite
        again.update(keys[1], card("w1", "Writer 1", "ours"))
    again.delete(keys[2])
    assert again.commit() is None  # another client wrote in between

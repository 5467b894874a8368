"""Helpers shared by the CardDAV tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from syncgui.engine.events import SessionResult, SessionSettings
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.metadata import MetadataStore
from syncgui.engine.provider import SimpleStore
from syncgui.engine.session import SyncSession
from syncgui.engine.simple import SimpleReplica
from syncgui.providers.carddav.store import CardDavStore, open_store
from syncgui.providers.vcard.folder import open_folder_store
from syncgui.providers.vcard.format import VCardFormat


def card(uid: str, name: str, note: str = "", *, eol: str = "\r\n") -> bytes:
    """A small vCard 3.0."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", f"N:{name};;;;"]
    if note:
        lines.append(f"NOTE:{note}")
    lines.append("END:VCARD")
    return (eol.join(lines) + eol).encode("utf-8")


def requests_of(store: SimpleStore) -> int:
    assert isinstance(store, CardDavStore)
    return store.client.requests


class Pair:
    """A folder of cards and a CardDAV address book in one partnership, synced through the
    engine; each sync opens both stores afresh, as a new run of the app does."""

    def __init__(self, root: Path, book: str, *, timeout: float = 30.0) -> None:
        self.root = root
        self.folder = root / "folder"
        self.folder.mkdir(exist_ok=True)
        self.book = book
        self.timeout = timeout
        self.bases = BaseStore(":memory:")
        self.requests = 0  # HTTP requests of the last sync
        self.hook: Callable[[str, str], None] | None = None
        self.rewritten: set[str] = set()  # UIDs the server is known to change (not exact)

    def open_book(self) -> CardDavStore:
        store = open_store(self.book, user=None, password=None, timeout=self.timeout)
        store.client.on_request = self.hook
        return store

    def sync(self) -> SessionResult:
        folder = open_folder_store(str(self.folder))
        book = self.open_book()
        a = SimpleReplica(folder, MetadataStore(self.root / "a.sqlite", folder.identity))
        b = SimpleReplica(book, MetadataStore(self.root / "b.sqlite", book.identity))
        try:
            session = SyncSession(a, b, SessionSettings("pair"), self.bases)
            return session.run()
        finally:
            self.requests = book.client.requests
            a.close()
            b.close()
            book.close()

    def set_token(self, token: str | None) -> None:
        meta = MetadataStore(self.root / "b.sqlite", "")
        with meta.transaction():
            meta.token = token
        meta.close()

    def token(self) -> str | None:
        meta = MetadataStore(self.root / "b.sqlite", "")
        try:
            return meta.token
        finally:
            meta.close()

    def folder_cards(self) -> dict[str, bytes]:
        """The folder's cards by UID (a UID twice fails)."""
        return _by_uid(p.read_bytes() for p in sorted(self.folder.glob("*.vcf")))

    def book_cards(self) -> dict[str, bytes]:
        """The address book's cards by UID, as the server holds them (a UID twice fails)."""
        store = self.open_book()
        try:
            listing = store.list(None)
            assert listing.entries is not None
            return _by_uid(store.read(e.key) for e in listing.entries)
        finally:
            store.close()

    def assert_same(self, *, exact: bool = True) -> dict[str, bytes]:
        """Both sides hold the same contacts, byte for byte (``exact=False``: the same
        content, for a server that re-serialises cards as Radicale does); returns the
        folder's."""
        mine, theirs = self.folder_cards(), self.book_cards()
        if exact:
            assert mine == theirs
        else:
            assert sorted(mine) == sorted(theirs)
            fmt = VCardFormat()
            for uid, data in mine.items():
                if uid in self.rewritten:
                    continue
                assert fmt.same(data, theirs[uid]), (data, theirs[uid])
        return mine


def _by_uid(cards: Iterable[bytes]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for data in cards:
        uid = next(
            line[4:].strip().decode()
            for line in data.splitlines()
            if line.upper().startswith(b"UID:")
        )
        assert uid not in out, f"duplicate contact {uid}"
        out[uid] = data
    return out

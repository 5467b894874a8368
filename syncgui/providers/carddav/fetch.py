"""Cards fetched with ``addressbook-multiget`` and kept for one session.

Change detection reads changed cards in listing order, and a first sync reads them all, so
a read that misses fetches the cards listed after it too (read-ahead); the window doubles
while what was fetched ahead gets used and falls back when it does not. A card that cannot
be used (gone, not a vCard, too large, not sent) is kept as its per-item error.

A server may fail (5xx) a whole multiget for one card of it: Xandikos stores a card that is
not UTF-8 byte for byte, but cannot put it in a multistatus. Then that batch is read card by
card with GET, and only the cards that fail again are reported; a server that fails them
all is failing, not its cards, and is unavailable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from syncgui.engine.errors import BadItem, ItemUnreadable, ItemVanished, SyncError
from syncgui.providers.carddav import dav
from syncgui.providers.carddav.client import Reply, ServerFailed
from syncgui.providers.vcard.sniff import quick_card_problem

BATCH = 100  # hrefs per addressbook-multiget
MAX_CARD = 8 * 1024 * 1024  # a larger card is reported and skipped
BUDGET = 32 * 1024 * 1024  # bytes of cards kept for the session
FIRST_WINDOW = 4

log = logging.getLogger(__name__)


class CardCache:
    """Cards of one session by href. ``multiget`` sends one REPORT for a batch of hrefs,
    ``get`` one GET for a card; ``check_book`` sends one cheap request to the address book
    and raises StoreUnavailable when it does not answer."""

    def __init__(
        self,
        multiget: Callable[[Sequence[str]], dav.Multistatus],
        get: Callable[[str], Reply],
        check_book: Callable[[], None],
    ) -> None:
        self._multiget = multiget
        self._get = get
        self._check_book = check_book
        self._cards: dict[str, bytes] = {}
        self._size = 0
        self._errors: dict[str, SyncError] = {}
        self._fetched: set[str] = set()
        self._unused: set[str] = set()  # fetched ahead, not asked for yet
        self._order: list[str] = []
        self._at: dict[str, int] = {}
        self._window = FIRST_WINDOW
        self._etags: dict[str, str] = {}  # the ETag each kept card was fetched with
        self.newer: set[str] = set()  # fetched with another ETag than the listing's

    def reset(self, order: Sequence[str] = ()) -> None:
        """A new session over a listing in ``order``."""
        self._cards.clear()
        self._size = 0
        self._errors.clear()
        self._fetched.clear()
        self._unused.clear()
        self._order = list(order)
        self._at = {href: i for i, href in enumerate(self._order)}
        self._window = FIRST_WINDOW
        self._etags.clear()
        self.newer.clear()

    @property
    def failed(self) -> bool:
        return bool(self._errors)

    def peek(self, href: str) -> bytes | None:
        return self._cards.get(href)

    def etag(self, href: str) -> str | None:
        """The ETag the server sent with the card kept for ``href`` (None: none kept)."""
        return self._etags.get(href)

    def kept(self) -> set[str]:
        """The hrefs of the cards kept, each with the ETag it was fetched with."""
        return set(self._etags)

    def get(self, href: str, listed: dict[str, str] | None) -> bytes | None:
        """The card (fetched now with those after it when not fetched yet); raises its
        per-item error; None when the server did not have it."""
        if href not in self._fetched:
            self.fetch(self._ahead_of(href), listed)
        self._unused.discard(href)
        if href in self._errors:
            raise self._errors[href]
        return self._cards.get(href)

    def drop(self, href: str) -> None:
        """Forget ``href`` (it was just written)."""
        data = self._cards.pop(href, None)
        if data is not None:
            self._size -= len(data)
        self._etags.pop(href, None)
        self._errors.pop(href, None)
        self._fetched.discard(href)

    def fetch(self, hrefs: Sequence[str], listed: dict[str, str] | None) -> None:
        """Fetch ``hrefs`` in batches; ``listed``: the ETags of the listing, if known."""
        for start in range(0, len(hrefs), BATCH):
            batch = hrefs[start : start + BATCH]
            self._fetched.update(batch)
            try:
                found = self._multiget(batch)
            except ServerFailed as err:
                self._fetch_each(batch, listed or {}, err)
                continue
            seen: set[str] = set()
            for res in found.resources:
                seen.add(res.href)
                self._take(res, listed or {})
            for href in batch:
                if href not in seen:
                    self._errors[href] = ItemUnreadable(
                        f"{href}: the server did not send this card", item=href
                    )

    def _fetch_each(
        self, batch: Sequence[str], listed: dict[str, str], failure: ServerFailed
    ) -> None:
        """After a 5xx on the multiget of ``batch``: GET its cards one by one. Those that
        fail again are reported; when every one fails, the server is failing, not its
        cards (a single card: once one cheap request shows the address book does not
        answer either), and ``failure`` ends the session."""
        log.info(
            "the server failed the multiget of %d cards (%d); reading them one by one",
            len(batch),
            failure.status,
        )
        failed = 0
        for href in batch:
            try:
                reply = self._get(href)
            except ServerFailed as err:
                failed += 1
                self._errors[href] = ItemUnreadable(
                    f"{href}: the server failed to send this card ({err.status}"
                    f"{err.reply.reason()}); it was skipped, and is read again at the next "
                    "sync. If this persists, tell the server's administrator",
                    item=href,
                )
                continue
            self._take_reply(href, reply, listed)
        if failed < len(batch):
            return
        if len(batch) > 1:
            raise failure
        self._check_book()

    def _ahead_of(self, href: str) -> list[str]:
        at = self._at.get(href)
        if at is None:
            return [href]
        if self._unused:  # what was fetched ahead was not wanted
            self._window = FIRST_WINDOW
        else:
            self._window = min(self._window * 2, BATCH)
        hrefs = [href]
        for other in self._order[at + 1 :]:
            if len(hrefs) >= self._window:
                break
            if other not in self._fetched:
                hrefs.append(other)
        self._unused = set(hrefs[1:])
        return hrefs

    def _take(self, res: dav.Resource, listed: dict[str, str]) -> None:
        href = res.href
        if res.status == 404:
            self._errors[href] = ItemVanished(f"{href} is no longer on the server", item=href)
            return
        text = res.text(dav.CARD, "address-data")
        if text is None:
            self._errors[href] = ItemUnreadable(
                f"{href}: the server sent no card data ({res.status})", item=href
            )
            return
        self._accept(href, text.encode("utf-8"), res.text(dav.DAV, "getetag"), listed)

    def _take_reply(self, href: str, reply: Reply, listed: dict[str, str]) -> None:
        if reply.status in (404, 410):
            self._errors[href] = ItemVanished(f"{href} is no longer on the server", item=href)
            return
        if reply.status != 200:
            self._errors[href] = ItemUnreadable(
                f"{href}: the server did not send this card ({reply.status}{reply.reason()})",
                item=href,
            )
            return
        self._accept(href, reply.body, reply.header("etag"), listed)

    def _accept(self, href: str, data: bytes, etag: str | None, listed: dict[str, str]) -> None:
        """Keep the card, or its problem (not a vCard, too large)."""
        problem = quick_card_problem(data)
        if len(data) > MAX_CARD:
            problem = f"the card is too large ({len(data)} bytes; the limit is {MAX_CARD})"
        if problem is not None:
            self._errors[href] = BadItem(f"{href}: {problem}", item=href)
            return
        etag = etag.strip() if etag else None
        if href in listed and etag is not None and etag != listed[href]:
            self.newer.add(href)  # changed since the listing: these bytes are newer
        self._keep(href, data, etag)

    def _keep(self, href: str, data: bytes, etag: str | None) -> None:
        old = self._cards.pop(href, None)
        if old is not None:
            self._size -= len(old)
        self._etags.pop(href, None)
        while self._cards and self._size + len(data) > BUDGET:
            first = next(iter(self._cards))
            self._size -= len(self._cards.pop(first))
            self._etags.pop(first, None)
            self._fetched.discard(first)
        self._cards[href] = data
        self._size += len(data)
        if etag:
            self._etags[href] = etag

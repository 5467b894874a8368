"""Cards fetched with ``addressbook-multiget`` and kept for one session.

Change detection reads changed cards in listing order, and a first sync reads them all, so
a read that misses fetches the cards listed after it too (read-ahead); the window doubles
while what was fetched ahead gets used and falls back when it does not. A card that cannot
be used (gone, not a vCard, too large, not sent) is kept as its per-item error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from syncgui.engine.errors import BadItem, ItemUnreadable, ItemVanished, SyncError
from syncgui.providers.carddav import dav
from syncgui.providers.vcard.split import quick_card_problem

BATCH = 100  # hrefs per addressbook-multiget
MAX_CARD = 8 * 1024 * 1024  # a larger card is reported and skipped
BUDGET = 32 * 1024 * 1024  # bytes of cards kept for the session
FIRST_WINDOW = 4


class CardCache:
    """Cards of one session by href. ``multiget`` sends one REPORT for a batch of hrefs."""

    def __init__(self, multiget: Callable[[Sequence[str]], dav.Multistatus]) -> None:
        self._multiget = multiget
        self._cards: dict[str, bytes] = {}
        self._size = 0
        self._errors: dict[str, SyncError] = {}
        self._fetched: set[str] = set()
        self._unused: set[str] = set()  # fetched ahead, not asked for yet
        self._order: list[str] = []
        self._at: dict[str, int] = {}
        self._window = FIRST_WINDOW
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
        self.newer.clear()

    @property
    def failed(self) -> bool:
        return bool(self._errors)

    def peek(self, href: str) -> bytes | None:
        return self._cards.get(href)

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
        self._errors.pop(href, None)
        self._fetched.discard(href)

    def fetch(self, hrefs: Sequence[str], listed: dict[str, str] | None) -> None:
        """Fetch ``hrefs`` in batches; ``listed``: the ETags of the listing, if known."""
        for start in range(0, len(hrefs), BATCH):
            batch = hrefs[start : start + BATCH]
            self._fetched.update(batch)
            seen: set[str] = set()
            for res in self._multiget(batch).resources:
                seen.add(res.href)
                self._take(res, listed or {})
            for href in batch:
                if href not in seen:
                    self._errors[href] = ItemUnreadable(
                        f"{href}: the server did not send this card", item=href
                    )

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
        data = text.encode("utf-8")
        problem = quick_card_problem(data)
        if len(data) > MAX_CARD:
            problem = f"the card is too large ({len(data)} bytes; the limit is {MAX_CARD})"
        if problem is not None:
            self._errors[href] = BadItem(f"{href}: {problem}", item=href)
            return
        etag = res.text(dav.DAV, "getetag")
        if href in listed and etag is not None and etag.strip() != listed[href]:
            self.newer.add(href)  # changed since the listing: these bytes are newer
        self._keep(href, data)

    def _keep(self, href: str, data: bytes) -> None:
        old = self._cards.pop(href, None)
        if old is not None:
            self._size -= len(old)
        while self._cards and self._size + len(data) > BUDGET:
            first = next(iter(self._cards))
            self._size -= len(self._cards.pop(first))
            self._fetched.discard(first)
        self._cards[href] = data
        self._size += len(data)

"""One ``.vcf`` file holding many cards (what Google, iCloud and phones export).

The file is read whole and split into card spans and the gaps around them (see
:mod:`syncgui.providers.vcard.split`). Writes are buffered; :meth:`VCardFileProvider.commit`
rewrites the file once, atomically: every card and gap nobody changed keeps its exact bytes
and place, damaged cards included. The listing token is the file's ``size:mtime_ns:inode``,
so an unchanged file is not even opened.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from dataclasses import dataclass, field

from syncgui.engine.errors import BadItem, ItemProblem, ItemRejected, ItemVanished, StoreUnavailable
from syncgui.engine.ids import content_hash
from syncgui.engine.itemformat import ItemFormat, ItemInfo
from syncgui.engine.provider import Capabilities, Entry, Listing, Written
from syncgui.providers.vcard.fileops import (
    fsync_folder,
    os_message,
    remove_quietly,
    remove_stale_temp,
    stat_stamp,
    write_block,
    write_temp,
)
from syncgui.providers.vcard.format import VCardFormat, describe_card
from syncgui.providers.vcard.sniff import wide_encoding
from syncgui.providers.vcard.split import (
    Span,
    cardlike,
    find_value,
    line_break,
    split_cards,
)

log = logging.getLogger(__name__)

_READ_ATTEMPTS = 3


@dataclass(slots=True, eq=False)
class _Card:
    """One card of the file, or one created in this session, and what happens to it."""

    raw: bytes
    key: str | None  # None: a damaged card whose key could not be recovered
    problem: str | None = None  # why the card cannot be used; None for a good card
    new: bytes | None = None  # replacement (update) or content (create)
    deleted: bool = False


@dataclass(slots=True)
class _State:
    """The file as last read, split into gaps and cards, with the pending changes."""

    token: str
    mode: int
    eol: bytes
    parts: list[bytes | _Card]
    cards: dict[str, _Card]  # live cards by key: created ones and damaged ones included
    created: list[_Card] = field(default_factory=list)
    had_problems: bool = False
    dirty: bool = False


def _unique(base: str, taken: dict[str, _Card]) -> str:
    """``base``, or ``base#2``, ``base#3``… when the key is already taken."""
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}#{n}"
    return key


def _key_base(info: ItemInfo) -> str:
    return info.uid if info.uid else "fn:" + info.label


class _Parser:
    """Turns the bytes of the file into a :class:`_State` and a :class:`Listing`."""

    def __init__(self, name: str, known: dict[str, ItemInfo]) -> None:
        self.name = name
        self.known = known  # describe results of earlier reads, by content hash
        self.fresh: dict[str, ItemInfo] = {}
        self.parts: list[bytes | _Card] = []
        self.cards: dict[str, _Card] = {}
        self.entries: list[Entry] = []
        self.problems: list[ItemProblem] = []
        self.complete = True

    def parse(self, data: bytes, st: os.stat_result, spans: list[Span]) -> tuple[_State, Listing]:
        pos = 0
        for n, span in enumerate(spans, 1):
            self._gap(data[pos : span.start], f"before card {n}")
            self._card(data[span.start : span.end], n, span.problem, st.st_mtime)
            pos = span.end
        self._gap(data[pos:], "at the end of the file")
        state = _State(
            stat_stamp(st),
            stat.S_IMODE(st.st_mode),
            line_break(data),
            self.parts,
            self.cards,
            had_problems=bool(self.problems) or not self.complete,
        )
        unreadable = frozenset(k for k, c in self.cards.items() if c.problem is not None)
        listing = Listing(
            self.entries, state.token, tuple(self.problems), unreadable, self.complete
        )
        return state, listing

    def _gap(self, gap: bytes, where: str) -> None:
        if not gap:
            return
        self.parts.append(gap)
        if cardlike(gap):
            self.complete = False
            self.problems.append(
                ItemProblem(
                    f"{self.name}, {where}",
                    f"{self.name}, {where}: damaged or binary data that may hide cards; "
                    "it is kept as it is",
                )
            )

    def _card(self, raw: bytes, n: int, broken: str | None, mtime: float) -> None:
        stamp = content_hash(raw)
        info: ItemInfo | None = None
        if broken is None:
            try:
                info = self.known.get(stamp) or describe_card(raw)
            except BadItem as err:
                broken = err.message
        if info is not None:
            self.fresh[stamp] = info
            key = _unique(_key_base(info), self.cards)
            card = _Card(raw, key)
            self.entries.append(Entry(key, stamp, raw, mtime))
        else:
            card = self._damaged(raw, n, broken or "not a vCard")
        self.parts.append(card)
        if card.key is not None:
            self.cards[card.key] = card

    def _damaged(self, raw: bytes, n: int, reason: str) -> _Card:
        """A card the codec refused: its key recovered from a UID or FN line if possible."""
        uid = find_value(raw, "UID")
        label = find_value(raw, "FN")
        base = uid or (f"fn:{label}" if label else None)
        key = _unique(base, self.cards) if base else None
        where = f"{self.name}, card {n}" + (f" ({label})" if label else "")
        message = f"{where}: {reason}"
        if key is None:
            self.complete = False
        self.problems.append(ItemProblem(key or where, message))
        return _Card(raw, key, problem=message)


def _assemble(state: _State) -> bytes:
    """The new file: untouched parts as they were, changes in place, new cards at the end."""
    out: list[bytes] = []
    for part in state.parts:
        if isinstance(part, bytes):
            out.append(part)
        elif not part.deleted:
            out.append(part.raw if part.new is None else part.new)
    if state.created:
        last = next((p for p in reversed(out) if p), b"")
        if last and not last.endswith(b"\n"):
            out.append(state.eol)
        out.extend(card.new for card in state.created if card.new is not None)
    return b"".join(out)


class _ListedFormat(VCardFormat):
    """VCardFormat that answers ``describe`` from what the last listing already parsed:
    the engine describes every new or changed card, and list() has just done that."""

    def __init__(self, store: VCardFileProvider) -> None:
        self._store = store

    def describe(self, data: bytes) -> ItemInfo:
        known = self._store._known.get(content_hash(data))
        return known if known is not None else super().describe(data)


class VCardFileProvider:
    """A :class:`~syncgui.engine.provider.SimpleStore` over one multi-card ``.vcf`` file."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._identity = "vcf:" + os.path.realpath(path)
        self._name = os.path.basename(path) or path
        self._format = _ListedFormat(self)
        self._state: _State | None = None
        self._listing: Listing | None = None
        self._listed: str | None = None  # the token the last list() saw
        self._known: dict[str, ItemInfo] = {}

    def __repr__(self) -> str:
        return f"VCardFileProvider({self._path!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        # the file is replaced atomically: its folder must take a new file, too
        target = os.path.realpath(self._path)
        blocked = write_block(target, "the file") or write_block(
            os.path.dirname(target), "the folder holding it"
        )
        return Capabilities(
            read_only=blocked is not None, read_only_reason=blocked or "", batch_size=0
        )

    @property
    def format(self) -> ItemFormat:
        return self._format

    # -- reading ------------------------------------------------------------------------------

    def list(self, token: str | None) -> Listing:
        """Every card; ``entries`` is None (and the file is not read) when ``token`` still
        matches the file. Uncommitted writes of an earlier round are dropped."""
        self._rollback()
        current = stat_stamp(self._stat())
        self._listed = current
        if self._state is not None and self._state.token != current:
            self._state, self._listing = None, None
        if token is not None and token == current:
            return Listing(None, current)
        if self._listing is not None:
            return self._listing
        state, listing = self._load()
        self._listed = state.token
        return listing

    def _stat(self) -> os.stat_result:
        try:
            st = os.stat(self._path)
        except OSError as err:
            raise self._unavailable(err) from err
        if stat.S_ISDIR(st.st_mode):
            raise StoreUnavailable(f"{self._path} is a folder, not a .vcf file.")
        if not stat.S_ISREG(st.st_mode):
            raise StoreUnavailable(f"{self._path} is not a regular file.")
        return st

    def _unavailable(self, err: OSError) -> StoreUnavailable:
        if isinstance(err, FileNotFoundError):
            return StoreUnavailable(
                f"The file {self._path} does not exist; was it moved or is the disk unmounted?"
            )
        if isinstance(err, IsADirectoryError):
            return StoreUnavailable(f"{self._path} is a folder, not a .vcf file.")
        return StoreUnavailable(f"The file {self._path} cannot be read: {os_message(err)}.")

    def _read_file(self) -> tuple[bytes, os.stat_result]:
        """The whole file and its stat; retried while another program is writing it."""
        for _ in range(_READ_ATTEMPTS):
            self._stat()
            try:
                with open(self._path, "rb") as src:
                    before = os.fstat(src.fileno())
                    data = src.read()
                    after = os.fstat(src.fileno())
            except OSError as err:
                raise self._unavailable(err) from err
            if stat_stamp(before) == stat_stamp(after) and len(data) == after.st_size:
                return data, after
            time.sleep(0.1)
        raise StoreUnavailable(
            f"{self._path} keeps changing while it is read; sync again when the other "
            "program is done with it."
        )

    def _load(self) -> tuple[_State, Listing]:
        data, st = self._read_file()
        spans = split_cards(data)
        if not spans and data.strip():
            wide = wide_encoding(data)
            if wide is not None:
                raise StoreUnavailable(
                    f"{self._path} is written in {wide}, which syncgui does not read; save "
                    "it as UTF-8 (most programs offer that when exporting) and sync again."
                )
            kind = "binary data" if b"\x00" in data else "no BEGIN:VCARD line"
            raise StoreUnavailable(
                f"{self._path} is not a vCard file ({kind}); is it the right file?"
            )
        started = time.perf_counter()
        parser = _Parser(self._name, self._known)
        state, listing = parser.parse(data, st, spans)
        self._known = parser.fresh
        self._state, self._listing = state, listing
        log.debug(
            "%s: %d cards parsed in %.2f s, %d problems",
            self._name,
            len(parser.entries),
            time.perf_counter() - started,
            len(listing.problems),
        )
        return state, listing

    def _ensure_state(self) -> _State:
        if self._state is None:
            state, _ = self._load()
            if self._listed is None:
                self._listed = state.token
            return state
        return self._state

    def read(self, key: str) -> bytes:
        card = self._ensure_state().cards.get(key)
        if card is None:
            raise ItemVanished(f"{key} is no longer in {self._name}", item=key)
        if card.problem is not None:
            raise BadItem(card.problem, item=key)
        return card.raw if card.new is None else card.new

    # -- writing (buffered until commit) ------------------------------------------------------

    def create(self, uid: str, data: bytes) -> Written:
        """Add a card at the end of the file (on commit). Its key is its UID, made unique."""
        state = self._ensure_state()
        span, info = self._prepare(data, uid)
        key = _unique(_key_base(info), state.cards)
        card = _Card(b"", key, new=span)
        state.cards[key] = card
        state.created.append(card)
        state.dirty = True
        return Written(key, content_hash(span))

    def update(self, key: str, data: bytes) -> Written:
        """Replace the card ``key`` in place (on commit); a damaged card is refused.

        The returned key differs from ``key`` only when the new data changes the card's
        identity (a UID added to a card that had none)."""
        state = self._ensure_state()
        card = self._live(state, key)
        span, info = self._prepare(data, key)
        del state.cards[key]
        new_key = _unique(_key_base(info), state.cards)
        state.cards[new_key] = card
        card.key, card.new = new_key, span
        state.dirty = True
        return Written(new_key, content_hash(span))

    def delete(self, key: str) -> None:
        """Remove the card ``key`` (on commit); one already gone is fine."""
        state = self._ensure_state()
        if key not in state.cards:
            return
        card = self._live(state, key)
        del state.cards[key]
        if card in state.created:
            state.created.remove(card)
        else:
            card.deleted = True
        state.dirty = True

    def _live(self, state: _State, key: str) -> _Card:
        card = state.cards.get(key)
        if card is None:
            raise ItemVanished(f"{key} is no longer in {self._name}", item=key)
        if card.problem is not None:
            raise ItemRejected(f"{card.problem}; the card is left untouched", item=key)
        return card

    def _prepare(self, data: bytes, item: str) -> tuple[bytes, ItemInfo]:
        """``data`` as it will stand in the file (ending in a line break) and its identity.

        A card is one span among many here, so what only a file of its own may carry is
        left out: a byte-order mark, and the doubled CR of iOS's ``\\r\\r\\n`` line ends
        (line ends are repaired only when they are broken that way)."""
        body = data.strip(b" \t\r\n").removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
        if b"\r\r\n" in body:
            body = re.sub(rb"\r+\n", b"\r\n", body)
        span = body + line_break(body)
        spans = split_cards(span)
        if len(spans) != 1 or spans[0].problem or spans[0].start or spans[0].end != len(span):
            raise BadItem(
                f"it is not exactly one complete vCard, so it cannot be added to {self._name}",
                item=item,
            )
        try:
            info = describe_card(span)
        except BadItem as err:
            raise BadItem(f"{err.message} (not written to {self._name})", item=item) from err
        self._known[content_hash(span)] = info
        return span, info

    def commit(self) -> str | None:
        """Write the file once with every change since list(); return its new token.

        Refused, with nothing written, when the file changed on disk since it was read. The
        token is withheld (None) while the file holds damaged cards, so that the next sync
        reads it again and reports them."""
        state = self._state
        if state is None or not state.dirty:
            return None
        self._check_unchanged(state)
        try:
            st = self._replace(state)
        except BaseException:
            self._rollback()
            raise
        token = stat_stamp(st)
        self._state, self._listing, self._listed = None, None, token
        log.info("%s written (%d bytes)", self._name, st.st_size)
        return None if state.had_problems else token

    def _replace(self, state: _State) -> os.stat_result:
        """Replace the file atomically by its new content; the new file's stat."""
        target = os.path.realpath(self._path)  # a symbolic link stays a link
        folder = os.path.dirname(target)
        self._remove_stale_temps(folder)
        try:
            temp, st = write_temp(folder, _assemble(state), state.mode)
        except OSError as err:
            raise ItemRejected(
                f"{self._name} could not be written: {os_message(err)}; nothing was written"
            ) from err
        try:
            self._check_unchanged(state)
            os.replace(temp, target)
        except OSError as err:
            raise ItemRejected(
                f"{self._name} could not be replaced: {os_message(err)}; nothing was written"
            ) from err
        finally:
            remove_quietly(temp)  # gone after a successful replace
        try:
            fsync_folder(folder)
        except OSError as err:
            log.warning("Could not flush the folder of %s: %s", self._name, err)
        return st

    def _check_unchanged(self, state: _State) -> None:
        try:
            current: str | None = stat_stamp(os.stat(self._path))
        except OSError:
            current = None
        if current != state.token or current != self._listed:
            self._rollback()
            raise ItemRejected(
                f"{self._name} was changed by another program during the sync; nothing was "
                "written. The next sync will pick up its changes."
            )

    def _remove_stale_temps(self, folder: str) -> None:
        now = time.time()
        try:
            with os.scandir(folder) as found:
                for entry in found:
                    remove_stale_temp(folder, entry.name, now)
        except OSError as err:
            log.debug("Could not look for leftover temporary files in %s: %s", folder, err)

    def _rollback(self) -> None:
        """Forget the pending changes (nothing was committed, so nothing is lost)."""
        if self._state is not None and self._state.dirty:
            log.warning("%s: uncommitted changes dropped", self._name)
            self._state, self._listing = None, None


def open_file_store(location: str) -> VCardFileProvider:
    """The store for ``vcf:<location>`` (``~`` is expanded)."""
    if not location.strip():
        raise StoreUnavailable("No file was given for the .vcf file store.")
    return VCardFileProvider(os.path.expanduser(location))

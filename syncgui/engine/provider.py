"""The simple-provider interface: what a store adapter implements.

A simple provider (as in the Sync Framework) only lists its items with cheap version fields,
reads, writes and deletes them; the engine keeps every piece of sync metadata for it in a
:class:`~syncgui.engine.metadata.MetadataStore`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import NamedTuple, Protocol, overload, runtime_checkable

from syncgui.engine.errors import ItemProblem
from syncgui.engine.itemformat import ItemFormat


class Entry(NamedTuple):
    """One item as listed by a store (a named tuple: stores list thousands of these).

    ``stamp`` holds the cheap version fields (size, mtime, inode, ETag or a hash): an equal
    stamp means "unchanged" and the engine does not read the item. A provider that had to
    read the bytes anyway (one ``.vcf`` file) passes them in ``data``.
    """

    key: str
    stamp: str
    data: bytes | None = None
    mtime: float | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """Result of :meth:`SimpleStore.list`.

    ``entries`` is None when the whole store is unchanged since ``token`` was handed out,
    so there is nothing to compare. ``problems`` names items that could not be listed; the
    engine keeps their last known state (an unreadable item is never taken as deleted).
    """

    entries: Sequence[Entry] | None
    token: str | None
    problems: Sequence[ItemProblem] = field(default_factory=tuple)
    # keys whose bytes could not be used: the engine keeps their last known state
    unreadable: frozenset[str] = frozenset()
    # False when something could not be listed and its key is unknown: then no item
    # missing from ``entries`` may be taken as deleted in this listing
    complete: bool = True


def encode_stamps(stamps: Mapping[str, str | None]) -> bytes | None:
    """``stamps`` as one piece of bytes: keys and stamps in turn, NUL-separated (neither a
    file name nor a stamp holds NUL; a map where one does, or with a missing stamp, gives
    None). The metadata keeps a replica's last listing so, and a folder lists in it."""
    try:
        text = "\0".join(chain.from_iterable(stamps.items()))  # type: ignore[arg-type]
    except TypeError:  # a stamp is None
        return None
    if stamps and text.count("\0") != 2 * len(stamps) - 1:
        return None
    return text.encode("utf-8", "surrogatepass")


def decode_stamps(blob: bytes) -> dict[str, str] | None:
    """The map :func:`encode_stamps` wrote; None when ``blob`` is not one."""
    if not blob:
        return {}
    try:
        parts = blob.decode("utf-8", "surrogatepass").split("\0")
    except UnicodeDecodeError:
        return None
    if len(parts) % 2:
        return None
    return dict(zip(parts[::2], parts[1::2], strict=True))


class StampedEntries(Sequence[Entry]):
    """Listing entries kept as one ``key -> stamp`` map, ``encoded`` as :func:`encode_stamps`
    writes it (a folder lists them so), made into a dict and :class:`Entry` tuples only when
    asked for. Change detection compares ``encoded`` with the snapshot of the stamps seen
    last and, only when they differ, the map whole with those stamps; it makes entries only
    of those that differ: a no-op of 10,000 items decodes nothing and makes none.
    ``mtime_of`` gives an entry's ``mtime`` from its stamp."""

    __slots__ = ("_made", "_mtime_of", "_stamps", "encoded")

    def __init__(self, encoded: bytes, mtime_of: Callable[[str], float | None]) -> None:
        self.encoded = encoded
        self._mtime_of = mtime_of
        self._stamps: dict[str, str] | None = None
        self._made: list[Entry] | None = None

    @property
    def stamps(self) -> Mapping[str, str]:
        """``key -> stamp``, decoded when first asked for."""
        stamps = self._stamps
        if stamps is None:
            stamps = decode_stamps(self.encoded)
            if stamps is None:
                raise ValueError("StampedEntries: the encoded map is damaged")
            self._stamps = stamps
        return stamps

    def _entries(self) -> list[Entry]:
        if self._made is None:
            mtime_of = self._mtime_of
            self._made = [Entry(k, s, None, mtime_of(s)) for k, s in self.stamps.items()]
        return self._made

    def differing(self, seen: Mapping[str, str | None]) -> list[Entry]:
        """The entries whose stamp is not the one ``seen`` holds for their key."""
        mtime_of = self._mtime_of
        return [Entry(k, s, None, mtime_of(s)) for k, s in self.stamps.items() if seen.get(k) != s]

    def __len__(self) -> int:
        if self._stamps is not None:
            return len(self._stamps)
        return (self.encoded.count(b"\0") + 1) // 2 if self.encoded else 0

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries())

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | Sequence[Entry]:
        return self._entries()[index]


@dataclass(frozen=True, slots=True)
class Written:
    """Where and as what an item was written: its key and its new stamp."""

    key: str
    stamp: str


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a store can do; the engine guards these in one place."""

    read_only: bool = False
    can_delete: bool = True
    # why the store cannot be written, in words for the user ("the folder is read-only")
    read_only_reason: str = ""
    # the store's writes are not atomic: it implements BatchJournal (a phone over MTP)
    journal: bool = False
    # the store keeps its replica's id and knowledge itself (``metadata_host``, a phone)
    hosts_metadata: bool = False
    # Largest batch worth committing at once; None: the engine's default.
    # A store that rewrites one file per commit asks for "everything at once" (0).
    batch_size: int | None = None


def release(holder: object) -> None:
    """Call ``holder.close()`` if it has one: stores and backends that hold a resource (a
    USB device, a helper process) have it, the others need not."""
    close = getattr(holder, "close", None)
    if close is not None:
        close()


@dataclass(frozen=True, slots=True)
class Intent:
    """One write the engine is about to make in a batch (see :class:`BatchJournal`)."""

    key: str | None  # None: a new item; the store picks its key from ``uid``
    uid: str
    delete: bool = False


@runtime_checkable
class ListsAhead(Protocol):
    """Optional, for stores whose listing can be made while the engine does other work (a
    folder lists itself in a child process). The engine calls :meth:`list_ahead` just before
    it examines the partnership's other store; the next :meth:`SimpleStore.list` returns
    that listing, or lists anew. A store closed before then drops it."""

    def list_ahead(self, token: str | None) -> None: ...


@runtime_checkable
class ReadsInChild(Protocol):
    """Optional, for stores whose :meth:`SimpleStore.read` may run in a child process made
    by ``fork`` (see :mod:`syncgui.engine.forked`): reading an item opens that item's own
    file and uses nothing this process shares with the outside (no connection, no helper
    process, no lock). Change detection then reads and describes part of a large batch of
    changed items in a child while it does the rest. The answer may change over the store's
    life; it is asked before each batch."""

    def reads_in_child(self) -> bool: ...


@runtime_checkable
class CreatesInChild(Protocol):
    """Optional, for stores whose :meth:`SimpleStore.create` may run in a child process made
    by ``fork``: creating an item makes that item's own file and uses nothing this process
    shares with the outside (as :class:`ReadsInChild`), and two processes creating items at
    once never take the same key. In a pass of many new items the engine then writes each
    batch's new items in a child while it records the batch before
    (:mod:`syncgui.engine.creates_ahead`), and calls :meth:`made_in_child` before the
    batch's :meth:`SimpleStore.commit`, which must make the child's writes durable too."""

    def creates_in_child(self) -> bool: ...

    def made_in_child(self) -> None: ...


@runtime_checkable
class BatchJournal(Protocol):
    """Optional, for stores whose writes are not atomic (a phone over MTP replaces a file by
    deleting and uploading it). The engine calls :meth:`begin_batch` with every write of a
    batch before making the first one, after it has read what each will overwrite; the
    store's next :meth:`SimpleStore.commit` ends the batch. A store that was interrupted
    mid-batch uses its journal to put half-written items back at its next listing."""

    def begin_batch(self, intents: Sequence[Intent]) -> None: ...


class SimpleStore(Protocol):
    """A store adapter. All methods may raise :class:`StoreUnavailable`; per-item methods
    raise :class:`BadItem`, :class:`ItemUnreadable`, :class:`ItemRejected` or
    :class:`ItemVanished` for one item, and the session goes on with the others."""

    @property
    def name(self) -> str:
        """Short human name, e.g. the folder or file name."""
        ...

    @property
    def identity(self) -> str:
        """Canonical spec (``vdir:/abs/path``); one identity is one replica."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def format(self) -> ItemFormat: ...

    def list(self, token: str | None) -> Listing:
        """Every item with its stamp; raises StoreUnavailable if the store is not there."""
        ...

    def read(self, key: str) -> bytes: ...

    def create(self, uid: str, data: bytes) -> Written:
        """Store a new item; the provider picks a free key derived from ``uid``."""
        ...

    def update(self, key: str, data: bytes) -> Written: ...

    def delete(self, key: str) -> None: ...

    def commit(self) -> str | None:
        """Make every write since the last commit durable; return the new listing token.

        The engine records knowledge only after this returns."""
        ...

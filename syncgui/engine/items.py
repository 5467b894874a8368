"""Item metadata and the actions a destination applies."""

from __future__ import annotations

from dataclasses import dataclass

from syncgui.engine.events import ConflictKind, Side
from syncgui.engine.ids import Version
from syncgui.engine.knowledge import Knowledge


@dataclass(frozen=True, slots=True)
class ItemMeta:
    """What the engine knows about one item in one replica (also what a source sends).

    ``version`` is the change version (the last change), ``created`` the creation version;
    a deleted item is a tombstone whose ``version`` is the delete."""

    gid: bytes
    uid: str
    label: str
    created: Version
    version: Version
    deleted: bool
    changed_at: float


@dataclass(frozen=True, slots=True)
class Put:
    """Write ``data`` for the item. ``version`` None means "a fresh local version"."""

    meta: ItemMeta
    data: bytes
    version: Version | None
    created: Version | None = None  # None: keep (or, for a new item, make fresh)
    # What the partnership's next three-way merge may take as the common base once this is
    # written: the data itself (None), another version both sides descend from (a merge
    # result descends from the source's data, which the source holds), or nothing at all
    # (``agreed`` False: a copy only the destination has)
    merge_base: tuple[Version, bytes] | None = None
    agreed: bool = True

    @property
    def shared(self) -> tuple[Version, bytes] | None:
        """The version and content both sides hold once this is written (see above)."""
        if not self.agreed:
            return None
        return self.merge_base or (self.meta.version, self.data)


@dataclass(frozen=True, slots=True)
class Remove:
    """Delete the item and keep a tombstone (``version`` None: a fresh local version)."""

    meta: ItemMeta
    version: Version | None


@dataclass(frozen=True, slots=True)
class Adopt:
    """Record a version for the item without touching its data (the data already agree,
    or the destination's data wins and only needs a fresh version: ``version`` None)."""

    meta: ItemMeta
    version: Version | None


@dataclass(frozen=True, slots=True)
class Forget:
    """Delete the item and drop its metadata (the source cleaned up its tombstone)."""

    meta: ItemMeta


@dataclass(frozen=True, slots=True)
class StoredConflict:
    """A conflict deferred for the user: the source's side of it, as stored at the
    destination. ``source_side`` says which side ("a" or "b") of the partnership the source
    is; ``knowledge`` is what applying the source's change would teach the destination."""

    id: str
    gid: bytes
    partnership: str
    kind: ConflictKind
    source_side: Side
    source_name: str
    source: ItemMeta
    data: bytes | None
    knowledge: Knowledge
    detected_at: float


@dataclass(frozen=True, slots=True)
class Deferred:
    """A conflict left for the user: stored with the source's side; nothing is applied and
    the item stays out of the learned knowledge until the user resolves it."""

    conflict: StoredConflict

    @property
    def meta(self) -> ItemMeta:
        return self.conflict.source


Action = Put | Remove | Adopt | Forget | Deferred

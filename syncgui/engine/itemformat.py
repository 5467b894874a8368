"""What the engine needs to know about item data, without knowing it is a vCard.

Providers hand the engine raw bytes together with an :class:`ItemFormat` that can name an
item, give it a UID and merge two edited copies against their common base. The vCard
implementation lives in ``syncgui.providers.vcard``; the engine never parses data itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

#: in a merge, the destination's copy ("ours") or the incoming one ("theirs")
MergeSide = Literal["ours", "theirs"]


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """Identity and name of one item, read from its data."""

    uid: str | None
    label: str


@dataclass(frozen=True, slots=True)
class FieldClash:
    """One field changed differently on both sides (display text, not raw lines)."""

    field: str
    base: str | None
    ours: str | None
    theirs: str | None


@dataclass(frozen=True, slots=True)
class FieldPair:
    """One row of two versions of an item shown side by side: ``field`` is the format's
    name for it (a vCard property), ``label`` the user's word for it, ``a``/``b`` each
    side's display text (None: that side has no such value), ``same`` True when both say
    the same thing."""

    field: str
    label: str
    a: str | None
    b: str | None
    same: bool


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """Result of a three-way merge: merged bytes when nothing clashed."""

    data: bytes | None
    clashes: tuple[FieldClash, ...]


@dataclass(frozen=True, slots=True)
class MatchKeys:
    """What tells that two items in stores that never met are the same (see
    :mod:`syncgui.engine.matching`): ``content`` is a digest of the item with everything a
    store or an export may change without changing its meaning left out (UID, revision and
    producer stamps, line endings, folding, order, letter case of property names);
    ``name`` the normalised name ("" when none); ``handles`` how the person is reached,
    each as ``kind:value`` in a normal form (``email:ann@example.org``; a phone number's
    digits, once as written and once without a leading country code or trunk 0)."""

    content: str
    name: str
    handles: frozenset[str]


class ItemFormat(Protocol):
    """Data-format operations the engine needs (implemented per content type)."""

    def describe(self, data: bytes) -> ItemInfo:
        """UID and label of ``data``; raises :class:`~syncgui.engine.errors.BadItem`."""
        ...

    def with_uid(self, data: bytes, uid: str) -> bytes:
        """``data`` with ``uid`` as its UID: unchanged when it already is, the UID line
        added when it has none, replaced when it has another (each store keeps its own
        UID for an item matched across stores)."""
        ...

    def as_copy(self, data: bytes, uid: str, origin: str) -> bytes:
        """A marked copy of ``data`` with a new ``uid`` (the keep-both policy)."""
        ...

    def same(self, a: bytes, b: bytes) -> bool:
        """True when ``a`` and ``b`` carry the same content (ignoring encoding details)."""
        ...

    def compare(self, a: bytes | None, b: bytes | None) -> list[FieldPair]:
        """Two versions field by field, for the conflict dialog (None: that side deleted);
        raises :class:`~syncgui.engine.errors.BadItem` for data that cannot be read."""
        ...

    def match_keys(self, data: bytes) -> MatchKeys:
        """The keys that match ``data`` to the same item in another store; raises
        :class:`~syncgui.engine.errors.BadItem` for data that cannot be read."""
        ...

    def merge(self, base: bytes | None, ours: bytes, theirs: bytes) -> MergeOutcome:
        """Three-way merge; ``ours`` lines stay byte-identical where untouched."""
        ...

    def merge_choosing(
        self, base: bytes | None, ours: bytes, theirs: bytes, prefer: Mapping[str, MergeSide]
    ) -> bytes:
        """Merge, settling each clashing field by ``prefer`` (default: ``ours``)."""
        ...

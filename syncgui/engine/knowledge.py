"""Sync knowledge: which versions a replica has seen, per region of the item-id space.

A :class:`Knowledge` gives every item id a :class:`ClockVector`. Item ids are byte strings
compared as unsigned bytes (``b""`` is the smallest id; the id right after ``g`` is
``g + b"\\x00"``). The representation is

* segments: sorted starts ``s_0 = b"" < s_1 < ...`` with a vector each; segment ``i`` covers
  ``[s_i, s_{i+1})`` and the last one is unbounded. Its vector is the *scope* vector;
  the others are range exceptions;
* single-item exceptions: ``{gid: vector}``, which override the segment at that id.

Every value is kept in one canonical form, so equal meaning means equal values and
byte-identical :meth:`Knowledge.serialize` output:

1. adjacent segments with equal vectors are merged (segments are maximal runs);
2. a run that covers exactly one id ``g`` (``[g, g + b"\\x00")``) is stored as an item
   exception, and the run before it is extended over ``g`` (the first run when ``g`` leads);
3. item exceptions equal to the segment vector at their id are dropped.

Every operation works on a flat partition (segments only, items expanded into one-id runs),
then converts back to the canonical form.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import TypeVar

from syncgui.engine.clock import EMPTY_CLOCK, ClockVector
from syncgui.engine.ids import Version

FORMAT_VERSION = 1
"""First byte of :meth:`Knowledge.serialize` output."""

_MAX_VARINT_BYTES = 10

_A = TypeVar("_A")
_B = TypeVar("_B")
_Flat = tuple[list[bytes], list[ClockVector]]


def _successor(gid: bytes) -> bytes:
    """The smallest id greater than ``gid``."""
    return gid + b"\x00"


@dataclass(frozen=True, slots=True, eq=False, init=False, repr=False)
class Knowledge:
    """An immutable sync knowledge: a clock vector for every item id."""

    _starts: tuple[bytes, ...]
    _vectors: tuple[ClockVector, ...]
    _items: dict[bytes, ClockVector]
    _fast: dict[bytes, int] | None  # scope elements when there are no exceptions
    _hash: int | None  # computed on first use

    def __init__(self, scope: ClockVector = EMPTY_CLOCK) -> None:
        """The knowledge with ``scope`` for every item and no exceptions."""
        _init(self, (b"",), (scope,), {})

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def empty(cls) -> Knowledge:
        """The knowledge that contains nothing."""
        return _EMPTY

    @classmethod
    def from_scope(cls, scope: ClockVector) -> Knowledge:
        """The knowledge with ``scope`` for every item and no exceptions."""
        return cls(scope)

    # -- queries --------------------------------------------------------------------------

    @property
    def scope(self) -> ClockVector:
        """The vector of the last, unbounded segment."""
        return self._vectors[-1]

    @property
    def is_scope_only(self) -> bool:
        """Whether there are no range or item exceptions."""
        return self._fast is not None

    def cv_for(self, gid: bytes) -> ClockVector:
        """The vector that applies to item ``gid``."""
        cv = self._items.get(gid)
        if cv is not None:
            return cv
        return self._vectors[bisect_right(self._starts, gid) - 1]

    def contains(self, gid: bytes, version: Version) -> bool:
        """Whether the change ``version`` of item ``gid`` is known."""
        fast = self._fast
        if fast is not None:
            return version.tick <= fast.get(version.replica, 0)
        cv = self._items.get(gid)
        if cv is None:
            cv = self._vectors[bisect_right(self._starts, gid) - 1]
        return version.tick <= cv.get(version.replica)

    def contains_knowledge(self, other: Knowledge) -> bool:
        """Whether every version ``other`` contains, for any item, is contained here."""
        if self._fast is not None and other._fast is not None:
            return self.scope.dominates(other.scope)
        return all(a.dominates(b) for _, a, b in _zip(_flat(self), _flat(other)))

    def max_tick(self, replica: bytes) -> int:
        """The highest tick of ``replica`` in any vector (scope, ranges or items)."""
        vectors = (*self._vectors, *self._items.values())
        return max(cv.get(replica) for cv in vectors)

    def segments(self) -> tuple[tuple[bytes, ClockVector], ...]:
        """The ``(start, vector)`` segments in id order; the first start is ``b""``."""
        return tuple(zip(self._starts, self._vectors, strict=True))

    def item_exceptions(self) -> tuple[tuple[bytes, ClockVector], ...]:
        """The ``(gid, vector)`` single-item exceptions, sorted by id."""
        return tuple(sorted(self._items.items()))

    # -- algebra --------------------------------------------------------------------------

    def union(self, other: Knowledge) -> Knowledge:
        """What either knowledge contains (region-wise element-wise maximum)."""
        if other is self:
            return self
        if self._fast is not None and other._fast is not None:
            return Knowledge(self.scope.merge(other.scope))
        zipped = _zip(_flat(self), _flat(other))
        return _canonical([s for s, _, _ in zipped], [a.merge(b) for _, a, b in zipped])

    def project_items(self, gids: Iterable[bytes]) -> Knowledge:
        """What this knows about the items ``gids``, and nothing about any other item."""
        wanted = frozenset(gids)
        return self._masked(_items_mask(wanted), keep=True)

    def item_projection(self, gid: bytes) -> bytes:
        """``self.project_items([gid]).serialize()``: what a merge base keeps for each item,
        built directly (ten times faster) when this knowledge has no exceptions."""
        fast = self._fast
        if fast is None or not gid:
            return self.project_items([gid]).serialize()
        cv = self._vectors[0]
        if not cv:
            return _EMPTY_BYTES
        # canonical form: one segment (b"", empty vector) and the item exception gid -> cv
        index = {replica: i for i, (replica, _tick) in enumerate(cv.items())}
        out = bytearray((FORMAT_VERSION,))
        _put_uint(out, len(index))
        for replica in index:
            _put_blob(out, replica)
        out += b"\x01\x00\x01"  # one segment, its empty vector, one item exception
        _put_blob(out, gid)
        _put_vector(out, cv, index)
        return bytes(out)

    def project_range(self, lo: bytes, hi: bytes | None) -> Knowledge:
        """What this knows about ids in the closed range ``[lo, hi]`` and nothing elsewhere.

        ``hi=None`` means no upper bound; ``lo=b""`` starts at the smallest id. A range with
        ``hi < lo`` is empty, so the result is empty knowledge.
        """
        if hi is not None and hi < lo:
            return _EMPTY
        starts = [b""] if lo == b"" else [b"", lo]
        inside = [True] if lo == b"" else [False, True]
        if hi is not None:
            starts.append(_successor(hi))
            inside.append(False)
        return self._masked((starts, inside), keep=True)

    def exclude_items(self, gids: Iterable[bytes]) -> Knowledge:
        """This knowledge with everything about the items ``gids`` forgotten."""
        unwanted = frozenset(gids)
        if not unwanted:
            return self
        return self._masked(_items_mask(unwanted), keep=False)

    def with_local_tick(self, replica: bytes, tick: int) -> Knowledge:
        """This knowledge with ``replica``'s element set to ``tick`` in every vector.

        A replica always knows all its own changes, so its tick applies to every item,
        including excluded ones. The element is *set*, not raised to ``tick``.
        """
        if self._fast is not None:
            return Knowledge(self.scope.with_tick(replica, tick))
        starts, vectors = _flat(self)
        return _canonical(starts, [cv.with_tick(replica, tick) for cv in vectors])

    def _masked(self, mask: tuple[list[bytes], list[bool]], *, keep: bool) -> Knowledge:
        zipped = _zip(_flat(self), mask)
        starts = [s for s, _, _ in zipped]
        return _canonical(starts, [cv if m is keep else EMPTY_CLOCK for _, cv, m in zipped])

    # -- serialization --------------------------------------------------------------------

    def serialize(self) -> bytes:
        """A compact, deterministic encoding; equal knowledge gives identical bytes.

        Layout (all integers unsigned LEB128): format version byte; replica count and the
        sorted replica ids (length-prefixed); segment count, the first segment's vector,
        then start and vector of each further segment; item-exception count, then gid and
        vector of each, sorted by gid. A vector is its element count followed by
        ``(replica index, tick)`` pairs in replica order.
        """
        items = sorted(self._items.items())
        vectors = [*self._vectors, *(cv for _, cv in items)]
        replicas = sorted({replica for cv in vectors for replica in cv.replicas()})
        index = {replica: i for i, replica in enumerate(replicas)}
        out = bytearray((FORMAT_VERSION,))
        _put_uint(out, len(replicas))
        for replica in replicas:
            _put_blob(out, replica)
        _put_uint(out, len(self._starts))
        _put_vector(out, self._vectors[0], index)
        for start, cv in zip(self._starts[1:], self._vectors[1:], strict=True):
            _put_blob(out, start)
            _put_vector(out, cv, index)
        _put_uint(out, len(items))
        for gid, cv in items:
            _put_blob(out, gid)
            _put_vector(out, cv, index)
        return bytes(out)

    @classmethod
    def deserialize(cls, data: bytes) -> Knowledge:
        """The knowledge :meth:`serialize` encoded as ``data``.

        Raises ``ValueError`` when ``data`` is truncated, has trailing bytes, an unknown
        format version or an invalid structure. Input that is well formed but not in
        canonical form (say, a redundant exception) is accepted and normalized.
        """
        reader = _Reader(data)
        version = reader.byte()
        if version != FORMAT_VERSION:
            raise ValueError(f"unsupported knowledge format version {version}")
        replicas = [reader.blob() for _ in range(reader.uint())]
        if any(a >= b for a, b in pairwise(replicas)):
            raise ValueError("knowledge replica table is not sorted and unique")
        count = reader.uint()
        if count < 1:
            raise ValueError("knowledge has no segments")
        starts = [b""]
        vectors = [reader.vector(replicas)]
        for _ in range(count - 1):
            start = reader.blob()
            if start <= starts[-1]:
                raise ValueError("knowledge segment starts are not increasing")
            starts.append(start)
            vectors.append(reader.vector(replicas))
        items: dict[bytes, ClockVector] = {}
        last: bytes | None = None
        for _ in range(reader.uint()):
            gid = reader.blob()
            if last is not None and gid <= last:
                raise ValueError("knowledge item exceptions are not sorted and unique")
            items[gid] = reader.vector(replicas)
            last = gid
        reader.finish()
        return _canonical(*_flatten(starts, vectors, items))

    # -- value protocol -------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Knowledge):
            return NotImplemented
        return (
            self._starts == other._starts
            and self._vectors == other._vectors
            and self._items == other._items
        )

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = hash((self._starts, self._vectors, frozenset(self._items.items())))
            object.__setattr__(self, "_hash", h)
        return h

    def __reduce__(self) -> tuple[Callable[[bytes], Knowledge], tuple[bytes]]:
        # Rebuild on unpickling: the cached hash of bytes differs between processes.
        return (Knowledge.deserialize, (self.serialize(),))

    def __repr__(self) -> str:
        if self._fast is not None:
            return f"Knowledge(scope={self.scope!r})"
        parts = [f"scope={self.scope!r}"]
        bounds = zip(self._starts, self._starts[1:], self._vectors, strict=False)
        ranges = [f"[{lo.hex()}..{hi.hex()}): {cv!r}" for lo, hi, cv in bounds]
        if ranges:
            parts.append(f"ranges=[{', '.join(ranges)}]")
        items = [f"{gid.hex()}: {cv!r}" for gid, cv in sorted(self._items.items())]
        if items:
            parts.append(f"items={{{', '.join(items)}}}")
        return f"Knowledge({', '.join(parts)})"


# -- canonical form ---------------------------------------------------------------------------


def _init(
    k: Knowledge,
    starts: tuple[bytes, ...],
    vectors: tuple[ClockVector, ...],
    items: dict[bytes, ClockVector],
) -> None:
    object.__setattr__(k, "_starts", starts)
    object.__setattr__(k, "_vectors", vectors)
    object.__setattr__(k, "_items", items)
    fast = vectors[0].as_dict() if len(starts) == 1 and not items else None
    object.__setattr__(k, "_fast", fast)
    object.__setattr__(k, "_hash", None)


def _flat(k: Knowledge) -> _Flat:
    return _flatten(k._starts, k._vectors, k._items)


def _flatten(
    starts: Iterable[bytes], vectors: Iterable[ClockVector], items: dict[bytes, ClockVector]
) -> _Flat:
    """A partition into segments only: each item exception becomes a one-id segment."""
    starts = list(starts)
    vectors = list(vectors)
    if not items:
        return starts, vectors
    bounds = sorted({*starts, *items, *(_successor(gid) for gid in items)})
    flat_vectors = []
    for bound in bounds:
        cv = items.get(bound)
        if cv is None:
            cv = vectors[bisect_right(starts, bound) - 1]
        flat_vectors.append(cv)
    return bounds, flat_vectors


def _canonical(starts: list[bytes], vectors: list[ClockVector]) -> Knowledge:
    """The canonical knowledge for a flat partition (``starts[0] == b""``, increasing)."""
    run_starts: list[bytes] = []
    run_vectors: list[ClockVector] = []
    for start, cv in zip(starts, vectors, strict=True):
        if not run_vectors or run_vectors[-1] != cv:
            run_starts.append(start)
            run_vectors.append(cv)
    items: dict[bytes, ClockVector] = {}
    seg_starts: list[bytes] = []
    seg_vectors: list[ClockVector] = []
    last = len(run_starts) - 1
    for i, (start, cv) in enumerate(zip(run_starts, run_vectors, strict=True)):
        if i < last and run_starts[i + 1] == _successor(start):
            items[start] = cv  # a run of exactly one id
        elif not seg_vectors:
            seg_starts.append(b"")  # the first wide run also covers any one-id runs before it
            seg_vectors.append(cv)
        elif seg_vectors[-1] != cv:
            seg_starts.append(start)
            seg_vectors.append(cv)
    for gid in [gid for gid, cv in items.items() if seg_vectors[_seg_index(seg_starts, gid)] == cv]:
        del items[gid]
    k = object.__new__(Knowledge)
    _init(k, tuple(seg_starts), tuple(seg_vectors), items)
    return k


def _seg_index(starts: list[bytes], gid: bytes) -> int:
    return bisect_right(starts, gid) - 1


def _zip(
    a: tuple[list[bytes], list[_A]], b: tuple[list[bytes], list[_B]]
) -> list[tuple[bytes, _A, _B]]:
    """The common refinement of two partitions: ``(start, value in a, value in b)``."""
    a_starts, a_values = a
    b_starts, b_values = b
    out: list[tuple[bytes, _A, _B]] = []
    for start in sorted({*a_starts, *b_starts}):
        out.append(
            (
                start,
                a_values[bisect_right(a_starts, start) - 1],
                b_values[bisect_right(b_starts, start) - 1],
            )
        )
    return out


def _items_mask(gids: frozenset[bytes]) -> tuple[list[bytes], list[bool]]:
    """A partition that is True exactly on ``gids``."""
    bounds = sorted({b"", *gids, *(_successor(gid) for gid in gids)})
    return bounds, [bound in gids for bound in bounds]


_EMPTY = Knowledge()


# -- encoding ---------------------------------------------------------------------------------


def _put_uint(out: bytearray, value: int) -> None:
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _put_blob(out: bytearray, data: bytes) -> None:
    _put_uint(out, len(data))
    out += data


def _put_vector(out: bytearray, cv: ClockVector, index: dict[bytes, int]) -> None:
    _put_uint(out, len(cv))
    for replica, tick in cv.items():
        _put_uint(out, index[replica])
        _put_uint(out, tick)


_EMPTY_BYTES = _EMPTY.serialize()


class _Reader:
    """Reads the parts of a serialized knowledge, raising ``ValueError`` on bad input."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0

    def byte(self) -> int:
        if self._pos >= len(self._data):
            raise ValueError("truncated knowledge")
        self._pos += 1
        return self._data[self._pos - 1]

    def uint(self) -> int:
        data = self._data
        value = shift = 0
        for n in range(_MAX_VARINT_BYTES):
            if self._pos >= len(data):
                raise ValueError("truncated knowledge")
            byte = data[self._pos]
            self._pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if byte == 0 and n > 0:
                    raise ValueError("non-minimal varint in knowledge")
                return value
        raise ValueError("varint too long in knowledge")

    def blob(self) -> bytes:
        size = self.uint()
        end = self._pos + size
        if end > len(self._data):
            raise ValueError("truncated knowledge")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def vector(self, replicas: list[bytes]) -> ClockVector:
        ticks: dict[bytes, int] = {}
        previous = -1
        for _ in range(self.uint()):
            i = self.uint()
            if i <= previous or i >= len(replicas):
                raise ValueError("bad replica index in knowledge")
            tick = self.uint()
            if tick == 0:
                raise ValueError("zero tick in knowledge")
            ticks[replicas[i]] = tick
            previous = i
        return ClockVector(ticks)

    def finish(self) -> None:
        if self._pos != len(self._data):
            raise ValueError("trailing bytes after knowledge")

"""Clock vectors: for each replica, the highest tick of its changes that are known.

A :class:`ClockVector` maps a replica id to a tick. A replica that is absent has tick 0,
so nothing it made is contained. Zero ticks are never stored: two vectors with the same
meaning are equal values with equal hashes.

Containment tests run for every item of every sync, so :meth:`ClockVector.get` and
:meth:`ClockVector.contains` are a single dictionary lookup, and the hash is computed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from syncgui.engine.ids import Version

MAX_TICK = 2**64 - 1
"""The largest tick a clock vector accepts (ticks are 64-bit counters, as in MSF)."""

_Items = tuple[tuple[bytes, int], ...]


def _check_element(replica: object, tick: object) -> None:
    if not isinstance(replica, bytes):
        raise TypeError(f"replica id must be bytes, not {type(replica).__name__}")
    if not isinstance(tick, int) or isinstance(tick, bool):
        raise TypeError(f"tick must be an int, not {type(tick).__name__}")
    if not 0 <= tick <= MAX_TICK:
        raise ValueError(f"tick out of range: {tick}")


@dataclass(frozen=True, slots=True, eq=False, init=False, repr=False)
class ClockVector:
    """An immutable map replica id -> tick (> 0); a missing replica means tick 0."""

    EMPTY: ClassVar[ClockVector]

    _ticks: dict[bytes, int]
    _items: _Items
    _hash: int

    def __init__(self, ticks: Mapping[bytes, int] | None = None) -> None:
        pairs: list[tuple[bytes, int]] = []
        if ticks:
            for replica, tick in ticks.items():
                _check_element(replica, tick)
                if tick:
                    pairs.append((replica, tick))
        pairs.sort()
        _init(self, tuple(pairs))

    @classmethod
    def of(cls, ticks: Mapping[bytes, int]) -> ClockVector:
        """The vector with these elements (zero ticks are dropped)."""
        return cls(ticks)

    def get(self, replica: bytes) -> int:
        """The tick known for ``replica`` (0 when absent)."""
        return self._ticks.get(replica, 0)

    def contains(self, version: Version) -> bool:
        """Whether the change ``version`` is known: its tick is at most ours for its replica."""
        return version.tick <= self._ticks.get(version.replica, 0)

    def merge(self, other: ClockVector) -> ClockVector:
        """The element-wise maximum of both vectors."""
        if other is self or not other._items:
            return self
        if not self._items:
            return other
        ticks = dict(self._ticks)
        changed = False
        for replica, tick in other._items:
            if tick > ticks.get(replica, 0):
                ticks[replica] = tick
                changed = True
        if not changed:
            return self
        return _make(tuple(sorted(ticks.items())))

    def dominates(self, other: ClockVector) -> bool:
        """Whether every element of ``self`` is >= the same element of ``other``."""
        if other is self:
            return True
        get = self._ticks.get
        return all(tick <= get(replica, 0) for replica, tick in other._items)

    def with_tick(self, replica: bytes, tick: int) -> ClockVector:
        """This vector with ``replica``'s element set to ``tick`` (0 removes it)."""
        _check_element(replica, tick)
        if self._ticks.get(replica, 0) == tick:
            return self
        ticks = dict(self._ticks)
        if tick:
            ticks[replica] = tick
        else:
            del ticks[replica]
        return _make(tuple(sorted(ticks.items())))

    def items(self) -> tuple[tuple[bytes, int], ...]:
        """The ``(replica, tick)`` elements, sorted by replica id."""
        return self._items

    def replicas(self) -> tuple[bytes, ...]:
        """The replica ids with a non-zero tick, sorted."""
        return tuple(replica for replica, _ in self._items)

    def as_dict(self) -> dict[bytes, int]:
        """A fresh ``dict`` copy of the elements (mutating it does not affect the vector)."""
        return dict(self._ticks)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, ClockVector):
            return NotImplemented
        return self._hash == other._hash and self._items == other._items

    def __hash__(self) -> int:
        return self._hash

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __reduce__(self) -> tuple[type[ClockVector], tuple[dict[bytes, int]]]:
        # Rebuild on unpickling: the cached hash of bytes differs between processes.
        return (ClockVector, (dict(self._ticks),))

    def __repr__(self) -> str:
        inner = ", ".join(f"{replica.hex()[:8]}:{tick}" for replica, tick in self._items)
        return f"ClockVector({inner})"


def _init(cv: ClockVector, items: _Items) -> None:
    object.__setattr__(cv, "_ticks", dict(items))
    object.__setattr__(cv, "_items", items)
    object.__setattr__(cv, "_hash", hash(items))


def _make(items: _Items) -> ClockVector:
    """A vector from already valid, sorted, zero-free elements (skips validation)."""
    cv = object.__new__(ClockVector)
    _init(cv, items)
    return cv


EMPTY_CLOCK = ClockVector()
"""The vector that knows nothing."""

ClockVector.EMPTY = EMPTY_CLOCK

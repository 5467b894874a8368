"""Merge bases: versions of items that two replicas are known to share.

A three-way merge compares each side against a common ancestor, so edits to different
fields merge silently and only a field changed differently on both sides is a conflict.
Whenever a pass leaves both sides holding the same content (or the destination's result
descends from the source's content), that content is kept here under its version, with the
knowledge it was made with (what its maker knew of the item: the versions it descends from).
One store serves every partnership, so in a ring of stores (phone, laptop, cloud) a version
agreed between two of them is a base for the third pair too.

The base for a later conflict is chosen among the kept versions that both sides' knowledge
contains (a version both have seen is in both sides' past):

1. a candidate that another candidate was made with is an ancestor of it, and dropped;
2. one candidate left: that is the base;
3. several left (a criss-cross: in a ring, two pairs may each have agreed on a version the
   other pair had not seen): like git's recursive strategy, they are merged pairwise, each
   pair against its own common base chosen the same way, into a virtual base. When that
   merge clashes (or no format is given), the oldest common candidate is the base: an older
   base can only show a conflict, never lose a value silently.

Versions kept before the knowledge was recorded have none: they descend from nothing as far
as this store knows, and among themselves the newest recorded stands for them (the rule
before knowledge was recorded)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from syncgui.engine.errors import SyncError
from syncgui.engine.ids import Version
from syncgui.engine.itemformat import ItemFormat
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.sqlite import connect

# Bases kept per item. A replica that has not synced for a while needs an old one; beyond
# this many newer versions of one contact, a field changed meanwhile may be asked about.
KEEP_PER_ITEM = 16

# How deep virtual bases may nest (each level works on strictly fewer versions anyway).
_MAX_DEPTH = 8


_Row = tuple[bytes, float, bytes | None]  # a kept version's data, time and made-with


@dataclass(frozen=True, slots=True)
class _Kept:
    version: Version
    data: bytes
    made_with: Knowledge | None  # None: kept before knowledge was recorded


class BaseStore:
    """Shared versions per item, in SQLite."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self._db = connect(path)
        # a dry run's versions: gid -> (replica, tick) -> (data, at, made_with)
        self._scratch: dict[bytes, dict[tuple[bytes, int], _Row]] | None = None
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS base(gid BLOB NOT NULL, rep BLOB NOT NULL,"
            " tick INTEGER NOT NULL, data BLOB NOT NULL, at REAL NOT NULL, made_with BLOB,"
            " PRIMARY KEY (gid, rep, tick))"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(base)")}
        if "made_with" not in columns:  # a store from before knowledge was recorded
            self._db.execute("ALTER TABLE base ADD COLUMN made_with BLOB")

    def get(
        self, gid: bytes, *knowledges: Knowledge, format: ItemFormat | None = None
    ) -> bytes | None:
        """The base for a three-way merge of ``gid`` between sides that know
        ``knowledges`` (see the module docstring); ``format`` merges a criss-cross."""
        rows = self._db.execute(
            "SELECT rep, tick, data, at, made_with FROM base WHERE gid=?"
            " ORDER BY at DESC, tick DESC",
            (gid,),
        )
        found = [
            (bytes(rep), int(tick), bytes(data), float(at), mw) for rep, tick, data, at, mw in rows
        ]
        if self._scratch is not None and gid in self._scratch:
            # as put_many would have left the table: replaced by key, the newest kept
            mine = self._scratch[gid]
            found = [r for r in found if (r[0], r[1]) not in mine]
            found += [(rep, tick, data, at, mw) for (rep, tick), (data, at, mw) in mine.items()]
            found.sort(key=lambda r: (r[3], r[1]), reverse=True)
            found = found[:KEEP_PER_ITEM]
        kept = [
            _Kept(
                Version(rep, tick),
                data,
                None if made_with is None else Knowledge.deserialize(bytes(made_with)),
            )
            for rep, tick, data, _at, made_with in found
        ]
        return _choose(gid, kept, knowledges, format, 0)

    def put_many(self, items: Iterable[tuple[bytes, Version, bytes, Knowledge | None]]) -> None:
        """Keep ``(gid, version, data, made_with)``: ``made_with`` is the knowledge the
        version was made with (it is limited to the item here)."""
        now = time.time()
        rows = [
            (
                gid,
                v.replica,
                v.tick,
                data,
                now,
                None if made_with is None else made_with.item_projection(gid),
            )
            for gid, v, data, made_with in items
        ]
        if not rows:
            return
        if self._scratch is not None:
            for gid, rep, tick, data, at, made in rows:
                self._scratch.setdefault(gid, {})[(rep, tick)] = (data, at, made)
            return
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO base (gid, rep, tick, data, at, made_with)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._prune([r[0] for r in rows])
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    @contextmanager
    def scratch(self) -> Iterator[None]:
        """What is kept inside is kept in memory only, and forgotten at the end (a dry
        run). The database is not locked meanwhile: other partnerships share it."""
        if self._scratch is not None:
            raise RuntimeError("a scratch session is open already")
        self._scratch = {}
        try:
            yield
        finally:
            self._scratch = None

    def _prune(self, gids: list[bytes]) -> None:
        for start in range(0, len(gids), 500):
            chunk = gids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            crowded = self._db.execute(
                f"SELECT gid FROM base WHERE gid IN ({marks}) GROUP BY gid HAVING count(*) > ?",
                [*chunk, KEEP_PER_ITEM],
            ).fetchall()
            for (gid,) in crowded:
                self._db.execute(
                    "DELETE FROM base WHERE gid=? AND rowid NOT IN (SELECT rowid FROM base"
                    " WHERE gid=? ORDER BY at DESC, tick DESC LIMIT ?)",
                    (gid, gid, KEEP_PER_ITEM),
                )

    def close(self) -> None:
        self._db.close()


def _choose(
    gid: bytes,
    kept: Sequence[_Kept],
    knowledges: Sequence[Knowledge],
    fmt: ItemFormat | None,
    depth: int,
) -> bytes | None:
    """The base among ``kept`` (newest recorded first) for sides knowing ``knowledges``."""
    common = [c for c in kept if all(k.contains(gid, c.version) for k in knowledges)]
    if not common:
        return None
    tips = _tips(gid, common)
    if len(tips) == 1:
        return tips[0].data
    if fmt is not None and depth < _MAX_DEPTH:
        virtual = _virtual(gid, kept, tips, fmt, depth)
        if virtual is not None:
            return virtual
    return common[-1].data


def _tips(gid: bytes, common: Sequence[_Kept]) -> list[_Kept]:
    """The candidates no other candidate descends from (in ``common``'s order)."""
    newest_legacy = next((c for c in common if c.made_with is None), None)
    candidates = [c for c in common if c.made_with is not None or c is newest_legacy]
    return [
        c
        for c in candidates
        if not any(
            d is not c and d.made_with is not None and d.made_with.contains(gid, c.version)
            for d in candidates
        )
    ]


def _virtual(
    gid: bytes, kept: Sequence[_Kept], tips: Sequence[_Kept], fmt: ItemFormat, depth: int
) -> bytes | None:
    """``tips`` merged pairwise, each pair against its own common base; None on a clash."""
    first, *rest = reversed(tips)  # oldest recorded first
    data, made_with = first.data, first.made_with
    for tip in rest:
        if made_with is None or tip.made_with is None:
            base = None  # no common past known
        else:
            base = _choose(gid, kept, (made_with, tip.made_with), fmt, depth + 1)
        try:
            merged = fmt.merge(base, data, tip.data)
        except SyncError:
            return None
        if merged.data is None:
            return None
        data = merged.data
        made_with = (
            None if made_with is None or tip.made_with is None else made_with.union(tip.made_with)
        )
    return data

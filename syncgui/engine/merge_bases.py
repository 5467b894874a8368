"""Merge bases: versions of items that two replicas are known to share.

A three-way merge compares each side against a common ancestor, so edits to different
fields merge silently and only a field changed differently on both sides is a conflict.
Whenever a pass leaves both sides holding the same content (or the destination's result
descends from the source's content), that content is kept here under its version. The base
for a later conflict is the newest kept version that both sides' knowledge contains: a
version both have seen is in both sides' past. One store serves every partnership, so in a
ring of stores (phone, laptop, cloud) a version agreed between two of them is a base for the
third pair too."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from syncgui.engine.ids import Version
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.sqlite import connect

# Bases kept per item. A replica that has not synced for a while needs an old one; beyond
# this many newer versions of one contact, a field changed meanwhile may be asked about.
KEEP_PER_ITEM = 16


class BaseStore:
    """Shared versions per item, in SQLite."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self._db = connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS base(gid BLOB NOT NULL, rep BLOB NOT NULL,"
            " tick INTEGER NOT NULL, data BLOB NOT NULL, at REAL NOT NULL,"
            " PRIMARY KEY (gid, rep, tick))"
        )

    def get(self, gid: bytes, *knowledges: Knowledge) -> bytes | None:
        """The newest kept version of ``gid`` that every one of ``knowledges`` contains."""
        rows = self._db.execute(
            "SELECT rep, tick, data FROM base WHERE gid=? ORDER BY at DESC, tick DESC", (gid,)
        )
        for rep, tick, data in rows:
            version = Version(bytes(rep), int(tick))
            if all(k.contains(gid, version) for k in knowledges):
                return bytes(data)
        return None

    def put_many(self, items: Iterable[tuple[bytes, Version, bytes]]) -> None:
        now = time.time()
        rows = [(gid, v.replica, v.tick, data, now) for gid, v, data in items]
        if not rows:
            return
        self._db.execute("BEGIN")
        try:
            self._db.executemany("INSERT OR REPLACE INTO base VALUES (?, ?, ?, ?, ?)", rows)
            self._prune([r[0] for r in rows])
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

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

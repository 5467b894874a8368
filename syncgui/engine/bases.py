"""Merge bases: for each item, the content both sides of a partnership last agreed on.

A three-way merge compares each side against this base, so edits to different fields merge
silently and only a field changed differently on both sides is a conflict."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from syncgui.engine.sqlite import connect


class BaseStore:
    """Last agreed content per item, one SQLite database per partnership."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self._db = connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS base(gid BLOB PRIMARY KEY, data BLOB NOT NULL)"
        )

    def get(self, gid: bytes) -> bytes | None:
        row = self._db.execute("SELECT data FROM base WHERE gid=?", (gid,)).fetchone()
        return None if row is None else bytes(row[0])

    def put_many(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        self._db.execute("BEGIN")
        try:
            self._db.executemany("INSERT OR REPLACE INTO base VALUES (?, ?)", items)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()

"""History of every item version a sync overwrote or deleted, for restore."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncgui.engine.replica import HistoryRecord
from syncgui.engine.sqlite import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS history(
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, store TEXT NOT NULL,
    store_name TEXT NOT NULL, partnership TEXT NOT NULL, gid BLOB NOT NULL, uid TEXT NOT NULL,
    label TEXT NOT NULL, reason TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS history_partnership ON history(partnership, at);
"""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    record: HistoryRecord


class HistoryLog:
    """A :class:`~syncgui.engine.replica.HistorySink` in SQLite."""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)

    def keep(self, records: Sequence[HistoryRecord]) -> None:
        rows = [
            (r.at, r.store, r.store_name, r.partnership, r.gid, r.uid, r.label, r.reason, r.data)
            for r in records
        ]
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO history(at, store, store_name, partnership, gid, uid, label, reason,"
            " data) VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )
        self._db.execute("COMMIT")

    def entries(self, partnership: str | None = None) -> list[HistoryEntry]:
        sql = (
            "SELECT id, at, store, store_name, partnership, gid, uid, label, reason, data"
            " FROM history"
        )
        args: tuple[str, ...] = ()
        if partnership is not None:
            sql += " WHERE partnership=?"
            args = (partnership,)
        return [_entry(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def get(self, entry_id: int) -> HistoryEntry | None:
        row = self._db.execute(
            "SELECT id, at, store, store_name, partnership, gid, uid, label, reason, data"
            " FROM history WHERE id=?",
            (entry_id,),
        ).fetchone()
        return None if row is None else _entry(row)

    def close(self) -> None:
        self._db.close()


def _entry(r: Sequence[Any]) -> HistoryEntry:
    rec = HistoryRecord(
        store=str(r[2]),
        store_name=str(r[3]),
        partnership=str(r[4]),
        gid=bytes(r[5]),
        uid=str(r[6]),
        label=str(r[7]),
        data=bytes(r[9]),
        reason=str(r[8]),
        at=float(r[1]),
    )
    return HistoryEntry(int(r[0]), rec)

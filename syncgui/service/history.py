"""History of every item version a sync overwrote or deleted, for restore.

Each entry also keeps the store's own name for the item (``key``: a file name in a folder or
on a phone, an href on a CardDAV server) as it was when the version was kept, so that a
restored card comes back under its own name (``outlook21.vcf``), not one made from its UID.
The engine's :class:`~syncgui.engine.replica.HistoryRecord` does not carry it; the service
gives the log a :data:`KeyLookup` that reads it from the replica's metadata, where the item
row still holds its key when the history is kept (before anything is written)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
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
_COLUMNS = "id, at, store, store_name, partnership, gid, uid, label, reason, data, key"

#: the store's own name for a record's item (None: unknown)
KeyLookup = Callable[[HistoryRecord], str | None]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A kept version; ``key`` is the store's name for the item then (None: not known, for
    entries kept before names were)."""

    id: int
    record: HistoryRecord
    key: str | None = None


class HistoryLog:
    """A :class:`~syncgui.engine.replica.HistorySink` in SQLite; ``key_of`` names each kept
    record's item in its store (see the module doc)."""

    def __init__(self, path: Path | str, key_of: KeyLookup | None = None) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(history)")}
        if "key" not in columns:  # a log from before names were kept
            with contextlib.suppress(sqlite3.OperationalError):  # another process just did
                self._db.execute("ALTER TABLE history ADD COLUMN key TEXT")
        self._key_of = key_of

    def keep(self, records: Sequence[HistoryRecord]) -> None:
        key_of = self._key_of
        rows = [
            (
                r.at,
                r.store,
                r.store_name,
                r.partnership,
                r.gid,
                r.uid,
                r.label,
                r.reason,
                r.data,
                key_of(r) if key_of is not None else None,
            )
            for r in records
        ]
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO history(at, store, store_name, partnership, gid, uid, label, reason,"
            " data, key) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        self._db.execute("COMMIT")

    def rename_partnership(self, old: str, new: str) -> None:
        """Entries of partnership ``old`` are ``new``'s from now on."""
        self._db.execute("UPDATE history SET partnership=? WHERE partnership=?", (new, old))

    def entries(self, partnership: str | None = None) -> list[HistoryEntry]:
        sql = f"SELECT {_COLUMNS} FROM history"
        args: tuple[str, ...] = ()
        if partnership is not None:
            sql += " WHERE partnership=?"
            args = (partnership,)
        return [_entry(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def get(self, entry_id: int) -> HistoryEntry | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM history WHERE id=?", (entry_id,)).fetchone()
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
    return HistoryEntry(int(r[0]), rec, None if r[10] is None else str(r[10]))

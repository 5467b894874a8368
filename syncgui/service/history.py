"""History of every item version a sync overwrote or deleted, for restore.

Each entry also keeps the store's own name for the item (``key``: a file name in a folder or
on a phone, an href on a CardDAV server) as it was when the version was kept, so that a
restored card comes back under its own name (``outlook21.vcf``), not one made from its UID.
The engine's :class:`~syncgui.engine.replica.HistoryRecord` does not carry it; the service
gives the log a :data:`KeyLookup` that reads it from the replica's metadata, where the item
row still holds its key when the history is kept (before anything is written).

The history's size is bounded by the settings ``history_days`` and ``history_versions``
(:meth:`HistoryLog.prune`, after every real session and every restore). The database uses
SQLite's incremental auto-vacuum: the pages a prune frees are given back to the file system
at once (``PRAGMA incremental_vacuum``, cheap: it moves no live page, unlike ``VACUUM``), so
the size :func:`history_usage` reports is the space the kept versions take. That mode can
only be chosen before the first table is made, and even a new database has its write-ahead
log set up before that, so every database is switched over by one ``VACUUM``, at its first
prune that drops something. After a prune the write-ahead log is emptied
(``wal_checkpoint(TRUNCATE)``) so that it holds no freed page either."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncgui.engine.ids import Version
from syncgui.engine.replica import HistoryRecord, WriteKind, WriteRecord
from syncgui.engine.sqlite import connect
from syncgui.service.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS history(
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, store TEXT NOT NULL,
    store_name TEXT NOT NULL, partnership TEXT NOT NULL, gid BLOB NOT NULL, uid TEXT NOT NULL,
    label TEXT NOT NULL, reason TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS history_partnership ON history(partnership, at);
CREATE INDEX IF NOT EXISTS history_item ON history(store, gid, at);
CREATE TABLE IF NOT EXISTS writes(
    session TEXT NOT NULL, at REAL NOT NULL, store TEXT NOT NULL, store_name TEXT NOT NULL,
    partnership TEXT NOT NULL, gid BLOB NOT NULL, uid TEXT NOT NULL, label TEXT NOT NULL,
    kind TEXT NOT NULL, version_replica BLOB NOT NULL, version_tick INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS writes_session ON writes(session);
CREATE INDEX IF NOT EXISTS writes_at ON writes(at);
"""
# the versions of each contact in each store past the newest N (?), newest first by time
# then by id (two versions kept in one second keep their order)
_PAST_NEWEST = """
DELETE FROM history WHERE id IN (
    SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY store, gid ORDER BY at DESC, id DESC) AS n
        FROM history)
    WHERE n > ?)
"""
_INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL
_COLUMNS = "id, at, store, store_name, partnership, gid, uid, label, reason, data, key, session"
_WRITE_COLUMNS = (
    "at, store, store_name, partnership, gid, uid, label, kind, version_replica, version_tick"
)

log = logging.getLogger(__name__)

#: the store's own name for each record's item, in the records' order (None: unknown)
KeyLookup = Callable[[Sequence[HistoryRecord]], list[str | None]]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A kept version; ``key`` is the store's name for the item then (None: not known, for
    entries kept before names were)."""

    id: int
    record: HistoryRecord
    key: str | None = None
    session: str | None = None  # the session that replaced it (None: a restore, a resolve)


@dataclass(frozen=True, slots=True)
class HistoryUsage:
    """What the history holds and the space it takes: ``versions`` kept, ``size`` in bytes
    of its database files on disk, the ``oldest`` kept version's time (None: none kept);
    the limits from the settings: ``days`` (a version older is dropped) and
    ``per_contact`` (versions kept per contact and store)."""

    versions: int
    size: int
    oldest: float | None
    days: float
    per_contact: int


class HistoryLog:
    """A :class:`~syncgui.engine.replica.HistorySink` in SQLite; ``key_of`` names each kept
    record's item in its store (see the module doc). Given a ``session`` (the token the
    session log keeps with the session's record), the versions kept and the writes made are
    that session's, which is what undoing it reads (:mod:`syncgui.service.undoing`);
    without one (a restore, a conflict the user settled) writes are not recorded."""

    def __init__(
        self, path: Path | str, key_of: KeyLookup | None = None, session: str | None = None
    ) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(history)")}
        for column in ("key", "session"):  # a log from before names (or undo) were kept
            if column not in columns:
                with contextlib.suppress(sqlite3.OperationalError):  # another process did
                    self._db.execute(f"ALTER TABLE history ADD COLUMN {column} TEXT")
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS history_session ON history(session) WHERE session"
            " IS NOT NULL"
        )
        self._key_of = key_of
        self.session = session

    def set_key_lookup(self, key_of: KeyLookup) -> None:
        """Name kept records' items with ``key_of`` from now on (once the stores are open)."""
        self._key_of = key_of

    def keep(self, records: Sequence[HistoryRecord]) -> None:
        keys = self._key_of(records) if self._key_of is not None else [None] * len(records)
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
                key,
                self.session,
            )
            for r, key in zip(records, keys, strict=True)
        ]
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO history(at, store, store_name, partnership, gid, uid, label, reason,"
            " data, key, session) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        self._db.execute("COMMIT")

    def wrote(self, records: Sequence[WriteRecord]) -> None:
        """Record what a session wrote (nothing outside a session: see the class doc)."""
        if self.session is None:
            return
        rows = [
            (
                self.session,
                r.at,
                r.store,
                r.store_name,
                r.partnership,
                r.gid,
                r.uid,
                r.label,
                r.kind.value,
                r.version.replica,
                r.version.tick,
            )
            for r in records
        ]
        self._db.execute("BEGIN")
        self._db.executemany(
            f"INSERT INTO writes(session, {_WRITE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows
        )
        self._db.execute("COMMIT")

    def writes(self, session: str) -> list[WriteRecord]:
        """What session ``session`` wrote, in the order it wrote it."""
        sql = f"SELECT {_WRITE_COLUMNS} FROM writes WHERE session=? ORDER BY rowid"
        return [
            WriteRecord(
                store=str(r[1]),
                store_name=str(r[2]),
                partnership=str(r[3]),
                gid=bytes(r[4]),
                uid=str(r[5]),
                label=str(r[6]),
                kind=WriteKind(str(r[7])),
                version=Version(bytes(r[8]), int(r[9])),
                at=float(r[0]),
            )
            for r in self._db.execute(sql, (session,))
        ]

    def replaced_by(self, session: str) -> list[HistoryEntry]:
        """The versions session ``session`` overwrote or deleted, in the order it did."""
        sql = f"SELECT {_COLUMNS} FROM history WHERE session=? ORDER BY id"
        return [_entry(r) for r in self._db.execute(sql, (session,))]

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

    def prune(self, older_than: float, per_contact: int) -> int:
        """Drop the versions kept before ``older_than`` (a time) and, for each contact in
        each store, all but the newest ``per_contact``, in one transaction; give the space
        back to the file system. Returns how many were dropped."""
        if per_contact < 1:
            raise ValueError("at least one version per contact is kept")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            dropped = self._db.execute("DELETE FROM history WHERE at < ?", (older_than,)).rowcount
            dropped += self._db.execute(_PAST_NEWEST, (per_contact,)).rowcount
            # what a session wrote is kept as long as the versions it replaced may be
            self._db.execute("DELETE FROM writes WHERE at < ?", (older_than,))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if dropped:
            try:
                self._give_back_space()
            except sqlite3.OperationalError as err:  # busy: the free pages are reused anyway
                log.warning("history: the space of dropped versions not given back yet: %s", err)
        return dropped

    def _give_back_space(self) -> None:
        """Return the free pages to the file system (see the module doc). When this fails,
        later versions reuse those pages, and the next prune that drops some tries again."""
        mode = int(self._db.execute("PRAGMA auto_vacuum").fetchone()[0])
        if mode != _INCREMENTAL:  # a database from before: switched over once
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("VACUUM")
            log.info("history: switched to incremental vacuum (one VACUUM)")
        # as a script: run to its end (a cursor's steps free one page each, then stop)
        self._db.executescript("PRAGMA incremental_vacuum;")
        # the write-ahead log (if one is used) held those pages: empty it, so that the
        # files on disk are the size of what is kept (skipped while another reads)
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def counts(self) -> tuple[int, float | None]:
        """How many versions are kept, and the oldest one's time (None: none)."""
        row = self._db.execute("SELECT count(*), min(at) FROM history").fetchone()
        return int(row[0]), None if row[1] is None else float(row[1])

    def close(self) -> None:
        self._db.close()


def keep_within(history: HistoryLog, settings: Settings) -> None:
    """Keep ``history`` within the limits of ``settings`` (after a real session or a
    restore), saying at INFO how many versions were dropped. A prune that fails (the
    database busy for long) is logged and done at the next one: the sync or restore it
    follows is done, and the versions it would drop are still correct ones to keep."""
    try:
        dropped = history.prune(time.time() - settings.history_seconds, settings.history_versions)
    except sqlite3.Error as err:
        log.warning("history: old versions not dropped this time: %s", err)
        return
    if dropped:
        log.info(
            "history: %d version(s) dropped (history_days=%g, history_versions=%d)",
            dropped,
            settings.history_days,
            settings.history_versions,
        )


def history_usage(path: Path, days: float, per_contact: int) -> HistoryUsage:
    """The history at ``path`` counted (none there: nothing kept; it is not created), with
    the limits ``days`` and ``per_contact`` as the settings say."""
    versions, oldest = 0, None
    if path.exists():
        history = HistoryLog(path)
        try:
            versions, oldest = history.counts()
        finally:
            history.close()
    return HistoryUsage(versions, _files_size(path), oldest, days, per_contact)


def _files_size(path: Path) -> int:
    """Bytes of the database at ``path`` and the files SQLite keeps beside it."""
    total = 0
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):  # not there (now)
            total += os.stat(f"{path}{suffix}").st_size
    return total


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
    key, session = r[10], r[11]
    return HistoryEntry(
        int(r[0]), rec, None if key is None else str(key), None if session is None else str(session)
    )

"""How syncgui opens its SQLite databases (the standard library's sqlite3).

Write-ahead logging (WAL) is the first choice: readers never wait for the writer, and with
``synchronous=NORMAL`` a power cut may lose the last commits but never corrupts. WAL keeps
its index in a ``-shm`` file that every connection maps into memory (``mmap`` with
``MAP_SHARED``); file systems that cannot do that — NFS and SMB homes, a 9p share, a FUSE
file system with direct I/O — answer the first read or write with "disk I/O error"
(``SQLITE_IOERR_SHMMAP``; SQLite's WAL documentation: "WAL does not work over a network
filesystem").

So the first database opened in a folder tells whether WAL works there: a scratch database
in that folder is put in WAL mode and written to (once per folder and process). Where that
fails, every database in the folder uses a rollback journal (``journal_mode=DELETE``) with
``synchronous=FULL`` (in rollback mode NORMAL is not safe against power loss) and normal
file locking: a writer then blocks readers only while it commits, and the desktop app may
still read a store's conflicts while a sync writes to it. (Exclusive locking, the other
choice SQLite offers there, would hold each database for as long as a connection is open,
so a second connection — the app's during a sync, or the CLI while the app runs — would
time out with "database is locked"; it adds no safety to a rollback journal, whose locks
are taken around every transaction.) A database left in WAL mode on such a file system (by
an older syncgui) is switched back under an exclusive lock, the one way SQLite opens a WAL
database without shared memory. Which mode a folder uses, and why, is logged once (at INFO:
the log file has it, ``syncgui-cli -v`` shows it; it is no fault to warn about at every
command)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_BUSY_MS = 10000
_IOERR = 10  # SQLite's primary result code for an I/O error (extended codes: SHMMAP etc.)
_WAL_HEADER = b"\x02\x02"  # bytes 18-19 of the database header: the file is in WAL mode

_modes: dict[str, str | None] = {}  # folder -> why WAL cannot be used there (None: it can)
_modes_lock = threading.Lock()


class WalUnusable(Exception):
    """WAL cannot be used in this folder; the message says why."""


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) and a patient busy
    timeout for the other syncgui process that may hold the database for a moment; with
    write-ahead logging and ``synchronous=NORMAL`` where the file system allows it, else a
    rollback journal with ``synchronous=FULL`` (see the module doc). Either way a power cut
    never corrupts the database, and knowledge can then only lag behind data, never run
    ahead."""
    text = str(path)
    if text == ":memory:" or text.startswith("file:"):  # no file of its own to look at
        db = _open(text)
        db.execute("PRAGMA journal_mode=WAL")  # an in-memory database keeps its own
        db.execute("PRAGMA synchronous=NORMAL")
        return db
    folder = os.path.dirname(os.path.abspath(text))
    why = _wal_problem(folder)
    if why is None:
        try:
            return _open_wal(text)
        except WalUnusable as err:  # this database, unlike the scratch one: say so, go on
            why = str(err)
            with _modes_lock:
                _modes[folder] = why
            _log_rollback(folder, why)
    return _open_rollback(text)


def journal_mode(db: sqlite3.Connection) -> str:
    """The journal mode ``db`` uses ("wal" or "delete")."""
    return str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _open(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
    return db


def _open_wal(path: str) -> sqlite3.Connection:
    """``path`` in WAL mode; WalUnusable (the connection closed) when the file system
    refuses the shared memory WAL needs."""
    db = _open(path)
    try:
        _try_wal(db)
    except BaseException:
        db.close()
        raise
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def _try_wal(db: sqlite3.Connection) -> None:
    try:
        mode = str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        if mode != "wal":
            raise WalUnusable(f"SQLite kept the {mode} journal when asked for WAL")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # maps the -shm file
    except sqlite3.OperationalError as err:
        if _is_io_error(err):
            raise WalUnusable(_describe(err)) from err
        raise


def _open_rollback(path: str) -> sqlite3.Connection:
    """``path`` with a rollback journal; a database in WAL mode is switched over first."""
    if _in_wal_mode(path):
        db = _open(path)
        try:
            # exclusive before the first access: SQLite then keeps the WAL index in memory
            # and never maps the -shm file, so the database can be opened and switched
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("PRAGMA journal_mode=DELETE").fetchone()
            log.info("%s: switched from the write-ahead log to a rollback journal", path)
        finally:
            db.close()
    db = _open(path)
    try:
        mode = str(db.execute("PRAGMA journal_mode=DELETE").fetchone()[0]).lower()
        if mode != "delete":  # pragma: no cover - SQLite always allows this switch
            log.warning("%s: SQLite keeps the %s journal", path, mode)
        db.execute("PRAGMA synchronous=FULL")
    except BaseException:
        db.close()
        raise
    return db


def _in_wal_mode(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18:20] == _WAL_HEADER


def _wal_problem(folder: str) -> str | None:
    """Why WAL cannot be used in ``folder`` (None: it can), found out once per process."""
    with _modes_lock:
        if folder in _modes:
            return _modes[folder]
        why = _probe(folder)
        _modes[folder] = why
    if why is None:
        log.debug("SQLite databases in %s use a write-ahead log", folder)
    else:
        _log_rollback(folder, why)
    return why


def _probe(folder: str) -> str | None:
    """Put a scratch database in ``folder`` in WAL mode and write to it; why that failed,
    or None. A folder that cannot take the scratch file (missing, read-only) is not held
    against WAL: the real database then says what is wrong."""
    scratch = os.path.join(folder, f".syncgui-wal-check-{os.getpid()}-{threading.get_ident()}")
    try:
        db = _open(scratch)
    except sqlite3.Error:
        return None
    try:
        db.execute("PRAGMA synchronous=OFF")  # a scratch file: no need to wait for the disk
        _try_wal(db)
        db.execute("CREATE TABLE IF NOT EXISTS probe(x)")
        db.execute("INSERT INTO probe VALUES (1)")
    except WalUnusable as err:
        return str(err)
    except sqlite3.Error as err:
        if _is_io_error(err):
            return _describe(err)
        return None
    finally:
        db.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.remove(scratch + suffix)
    return None


def _is_io_error(err: sqlite3.Error) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF == _IOERR
    return "disk i/o error" in str(err).lower()


def _describe(err: sqlite3.Error) -> str:
    name = getattr(err, "sqlite_errorname", None)
    return f"{err} ({name})" if name else str(err)


def _log_rollback(folder: str, why: str) -> None:
    log.info(
        "SQLite databases in %s use a rollback journal: this file system cannot hold a "
        "write-ahead log (%s; its shared memory cannot be mapped, as on NFS, SMB or 9p)",
        folder,
        why,
    )

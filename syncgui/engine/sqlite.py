"""How syncgui opens its SQLite databases (the standard library's sqlite3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), write-ahead logging,
    ``synchronous=NORMAL`` (a power cut may lose the last commits but never corrupts, and
    knowledge can then only lag behind data, never run ahead) and a patient busy timeout
    for the other syncgui process that may hold the database for a moment."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=10000")
    return db

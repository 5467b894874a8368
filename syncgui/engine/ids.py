"""Identifiers: replica ids, item global ids and versions.

A version is ``(replica id, tick)``: the replica that made the last change and its tick
counter at that moment. Versions name the replica by its full 16-byte id rather than by a
per-replica key map; knowledge serialization compresses ids into a table instead.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

REPLICA_ID_LEN = 16
GID_LEN = 16


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """One change: made by ``replica`` at its tick ``tick`` (ticks start at 1)."""

    replica: bytes
    tick: int

    def __str__(self) -> str:
        return f"{self.replica.hex()[:8]}:{self.tick}"


def new_replica_id() -> bytes:
    """A fresh random 16-byte replica id."""
    return os.urandom(REPLICA_ID_LEN)


def gid_for_uid(uid: str) -> bytes:
    """The global id of the item whose identity is ``uid``.

    Deriving the global id from the UID lets two stores that already hold the same card
    (same UID) recognise it as one item on their first sync, and makes a write that was
    interrupted before its metadata was committed come back as the same item, never as a
    duplicate.
    """
    return hashlib.sha256(b"uid:" + uid.encode("utf-8")).digest()[:GID_LEN]


def synthesize_uid(seed: bytes) -> str:
    """A stable UUID-shaped UID for an item that has none, derived from ``seed``."""
    h = hashlib.sha256(b"syncgui-uid:" + seed).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def content_hash(data: bytes) -> str:
    """A short digest of item bytes, used to tell a real edit from a touch."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()

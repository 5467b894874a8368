"""The item rows of a saved phone state as one table of columns (state format 2).

A no-op sync reads the whole state from the phone, so decoding it is per-item work on every
sync: format 1 kept each row as a property bag (about a dozen typed entries, each parsed,
checked and hashed on its own). Here each field is one column
(:mod:`~syncgui.providers.mtp.props.columns`), leaving per row only the making of the
engine's values::

    count u32
    flags u8 * count                   bit 0 deleted; 1 key, 2 stamp, 3 hash, 4 own UID present
    gid          byte strings
    created_by   u32 * count           index into the state's replica table
    created_at   u64 * count
    changed_by   u32 * count
    changed_at   u64 * count
    changed_when f64 * count
    uid, label, key, stamp, hash, own_uid   text

An absent optional value has length 0 and its flag clear. Anything that does not add up
exactly raises ``ValueError`` (``struct.error`` for a table cut short).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta
from syncgui.engine.metadata import ItemRow
from syncgui.providers.mtp.props.columns import (
    ColumnReader,
    pack_blobs,
    pack_count,
    pack_numbers,
    pack_strings,
)

DELETED: Final = 1
HAS_KEY: Final = 2
HAS_STAMP: Final = 4
HAS_HASH: Final = 8
HAS_OWN_UID: Final = 16
_KNOWN_FLAGS: Final = DELETED | HAS_KEY | HAS_STAMP | HAS_HASH | HAS_OWN_UID


def encode_table(rows: Sequence[ItemRow], index: dict[bytes, int]) -> bytes:
    """The table of ``rows``; ``index`` maps replica ids to their place in the state's
    replica table and gains the ones seen first here."""

    def at(replica: bytes) -> int:
        return index.setdefault(replica, len(index))

    metas = [row.meta for row in rows]
    flags = bytes(
        (DELETED if m.deleted else 0)
        | (0 if row.key is None else HAS_KEY)
        | (0 if row.stamp is None else HAS_STAMP)
        | (0 if row.hash is None else HAS_HASH)
        | (0 if row.own_uid is None else HAS_OWN_UID)
        for row, m in zip(rows, metas, strict=True)
    )
    return b"".join(
        [
            pack_count(len(rows)),
            flags,
            pack_blobs([m.gid for m in metas]),
            pack_numbers("I", [at(m.created.replica) for m in metas]),
            pack_numbers("Q", [m.created.tick for m in metas]),
            pack_numbers("I", [at(m.version.replica) for m in metas]),
            pack_numbers("Q", [m.version.tick for m in metas]),
            pack_numbers("d", [m.changed_at for m in metas]),
            pack_strings([m.uid for m in metas]),
            pack_strings([m.label for m in metas]),
            pack_strings([row.key or "" for row in rows]),
            pack_strings([row.stamp or "" for row in rows]),
            pack_strings([row.hash or "" for row in rows]),
            pack_strings([row.own_uid or "" for row in rows]),
        ]
    )


def decode_table(data: bytes, replicas: Sequence[bytes]) -> tuple[ItemRow, ...]:
    """The rows in ``data``; ``replicas`` is the state's replica table."""
    reader = ColumnReader(data)
    count = reader.count()
    flags = reader.take(count)
    if flags and max(flags) > _KNOWN_FLAGS:
        raise ValueError("unknown row flags")
    gids = reader.blobs(count)
    created_by, created_at = reader.ints("I", count), reader.ints("Q", count)
    changed_by, changed_at = reader.ints("I", count), reader.ints("Q", count)
    when = reader.floats(count)
    uids, labels = reader.strings(count), reader.strings(count)
    keys, stamps = _optional(reader, flags, HAS_KEY), _optional(reader, flags, HAS_STAMP)
    hashes = _optional(reader, flags, HAS_HASH)
    own_uids = _optional(reader, flags, HAS_OWN_UID)
    reader.end()
    rows = []
    for f, gid, uid, label, cb, ca, xb, xa, at, key, stamp, digest, own_uid in zip(
        flags,
        gids,
        uids,
        labels,
        created_by,
        created_at,
        changed_by,
        changed_at,
        when,
        keys,
        stamps,
        hashes,
        own_uids,
        strict=True,
    ):
        created = Version(replicas[cb], ca)
        # never changed since it was made: one value serves as both versions
        version = created if cb == xb and ca == xa else Version(replicas[xb], xa)
        meta = ItemMeta(gid, uid, label, created, version, bool(f & DELETED), at)
        rows.append(ItemRow(meta, key, stamp, digest, own_uid))
    return tuple(rows)


def _optional(reader: ColumnReader, flags: bytes, bit: int) -> list[str | None]:
    values = reader.strings(len(flags))
    return [v if f & bit else None for v, f in zip(values, flags, strict=True)]

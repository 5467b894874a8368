"""The item rows of a saved phone state as one table of columns (state format 2).

A no-op sync reads the whole state from the phone, so decoding it is per-item work on every
sync: format 1 kept each row as a property bag (about a dozen typed entries, each parsed,
checked and hashed on its own). Here each field is one column, and a column is decoded in
one call (``struct`` for numbers, one UTF-8 decode for a column of strings, cut up by their
lengths), leaving per row only the making of the engine's values. All little-endian::

    count u32
    flags u8 * count                   bit 0 deleted; 1 key, 2 stamp, 3 hash, 4 own UID present
    gid          blobs                 (see below)
    created_by   u32 * count           index into the state's replica table
    created_at   u64 * count
    changed_by   u32 * count
    changed_at   u64 * count
    changed_when f64 * count
    uid, label, key, stamp, hash, own_uid   strings

``blobs`` is ``u32 * count`` byte lengths, a u32 total, then the bytes; ``strings`` the same
with lengths in code points and the text as UTF-8 (lone surrogates pass through). An absent
optional value has length 0 and its flag clear. Anything that does not add up exactly raises
``ValueError`` (``struct.error`` for a table cut short).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from itertools import accumulate, pairwise
from typing import Final

from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta
from syncgui.engine.metadata import ItemRow

DELETED: Final = 1
HAS_KEY: Final = 2
HAS_STAMP: Final = 4
HAS_HASH: Final = 8
HAS_OWN_UID: Final = 16
_KNOWN_FLAGS: Final = DELETED | HAS_KEY | HAS_STAMP | HAS_HASH | HAS_OWN_UID
_U32 = struct.Struct("<I")


def encode_table(rows: Sequence[ItemRow], index: dict[bytes, int]) -> bytes:
    """The table of ``rows``; ``index`` maps replica ids to their place in the state's
    replica table and gains the ones seen first here."""

    def at(replica: bytes) -> int:
        return index.setdefault(replica, len(index))

    count = len(rows)
    metas = [row.meta for row in rows]
    flags = bytes(
        (DELETED if m.deleted else 0)
        | (0 if row.key is None else HAS_KEY)
        | (0 if row.stamp is None else HAS_STAMP)
        | (0 if row.hash is None else HAS_HASH)
        | (0 if row.own_uid is None else HAS_OWN_UID)
        for row, m in zip(rows, metas, strict=True)
    )
    out = [_U32.pack(count), flags, _blobs([m.gid for m in metas])]
    out.append(struct.pack(f"<{count}I", *[at(m.created.replica) for m in metas]))
    out.append(struct.pack(f"<{count}Q", *[m.created.tick for m in metas]))
    out.append(struct.pack(f"<{count}I", *[at(m.version.replica) for m in metas]))
    out.append(struct.pack(f"<{count}Q", *[m.version.tick for m in metas]))
    out.append(struct.pack(f"<{count}d", *[m.changed_at for m in metas]))
    out.append(_strings([m.uid for m in metas]))
    out.append(_strings([m.label for m in metas]))
    for column in (
        [row.key for row in rows],
        [row.stamp for row in rows],
        [row.hash for row in rows],
        [row.own_uid for row in rows],
    ):
        out.append(_strings([value or "" for value in column]))
    return b"".join(out)


def decode_table(data: bytes, replicas: Sequence[bytes]) -> tuple[ItemRow, ...]:
    """The rows in ``data``; ``replicas`` is the state's replica table."""
    reader = _Reader(data)
    count = reader.u32()
    flags = reader.take(count)
    if flags and max(flags) > _KNOWN_FLAGS:
        raise ValueError("unknown row flags")
    gids = reader.blobs(count)
    created_by, created_at = reader.ints("I", count), reader.ints("Q", count)
    changed_by, changed_at = reader.ints("I", count), reader.ints("Q", count)
    when = reader.floats(count)
    uids, labels = reader.strings(count), reader.strings(count)
    keys, stamps = reader.optional(count, flags, HAS_KEY), reader.optional(count, flags, HAS_STAMP)
    hashes = reader.optional(count, flags, HAS_HASH)
    own_uids = reader.optional(count, flags, HAS_OWN_UID)
    if reader.pos != len(data):
        raise ValueError(f"{len(data) - reader.pos} bytes after the item table")
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


def _blobs(values: list[bytes]) -> bytes:
    joined = b"".join(values)
    lengths = struct.pack(f"<{len(values)}I", *map(len, values))
    return lengths + _U32.pack(len(joined)) + joined


def _strings(values: list[str]) -> bytes:
    joined = "".join(values).encode("utf-8", "surrogatepass")
    lengths = struct.pack(f"<{len(values)}I", *map(len, values))
    return lengths + _U32.pack(len(joined)) + joined


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise ValueError("the item table is cut short")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def u32(self) -> int:
        (number,) = _U32.unpack_from(self.data, self.pos)
        self.pos += 4
        return int(number)

    def ints(self, code: str, count: int) -> tuple[int, ...]:
        layout = struct.Struct(f"<{count}{code}")
        values: tuple[int, ...] = layout.unpack_from(self.data, self.pos)
        self.pos += layout.size
        return values

    def floats(self, count: int) -> tuple[float, ...]:
        layout = struct.Struct(f"<{count}d")
        values: tuple[float, ...] = layout.unpack_from(self.data, self.pos)
        self.pos += layout.size
        return values

    def _cut(self, count: int) -> tuple[list[int], bytes]:
        """A column's lengths and its bytes."""
        lengths = self.ints("I", count)
        return list(accumulate(lengths, initial=0)), self.take(self.u32())

    def blobs(self, count: int) -> list[bytes]:
        ends, joined = self._cut(count)
        if ends[-1] != len(joined):
            raise ValueError("a column's lengths do not add up")
        return [joined[a:b] for a, b in pairwise(ends)]

    def strings(self, count: int) -> list[str]:
        ends, joined = self._cut(count)
        text = joined.decode("utf-8", "surrogatepass")
        if ends[-1] != len(text):
            raise ValueError("a column's lengths do not add up")
        return [text[a:b] for a, b in pairwise(ends)]

    def optional(self, count: int, flags: bytes, bit: int) -> list[str | None]:
        values = self.strings(count)
        return [v if f & bit else None for v, f in zip(values, flags, strict=True)]

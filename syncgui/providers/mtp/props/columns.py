"""Tables of columns in one byte buffer, for many rows of the same fields (a phone's saved
item rows, a folder listing from the device helper) that a property bag carries as one
``VT_VECTOR_UI1`` entry.

A bag per row costs a dozen typed entries, each parsed, checked and hashed on its own; a
column is packed and read in one call instead (``struct`` for numbers, one UTF-8 text for
a column of strings, cut up by their lengths). All little-endian: a column of numbers is
``count`` packed values; of byte strings, ``u32 * count`` lengths, a u32 total, the bytes;
of text, the same with lengths in code points and the text in UTF-8 (lone surrogates pass
through). :class:`ColumnReader` raises ``ValueError`` for anything that does not add up
exactly (``struct.error`` for a buffer cut short inside numbers).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from itertools import accumulate, pairwise
from typing import Final

_U32: Final = struct.Struct("<I")


def pack_count(count: int) -> bytes:
    return _U32.pack(count)


def pack_numbers(code: str, values: Sequence[int] | Sequence[float]) -> bytes:
    """``values`` as ``struct`` format ``code`` (``I``, ``Q``, ``d``, ``B``)."""
    return struct.pack(f"<{len(values)}{code}", *values)


def pack_blobs(values: Sequence[bytes]) -> bytes:
    joined = b"".join(values)
    return pack_numbers("I", [len(v) for v in values]) + _U32.pack(len(joined)) + joined


def pack_strings(values: Sequence[str]) -> bytes:
    joined = "".join(values).encode("utf-8", "surrogatepass")
    return pack_numbers("I", [len(v) for v in values]) + _U32.pack(len(joined)) + joined


class ColumnReader:
    """Reads the columns of one buffer in the order they were packed."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise ValueError("the table is cut short")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def count(self) -> int:
        (number,) = _U32.unpack_from(self.data, self.pos)
        self.pos += 4
        return int(number)

    # struct's module functions keep the formats they compiled (a Struct made here would
    # compile its format on every call)
    def ints(self, code: str, count: int) -> tuple[int, ...]:
        layout = f"<{count}{code}"
        values: tuple[int, ...] = struct.unpack_from(layout, self.data, self.pos)
        self.pos += struct.calcsize(layout)
        return values

    def floats(self, count: int) -> tuple[float, ...]:
        layout = f"<{count}d"
        values: tuple[float, ...] = struct.unpack_from(layout, self.data, self.pos)
        self.pos += struct.calcsize(layout)
        return values

    def _cut(self, count: int) -> tuple[list[int], bytes]:
        """A column's ends (from 0) and its bytes."""
        lengths = self.ints("I", count)
        return list(accumulate(lengths, initial=0)), self.take(self.count())

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

    def end(self) -> None:
        """Check that every byte was read."""
        if self.pos != len(self.data):
            raise ValueError(f"{len(self.data) - self.pos} bytes after the table")

"""The compact binary codec of a :class:`~syncgui.providers.mtp.props.propbag.PropertyBag`.

Codec (:func:`encode`/:func:`decode`), all integers as LEB128 varints::

    "WPB" version(1)  n_fmtids  fmtid[16 bytes, RFC 4122 order] * n_fmtids  bag
    bag   := n_entries entry*
    entry := fmtid_index pid vt value

Values: unsigned varint (UI1/UI4/UI8), zigzag varint (I4/I8/ERROR), one byte 0/1 (BOOL),
8-byte little-endian IEEE double (R8/DATE), length + UTF-8 (LPWSTR; lone surrogates pass
through), 16 bytes (CLSID), length + bytes (VECTOR_UI1), a nested bag (UNKNOWN), a count
and that many bags (VECTOR_UNKNOWN), nothing (EMPTY). One fmtid table serves the whole
tree. Decoding rejects anything malformed with :class:`CodecError`: unknown VARTYPEs,
out-of-range values, overlong varints, duplicate keys or fmtids, nesting deeper than
:data:`MAX_DEPTH`, length fields beyond the data (so no large allocation), trailing bytes.

:func:`encode_object` is the form stored on a device: ``"WPO" version length(4) payload
crc32(4)``, so that a partial object left by a cable pull is detected.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from typing import Final, cast

from syncgui.providers.mtp.props.propbag import (
    INT_RANGES,
    VT,
    VT_BY_NUMBER,
    PropertyBag,
    PropertyKey,
    PropVariant,
)

MAGIC: Final = b"WPB"
OBJECT_MAGIC: Final = b"WPO"
FORMAT_VERSION: Final = 1
MAX_DEPTH: Final = 32  # nested bags below the top one

_SIGNED: Final = frozenset({VT.I4, VT.I8, VT.ERROR})
_DOUBLE = struct.Struct("<d")
# The VARTYPEs whose decoded values need no check: of the right type, and in range (a
# varint is below 2**64, so every UI8 and, zigzagged, every I8 fits).
_IN_RANGE: Final = frozenset(
    {VT.EMPTY, VT.BOOL, VT.R8, VT.CLSID, VT.LPWSTR, VT.VECTOR_UI1, VT.UI8, VT.I8}
    | {VT.UNKNOWN, VT.VECTOR_UNKNOWN}
)


class CodecError(ValueError):
    """Bytes that are not a valid encoded property bag (or a bag that cannot be encoded)."""


def _put_varint(out: bytearray, number: int) -> None:
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)


def _zigzag(number: int) -> int:
    return number * 2 if number >= 0 else -number * 2 - 1


def _unzigzag(number: int) -> int:
    return number >> 1 if not number & 1 else -((number + 1) >> 1)


def _varint_bytes(number: int) -> bytes:
    out = bytearray()
    _put_varint(out, number)
    return bytes(out)


_VT_BYTES: Final[dict[VT, bytes]] = {vt: _varint_bytes(vt) for vt in VT}


class _Writer:
    __slots__ = ("body", "fmtids", "heads")

    def __init__(self) -> None:
        self.fmtids: dict[uuid.UUID, int] = {}
        # Each key's encoded fmtid index and pid, once made: a listing repeats its keys.
        self.heads: dict[PropertyKey, bytes] = {}
        self.body = bytearray()

    def head(self, key: PropertyKey) -> bytes:
        index = self.fmtids.setdefault(key.fmtid, len(self.fmtids))
        pid = key.pid
        if index < 0x80 and pid < 0x80:  # one byte each: the usual case
            head = bytes((index, pid))
        else:
            head = _varint_bytes(index) + _varint_bytes(pid)
        self.heads[key] = head
        return head

    def bag(self, bag: PropertyBag, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise CodecError(f"bags nest deeper than {MAX_DEPTH} (or a bag contains itself)")
        out = self.body
        _put_varint(out, len(bag))
        heads = self.heads
        for key, variant in bag.items():
            out += heads.get(key) or self.head(key)
            vt = variant.vt
            out += _VT_BYTES[vt]
            if vt in INT_RANGES:  # the most common values, inline
                number = _zigzag(cast(int, variant.value)) if vt in _SIGNED else variant.value
                if cast(int, number) < 0x80:
                    out.append(cast(int, number))
                else:
                    _put_varint(out, cast(int, number))
            else:
                self.value(vt, variant.value, depth)

    def value(self, vt: VT, value: object, depth: int) -> None:
        out = self.body
        if vt in INT_RANGES:
            _put_varint(out, _zigzag(cast(int, value)) if vt in _SIGNED else cast(int, value))
        elif vt is VT.BOOL:
            out.append(1 if value else 0)
        elif vt in (VT.R8, VT.DATE):
            out += _DOUBLE.pack(value)
        elif vt is VT.CLSID:
            out += cast(uuid.UUID, value).bytes
        elif vt in (VT.LPWSTR, VT.VECTOR_UI1):
            data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
            _put_varint(out, len(cast(bytes, data)))
            out += cast(bytes, data)
        elif vt is VT.UNKNOWN:
            self.bag(cast(PropertyBag, value), depth + 1)
        elif vt is VT.VECTOR_UNKNOWN:
            bags = cast("tuple[PropertyBag, ...]", value)
            _put_varint(out, len(bags))
            for item in bags:
                self.bag(item, depth + 1)


# Property keys and fmtids decoded before, shared by all decodes (a listing or a helper
# message repeats the same few): bounded, so that odd input cannot grow them for ever.
_KEYS: Final[dict[tuple[bytes, int], PropertyKey]] = {}
_FMTIDS: Final[dict[bytes, uuid.UUID]] = {}
_CACHE_LIMIT: Final = 4096


def _fmtid(raw: bytes) -> uuid.UUID:
    fmtid = _FMTIDS.get(raw)
    if fmtid is None:
        fmtid = uuid.UUID(bytes=raw)
        if len(_FMTIDS) < _CACHE_LIMIT:
            _FMTIDS[raw] = fmtid
    return fmtid


class _Reader:
    __slots__ = ("data", "fmtids", "keys", "pos", "raw_fmtids")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.fmtids: list[uuid.UUID] = []
        self.raw_fmtids: list[bytes] = []
        # Keys made so far, by (fmtid index, pid): a listing repeats the same few keys in
        # every object's bag, and making (and hashing) a PropertyKey is most of decoding.
        self.keys: dict[int, PropertyKey] = {}  # by index << 64 | pid

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, count: int) -> bytes:
        if count > self.remaining():
            raise CodecError(f"truncated: {count} bytes wanted at offset {self.pos}")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def varint(self) -> int:
        pos = self.pos
        if pos < len(self.data) and self.data[pos] < 0x80:  # one byte: most numbers here
            self.pos = pos + 1
            return self.data[pos]
        number = 0
        for shift in range(0, 70, 7):
            if self.pos >= len(self.data):
                raise CodecError("truncated inside a number")
            byte = self.data[self.pos]
            self.pos += 1
            number |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and shift:
                    raise CodecError(f"overlong number at offset {self.pos - 1}")
                if number >= 2**64:
                    raise CodecError("number larger than 64 bits")
                return number
        raise CodecError("number longer than 10 bytes")

    def key(self, index: int, pid: int) -> PropertyKey:
        if index >= len(self.fmtids):
            raise CodecError(f"fmtid index {index} is not in the table")
        if pid > 0xFFFFFFFF:
            raise CodecError(f"pid {pid} is not a DWORD")
        shared = (self.raw_fmtids[index], pid)
        key = _KEYS.get(shared)
        if key is None:
            key = PropertyKey(self.fmtids[index], pid)
            if len(_KEYS) < _CACHE_LIMIT:
                _KEYS[shared] = key
        self.keys[index << 64 | pid] = key
        return key

    def bag(self, depth: int) -> PropertyBag:
        if depth > MAX_DEPTH:
            raise CodecError(f"bags nest deeper than {MAX_DEPTH}")
        count = self.varint()
        if count > self.remaining() // 3:  # an entry takes at least 3 bytes
            raise CodecError(f"{count} entries cannot fit in {self.remaining()} bytes")
        values: dict[PropertyKey, PropVariant] = {}
        data, keys = self.data, self.keys
        for _ in range(count):
            pos = self.pos
            if pos + 2 <= len(data) and data[pos] | data[pos + 1] < 0x80:
                index, pid = data[pos], data[pos + 1]  # both one byte: the usual case
                self.pos = pos + 2
            else:
                index, pid = self.varint(), self.varint()
            key = keys.get(index << 64 | pid) or self.key(index, pid)
            vt_number = self.varint()
            vt = VT_BY_NUMBER.get(vt_number)
            if vt is None:
                raise CodecError(f"VARTYPE {vt_number} is not supported")
            if key in values:
                raise CodecError(f"{key} appears twice in one bag")
            value = self.value(vt, depth)
            if vt in _IN_RANGE:
                # the value is of the type vt stores, and in its range
                values[key] = PropVariant._trusted(vt, value)
                continue
            try:
                values[key] = PropVariant(vt, value)
            except (TypeError, ValueError) as exc:
                raise CodecError(f"{key}: {exc}") from None
        return PropertyBag._trusted(values)

    def value(self, vt: VT, depth: int) -> object:
        if vt in _SIGNED:
            return _unzigzag(self.varint())
        if vt in INT_RANGES:
            return self.varint()
        if vt is VT.EMPTY:
            return None
        if vt is VT.BOOL:
            flag = self.take(1)[0]
            if flag > 1:
                raise CodecError(f"{flag} is not a boolean")
            return flag == 1
        if vt in (VT.R8, VT.DATE):
            return _DOUBLE.unpack(self.take(8))[0]
        if vt is VT.CLSID:
            return uuid.UUID(bytes=self.take(16))
        if vt is VT.LPWSTR:
            try:
                return self.take(self.varint()).decode("utf-8", "surrogatepass")
            except UnicodeDecodeError as exc:
                raise CodecError(f"a string is not UTF-8: {exc.reason}") from None
        if vt is VT.VECTOR_UI1:
            return self.take(self.varint())
        if vt is VT.UNKNOWN:
            return self.bag(depth + 1)
        if vt is VT.VECTOR_UNKNOWN:
            count = self.varint()
            if count > self.remaining():  # a bag takes at least 1 byte
                raise CodecError(f"{count} bags cannot fit in {self.remaining()} bytes")
            return tuple(self.bag(depth + 1) for _ in range(count))
        raise CodecError(f"VT_{vt.name} cannot be a value")


def encode(bag: PropertyBag) -> bytes:
    """The compact encoding of ``bag`` (see the module docstring)."""
    writer = _Writer()
    writer.bag(bag, 0)
    out = bytearray(MAGIC)
    out.append(FORMAT_VERSION)
    _put_varint(out, len(writer.fmtids))
    for fmtid in writer.fmtids:  # dicts keep insertion order: index order
        out += fmtid.bytes
    out += writer.body
    return bytes(out)


def decode(data: bytes | bytearray | memoryview) -> PropertyBag:
    """The bag encoded in ``data``; :class:`CodecError` if ``data`` is not exactly one."""
    reader = _Reader(bytes(data))
    if reader.data[: len(MAGIC)] != MAGIC or reader.remaining() <= len(MAGIC):
        raise CodecError("not an encoded property bag")
    version = reader.data[len(MAGIC)]
    reader.pos = len(MAGIC) + 1
    if version != FORMAT_VERSION:
        raise CodecError(f"property bag format {version} is not supported")
    count = reader.varint()
    if count > reader.remaining() // 16:
        raise CodecError(f"{count} fmtids cannot fit in {reader.remaining()} bytes")
    reader.raw_fmtids = [reader.take(16) for _ in range(count)]
    reader.fmtids = [_fmtid(raw) for raw in reader.raw_fmtids]
    if len(set(reader.raw_fmtids)) != count:
        raise CodecError("an fmtid appears twice in the table")
    bag = reader.bag(0)
    if reader.remaining():
        raise CodecError(f"{reader.remaining()} bytes after the end of the bag")
    return bag


def encode_object(bag: PropertyBag) -> bytes:
    """``bag`` as stored on a device: checked by length and CRC32 when read back."""
    payload = encode(bag)
    head = OBJECT_MAGIC + bytes([FORMAT_VERSION]) + len(payload).to_bytes(4, "big")
    return head + payload + zlib.crc32(head + payload).to_bytes(4, "big")


def decode_object(data: bytes | bytearray | memoryview) -> PropertyBag:
    """The bag in a stored object; :class:`CodecError` if it is truncated or damaged."""
    data = bytes(data)
    if len(data) < 12 or data[:3] != OBJECT_MAGIC:
        raise CodecError("not a stored property bag (or truncated to its header)")
    if data[3] != FORMAT_VERSION:
        raise CodecError(f"stored property bag format {data[3]} is not supported")
    length = int.from_bytes(data[4:8], "big")
    if len(data) != length + 12:
        state = "truncated" if len(data) < length + 12 else "followed by extra bytes"
        raise CodecError(f"the stored property bag is {state}")
    if zlib.crc32(data[:-4]) != int.from_bytes(data[-4:], "big"):
        raise CodecError("the stored property bag is damaged (checksum mismatch)")
    return decode(data[8:-4])


__all__ = [
    "MAX_DEPTH",
    "CodecError",
    "decode",
    "decode_object",
    "encode",
    "encode_object",
]

"""A typed property bag after WPD's ``IPortableDeviceValues``.

A :class:`PropertyBag` maps :class:`PropertyKey` (a namespace GUID ``fmtid`` and a number
``pid``) to a :class:`PropVariant` (a VARTYPE and a value); keys are unique and keep their
insertion order, values need not share a type, and entries are reachable by key or by
index (``get_at``). Typed accessors mirror WPD's ``Get…Value``/``Set…Value``: a getter
raises ``KeyError`` when the key is missing (unless given a ``default``) and
:class:`PropertyTypeError` when the stored VARTYPE is not the one asked for (WPD answers
with an error HRESULT); setters check the value's range and raise ``ValueError``.

Value representations (what ``PropVariant.value`` holds for each VARTYPE):

* ``I4``, ``I8``, ``ERROR`` (a signed 32-bit HRESULT-like code), ``UI1``, ``UI4``, ``UI8``: int
* ``R8``: float. WPD's ``SetFloatValue`` stores ``VT_R4``; we keep a double so that no
  precision is lost on the way.
* ``DATE``: float **seconds since the Unix epoch (UTC)**, not the OLE Automation day count
  that a ``VT_DATE`` holds on Windows: the rest of syncgui counts in POSIX seconds, and a
  conversion on every hop would round. :func:`ole_date` and :func:`from_ole_date` convert
  where a real OLE date is needed. Must be finite.
* ``BOOL``: bool; ``LPWSTR``: str; ``CLSID``: uuid.UUID; ``EMPTY``: None
* ``VECTOR_UI1`` (``VT_VECTOR|VT_UI1``): bytes
* ``UNKNOWN``: a nested PropertyBag; ``VECTOR_UNKNOWN``: a tuple of PropertyBags

The binary codec of a bag is :mod:`syncgui.providers.mtp.props.propcodec`.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Final, TypeVar, cast

_T = TypeVar("_T")


class VT(IntEnum):
    """WPD VARTYPE numbers (``wtypes.h``) for the types a PropertyBag holds."""

    EMPTY = 0
    I4 = 3
    R8 = 5
    DATE = 7
    ERROR = 10
    BOOL = 11
    UNKNOWN = 13  # a nested bag (WPD: IPortableDeviceValues)
    UI1 = 17
    UI4 = 19
    I8 = 20
    UI8 = 21
    LPWSTR = 31
    CLSID = 72
    VECTOR = 0x1000  # a flag, never a value's type on its own
    VECTOR_UI1 = 0x1011  # VT_VECTOR | VT_UI1: a byte buffer
    VECTOR_UNKNOWN = 0x100D  # VT_VECTOR | VT_UNKNOWN: a list of bags


# The integer VARTYPEs and the values each holds (the codec stores these as varints).
INT_RANGES: Final[Mapping[VT, tuple[int, int]]] = {
    VT.I4: (-(2**31), 2**31 - 1),
    VT.ERROR: (-(2**31), 2**31 - 1),
    VT.I8: (-(2**63), 2**63 - 1),
    VT.UI1: (0, 2**8 - 1),
    VT.UI4: (0, 2**32 - 1),
    VT.UI8: (0, 2**64 - 1),
}
# each VARTYPE by its number (an int or a VT alike: a VT is an IntEnum)
VT_BY_NUMBER: Final[Mapping[object, VT]] = {int(vt): vt for vt in VT}
_OLE_EPOCH_DAYS: Final = 25569.0  # 1970-01-01 as an OLE Automation date (days since 1899-12-30)


class PropertyTypeError(TypeError):
    """A typed getter found the key holding another VARTYPE."""


class _Missing(Enum):
    MISSING = 0


_MISSING: Final = _Missing.MISSING


@dataclass(frozen=True, slots=True)
class PropertyKey:
    """WPD's ``PROPERTYKEY``: a namespace (``fmtid``) and a property number in it."""

    fmtid: uuid.UUID
    pid: int
    # Every bag access hashes its key: computed once (a UUID hashes in Python code).
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.fmtid, uuid.UUID):
            raise TypeError(f"fmtid must be a uuid.UUID, not {type(self.fmtid).__name__}")
        if isinstance(self.pid, bool) or not isinstance(self.pid, int):
            raise TypeError(f"pid must be an int, not {type(self.pid).__name__}")
        if not 0 <= self.pid <= 0xFFFFFFFF:
            raise ValueError(f"pid {self.pid} is not a DWORD")
        object.__setattr__(self, "_hash", hash((self.fmtid.int, self.pid)))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not PropertyKey:
            return NotImplemented
        return self._hash == other._hash and self.pid == other.pid and self.fmtid == other.fmtid

    def __str__(self) -> str:
        return f"{{{str(self.fmtid).upper()}}} {self.pid}"


@dataclass(frozen=True, slots=True)
class PropVariant:
    """A typed value. The constructor checks that ``value`` fits ``vt`` (see the module
    docstring) and normalises it (int to float for R8/DATE, bytearray to bytes, list of
    bags to tuple)."""

    vt: VT
    value: object = None

    def __post_init__(self) -> None:
        vt, value = self.vt, self.value
        if type(vt) is VT:  # fast paths for values already as stored (most of them)
            kind = type(value)
            if _FAST_TYPES.get(vt) is kind:
                return  # a str for LPWSTR, bytes for VECTOR_UI1, ...
            if kind is int and vt in INT_RANGES:
                low, high = INT_RANGES[vt]
                if low <= cast(int, value) <= high:
                    return
        try:
            vt = VT_BY_NUMBER[vt]
        except (KeyError, TypeError):
            raise ValueError(f"VARTYPE {self.vt!r} is not supported") from None
        object.__setattr__(self, "vt", vt)
        object.__setattr__(self, "value", _checked(vt, value))

    def __str__(self) -> str:
        return f"VT_{self.vt.name}:{self.value!r}"

    @classmethod
    def _trusted(cls, vt: VT, value: object) -> PropVariant:
        """A variant made without checks, for the codec's decoder: ``value`` is already
        what ``vt`` stores (see ``propcodec._Reader.bag``)."""
        variant = object.__new__(cls)
        object.__setattr__(variant, "vt", vt)
        object.__setattr__(variant, "value", value)
        return variant


def _checked(vt: VT, value: object) -> object:
    """``value`` as stored for ``vt``; TypeError or ValueError if it does not fit."""
    if vt in INT_RANGES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"VT_{vt.name} needs an int, not {type(value).__name__}")
        low, high = INT_RANGES[vt]
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range for VT_{vt.name} ({low}..{high})")
        return int(value)
    if vt in (VT.R8, VT.DATE):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"VT_{vt.name} needs a float, not {type(value).__name__}")
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"{value} is out of range for VT_{vt.name}") from None
        if vt is VT.DATE and not math.isfinite(number):
            raise ValueError(f"{number} is not a date")
        return number
    if vt is VT.VECTOR_UI1 and isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if vt is VT.VECTOR_UNKNOWN and isinstance(value, list | tuple):
        if not all(isinstance(item, PropertyBag) for item in value):
            raise TypeError("VT_VECTOR_UNKNOWN needs a sequence of PropertyBags")
        return tuple(value)
    wanted = _PLAIN_TYPES.get(vt)
    if wanted is None:
        raise TypeError(f"VT_{vt.name} needs another kind of value than {type(value).__name__}")
    if not isinstance(value, wanted):
        raise TypeError(f"VT_{vt.name} needs a {wanted.__name__}, not {type(value).__name__}")
    return value


def ole_date(seconds: float) -> float:
    """POSIX seconds as an OLE Automation date (what ``VT_DATE`` holds on Windows)."""
    return seconds / 86400.0 + _OLE_EPOCH_DAYS


def from_ole_date(days: float) -> float:
    """An OLE Automation date as POSIX seconds."""
    return (days - _OLE_EPOCH_DAYS) * 86400.0


class PropertyBag(MutableMapping[PropertyKey, PropVariant]):
    """An insertion-ordered ``PropertyKey -> PropVariant`` mapping with WPD's typed accessors."""

    __slots__ = ("_values",)

    def __init__(
        self,
        values: Mapping[PropertyKey, PropVariant] | Iterable[tuple[PropertyKey, PropVariant]] = (),
    ) -> None:
        self._values: dict[PropertyKey, PropVariant] = {}
        self.update(values)

    @classmethod
    def _trusted(cls, values: dict[PropertyKey, PropVariant]) -> PropertyBag:
        """A bag that takes ``values`` as they are, for the codec's decoder (which made and
        checked every key and value)."""
        bag = cls.__new__(cls)
        bag._values = values
        return bag

    def __getitem__(self, key: PropertyKey) -> PropVariant:
        return self._values[key]

    def __setitem__(self, key: PropertyKey, value: PropVariant) -> None:
        if not isinstance(key, PropertyKey):
            raise TypeError(f"keys are PropertyKeys, not {type(key).__name__}")
        if not isinstance(value, PropVariant):
            raise TypeError(f"values are PropVariants, not {type(value).__name__}")
        self._values[key] = value

    def __delitem__(self, key: PropertyKey) -> None:
        del self._values[key]

    def __iter__(self) -> Iterator[PropertyKey]:
        return iter(self._values)

    # The dict's own views and membership test: Mapping's would go through __getitem__.
    def __contains__(self, key: object) -> bool:
        return key in self._values

    def keys(self) -> KeysView[PropertyKey]:
        return self._values.keys()

    def items(self) -> ItemsView[PropertyKey, PropVariant]:
        return self._values.items()

    def values(self) -> ValuesView[PropVariant]:
        return self._values.values()

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{key}: {value}" for key, value in self._values.items())
        return f"PropertyBag({{{inner}}})"

    def get_at(self, index: int) -> tuple[PropertyKey, PropVariant]:
        """The entry at zero-based ``index`` in insertion order (WPD's ``GetAt``)."""
        if not 0 <= index < len(self._values):
            raise IndexError(f"index {index} is outside a bag of {len(self._values)}")
        return next(itertools.islice(self._values.items(), index, None))

    def copy(self) -> PropertyBag:
        """A shallow copy (nested bags are shared)."""
        return PropertyBag(self._values)

    def _get(self, key: PropertyKey, vt: VT, default: object) -> object:
        try:
            variant = self._values[key]
        except KeyError:
            if default is _MISSING:
                raise KeyError(key) from None
            return default
        if variant.vt is not vt:
            raise PropertyTypeError(f"{key} holds VT_{variant.vt.name}, not VT_{vt.name}")
        return variant.value

    # -- setters ----------------------------------------------------------------------

    def set_value(self, key: PropertyKey, vt: VT, value: object) -> None:
        self[key] = PropVariant(vt, value)

    def set_string(self, key: PropertyKey, value: str) -> None:
        self[key] = PropVariant(VT.LPWSTR, value)

    def set_uint32(self, key: PropertyKey, value: int) -> None:
        self[key] = PropVariant(VT.UI4, value)

    def set_uint64(self, key: PropertyKey, value: int) -> None:
        self[key] = PropVariant(VT.UI8, value)

    def set_int32(self, key: PropertyKey, value: int) -> None:
        self[key] = PropVariant(VT.I4, value)

    def set_int64(self, key: PropertyKey, value: int) -> None:
        self[key] = PropVariant(VT.I8, value)

    def set_bool(self, key: PropertyKey, value: bool) -> None:
        self[key] = PropVariant(VT.BOOL, value)

    def set_float(self, key: PropertyKey, value: float) -> None:
        self[key] = PropVariant(VT.R8, value)

    def set_buffer(self, key: PropertyKey, value: bytes | bytearray | memoryview) -> None:
        self[key] = PropVariant(VT.VECTOR_UI1, value)

    def set_guid(self, key: PropertyKey, value: uuid.UUID) -> None:
        self[key] = PropVariant(VT.CLSID, value)

    def set_date(self, key: PropertyKey, seconds: float) -> None:
        """Store POSIX seconds as ``VT_DATE`` (see the module docstring)."""
        self[key] = PropVariant(VT.DATE, seconds)

    def set_error(self, key: PropertyKey, code: int) -> None:
        """Store an HRESULT-like code; the unsigned spelling (``0x80004005``) is stored as
        the signed 32-bit value it stands for, which the getter returns."""
        if not isinstance(code, bool) and isinstance(code, int) and 2**31 <= code < 2**32:
            code -= 2**32
        self[key] = PropVariant(VT.ERROR, code)

    def set_bag(self, key: PropertyKey, value: PropertyBag) -> None:
        self[key] = PropVariant(VT.UNKNOWN, value)

    def set_bags(self, key: PropertyKey, values: Iterable[PropertyBag]) -> None:
        self[key] = PropVariant(VT.VECTOR_UNKNOWN, list(values))

    # -- getters: KeyError when missing (unless a default is given), PropertyTypeError when
    # the stored VARTYPE differs --------------------------------------------------------

    def get_string(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> str | _T:
        return cast("str | _T", self._get(key, VT.LPWSTR, default))

    def get_uint32(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> int | _T:
        return cast("int | _T", self._get(key, VT.UI4, default))

    def get_uint64(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> int | _T:
        return cast("int | _T", self._get(key, VT.UI8, default))

    def get_int32(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> int | _T:
        return cast("int | _T", self._get(key, VT.I4, default))

    def get_int64(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> int | _T:
        return cast("int | _T", self._get(key, VT.I8, default))

    def get_bool(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> bool | _T:
        return cast("bool | _T", self._get(key, VT.BOOL, default))

    def get_float(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> float | _T:
        return cast("float | _T", self._get(key, VT.R8, default))

    def get_buffer(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> bytes | _T:
        return cast("bytes | _T", self._get(key, VT.VECTOR_UI1, default))

    def get_guid(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> uuid.UUID | _T:
        return cast("uuid.UUID | _T", self._get(key, VT.CLSID, default))

    def get_date(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> float | _T:
        """POSIX seconds from a ``VT_DATE`` entry."""
        return cast("float | _T", self._get(key, VT.DATE, default))

    def get_error(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> int | _T:
        return cast("int | _T", self._get(key, VT.ERROR, default))

    def get_bag(self, key: PropertyKey, default: _T | _Missing = _MISSING) -> PropertyBag | _T:
        return cast("PropertyBag | _T", self._get(key, VT.UNKNOWN, default))

    def get_bags(
        self, key: PropertyKey, default: _T | _Missing = _MISSING
    ) -> list[PropertyBag] | _T:
        value = self._get(key, VT.VECTOR_UNKNOWN, default)
        return cast("list[PropertyBag] | _T", list(value) if isinstance(value, tuple) else value)


# The VARTYPEs whose values of exactly this type need no check and no conversion.
_FAST_TYPES: Final[Mapping[object, type]] = {
    VT.LPWSTR: str,
    VT.VECTOR_UI1: bytes,
    VT.BOOL: bool,
    VT.CLSID: uuid.UUID,
    VT.R8: float,
    VT.EMPTY: type(None),
}
_PLAIN_TYPES: Final[Mapping[VT, type]] = {
    VT.EMPTY: type(None),
    VT.BOOL: bool,
    VT.LPWSTR: str,
    VT.CLSID: uuid.UUID,
    VT.UNKNOWN: PropertyBag,
}

__all__ = [
    "INT_RANGES",
    "VT",
    "PropVariant",
    "PropertyBag",
    "PropertyKey",
    "PropertyTypeError",
    "from_ole_date",
    "ole_date",
]

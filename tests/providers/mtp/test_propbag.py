"""The property bag (WPD IPortableDeviceValues) and its codec: typed access, round trips,
compactness, and decoding of damaged input that never crashes."""

from __future__ import annotations

import math
import struct
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncgui.providers.mtp.helper import keys
from syncgui.providers.mtp.props.propbag import (
    VT,
    PropertyBag,
    PropertyKey,
    PropertyTypeError,
    PropVariant,
    from_ole_date,
    ole_date,
)
from syncgui.providers.mtp.props.propcodec import (
    MAX_DEPTH,
    CodecError,
    decode,
    decode_object,
    encode,
    encode_object,
)

NS = uuid.UUID("3F1B4C52-0D0E-4E55-9C7B-1B2A3C4D5E6F")
K = PropertyKey(NS, 2)
OTHER = PropertyKey(NS, 3)

# -- strategies -------------------------------------------------------------------------

INT_RANGES = {
    VT.I4: (-(2**31), 2**31 - 1),
    VT.ERROR: (-(2**31), 2**31 - 1),
    VT.I8: (-(2**63), 2**63 - 1),
    VT.UI1: (0, 255),
    VT.UI4: (0, 2**32 - 1),
    VT.UI8: (0, 2**64 - 1),
}
property_keys = st.builds(
    PropertyKey,
    st.sampled_from([NS, keys.WPD_OBJECT_PROPERTIES_V1, keys.SYNCGUI_MTP]) | st.uuids(),
    st.integers(0, 20) | st.integers(0, 2**32 - 1),
)
texts = st.text() | st.text(st.characters(categories=["Cs", "Co", "Zs", "Mn"]) | st.just("\0"))
scalar_variants = st.one_of(
    st.just(PropVariant(VT.EMPTY, None)),
    *(
        st.builds(PropVariant, st.just(vt), st.integers(lo, hi))
        for vt, (lo, hi) in INT_RANGES.items()
    ),
    st.builds(PropVariant, st.just(VT.R8), st.floats(allow_nan=False)),
    st.builds(PropVariant, st.just(VT.DATE), st.floats(allow_nan=False, allow_infinity=False)),
    st.builds(PropVariant, st.just(VT.BOOL), st.booleans()),
    st.builds(PropVariant, st.just(VT.LPWSTR), texts),
    st.builds(PropVariant, st.just(VT.CLSID), st.uuids()),
    st.builds(PropVariant, st.just(VT.VECTOR_UI1), st.binary(max_size=64)),
)


def bags_of(variants: st.SearchStrategy[PropVariant]) -> st.SearchStrategy[PropertyBag]:
    return st.lists(st.tuples(property_keys, variants), max_size=6).map(PropertyBag)


variants = st.recursive(
    scalar_variants,
    lambda inner: st.one_of(
        bags_of(inner).map(lambda bag: PropVariant(VT.UNKNOWN, bag)),
        st.lists(bags_of(inner), max_size=3).map(lambda b: PropVariant(VT.VECTOR_UNKNOWN, b)),
    ),
    max_leaves=25,
)
bags = bags_of(variants)


def assert_round_trip(bag: PropertyBag) -> None:
    data = encode(bag)
    back = decode(data)
    assert back == bag
    assert list(back) == list(bag)
    assert encode(back) == data  # same order and representation all the way down


def decodes_cleanly(data: bytes, decoder: Callable[[bytes], PropertyBag] = decode) -> None:
    """``data`` is rejected with CodecError or decodes to a bag that round-trips."""
    try:
        bag = decoder(data)
    except CodecError:
        return
    assert_round_trip(bag)


# -- the bag ----------------------------------------------------------------------------


@given(bags)
def test_encoding_round_trips(bag: PropertyBag) -> None:
    assert_round_trip(bag)
    assert decode_object(encode_object(bag)) == bag


def test_nan_infinities_and_negative_zero_keep_their_bits() -> None:
    bag = PropertyBag()
    for pid, number in enumerate([math.nan, math.inf, -math.inf, -0.0, 5e-324]):
        bag.set_float(PropertyKey(NS, pid), number)
    back = decode(encode(bag))
    for pid, number in enumerate([math.nan, math.inf, -math.inf, -0.0, 5e-324]):
        assert struct.pack("<d", back.get_float(PropertyKey(NS, pid))) == struct.pack("<d", number)


TYPED: list[tuple[str, Any, VT]] = [
    ("string", "Ünïcødé ✓ \0 \ud800", VT.LPWSTR),
    ("uint32", 2**32 - 1, VT.UI4),
    ("uint64", 2**64 - 1, VT.UI8),
    ("int32", -(2**31), VT.I4),
    ("int64", -(2**63), VT.I8),
    ("bool", True, VT.BOOL),
    ("float", 0.1, VT.R8),
    ("buffer", bytes(range(256)), VT.VECTOR_UI1),
    ("guid", keys.WPD_CONTENT_TYPE_FOLDER, VT.CLSID),
    ("date", 1_700_000_000.123456, VT.DATE),
    ("error", -2147467259, VT.ERROR),
    ("bag", PropertyBag([(K, PropVariant(VT.UI1, 7))]), VT.UNKNOWN),
    ("bags", [PropertyBag(), PropertyBag([(K, PropVariant(VT.BOOL, False))])], VT.VECTOR_UNKNOWN),
]


@pytest.mark.parametrize(("kind", "value", "vt"), TYPED, ids=[t[0] for t in TYPED])
def test_typed_setter_and_getter(kind: str, value: Any, vt: VT) -> None:
    bag = PropertyBag()
    getattr(bag, f"set_{kind}")(K, value)
    assert bag[K].vt is vt
    assert getattr(bag, f"get_{kind}")(K) == value
    assert getattr(bag, f"get_{kind}")(OTHER, None) is None
    with pytest.raises(KeyError):
        getattr(bag, f"get_{kind}")(OTHER)
    assert decode(encode(bag)) == bag
    for other_kind, _, other_vt in TYPED:
        if other_vt is not vt:
            with pytest.raises(PropertyTypeError, match=f"VT_{vt.name}"):
                getattr(bag, f"get_{other_kind}")(K)
            with pytest.raises(PropertyTypeError):  # a default does not hide a mismatch
                getattr(bag, f"get_{other_kind}")(K, default=None)


def test_type_mismatch_is_a_type_error_like_wpds_error_hresult() -> None:
    bag = PropertyBag()
    bag.set_uint64(K, 5)
    with pytest.raises(TypeError):
        bag.get_uint32(K)  # no silent narrowing or widening between VARTYPEs


@pytest.mark.parametrize(
    ("setter", "bad"),
    [
        ("set_uint32", [-1, 2**32]),
        ("set_uint64", [-1, 2**64]),
        ("set_int32", [-(2**31) - 1, 2**31]),
        ("set_int64", [-(2**63) - 1, 2**63]),
        ("set_error", [-(2**31) - 1, 2**32]),
        ("set_date", [math.nan, math.inf, 10**400]),
        ("set_float", [10**400]),
    ],
)
def test_setters_check_ranges(setter: str, bad: list[Any]) -> None:
    bag = PropertyBag()
    for value in bad:
        with pytest.raises(ValueError):
            getattr(bag, setter)(K, value)
    assert K not in bag


@pytest.mark.parametrize(
    ("setter", "value"),
    [
        ("set_uint32", True),
        ("set_uint32", "1"),
        ("set_int64", 1.0),
        ("set_float", "x"),
        ("set_float", False),
        ("set_string", b"bytes"),
        ("set_buffer", "text"),
        ("set_guid", "27E2E392-A111-48E0-AB0C-E17705A05F85"),
        ("set_bool", 1),
        ("set_bag", {}),
        ("set_bags", [{}]),
    ],
)
def test_setters_check_types(setter: str, value: Any) -> None:
    with pytest.raises(TypeError):
        getattr(PropertyBag(), setter)(K, value)


def test_set_error_takes_the_unsigned_hresult_spelling() -> None:
    bag = PropertyBag()
    bag.set_error(K, 0x80004005)  # E_FAIL
    assert bag.get_error(K) == -2147467259
    assert bag[K] == PropVariant(VT.ERROR, -2147467259)


def test_order_index_and_replacement() -> None:
    bag = PropertyBag()
    for pid in (9, 2, 5):
        bag.set_uint32(PropertyKey(NS, pid), pid)
    bag.set_string(PropertyKey(NS, 2), "replaced")  # keeps its place, as a dict does
    assert [key.pid for key in bag] == [9, 2, 5]
    assert bag.get_at(1) == (PropertyKey(NS, 2), PropVariant(VT.LPWSTR, "replaced"))
    with pytest.raises(IndexError):
        bag.get_at(3)
    with pytest.raises(IndexError):
        bag.get_at(-1)
    del bag[PropertyKey(NS, 9)]
    assert bag.get_at(0)[0].pid == 2
    assert len(bag) == 2
    assert bag.copy() == bag
    bag.clear()
    assert len(bag) == 0


def test_keys_and_values_are_checked() -> None:
    with pytest.raises(ValueError):
        PropertyKey(NS, 2**32)
    with pytest.raises(ValueError):
        PropertyKey(NS, -1)
    with pytest.raises(TypeError):
        PropertyKey(str(NS), 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        PropVariant(99, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PropVariant(VT.VECTOR, b"")
    bag = PropertyBag()
    with pytest.raises(TypeError):
        bag[(NS, 2)] = PropVariant(VT.BOOL, True)  # type: ignore[index]
    with pytest.raises(TypeError):
        bag[K] = True  # type: ignore[assignment]
    assert str(keys.WPD_OBJECT_NAME) == "{EF6B490D-5CD8-437A-AFFC-DA8B60EE4A3C} 4"


def test_ole_dates() -> None:
    assert ole_date(0.0) == 25569.0  # 1970-01-01 is day 25569 after 1899-12-30
    assert from_ole_date(25570.5) == 1.5 * 86400
    assert from_ole_date(ole_date(1_700_000_000.0)) == pytest.approx(1_700_000_000.0)


# -- compactness ------------------------------------------------------------------------


def test_ten_keys_in_one_namespace_are_compact() -> None:
    bag = PropertyBag()
    for pid in range(2, 12):
        bag.set_uint32(PropertyKey(NS, pid), pid * 3)
    data = encode(bag)
    assert len(data) <= 16 + 50  # the fmtid once, then about 4 bytes a key
    assert data.count(NS.bytes) == 1


def test_one_fmtid_table_serves_the_whole_tree() -> None:
    item = PropertyBag()
    item.set_string(keys.WPD_OBJECT_NAME, "a.vcf")
    item.set_uint64(keys.MTP_OBJECT_HANDLE, 2**32 - 1)
    listing = PropertyBag()
    listing.set_bags(keys.HELPER_RESULTS, [item] * 50)
    data = encode(listing)
    for fmtid in (keys.WPD_OBJECT_PROPERTIES_V1, keys.SYNCGUI_MTP, keys.SYNCGUI_HELPER):
        assert data.count(fmtid.bytes) == 1
    assert len(data) < 3 * 16 + 50 * 20


# -- damaged input ----------------------------------------------------------------------


@settings(max_examples=200)
@given(bags, st.data())
def test_mutated_encodings_never_crash(bag: PropertyBag, data: st.DataObject) -> None:
    encoded = bytearray(encode(bag))
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(encoded)))
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and where < len(encoded):
            encoded[where] ^= data.draw(st.integers(1, 255))
        elif action == "insert":
            encoded[where:where] = data.draw(st.binary(min_size=1, max_size=12))
        elif action == "delete":
            del encoded[where : where + data.draw(st.integers(1, 8))]
        else:
            del encoded[where:]
    decodes_cleanly(bytes(encoded))


@given(st.binary(max_size=200))
def test_random_bytes_after_a_valid_header_never_crash(tail: bytes) -> None:
    decodes_cleanly(b"WPB\x01" + tail)
    decodes_cleanly(b"WPB\x01\x01" + NS.bytes + tail)
    decodes_cleanly(tail)


@given(bags, st.data())
def test_stored_objects_detect_any_single_byte_corruption(
    bag: PropertyBag, data: st.DataObject
) -> None:
    stored = bytearray(encode_object(bag))
    where = data.draw(st.integers(0, len(stored) - 1))
    stored[where] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CodecError):
        decode_object(bytes(stored))


def test_stored_objects_detect_every_corruption_and_truncation() -> None:
    bag = PropertyBag()
    bag.set_string(keys.WPD_OBJECT_NAME, "ünïcødé.vcf")
    bag.set_date(keys.WPD_OBJECT_DATE_MODIFIED, 1.7e9)
    bag.set_bags(keys.HELPER_RESULTS, [PropertyBag([(K, PropVariant(VT.UI8, 2**40))])])
    stored = encode_object(bag)
    assert decode_object(stored) == bag
    for length in range(len(stored)):
        with pytest.raises(CodecError):
            decode_object(stored[:length])
    with pytest.raises(CodecError):
        decode_object(stored + b"\0")
    for where in range(len(stored)):
        for delta in range(1, 256):
            damaged = bytearray(stored)
            damaged[where] ^= delta
            with pytest.raises(CodecError):
                decode_object(bytes(damaged))
    with pytest.raises(CodecError, match="not a stored"):
        decode_object(encode(bag))  # the wire form is not the stored form


def varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def one_entry(vt: int, value: bytes, fmtids: int = 1) -> bytes:
    """A bag of one entry ``(NS, 2) = value`` with ``fmtids`` copies of NS in the table."""
    return b"WPB\x01" + varint(fmtids) + NS.bytes * fmtids + b"\x01\x00\x02" + varint(vt) + value


def test_hand_made_entries_decode() -> None:
    assert decode(one_entry(VT.UI4, varint(2**32 - 1))).get_uint32(K) == 2**32 - 1
    assert decode(one_entry(VT.I8, varint(2**64 - 1))).get_int64(K) == -(2**63)
    assert decode(one_entry(VT.LPWSTR, b"\x02\xc3\xbc")).get_string(K) == "ü"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not an encoded"),
        (b"WPB", "not an encoded"),
        (b"XPB\x01\x00\x00", "not an encoded"),
        (b"WPB\x02\x00\x00", "format 2"),
        (b"WPB\x01\x00\x00\x00", "after the end"),
        (b"WPB\x01" + varint(2**40), "fmtids cannot fit"),
        (b"WPB\x01\x01" + NS.bytes + varint(2**62), "entries cannot fit"),
        (b"WPB\x01\x00\x01\x00\x02\x13\x05", "fmtid index"),
        (one_entry(VT.UI4, varint(2**32)), "out of range"),
        (one_entry(VT.UI1, b"\x80\x02"), "out of range"),
        (one_entry(VT.UI8, b"\xff" * 10 + b"\x01"), "longer than 10"),
        (one_entry(VT.UI8, b"\xff" * 9 + b"\x7f"), "larger than 64"),
        (one_entry(VT.UI4, b"\x85\x00"), "overlong"),
        (one_entry(VT.BOOL, b"\x02"), "not a boolean"),
        (one_entry(VT.DATE, struct.pack("<d", math.nan)), "not a date"),
        (one_entry(VT.LPWSTR, varint(2**60) + b"abc"), "truncated"),
        (one_entry(VT.LPWSTR, b"\x02\xc3\x28"), "not UTF-8"),
        (one_entry(VT.VECTOR_UI1, varint(2**63) + b"abc"), "truncated"),
        (one_entry(VT.VECTOR_UNKNOWN, varint(2**63)), "cannot fit"),
        (one_entry(VT.CLSID, b"\x00" * 15), "truncated"),
        (one_entry(VT.R8, b"\x00" * 7), "truncated"),
        (one_entry(VT.VECTOR, b""), "cannot be a value"),
        (one_entry(4, b"\x00" * 4), "not supported"),  # VT_R4 is not one of ours
        (one_entry(VT.EMPTY, b"", fmtids=2), "twice in the table"),
        (b"WPB\x01\x01" + NS.bytes + b"\x02\x00\x02\x00\x00\x02\x00", "appears twice"),
        (b"WPB\x01\x01" + NS.bytes + b"\x01\x00" + varint(2**32) + b"\x00", "not a DWORD"),
        (one_entry(VT.UI4, b"\x01") + b"\x00", "after the end"),
    ],
)
def test_malformed_input_is_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(CodecError, match=reason):
        decode(data)


def test_nesting_is_capped_on_both_sides() -> None:
    deep = PropertyBag()
    for _ in range(MAX_DEPTH + 1):
        deep = PropertyBag([(K, PropVariant(VT.UNKNOWN, deep))])
    with pytest.raises(CodecError, match="deeper"):
        encode(deep)
    looped = PropertyBag()
    looped.set_bag(K, looped)
    with pytest.raises(CodecError):
        encode(looped)
    # 100 000 levels by hand: rejected at the cap, without a RecursionError
    level = b"\x01\x00\x02" + varint(VT.UNKNOWN)
    with pytest.raises(CodecError, match="deeper"):
        decode(b"WPB\x01\x01" + NS.bytes + level * 100_000 + b"\x00")
    ok = PropertyBag()
    for _ in range(MAX_DEPTH):
        ok = PropertyBag([(K, PropVariant(VT.UNKNOWN, ok))])
    assert_round_trip(ok)


def test_decode_takes_any_bytes_like() -> None:
    data = encode(PropertyBag([(K, PropVariant(VT.UI4, 1))]))
    assert decode(bytearray(data)) == decode(memoryview(data)) == decode(data)

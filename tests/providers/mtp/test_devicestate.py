"""The phone's saved sync state: one readable copy whatever happens to a save."""

from __future__ import annotations

import contextlib
import struct
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.hosted import ReplicaState
from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.metadata import ItemRow
from syncgui.providers.mtp.backend import ObjectInfo
from syncgui.providers.mtp.phone import statecodec as codec
from syncgui.providers.mtp.phone.devicestate import DeviceState
from syncgui.providers.mtp.phone.statecodec import (
    JournalEntry,
    StateUnreadable,
    awkward_size,
    decode_state,
    encode_journal,
    encode_state,
)
from syncgui.providers.mtp.props.propbag import PropertyBag
from syncgui.providers.mtp.props.propcodec import decode_object, encode_object
from syncgui.providers.mtp.virtual import VirtualBackend, VirtualDevice

REPLICA = bytes(range(16))
LAPTOP = bytes(range(16, 32))
# A state as syncgui wrote it in format 1 (commit 8ccab57: one bag per item), which phones
# keep until their next sync; FORMAT_1_STATE is what it holds.
FORMAT_1_FILE = Path(__file__).parents[2] / "data" / "phone" / "state-v1.bin"
FORMAT_1_STATE = ReplicaState(
    REPLICA,
    12,
    Knowledge.empty().with_local_tick(REPLICA, 9).with_local_tick(LAPTOP, 2**40),
    Knowledge.empty().with_local_tick(LAPTOP, 1),
    (
        ItemRow(
            ItemMeta(
                bytes(16),
                "uid-0",
                "Ann Example",
                Version(REPLICA, 1),
                Version(REPLICA, 1),
                False,
                1765000000.5,
            ),
            "0.vcf",
            "1520:1765000000.0",
            "ab" * 20,
        ),
        ItemRow(
            ItemMeta(
                bytes([1]) * 16,
                "uid-1",
                "Zoë Ünïcode 📞",
                Version(LAPTOP, 2**40),
                Version(REPLICA, 7),
                False,
                0.0,
            ),
            "1.vcf",
            "900:1765000001.0",
            None,
            "phone-own-uid",
        ),
        ItemRow(
            ItemMeta(
                bytes([2]) * 16,
                "uid-\udc80-lone",
                "",
                Version(REPLICA, 3),
                Version(LAPTOP, 9),
                True,
                -1.25,
            ),
            None,
            None,
            None,
        ),
        ItemRow(
            ItemMeta(
                bytes([3]) * 16, "", "No stamp", Version(LAPTOP, 4), Version(LAPTOP, 4), False, 1e9
            ),
            "x y.vcf",
            None,
            "cd" * 20,
        ),
    ),
    b"g" * 16,
)


def _state(n: int, generation: bytes = b"g" * 16) -> ReplicaState:
    rows = []
    for i in range(n):
        v = Version(REPLICA, i + 1)
        meta = ItemMeta(i.to_bytes(16, "big"), f"uid-{i}", f"Person {i}", v, v, i % 3 == 0, 1.5)
        own = f"phone-{i}" if i % 4 == 1 else None  # matched to another store's contact
        key = None if meta.deleted else f"{i}.vcf"
        rows.append(ItemRow(meta, key, f"{i}:9", "ab" * 20, own))
    return ReplicaState(
        REPLICA,
        n + 7,
        Knowledge.empty().with_local_tick(REPLICA, n),
        Knowledge.empty(),
        tuple(rows),
        generation,
    )


@given(st.integers(min_value=0, max_value=60), st.text(max_size=40))
def test_state_round_trips_and_never_ends_in_a_short_usb_packet(n: int, path: str) -> None:
    state = _state(n)
    data = encode_state(state, path)
    assert not awkward_size(len(data))
    assert decode_state(data) == state


# Any text, lone surrogates included (a vCard's bytes may decode to them).
_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)
_VERSIONS = st.builds(Version, st.sampled_from([REPLICA, LAPTOP]), st.integers(1, 2**64 - 1))
_ROWS = st.builds(
    ItemRow,
    st.builds(
        ItemMeta,
        st.binary(max_size=20),
        _TEXT,
        _TEXT,
        _VERSIONS,
        _VERSIONS,
        st.booleans(),
        st.floats(allow_nan=False),
    ),
    st.none() | _TEXT,
    st.none() | _TEXT,
    st.none() | _TEXT,
    st.none() | _TEXT,
)


@given(st.lists(_ROWS, max_size=8))
def test_any_rows_round_trip(rows: list[ItemRow]) -> None:
    state = ReplicaState(LAPTOP, 3, Knowledge.empty(), Knowledge.empty(), tuple(rows), b"")
    assert decode_state(encode_state(state, "Contacts")) == state


def test_a_state_saved_in_format_1_still_decodes() -> None:
    assert decode_state(FORMAT_1_FILE.read_bytes()) == FORMAT_1_STATE


def _encode_v1(state: ReplicaState, path: str) -> bytes:
    """Format 1 as the encoder up to commit 8ccab57 wrote it (a bag per item)."""
    replicas: dict[bytes, int] = {}
    items = []
    for row in state.items:
        m, b = row.meta, PropertyBag()
        b.set_buffer(codec.I_GID, m.gid)
        if row.key is not None:
            b.set_string(codec.I_KEY, row.key)
        b.set_string(codec.I_UID, m.uid)
        b.set_string(codec.I_LABEL, m.label)
        b.set_uint32(codec.I_CREATED_BY, replicas.setdefault(m.created.replica, len(replicas)))
        b.set_uint64(codec.I_CREATED_AT, m.created.tick)
        b.set_uint32(codec.I_CHANGED_BY, replicas.setdefault(m.version.replica, len(replicas)))
        b.set_uint64(codec.I_CHANGED_AT, m.version.tick)
        b.set_bool(codec.I_DELETED, m.deleted)
        b.set_float(codec.I_WHEN, m.changed_at)
        for key, value in ((codec.I_STAMP, row.stamp), (codec.I_HASH, row.hash)):
            if value is not None:
                b.set_string(key, value)
        if row.own_uid is not None:
            b.set_string(codec.I_OWN_UID, row.own_uid)
        items.append(b)
    bag = PropertyBag()
    bag.set_uint32(codec.S_VERSION, 1)
    bag.set_guid(codec.S_REPLICA, uuid.UUID(bytes=state.replica_id))
    bag.set_uint64(codec.S_TICK, state.tick)
    bag.set_buffer(codec.S_KNOWLEDGE, state.knowledge.serialize())
    bag.set_buffer(codec.S_FORGOTTEN, state.forgotten.serialize())
    bag.set_buffer(codec.S_GENERATION, state.generation)
    bag.set_buffer(codec.S_REPLICAS, b"".join(replicas))
    bag.set_bags(codec.S_ITEMS, items)
    bag.set_string(codec.S_PATH, path)
    return codec._seal(bag)


def test_the_format_1_writer_kept_here_is_the_one_that_wrote_the_file() -> None:
    assert _encode_v1(FORMAT_1_STATE, "Contacts") == FORMAT_1_FILE.read_bytes()


@given(st.lists(_ROWS, max_size=8))
def test_any_format_1_state_decodes(rows: list[ItemRow]) -> None:
    state = ReplicaState(REPLICA, 9, Knowledge.empty(), Knowledge.empty(), tuple(rows), b"g")
    assert decode_state(_encode_v1(state, "Contacts")) == state


def _with_table(table: bytes, replicas: bytes | None = None) -> bytes:
    """A well-sealed format 2 state whose item table is ``table``."""
    bag = decode_object(encode_state(FORMAT_1_STATE, "Contacts"))
    bag.set_buffer(codec.S_TABLE, table)
    if replicas is not None:
        bag.set_buffer(codec.S_REPLICAS, replicas)
    return encode_object(bag)


def test_a_damaged_item_table_is_unreadable_never_a_crash() -> None:
    table = decode_object(encode_state(FORMAT_1_STATE, "Contacts")).get_buffer(codec.S_TABLE)
    assert decode_state(_with_table(table)) == FORMAT_1_STATE
    for cut in range(len(table)):
        with pytest.raises(StateUnreadable):
            decode_state(_with_table(table[:cut]))
    for bad in (
        table + b"\0",
        table[:4] + b"\x20" + table[5:],  # an unknown flag
        struct.pack("<I", 5) + table[4:],  # more rows than columns hold
        struct.pack("<I", 3) + table[4:],  # fewer
    ):
        with pytest.raises(StateUnreadable):
            decode_state(_with_table(bad))
    with pytest.raises(StateUnreadable):  # rows name a replica the table does not hold
        decode_state(_with_table(table, REPLICA))


@given(st.binary(max_size=200))
def test_any_item_table_decodes_or_is_unreadable(table: bytes) -> None:
    with contextlib.suppress(StateUnreadable):
        decode_state(_with_table(table))


@given(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=300))))
def test_journal_objects_avoid_short_usb_packets(entries: list[tuple[str, bytes]]) -> None:
    data = encode_journal([JournalEntry(name, "update", old) for name, old in entries])
    assert not awkward_size(len(data))


def _device(root: Path) -> VirtualDevice:
    backend = VirtualBackend(root)
    return backend.open(backend.detect()[0])


def test_a_state_the_phone_stores_damaged_keeps_the_previous_one(tmp_path: Path) -> None:
    device = _device(tmp_path)
    slot = DeviceState(device, 0x00010001, "Contacts", "phone")
    slot.save_state(_state(3))
    real_upload = device.upload

    def damaging(storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
        return real_upload(storage, parent, name, data[:-1] + b"\x00")

    device.upload = damaging  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable, match="intact"):
        slot.save_state(_state(5, b"h" * 16))
    loaded = slot.load_state()
    assert loaded is not None and len(loaded.items) == 3
    assert len(list((tmp_path / ".syncgui").glob("*.state"))) == 1


def test_each_save_leaves_exactly_one_state(tmp_path: Path) -> None:
    slot = DeviceState(_device(tmp_path), 0x00010001, "Contacts", "phone")
    for n in range(4):
        slot.save_state(_state(n))
    (only,) = (tmp_path / ".syncgui").glob("*.state")
    assert only.name.endswith(".4.state")
    loaded = slot.load_state()
    assert loaded is not None and len(loaded.items) == 3


def test_a_phone_that_hides_dot_names_gets_a_visible_state_folder(tmp_path: Path) -> None:
    """QEMU's responder never lists names that start with a dot, and a leftover hidden
    folder makes creating it fail: the state goes to a visible ``syncgui`` folder."""
    (tmp_path / ".syncgui").mkdir()
    device = _device(tmp_path)
    real_list = device.list_folder

    def hiding(storage: int, parent: int) -> list[ObjectInfo]:
        return [o for o in real_list(storage, parent) if not o.name.startswith(".")]

    device.list_folder = hiding  # type: ignore[method-assign]
    slot = DeviceState(device, 0x00010001, "Contacts", "phone")
    slot.save_state(_state(2))
    assert len(list((tmp_path / "syncgui").glob("*.1.state"))) == 1
    assert list((tmp_path / ".syncgui").iterdir()) == []
    again = DeviceState(device, 0x00010001, "Contacts", "phone").load_state()
    assert again is not None and len(again.items) == 2

"""The phone's saved sync state: one readable copy whatever happens to a save."""

from __future__ import annotations

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
from syncgui.providers.mtp.phone.devicestate import DeviceState
from syncgui.providers.mtp.phone.statecodec import (
    JournalEntry,
    awkward_size,
    decode_state,
    encode_journal,
    encode_state,
)
from syncgui.providers.mtp.virtual import VirtualBackend, VirtualDevice

REPLICA = bytes(range(16))


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

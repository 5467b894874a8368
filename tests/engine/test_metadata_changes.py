"""What a replica sends another: the items above the other's knowledge, found by the change
index when they are few and by one scan when they are many, are the same items in global
id order either way, whichever replicas made them and whatever the floor leaves out."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from syncgui.engine import metadata
from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta
from syncgui.engine.metadata import ItemRow, MetadataStore

REPLICAS = [bytes([n]) * 10 for n in (1, 2, 3, 200)]

items = st.lists(
    st.tuples(st.binary(min_size=16, max_size=16), st.sampled_from(REPLICAS), st.integers(1, 40)),
    max_size=60,
    unique_by=lambda item: item[0],
)
floors = st.dictionaries(st.sampled_from([*REPLICAS, b"\x09" * 10]), st.integers(0, 45))


def _row(gid: bytes, rep: bytes, tick: int) -> ItemRow:
    meta = ItemMeta(gid, gid.hex(), "x", Version(rep, 1), Version(rep, tick), False, 0.0)
    return ItemRow(meta, gid.hex() + ".vcf", "stamp", None)


@settings(max_examples=150, deadline=None)
@given(items=items, floor=floors, few=st.sampled_from([0, 3, 1000]))
def test_the_index_and_the_scan_find_the_same_items_in_gid_order(
    items: list[tuple[bytes, bytes, int]],
    floor: dict[bytes, int],
    few: int,
) -> None:
    store = MetadataStore(":memory:", "test")
    try:
        store.save_many(_row(*item) for item in items)
        expected = sorted(gid for gid, rep, tick in items if not floor or tick > floor.get(rep, 0))
        original = metadata._FEW_CHANGES
        metadata._FEW_CHANGES = few  # 0: always the scan; 1000: the index for all of these
        try:
            found = [m.gid for m in store.iter_items_above(floor)]
        finally:
            metadata._FEW_CHANGES = original
        assert found == expected
    finally:
        store.close()

"""The contract every :class:`~syncgui.engine.provider.SimpleStore` passes.

Each provider supplies a ``<kind>_harness`` fixture returning a :class:`Harness`; add its kind
to ``KINDS`` and the whole suite runs against it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from syncgui.engine.errors import ItemVanished, StoreUnavailable
from syncgui.engine.provider import Listing, SimpleStore, Written
from syncgui.providers.mtp.phone.store import open_virtual_store
from syncgui.providers.vcard.file import open_file_store
from syncgui.providers.vcard.fileops import TEMP_PREFIX
from syncgui.providers.vcard.folder import open_folder_store

KINDS = ["vdir", "vcf", "phone", "phonefile"]

WEIRD_UIDS = [
    "../../etc/passwd",
    "a/b",
    "a\\b",
    "con",
    "CON.txt",
    "x" * 300,
    "ünïcødé-😀-联系人",
    "",
    " ",
    "\t",
    ".",
    "..",
    ".hidden",
    "-leading-dash",
    "trailing.",
    "semi;colon,comma",
]


def card(uid: str, name: str, note: str = "") -> bytes:
    """A small vCard 3.0 with CRLF line breaks."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", f"N:{name};;;;"]
    if note:
        lines.append(f"NOTE:{note}")
    lines.append("END:VCARD")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@dataclass
class Harness:
    """How the contract reaches one kind of store."""

    open: Callable[[], SimpleStore]  # a fresh provider on the same store
    root: Path  # the folder the store lives in; nothing may be written outside it
    edit: Callable[[SimpleStore, str, bytes], None]  # another program rewrites one item
    remove: Callable[[], None]  # the store disappears (disk unmounted, folder moved)


def _bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture
def vdir_harness(tmp_path: Path) -> Harness:
    root = tmp_path / "contacts"
    root.mkdir()

    def edit(store: SimpleStore, key: str, data: bytes) -> None:
        (root / key).write_bytes(data)
        _bump_mtime(root / key)

    return Harness(lambda: open_folder_store(str(root)), root, edit, lambda: shutil.rmtree(root))


@pytest.fixture
def vcf_harness(tmp_path: Path) -> Harness:
    root = tmp_path / "export"
    root.mkdir()
    path = root / "contacts.vcf"
    path.write_bytes(b"")

    def edit(store: SimpleStore, key: str, data: bytes) -> None:
        old = store.read(key)
        content = path.read_bytes()
        assert content.count(old) == 1
        path.write_bytes(content.replace(old, data))
        _bump_mtime(path)

    return Harness(lambda: open_file_store(str(path)), root, edit, path.unlink)


@pytest.fixture
def phone_harness(tmp_path: Path) -> Harness:
    """A folder of cards on the virtual phone (the MTP provider over the virtual backend)."""
    phone = tmp_path  # the phone's storage; the store is its Contacts folder
    root = phone / "Contacts"
    root.mkdir()

    def edit(store: SimpleStore, key: str, data: bytes) -> None:
        path = root / key
        path.write_bytes(data)
        _bump_mtime(path)

    return Harness(
        lambda: open_virtual_store(f"{phone}#Contacts"), root, edit, lambda: shutil.rmtree(root)
    )


@pytest.fixture
def phonefile_harness(tmp_path: Path) -> Harness:
    """One exported .vcf file on the virtual phone."""
    phone = tmp_path
    root = phone / "Download"
    root.mkdir()
    path = root / "contacts.vcf"
    path.write_bytes(b"")

    def edit(store: SimpleStore, key: str, data: bytes) -> None:
        old = store.read(key)
        content = path.read_bytes()
        assert content.count(old) == 1
        path.write_bytes(content.replace(old, data))
        _bump_mtime(path)

    return Harness(
        lambda: open_virtual_store(f"{phone}#Download/contacts.vcf"),
        root,
        edit,
        path.unlink,
    )


@pytest.fixture(params=KINDS)
def harness(request: pytest.FixtureRequest) -> Harness:
    h: Harness = request.getfixturevalue(f"{request.param}_harness")
    return h


def stamps(listing: Listing) -> dict[str, str]:
    assert listing.entries is not None
    return {e.key: e.stamp for e in listing.entries}


def fill(h: Harness, n: int = 3) -> dict[str, Written]:
    store = h.open()
    store.list(None)
    written = {
        f"uid-{i}": store.create(f"uid-{i}", card(f"uid-{i}", f"Person {i}")) for i in range(n)
    }
    store.commit()
    return written


def temp_files(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if p.name.startswith(TEMP_PREFIX)]


# -- tests ----------------------------------------------------------------------------------


def test_names_and_identity(harness: Harness) -> None:
    a, b = harness.open(), harness.open()
    assert a.identity == b.identity
    place = a.identity.split(":", 1)[1].split("#")[0]
    assert place == os.path.realpath(place)
    assert a.name
    assert a.format is not None


def test_empty_store_lists_nothing(harness: Harness) -> None:
    listing = harness.open().list(None)
    assert listing.entries is not None and list(listing.entries) == []
    assert not listing.problems and listing.complete


def test_round_trip(harness: Harness) -> None:
    store = harness.open()
    store.list(None)
    data1, data2 = card("uid-1", "Ann Example"), card("uid-2", "Bob Example")
    w1, w2 = store.create("uid-1", data1), store.create("uid-2", data2)
    assert w1.key != w2.key
    store.commit()

    fresh = harness.open()
    listing = fresh.list(None)
    assert stamps(listing) == {w1.key: w1.stamp, w2.key: w2.stamp}
    assert fresh.read(w1.key) == data1
    assert fresh.read(w2.key) == data2
    for entry in listing.entries or ():
        assert entry.data is None or entry.data == fresh.read(entry.key)

    changed = card("uid-1", "Ann Example", note="moved to Berlin")
    w1b = fresh.update(w1.key, changed)
    assert w1b.key == w1.key and w1b.stamp != w1.stamp
    fresh.commit()
    again = harness.open()
    assert stamps(again.list(None)) == {w1.key: w1b.stamp, w2.key: w2.stamp}
    assert again.read(w1.key) == changed

    again.delete(w2.key)
    again.commit()
    last = harness.open()
    assert stamps(last.list(None)) == {w1.key: w1b.stamp}
    with pytest.raises(ItemVanished):
        last.read(w2.key)


def test_listing_after_commit_matches_written(harness: Harness) -> None:
    store = harness.open()
    store.list(None)
    w = store.create("uid-x", card("uid-x", "X"))
    token = store.commit()
    listing = store.list(token)
    if listing.entries is not None:
        assert stamps(listing) == {w.key: w.stamp}
    assert stamps(store.list(None)) == {w.key: w.stamp}


def test_keys_and_stamps_stable(harness: Harness) -> None:
    fill(harness)
    one = harness.open()
    first = one.list(None)
    second = one.list(None)
    third = harness.open().list(None)
    assert stamps(first) == stamps(second) == stamps(third)
    assert len(stamps(first)) == 3
    unchanged = harness.open().list(first.token)
    assert unchanged.entries is None or stamps(unchanged) == stamps(first)


def test_stamp_changes_when_edited_by_another_program(harness: Harness) -> None:
    written = fill(harness)
    store = harness.open()
    before = store.list(None)
    key = written["uid-1"].key
    edited = card("uid-1", "Person 1", note="edited elsewhere, and longer")
    harness.edit(store, key, edited)
    fresh = harness.open()
    after = fresh.list(before.token)
    assert after.entries is not None
    assert stamps(after)[key] != stamps(before)[key]
    assert {k: v for k, v in stamps(after).items() if k != key} == {
        k: v for k, v in stamps(before).items() if k != key
    }
    assert fresh.read(key) == edited


def test_create_never_overwrites(harness: Harness) -> None:
    first_data = card("same", "First")
    store = harness.open()
    store.list(None)
    first = store.create("same", first_data)
    store.commit()

    other = harness.open()
    other.list(None)
    second_data = card("same", "Second")
    third_data = card("same", "Third")
    second = other.create("same", second_data)
    third = other.create("same", third_data)
    other.commit()
    assert len({first.key, second.key, third.key}) == 3

    check = harness.open()
    assert set(stamps(check.list(None))) == {first.key, second.key, third.key}
    assert check.read(first.key) == first_data
    assert check.read(second.key) == second_data
    assert check.read(third.key) == third_data


def test_weird_uids_stay_inside_the_store(harness: Harness, tmp_path: Path) -> None:
    outside_before = sorted(p.name for p in tmp_path.parent.iterdir())
    store = harness.open()
    store.list(None)
    written: dict[str, tuple[Written, bytes]] = {}
    for i, uid in enumerate(WEIRD_UIDS):
        data = card(uid, f"Weird {i}")
        written[uid] = (store.create(uid, data), data)
    store.commit()

    keys = [w.key for w, _ in written.values()]
    assert len(set(keys)) == len(keys)
    fresh = harness.open()
    listed = stamps(fresh.list(None))
    for w, data in written.values():
        assert listed[w.key] == w.stamp
        assert fresh.read(w.key) == data
    # nothing outside the store's folder, no subfolders inside it
    # (a phone keeps its sync state in a hidden folder at the top of its storage)
    assert [p.name for p in tmp_path.iterdir() if p.name != ".syncgui"] == [harness.root.name]
    assert all(p.is_file() for p in harness.root.iterdir())
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == outside_before


def test_missing_store_is_unavailable(harness: Harness) -> None:
    fill(harness, 2)
    harness.remove()
    store = harness.open()
    with pytest.raises(StoreUnavailable, match="does not exist"):
        store.list(None)


def test_unknown_keys(harness: Harness) -> None:
    fill(harness, 1)
    store = harness.open()
    store.list(None)
    with pytest.raises(ItemVanished):
        store.read("nobody.vcf")
    with pytest.raises(ItemVanished):
        store.update("nobody.vcf", card("nobody", "Nobody"))
    store.delete("nobody.vcf")  # already gone is fine
    store.commit()


def test_no_temp_files_left_behind(harness: Harness) -> None:
    written = fill(harness)
    store = harness.open()
    store.list(None)
    store.update(written["uid-0"].key, card("uid-0", "Person 0", note="x"))
    store.delete(written["uid-1"].key)
    store.create("uid-new", card("uid-new", "New"))
    store.commit()
    assert temp_files(harness.root) == []
    assert all(not p.name.startswith(".") for p in harness.root.iterdir())

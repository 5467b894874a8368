"""Listing a vCard folder, in place and ahead in a child process: the same listing either way,
whatever the folder holds, and nothing left behind when it is not used."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.provider import Listing
from syncgui.providers.vcard import listing as listing_mod
from syncgui.providers.vcard.fileops import TEMP_PREFIX, stat_stamp
from syncgui.providers.vcard.folder import VCardFolderProvider
from syncgui.providers.vcard.listing import ListingAhead, finish_listing, scan_folder

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")


def card(uid: str) -> bytes:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\nEND:VCARD\r\n".encode()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A folder with every kind of entry a listing must tell apart."""
    path = tmp_path / "contacts"
    path.mkdir()
    for n in range(30):
        (path / f"plain-{n}.vcf").write_bytes(card(f"plain-{n}"))
    (path / "UPPER.VCF").write_bytes(card("upper"))
    (path / "Zoë Müller.vcf").write_bytes(card("zoe"))  # not ASCII, but UTF-8: a card
    bad_name = os.path.join(os.fsencode(path), b"caf\xe9.vcf")  # not UTF-8: a problem
    with open(bad_name, "wb") as f:
        f.write(card("latin1"))
    (path / "empty.vcf").write_bytes(b"")  # unusable: a problem, kept as it was
    (path / "link.vcf").symlink_to(path / "plain-1.vcf")  # not ours: passed over
    (path / "folder.vcf").mkdir()
    (path / ".hidden.vcf").write_bytes(card("hidden"))
    (path / "notes.txt").write_text("not a card")
    stale = path / (TEMP_PREFIX + "stale")
    stale.write_bytes(b"half a card")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    (path / (TEMP_PREFIX + "young")).write_bytes(b"being written")
    return path


def described(listing: Listing) -> tuple[object, ...]:
    entries = listing.entries or ()
    return (
        [(e.key, e.stamp, e.mtime) for e in entries],
        [(p.item, p.message) for p in listing.problems],
        listing.unreadable,
        listing.complete,
    )


def test_the_scan_made_in_a_child_is_the_scan_made_in_place(root: Path, no_children: None) -> None:
    in_place = scan_folder(str(root))
    assert ListingAhead(str(root)).collect() == in_place
    assert in_place.cards.count(b"\0") == 2 * 31 - 1  # the ASCII-named plain cards
    looked_at = ["Zoë Müller.vcf", os.fsdecode(b"caf\xe9.vcf"), "empty.vcf", "link.vcf"]
    temporary = [TEMP_PREFIX + "stale", TEMP_PREFIX + "young"]
    assert sorted(in_place.others) == sorted([*looked_at, "folder.vcf", *temporary])


def test_a_listing_made_ahead_is_the_listing_made_in_place(root: Path, no_children: None) -> None:
    expected = described(VCardFolderProvider(str(root)).list(None))
    store = VCardFolderProvider(str(root))
    store.list_ahead(None)
    assert described(store.list(None)) == expected
    keys = [e.key for e in VCardFolderProvider(str(root)).list(None).entries or ()]
    assert {"UPPER.VCF", "Zoë Müller.vcf"} <= set(keys) and len(keys) == 32
    assert not (root / (TEMP_PREFIX + "stale")).exists()  # removed by either listing
    assert (root / (TEMP_PREFIX + "young")).exists()


def test_the_quick_way_stamps_a_card_as_a_write_does(root: Path) -> None:
    """The scan writes the stamp out itself (for speed): it is the stamp a write returns,
    or every card written would look changed at the next sync."""
    listing = VCardFolderProvider(str(root)).list(None)
    stamps = {e.key: e.stamp for e in listing.entries or ()}
    for name in ("plain-7.vcf", "UPPER.VCF", "Zoë Müller.vcf"):
        assert stamps[name] == stat_stamp(os.lstat(root / name))
    written = VCardFolderProvider(str(root)).update("plain-7.vcf", card("plain-7-edited"))
    stamps = {e.key: e.stamp for e in VCardFolderProvider(str(root)).list(None).entries or ()}
    assert stamps["plain-7.vcf"] == written.stamp


def test_a_folder_gone_when_the_listing_starts_says_so(root: Path, no_children: None) -> None:
    store = VCardFolderProvider(str(root))
    moved = root.rename(root.with_name("elsewhere"))
    store.list_ahead(None)  # the child finds no folder
    with pytest.raises(StoreUnavailable, match="does not exist"):
        store.list(None)  # listed in place then, which says so in the usual words
    assert moved.exists()


def test_a_folder_gone_after_its_scan_is_not_listed_without_its_cards(
    root: Path, no_children: None
) -> None:
    """The cards looked at one by one (here a name with more than ASCII) are looked at after
    the scan; when the folder went in between, they must not be missing from a listing (a
    sync would take them as deleted): the listing says the folder is gone instead."""
    scan = ListingAhead(str(root)).collect()
    assert scan is not None and "Zoë Müller.vcf" in scan.others
    root.rename(root.with_name("elsewhere"))
    with pytest.raises(StoreUnavailable, match="does not exist"):
        finish_listing(str(root), scan)


def test_a_child_that_cannot_list_gives_nothing(tmp_path: Path, no_children: None) -> None:
    assert ListingAhead(str(tmp_path / "nowhere")).collect() is None


def test_a_listing_is_collected_once(root: Path, no_children: None) -> None:
    ahead = ListingAhead(str(root))
    assert ahead.collect() is not None
    assert ahead.collect() is None  # its pipe is closed: never read again
    ahead.discard()


def test_a_listing_made_long_before_it_is_used_is_made_again(
    root: Path, monkeypatch: pytest.MonkeyPatch, no_children: None
) -> None:
    monkeypatch.setattr(listing_mod, "AHEAD_FRESH_SECONDS", 0.0)
    store = VCardFolderProvider(str(root))
    store.list_ahead(None)
    time.sleep(0.2)  # the child has listed the folder by now
    (root / "added-later.vcf").write_bytes(card("added-later"))
    keys = [e.key for e in store.list(None).entries or ()]
    assert "added-later.vcf" in keys


def test_closing_a_store_stops_a_listing_not_used(root: Path, no_children: None) -> None:
    store = VCardFolderProvider(str(root))
    store.list_ahead(None)
    store.close()
    keys = [e.key for e in store.list(None).entries or ()]  # listed in place after that
    assert len(keys) == 32


CHECK_THREADS = """
import threading, time
from syncgui.engine.forked import can_fork
alone = can_fork()
stop = threading.Event()
other = threading.Thread(target=stop.wait)
other.start()
with_thread = can_fork()
stop.set()
other.join()
deadline = time.monotonic() + 5  # the system may take a moment to end the thread
while not can_fork() and time.monotonic() < deadline:
    time.sleep(0.01)
print(alone, with_thread, can_fork())
"""


def test_no_child_while_another_thread_runs() -> None:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("this machine has one processor: nothing is listed ahead")
    # in a fresh interpreter: this one may run threads of earlier tests
    found = subprocess.run(
        [sys.executable, "-c", CHECK_THREADS], capture_output=True, text=True, check=True
    )
    assert found.stdout.split() == ["True", "False", "True"]

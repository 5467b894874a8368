"""What only the vCard folder (vdir) store does: file names, foreign files, damaged files,
atomic writes."""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from syncgui.engine.errors import (
    BadItem,
    ItemRejected,
    ItemUnreadable,
    ItemVanished,
    StoreUnavailable,
)
from syncgui.engine.provider import Written
from syncgui.providers.vcard import fileops
from syncgui.providers.vcard import folder as folder_mod
from syncgui.providers.vcard.fileops import TEMP_PREFIX
from syncgui.providers.vcard.folder import (
    VCardFolderProvider,
    file_name_for,
    open_folder_store,
)

WEIRD_UIDS = ["../../etc/passwd", "a/b", "a\\b", "con", "x" * 300, "ünïcødé", "", " ", ".", ".."]


def card(uid: str, name: str, note: str = "") -> bytes:
    """A small vCard 3.0 with CRLF line breaks."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", f"N:{name};;;;"]
    if note:
        lines.append(f"NOTE:{note}")
    lines.append("END:VCARD")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


CARDS_DIR = Path(__file__).resolve().parent.parent / "data" / "cards"

BROKEN = {
    "empty.vcf": b"",
    "truncated.vcf": b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:truncated\r\nFN:Cut Off\r\nTEL:+1",
    "notacard.vcf": b"Dear diary, today I exported nothing.\n",
    "binary.vcf": bytes(range(256)) * 4,
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "contacts"
    path.mkdir()
    return path


def unnamed_files_work(folder: Path) -> bool:
    """Whether ``folder`` takes files made without a name (Linux, O_TMPFILE)."""
    if not getattr(os, "O_TMPFILE", 0) or not Path("/proc/self/fd").is_dir():
        return False
    try:
        os.close(os.open(folder, os.O_WRONLY | os.O_TMPFILE, 0o600))
    except OSError:
        return False
    return True


# How the store makes new files: without a name where the system can (Linux), else with a
# temporary name; "old kernel" and "no /proc" make the first way fail for real the way
# those systems do, so that the store must notice and take the second.
MAKING = ["as the system allows", "temporary names", "old kernel", "no /proc"]


@pytest.fixture(params=MAKING)
def making(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    how: str = request.param
    if how == "temporary names":
        monkeypatch.setattr(fileops, "_O_TMPFILE", 0)
    elif how == "old kernel":  # a kernel without O_TMPFILE sees only its O_DIRECTORY bit
        monkeypatch.setattr(fileops, "_O_TMPFILE", getattr(os, "O_DIRECTORY", 0))
    elif how == "no /proc":
        monkeypatch.setattr(fileops, "_FD_PATH", "/nonexistent-proc/self/fd/{}")
    return how


def snapshot(root: Path) -> dict[str, tuple[bytes | str, int]]:
    """Content (or link target) and mtime of everything under ``root``."""
    out: dict[str, tuple[bytes | str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            st = path.lstat()
            if path.is_symlink():
                content: bytes | str = os.readlink(path)
            elif path.is_dir():
                content = "<dir>"
            else:
                content = path.read_bytes()
            out[str(path.relative_to(root))] = (content, st.st_mtime_ns)
    return out


# -- names ----------------------------------------------------------------------------------


def test_file_names_from_uids() -> None:
    assert file_name_for("abc-123@example.com") == "abc-123@example.com"
    assert file_name_for("A.b_c+d") == "A.b_c+d"
    hashed = re.compile(r"[0-9a-f]{32}")
    for uid in [*WEIRD_UIDS, "con", "Lpt1", "nul.x", "y" * 121]:
        assert hashed.fullmatch(file_name_for(uid)), uid
    assert file_name_for("../../etc/passwd") == file_name_for("../../etc/passwd")
    assert file_name_for("a/b") != file_name_for("a\\b")


def test_create_names_and_suffixes(root: Path, making: str) -> None:
    (root / "jane.vcf").write_bytes(b"written by another program")
    store = open_folder_store(str(root))
    store.list(None)
    first = store.create("jane", card("jane", "Jane"))
    second = store.create("jane", card("jane", "Jane again"))
    weird = store.create("../../etc/passwd", card("../../etc/passwd", "Root"))
    store.commit()
    assert first.key == "jane-2.vcf"
    assert second.key == "jane-3.vcf"
    assert re.fullmatch(r"[0-9a-f]{32}\.vcf", weird.key)
    assert (root / "jane.vcf").read_bytes() == b"written by another program"


def test_stamp_is_size_mtime_inode(root: Path, making: str) -> None:
    store = open_folder_store(str(root))
    w = store.create("a", card("a", "A"))
    st = (root / w.key).stat()
    assert w.stamp == f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    (entry,) = store.list(None).entries or ()
    assert entry.stamp == w.stamp
    assert entry.data is None
    assert entry.mtime == st.st_mtime


def test_uppercase_extension_is_a_card(root: Path) -> None:
    (root / "UPPER.VCF").write_bytes(card("upper", "Upper"))
    listing = open_folder_store(str(root)).list(None)
    assert [e.key for e in listing.entries or ()] == ["UPPER.VCF"]


# -- other people's files -------------------------------------------------------------------


def test_foreign_files_are_left_alone(root: Path) -> None:
    (root / "notes.txt").write_bytes(b"shopping list")
    (root / ".hidden.vcf").write_bytes(card("hidden", "Hidden"))
    (root / ".git").mkdir()
    (root / ".git" / "config").write_bytes(b"[core]")
    (root / "sub.vcf").mkdir()
    (root / "sub.vcf" / "inner.vcf").write_bytes(card("inner", "Inner"))
    (root / "outside.txt").write_bytes(card("linked", "Linked"))
    (root / "link.vcf").symlink_to(root / "outside.txt")
    (root / "dangling.vcf").symlink_to(root / "nowhere")
    (root / ".syncgui-tmp-young").write_bytes(b"a sync in progress")
    (root / "mine.vcf").write_bytes(card("mine", "Mine"))
    before = snapshot(root)
    del before["mine.vcf"]

    store = open_folder_store(str(root))
    assert [e.key for e in store.list(None).entries or ()] == ["mine.vcf"]
    store.update("mine.vcf", card("mine", "Mine", note="changed"))
    store.create("hidden", card("hidden", "Hidden"))
    store.create("linked", card("linked", "Linked"))
    store.create("sub", card("sub", "Sub"))
    store.delete("mine.vcf")
    store.commit()
    open_folder_store(str(root)).list(None)

    after = snapshot(root)
    assert {k: v for k, v in after.items() if k in before} == before
    # the subfolder "sub.vcf" holds the name, so the new card goes next to it
    assert set(after) - set(before) == {"hidden.vcf", "linked.vcf", "sub-2.vcf"}


def test_stale_temp_files_are_removed(root: Path) -> None:
    old = root / (TEMP_PREFIX + "old")
    young = root / (TEMP_PREFIX + "young")
    folder_like = root / (TEMP_PREFIX + "dir")
    for path in (old, young):
        path.write_bytes(b"partial")
    folder_like.mkdir()
    past = time.time() - 120
    os.utime(old, (past, past))
    os.utime(folder_like, (past, past))
    open_folder_store(str(root)).list(None)
    assert not old.exists()
    assert young.exists()
    assert folder_like.is_dir()


# -- damaged files --------------------------------------------------------------------------


def test_damaged_files_are_reported_and_never_touched(root: Path) -> None:
    for name, data in BROKEN.items():
        (root / name).write_bytes(data)
    if CARDS_DIR.is_dir():  # the shared samples of damaged files, as .vcf files
        for path in CARDS_DIR.glob("broken-*"):
            BROKEN[f"sample-{path.stem}.vcf"] = path.read_bytes()
            (root / f"sample-{path.stem}.vcf").write_bytes(path.read_bytes())
    (root / "good.vcf").write_bytes(card("good", "Good"))
    before = snapshot(root)

    store = open_folder_store(str(root))
    listing = store.list(None)
    # an empty file is known to be damaged from its size alone
    empty = {name for name, data in BROKEN.items() if not data}
    assert listing.unreadable == empty
    assert {p.item for p in listing.problems} == empty
    assert all(p.item in p.message for p in listing.problems)
    # the others are only known once read (a listing never opens files): read names them
    for name in BROKEN:
        with pytest.raises(BadItem) as info:
            store.read(name)
        assert info.value.item == name
        assert name in info.value.message
    assert store.read("good.vcf") == card("good", "Good")

    for name in BROKEN:
        with pytest.raises(ItemRejected):
            store.update(name, card("x", "Overwrite"))
        with pytest.raises(ItemRejected):
            store.delete(name)
        store.create(name.removesuffix(".vcf"), card("new", "New"))
    store.update("good.vcf", card("good", "Good", note="n"))
    store.commit()
    store.list(None)
    after = snapshot(root)
    assert {k: after[k] for k in BROKEN} == {k: before[k] for k in BROKEN}


def test_truncated_file_message(root: Path) -> None:
    (root / "cut.vcf").write_bytes(BROKEN["truncated.vcf"])
    with pytest.raises(BadItem, match=r"cut\.vcf: no END:VCARD line"):
        open_folder_store(str(root)).read("cut.vcf")


def test_two_cards_in_one_file_are_refused(root: Path) -> None:
    """read() only checks the ends of a file; change detection describes every new or
    changed file with the codec, which refuses a file holding two cards."""
    (root / "two.vcf").write_bytes(card("a", "A") + card("b", "B"))
    store = open_folder_store(str(root))
    with pytest.raises(BadItem, match="more than one card"):
        store.format.describe(store.read("two.vcf"))


def test_file_that_cannot_be_examined(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "locked.vcf").write_bytes(card("locked", "Locked"))
    (root / "fine.vcf").write_bytes(card("fine", "Fine"))
    real_scandir = os.scandir

    class Entry:
        def __init__(self, entry: os.DirEntry[str]) -> None:
            self._entry = entry
            self.name, self.path = entry.name, entry.path

        def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
            if self.name == "locked.vcf":
                raise PermissionError(errno.EACCES, "Permission denied")
            return self._entry.stat(follow_symlinks=follow_symlinks)

        def inode(self) -> int:
            return self._entry.inode()

    class Scan:
        def __init__(self, path: str) -> None:
            self._it = real_scandir(path)

        def __enter__(self) -> list[Entry]:
            return [Entry(e) for e in self._it]

        def __exit__(self, *exc: object) -> None:
            self._it.close()

    real_lstat = os.lstat

    def lstat(path: str, **kwargs: Any) -> os.stat_result:  # the careful look, by path
        if os.path.basename(path) == "locked.vcf":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_lstat(path, **kwargs)

    monkeypatch.setattr(os, "scandir", Scan)
    monkeypatch.setattr(os, "lstat", lstat)
    listing = open_folder_store(str(root)).list(None)
    assert [e.key for e in listing.entries or ()] == ["fine.vcf"]
    assert listing.unreadable == frozenset({"locked.vcf"})
    assert "permission denied" in listing.problems[0].message
    assert listing.complete


# -- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["../x.vcf", "a/b.vcf", "a\\b.vcf", "..", ".", "", ".h.vcf", "x.txt"]
)
def test_keys_must_be_plain_card_file_names(root: Path, key: str) -> None:
    store = open_folder_store(str(root))
    with pytest.raises(ItemUnreadable):
        store.read(key)
    with pytest.raises(ItemRejected):
        store.update(key, card("x", "X"))
    with pytest.raises(ItemRejected):
        store.delete(key)


def test_vanished_files(root: Path) -> None:
    store = open_folder_store(str(root))
    w = store.create("gone", card("gone", "Gone"))
    store.list(None)
    (root / w.key).unlink()
    with pytest.raises(ItemVanished):
        store.read(w.key)
    with pytest.raises(ItemVanished):
        store.update(w.key, card("gone", "Gone", note="n"))
    assert not (root / w.key).exists()
    store.delete(w.key)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc here")
def test_a_file_holding_more_than_its_size_says_is_read_to_the_end() -> None:
    """A file that grows while it is read (here /proc's, whose size says 0) is read to the
    end, however much more it holds."""
    expected = Path("/proc/self/status").read_bytes()
    assert os.stat("/proc/self/status").st_size == 0 and len(expected) > 100
    found = fileops.read_whole("/proc/self/status")
    assert found.splitlines()[0] == expected.splitlines()[0]  # Name: the same process
    assert len(found) > 100 and found.endswith(b"\n")


def test_big_cards_are_read_whole(root: Path) -> None:
    """A card bigger than one read call (a large photo) comes back complete."""
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + "QUJD" * 60_000
    data = card("big", "Big", note="x").replace(b"END:VCARD", photo.encode() + b"\r\nEND:VCARD")
    (root / "big.vcf").write_bytes(data)
    assert len(data) > 3 * fileops._READ_CHUNK  # (read in one call, its size known)
    assert open_folder_store(str(root)).read("big.vcf") == data


def test_a_folder_named_like_a_card_is_unreadable(root: Path) -> None:
    (root / "odd.vcf").mkdir()
    store = open_folder_store(str(root))
    assert [e.key for e in store.list(None).entries or ()] == []
    with pytest.raises(ItemUnreadable, match=r"odd\.vcf cannot be read"):
        store.read("odd.vcf")


# -- writing --------------------------------------------------------------------------------


def test_new_files_follow_the_umask_and_updates_keep_permissions(root: Path, making: str) -> None:
    old = os.umask(0o027)
    try:
        store = open_folder_store(str(root))
        w = store.create("perm", card("perm", "Perm"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((root / w.key).stat().st_mode) == 0o640
    os.chmod(root / w.key, 0o604)
    store.update(w.key, card("perm", "Perm", note="n"))
    assert stat.S_IMODE((root / w.key).stat().st_mode) == 0o604


def test_failed_write_leaves_nothing(
    root: Path, making: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_folder_store(str(root))
    w = store.create("keep", card("keep", "Keep"))
    original = (root / w.key).read_bytes()

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ItemRejected, match="disk is full"):
        store.update(w.key, card("keep", "Keep", note="lost"))
    monkeypatch.setattr(os, "link", full)
    with pytest.raises(ItemRejected):
        store.create("other", card("other", "Other"))
    assert (root / w.key).read_bytes() == original
    assert sorted(p.name for p in root.iterdir()) == [w.key]


def create_beside_theirs(root: Path) -> Written:
    """Create card "dup" where another program's dup.vcf is: it must take dup-2.vcf, leave
    theirs alone, and list with the stamp create() returned."""
    (root / "dup.vcf").write_bytes(b"theirs")
    store = open_folder_store(str(root))
    w = store.create("dup", card("dup", "Dup"))
    assert w.key == "dup-2.vcf"
    assert (root / "dup.vcf").read_bytes() == b"theirs"
    assert [e.stamp for e in store.list(None).entries or () if e.key == w.key] == [w.stamp]
    return w


def test_without_hard_links_create_still_never_overwrites(
    root: Path, monkeypatch: pytest.MonkeyPatch, making: str
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    create_beside_theirs(root)
    assert not [p for p in root.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_new_files_are_made_without_a_temporary_name_where_possible(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system can, a new card never has a temporary name: with that way made to
    fail, creating still works (and still never replaces a file)."""
    if not unnamed_files_work(root):
        pytest.skip("no O_TMPFILE here")

    def no_temporary_names(*args: object, **kwargs: object) -> None:
        raise AssertionError("a temporary name was used")

    monkeypatch.setattr(folder_mod, "write_temp", no_temporary_names)
    w = create_beside_theirs(root)
    assert (root / w.key).read_bytes() == card("dup", "Dup")
    assert sorted(p.name for p in root.iterdir()) == ["dup-2.vcf", "dup.vcf"]


def test_creating_works_whichever_way_new_files_are_made(root: Path, making: str) -> None:
    store = open_folder_store(str(root))
    written = [store.create(f"c{i}", card(f"c{i}", f"C {i}")) for i in range(3)]
    store.commit()
    assert sorted(p.name for p in root.iterdir()) == ["c0.vcf", "c1.vcf", "c2.vcf"]
    for i, w in enumerate(written):
        assert (root / w.key).read_bytes() == card(f"c{i}", f"C {i}")
    assert sorted(e.stamp for e in store.list(None).entries or ()) == sorted(
        w.stamp for w in written
    )


def test_commit_fsyncs_the_folder_after_writes(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    monkeypatch.setattr(folder_mod, "fsync_folder", synced.append)
    store = open_folder_store(str(root))
    assert store.commit() is None
    assert synced == []
    store.create("a", card("a", "A"))
    assert store.commit() is None
    assert synced == [str(root)]


def test_unavailable_folders(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="does not exist; was it moved"):
        open_folder_store(str(tmp_path / "missing")).list(None)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(StoreUnavailable, match="not a folder"):
        open_folder_store(str(tmp_path / "file")).list(None)
    with pytest.raises(StoreUnavailable):
        open_folder_store("  ")
    store = open_folder_store(str(tmp_path / "missing"))
    with pytest.raises(StoreUnavailable):
        store.create("a", card("a", "A"))


def test_factory_expands_home_and_resolves_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    monkeypatch.setenv("HOME", str(tmp_path))
    store = open_folder_store("~/alias")
    assert isinstance(store, VCardFolderProvider)
    assert store.identity == "vdir:" + os.path.realpath(real)
    assert store.name == "alias"
    assert open_folder_store(str(real) + "/").name == "real"


def test_fixture_cards_are_written_byte_identical(root: Path) -> None:
    samples = sorted(CARDS_DIR.glob("*.vcf")) if CARDS_DIR.is_dir() else []
    samples = [p for p in samples if not p.name.startswith("broken")]
    if not samples:
        pytest.skip("no fixture cards in tests/data/cards")
    store = open_folder_store(str(root))
    written = {p.name: store.create(p.stem, p.read_bytes()) for p in samples}
    store.commit()
    fresh = open_folder_store(str(root))
    listed = {e.key: e.stamp for e in fresh.list(None).entries or ()}
    for path in samples:
        w = written[path.name]
        assert listed[w.key] == w.stamp
        assert (root / w.key).read_bytes() == path.read_bytes()
        assert fresh.read(w.key) == path.read_bytes()

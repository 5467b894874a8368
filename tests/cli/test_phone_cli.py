"""End to end over the virtual phone: the MTP provider, unchanged, on the virtual backend.

What a user does: pair an address-book folder with the phone, sync, edit on either side,
delete, meet a conflict, pull the cable mid-sync, sync the phone with a second computer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import syncgui.providers.mtp.phone.store as phone_store
from syncgui.providers.mtp.backend import DeviceGone, MtpBackend, ObjectInfo, RawDevice
from syncgui.providers.mtp.phone.devicestate import DeviceState
from syncgui.providers.mtp.phone.statecodec import decode_state
from syncgui.providers.mtp.virtual import VirtualBackend, VirtualDevice
from tests.cli.conftest import Cli, card


def _write(path: Path, text: str) -> None:
    path.write_text(text, newline="")
    st = path.stat()  # a later second, as another program's save would be
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def _states(phone: Path) -> list[Path]:
    return sorted((phone / ".syncgui").glob("*.state"))


def _replica_id(phone: Path) -> bytes:
    (state,) = _states(phone)
    return decode_state(state.read_bytes()).replica_id


@pytest.fixture
def paired(cli: Cli, stores: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    book, _export = stores
    phone = tmp_path / "phone"
    code, out, _ = cli("partnership", "add", "phone", f"vdir:{book}", f"virtual:{phone}")
    assert code == 0 and "created the virtual phone" in out
    return book, phone


def test_first_sync_copies_both_ways_and_keeps_state_on_the_phone(
    cli: Cli, paired: tuple[Path, Path]
) -> None:
    book, phone = paired
    _write(phone / "Contacts" / "cat.vcf", card("cat", "Cat On Phone", "TEL:+44 20 7946 0000"))
    code, runs = cli.json("sync", "phone")
    assert code == 0, runs
    assert runs[0]["to_b"]["created"] == 3 and runs[0]["to_a"]["created"] == 1
    assert (book / "cat.vcf").read_bytes().decode() == card(
        "cat", "Cat On Phone", "TEL:+44 20 7946 0000"
    )
    on_phone = sorted(p.name for p in (phone / "Contacts").iterdir())
    assert len(on_phone) == 4 and "ann.vcf" in on_phone
    # the phone's replica id and knowledge live on the phone, as one object
    assert len(_states(phone)) == 1
    code, runs = cli.json("sync", "phone")
    assert code == 0 and runs[0]["to_a"] == runs[0]["to_b"] == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
    }


def test_edits_on_each_side_and_a_delete_travel(cli: Cli, paired: tuple[Path, Path]) -> None:
    book, phone = paired
    assert cli("sync", "phone")[0] == 0
    _write(phone / "Contacts" / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0199"))
    _write(book / "bob.vcf", card("bob", "Bob Example", "EMAIL:bob@example.net"))
    (phone / "Contacts" / "bob.vcf").unlink()  # deleted on the phone, edited here: kept
    code, runs = cli.json("sync", "phone")
    assert code == 0, runs
    assert "TEL:+1 555 0199" in (book / "ann.vcf").read_text()
    assert "bob@example.net" in (phone / "Contacts" / "bob.vcf").read_text()
    (phone / "Contacts" / "ann.vcf").unlink()
    code, runs = cli.json("sync", "phone")
    assert code == 0 and runs[0]["to_a"]["deleted"] == 1
    assert not (book / "ann.vcf").exists()


def test_conflict_is_kept_for_the_user_and_resolved(
    cli: Cli, stores: tuple[Path, Path], tmp_path: Path
) -> None:
    book, _ = stores
    phone = tmp_path / "phone"
    cli("partnership", "add", "p", f"vdir:{book}", f"virtual:{phone}", "--policy", "ask")
    assert cli("sync", "p")[0] == 0
    _write(book / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0101"))
    _write(phone / "Contacts" / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0102"))
    code, runs = cli.json("sync", "p")
    assert code == 3 and runs[0]["conflicts"] == 1
    code, conflicts = cli.json("conflicts")
    assert len(conflicts) == 1 and "0101" in conflicts[0]["a"]["vcard"]
    assert "0102" in conflicts[0]["b"]["vcard"]
    assert cli("resolve", conflicts[0]["id"], "--keep", "b")[0] == 0
    assert cli("sync", "p")[0] == 0
    assert "0102" in (book / "ann.vcf").read_text()
    assert cli.json("conflicts")[1] == []


def test_a_phone_synced_with_two_computers_keeps_one_identity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home, work = Cli(tmp_path / "home", capsys), Cli(tmp_path / "work", capsys)
    phone = tmp_path / "phone"
    book_home, book_work = tmp_path / "book-home", tmp_path / "book-work"
    home("partnership", "add", "p", f"vdir:{book_home}", f"virtual:{phone}")
    work("partnership", "add", "p", f"vdir:{book_work}", f"virtual:{phone}")
    _write(book_home / "ann.vcf", card("ann", "Ann From Home"))
    assert home("sync", "p")[0] == 0
    first = _replica_id(phone)
    assert work("sync", "p")[0] == 0
    assert (book_work / "ann.vcf").exists()
    assert _replica_id(phone) == first
    _write(book_work / "bob.vcf", card("bob", "Bob From Work"))
    _write(book_work / "ann.vcf", card("ann", "Ann From Home", "NOTE:met at work"))
    assert work("sync", "p")[0] == 0
    code, runs = home.json("sync", "p")
    assert code == 0 and runs[0]["conflicts"] == 0, runs
    assert (book_home / "bob.vcf").exists()
    assert "met at work" in (book_home / "ann.vcf").read_text()
    assert _replica_id(phone) == first


class _Unplugged(Exception):
    pass


class _CutCable:
    """The virtual phone, unplugged in the middle of the ``after``-th upload: half the
    bytes arrive, then the device is gone (as a pulled cable leaves a phone)."""

    def __init__(self, root: Path, after: int) -> None:
        self.inner = VirtualBackend(root)
        self.left = after

    def detect(self) -> list[RawDevice]:
        return list(self.inner.detect())

    def open(self, raw: RawDevice) -> VirtualDevice:
        device = self.inner.open(raw)
        real_upload = device.upload

        def upload(storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
            self.left -= 1
            if self.left == 0:
                real_upload(storage, parent, name, data[: len(data) // 2])
                raise DeviceGone("the device was disconnected")
            if self.left < 0:
                raise DeviceGone("the device was disconnected")
            return real_upload(storage, parent, name, data)

        device.upload = upload  # type: ignore[method-assign]
        return device


@pytest.mark.parametrize("after", [1, 2, 3, 5, 8])
def test_unplugging_mid_sync_loses_nothing_and_the_next_sync_completes(
    cli: Cli, paired: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    book, phone = paired
    assert cli("sync", "phone")[0] == 0
    for i in range(6):
        _write(book / f"new{i}.vcf", card(f"new{i}", f"New {i}"))
    _write(book / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0177"))
    _write(book / "bob.vcf", card("bob", "Bob Example", "EMAIL:bob@example.com"))
    expected = {p.name: p.read_bytes() for p in book.iterdir()}

    def cut(where: phone_store.Location) -> MtpBackend:
        return _CutCable(Path(where.device), after)

    with monkeypatch.context() as m:
        m.setattr(phone_store, "_backend_for", cut)
        code, out, _err = cli("sync", "phone")
    assert code == 1 and "disconnected" in out
    code, runs = cli.json("sync", "phone")
    assert code == 0, runs
    assert runs[0]["conflicts"] == 0
    on_phone = [p.read_bytes() for p in (phone / "Contacts").iterdir()]
    # no duplicate, no half card left behind, every card as the address book has it
    assert sorted(_fn(d) for d in on_phone) == sorted(_fn(d) for d in expected.values())
    assert all(d.rstrip().endswith(b"END:VCARD") for d in on_phone)
    assert any(b"+1 555 0177" in d for d in on_phone)
    assert any(b"bob@example.com" in d for d in on_phone)
    assert {p.name: p.read_bytes() for p in book.iterdir()} == expected
    assert not list((phone / ".syncgui").glob("*.journal"))


def _fn(data: bytes) -> str:
    return next(line for line in data.decode().splitlines() if line.startswith("FN:"))


def test_a_state_object_cut_short_leaves_the_previous_one_readable(
    cli: Cli, paired: tuple[Path, Path]
) -> None:
    book, phone = paired
    assert cli("sync", "phone")[0] == 0
    (good,) = _states(phone)
    seq = int(good.name.split(".")[1])
    cut = good.with_name(good.name.replace(f".{seq}.", f".{seq + 1}."))
    cut.write_bytes(good.read_bytes()[:-7])  # the newer save was interrupted
    device = VirtualBackend(phone).open(VirtualBackend(phone).detect()[0])
    state = DeviceState(device, 0x00010001, "Contacts", "phone").load_state()
    assert state is not None and state.replica_id == _replica_id_of(good)
    code, runs = cli.json("sync", "phone")
    assert code == 0 and runs[0]["to_a"]["created"] == runs[0]["to_b"]["created"] == 0
    _write(book / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0111"))
    assert cli("sync", "phone")[0] == 0
    (only,) = _states(phone)  # the next save replaces both
    assert _replica_id_of(only) == state.replica_id


def _replica_id_of(path: Path) -> bytes:
    return decode_state(path.read_bytes()).replica_id


def test_read_only_phone_storage_keeps_the_state_on_the_computer(
    cli: Cli, stores: tuple[Path, Path], tmp_path: Path
) -> None:
    book, _ = stores
    phone = tmp_path / "phone"
    (phone / "Contacts").mkdir(parents=True)
    _write(phone / "Contacts" / "cat.vcf", card("cat", "Cat"))
    (phone / ".syncgui-virtual.json").write_text(
        '{"storages": [{"description": "SD card", "read_only": true}]}'
    )
    cli("partnership", "add", "p", f"virtual:{phone}", f"vdir:{book}", "--direction", "a-to-b")
    assert cli("sync", "p")[0] == 0
    assert (book / "cat.vcf").exists()
    assert not (phone / ".syncgui").exists()
    assert cli("sync", "p")[0] == 0


def test_unplugged_phone_fails_the_sync_and_deletes_nothing(
    cli: Cli, paired: tuple[Path, Path]
) -> None:
    book, phone = paired
    assert cli("sync", "phone")[0] == 0
    phone.rename(phone.with_name("elsewhere"))
    code, out, _ = cli("sync", "phone")
    assert code == 1 and "No phone is connected" in out
    assert len(list(book.iterdir())) == 3


def test_phone_without_contacts_says_how_to_export_them(cli: Cli, tmp_path: Path) -> None:
    phone = tmp_path / "phone"
    (phone / "DCIM").mkdir(parents=True)
    code, _out, err = cli("partnership", "add", "p", f"vdir:{tmp_path / 'b'}", f"virtual:{phone}")
    assert code == 1 and "export your contacts to a .vcf file" in err
    assert cli.json("partnership", "list")[1] == []


class _WholeSeconds(VirtualBackend):
    """A virtual phone that dates files in whole seconds, as MTP phones do."""

    def open(self, raw: RawDevice) -> VirtualDevice:
        device = super().open(raw)
        real = device._object

        def whole(storage: int, parent: int, path: Path, st: os.stat_result) -> ObjectInfo:
            o = real(storage, parent, path, st)
            return ObjectInfo(
                o.id, o.parent, o.storage, o.name, o.size, float(int(o.mtime)), o.is_folder
            )

        device._object = whole  # type: ignore[method-assign]
        return device


def test_a_same_size_edit_on_the_phone_right_after_a_sync_is_seen(
    cli: Cli, paired: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    book, phone = paired
    monkeypatch.setattr(phone_store, "_backend_for", lambda where: _WholeSeconds(where.device))
    assert cli("sync", "phone")[0] == 0
    # at once, in what may still be the second of the sync's write, same size
    (phone / "Contacts" / "ann.vcf").write_bytes(
        (phone / "Contacts" / "ann.vcf").read_bytes().replace(b"0100", b"0199")
    )
    code, runs = cli.json("sync", "phone")
    assert code == 0 and runs[0]["to_a"]["updated"] == 1, runs
    assert b"0199" in (book / "ann.vcf").read_bytes()


def test_a_sync_that_changes_nothing_writes_nothing_on_the_phone(
    cli: Cli, paired: tuple[Path, Path]
) -> None:
    _book, phone = paired
    assert cli("sync", "phone")[0] == 0
    before = {p.name: p.stat().st_mtime_ns for p in phone.rglob("*")}
    assert cli("sync", "phone")[0] == 0
    assert {p.name: p.stat().st_mtime_ns for p in phone.rglob("*")} == before


def test_a_conflict_held_by_an_unplugged_phone_is_not_shown_as_a_delete(
    cli: Cli, stores: tuple[Path, Path], tmp_path: Path
) -> None:
    book, _ = stores
    phone = tmp_path / "phone"
    # policy "ask", phone as side B: the first pass (A to B) keeps the conflict on the phone
    cli("partnership", "add", "p", f"vdir:{book}", f"virtual:{phone}", "--policy", "ask")
    assert cli("sync", "p")[0] == 0
    _write(book / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0101"))
    _write(phone / "Contacts" / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0102"))
    assert cli("sync", "p")[0] == 3
    phone.rename(tmp_path / "unplugged")
    code, views = cli.json("conflicts")
    assert code == 0 and len(views) == 1
    assert "0101" in views[0]["a"]["vcard"]
    assert (
        views[0]["b"]["vcard"] is None and "No phone is connected" in views[0]["b"]["unreachable"]
    )
    code, out, _ = cli("conflicts")
    assert "deleted" not in out and "cannot be shown now" in out

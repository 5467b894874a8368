"""Replica metadata kept by the store (a phone) with a working copy on each computer."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.hosted import TICK_LEASE, HostedMetadata, ReplicaState
from syncgui.engine.ids import Version
from syncgui.engine.items import ItemMeta
from syncgui.engine.metadata import ItemRow, MetadataStore


class Phone:
    """A MetadataHost in memory; ``fail_saves`` makes saves fail (cable pulled)."""

    def __init__(self) -> None:
        self.saved: ReplicaState | None = None
        self.fail_saves = False

    def load_state(self) -> ReplicaState | None:
        return self.saved

    def save_state(self, state: ReplicaState) -> None:
        if self.fail_saves:
            raise StoreUnavailable("the device was disconnected")
        self.saved = state


def _computer(tmp_path: Path, name: str) -> MetadataStore:
    return MetadataStore(tmp_path / f"{name}.sqlite", "virtual:/phone")


def _edit(meta: MetadataStore, uid: str) -> Version:
    with meta.transaction():
        v = meta.next_version()
        m = ItemMeta(uid.encode().ljust(16, b"."), uid, uid, v, v, False, 0.0)
        meta.save(ItemRow(m, f"{uid}.vcf", "1:1", "h"))
    return v


def test_second_computer_takes_the_phones_identity_and_items(tmp_path: Path) -> None:
    phone = Phone()
    home = HostedMetadata(_computer(tmp_path, "home"), phone)
    home.adopt()
    _edit(home.meta, "ann")
    home.publish()
    work = HostedMetadata(_computer(tmp_path, "work"), phone)
    assert work.meta.replica_id != home.meta.replica_id  # before it sees the phone
    work.adopt()
    assert work.meta.replica_id == home.meta.replica_id
    assert [r.key for r in work.meta.all_rows()] == ["ann.vcf"]
    assert work.meta.knowledge.contains(b"ann".ljust(16, b"."), Version(home.meta.replica_id, 1))


def test_no_version_is_handed_out_twice_when_the_final_save_fails(tmp_path: Path) -> None:
    phone = Phone()
    home = HostedMetadata(_computer(tmp_path, "home"), phone)
    home.adopt()
    assert phone.saved is not None and phone.saved.tick == TICK_LEASE  # reserved at once
    issued = [_edit(home.meta, f"c{i}") for i in range(3)]
    phone.fail_saves = True
    home.publish()  # logged, not raised: the cable was pulled at the end
    phone.fail_saves = False
    work = HostedMetadata(_computer(tmp_path, "work"), phone)
    work.adopt()
    fresh = _edit(work.meta, "d")
    assert all(fresh.tick > v.tick for v in issued)


def test_a_working_copy_ahead_of_the_phone_is_kept(tmp_path: Path) -> None:
    phone = Phone()
    home = HostedMetadata(_computer(tmp_path, "home"), phone)
    home.adopt()
    _edit(home.meta, "ann")
    phone.fail_saves = True
    home.publish()
    phone.fail_saves = False
    again = HostedMetadata(home.meta, phone)
    again.adopt()  # the phone holds the reservation this computer saved: same generation
    assert [r.key for r in again.meta.all_rows()] == ["ann.vcf"]
    assert phone.saved is not None and len(phone.saved.items) == 1


def test_another_computers_newer_state_replaces_the_working_copy(tmp_path: Path) -> None:
    phone = Phone()
    home = HostedMetadata(_computer(tmp_path, "home"), phone)
    home.adopt()
    home.publish()
    work = HostedMetadata(_computer(tmp_path, "work"), phone)
    work.adopt()
    _edit(work.meta, "bob")
    work.publish()
    back = HostedMetadata(home.meta, phone)
    back.adopt()
    assert [r.key for r in back.meta.all_rows()] == ["bob.vcf"]


def test_a_phone_that_cannot_be_read_is_an_error_not_a_fresh_start(tmp_path: Path) -> None:
    class Gone(Phone):
        def load_state(self) -> ReplicaState | None:
            raise StoreUnavailable("the device was disconnected")

    with pytest.raises(StoreUnavailable):
        HostedMetadata(_computer(tmp_path, "home"), Gone()).adopt()


def test_another_phone_under_the_same_spec_starts_as_a_new_replica(tmp_path: Path) -> None:
    first_phone, other_phone = Phone(), Phone()
    meta = _computer(tmp_path, "home")
    home = HostedMetadata(meta, first_phone)
    home.adopt()
    _edit(meta, "ann")
    home.publish()
    old_id = meta.replica_id
    HostedMetadata(meta, other_phone).adopt()  # "mtp:first/..." is now another phone
    assert meta.replica_id != old_id
    assert meta.all_rows() == []  # nothing of the first phone is taken as deleted here
    assert other_phone.saved is not None and other_phone.saved.replica_id == meta.replica_id

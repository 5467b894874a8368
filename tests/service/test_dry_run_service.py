"""Through the service, as ``syncgui-cli sync --dry-run`` and the wizard's preview run it: a
dry run of a phone partnership writes nothing on the phone (no ``.syncgui`` state object, no
card), changes nothing in the data folder's databases (the very first one creates them, with
no sync state in them), and predicts the sync (issue 13)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from syncgui.engine import SessionResult
from syncgui.service import SyncService, resolve_paths
from tests.service.support import database_dumps


def _card(uid: str, name: str, note: str = "") -> bytes:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}"]
    lines += [f"NOTE:{note}"] if note else []
    return ("\r\n".join([*lines, "END:VCARD"]) + "\r\n").encode()


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _told(result: SessionResult) -> tuple[object, ...]:
    return (
        result.status,
        dataclasses.astuple(result.to_a),
        dataclasses.astuple(result.to_b),
        result.conflicts,
        result.merged,
        len(result.matched),
    )


def test_a_dry_run_of_a_phone_partnership_writes_nothing_and_predicts_the_sync(
    tmp_path: Path,
) -> None:
    book, phone, data = tmp_path / "book", tmp_path / "phone", tmp_path / "data"
    book.mkdir()
    (phone / "Contacts").mkdir(parents=True)
    (book / "ann.vcf").write_bytes(_card("ann", "Ann Example"))
    (phone / "Contacts" / "bob.vcf").write_bytes(_card("bob", "Bob Example"))
    (phone / "Contacts" / "ann-p.vcf").write_bytes(_card("ann-p", "Ann Example", "phone"))
    service = SyncService(resolve_paths(tmp_path / "config", data), real_backend=None)
    service.add_partnership("Phone", f"vdir:{book}", f"virtual:{phone}#Contacts")

    for step in ("first", "edited"):
        # (the first dry run creates the data folder's databases, empty of any sync)
        before = (_files(book), _files(phone), database_dumps(data) if step != "first" else {})
        [dry] = service.sync(["Phone"], dry_run=True)
        after = (_files(book), _files(phone), database_dumps(data) if step != "first" else {})
        assert after == before, step
        if step == "first":
            assert not (phone / ".syncgui").exists()
        [real] = service.sync(["Phone"])
        assert _told(dry) == _told(real), step
        assert (phone / ".syncgui").exists()
        (phone / "Contacts" / "bob.vcf").write_bytes(_card("bob", "Bob Example", "edited"))
    assert [r.trigger for r in service.sessions("Phone")] == ["cli", "cli"]

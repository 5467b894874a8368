"""An empty store is never believed without asking: a store that held contacts at its last
sync and now lists none stops the sync before anything is written, whatever the counts
(3 deletes are below the proportional guard's minimum of 5), until ``--yes``."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli.conftest import Cli


def _snapshot(*roots: Path) -> dict[str, bytes]:
    """Every file under ``roots`` (or the file itself), by path: their bytes. A phone's own
    sync state (``.syncgui/``) is left out: detection records the deletes it saw there."""
    out: dict[str, bytes] = {}
    for root in roots:
        found = [] if root.is_file() else sorted(root.rglob("*"))
        files = [root] if root.is_file() else [p for p in found if _contact_file(p, root)]
        out |= {str(p): p.read_bytes() for p in files}
    return out


def _contact_file(path: Path, root: Path) -> bool:
    return path.is_file() and ".syncgui" not in path.relative_to(root).parts


def _later(path: Path) -> None:
    """Move the mtime a second on, as another program's save would."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def _blocked_twice(cli: Cli, emptied: Path, other: Path) -> None:
    """Syncing stops with exit 4 and writes nothing; so does the next attempt."""
    before = _snapshot(emptied, other)
    for _ in range(2):
        code, [result] = cli.json("sync", "p")
        assert code == 4 and result["status"] == "blocked", result
        assert _snapshot(emptied, other) == before
    code, out, _ = cli("sync", "p")
    assert code == 4
    assert f"{emptied.name} now holds no contacts (it held 3 at the last sync)" in out
    assert "nothing was deleted" in out and "--yes" in out
    code, [result] = cli.json("sync", "p", "--dry-run")
    assert code == 4 and result["status"] == "blocked"
    assert _snapshot(emptied, other) == before


def test_an_emptied_vcf_stops_the_sync_until_yes(cli: Cli, stores: tuple[Path, Path]) -> None:
    book, export = stores
    assert cli("partnership", "add", "p", f"vdir:{book}", f"vcf:{export}")[0] == 0
    assert cli("sync", "p")[0] == 0
    assert export.read_text().count("BEGIN:VCARD") == 3
    export.write_bytes(b"")  # 0 bytes
    _later(export)
    _blocked_twice(cli, export, book)
    assert len(list(book.glob("*.vcf"))) == 3
    code, [result] = cli.json("sync", "p", "--yes")
    assert code == 0 and result["to_a"]["deleted"] == 3, result
    assert list(book.glob("*.vcf")) == []
    assert cli.json("sync", "p")[0] == 0  # empty on both sides now: nothing to ask


def test_an_emptied_folder_stops_the_sync_until_yes(cli: Cli, stores: tuple[Path, Path]) -> None:
    book, export = stores
    assert cli("partnership", "add", "p", f"vdir:{book}", f"vcf:{export}")[0] == 0
    assert cli("sync", "p")[0] == 0
    for card_file in book.glob("*.vcf"):
        card_file.unlink()
    _blocked_twice(cli, book, export)
    assert export.read_text().count("BEGIN:VCARD") == 3
    code, [result] = cli.json("sync", "p", "--yes")
    assert code == 0 and result["to_b"]["deleted"] == 3, result
    assert "BEGIN:VCARD" not in export.read_text()


def test_an_emptied_phone_folder_stops_the_sync_until_yes(
    cli: Cli, stores: tuple[Path, Path], tmp_path: Path
) -> None:
    book, _export = stores
    phone = tmp_path / "phone"
    assert cli("partnership", "add", "p", f"vdir:{book}", f"virtual:{phone}")[0] == 0
    assert cli("sync", "p")[0] == 0
    contacts = phone / "Contacts"
    assert len(list(contacts.glob("*.vcf"))) == 3
    for card_file in contacts.glob("*.vcf"):
        card_file.unlink()
    before = _snapshot(phone, book)
    code, [result] = cli.json("sync", "p")
    assert code == 4 and result["status"] == "blocked", result
    assert "now holds no contacts (it held 3 at the last sync)" in result["errors"][0]["message"]
    assert _snapshot(phone, book) == before
    code, [result] = cli.json("sync", "p", "--yes")
    assert code == 0 and result["to_a"]["deleted"] == 3, result
    assert list(book.glob("*.vcf")) == []


def test_a_store_empty_from_the_start_is_not_asked_about(
    cli: Cli, stores: tuple[Path, Path]
) -> None:
    book, export = stores  # export.vcf starts empty: it held nothing before
    assert cli("partnership", "add", "p", f"vdir:{book}", f"vcf:{export}")[0] == 0
    code, [result] = cli.json("sync", "p")
    assert code == 0 and result["to_b"]["created"] == 3


def test_an_emptied_store_with_nothing_left_elsewhere_is_not_asked_about(
    cli: Cli, stores: tuple[Path, Path]
) -> None:
    book, export = stores
    assert cli("partnership", "add", "p", f"vdir:{book}", f"vcf:{export}")[0] == 0
    assert cli("sync", "p")[0] == 0
    for card_file in book.glob("*.vcf"):
        card_file.unlink()
    export.write_bytes(b"")
    _later(export)
    code, [result] = cli.json("sync", "p")  # both emptied: nothing would be deleted
    assert code == 0, result

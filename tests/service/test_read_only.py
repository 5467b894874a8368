"""A read-only store of every kind is never written: the session says which changes for it
were not applied and why, its own changes still flow out, and once it can be written the
held-back changes follow. End to end through the CLI."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, card


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, capsys)


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` with its bytes and mtime: what "never written" compares."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _no_write(path: Path) -> None:
    path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)


def _writable(path: Path) -> None:
    path.chmod(stat.S_IMODE(path.stat().st_mode) | 0o200)


def _read_only_folder(root: Path) -> tuple[str, Path, Callable[[], None]]:
    folder = root / "ro"
    folder.mkdir()
    (folder / "ann.vcf").write_text(card("ann", "Ann Only Here"), newline="")
    _no_write(folder)
    return f"vdir:{folder}", folder, lambda: _writable(folder)


def _read_only_file(root: Path) -> tuple[str, Path, Callable[[], None]]:
    folder = root / "ro"
    folder.mkdir()
    export = folder / "export.vcf"
    export.write_text(card("ann", "Ann Only Here"), newline="")
    _no_write(export)
    return f"vcf:{export}", folder, lambda: _writable(export)


def _read_only_phone(root: Path) -> tuple[str, Path, Callable[[], None]]:
    phone = root / "ro"
    (phone / "Contacts").mkdir(parents=True)
    (phone / "Contacts" / "ann.vcf").write_text(card("ann", "Ann Only Here"), newline="")
    settings = phone / ".syncgui-virtual.json"
    settings.write_text(json.dumps({"storages": [{"description": "SD card", "read_only": True}]}))

    def writable() -> None:
        settings.write_text(json.dumps({"storages": [{"description": "SD card"}]}))

    return f"virtual:{phone}", phone, writable


KINDS = {"folder": _read_only_folder, "vcf": _read_only_file, "phone": _read_only_phone}
REASONS = {
    "folder": "write permission of the folder is turned off",
    "vcf": "write permission of the file is turned off",
    "phone": "storage SD card is write-protected",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_read_only_store_is_never_written_and_its_contacts_still_flow_out(
    cli: Cli, tmp_path: Path, kind: str
) -> None:
    spec, root, make_writable = KINDS[kind](tmp_path)
    book = tmp_path / "book"
    book.mkdir()
    (book / "bob.vcf").write_text(card("bob", "Bob Only Here"), newline="")
    before = _tree(root)
    assert cli("partnership", "add", "p", spec, f"vdir:{book}")[0] == 0

    code, runs = cli.json("sync", "p")

    assert code == 1, runs
    (run,) = runs
    assert run["to_b"]["created"] == 1  # Ann flows out of the read-only store
    assert run["to_a"] == {"created": 0, "updated": 0, "deleted": 0}
    assert _tree(root) == before  # not a byte, not a timestamp, not a state file
    (error,) = run["errors"]
    assert "1 change from book not applied because it is read-only" in error["message"]
    assert REASONS[kind] in error["message"]
    assert sorted(p.name for p in book.iterdir()) == ["ann.vcf", "bob.vcf"]

    # a dry run predicts the same, and a second sync still writes nothing
    code, runs = cli.json("sync", "p", "--dry-run")
    assert code == 1 and "read-only" in runs[0]["errors"][0]["message"]
    assert cli.json("sync", "p")[0] == 1
    assert _tree(root) == before

    make_writable()
    code, runs = cli.json("sync", "p")
    assert code == 0, runs
    assert runs[0]["to_a"]["created"] == 1  # Bob, held back until now
    assert any(b"Bob Only Here" in data for data, _ in _tree(root).values())


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="POSIX only")
def test_a_writable_folder_is_not_taken_for_read_only(tmp_path: Path) -> None:
    from syncgui.providers.vcard.fileops import write_block

    assert write_block(str(tmp_path), "the folder") is None
    _no_write(tmp_path)
    try:
        assert write_block(str(tmp_path), "the folder") == (
            "the write permission of the folder is turned off"
        )
    finally:
        _writable(tmp_path)

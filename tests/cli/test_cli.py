"""End-to-end tests of every command in the syncgui-cli contract, on temporary folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, card


def _pair(cli: Cli, stores: tuple[Path, Path], *extra: str) -> None:
    book, export = stores
    code, out, _ = cli("partnership", "add", "phone", f"vdir:{book}", f"vcf:{export}", *extra)
    assert code == 0, out


def _uids(export: Path) -> list[str]:
    return [
        line.split(":", 1)[1] for line in export.read_text().splitlines() if line.startswith("UID:")
    ]


def test_help_explains_commands_and_exit_codes() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "syncgui.cli", "--help"], capture_output=True, text=True, check=True
    )
    for word in (
        "partnership",
        "sync",
        "conflicts",
        "resolve",
        "history",
        "restore",
        "devices",
        "vdir:FOLDER",
        "vcf:FILE",
        "exit codes",
    ):
        assert word in run.stdout


def test_partnership_add_list_remove(cli: Cli, stores: tuple[Path, Path]) -> None:
    _pair(cli, stores, "--policy", "ask", "--direction", "a-to-b")
    code, items = cli.json("partnership", "list")
    assert code == 0
    assert items == [
        {
            "name": "phone",
            "a": f"vdir:{stores[0]}",
            "b": f"vcf:{stores[1]}",
            "direction": "a-to-b",
            "policy": "ask",
            "match": "people",
            "refused_matches": [],
        }
    ]
    code, _out, err = cli("partnership", "add", "phone", f"vdir:{stores[0]}", f"vcf:{stores[1]}")
    assert code == 2 and "exists already" in err
    assert cli("partnership", "remove", "phone")[0] == 0
    assert cli.json("partnership", "list") == (0, [])


def test_usage_errors_exit_2(cli: Cli, stores: tuple[Path, Path]) -> None:
    book, _ = stores
    assert cli("partnership", "add", "x", "nonsense", f"vdir:{book}")[0] == 2
    assert cli("partnership", "add", "x", f"vdir:{book}", f"vdir:{book}")[0] == 2
    assert cli("sync", "missing")[0] == 2
    code, _out, err = cli("sync")
    assert code == 2 and "--all" in err
    assert cli("resolve", "nope", "--keep", "a")[0] == 2
    assert cli("restore", "99")[0] == 2
    code, _out, err = cli("bogus-command")
    assert code == 2 and "invalid choice" in err


def test_sync_all_without_partnerships_says_so_and_succeeds(cli: Cli) -> None:
    """``sync --all`` before any partnership exists (a schedule set up first) is not an
    error: it says there is nothing to sync and how to add a partnership."""
    code, out, err = cli("sync", "--all")
    assert (code, err) == (0, "")
    assert "No partnerships yet" in out and "partnership add" in out
    assert cli.json("sync", "--all") == (0, [])
    code, _out, err = cli("sync")  # naming none without --all is still a usage error
    assert code == 2 and "none yet" in err


def test_second_sync_of_same_partnership_is_refused(cli: Cli, stores: tuple[Path, Path]) -> None:
    from syncgui.service import resolve_paths
    from syncgui.service.locks import file_lock

    _pair(cli, stores)
    paths = resolve_paths(cli.root / "config", cli.root / "data")
    with file_lock(paths.lock_file("partnership:phone"), "partnership 'phone'"):
        code, [result] = cli.json("sync", "phone")
    assert code == 1 and result["status"] == "failed"
    assert "being synced already" in result["errors"][0]["message"]
    assert stores[1].read_bytes() == b""


def test_add_creates_missing_stores(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli(
        "partnership", "add", "new", f"vdir:{tmp_path / 'fresh'}", f"vcf:{tmp_path / 'out.vcf'}"
    )
    assert code == 0
    assert (tmp_path / "fresh").is_dir() and (tmp_path / "out.vcf").exists()
    assert "created the empty folder" in out


def test_sync_copies_both_ways_and_second_sync_is_a_no_op(
    cli: Cli, stores: tuple[Path, Path]
) -> None:
    book, export = stores
    _pair(cli, stores)
    code, [result] = cli.json("sync", "phone")
    assert code == 0
    assert result["status"] == "ok"
    assert result["to_b"] == {"created": 3, "updated": 0, "deleted": 0}
    assert len(_uids(export)) == 3
    assert "Zoë Ünicode" in export.read_text()
    code, [again] = cli.json("sync", "--all")
    assert code == 0
    assert again["to_a"] == again["to_b"] == {"created": 0, "updated": 0, "deleted": 0}
    # untouched cards in the folder keep their bytes
    assert (book / "ann.vcf").read_bytes().decode() == card("ann", "Ann Example", "TEL:+1 555 0100")


def test_sync_text_output_reports_what_happened(cli: Cli, stores: tuple[Path, Path]) -> None:
    _pair(cli, stores)
    code, out, _ = cli("sync", "phone")
    assert code == 0
    assert "phone: synced" in out and "3 added" in out


def test_dry_run_writes_nothing(cli: Cli, stores: tuple[Path, Path]) -> None:
    _, export = stores
    _pair(cli, stores)
    code, [result] = cli.json("sync", "phone", "--dry-run")
    assert code == 0
    assert result["dry_run"] is True and result["to_b"]["created"] == 3
    assert export.read_bytes() == b""


def test_conflict_listed_resolved_and_synced(cli: Cli, stores: tuple[Path, Path]) -> None:
    book, export = stores
    _pair(cli, stores, "--policy", "ask")
    cli("sync", "phone")
    (book / "ann.vcf").write_text(card("ann", "Ann Example", "TEL:+1 555 0199"), newline="")
    text = export.read_bytes().decode()
    export.write_text(text.replace("TEL:+1 555 0100", "TEL:+1 555 0177"), newline="")
    code, [result] = cli.json("sync", "phone")
    assert code == 3 and result["status"] == "conflicts" and result["conflicts"] == 1
    code, [conflict] = cli.json("conflicts")
    assert conflict["partnership"] == "phone" and conflict["kind"] == "update-update"
    assert conflict["item"] == "Ann Example"
    assert "0199" in conflict["a"]["vcard"] and "0177" in conflict["b"]["vcard"]
    code, _out, _ = cli("resolve", conflict["id"], "--keep", "b")
    assert code == 0
    assert cli.json("conflicts") == (0, [])
    code, [after] = cli.json("sync", "phone")
    assert code == 0 and after["conflicts"] == 0
    assert "0177" in (book / "ann.vcf").read_text()
    assert "0199" not in export.read_text()


def test_history_and_restore(cli: Cli, stores: tuple[Path, Path]) -> None:
    book, export = stores
    _pair(cli, stores)
    cli("sync", "phone")
    (book / "bob.vcf").unlink()
    assert cli.json("sync", "phone")[0] == 0
    assert "Bob Example" not in export.read_text()
    code, entries = cli.json("history", "phone")
    assert code == 0
    [entry] = [e for e in entries if e["item"] == "Bob Example"]
    assert entry["reason"] == "deleted" and entry["store"] == f"vcf:{export}"
    assert cli("restore", str(entry["id"]))[0] == 0
    assert "Bob Example" in export.read_text()
    code, [result] = cli.json("sync", "phone")
    assert code == 0 and result["to_a"]["created"] == 1
    assert any("bob@example.org" in p.read_text() for p in book.glob("*.vcf"))


def test_mass_deletion_guard_blocks_then_yes_allows(cli: Cli, tmp_path: Path) -> None:
    book, other = tmp_path / "a", tmp_path / "b"
    book.mkdir()
    for i in range(10):
        (book / f"c{i}.vcf").write_text(card(f"c{i}", f"Contact {i}"), newline="")
    cli("partnership", "add", "p", f"vdir:{book}", f"vdir:{other}")
    assert cli("sync", "p")[0] == 0
    for i in range(6):
        (book / f"c{i}.vcf").unlink()
    code, [result] = cli.json("sync", "p")
    assert code == 4 and result["status"] == "blocked"
    assert len(list(other.glob("*.vcf"))) == 10
    code, [result] = cli.json("sync", "p", "--yes")
    assert code == 0 and result["to_b"]["deleted"] == 6
    assert len(list(other.glob("*.vcf"))) == 4


def test_broken_card_is_reported_skipped_and_kept(cli: Cli, stores: tuple[Path, Path]) -> None:
    book, export = stores
    (book / "broken.vcf").write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Half a card\r\n")
    _pair(cli, stores)
    code, [result] = cli.json("sync", "phone")
    assert code == 1 and result["status"] == "failed"
    assert any("broken.vcf" in e["item"] or "broken.vcf" in e["message"] for e in result["errors"])
    assert result["to_b"]["created"] == 3
    assert export.read_text().count("BEGIN:VCARD") == 3
    assert (book / "broken.vcf").read_bytes() == b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Half a card\r\n"
    code, [again] = cli.json("sync", "phone")  # still reported until the user fixes it
    assert code == 1 and again["errors"]


def test_missing_store_fails_without_deleting(cli: Cli, stores: tuple[Path, Path]) -> None:
    book, export = stores
    _pair(cli, stores)
    cli("sync", "phone")
    before = export.read_bytes()
    book.rename(book.with_name("moved"))
    code, [result] = cli.json("sync", "phone")
    assert code == 1 and result["status"] == "failed"
    assert "does not exist" in result["errors"][0]["message"]
    assert export.read_bytes() == before


def test_devices_lists_json(cli: Cli) -> None:
    assert cli.json("devices") == (0, [])


def test_env_overrides_locations(tmp_path: Path, stores: tuple[Path, Path]) -> None:
    env = {
        **os.environ,
        "SYNCGUI_CONFIG_DIR": str(tmp_path / "c"),
        "SYNCGUI_DATA_DIR": str(tmp_path / "d"),
    }
    book, export = stores
    subprocess.run(
        [
            sys.executable,
            "-m",
            "syncgui.cli",
            "partnership",
            "add",
            "p",
            f"vdir:{book}",
            f"vcf:{export}",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "c" / "partnerships.json").exists()
    subprocess.run(
        [sys.executable, "-m", "syncgui.cli", "sync", "p"], env=env, check=True, capture_output=True
    )
    assert list((tmp_path / "d" / "replicas").glob("*.sqlite"))


def test_demo_runs_and_leaves_a_conflict(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("demo", "--dir", str(tmp_path / "demo"))
    assert code == 0
    assert "Conflict" in out and "Grace Hopper" in out


def test_a_renamed_file_is_not_a_delete_and_a_create(cli: Cli, stores: tuple[Path, Path]) -> None:
    book, export = stores
    _pair(cli, stores)
    cli("sync", "phone")
    (book / "ann.vcf").rename(book / "ann-renamed-by-khard.vcf")
    code, [result] = cli.json("sync", "phone")
    assert code == 0
    assert result["to_a"] == result["to_b"] == {"created": 0, "updated": 0, "deleted": 0}
    assert export.read_text().count("UID:ann") == 1


@pytest.mark.parametrize("others", [0, 40])
def test_a_copied_card_with_the_same_uid_is_a_second_contact(
    cli: Cli, stores: tuple[Path, Path], others: int
) -> None:
    """A card file copied under another name (a user duplicating a contact) keeps its UID:
    both contacts stay, in both stores. With 40 other cards the copy is one change among
    many, and change detection looks up the UID's owner instead of loading every card."""
    book, export = stores
    for i in range(others):
        (book / f"other-{i}.vcf").write_text(card(f"other-{i}", f"Other {i}"), newline="")
    _pair(cli, stores)
    assert cli("sync", "phone")[0] == 0
    copy = card("ann", "Ann Copy", "TEL:+1 555 0199")
    (book / "ann-copy.vcf").write_text(copy, newline="")
    code, [result] = cli.json("sync", "phone")
    assert code == 0
    assert result["to_b"] == {"created": 1, "updated": 0, "deleted": 0}
    text = export.read_text()
    assert "FN:Ann Example" in text and "FN:Ann Copy" in text
    assert text.count("BEGIN:VCARD") == 4 + others
    assert (book / "ann.vcf").read_text().count("Ann Example") == 1


def test_a_no_op_sync_reads_no_card(
    cli: Cli, stores: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unchanged cards are recognised by size, time and inode alone; a sync with nothing to
    do opens none of them, and the one-file store is not even parsed."""
    from syncgui.providers.vcard import file as file_store
    from syncgui.providers.vcard import folder as folder_store

    _pair(cli, stores)
    assert cli("sync", "phone")[0] == 0
    reads: list[str] = []
    for cls in (folder_store.VCardFolderProvider, file_store.VCardFileProvider):
        original = cls.read

        def counting(self: object, key: str, _original: object = original) -> bytes:
            reads.append(key)
            return _original(self, key)  # type: ignore[operator,no-any-return]

        monkeypatch.setattr(cls, "read", counting)
    parsed: list[bytes] = []
    real_split = file_store.split_cards
    monkeypatch.setattr(
        file_store, "split_cards", lambda data: parsed.append(data) or real_split(data)
    )
    code, [result] = cli.json("sync", "phone")
    assert code == 0 and result["to_a"]["updated"] == result["to_b"]["updated"] == 0
    assert reads == [] and parsed == []

"""`syncgui-cli restore`: a card comes back under its own file name, and several ids are
restored in one go, each reported, one failure stopping none of the others."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.cli.conftest import Cli, card


def _books(tmp_path: Path) -> tuple[Path, Path]:
    """Folder A with an Outlook export's card (no UID, its own file name) and a card with a
    UID in a file named otherwise; folder B empty."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "outlook21.vcf").write_text(
        card(None, "Olga Outlook", "N:Outlook;Olga", version="2.1"), newline=""
    )
    (a / "xena.vcf").write_text(card("x-1", "Xena Example"), newline="")
    return a, b


def _deleted_on_a(cli: Cli, a: Path, b: Path) -> dict[str, int]:
    """Sync, delete both copies on B, sync again: A's cards go to history. Label -> id."""
    assert cli("partnership", "add", "p", f"vdir:{a}", f"vdir:{b}")[0] == 0
    assert cli("sync", "p")[0] == 0
    for copy in b.iterdir():
        copy.unlink()
    assert cli("sync", "p", "--yes")[0] == 0
    assert sorted(os.listdir(a)) == []
    code, entries = cli.json("history", "p")
    assert code == 0
    return {e["item"]: e["id"] for e in entries}


def test_a_restored_card_comes_back_under_its_file_name(cli: Cli, tmp_path: Path) -> None:
    """`outlook21.vcf` came back as a UUID-named file: the name a card had is kept with
    its history and given back."""
    a, b = _books(tmp_path)
    original = (a / "outlook21.vcf").read_text()
    ids = _deleted_on_a(cli, a, b)
    code, out, _err = cli("restore", str(ids["Olga Outlook"]))
    assert code == 0
    assert "as outlook21.vcf" in out
    assert sorted(os.listdir(a)) == ["outlook21.vcf"]
    restored = (a / "outlook21.vcf").read_text()
    # every line of the card is back; a card without a UID gets the one it synced under
    assert [line for line in restored.splitlines() if not line.startswith("UID:")] == (
        original.splitlines()
    )
    assert cli("sync", "p")[0] == 0  # and the next sync carries it on
    assert len(os.listdir(b)) == 1
    assert "Olga Outlook" in next(b.iterdir()).read_text()


def test_restore_takes_several_ids_and_reports_each(cli: Cli, tmp_path: Path) -> None:
    a, b = _books(tmp_path)
    ids = _deleted_on_a(cli, a, b)
    code, out, err = cli("restore", str(ids["Olga Outlook"]), "999", str(ids["Xena Example"]))
    assert code == 2  # an id that is not in history; the others were restored all the same
    assert "999: there is no history entry 999" in err
    assert f"{ids['Olga Outlook']}: restored 'Olga Outlook' as outlook21.vcf" in out
    assert f"{ids['Xena Example']}: restored 'Xena Example' as xena.vcf" in out
    assert sorted(os.listdir(a)) == ["outlook21.vcf", "xena.vcf"]


def test_restore_into_a_store_that_cannot_be_written_fails_each_and_exits_1(
    cli: Cli, tmp_path: Path
) -> None:
    a, b = _books(tmp_path)
    ids = _deleted_on_a(cli, a, b)
    mode = a.stat().st_mode
    a.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        code, out, err = cli("restore", *(str(i) for i in ids.values()))
    finally:
        a.chmod(mode)
    assert code == 1
    assert err.count("not restored") == 2 and "cannot be written" in err
    assert "restored '" not in out
    assert os.listdir(a) == []


def test_a_taken_name_is_not_overwritten(cli: Cli, tmp_path: Path) -> None:
    a, b = _books(tmp_path)
    ids = _deleted_on_a(cli, a, b)
    (a / "outlook21.vcf").write_text(card("other", "Someone Else"), newline="")
    code, out, _err = cli("restore", str(ids["Olga Outlook"]))
    assert code == 0 and "as outlook21-2.vcf" in out
    assert "Someone Else" in (a / "outlook21.vcf").read_text()
    assert "Olga Outlook" in (a / "outlook21-2.vcf").read_text()

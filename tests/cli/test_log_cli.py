"""`syncgui-cli log`: the sessions that ran, newest first, each with the id an undo will
name, what started it, how it ended and what it wrote on each side."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.cli.conftest import Cli, card


def _two_syncs(cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "ada.vcf").write_text(card("ada", "Ada Lovelace"), newline="")
    (a / "alan.vcf").write_text(card("alan", "Alan Turing"), newline="")
    assert cli("partnership", "add", "p", f"vdir:{a}", f"vdir:{b}")[0] == 0
    assert cli("sync", "p")[0] == 0
    (a / "ada.vcf").write_text(card("ada", "Ada Lovelace", "NOTE:engine"), newline="")
    assert cli("sync", "p")[0] == 0
    return a, b


def test_log_lists_the_sessions_newest_first_with_their_ids(cli: Cli, tmp_path: Path) -> None:
    code, out, _err = cli("log")
    assert (code, out.strip()) == (0, "No session yet.")
    _two_syncs(cli, tmp_path)
    code, out, _err = cli("log")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    newest, first = lines
    assert "p  ok (syncgui-cli): A 0 added, 0 changed, 0 deleted; B 0 added, 1 changed" in newest
    assert "B 2 added, 0 changed, 0 deleted" in first
    assert int(newest.split()[0]) > int(first.split()[0])  # ids grow: newest first


def test_log_json_and_limit_and_one_partnership(cli: Cli, tmp_path: Path) -> None:
    _two_syncs(cli, tmp_path)
    code, records = cli.json("log", "p", "--limit", "1")
    assert code == 0 and len(records) == 1
    [r] = records
    assert (r["partnership"], r["trigger"], r["status"]) == ("p", "cli", "ok")
    assert r["to_b"] == {"created": 0, "updated": 1, "deleted": 0}
    started = datetime.fromisoformat(r["started"])  # ISO 8601, with the UTC offset
    assert started.tzinfo is not None and started <= datetime.fromisoformat(r["finished"])
    code, out, _err = cli("log", "other")
    assert (code, out.strip()) == (0, "No session of other yet.")


def test_log_names_a_broken_card_once_as_the_sync_did(cli: Cli, tmp_path: Path) -> None:
    a, _b = _two_syncs(cli, tmp_path)
    (a / "broken.vcf").write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut Off\r\n")
    code, synced, _err = cli("sync", "p")
    assert code == 1
    [said] = [line.strip() for line in synced.splitlines() if "!" in line]
    assert said == "! broken.vcf: no END:VCARD line (the card is cut off)"
    code, out, _err = cli("log", "p", "--limit", "1")
    assert code == 0
    assert [line.strip() for line in out.splitlines() if "!" in line] == [said]

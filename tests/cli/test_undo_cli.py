"""`syncgui-cli undo SESSION_ID [--dry-run] [--include-changed] [--json]`: a session's
changes taken back in both stores, as a user runs it after `log`."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli, card


def _two_syncs(cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "ada.vcf").write_text(card("ada", "Ada Lovelace"), newline="")
    assert cli("partnership", "add", "p", f"vdir:{a}", f"vdir:{b}")[0] == 0
    assert cli("sync", "p")[0] == 0
    (a / "ada.vcf").write_text(card("ada", "Ada Lovelace", "NOTE:engine"), newline="")
    (a / "alan.vcf").write_text(card("alan", "Alan Turing"), newline="")
    assert cli("sync", "p")[0] == 0
    return a, b


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_undo_dry_run_says_what_it_would_do_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    a, b = _two_syncs(cli, tmp_path)
    before = _files(a), _files(b)
    code, out, _err = cli("undo", "2", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Undoing session 2 of p would:"
    assert sorted(lines[1:3]) == [  # in the order the session wrote them
        "  - put back Ada Lovelace in b (this session overwrote it there)",
        "  - remove Alan Turing from b (this session added it there)",
    ]
    assert lines[3:] == [
        "Nothing was written. Run without --dry-run to undo; the other store follows."
    ]
    assert (_files(a), _files(b)) == before


def test_undo_takes_the_session_back_in_both_stores_and_is_logged(cli: Cli, tmp_path: Path) -> None:
    a, b = _two_syncs(cli, tmp_path)
    code, out, _err = cli("undo", "2")
    assert code == 0, out
    assert _files(a) == {"ada.vcf": card("ada", "Ada Lovelace").encode()}
    assert [v for v in _files(b).values()] == [card("ada", "Ada Lovelace").encode()]
    assert "p: synced: A 0 added, 1 changed, 1 deleted" in out
    code, out, _err = cli("log", "--limit", "1")
    assert "(undo): undid session 2;" in out
    code, records = cli.json("log")
    assert [(r["id"], r["undid"], r["can_undo"]) for r in records] == [
        (3, 2, True),
        (2, None, True),
        (1, None, True),
    ]
    assert all("token" not in r for r in records)


def test_undo_leaves_a_contact_changed_since_alone_unless_asked(cli: Cli, tmp_path: Path) -> None:
    a, _b = _two_syncs(cli, tmp_path)
    (a / "ada.vcf").write_text(card("ada", "Ada Lovelace", "NOTE:later"), newline="")
    code, data = cli.json("undo", "2")
    assert code == 0
    assert [s["item"] for s in data["done"]] == ["Alan Turing"]
    assert [(s["item"], s["changed_since"]) for s in data["left_alone"]] == [("Ada Lovelace", True)]
    assert b"NOTE:later" in (a / "ada.vcf").read_bytes()
    code, out, _err = cli("undo", "2", "--include-changed")
    assert code == 0, out
    assert (a / "ada.vcf").read_bytes() == card("ada", "Ada Lovelace").encode()


def test_undo_of_an_unknown_session_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    _two_syncs(cli, tmp_path)
    code, _out, err = cli("undo", "42")
    assert code == 2
    assert "there is no session 42; `log` lists them" in err

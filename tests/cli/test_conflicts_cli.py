"""`conflicts` shows the fields that differ with both values; `resolve --keep merged` takes
a side per clashing field (`--field PROP=a|b`) and refuses, writing nothing, without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli, card

BASE = card("ann", "Ann Example", "TEL:+1 555 0100", "NOTE:base note")


def _make_clash(cli: Cli, tmp_path: Path, book_note: str) -> tuple[str, Path, Path]:
    book, export = tmp_path / "book", tmp_path / "export.vcf"
    book.mkdir()
    (book / "ann.vcf").write_text(BASE, newline="")
    export.write_bytes(b"")
    add = ("partnership", "add", "phone", f"vdir:{book}", f"vcf:{export}", "--policy", "ask")
    assert cli(*add)[0] == 0
    assert cli("sync", "phone")[0] == 0
    ours = card("ann", "Ann Example", "TEL:+1 555 0199", f"NOTE:{book_note}")
    (book / "ann.vcf").write_text(ours, newline="")
    text = export.read_bytes().decode()
    export.write_text(text.replace("NOTE:base note", "NOTE:from the phone"), newline="")
    assert cli("sync", "phone")[0] == 3
    _code, [conflict] = cli.json("conflicts")
    return conflict["id"], book, export


@pytest.fixture
def clash(cli: Cli, tmp_path: Path) -> tuple[str, Path, Path]:
    """A conflict (policy ask) where NOTE changed on both sides and TEL on A only:
    the conflict's id, the folder (A) and the .vcf file (B)."""
    return _make_clash(cli, tmp_path, "from the book")


def test_conflicts_text_shows_both_values_and_marks_the_clash(
    cli: Cli, clash: tuple[str, Path, Path]
) -> None:
    conflict_id, _book, _export = clash
    code, out, _ = cli("conflicts")
    assert code == 0
    assert conflict_id in out and "Ann Example" in out
    [note] = [line for line in out.splitlines() if "Note" in line and "A:" in line]
    assert "from the book" in note and "from the phone" in note
    assert note.lstrip().startswith("!")  # needs a choice for --keep merged
    [tel] = [line for line in out.splitlines() if "Phone" in line]
    assert "0199" in tel and "0100" in tel and not tel.lstrip().startswith("!")
    assert "--field NOTE=a|b" in out


def test_conflicts_long_values_are_shortened(cli: Cli, tmp_path: Path) -> None:
    _make_clash(cli, tmp_path, "word " * 200)
    _code, out, _ = cli("conflicts")
    [note] = [line for line in out.splitlines() if "Note" in line and "A:" in line]
    assert len(note) < 100 and "\u2026" in note and "from the phone" in note


def test_conflicts_json_lists_the_differing_fields(cli: Cli, clash: tuple[str, Path, Path]) -> None:
    code, [conflict] = cli.json("conflicts")
    assert code == 0
    assert {"id", "partnership", "kind", "item", "a", "b"} <= conflict.keys()
    fields = {f["field"]: f for f in conflict["fields"]}
    assert fields["NOTE"] == {
        "field": "NOTE",
        "label": "Note",
        "a": "from the book",
        "b": "from the phone",
        "state": "clash",
    }
    assert fields["TEL"]["state"] != "clash"
    assert "FN" not in fields  # the same on both sides


def test_merged_without_a_choice_refuses_and_writes_nothing(
    cli: Cli, clash: tuple[str, Path, Path]
) -> None:
    conflict_id, book, export = clash
    before = (book / "ann.vcf").read_bytes(), export.read_bytes()
    code, _out, err = cli("resolve", conflict_id, "--keep", "merged")
    assert code == 2
    assert "NOTE needs a choice: add --field NOTE=a or --field NOTE=b" in err
    assert ((book / "ann.vcf").read_bytes(), export.read_bytes()) == before
    assert len(cli.json("conflicts")[1]) == 1  # still waiting
    cli("sync", "phone")
    assert ((book / "ann.vcf").read_bytes(), export.read_bytes()) == before


@pytest.mark.parametrize("field", ["TEL=a", "EMAIL=b"])
def test_a_choice_for_a_field_that_does_not_clash_is_refused(
    cli: Cli, clash: tuple[str, Path, Path], field: str
) -> None:
    conflict_id, book, export = clash
    before = (book / "ann.vcf").read_bytes(), export.read_bytes()
    code, _out, err = cli(
        "resolve", conflict_id, "--keep", "merged", "--field", "NOTE=b", "--field", field
    )
    assert code == 2 and f"{field.partition('=')[0]} needs no choice" in err
    assert ((book / "ann.vcf").read_bytes(), export.read_bytes()) == before
    assert len(cli.json("conflicts")[1]) == 1


@pytest.mark.parametrize("args", [("--keep", "merged", "--field", "NOTE"),
                                  ("--keep", "merged", "--field", "NOTE=c"),
                                  ("--keep", "a", "--field", "NOTE=b")])  # fmt: skip
def test_malformed_or_misplaced_field_is_a_usage_error(
    cli: Cli, clash: tuple[str, Path, Path], args: tuple[str, ...]
) -> None:
    conflict_id, _book, _export = clash
    assert cli("resolve", conflict_id, *args)[0] == 2
    assert len(cli.json("conflicts")[1]) == 1


@pytest.mark.parametrize("choice", ["NOTE=b", "note=B"])
def test_merged_with_a_choice_takes_that_side_and_merges_the_rest(
    cli: Cli, clash: tuple[str, Path, Path], choice: str
) -> None:
    conflict_id, book, export = clash
    code, out, err = cli("resolve", conflict_id, "--keep", "merged", "--field", choice)
    assert code == 0, err
    assert "NOTE from B" in out
    assert cli.json("conflicts") == (0, [])
    assert cli("sync", "phone")[0] == 0
    for text in ((book / "ann.vcf").read_text(), export.read_text()):
        assert "NOTE:from the phone" in text and "from the book" not in text
        assert "TEL:+1 555 0199" in text and "0100" not in text

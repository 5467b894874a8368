"""Contacts that are the same person in two stores that first meet, from the command line:
``partnership add --match none|exact|people`` chooses how far matching goes (shown by
``partnership list``); ``sync --dry-run`` says who will be combined, ``sync`` who was, each
side's name for them and the possible duplicates, as text (long lists cut, with a pointer to
``--json``) and as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from syncgui.engine import (
    Candidate,
    Match,
    MatchKeys,
    MatchRule,
    PossibleDuplicate,
    SessionResult,
    Status,
)
from syncgui.service import SyncService
from tests.cli.conftest import Cli, card

_KEYS = MatchKeys("", "", frozenset())


def _match(name: str, a: str, b: str, rule: MatchRule = MatchRule.PERSON) -> Match:
    return Match(
        Candidate(b"a" + a.encode(), name, a, _KEYS),
        Candidate(b"b" + b.encode(), name, b, _KEYS),
        rule,
    )


def _possible(name: str, a: list[str], b: list[str]) -> PossibleDuplicate:
    return PossibleDuplicate(
        tuple(Candidate(k.encode(), name, k, _KEYS) for k in a),
        tuple(Candidate(k.encode(), name, k, _KEYS) for k in b),
    )


def _add(cli: Cli, stores: tuple[Path, Path], *extra: str) -> tuple[int, str, str]:
    book, export = stores
    return cli("partnership", "add", "p", f"vdir:{book}", f"vcf:{export}", *extra)


# -- --match ------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["none", "exact", "people"])
def test_match_levels_are_accepted_and_listed(
    cli: Cli, stores: tuple[Path, Path], level: str
) -> None:
    code, out, _err = _add(cli, stores, "--match", level)
    assert code == 0 and f"match {level})" in out
    code, items = cli.json("partnership", "list")
    assert code == 0
    assert items[0]["match"] == level and items[0]["refused_matches"] == []
    code, out, _err = cli("partnership", "list")
    assert out.rstrip().endswith(f"(two-way, merge, match {level})")


def test_people_is_the_default(cli: Cli, stores: tuple[Path, Path]) -> None:
    assert _add(cli, stores)[0] == 0
    assert cli.json("partnership", "list")[1][0]["match"] == "people"


@pytest.mark.parametrize("level", ["fuzzy", "PEOPLE", ""])
def test_another_match_level_is_a_usage_error(
    cli: Cli, stores: tuple[Path, Path], level: str
) -> None:
    code, _out, err = _add(cli, stores, "--match", level)
    assert code == 2
    assert "--match: invalid choice" in err and "'none', 'exact', 'people'" in err
    assert cli.json("partnership", "list") == (0, [])


def test_refused_matches_are_counted_in_the_list(cli: Cli, stores: tuple[Path, Path]) -> None:
    _add(cli, stores)
    SyncService(cli_paths(cli)).refuse_matches("p", [(b"a1", b"b1"), (b"a2", b"b2")])
    out = cli("partnership", "list")[1]
    assert out.rstrip().endswith("(two-way, merge, match people, 2 matches refused)")
    assert cli.json("partnership", "list")[1][0]["refused_matches"] == [
        ["6131", "6231"],
        ["6132", "6232"],
    ]


def cli_paths(cli: Cli) -> Any:
    from syncgui.service import resolve_paths

    return resolve_paths(cli.root / "config", cli.root / "data")


# -- text and JSON, from hand-made results ---------------------------------------------------


@pytest.fixture
def results(
    cli: Cli, stores: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Callable[[SessionResult], None]:
    """Makes ``syncgui-cli sync p`` report the given result."""
    _add(cli, stores)

    def use(result: SessionResult) -> None:
        def sync(_self: SyncService, names: list[str], **kw: Any) -> list[SessionResult]:
            result.dry_run = bool(kw.get("dry_run"))
            return [result]

        monkeypatch.setattr(SyncService, "sync", sync)

    return use


def test_one_match_in_a_dry_run_and_in_a_real_run(
    cli: Cli, results: Callable[[SessionResult], None]
) -> None:
    result = SessionResult("p")
    result.matched = [_match("Ada Lovelace", "ada.vcf", "ada-uid")]
    results(result)
    code, out, _err = cli("sync", "p", "--dry-run")
    assert code == 0
    assert out.splitlines()[1:] == [
        "  1 contact matched as the same person (will be combined):",
        "    Ada Lovelace  A: ada.vcf  B: ada-uid",
    ]
    code, out, _err = cli("sync", "p")
    assert out.splitlines()[1] == "  1 contact matched as the same person was combined:"


def test_matches_and_possible_duplicates_are_listed_in_columns(
    cli: Cli, results: Callable[[SessionResult], None]
) -> None:
    result = SessionResult("p")
    result.matched = [
        _match("Ada Lovelace", "ada.vcf", "ada-uid", MatchRule.CONTENT),
        _match("Alan Turing", "alan-turing.vcf", "alan"),
    ]
    result.possible_duplicates = [_possible("Ann Lee", ["ann.vcf", "ann2.vcf"], ["ann"])]
    results(result)
    code, out, _err = cli("sync", "p")
    assert code == 0
    assert out.splitlines() == [
        "p: synced: A 0 added, 0 changed, 0 deleted; B 0 added, 0 changed, 0 deleted",
        "  2 contacts matched as the same person were combined:",
        "    Ada Lovelace  A: ada.vcf          B: ada-uid",
        "    Alan Turing   A: alan-turing.vcf  B: alan",
        "  Possible duplicates (not combined; check them):",
        "    Ann Lee  A: ann.vcf, ann2.vcf  B: ann",
    ]
    code, data = cli.json("sync", "p", "--dry-run")
    assert data[0]["matched"] == [
        {"name": "Ada Lovelace", "rule": "content", "a": "ada.vcf", "b": "ada-uid"},
        {"name": "Alan Turing", "rule": "person", "a": "alan-turing.vcf", "b": "alan"},
    ]
    assert data[0]["possible_duplicates"] == [
        {"name": "Ann Lee", "a": ["ann.vcf", "ann2.vcf"], "b": ["ann"]}
    ]
    assert data[0]["dry_run"] is True


def test_three_hundred_matches_list_twenty_and_point_to_json(
    cli: Cli, results: Callable[[SessionResult], None]
) -> None:
    result = SessionResult("p")
    result.matched = [
        _match(f"Person {n:03} with a rather long name", f"p{n}.vcf", f"p{n}") for n in range(300)
    ]
    result.possible_duplicates = [_possible(f"Twin {n}", [f"t{n}"], []) for n in range(25)]
    results(result)
    code, out, _err = cli("sync", "p", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "  300 contacts matched as the same person (will be combined):"
    assert lines[2] == "    Person 000 with a rathe…  A: p0.vcf   B: p0"
    assert lines[22] == "    ... and 280 more (use --json for all)"
    assert lines[23] == "  Possible duplicates (not combined; check them):"
    assert lines[24] == "    Twin 0   A: t0   B: -"
    assert lines[-1] == "    ... and 5 more (use --json for all)"
    assert len(lines) == 1 + 1 + 20 + 1 + 1 + 20 + 1
    _code, data = cli.json("sync", "p", "--dry-run")
    assert len(data[0]["matched"]) == 300 and len(data[0]["possible_duplicates"]) == 25


def test_no_matches_say_nothing_about_them(
    cli: Cli, results: Callable[[SessionResult], None]
) -> None:
    results(SessionResult("p"))
    out = cli("sync", "p", "--dry-run")[1]
    assert "matched" not in out and "duplicates" not in out
    assert cli.json("sync", "p")[1][0]["matched"] == []


def test_a_blocked_run_lists_the_deletions_not_the_matches(
    cli: Cli, results: Callable[[SessionResult], None]
) -> None:
    result = SessionResult("p", Status.BLOCKED, blocked_store="vdir:x", blocked_items=["A"] * 6)
    result.matched = [_match("Ada", "a", "b")]
    results(result)
    code, out, _err = cli("sync", "p")
    assert code == 4 and "matched" not in out


# -- real syncs --------------------------------------------------------------------------

PEOPLE = [
    ("Ann Example", "EMAIL:ann@example.org"),
    ("Bob Example", "TEL:+1 555 0100"),
    ("Cy Example", "EMAIL:cy@example.org"),
]


def _meeting_stores(tmp_path: Path) -> tuple[Path, Path]:
    """Two folders, each holding the same three people under different UIDs, with a note
    on one side only so that only the same-person rule can match them."""
    a, b = tmp_path / "laptop", tmp_path / "phone"
    a.mkdir()
    b.mkdir()
    for i, (name, handle) in enumerate(PEOPLE):
        first = name.split()[0].lower()
        (a / f"{first}.vcf").write_text(card(f"laptop-{i}", name, handle), newline="")
        text = card(f"phone-{i}", name, handle, "NOTE:from the phone")
        (b / f"{first}-phone.vcf").write_text(text, newline="")
    return a, b


def _cards(folder: Path) -> list[str]:
    return sorted(p.read_text() for p in folder.glob("*.vcf"))


def test_a_dry_run_says_three_are_matched_and_the_sync_leaves_three_on_each_side(
    cli: Cli, tmp_path: Path
) -> None:
    a, b = _meeting_stores(tmp_path)
    assert cli("partnership", "add", "p", f"vdir:{a}", f"vdir:{b}")[0] == 0
    before = (_cards(a), _cards(b))
    code, out, _err = cli("sync", "p", "--dry-run")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[1] == "  3 contacts matched as the same person (will be combined):"
    assert lines[2:5] == [
        "    Ann Example  A: ann.vcf  B: ann-phone.vcf",
        "    Bob Example  A: bob.vcf  B: bob-phone.vcf",
        "    Cy Example   A: cy.vcf   B: cy-phone.vcf",
    ]
    code, data = cli.json("sync", "p", "--dry-run")
    assert [(m["name"], m["a"], m["b"], m["rule"]) for m in data[0]["matched"]] == [
        ("Ann Example", "ann.vcf", "ann-phone.vcf", "person"),
        ("Bob Example", "bob.vcf", "bob-phone.vcf", "person"),
        ("Cy Example", "cy.vcf", "cy-phone.vcf", "person"),
    ]
    assert data[0]["to_a"]["created"] == 0 and data[0]["to_b"]["created"] == 0
    assert (_cards(a), _cards(b)) == before  # a dry run writes nothing

    code, out, _err = cli("sync", "p")
    assert code == 0, out
    assert out.splitlines()[1] == "  3 contacts matched as the same person were combined:"
    assert len(list(a.glob("*.vcf"))) == 3 and len(list(b.glob("*.vcf"))) == 3
    # nothing left to combine or copy the next time
    code, data = cli.json("sync", "p")
    assert data[0]["matched"] == [] and data[0]["to_a"]["created"] == 0
    assert data[0]["to_b"]["created"] == 0


def test_match_none_copies_them_across_as_duplicates(cli: Cli, tmp_path: Path) -> None:
    a, b = _meeting_stores(tmp_path)
    cli("partnership", "add", "p", f"vdir:{a}", f"vdir:{b}", "--match", "none")
    _code, data = cli.json("sync", "p", "--dry-run")
    assert data[0]["matched"] == []
    assert data[0]["to_a"]["created"] == 3 and data[0]["to_b"]["created"] == 3


def test_a_refused_match_is_copied_as_two_contacts(cli: Cli, tmp_path: Path) -> None:
    a, b = _meeting_stores(tmp_path)
    cli("partnership", "add", "p", f"vdir:{a}", f"vdir:{b}")
    service = SyncService(cli_paths(cli))
    [preview] = service.sync(["p"], dry_run=True)
    bob = next(m for m in preview.matched if m.a.label == "Bob Example")
    service.refuse_matches("p", [(bob.a.gid, bob.b.gid)])
    code, data = cli.json("sync", "p", "--dry-run")
    assert [m["name"] for m in data[0]["matched"]] == ["Ann Example", "Cy Example"]
    assert data[0]["possible_duplicates"] == []  # refused: not listed either
    code, out, _err = cli("sync", "p")
    assert code == 0, out
    assert "2 contacts matched as the same person were combined" in out
    assert len(list(a.glob("*.vcf"))) == 4 and len(list(b.glob("*.vcf"))) == 4
    bobs = [t for t in _cards(a) if "FN:Bob Example" in t]
    assert len(bobs) == 2
    assert json.loads(json.dumps(cli.json("partnership", "list")[1]))[0]["refused_matches"]

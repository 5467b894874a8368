"""Two real address books become one (issue 11): every pair of export shapes, first synced.

The people fixtures (``tests/data/people/``, written by ``make_people.py``) hold the same
32 people as Android, Google, Outlook, Apple and Thunderbird export them, each shape with
its own fields, encodings, number formats and UIDs (or none). For each of the ten pairs of
shapes, and for two kinds of partnership — a folder with one shape and a ``.vcf`` file with
the other; a folder and a virtual phone (the other way round) — a first sync through the
real CLI (in process, default policy: merge) must end with:

- each person exactly once on each side, so as many cards as distinct people, and two
  different people never in one card (the two Alex Morgans; Priya and Ravi Shah, who share
  a home line);
- a person both shapes hold: on each side one card saying the union of what the two shapes
  say (the shapes never disagree on a single-valued field), with the side's own UID;
- every card no sync had to change byte-identical to its fixture file, and a person only
  one shape holds copied byte-identical (one UID line added where the card had none); a
  card that gained fields keeps every line it had;
- a second sync with nothing to do; a dry run before the first sync that names the number
  of people it matched.

What a card says is judged by ``tests/data/people/reading.py``, not by syncgui's own code.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from syncgui.cli import main
from tests.data.people import make_people as people
from tests.data.people.reading import COUNTRY_CODES, Read, logical_lines, name_key, read

PEOPLE_DIR = Path(people.__file__).resolve().parent
PAIRS = list(combinations(people.SHAPES, 2))
KINDS = ("vcf", "phone")
_CARD = re.compile(rb"BEGIN:VCARD\r?\n.*?END:VCARD\r?\n", re.DOTALL)
_UID_LINE = re.compile(rb"^UID[;:][^\r\n]*\r?\n", re.MULTILINE | re.IGNORECASE)


def fixture(shape: str) -> dict[str, bytes]:
    """The shape's cards by person key, as committed."""
    return {p.stem: p.read_bytes() for p in sorted((PEOPLE_DIR / shape).glob("*.vcf"))}


@dataclass(frozen=True, slots=True)
class Whom:
    """Every person's normalised name and every handle any shape gives them."""

    names: dict[str, str]
    handles: dict[str, frozenset[str]]

    @classmethod
    def build(cls) -> Whom:
        names: dict[str, str] = {}
        handles: dict[str, set[str]] = {}
        for shape in people.SHAPES:
            for key, data in fixture(shape).items():
                card = read(data)
                names[key] = name_key(card.name)
                handles.setdefault(key, set()).update(card.handles)
        return cls(names, {k: frozenset(v) for k, v in handles.items()})

    def of(self, card: Read) -> list[str]:
        """The people ``card`` can be: the same name, and only that person's handles."""
        name = name_key(card.name)
        return [
            key
            for key in self.names
            if self.names[key] == name and card.handles and card.handles <= self.handles[key]
        ]


WHOM = Whom.build()


# -- running the CLI ---------------------------------------------------------------------------


@dataclass
class Pairing:
    """Shape ``x`` and shape ``y`` in a partnership ``p`` of kind ``kind``; the folder side
    is A. ``vcf``: A holds ``x``, B is a ``.vcf`` file of ``y``; ``phone``: A holds ``y``,
    B is a virtual phone holding ``x``."""

    root: Path
    x: str
    y: str
    kind: str
    dry_text: str = ""
    dry_json: list[dict[str, Any]] = field(default_factory=list)
    first: list[dict[str, Any]] = field(default_factory=list)
    first_code: int = -1
    again: list[dict[str, Any]] = field(default_factory=list)
    after_first: tuple[dict[str, bytes], dict[str, bytes]] = ({}, {})
    after_again: tuple[dict[str, bytes], dict[str, bytes]] = ({}, {})

    @property
    def shape_a(self) -> str:
        return self.x if self.kind == "vcf" else self.y

    @property
    def shape_b(self) -> str:
        return self.y if self.kind == "vcf" else self.x

    @property
    def folder(self) -> Path:
        return self.root / "book"

    @property
    def b_path(self) -> Path:
        return self.root / "export.vcf" if self.kind == "vcf" else self.root / "phone" / "Contacts"

    def cli(self, *args: str) -> tuple[int, str]:
        out = io.StringIO()
        base = ["--config-dir", str(self.root / "config"), "--data-dir", str(self.root / "data")]
        with contextlib.redirect_stdout(out):
            try:
                code = main([*base, *args])
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        return code, out.getvalue()

    def set_up(self) -> None:
        shutil.copytree(PEOPLE_DIR / self.shape_a, self.folder)
        b_cards = fixture(self.shape_b)
        if self.kind == "vcf":
            self.b_path.write_bytes(b"".join(b_cards.values()))
            spec = f"vcf:{self.b_path}"
        else:
            shutil.copytree(PEOPLE_DIR / self.shape_b, self.b_path)
            spec = f"virtual:{self.root / 'phone'}"
        code, out = self.cli("partnership", "add", "p", f"vdir:{self.folder}", spec)
        assert code == 0, out

    def cards(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """Each side's cards by where they are (file name, or position in the .vcf)."""
        a = {p.name: p.read_bytes() for p in sorted(self.folder.glob("*.vcf"))}
        if self.kind == "vcf":
            found = _CARD.findall(self.b_path.read_bytes())
            b = {f"card {i + 1}": c for i, c in enumerate(found)}
        else:
            b = {p.name: p.read_bytes() for p in sorted(self.b_path.glob("*.vcf"))}
        return a, b

    def run(self) -> None:
        self.set_up()
        code, self.dry_text = self.cli("sync", "p", "--dry-run")
        assert code in (0, 3), self.dry_text  # 3: conflicts would wait for the user
        code, out = self.cli("sync", "p", "--dry-run", "--json")
        self.dry_json = json.loads(out)
        self.first_code, out = self.cli("sync", "p", "--json")
        self.first = json.loads(out)
        self.after_first = self.cards()
        code, out = self.cli("sync", "p", "--json")
        self.again = json.loads(out)
        self.after_again = self.cards()


@pytest.fixture(scope="module", params=[(x, y, k) for x, y in PAIRS for k in KINDS],
                ids=[f"{x}-{y}-{k}" for x, y in PAIRS for k in KINDS])  # fmt: skip
def paired(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pairing]:
    x, y, kind = request.param
    pairing = Pairing(tmp_path_factory.mktemp(f"{x}-{y}-{kind}"), x, y, kind)
    pairing.run()
    yield pairing
    shutil.rmtree(pairing.root, ignore_errors=True)


# -- what each side should hold -----------------------------------------------------------------


def both_hold(p: Pairing) -> set[str]:
    return fixture(p.shape_a).keys() & fixture(p.shape_b).keys()


def everyone(p: Pairing) -> set[str]:
    return fixture(p.shape_a).keys() | fixture(p.shape_b).keys()


def by_person(cards: dict[str, bytes], side: str) -> dict[str, bytes]:
    """The cards of one side by person key; fails on a card that is no one, or several
    people (two people combined), and on a person found twice."""
    out: dict[str, bytes] = {}
    for where, data in cards.items():
        whom = WHOM.of(read(data))
        assert len(whom) == 1, f"side {side}, {where}: this card is {whom or 'no one'}:\n{data!r}"
        assert whom[0] not in out, f"side {side}: {whom[0]} twice (one is {where})"
        out[whom[0]] = data
    return out


def sides(p: Pairing) -> dict[str, tuple[dict[str, bytes], dict[str, bytes]]]:
    """For each side: its cards after the first sync by person, and its fixture."""
    a, b = p.after_first
    return {
        "A": (by_person(a, "A"), fixture(p.shape_a)),
        "B": (by_person(b, "B"), fixture(p.shape_b)),
    }


def without_uid(data: bytes) -> bytes:
    return _UID_LINE.sub(b"", data)


# -- tests --------------------------------------------------------------------------------------


def test_fixtures_are_what_make_people_writes(tmp_path: Path) -> None:
    people.write_all(tmp_path)
    for shape in people.SHAPES:
        made = {p.name: p.read_bytes() for p in (tmp_path / shape).glob("*.vcf")}
        kept = {p.name: p.read_bytes() for p in (PEOPLE_DIR / shape).glob("*.vcf")}
        assert made == kept, f"{shape}: run tests/data/people/make_people.py again"


def test_fixtures_hold_what_the_tests_rely_on() -> None:
    """At least 30 people; two shapes holding a person agree on the name and share a handle
    (or the pair could not be matched); a name and a handle never point at two people."""
    assert len(WHOM.names) >= 30
    cards = {s: {k: read(d) for k, d in fixture(s).items()} for s in people.SHAPES}
    for x, y in PAIRS:
        for key in cards[x].keys() & cards[y].keys():
            one, other = cards[x][key], cards[y][key]
            assert name_key(one.name) == name_key(other.name), (x, y, key)
            assert one.handles & other.handles, f"{key}: nothing shared by {x} and {y}"
    owners: dict[tuple[str, str], str] = {}
    for key, handles in WHOM.handles.items():
        for handle in handles:
            seen = owners.setdefault((WHOM.names[key], handle), key)
            assert seen == key, f"{seen} and {key} share a name and {handle}"
    used = {ph.cc for p in people.PEOPLE for ph in p.phones} | {c[0] for c in people.COUNTRIES}
    assert used <= COUNTRY_CODES, f"reading.py cannot take {used - COUNTRY_CODES} off"
    # the people the rule must keep apart are there
    assert WHOM.names["18-alex-morgan-london"] == WHOM.names["19-alex-morgan-seattle"]
    assert WHOM.handles["16-priya-shah"] & WHOM.handles["17-ravi-shah"]


def test_first_sync_succeeds(paired: Pairing) -> None:
    (result,) = paired.first
    assert paired.first_code == 0, result
    assert (result["status"], result["conflicts"], result["errors"]) == ("ok", 0, []), result


def test_each_person_once_on_each_side(paired: Pairing) -> None:
    expected = everyone(paired)
    for side, (found, _) in sides(paired).items():
        assert set(found) == expected, (
            f"side {side}: missing {sorted(expected - set(found))}, "
            f"strangers {sorted(set(found) - expected)}"
        )
    a, b = paired.after_first
    assert (len(a), len(b)) == (len(expected), len(expected))


def test_matched_people_hold_the_union_of_both_shapes(paired: Pairing) -> None:
    got = sides(paired)
    fixtures = (fixture(paired.shape_a), fixture(paired.shape_b))
    problems = []
    for key in sorted(both_hold(paired)):
        union = read(fixtures[0][key]).fields | read(fixtures[1][key]).fields
        for side, (found, _) in got.items():
            fields = read(found[key]).fields
            if fields != union:
                problems.append(
                    f"{side} {key}: lacks {sorted(union - fields)}, "
                    f"has besides {sorted(fields - union)}"
                )
    assert not problems, "\n".join(problems)


def test_each_side_keeps_its_own_uid(paired: Pairing) -> None:
    got = sides(paired)
    shapes = {"A": paired.shape_a, "B": paired.shape_b}
    problems = []
    for side, (found, own) in got.items():
        other = fixture(shapes["B" if side == "A" else "A"])
        for key in sorted(both_hold(paired)):
            mine, theirs = read(own[key]).uid, read(other[key]).uid
            now = read(found[key]).uid
            if mine is not None and now != mine:
                problems.append(f"{side} {key}: UID {now!r}, its own was {mine!r}")
            if mine is None and theirs is not None and now == theirs:
                problems.append(f"{side} {key}: took the other side's UID {theirs!r}")
    assert not problems, "\n".join(problems)


def test_cards_no_sync_had_to_change_are_byte_identical(paired: Pairing) -> None:
    """A person one side lacked arrives byte-identical (a UID line added where the card had
    none); a card whose person the other side had nothing to add to is left as it was."""
    got = sides(paired)
    shapes = {"A": paired.shape_a, "B": paired.shape_b}
    problems = []
    for side, (found, own) in got.items():
        other_shape = shapes["B" if side == "A" else "A"]
        other = fixture(other_shape)
        for key in sorted(everyone(paired)):
            now = found[key]
            if key not in own:  # copied from the other side
                source = other[key]
                if now != source and not (read(source).uid is None and without_uid(now) == source):
                    problems.append(f"{side} {key}: the copy differs from {other_shape}'s card")
            elif now != own[key] and (
                key not in other or read(other[key]).fields <= read(own[key]).fields
            ):
                how = "a UID line added" if without_uid(now) == own[key] else "rewritten"
                problems.append(f"{side} {key}: {how}, though nothing was to be added")
    assert not problems, "\n".join(problems)


def test_merged_cards_keep_their_own_lines(paired: Pairing) -> None:
    """A card that gained fields from the other side still holds every line it had
    (unfolded, byte for byte; REV may move on): each store keeps its own card, its
    version, encoding and order, and only gains what it lacked (the merge keeps "ours"
    lines byte-identical)."""
    got = sides(paired)
    problems = []
    for side, (found, own) in got.items():
        for key in sorted(both_hold(paired)):
            kept = set(logical_lines(found[key]))
            lost = [
                line
                for line in logical_lines(own[key])
                if not line.upper().startswith(b"REV:") and line not in kept
            ]
            if lost:
                problems.append(f"{side} {key}: lost {len(lost)} own lines, first {lost[0]!r}")
    assert not problems, f"{len(problems)} cards:\n" + "\n".join(problems)


def test_second_sync_changes_nothing(paired: Pairing) -> None:
    (result,) = paired.again
    zero = {"created": 0, "updated": 0, "deleted": 0}
    assert (result["status"], result["to_a"], result["to_b"]) == ("ok", zero, zero), result
    assert (result["conflicts"], result["merged"], result["errors"]) == (0, 0, []), result
    assert paired.after_again == paired.after_first


def test_dry_run_reports_the_matches(paired: Pairing) -> None:
    """The count of matched people appears in the dry run's report (the wording is not
    pinned here), and in its JSON when that has a ``matched`` entry."""
    matched = len(both_hold(paired))
    text = paired.dry_text
    near = rf"\b{matched}\b[^\n]{{0,60}}match|match[^\n]{{0,60}}\b{matched}\b"
    assert re.search(near, text, re.IGNORECASE), f"{matched} matches not reported:\n{text}"
    (result,) = paired.dry_json
    if "matched" in result:
        value = result["matched"]
        assert (value if isinstance(value, int) else len(value)) == matched, result
    # what it would copy: the people one side lacks, and no one else
    created = result["to_a"]["created"] + result["to_b"]["created"]
    assert created == 2 * len(everyone(paired)) - len(fixture(paired.shape_a)) - len(
        fixture(paired.shape_b)
    ), result

"""Real-world card shapes (tests/data/corpus/, written for these tests) through every store.

One row per file: what the codec reads from it, and what a sync does with it. A card either
arrives byte-identical — the card's own bytes, with only these normalisations where a card
becomes one span of a multi-card ``.vcf``: a byte-order mark dropped, iOS's ``\\r\\r\\n`` line
ends repaired to ``\\r\\n`` — or it is refused with its reason named in the problems and left
as it is. It is never lost.

Two journeys, both through the CLI in-process:

* folder → ``.vcf`` → second folder, and folder → virtual phone;
* all cards concatenated in one ``.vcf`` → folder, and → virtual phone.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from syncgui.cli import main
from syncgui.engine.errors import BadItem
from syncgui.providers.vcard.card import parse_card
from syncgui.providers.vcard.format import describe_card
from syncgui.providers.vcard.split import split_cards

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def as_is(data: bytes) -> bytes:
    return data


def without_bom(data: bytes) -> bytes:
    return data.removeprefix(b"\xef\xbb\xbf")


def repaired_line_ends(data: bytes) -> bytes:
    return data.replace(b"\r\r\n", b"\r\n")


@dataclass(frozen=True)
class Row:
    """A corpus file, what the codec reads from it, and what a sync does with it."""

    file: str
    label: str = ""  # the name the codec reads
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # decoded components
    in_vcf: Callable[[bytes], bytes] = as_is  # the card as a span of a multi-card .vcf
    refused: str = ""  # why the codec refuses it (a regular expression); "" when it reads it


ROWS = [
    Row(
        "qp-utf8-21.vcf",
        "Jürgen Müller",
        {
            "N": ("Müller", "Jürgen", "", "", ""),
            "NOTE": ("Straßenbahn bis Überseering, dann zweimal links\nund klingeln.",),
        },
    ),
    Row(
        "qp-latin1-21.vcf",
        "François Lefèvre",
        {"ADR": ("", "", "12 rue de la Paix", "Orléans", "", "45000", "France")},
    ),
    Row(
        "shift-jis-21.vcf",
        "山田 太郎",
        {"N": ("山田", "太郎", "", "", ""), "ORG": ("ソニー株式会社",)},  # 0x5C inside "ソ"
    ),
    Row("bom-30.vcf", "Zoë Ångström", in_vcf=without_bom),
    Row("ios-crcrlf-30.vcf", "Jane Appleseed", in_vcf=repaired_line_ends),
    Row(
        "android-adr-21.vcf",
        "王小明",
        {"ADR": ("", "", "朝阳区建国路88号 SOHO现代城;A座 1201室", "北京", "", "100022", "中国")},
    ),
    Row(
        "kde-aim-30.vcf",
        "Konqi Dragon",
        {
            "X-MESSAGING/AIM-ALL": ("konqidragon",),
            "X-MESSAGING/XMPP-ALL": ("konqi@jabber.example.org",),
        },
    ),
    Row("agent-21.vcf", refused="line 7 starts a nested BEGIN:VCARD"),
    Row("v40-data-uri.vcf", "Dr. Ada Lovelace", {"GENDER": ("F",)}),
    Row(
        "apple-groups-30.vcf",
        "Jony Ive",
        {"ITEM3.ADR": ("", "", "1 Infinite Loop", "Cupertino", "CA", "95014", "United States")},
    ),
]
ROW_IDS = [row.file for row in ROWS]


def load(row: Row) -> bytes:
    return (CORPUS / row.file).read_bytes()


def test_the_table_covers_the_corpus() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(ROW_IDS)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_what_the_codec_reads(row: Row) -> None:
    data = load(row)
    if row.refused:
        with pytest.raises(BadItem, match=row.refused):
            describe_card(data)
        return
    assert describe_card(data).label == row.label
    card = parse_card(data)
    assert card.prefix + b"".join(line.raw for line in card.lines) + card.suffix == data
    for key, expected in row.fields.items():
        line = next(line for line in card.lines if line.key == key)
        assert line.components() == expected, key
    # one span of a .vcf of its own, the same bytes
    (span,) = split_cards(data)
    assert span.problem is None
    assert data[span.start : span.end] == without_bom(data)


# -- through the stores -------------------------------------------------------------------


@dataclass
class Journey:
    """Stores in a temporary folder and the JSON results of syncing them (twice)."""

    root: Path
    runs: list[dict[str, Any]] = field(default_factory=list)  # the first sync of each
    again: list[dict[str, Any]] = field(default_factory=list)  # the sync after it

    def cli(self, *args: str) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                code = main(
                    [
                        "--config-dir",
                        str(self.root / "config"),
                        "--data-dir",
                        str(self.root / "data"),
                        *args,
                    ]
                )
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        return code, out.getvalue()

    def add(self, name: str, a: str, b: str) -> None:
        code, out = self.cli("partnership", "add", name, a, b)
        assert code == 0, out

    def sync(self, *names: str) -> list[dict[str, Any]]:
        code, out = self.cli("sync", *names, "--json")
        assert code in (0, 1), out  # 1: some items failed (the refused cards)
        runs: list[dict[str, Any]] = json.loads(out)
        return runs

    def errors(self, name: str) -> str:
        run = next(r for r in self.runs if r["partnership"] == name)
        return "\n".join(f"{e['item']}: {e['message']}" for e in run["errors"])


def files(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob("*.vcf"))]


def spans(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return [data[s.start : s.end] for s in split_cards(data)]


@pytest.fixture(scope="module")
def from_a_folder(tmp_path_factory: pytest.TempPathFactory) -> Journey:
    """book/ (every corpus file) → export.vcf → book2/, and book/ → the virtual phone."""
    root = tmp_path_factory.mktemp("corpus-folder")
    journey = Journey(root)
    book = root / "book"
    book.mkdir()
    for row in ROWS:
        (book / row.file).write_bytes(load(row))
    (root / "export.vcf").write_bytes(b"")
    (root / "book2").mkdir()
    journey.add("to-vcf", f"vdir:{book}", f"vcf:{root / 'export.vcf'}")
    journey.add("to-book2", f"vcf:{root / 'export.vcf'}", f"vdir:{root / 'book2'}")
    journey.add("to-phone", f"vdir:{book}", f"virtual:{root / 'phone'}")
    journey.runs = journey.sync("to-vcf", "to-book2", "to-phone")
    journey.again = journey.sync("to-vcf", "to-book2", "to-phone")
    return journey


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_from_a_folder_through_a_vcf_to_a_folder_and_to_a_phone(
    from_a_folder: Journey, row: Row
) -> None:
    root = from_a_folder.root
    data = load(row)
    assert (root / "book" / row.file).read_bytes() == data  # the source is never touched
    in_vcf, in_book2 = spans(root / "export.vcf"), files(root / "book2")
    on_phone = files(root / "phone" / "Contacts")
    if row.refused:
        for name in ("to-vcf", "to-phone"):
            errors = from_a_folder.errors(name)
            assert f"{row.file}: " in errors and "nested BEGIN:VCARD" in errors, errors
        assert all(b"Fred Friday" not in card for card in [*in_vcf, *in_book2, *on_phone])
        return
    expected = row.in_vcf(data)
    assert in_vcf.count(expected) == 1, "not byte-identical in the .vcf"
    assert in_book2.count(expected) == 1, "not byte-identical in the folder after the .vcf"
    assert on_phone.count(data) == 1, "not byte-identical on the phone"


def test_from_a_folder_counts_and_a_second_sync_changes_nothing(from_a_folder: Journey) -> None:
    good = sum(1 for row in ROWS if not row.refused)
    counts = {r["partnership"]: (r["to_a"], r["to_b"]) for r in from_a_folder.runs}
    nothing = {"created": 0, "updated": 0, "deleted": 0}
    assert counts == {
        name: (nothing, {"created": good, "updated": 0, "deleted": 0})
        for name in ("to-vcf", "to-book2", "to-phone")
    }
    for run in from_a_folder.again:  # the normalised copies are not taken for edits
        assert run["to_a"] == run["to_b"] == nothing, run
        assert run["conflicts"] == 0


@pytest.fixture(scope="module")
def from_a_vcf(tmp_path_factory: pytest.TempPathFactory) -> Journey:
    """all.vcf (every corpus card, concatenated) → book/, and → the virtual phone."""
    root = tmp_path_factory.mktemp("corpus-vcf")
    journey = Journey(root)
    (root / "all.vcf").write_bytes(b"".join(load(row) for row in ROWS))
    (root / "book").mkdir()
    journey.add("to-book", f"vcf:{root / 'all.vcf'}", f"vdir:{root / 'book'}")
    journey.add("to-phone", f"vcf:{root / 'all.vcf'}", f"virtual:{root / 'phone'}")
    journey.runs = journey.sync("to-book", "to-phone")
    journey.again = journey.sync("to-book", "to-phone")
    return journey


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_from_a_vcf_to_a_folder_and_to_a_phone(from_a_vcf: Journey, row: Row) -> None:
    root = from_a_vcf.root
    assert (root / "all.vcf").read_bytes() == b"".join(load(r) for r in ROWS)  # untouched
    in_book, on_phone = files(root / "book"), files(root / "phone" / "Contacts")
    if row.refused:
        number = ROWS.index(row) + 1
        for name in ("to-book", "to-phone"):
            errors = from_a_vcf.errors(name)
            assert f"all.vcf, card {number} (Fred Friday): " in errors, errors
            assert "nested BEGIN:VCARD" in errors
        assert all(b"Fred Friday" not in card for card in [*in_book, *on_phone])
        return
    span = without_bom(load(row))  # in the .vcf, a BOM before BEGIN is not the card's
    assert in_book.count(span) == 1, "not byte-identical in the folder"
    assert on_phone.count(span) == 1, "not byte-identical on the phone"


def test_from_a_vcf_a_second_sync_changes_nothing(from_a_vcf: Journey) -> None:
    nothing = {"created": 0, "updated": 0, "deleted": 0}
    good = sum(1 for row in ROWS if not row.refused)
    for run in from_a_vcf.runs:
        assert run["to_b"] == {"created": good, "updated": 0, "deleted": 0}, run
        assert run["to_a"] == nothing
    for run in from_a_vcf.again:
        assert run["to_a"] == run["to_b"] == nothing, run

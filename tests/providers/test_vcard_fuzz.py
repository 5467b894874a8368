"""Fuzzing the vCard layer with damaged cards: bad input never costs a contact.

A seeded generator (no Hypothesis: every run makes the same cards, and a failure names its
seed and mutations) damages good cards from tests/data/cards/ and tests/data/corpus/: cut
off anywhere, bytes flipped, invalid UTF-8, NULs, CHARSET values (every codec name Python
knows and nonsense), bad quoted-printable, nested and glued BEGINs, no END, huge lines,
5,000 properties, UTF-16, CR-only and iOS line ends, byte-order marks, hostile UIDs.

Level 1, the codec: parse, describe, split and the line scan raise nothing but BadItem, and
the splitter never glues a card to the next one.

Level 2, the stores end to end through the CLI: good and damaged cards mixed in a folder
(``vdir:``), one ``.vcf`` file (``vcf:``) and a virtual phone (``virtual:``), synced
folder ↔ file ↔ phone. Nothing escapes the sync; every damaged card is named (by file name,
or by the ``.vcf``'s name and card number); no damaged file or card changes; every good card
arrives everywhere; the reported counts are what was written. Then, later: cards synced
before are damaged in place while their copies elsewhere are edited or deleted; the damaged
ones stay byte for byte, are named, and the counts still match the writes.

Runs in a few seconds: about 3,800 generated cards at level 1 (most of them the sweep of
440 CHARSET names) and 225 cards in five synced worlds at level 2.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from encodings.aliases import aliases
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from syncgui.cli import main
from syncgui.engine.errors import BadItem
from syncgui.providers.vcard.card import parse_card
from syncgui.providers.vcard.format import VCardFormat, as_copy, describe_card, with_uid
from syncgui.providers.vcard.sniff import quick_card_problem
from syncgui.providers.vcard.split import (
    cardlike,
    find_value,
    single_card_problem,
    split_cards,
)
from syncgui.providers.vcard.values import text_line

DATA = Path(__file__).resolve().parent.parent / "data"
FMT = VCardFormat()


def _good_sources() -> dict[str, bytes]:
    """The good sample cards: every fixture and corpus card the codec reads."""
    found = {}
    for folder in (DATA / "cards", DATA / "corpus"):
        for path in sorted(folder.glob("*.vcf")):
            data = path.read_bytes()
            with contextlib.suppress(BadItem):
                describe_card(data)
                found[f"{folder.name}/{path.name}"] = data
    return found


SOURCES = _good_sources()

# -- making cards -----------------------------------------------------------------------------

CHARSETS = [
    *sorted(set(aliases) | set(aliases.values())),
    "punycode", "idna", "undefined", "unicode_escape", "raw_unicode_escape", "utf-7",
    "U\0TF-8", "", " ", '"utf-8"', "utf-8,latin1", "x" * 300, "ütf-8", "\\", "..", "-",
]  # fmt: skip
HOSTILE_UIDS = [
    "../{n}", "..\\{n}", "/etc/passwd-{n}", "CON", "con.vcf", "NUL", "AUX.{n}", "", "   ",
    "{n}" + "u" * 10_000, ".hidden-{n}", "a:b;c,{n}", "ü-{n}-😀", "a\\nb-{n}", "LPT1",
]  # fmt: skip


@dataclass
class Made:
    """One generated card: its bytes and how it was made (for failure messages)."""

    data: bytes
    how: list[str] = field(default_factory=list)


def _lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _eol(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def unique(data: bytes, n: int) -> bytes:
    """``data`` with its own UID ``fuzz-<n>`` (the UID line replaced or added) and an
    ``X-FUZZ:<n>`` line: every generated card is a contact of its own."""
    card = parse_card(data)
    eol = card.eol
    uid = text_line("UID", f"fuzz-{n}", card.version, eol)
    marker = f"X-FUZZ:{n}".encode() + eol
    at = card.index_of("UID")
    if at is not None:
        return card.rebuild({at: [uid, marker]})
    version = card.index_of("VERSION")
    return card.rebuild({}, {version if version is not None else 0: [uid, marker]})


class Maker:
    """Seeded generator of good and damaged cards."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.n = 0
        self.used_uids: set[str] = set()

    def good(self) -> Made:
        self.n += 1
        name = self.rng.choice(sorted(SOURCES))
        return Made(unique(SOURCES[name], self.n), [f"seed {self.seed} card {self.n}", name])

    def damaged(self, *first: str) -> Made:
        """A good card damaged by the mutations ``first`` and one to three drawn ones."""
        made = self.good()
        for name in [*first, *self.rng.choices(sorted(MUTATIONS), k=self.rng.randint(1, 3))]:
            made.data = MUTATIONS[name](self, made.data)
            made.how.append(name)
        return made

    # -- mutations ----------------------------------------------------------------------------

    def truncate(self, data: bytes) -> bytes:
        return data[: self.rng.randrange(1, max(2, len(data)))]

    def flip_bytes(self, data: bytes) -> bytes:
        out = bytearray(data)
        for _ in range(self.rng.randint(1, 4)):
            out[self.rng.randrange(len(out))] ^= 1 << self.rng.randrange(8)
        return bytes(out)

    def insert(self, data: bytes, what: bytes) -> bytes:
        at = self.rng.randrange(len(data) + 1)
        return data[:at] + what + data[at:]

    def at_line_start(self, data: bytes, what: bytes) -> bytes:
        lines = _lines_of(data)
        at = self.rng.randrange(1, max(2, len(lines)))
        return b"".join([*lines[:at], what, *lines[at:]])

    def invalid_utf8(self, data: bytes) -> bytes:
        return self.insert(data, self.rng.choice([b"\xff", b"\xc3(", b"\xe2\x82", b"\xed\xa0\x80"]))

    def nul(self, data: bytes) -> bytes:
        return self.insert(data, b"\x00")

    def charset(self, data: bytes) -> bytes:
        name = self.rng.choice(CHARSETS).encode("utf-8")
        prop = self.rng.choice([b"FN", b"N", b"UID", b"NOTE", b"ORG", b"TEL"])
        line = b";CHARSET=" + name + self.rng.choice([b"", b";ENCODING=QUOTED-PRINTABLE"])
        pattern = re.compile(rb"(?m)^((?:[A-Za-z0-9-]+\.)?" + prop + rb")([;:])")
        if pattern.search(data) is None:
            return self.at_line_start(data, prop + line + b":x=C3=A9\\n=\r\n")
        return pattern.sub(lambda m: m.group(1) + line + m.group(2), data, count=1)

    def bad_quoted_printable(self, data: bytes) -> bytes:
        value = self.rng.choice(
            [b"=ZZ", b"=", b"=4", b"=\r\n", b"==\r\n=", b"=C3", b"=\r\nEND:VCARD"]
        )
        line = b"NOTE;ENCODING=QUOTED-PRINTABLE:a" + value + _eol(data)
        return self.at_line_start(data, line)

    def nested_begin(self, data: bytes) -> bytes:
        what = self.rng.choice(
            [b"BEGIN:VCARD" + _eol(data), b"AGENT:" + _eol(data) + b"BEGIN:VCARD" + _eol(data)]
        )
        return self.at_line_start(data, what)

    def glued_begin(self, data: bytes) -> bytes:
        return self.insert(
            data, self.rng.choice([b"BEGIN:VCARD\r\n", b"BEGIN:VCARD", b"begin:vcard \n"])
        )

    def no_end(self, data: bytes) -> bytes:
        return re.sub(rb"(?i)END:VCARD\s*\Z", b"", data)

    def huge_line(self, data: bytes) -> bytes:
        size = self.rng.choice([10_000, 200_000, 1_000_000])
        return self.at_line_start(data, b"NOTE:" + b"h" * size + _eol(data))

    def many_properties(self, data: bytes) -> bytes:
        eol = _eol(data)
        return self.at_line_start(data, b"".join(b"TEL:+1 555 %d" % i + eol for i in range(5000)))

    def utf16(self, data: bytes) -> bytes:
        text = data.decode("utf-8", errors="replace")
        return text.encode(self.rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]))

    def line_ends(self, data: bytes) -> bytes:
        lf = data.replace(b"\r\n", b"\n")
        return lf.replace(b"\n", self.rng.choice([b"\r", b"\r\r\n", b"\n", b"\r\n"]))

    def byte_order_mark(self, data: bytes) -> bytes:
        return b"\xef\xbb\xbf" * self.rng.randint(1, 2) + data

    def no_colon(self, data: bytes) -> bytes:
        return self.at_line_start(data, b"THIS LINE HAS NO COLON" + _eol(data))

    def fold_anywhere(self, data: bytes) -> bytes:
        return self.insert(data, _eol(data) + b" ")

    def hostile_uid(self, data: bytes) -> bytes:
        uid = self.rng.choice(HOSTILE_UIDS).format(n=self.n)
        if uid in self.used_uids and uid.strip():
            uid = f"{uid}-{self.n}"
        self.used_uids.add(uid)
        encoded = uid.encode().replace(b"\n", b"\\n")
        if self.rng.random() < 0.2:  # quoted-printable, with a NUL in it
            encoded, head = encoded + b"=00x", b"UID;ENCODING=QUOTED-PRINTABLE:"
        else:
            head = b"UID:"
        return re.sub(rb"(?m)^UID:fuzz-\d+", lambda _: head + encoded, data, count=1)


MUTATIONS: dict[str, Callable[[Maker, bytes], bytes]] = {
    name: getattr(Maker, name)
    for name in (
        "truncate", "flip_bytes", "invalid_utf8", "nul", "charset", "bad_quoted_printable",
        "nested_begin", "glued_begin", "no_end", "huge_line", "many_properties", "utf16",
        "line_ends", "byte_order_mark", "no_colon", "fold_anywhere", "hostile_uid",
    )
}  # fmt: skip


def made_cards(seed: int, count: int) -> Iterator[Made]:
    maker = Maker(seed)
    for _ in range(count):
        yield maker.damaged()


# -- level 1: the codec -----------------------------------------------------------------------

CODEC_CARDS = 300


def _only_bad_item(
    work: Callable[[bytes], object], data: bytes, made: Made, what: str, failures: list[str]
) -> None:
    try:
        work(data)
    except BadItem:
        pass
    except Exception as err:  # the point of the test: report, with how the card was made
        failures.append(f"{what}: {type(err).__name__}: {err} <- {' / '.join(made.how)}")


CODEC_CHECKS: dict[str, Callable[[bytes], object]] = {
    "parse_card": lambda data: parse_card(data).lines,
    "describe_card": describe_card,
    "split_cards": split_cards,
    "find_value UID": lambda data: find_value(data, "UID"),
    "find_value FN": lambda data: find_value(data, "FN"),
    "single_card_problem": single_card_problem,
    "quick_card_problem": quick_card_problem,
}
_OTHER = SOURCES["cards/apple-30.vcf"]
FORMAT_CHECKS: dict[str, Callable[[bytes], object]] = {
    "with_uid": lambda data: with_uid(data, "new-uid"),
    "as_copy": lambda data: as_copy(data, "copy-uid", "somewhere"),
    "same": lambda data: FMT.same(data, _OTHER),
    "merge": lambda data: FMT.merge(_OTHER, data, _OTHER),
}


def _decode_every_line(data: bytes) -> None:
    """Values are decoded lazily: a card that parses must also give every value's text."""
    for line in parse_card(data).lines:
        line.text()
        line.components()
        line.components(",")
        _ = line.params


def test_level_1_the_codec_raises_only_bad_item() -> None:
    failures: list[str] = []
    kinds: Counter[str] = Counter()
    for made in made_cards(seed=1, count=CODEC_CARDS):
        kinds.update(made.how[2:])
        for what, work in [*CODEC_CHECKS.items(), ("decoding", _decode_every_line)]:
            _only_bad_item(work, made.data, made, what, failures)
    assert not failures, "\n".join(failures[:20])
    assert set(kinds) == set(MUTATIONS), "some mutation was never drawn"


def test_level_1_the_format_operations_raise_only_bad_item() -> None:
    failures: list[str] = []
    for made in made_cards(seed=3, count=CODEC_CARDS // 2):
        for what, work in FORMAT_CHECKS.items():
            _only_bad_item(work, made.data, made, what, failures)
    assert not failures, "\n".join(failures[:20])


EVERY_CHARSET_VALUES = [
    b"Ann",
    b"a..b",
    b"xn--abc-",
    b"\\xzz",
    b"=FF=FE=00",
    b"caf=C3=A9 =",
    b"+AAA-",
]


def test_level_1_every_charset_name_on_every_kind_of_value() -> None:
    """Each codec name Python knows (and some it does not) as the CHARSET of a name, a
    UID and a note, quoted-printable or not, on values that make codecs fail."""
    maker = Maker(seed=5)
    failures: list[str] = []
    for name in CHARSETS:
        for value in EVERY_CHARSET_VALUES:
            made = maker.good()
            params = (
                b";CHARSET="
                + name.encode()
                + maker.rng.choice([b"", b";ENCODING=QUOTED-PRINTABLE"])
            )
            for prop in (b"FN", b"UID", b"NOTE"):
                made.data = maker.at_line_start(made.data, prop + params + b":" + value + b"\r\n")
            made.how.append(f"CHARSET={name!r} value {value!r}")
            for what, work in [*CODEC_CHECKS.items(), ("decoding", _decode_every_line)]:
                _only_bad_item(work, made.data, made, what, failures)
    assert not failures, "\n".join(failures[:20])


def _pieces_file(maker: Maker, count: int) -> tuple[bytes, list[tuple[int, int, bool]], list[Made]]:
    """Good and damaged cards concatenated, sometimes with blank lines between them:
    the bytes and each piece's (start, end, good)."""
    data = b""
    pieces: list[tuple[int, int, bool]] = []
    made_list: list[Made] = []
    for _ in range(count):
        good = maker.rng.random() < 0.5
        made = maker.good() if good else maker.damaged()
        data += maker.rng.choice([b"", b"", b"\r\n"])
        pieces.append((len(data), len(data) + len(made.data), good))
        data += made.data
        made_list.append(made)
    return data, pieces, made_list


def _same_bytes(a: bytes, b: bytes) -> bool:
    return a.rstrip(b"\r\n") == b.rstrip(b"\r\n")


def _reads_as_good(data: bytes) -> bool:
    try:
        describe_card(data)
    except BadItem:
        return False
    return True


def test_level_1_the_splitter_never_glues_cards() -> None:
    """In files of good and damaged cards, a card the file store would take as good holds
    bytes of one piece only, and every good piece is read byte-identical or lies in a
    region the file store reports (a damaged card, or text between cards)."""
    maker = Maker(seed=4)
    failures: list[str] = []
    for _ in range(60):
        data, pieces, made_list = _pieces_file(maker, 5)
        spans = split_cards(data)
        bounds = [(s.start, s.end) for s in spans]
        assert all(0 <= a <= b <= c <= d <= len(data) for (a, b), (c, d) in pairwise(bounds))
        good = {
            (s.start, s.end)
            for s in spans
            if s.problem is None and _reads_as_good(data[s.start : s.end])
        }
        good_at = {a: b for a, b in good}
        starts = [start for start, _, _ in pieces]
        for a, b in good:
            glued = [s for s in starts if a < s < b and data[s:b].strip(b" \t\r\n\xef\xbb\xbf")]
            if glued:
                failures.append(f"a good card holds two pieces: {data[a:b][:200]!r}")
        reported = [(s.start, s.end) for s in spans if (s.start, s.end) not in good]
        ends = [0] + [b for _, b in bounds]
        gaps = zip(ends, [a for a, _ in bounds] + [len(data)], strict=True)
        reported += [(b, c) for b, c in gaps if cardlike(data[b:c])]
        for (start, _, is_good), made in zip(pieces, made_list, strict=True):
            if not is_good:
                continue
            (own,) = split_cards(made.data)  # where the card is in its own bytes
            alone = made.data[own.start : own.end]
            found = good_at.get(start + own.start)
            # byte-identical (a card without a final line break takes the next one's blank)
            if found is not None and _same_bytes(data[start + own.start : found], alone):
                continue
            if not any(a < start + own.end and start + own.start < b for a, b in reported):
                failures.append(f"a good card vanished: {' / '.join(made.how)}")
    assert not failures, "\n".join(failures[:10])


# -- level 2: the stores, end to end ------------------------------------------------------------

LEVEL_2_SEEDS = (101, 102, 103)
LEVEL_2_CARDS = 45  # per seed, over the three stores
NOTHING = {"created": 0, "updated": 0, "deleted": 0}


def _usable_file(data: bytes) -> bool:
    """What a folder store (and the phone) takes as a good card file."""
    return quick_card_problem(data) is None and _reads_as_good(data)


@dataclass
class Vcf:
    """A ``.vcf`` file as the file store reads it: good cards, damaged ones, and gaps."""

    data: bytes
    good: list[bytes] = field(default_factory=list)
    bad: list[tuple[int, bytes]] = field(default_factory=list)  # (card number, bytes)
    gaps: list[tuple[str, bytes]] = field(default_factory=list)  # (where, bytes) reported
    reported: list[tuple[int, int]] = field(default_factory=list)  # where bad cards and gaps are

    @classmethod
    def read(cls, path: Path) -> Vcf:
        data = path.read_bytes()
        vcf = cls(data)
        pos = 0
        for n, span in enumerate(split_cards(data), 1):
            raw = data[span.start : span.end]
            if cardlike(data[pos : span.start]):
                vcf.gaps.append((f"before card {n}", data[pos : span.start]))
                vcf.reported.append((pos, span.start))
            if span.problem is None and _reads_as_good(raw):
                vcf.good.append(raw)
            else:
                vcf.bad.append((n, raw))
                vcf.reported.append((span.start, span.end))
            pos = span.end
        if cardlike(data[pos:]):
            vcf.gaps.append(("at the end of the file", data[pos:]))
            vcf.reported.append((pos, len(data)))
        return vcf


@dataclass
class World:
    """A folder, a ``.vcf`` file and a virtual phone with good and damaged cards, paired
    folder ↔ file ↔ phone; every session's result next to what it actually changed."""

    root: Path
    made: dict[str, Made] = field(default_factory=dict)  # how each card was made, by place
    # the good cards put in the .vcf, where they are in it (what the splitter finds there
    # is the code under test: a card glued to another one must not pass for good)
    vcf_good: list[tuple[int, int, bytes]] = field(default_factory=list)

    @property
    def book(self) -> Path:
        return self.root / "book"

    @property
    def export(self) -> Path:
        return self.root / "export.vcf"

    @property
    def contacts(self) -> Path:
        return self.root / "phone" / "Contacts"

    def cli(self, *args: str) -> tuple[int, str]:
        out = io.StringIO()
        dirs = ["--config-dir", str(self.root / "config"), "--data-dir", str(self.root / "data")]
        with contextlib.redirect_stdout(out):
            try:
                code = main([*dirs, *args])
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        return code, out.getvalue()

    def snapshot(self) -> dict[str, Any]:
        return {
            "book": {p.name: p.read_bytes() for p in self.book.glob("*.vcf")},
            "vcf": Vcf.read(self.export),
            "phone": {p.name: p.read_bytes() for p in self.contacts.glob("*.vcf")},
        }

    def sync(self, name: str, *flags: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """Run one partnership; its result and the stores before and after."""
        before = self.snapshot()
        code, out = self.cli("sync", name, "--json", *flags)
        assert code in (0, 1, 3), f"sync {name} ended with {code}: {out}"  # 3: conflicts left
        (run,) = json.loads(out)
        return run, before, self.snapshot()


def build_world(root: Path, seed: int) -> World:
    """Cards made from ``seed``: about 60% good; 40% in the folder, 40% in the file (one
    after the other, sometimes with a blank line between), 20% on the phone."""
    world = World(root)
    maker = Maker(seed)
    world.book.mkdir()
    world.contacts.mkdir(parents=True)
    vcf = b""
    for _ in range(LEVEL_2_CARDS):
        place = maker.rng.random()
        if maker.rng.random() < 0.6:
            made = maker.good()
        elif 0.4 <= place < 0.8 and maker.rng.random() < 0.5:
            made = maker.damaged("truncate")  # in the .vcf: cut off before the next card
        else:
            made = maker.damaged()
        if place < 0.4:
            name = f"card-{maker.n}.vcf"
            (world.book / name).write_bytes(made.data)
            world.made[f"book/{name}"] = made
        elif place < 0.8:
            vcf += maker.rng.choice([b"", b"\r\n"])
            if len(made.how) == 2:  # a good one (no mutation)
                world.vcf_good.append((len(vcf), len(vcf) + len(made.data), made.data))
            vcf += made.data
            world.made[f"vcf/{maker.n}"] = made
        else:
            name = f"phone-{maker.n}.vcf"
            (world.contacts / name).write_bytes(made.data)
            world.made[f"phone/{name}"] = made
    world.export.write_bytes(vcf)
    return world


def _folder_changes(before: dict[str, bytes], after: dict[str, bytes]) -> dict[str, int]:
    return {
        "created": len(after.keys() - before.keys()),
        "updated": sum(1 for k in before.keys() & after.keys() if before[k] != after[k]),
        "deleted": len(before.keys() - after.keys()),
    }


def _vcf_changes(before: Vcf, after: Vcf) -> tuple[int, int]:
    """(cards added, cards gone): an update is one of each."""
    # a card at the end of the file without a line break gets one when a card is added
    old = Counter(card.rstrip(b"\r\n") for card in before.good)
    new = Counter(card.rstrip(b"\r\n") for card in after.good)
    return sum((new - old).values()), sum((old - new).values())


def _check_counts(
    run: dict[str, Any], before: dict[str, Any], after: dict[str, Any], sides: tuple[str, str]
) -> list[str]:
    wrong = []
    for side, store in zip(("to_a", "to_b"), sides, strict=True):
        said = run[side]
        if store == "vcf":
            added, gone = _vcf_changes(before["vcf"], after["vcf"])
            if (said["created"] + said["updated"], said["deleted"] + said["updated"]) != (
                added,
                gone,
            ):
                gained = f"the .vcf gained {added} cards and lost {gone}"
                wrong.append(f"{run['partnership']} {side}: says {said}, {gained}")
        else:
            done = _folder_changes(before[store], after[store])
            if said != done:
                wrong.append(f"{run['partnership']} {side}: says {said}, the {store} did {done}")
    return wrong


@pytest.fixture(scope="module", params=LEVEL_2_SEEDS)
def synced(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[World, dict[str, Any], list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]]:
    """A world, its stores before any sync, and the sessions folder ↔ file, file ↔ phone,
    folder ↔ file (what came from the phone), then each pair once more (nothing to do).

    The fuzzed cards are variations of a few corpus cards, so many are the same person:
    matching would combine them (tests/system/test_matching_*.py show that); here every
    card is its own contact, so that each can be followed byte for byte."""
    world = build_world(tmp_path_factory.mktemp(f"fuzz-{request.param}"), request.param)
    first = world.snapshot()
    for name, a, b in (
        ("book-vcf", f"vdir:{world.book}", f"vcf:{world.export}"),
        ("vcf-phone", f"vcf:{world.export}", f"virtual:{world.root / 'phone'}"),
    ):
        code, out = world.cli("partnership", "add", name, a, b, "--match", "none")
        assert code == 0, out
    sessions = [
        world.sync(name) for name in ("book-vcf", "vcf-phone", "book-vcf", "vcf-phone", "book-vcf")
    ]
    return world, first, sessions


SIDES = {"book-vcf": ("book", "vcf"), "vcf-phone": ("vcf", "phone")}
Synced = tuple[World, dict[str, Any], list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]]


def _errors(run: dict[str, Any]) -> str:
    return "\n".join(f"{e['item']}: {e['message']}" for e in run["errors"])


def test_level_2_the_counts_are_what_was_written(synced: Synced) -> None:
    _world, _first, sessions = synced
    wrong = [
        w
        for run, before, after in sessions
        for w in _check_counts(run, before, after, SIDES[run["partnership"]])
    ]
    assert not wrong, "\n".join(wrong)


def test_level_2_nothing_that_was_there_changes(synced: Synced) -> None:
    """A first sync only adds: every file stays as it was, damaged ones above all, and
    the .vcf keeps every byte it had (new cards come after them)."""
    world, first, _sessions = synced
    last = world.snapshot()
    for store in ("book", "phone"):
        for name, data in first[store].items():
            how = " / ".join(world.made[f"{store}/{name}"].how)
            assert last[store].get(name) == data, f"{store}/{name} changed ({how})"
    old, new = first["vcf"].data, last["vcf"].data
    assert new.startswith(old), "the .vcf lost or changed bytes it had"
    assert all(raw in new for _, raw in first["vcf"].bad)


def _unnamed(run: dict[str, Any], before: dict[str, Any]) -> list[str]:
    """The damaged cards of the stores a session synced (as they were when it started)
    that its problems do not name: a file by its name, a card of the .vcf by its number."""
    errors = _errors(run)
    missing = []
    for store in SIDES[run["partnership"]]:
        if store == "vcf":
            vcf = before["vcf"]
            named = [(f"card {n}", raw) for n, raw in vcf.bad] + vcf.gaps
            missing += [
                f"export.vcf, {where}: {raw[:80]!r}"
                for where, raw in named
                if f"export.vcf, {where}" not in errors
            ]
        else:
            files = before[store].items()
            missing += [
                f"{store}/{name}"
                for name, data in files
                if not _usable_file(data) and f"{name}: " not in errors
            ]
    return [f"{run['partnership']}: {what}" for what in missing]


def test_level_2_every_damaged_card_is_named(synced: Synced) -> None:
    _world, _first, sessions = synced
    missing = [what for run, before, _after in sessions for what in _unnamed(run, before)]
    assert not missing, "\n".join(missing[:20])


_EMPTY_UID = re.compile(rb"(?im)^UID:[ \t]*\r*\n")


def _arrived(card: bytes, held: list[bytes]) -> bool:
    """``card`` is in ``held``: the same contact, or the same once an empty UID line is
    left out (a sync fills it in; VCardFormat.same takes an empty UID line for a UID)."""
    bare = _EMPTY_UID.sub(b"", card)
    return any(FMT.same(card, other) or FMT.same(bare, other) for other in held)


def test_level_2_every_good_card_arrives_everywhere(synced: Synced) -> None:
    world, first, _sessions = synced
    last = world.snapshot()
    holdings = {
        "book": [d for d in last["book"].values() if _usable_file(d)],
        "vcf": last["vcf"].good,
        "phone": [d for d in last["phone"].values() if _usable_file(d)],
    }
    good = {
        "book": [d for d in first["book"].values() if _usable_file(d)],
        "vcf": first["vcf"].good,
        "phone": [d for d in first["phone"].values() if _usable_file(d)],
    }
    assert sum(len(cards) for cards in good.values()) >= LEVEL_2_CARDS // 3
    lost = []
    for origin, cards in good.items():
        for card in cards:
            for store, held in holdings.items():
                if store != origin and not _arrived(card, held):
                    lost.append(f"{origin} → {store}: {card[:160]!r}")
    # every good card put in the .vcf is read as one, or lies where a problem is reported
    reported = first["vcf"].reported
    for start, end, card in world.vcf_good:
        if not _arrived(card, holdings["book"]) and not any(
            a < end and start < b for a, b in reported
        ):
            lost.append(f"vcf → book, not reported either: {card[:160]!r}")
    assert not lost, "\n".join(lost[:10])


def test_level_2_once_all_is_carried_a_sync_changes_nothing(synced: Synced) -> None:
    _world, _first, sessions = synced
    for run, _before, _after in sessions[3:]:
        assert run["to_a"] == run["to_b"] == NOTHING, run


# -- level 2, later: cards damaged after they were synced, edited or deleted elsewhere ----------

_MARKER = re.compile(rb"\nX-FUZZ:(\d+)\r*\n")


def _marker(data: bytes) -> bytes | None:
    found = _MARKER.search(data)
    return found.group(1) if found else None


def _later(path: Path) -> None:
    st = path.stat()  # a later second, as another program's save would be
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def _edit_or_delete(path: Path, rng: random.Random) -> None:
    if rng.random() < 0.5:
        path.unlink()
        return
    data = path.read_bytes()
    found = _MARKER.search(data)
    assert found is not None
    path.write_bytes(data[: found.end()] + b"NOTE:edited elsewhere\r\n" + data[found.end() :])
    _later(path)


def _damage(maker: Maker, data: bytes) -> bytes:
    """``data`` damaged so that the codec refuses it, its BEGIN and END lines kept."""
    for name in ("no_colon", "invalid_utf8", "nested_begin", "no_colon"):
        damaged = MUTATIONS[name](maker, data)
        if (
            not _usable_file(damaged)
            and damaged.startswith(data[:12])
            and damaged.endswith(data[-11:])
        ):
            return damaged
    return data.replace(b"\nX-FUZZ:", b"\nNO COLON HERE\r\nX-FUZZ:", 1)


def damage_synced_cards(world: World, seed: int) -> dict[str, Any]:
    """A third of the good cards in the folder and in the .vcf damaged in place (as a
    program writing them badly would), each one's copy edited or deleted on another store;
    what the damaged cards now are."""
    maker = Maker(seed)
    rng = maker.rng
    damaged: dict[str, Any] = {"book": {}, "vcf": []}
    phone_by_marker = {_marker(p.read_bytes()): p for p in world.contacts.glob("*.vcf")}
    book_by_marker = {_marker(p.read_bytes()): p for p in world.book.glob("*.vcf")}
    for path in sorted(world.book.glob("*.vcf")):
        data = path.read_bytes()
        if not _usable_file(data) or rng.random() > 0.33 or _marker(data) not in phone_by_marker:
            continue
        path.write_bytes(_damage(maker, data))
        _later(path)
        damaged["book"][path.name] = path.read_bytes()
        _edit_or_delete(phone_by_marker[_marker(data)], rng)
    vcf = world.export.read_bytes()
    for card in Vcf.read(world.export).good:
        mark = _marker(card)
        if (
            rng.random() > 0.33
            or mark not in book_by_marker
            or book_by_marker[mark].name in damaged["book"]
        ):
            continue
        bad = _damage(maker, card)
        assert vcf.count(card) == 1
        vcf = vcf.replace(card, bad)
        damaged["vcf"].append(bad)
        _edit_or_delete(book_by_marker[mark], rng)
    world.export.write_bytes(vcf)
    _later(world.export)
    assert damaged["book"] and damaged["vcf"], "nothing was damaged: draw again"
    return damaged


Later = tuple[World, dict[str, Any], list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]]


@pytest.fixture(scope="module", params=LEVEL_2_SEEDS[:2])
def damaged_later(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Later:
    world = build_world(tmp_path_factory.mktemp(f"fuzz-later-{request.param}"), request.param)
    for name, a, b in (
        ("book-vcf", f"vdir:{world.book}", f"vcf:{world.export}"),
        ("vcf-phone", f"vcf:{world.export}", f"virtual:{world.root / 'phone'}"),
    ):
        # every card its own contact, as in ``synced``
        assert world.cli("partnership", "add", name, a, b, "--match", "none")[0] == 0
    for name in ("book-vcf", "vcf-phone", "book-vcf"):
        world.sync(name)
    damaged = damage_synced_cards(world, request.param + 1000)
    sessions = [
        world.sync(name, "--yes") for name in ("vcf-phone", "book-vcf", "vcf-phone", "book-vcf")
    ]
    return world, damaged, sessions


def test_level_2_later_a_damaged_card_is_never_changed(damaged_later: Later) -> None:
    world, damaged, _sessions = damaged_later
    for name, data in damaged["book"].items():
        path = world.book / name
        assert path.exists() and path.read_bytes() == data, f"book/{name} was changed"
    vcf = world.export.read_bytes()
    for card in damaged["vcf"]:
        assert vcf.count(card) == 1, f"a damaged card of the .vcf was changed: {card[:120]!r}"


def test_level_2_later_the_counts_are_what_was_written(damaged_later: Later) -> None:
    _world, _damaged, sessions = damaged_later
    wrong = [
        w
        for run, before, after in sessions
        for w in _check_counts(run, before, after, SIDES[run["partnership"]])
    ]
    assert not wrong, "\n".join(wrong)


def test_level_2_later_every_damaged_card_is_named(damaged_later: Later) -> None:
    _world, _damaged, sessions = damaged_later
    missing = [what for run, before, _after in sessions for what in _unnamed(run, before)]
    assert not missing, "\n".join(missing[:20])

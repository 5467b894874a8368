"""Property test of matching when two stores first meet (issue 11).

Two stores are filled from the same few people: each person on side A, side B or both,
each card written its own way — vCard 2.1 (quoted-printable), 3.0 or 4.0; no UID, a random
UID, or the same UID on both sides; CRLF or LF; folded anywhere; properties in any order
and their names in any letter case; the name as ``Given Family``, in capitals,
``Family, Given``, or (2.1) only in N; numbers as ``+44 20 7946 0018``, ``+442079460018``,
``020 7946 0018``, ``020-7946-0018`` or ``tel:+44-20-7946-0018``; e-mail addresses in any
case; REV and PRODID stamps; a NOTE or an ORG that may differ between the sides. A person
on both sides shares at least one e-mail address or number between them.

Some people share a name (their e-mail addresses and numbers differ), and some share a home
line (their names differ): by the rules they are different people. After one two-way sync
with merge, a-wins, b-wins or newest:

- each side holds exactly one card per person present on either side: never more cards
  than distinct people (a pair not combined), never a card mixing two people (combined);
- every person both sides held under different identities was matched, and nothing was
  listed as a possible duplicate (no person here is ambiguous);
- a second sync changes nothing.

And when one person is once on A and twice on B (the two B cards saying the same), none of
the three is matched: they are listed as one possible duplicate and copied across.

Run in process on memory replicas (and a folder store against a memory replica), 100, 50
and 33 examples by default, ~3 s (``SYNCGUI_MATCHING_EXAMPLES=5000`` for a soak).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from syncgui.engine.events import Direction, Policy, SessionResult, SessionSettings, Status
from syncgui.engine.memory import MemoryReplica
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.metadata import MetadataStore
from syncgui.engine.replica import Replica
from syncgui.engine.session import SyncSession
from syncgui.engine.simple import SimpleReplica
from syncgui.providers.vcard.folder import open_folder_store
from syncgui.providers.vcard.format import VCardFormat
from tests.data.people.make_people import Phone, esc, esc_parts, qp
from tests.data.people.reading import name_key, read

FMT = VCardFormat()
NAMES = (
    ("Zoë", "Lefèvre"),
    ("José", "Núñez"),
    ("伟", "王"),
    ("Alex", "Morgan"),
    ("Søren", "Østergård"),
    ("Siobhán", "O'Connor"),
    ("Mary-Jane", "Watson"),
    ("Ann", "Lee"),
)
COUNTRIES = (("44", True), ("1", False), ("49", True), ("353", True), ("81", True), ("34", False))
NOTES = ("Met at the fair, 2019", "Prefers e-mail; no calls", "Zürich office\nfloor 3")
ORGS = ("Acme, Inc.", "Bäckerei Müller")
POLICIES = (Policy.MERGE, Policy.A_WINS, Policy.B_WINS, Policy.NEWEST)
PHONE_STYLES = ("e164", "compact", "domestic", "dashed", "uri")
NAME_STYLES = ("plain", "upper", "lower", "family-first", "comma", "n-only")


@dataclass(frozen=True, slots=True)
class Person:
    given: str
    family: str
    emails: tuple[str, ...]
    phones: tuple[Phone, ...]

    @property
    def name(self) -> str:
        return name_key(f"{self.given} {self.family}")

    @property
    def handles(self) -> tuple[tuple[str, str], ...]:
        return tuple(("email", e) for e in self.emails) + tuple(
            ("tel", str(i)) for i in range(len(self.phones))
        )


@dataclass(frozen=True, slots=True)
class World:
    people: tuple[Person, ...]
    a: tuple[tuple[int, bytes], ...]  # (person, card) on side A
    b: tuple[tuple[int, bytes], ...]
    policy: Policy
    shared_uids: int  # people both sides hold under one UID (not matched: the same item)
    ambiguous: int | None = None  # a person B holds twice (never matched)

    def on_both(self) -> int:
        return len({i for i, _ in self.a} & {i for i, _ in self.b})

    def expected(self) -> list[int]:
        """The people each side should hold a card of after a sync, one entry a card:
        everyone once, the ambiguous person three times."""
        present = {i for i, _ in self.a} | {i for i, _ in self.b}
        out = sorted(present)
        if self.ambiguous is not None:  # once on A, twice on B: none matched
            out += [self.ambiguous] * 2
        return sorted(out)


# -- drawing people and cards ------------------------------------------------------------------


def _ascii(text: str, fallback: str) -> str:
    kept = "".join(c for c in text.lower() if c.isascii() and c.isalnum())
    return kept or fallback


@st.composite
def people(draw: st.DrawFn) -> tuple[Person, ...]:
    """1 to 6 people; names from a small pool (so some share one); own e-mail addresses
    and numbers, except that one may share another's home line when their names differ."""
    out: list[Person] = []
    for i in range(draw(st.integers(1, 6))):
        given, family = draw(st.sampled_from(NAMES))
        cc, trunk = draw(st.sampled_from(COUNTRIES))
        mobile = f"7{i}{i}5550{i}1{i}"
        phones = [Phone(cc, (mobile[:3], mobile[3:6], mobile[6:]), trunk, "CELL")]
        if draw(st.booleans()):
            home = f"2{i}{i}5550{i}2{i}"
            phones.append(Phone(cc, (home[:3], home[3:6], home[6:]), trunk, "HOME"))
        # a household line: someone else's number that no one of this name has
        name = name_key(f"{given} {family}")
        taken = {ph.national for p in out if p.name == name for ph in p.phones}
        lines = [ph for p in out for ph in p.phones if ph.national not in taken]
        if lines and draw(st.integers(0, 3)) == 0:
            phones.append(draw(st.sampled_from(lines)))
        local = f"{_ascii(given, 'wei')}.{_ascii(family, 'wang')}.{i}"
        emails = [f"{local}.{k}@example.org" for k in range(draw(st.integers(0, 2)))]
        out.append(Person(given, family, tuple(emails), tuple(phones)))
    return tuple(out)


def _phone_text(ph: Phone, style: str) -> str:
    if style == "e164":
        return ph.e164()
    if style == "compact":
        return ph.compact()
    if style == "dashed":
        return ph.domestic("-") if ph.cc != "1" else ph.e164().replace(" ", "-")
    if style == "uri":
        return "tel:+" + ph.cc + "-" + "-".join(ph.groups)
    return ph.domestic()


def _email_text(email: str, style: int) -> str:
    if style == 1:
        return email.upper()
    if style == 2:
        local, _, domain = email.partition("@")
        return local.capitalize() + "@" + domain.upper()
    return email


def _fn(p: Person, style: str) -> str:
    return {
        "plain": f"{p.given} {p.family}",
        "upper": f"{p.given} {p.family}".upper(),
        "lower": f"{p.given} {p.family}".lower(),
        "family-first": f"{p.family} {p.given}",
        "comma": f"{p.family}, {p.given}",
    }[style]


def _name_case(line: str, style: int) -> str:
    """``line`` with its property name (not its group, parameters or value) re-cased."""
    cut = min(i for i in (line.find(":"), line.find(";")) if i >= 0)
    head = line[:cut]
    cased = head.lower() if style == 1 else head.capitalize() if style == 2 else head
    return cased + line[cut:]


def _fold(line: str, width: int, eol: str) -> str:
    if len(line) <= width:
        return line
    parts = [line[:width]] + [" " + line[i : i + width] for i in range(width, len(line), width)]
    return eol.join(parts)


_SOFT = "\x00"  # a quoted-printable soft line break, written with the card's line ends


@dataclass(frozen=True, slots=True)
class Content:
    """What a card says, as the lines of one version (no UID, REV or PRODID)."""

    version: str
    lines: tuple[str, ...]


@st.composite
def content_of(draw: st.DrawFn, p: Person, chosen: Sequence[tuple[str, str]]) -> Content:
    """What a card of ``p`` holding the ``chosen`` handles says, written one of many ways."""
    version = draw(st.sampled_from(("2.1", "3.0", "4.0")))
    name_style = draw(st.sampled_from(NAME_STYLES if version == "2.1" else NAME_STYLES[:-1]))

    def text(name: str, value: str, structured: bool = False) -> str:
        if version == "2.1":
            if value.isascii() and "\n" not in value:
                return f"{name}:{value}"
            if draw(st.booleans()):
                width = draw(st.integers(20, 76))
                return f"{name};CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp(value, _SOFT, width)}"
            return f"{name};CHARSET=UTF-8:{value}".replace("\n", " ")
        return f"{name}:{value if structured else esc(value)}"

    family_given = esc_parts([p.family, p.given]) if version != "2.1" else f"{p.family};{p.given}"
    lines = [text("N", f"{family_given};;;", structured=True)]
    if name_style != "n-only":
        lines.append(text("FN", _fn(p, name_style)))
    for kind, value in chosen:
        if kind == "email":
            lines.append(f"EMAIL;TYPE=INTERNET:{_email_text(value, draw(st.integers(0, 2)))}")
            continue
        ph = p.phones[int(value)]
        style = draw(st.sampled_from(PHONE_STYLES if version == "4.0" else PHONE_STYLES[:-1]))
        shown = _phone_text(ph, style)
        param = ";VALUE=uri" if style == "uri" else ""
        kind_param = ph.kind if version == "2.1" else f"TYPE={ph.kind}"
        lines.append(f"TEL;{kind_param}{param}:{shown}")
    if draw(st.booleans()):
        lines.append(text("NOTE", draw(st.sampled_from(NOTES))))
    if draw(st.booleans()):
        lines.append(text("ORG", draw(st.sampled_from(ORGS))))
    return Content(version, tuple(lines))


@st.composite
def card_of(draw: st.DrawFn, content: Content, uid: str | None) -> bytes:
    """``content`` as a card, with what the content rule leaves out drawn afresh: the UID,
    REV and PRODID stamps, line ends, folding, property order, letter case of names."""
    eol = draw(st.sampled_from(("\r\n", "\n")))
    lines = list(content.lines)
    if draw(st.booleans()):
        lines.append(f"REV:2024-0{draw(st.integers(1, 9))}-1{draw(st.integers(0, 9))}T08:30:00Z")
    if draw(st.booleans()):
        lines.append(
            f"PRODID:{draw(st.sampled_from(('-//Apple Inc.//macOS 14.4//EN', '-//X//Y')))}"
        )
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines = draw(st.permutations(lines))
    lines = [_name_case(line, draw(st.integers(0, 2))).replace(_SOFT, eol) for line in lines]
    if content.version != "2.1" and draw(st.booleans()):
        width = draw(st.integers(8, 75))
        lines = [_fold(line, width, eol) for line in lines]
    head = ["BEGIN:VCARD", f"VERSION:{content.version}"]
    return (eol.join([*head, *lines, "END:VCARD"]) + eol).encode()


@st.composite
def worlds(draw: st.DrawFn, ambiguous: bool = False) -> World:
    """People in two stores. With ``ambiguous``, person 0 is on both sides under
    different identities, and B holds a second card of them saying what B's first says."""
    folks = draw(people())
    salt = draw(st.integers(0, 2**32))

    def uid(*parts: object) -> str:  # one per person and side: never two alike by chance
        text = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{salt}:{parts}"))
        return text.upper() if draw(st.booleans()) else f"urn:uuid:{text}"

    a: list[tuple[int, bytes]] = []
    b: list[tuple[int, bytes]] = []
    shared = 0
    for i, p in enumerate(folks):
        where = draw(st.sampled_from(("a", "b", "both", "both")))
        handles = p.handles
        if ambiguous and i == 0:
            where = "both"
        if where == "both":
            common = draw(st.sampled_from(handles))
            modes = ("none", "random") if ambiguous and i == 0 else ("none", "random", "shared")
            mode = draw(st.sampled_from(modes))
            shared += mode == "shared"
            same = uid(i)
            contents = []
            for _ in "ab":
                more = draw(st.lists(st.sampled_from(handles), max_size=3, unique=True))
                chosen = [common, *(h for h in more if h != common)]
                contents.append(draw(content_of(p, draw(st.permutations(chosen)))))
            if draw(st.booleans()):  # the same content on both sides
                contents[1] = contents[0]
            for name, side, content in (("a", a, contents[0]), ("b", b, contents[1])):
                own = {"none": None, "shared": same, "random": uid(i, name)}[mode]
                side.append((i, draw(card_of(content, own))))
            if ambiguous and i == 0:  # what B's card says (so A's matches both or neither)
                b.append((i, draw(card_of(contents[1], uid(i, "again")))))
        else:
            chosen = draw(st.lists(st.sampled_from(handles), min_size=1, max_size=4, unique=True))
            own = uid(i, where) if draw(st.booleans()) else None
            card = draw(card_of(draw(content_of(p, chosen)), own))
            (a if where == "a" else b).append((i, card))
    policy = draw(st.sampled_from(POLICIES))
    return World(folks, tuple(a), tuple(b), policy, shared, 0 if ambiguous else None)


# -- running and checking ----------------------------------------------------------------------


def session(a: Replica, b: Replica, policy: Policy, bases: BaseStore) -> SessionResult:
    s = SessionSettings("a-b", Direction.TWO_WAY, policy, allow_mass_delete=True)
    return SyncSession(a, b, s, bases).run()


def whose(world: World, data: bytes) -> list[int]:
    """The people a card can be: their name, and only their e-mail addresses and numbers."""
    card = read(data)
    found = []
    for i, p in enumerate(world.people):
        mine = {f"email:{e.casefold()}" for e in p.emails}
        mine |= {f"tel:{ph.national}" for ph in p.phones}
        if name_key(card.name) == p.name and card.handles <= mine:
            found.append(i)
    return found


def check_side(world: World, side: str, cards: Sequence[bytes]) -> None:
    seen: list[int] = []
    for data in cards:
        who = whose(world, data)
        assert len(who) == 1, f"side {side}: a card that is {who or 'no one'}:\n{data!r}"
        seen += who
    expected = world.expected()
    assert sorted(seen) == expected, (
        f"side {side} holds {len(cards)} cards for {len(expected)}: by person {sorted(seen)}, "
        f"expected {expected}"
    )


def check_world(
    world: World,
    open_sides: Callable[[], tuple[Replica, Replica]],
    cards: Callable[[], tuple[list[bytes], list[bytes]]],
) -> None:
    names = [p.name for p in world.people]
    if len(set(names)) < len(names):
        event("two people of one name")
    numbers = [ph.national for p in world.people for ph in set(p.phones)]
    if len(set(numbers)) < len(numbers):
        event("two people sharing a number")
    bases = BaseStore(":memory:")
    try:
        a, b = open_sides()
        first = session(a, b, world.policy, bases)
        assert first.status in (Status.OK, Status.CONFLICTS), (first.status, first.errors)
        assert not first.errors, first.errors
        on_a, on_b = cards()
        check_side(world, "A", on_a)
        check_side(world, "B", on_b)
        if world.ambiguous is None:
            assert not first.possible_duplicates, first.possible_duplicates
        else:
            (group,) = first.possible_duplicates
            assert (len(group.a), len(group.b)) == (1, 2), group
        for rule in sorted({m.rule.value for m in first.matched}):
            event(f"matched by {rule}")
        event(f"conflicts: {min(first.conflicts, 1)}, merged: {min(first.merged, 1)}")
        unmatched = world.shared_uids + (world.ambiguous is not None)
        assert len(first.matched) == world.on_both() - unmatched, first.matched
        a, b = open_sides()
        again = session(a, b, world.policy, bases)
        moved = [c.created + c.updated + c.deleted for c in (again.to_a, again.to_b)]
        assert moved == [0, 0] and not again.errors and not again.matched, again
        assert cards() == (on_a, on_b)
    finally:
        bases.close()


def _memory(world: World) -> tuple[MemoryReplica, MemoryReplica]:
    a, b = MemoryReplica("a", FMT), MemoryReplica("b", FMT)
    for replica, cards in ((a, world.a), (b, world.b)):
        for _, data in cards:
            replica.put(data)
    return a, b


# SYNCGUI_MATCHING_EXAMPLES=5000 makes a longer soak run
EXAMPLES = int(os.environ.get("SYNCGUI_MATCHING_EXAMPLES", "100"))
QUICK = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(worlds())
def test_matching_between_memory_stores(world: World) -> None:
    a, b = _memory(world)
    check_world(
        world,
        lambda: (a, b),
        lambda: (sorted(a.live().values()), sorted(b.live().values())),
    )


@settings(QUICK, max_examples=max(50, EXAMPLES // 2))
@given(worlds(ambiguous=True))
def test_an_ambiguous_person_is_never_matched(world: World) -> None:
    """Person 0 is once on A and twice on B: nothing of theirs is matched, the three
    cards are listed as one possible duplicate and copied across (three on each side)."""
    a, b = _memory(world)
    check_world(
        world,
        lambda: (a, b),
        lambda: (sorted(a.live().values()), sorted(b.live().values())),
    )


@settings(QUICK, max_examples=max(30, EXAMPLES // 3))
@given(worlds())
def test_matching_between_a_folder_and_a_memory_store(world: World) -> None:
    root = Path(tempfile.mkdtemp(prefix="syncgui-matching-"))
    folder = root / "book"
    folder.mkdir()
    for n, (_, data) in enumerate(world.a):
        (folder / f"card-{n}.vcf").write_bytes(data)
    _, b = _memory(world)
    meta = MetadataStore(root / "a.sqlite", f"vdir:{folder}")
    replica = SimpleReplica(open_folder_store(str(folder)), meta)
    try:
        check_world(
            world,
            lambda: (replica, b),
            lambda: (
                [p.read_bytes() for p in sorted(folder.glob("*.vcf"))],
                sorted(b.live().values()),
            ),
        )
    finally:
        meta.close()
        shutil.rmtree(root, ignore_errors=True)

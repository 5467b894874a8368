"""The people fixtures: the same 32 people as five programs export them (issue 11).

Run from the repository's top folder to write every file again (the same bytes each time)::

    .venv/bin/python tests/data/people/make_people.py

It writes one folder per shape, one ``<person>.vcf`` per person; a person's file has the
same name in every shape, so the file name is the person (the tests match on it). Each
shape holds its own subset of fields, writes phone numbers its own way and has its own
encoding, line endings and identity:

============ ======= ====== ============================================================
shape        version ends   identity, encoding, numbers, fields only this shape has
============ ======= ====== ============================================================
android      2.1     CRLF   no UID; QUOTED-PRINTABLE with CHARSET=UTF-8 for non-ASCII and
                            multi-line values; ``TEL;CELL``/``TEL;HOME`` in national
                            form (``07700 900123``, ``(206) 555-0143``);
                            ``X-ANDROID-CUSTOM`` nickname; NOTE
google       3.0     LF     no UID; ``EMAIL;TYPE=INTERNET;TYPE=HOME``; ``+44 7700 900123``;
                            ORG, TITLE, BDAY, NICKNAME, URL, ``CATEGORIES:myContacts``
outlook      2.1     CRLF   no UID; ``N;LANGUAGE=en-us``, 8-bit ``CHARSET=utf-8``;
                            ``TEL;WORK;VOICE``/``TEL;CELL;VOICE`` as ``+44 (20) 7946 0018``;
                            the work e-mail (some in mixed case); work ADR,
                            ``X-MS-OL-DEFAULT-POSTAL-ADDRESS``, REV
apple        3.0     CRLF   own UID and ``X-ABUID``; ``PRODID:-//Apple Inc.//...``;
                            ``itemN.EMAIL``/``itemN.ADR`` groups with ``X-ABLabel``/
                            ``X-ABADR``; ``+44 7700 900123`` (``+1 (206) 555-0143``);
                            NOTE folded at 75, BDAY, REV
thunderbird  4.0     CRLF   ``UID:urn:uuid:``; PRODID; properties in another order,
                            ``EMAIL;PREF=1``, ``TEL;VALUE=TEXT;TYPE=cell`` as
                            ``+447700900123`` or ``07700-900123``; some e-mail domains in
                            capitals; NICKNAME, URL, NOTE
============ ======= ====== ============================================================

Single-valued fields (FN, N, ORG, TITLE, NOTE, BDAY, NICKNAME) say the same wherever two
shapes both have them, so pairing two shapes never clashes: the merged card is the union.

People worth a look: non-ASCII names in many scripts (Zoë, José, 王伟, Алексей, Σοφία,
山田 美咲, Nguyễn Thị Lan); country codes of one to three digits, with and without a trunk
0 (``+44 20 7946 0018`` is ``020 7946 0018``; ``+1 206 555 0143`` is ``(206) 555-0143``);
two different people named Alex Morgan (own e-mails and numbers: never one contact);
Priya and Ravi Shah sharing one home line (different names: never one contact; Ravi's
Android card has nothing but that line); people whose Android card has no e-mail (matched
by a number alone); and people missing from some shapes (see ``MISSING``).

:func:`crowd` and :func:`crowd_pair` make thousands of such people for the crash test and
the matching benchmark (``benchmarks/bench_matching.py`` imports this file by path).
"""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHAPES = ("android", "google", "outlook", "apple", "thunderbird")
_NS = uuid.UUID("6f1c2a52-7d0e-4b8e-9a51-3c3e1f0b9d11")


# -- people ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phone:
    """A number: country code, the national number in groups (no trunk prefix), whether
    the country dials a trunk 0 before it at home, and its kind (CELL, HOME, WORK)."""

    cc: str
    groups: tuple[str, ...]
    trunk: bool
    kind: str

    @property
    def national(self) -> str:
        return "".join(self.groups)

    def e164(self) -> str:  # +44 20 7946 0018
        return f"+{self.cc} " + " ".join(self.groups)

    def compact(self) -> str:  # +442079460018
        return f"+{self.cc}{self.national}"

    def domestic(self, sep: str = " ") -> str:  # 020 7946 0018, (206) 555-0143
        if self.cc == "1":
            area, *rest = self.groups
            return f"({area}) " + "-".join(rest)
        return ("0" if self.trunk else "") + sep.join(self.groups)

    def outlook(self) -> str:  # +44 (20) 7946 0018
        area, *rest = self.groups
        return f"+{self.cc} ({area}) " + ("-" if self.cc == "1" else " ").join(rest)

    def apple(self) -> str:  # +44 20 7946 0018, +1 (206) 555-0143
        return f"+1 {self.domestic()}" if self.cc == "1" else self.e164()


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    region: str
    code: str
    country: str
    iso: str  # Apple's X-ABADR

    @property
    def parts(self) -> tuple[str, ...]:
        return ("", "", self.street, self.city, self.region, self.code, self.country)


@dataclass(frozen=True, slots=True)
class Person:
    """One person. ``key`` names the file in every shape; ``middle`` goes into N only;
    ``emails[0]`` is personal, ``emails[1]`` (if any) at work; ``phones[0]`` is the mobile."""

    key: str
    given: str
    family: str
    fn: str
    emails: tuple[str, ...]
    phones: tuple[Phone, ...]
    middle: str = ""
    org: str = ""
    title: str = ""
    bday: str = ""
    note: str = ""
    nickname: str = ""
    url: str = ""
    address: Address | None = None
    android_no_email: bool = False  # the Android card has no e-mail: matched by a number
    android_only: tuple[str, ...] = ()  # kinds of number the Android card has, if limited
    missing: frozenset[str] = field(default_factory=frozenset)

    @property
    def work_email(self) -> str:
        return self.emails[1] if len(self.emails) > 1 else self.emails[0]

    def phone(self, kind: str) -> Phone | None:
        return next((p for p in self.phones if p.kind == kind), None)


def _tel(cc: str, number: str, kind: str = "CELL", trunk: bool = True) -> Phone:
    return Phone(cc, tuple(number.split()), trunk, kind)


def _adr(street: str, city: str, region: str, code: str, country: str, iso: str) -> Address:
    return Address(street, city, region, code, country, iso)


def _person(n: int, slug: str, given: str, family: str, fn: str, **kw: Any) -> Person:
    return Person(f"{n:02d}-{slug}", given, family, fn, **kw)


SHAH_HOME = _tel("44", "20 7946 0018", "HOME")
NOTE_ZOE = "Met at the Lyon print fair, 2019; prefers e-mail\nStudio closed on Mondays"

PEOPLE: tuple[Person, ...] = (
    _person(1, "zoe-lefevre", "Zoë", "Lefèvre", "Zoë Lefèvre",
            emails=("zoe.lefevre@example.fr", "z.lefevre@atelier-lefevre.example"),
            phones=(_tel("33", "6 12 34 56 78"), _tel("33", "4 78 12 34 56", "WORK")),
            org="Atelier Lefèvre", title="Graveuse", note=NOTE_ZOE, nickname="Zozo",
            address=_adr("12 rue de la République", "Lyon", "", "69002", "France", "fr")),
    _person(2, "jose-nunez", "José", "Núñez", "José Núñez",
            emails=("jose.nunez@example.es", "jnunez@constructora.example"),
            phones=(_tel("34", "612 345 678", trunk=False),),
            org="Constructora Núñez", title="Arquitecto", bday="1979-11-03",
            url="https://jose.example.es/"),
    _person(3, "wang-wei", "伟", "王", "王伟",
            emails=("wang.wei@example.cn",),
            phones=(_tel("86", "138 0013 8000", trunk=False), _tel("86", "10 6552 9988", "HOME")),
            note="北京办公室的同事", nickname="小王"),
    _person(4, "soren-ostergard", "Søren", "Østergård", "Søren Østergård",
            emails=("soren@ostergaard.example.dk",),
            phones=(_tel("45", "20 12 34 56", trunk=False),),
            org="Østergård ApS", title="Direktør", bday="1968-02-29"),
    _person(5, "malgorzata-wisniewska", "Małgorzata", "Wiśniewska", "Małgorzata Wiśniewska",
            emails=("m.wisniewska@example.pl", "malgorzata.wisniewska@uczelnia.example"),
            phones=(_tel("48", "512 345 678", trunk=False),),
            org="Uniwersytet Przykładowy", title="Profesor",
            address=_adr("ul. Długa 5", "Gdańsk", "", "80-827", "Polska", "pl")),
    _person(6, "jurgen-muller", "Jürgen", "Müller", "Jürgen Müller",
            emails=("juergen.mueller@example.de", "j.mueller@baeckerei.example"),
            phones=(_tel("49", "151 23456789"), _tel("49", "30 1234567", "HOME")),
            org="Bäckerei Müller", note="Brötchen bestellen: freitags", bday="1972-06-15",
            address=_adr("Hauptstraße 5", "Berlin", "", "10115", "Deutschland", "de")),
    _person(7, "chloe-dubois", "Chloé", "Dubois", "Chloé Dubois",
            emails=("chloe.dubois@example.fr",),
            phones=(_tel("33", "6 98 76 54 32"),),
            nickname="Clo", url="https://chloe.example.fr/"),
    _person(8, "siobhan-oconnor", "Siobhán", "O'Connor", "Siobhán O'Connor",
            emails=("siobhan.oconnor@example.ie", "soconnor@dublin-council.example"),
            phones=(_tel("353", "87 123 4567"), _tel("353", "1 234 5678", "WORK")),
            org="Dublin City Council", title="Planner",
            address=_adr("1 Wood Quay", "Dublin", "", "D08 RF3F", "Ireland", "ie")),
    _person(9, "omer-celik", "Ömer", "Çelik", "Ömer Çelik",
            emails=("omer.celik@example.com.tr",),
            phones=(_tel("90", "532 123 45 67"),),
            note="Çay sever; İstanbul ofisi", bday="1990-01-20"),
    _person(10, "aleksei-smirnov", "Алексей", "Смирнов", "Алексей Смирнов",
            emails=("a.smirnov@example.ru",),
            # Russia dials a trunk 8, not 0: the number is written with +7 everywhere
            phones=(_tel("7", "916 123 4567", trunk=False),),
            org="ООО Пример", title="Инженер"),
    _person(11, "sofia-papadopoulou", "Σοφία", "Παπαδοπούλου", "Σοφία Παπαδοπούλου",
            emails=("sofia.papadopoulou@example.gr",),
            phones=(_tel("30", "694 123 4567", trunk=False),
                    _tel("30", "21 0123 4567", "HOME", trunk=False)),
            nickname="Σόφη"),
    _person(12, "yamada-misaki", "美咲", "山田", "山田 美咲",
            emails=("misaki.yamada@example.jp", "yamada@shoji.example.jp"),
            phones=(_tel("81", "90 1234 5678"),),
            org="山田商事", title="部長", bday="1985-04-12",
            address=_adr("渋谷1-2-3", "渋谷区", "東京都", "150-0002", "日本", "jp")),
    _person(13, "nguyen-thi-lan", "Lan", "Nguyễn", "Nguyễn Thị Lan", middle="Thị",
            emails=("lan.nguyen@example.vn",),
            phones=(_tel("84", "912 345 678"),),
            note="Gặp ở Hà Nội"),
    _person(14, "anais-moreau", "Anaïs", "Moreau", "Anaïs Moreau",
            emails=("anais.moreau@example.fr", "a.moreau@cabinet-moreau.example"),
            phones=(_tel("33", "7 11 22 33 44"), _tel("33", "1 42 68 53 00", "WORK")),
            org="Cabinet Moreau", title="Avocate"),
    _person(15, "bjorn-angstrom", "Björn", "Ångström", "Björn Ångström",
            emails=("bjorn.angstrom@example.se",),
            phones=(_tel("46", "70 123 45 67"),),
            bday="1983-12-24", url="https://angstrom.example.se/"),
    _person(16, "priya-shah", "Priya", "Shah", "Priya Shah",
            emails=("priya.shah@example.co.uk", "pshah@nhs-trust.example"),
            phones=(_tel("44", "7700 900123"), SHAH_HOME),
            org="NHS Example Trust", title="Consultant",
            address=_adr("14 Acacia Avenue", "London", "", "N1 7GU", "United Kingdom", "gb")),
    _person(17, "ravi-shah", "Ravi", "Shah", "Ravi Shah",
            emails=("ravi.shah@example.co.uk",),
            phones=(_tel("44", "7700 900456"), SHAH_HOME),
            note="Priya's husband", android_no_email=True, android_only=("HOME",)),
    _person(18, "alex-morgan-london", "Alex", "Morgan", "Alex Morgan",
            emails=("alex.morgan@example.co.uk",),
            phones=(_tel("44", "7700 900789"),),
            org="Morgan & Daughters", note="The London one (tailor)"),
    _person(19, "alex-morgan-seattle", "Alex", "Morgan", "Alex Morgan",
            emails=("alexmorgan@example.com", "amorgan@rainier-software.example"),
            phones=(_tel("1", "206 555 0143", trunk=False),
                    _tel("1", "206 555 0190", "WORK", trunk=False)),
            org="Rainier Software", title="Engineer", note="The Seattle one (software)"),
    _person(20, "emily-johnson", "Emily", "Johnson", "Emily Johnson",
            emails=("emily.johnson@example.com",),
            phones=(_tel("1", "415 555 0132", trunk=False),),
            bday="1994-07-04", nickname="Em"),
    _person(21, "michael-brown", "Michael", "Brown", "Michael Brown",
            emails=("mike.brown@example.com", "mbrown@brown-plumbing.example"),
            phones=(_tel("1", "312 555 0187", trunk=False),),
            org="Brown Plumbing", android_no_email=True),
    _person(22, "kwame-mensah", "Kwame", "Mensah", "Kwame Mensah",
            emails=("kwame.mensah@example.com.gh",),
            phones=(_tel("233", "24 123 4567"),),
            note="Accra; cocoa co-op", android_no_email=True),
    _person(23, "ines-goncalves", "Inês", "Gonçalves", "Inês Gonçalves",
            emails=("ines.goncalves@example.pt",),
            phones=(_tel("351", "912 345 678", trunk=False),),
            org="Gonçalves & Filhos", title="Gerente"),
    _person(24, "helene-lefevre-durand", "Hélène", "Lefèvre-Durand", "Hélène Lefèvre-Durand",
            emails=("helene.lefevre-durand@example.fr",),
            phones=(_tel("33", "6 55 44 33 22"),),
            note="Zoë's cousin"),
    _person(25, "oliver-smith", "Oliver", "Smith", "Oliver Smith",
            emails=("oliver.smith@example.com.au",),
            phones=(_tel("61", "412 345 678"),),
            url="https://oliver.example.com.au/"),
    _person(26, "mary-jane-watson", "Mary-Jane", "Watson", "Mary-Jane Watson",
            emails=("mj.watson@example.com",),
            phones=(_tel("1", "212 555 0199", trunk=False),),
            nickname="MJ"),
    _person(27, "olafur-thorsson", "Ólafur", "Þórsson", "Ólafur Þórsson",
            emails=("olafur@thorsson.example.is",),
            phones=(_tel("354", "661 2345", trunk=False),),
            note="Reykjavík"),
    _person(28, "ana-de-la-cruz", "Ana", "de la Cruz", "Ana de la Cruz",
            emails=("ana.delacruz@example.mx",),
            phones=(_tel("52", "55 1234 5678", trunk=False),),
            org="Galería de la Cruz", missing=frozenset({"google"})),
    _person(29, "tomas-dvorak", "Tomáš", "Dvořák", "Tomáš Dvořák",
            emails=("tomas.dvorak@example.cz",),
            phones=(_tel("420", "603 123 456", trunk=False),),
            nickname="Tom", missing=frozenset({"outlook"})),
    _person(30, "grace-lee", "Grace", "Lee", "Grace Lee",
            emails=("grace.lee@example.kr", "glee@hanbit.example"),
            phones=(_tel("82", "10 1234 5678"),),
            org="Hanbit Media", title="Editor"),
    _person(31, "noemie-roux", "Noémie", "Roux", "Noémie Roux",
            emails=("noemie.roux@example.ch",),
            phones=(_tel("41", "79 123 45 67"),),
            missing=frozenset({"android", "thunderbird"})),
    _person(32, "ben-carter", "Ben", "Carter", "Ben Carter",
            emails=("ben.carter@example.co.nz",),
            phones=(_tel("64", "21 123 4567"),),
            missing=frozenset({"android", "outlook", "thunderbird"})),
)  # fmt: skip

#: shape -> people it lacks (by key)
MISSING = {s: frozenset(p.key for p in PEOPLE if s in p.missing) for s in SHAPES}


def people_in(shape: str) -> list[Person]:
    return [p for p in PEOPLE if shape not in p.missing]


# -- encodings ------------------------------------------------------------------------------


def qp(text: str, eol: str, width: int = 76) -> str:
    """``text`` as UTF-8 quoted-printable with soft line breaks (vCard 2.1, Android)."""
    out, line = [], ""
    for byte in text.replace("\n", "\r\n").encode("utf-8"):
        safe = (33 <= byte <= 126 and byte != 61) or byte == 32
        piece = chr(byte) if safe else f"={byte:02X}"
        if len(line) + len(piece) > width - 1:
            out.append(line + "=")
            line = ""
        line += piece
    out.append(line)
    return eol.join(out)


def esc(text: str) -> str:
    """A text value escaped for vCard 3.0/4.0."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def esc_parts(parts: Iterable[str]) -> str:
    """Components of a structured value (N, ADR, ORG) for vCard 3.0/4.0."""
    return ";".join(esc(p) for p in parts)


def fold(line: str, eol: str, width: int = 75) -> str:
    """A content line folded at ``width`` characters (continuations start with a space)."""
    if len(line) <= width:
        return line
    parts = [line[:width]]
    parts += [" " + line[i : i + width - 1] for i in range(width, len(line), width - 1)]
    return eol.join(parts)


def _needs_qp(text: str) -> bool:
    return not text.isascii() or "\n" in text


def _card(lines: Sequence[str], eol: str) -> bytes:
    return (eol.join(["BEGIN:VCARD", *lines, "END:VCARD"]) + eol).encode("utf-8")


def uid_for(person: Person, shape: str) -> str:
    return str(uuid.uuid5(_NS, f"{shape}:{person.key}"))


# -- the five shapes ------------------------------------------------------------------------


def android(p: Person) -> bytes:
    """Android's contacts app, vCard 2.1: no UID, QP UTF-8 where needed, national numbers."""
    eol = "\r\n"

    def prop(name: str, value: str) -> str:
        if _needs_qp(value):
            return f"{name};CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp(value, eol)}"
        return f"{name}:{value}"

    lines = ["VERSION:2.1", prop("N", f"{p.family};{p.given};{p.middle};;"), prop("FN", p.fn)]
    kinds = {"CELL": "CELL", "HOME": "HOME", "WORK": "WORK"}
    for ph in p.phones:
        if not p.android_only or ph.kind in p.android_only:
            lines.append(f"TEL;{kinds[ph.kind]}:{ph.domestic()}")
    if not p.android_no_email:
        lines.append(f"EMAIL;HOME:{p.emails[0]}")
    if p.note:
        lines.append(prop("NOTE", p.note))
    if p.nickname:
        lines.append(prop("X-ANDROID-CUSTOM", f"vnd.android.cursor.item/nickname;{p.nickname}"
                          ";1;;;;;;;;;;;;;"))  # fmt: skip
    return _card(lines, eol)


def google(p: Person) -> bytes:
    """Google Contacts' export, vCard 3.0 with LF: no UID, TYPE=INTERNET, +cc numbers."""
    lines = ["VERSION:3.0", f"FN:{esc(p.fn)}", f"N:{esc_parts([p.family, p.given, p.middle])};;"]
    if p.nickname:
        lines.append(f"NICKNAME:{esc(p.nickname)}")
    kinds = ("HOME", "WORK")
    for i, email in enumerate(p.emails):
        lines.append(f"EMAIL;TYPE=INTERNET;TYPE={kinds[i]}:{email}")
    for ph in p.phones:
        lines.append(f"TEL;TYPE={ph.kind}:{ph.e164()}")
    if p.org:
        lines.append(f"ORG:{esc(p.org)}")
    if p.title:
        lines.append(f"TITLE:{esc(p.title)}")
    if p.bday:
        lines.append(f"BDAY:{p.bday}")
    if p.url:
        lines.append(f"URL:{p.url}")
    lines.append("CATEGORIES:myContacts")
    return _card(lines, "\n")


def _mixed_case(email: str) -> str:
    """john.smith@example.com -> John.Smith@Example.com (as someone typed it)."""
    local, _, domain = email.partition("@")
    return ".".join(w[:1].upper() + w[1:] for w in local.split(".")) + "@" + domain.capitalize()


def outlook(p: Person) -> bytes:
    """Outlook's vCard 2.1: no UID, 8-bit UTF-8, work details, its number format, REV."""
    eol = "\r\n"
    n = int(p.key[:2])

    def prop(name: str, value: str, params: str = "") -> str:
        charset = "" if value.isascii() else ";CHARSET=utf-8"
        if "\n" in value:
            return f"{name}{params};ENCODING=QUOTED-PRINTABLE{charset}:{qp(value, eol)}"
        return f"{name}{params}{charset}:{value}"

    lines = [
        "VERSION:2.1",
        prop("N", f"{p.family};{p.given};{p.middle};;", ";LANGUAGE=en-us"),
        prop("FN", p.fn),
    ]
    if p.org:
        lines.append(prop("ORG", p.org))
    if p.title:
        lines.append(prop("TITLE", p.title))
    kinds = {"CELL": "CELL;VOICE", "HOME": "HOME;VOICE", "WORK": "WORK;VOICE"}
    for ph in sorted(p.phones, key=lambda ph: ph.kind != "WORK"):
        lines.append(f"TEL;{kinds[ph.kind]}:{ph.outlook()}")
    if p.address is not None:
        lines.append(prop("ADR", ";".join(p.address.parts), ";WORK;PREF"))
    lines.append("X-MS-OL-DEFAULT-POSTAL-ADDRESS:2")
    email = _mixed_case(p.work_email) if n % 3 == 0 else p.work_email
    lines.append(f"EMAIL;PREF;INTERNET:{email}")
    lines.append(f"REV:20240115T09{n:02d}00Z")
    return _card(lines, eol)


def apple(p: Person) -> bytes:
    """Apple Contacts, vCard 3.0: own UID and X-ABUID, itemN groups, folded NOTE."""
    eol = "\r\n"
    uid = uid_for(p, "apple").upper()
    lines = [
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//macOS 14.4//EN",
        f"N:{esc_parts([p.family, p.given, p.middle])};;",
        f"FN:{esc(p.fn)}",
    ]
    if p.org:
        lines.append(f"ORG:{esc(p.org)};")
    if p.title:
        lines.append(f"TITLE:{esc(p.title)}")
    item = 0
    labels = ("_$!<Home>!$_", "_$!<Work>!$_")
    for i, email in enumerate(p.emails):
        item += 1
        pref = ";type=pref" if i == 0 else ""
        lines += [
            f"item{item}.EMAIL;type=INTERNET{pref}:{email}",
            f"item{item}.X-ABLabel:{labels[i]}",
        ]
    for i, ph in enumerate(p.phones):
        pref = ";type=pref" if i == 0 else ""
        lines.append(f"TEL;type={ph.kind};type=VOICE{pref}:{ph.apple()}")
    if p.address is not None:
        item += 1
        lines += [
            f"item{item}.ADR;type=WORK;type=pref:{esc_parts(p.address.parts)}",
            f"item{item}.X-ABADR:{p.address.iso}",
        ]
    if p.note:
        lines.append(fold(f"NOTE:{esc(p.note)}", eol))
    if p.bday:
        lines.append(f"BDAY:{p.bday}")
    lines += [f"X-ABUID:{uid}:ABPerson", f"UID:{uid}", "REV:2024-03-01T10:00:00Z"]
    return _card(lines, eol)


def thunderbird(p: Person) -> bytes:
    """Thunderbird's vCard 4.0: urn:uuid UID, PRODID, EMAIL;PREF=1, TEL;VALUE=TEXT."""
    eol = "\r\n"
    n = int(p.key[:2])
    lines = ["VERSION:4.0", "PRODID:-//Thunderbird.net/NONSGML Thunderbird//EN"]
    for i, email in enumerate(p.emails):
        local, _, domain = email.partition("@")
        shown = f"{local}@{domain.upper()}" if n % 4 == 1 else email
        lines.append(f"EMAIL;PREF=1:{shown}" if i == 0 else f"EMAIL;TYPE=work:{shown}")
    lines += [f"FN:{esc(p.fn)}", f"N:{esc_parts([p.family, p.given, p.middle])};;"]
    if p.nickname:
        lines.append(f"NICKNAME:{esc(p.nickname)}")
    if p.org:
        lines.append(f"ORG:{esc(p.org)}")
    if p.title:
        lines.append(f"TITLE:{esc(p.title)}")
    for ph in p.phones:  # the mobile of most, and home lines
        if ph.kind == "HOME" or (ph.kind == "CELL" and (n % 3 != 1 or p.android_no_email)):
            shown = ph.compact() if n % 2 else ph.domestic("-")
            lines.append(f"TEL;VALUE=TEXT;TYPE={ph.kind.lower()}:{shown}")
    if p.note:
        lines.append(fold(f"NOTE:{esc(p.note)}", eol))
    if p.url:
        lines.append(f"URL;VALUE=URL:{p.url}")
    lines.append(f"UID:urn:uuid:{uid_for(p, 'thunderbird')}")
    return _card(lines, eol)


RENDER: dict[str, Callable[[Person], bytes]] = {
    "android": android,
    "google": google,
    "outlook": outlook,
    "apple": apple,
    "thunderbird": thunderbird,
}


# -- many people (the crash test and the benchmark) -----------------------------------------

_GIVEN = (
    "Jürgen", "Zoë", "Łukasz", "Søren", "José", "François", "Ånund", "Małgorzata", "Chloé",
    "Anaïs", "Björn", "Ðorđe", "Çağla", "Noémie", "Tomáš", "Ивана", "Алексей", "Σοφία",
    "Αλέξανδρος", "美咲", "伟", "Ömer", "Inês", "Maëlle", "Grzegorz", "Hélène", "Žiga", "Ana",
    "Ben", "Eve", "Oliver", "Priya", "Kwame", "Siobhán",
)  # fmt: skip
_FAMILY = (
    "Müller", "Dvořák", "Østergård", "Núñez", "Lefèvre", "Wiśniewska", "Ångström", "Çelik",
    "Kovačević", "Смирнов", "Παπαδόπουλος", "山田", "王", "Trần", "O'Connor", "Gonçalves", "Nowak",
    "Schröder", "Hämäläinen", "Smith", "Jones", "García Márquez", "de la Cruz", "Van den Berg",
    "Þórsson",
)  # fmt: skip
# (country code, trunk 0, three-digit start of the national number)
COUNTRIES = (("44", True, "770"), ("49", True, "151"), ("33", True, "612"),
              ("1", False, "206"), ("353", True, "871"), ("81", True, "901"),
              ("34", False, "612"), ("61", True, "412"))  # fmt: skip


def _ascii(text: str, n: int) -> str:
    kept = "".join(c for c in text.lower() if c.isascii() and c.isalnum())
    return kept or f"p{n}"


def crowd(count: int, seed: int = 1) -> list[Person]:
    """``count`` people, names drawn from a small pool (so many share a name), each with
    e-mail addresses and numbers no one else has."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        cc, trunk, start = rng.choice(COUNTRIES)
        digits = f"{start}{n:07d}"
        phones = [Phone(cc, (digits[:3], digits[3:6], digits[6:]), trunk, "CELL")]
        if rng.random() < 0.4:
            home = f"{(int(start) + 1) % 1000:03d}{n:07d}"
            phones.append(Phone(cc, (home[:3], home[3:6], home[6:]), trunk, "HOME"))
        local = f"{_ascii(given, n)}.{_ascii(family, n)}.{n}"
        emails = [f"{local}@example.org"]
        if rng.random() < 0.5:
            emails.append(f"{local}@work.example.com")
        org = rng.choice(("", "", "Acme, Inc.", "Bäckerei Schäfer", "Norsk Hydro ASA"))
        bday = f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        out.append(
            Person(
                f"{n:06d}",
                given,
                family,
                f"{given} {family}",
                tuple(emails),
                tuple(phones),
                org=org,
                bday=bday if rng.random() < 0.3 else "",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class CrowdCard:
    """One card of one side of :func:`crowd_pair`: the person's key, the file name, the
    card's UID and bytes."""

    key: str
    file_name: str
    uid: str
    data: bytes


def _crowd_card(p: Person, uid: str, extra: Sequence[str], noise: random.Random) -> bytes:
    """An Apple-like 3.0 card of ``p`` with ``extra`` lines, with formatting noise that
    changes nothing a card says: LF line ends, lower-case property names, property order."""
    lines = [f"N:{esc_parts([p.family, p.given])};;;", f"FN:{esc(p.fn)}"]
    if p.org:
        lines.append(f"ORG:{esc(p.org)}")
    for i, email in enumerate(p.emails):
        lines.append(f"EMAIL;TYPE=INTERNET;TYPE={('HOME', 'WORK')[i]}:{email}")
    lines += [f"TEL;TYPE={ph.kind}:{ph.e164()}" for ph in p.phones]
    if p.bday:
        lines.append(f"BDAY:{p.bday}")
    lines += extra
    if noise.random() < 0.1:
        noise.shuffle(lines)
    if noise.random() < 0.1:
        lines = [_lower_name(line) for line in lines]
    eol = "\n" if noise.random() < 0.1 else "\r\n"
    return _card(["VERSION:3.0", f"UID:{uid}", *lines], eol)


def _lower_name(line: str) -> str:
    """``line`` with its property name in lower case (``fn:Ann``)."""
    cut = min(i for i in (line.find(":"), line.find(";")) if i >= 0)
    return line[:cut].lower() + line[cut:]


def crowd_pair(
    people: Sequence[Person], seed: int = 1, differ: float = 0.2
) -> tuple[list[CrowdCard], list[CrowdCard]]:
    """The same people in two folders under different UIDs. About ``differ`` of side A's
    cards carry a NOTE that B lacks and ``differ`` of B's an extra work number that A
    lacks, so those pairs are merged; the rest say the same on both sides (with noise)."""
    rng = random.Random(seed)
    a: list[CrowdCard] = []
    b: list[CrowdCard] = []
    for p in people:
        extra_a = [f"NOTE:Seen at the {p.key} meeting\\, room {int(p.key) % 40}"]
        extra_b = [f"TEL;TYPE=WORK:+44 20 3{int(p.key):07d}"]
        for side, extra in ((a, extra_a), (b, extra_b)):
            uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if side is a:
                uid = uid.upper()
            data = _crowd_card(p, uid, extra if rng.random() < differ else [], rng)
            side.append(CrowdCard(p.key, f"{uid}.vcf", uid, data))
    return a, b


# -- writing --------------------------------------------------------------------------------


def write_all(root: Path = HERE) -> int:
    """Write every shape's folder under ``root`` (stale .vcf files removed); the number of
    files written."""
    written = 0
    for shape in SHAPES:
        folder = root / shape
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.vcf"):
            old.unlink()
        for p in people_in(shape):
            (folder / f"{p.key}.vcf").write_bytes(RENDER[shape](p))
            written += 1
    return written


def main(argv: Sequence[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else HERE
    written = write_all(root)
    sys.stdout.write(f"{written} cards of {len(PEOPLE)} people in {len(SHAPES)} shapes: {root}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

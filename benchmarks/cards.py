"""Realistic generated contacts for the benchmark and the crash test.

Cards look like what phones, Apple, Google and khard write: vCard 3.0 with several TEL and
EMAIL lines, ``itemN.`` groups and escaped commas; vCard 2.1 phone exports with
quoted-printable UTF-8 and bare types, mostly without UID; a few vCard 4.0 cards with
``data:`` photos. Names are non-ASCII (Latin with diacritics, Cyrillic, Greek, CJK, Arabic).
A share of cards carries a ~20 KB base64 PHOTO. Everything is derived from a seed, so the
same arguments give the same bytes.

The crash test imports this module by path (``benchmarks/`` is not a package).
"""

from __future__ import annotations

import base64
import os
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path


def _names(text: str) -> list[str]:
    return text.split("|")


GIVEN = _names(
    "Jürgen|Zoë|Łukasz|Søren|José|François|Ånund|Małgorzata|Chloé|Anaïs|Björn|Ðorđe|"
    "Çağla|Noémie|Tomáš|Ивана|Алексей|Σοφία|Αλέξανδρος|美咲|伟|محمد|Nguyễn Thị|Ömer|"
    "Inês|Maëlle|Grzegorz|Hélène|Žiga|Ana|Ben|Eve|Oliver|Priya|Kwame|Siobhán"
)
FAMILY = _names(
    "Müller|Dvořák|Østergård|Núñez|Lefèvre|Wiśniewska|Ångström|Çelik|Kovačević|"
    "Ибрагимова|Смирнов|Παπαδόπουλος|山田|王|العلي|Trần|O'Connor|Gonçalves|Søndergaard|"
    "Nowak|Schröder|Hämäläinen|Ólafsdóttir|Smith|Jones|García Márquez|de la Cruz|"
    "Van den Berg|Þórsson"
)
ORGS = _names(
    "Bäckerei Schäfer|Société Générale|Norsk Hydro ASA|Ателье Иванова|株式会社山田商事|"
    "Acme, Inc.|Universidad de Córdoba|Zürich Versicherung"
)
CITIES = [
    ("Hauptstraße 5", "Berlin", "10115", "Deutschland"),
    ("12 rue de l'Église", "Montréal", "H2X 1Y4", "Canada"),
    ("Nørregade 7", "København", "1165", "Danmark"),
    ("ул. Ленина, 3", "Москва", "101000", "Россия"),
    ("1-2-3 Shibuya", "東京", "150-0002", "日本"),
    ("Calle Mayor 14", "Málaga", "29001", "España"),
]
NOTES = [
    "Met at the conference, Zürich 2019",
    "Allergic to nuts; prefers tea",
    "Kollege aus dem Büro, Raum 3.14",
    "Ne pas appeler après 20 h",
    "Lives next to the bakery, blue door",
]
PHOTO_BYTES = 15_000  # ~20 KB once base64-encoded


@dataclass(frozen=True, slots=True)
class Contact:
    """One generated card: its file name in a vdir, its UID (None: the card has none), its
    display name and its exact bytes."""

    file_name: str
    uid: str | None
    name: str
    data: bytes


def _qp(text: str, eol: str) -> str:
    """``text`` as UTF-8 quoted-printable with soft line breaks (vCard 2.1)."""
    out, line = [], ""
    for byte in text.encode("utf-8"):
        piece = chr(byte) if (33 <= byte <= 126 and byte != 61) or byte == 32 else f"={byte:02X}"
        if len(line) + len(piece) > 73:
            out.append(line + "=")
            line = ""
        line += piece
    out.append(line)
    return (eol).join(out)


def _fold(line: str, eol: str, width: int = 75) -> str:
    """Fold a content line (RFC 6350: continuation lines start with one space)."""
    if len(line) <= width:
        return line
    parts = [line[:width]]
    parts += [" " + line[i : i + width - 1] for i in range(width, len(line), width - 1)]
    return eol.join(parts)


def _photo(rng: random.Random) -> str:
    raw = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(PHOTO_BYTES)
    return base64.b64encode(raw).decode("ascii")


def _phone(rng: random.Random) -> str:
    country = rng.choice(["+49", "+33", "+45", "+7", "+81", "+34", "+1"])
    return f"{country} {rng.randint(100, 999)} {rng.randint(1000000, 9999999)}"


def _email(rng: random.Random, given: str, family: str, n: int) -> str:
    def ascii_part(text: str) -> str:
        kept = "".join(c for c in text.lower() if c.isascii() and c.isalnum())
        return kept or f"user{n}"

    domain = rng.choice(["example.com", "example.org", "mail.example.net", "beispiel.de"])
    return f"{ascii_part(given)}.{ascii_part(family)}{n}@{domain}"


def _card_30(rng: random.Random, n: int, uid: str | None, photo: bool, eol: str) -> str:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    street, city, code, country = rng.choice(CITIES)
    lines = ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//iPhone OS 17.4//EN"]
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines += [f"N:{family};{given};;;", f"FN:{given} {family}"]
    if rng.random() < 0.6:
        lines.append("ORG:" + rng.choice(ORGS).replace(",", "\\,") + ";")
    kinds = ["CELL", "HOME", "WORK", "MAIN", "IPHONE"]
    for i in range(rng.randint(1, 4)):
        lines.append(
            f"TEL;type={kinds[i]};type=VOICE{';type=pref' if i == 0 else ''}:" + _phone(rng)
        )
    for i in range(rng.randint(1, 3)):
        kind = ("HOME", "WORK", "OTHER")[i]
        lines.append(f"EMAIL;type=INTERNET;type={kind}:{_email(rng, given, family, n + i)}")
    if rng.random() < 0.3:
        lines += [f"item1.TEL:{_phone(rng)}", "item1.X-ABLabel:Ferienhaus"]
    if rng.random() < 0.5:
        lines.append(
            f"ADR;type=HOME:;;{street.replace(',', chr(92) + ',')};{city};;{code};{country}"
        )
    if rng.random() < 0.3:
        lines.append(
            f"BDAY:{rng.randint(1940, 2010)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
        )
    if rng.random() < 0.3:
        lines.append("NOTE:" + rng.choice(NOTES).replace(",", "\\,").replace(";", "\\;"))
    if rng.random() < 0.2:
        lines.append("CATEGORIES:Friends,Family" if rng.random() < 0.5 else "CATEGORIES:Work")
    if photo:
        lines.append(_fold("PHOTO;ENCODING=b;TYPE=JPEG:" + _photo(rng), eol))
    lines += [f"REV:2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:30:00Z", "END:VCARD"]
    return eol.join(lines) + eol


def _card_21(rng: random.Random, n: int, uid: str | None, photo: bool, eol: str) -> str:
    """A phone export: quoted-printable UTF-8, bare types, usually no UID."""
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    qp = ";CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:"
    lines = ["BEGIN:VCARD", "VERSION:2.1"]
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines += [f"N{qp}{_qp(f'{family};{given};;;', eol)}", f"FN{qp}{_qp(f'{given} {family}', eol)}"]
    for kind in ("CELL", "HOME;VOICE", "WORK;VOICE")[: rng.randint(1, 3)]:
        lines.append(f"TEL;{kind}:{_phone(rng)}")
    for i in range(rng.randint(1, 2)):
        lines.append(f"EMAIL;INTERNET:{_email(rng, given, family, n + i)}")
    if rng.random() < 0.4:
        note = rng.choice(NOTES) + " — " + rng.choice(NOTES) + " — " + rng.choice(NOTES)
        lines.append(f"NOTE{qp}{_qp(note, eol)}")
    if photo:
        data = _photo(rng)
        lines.append("PHOTO;ENCODING=BASE64;TYPE=JPEG:")
        lines += [" " + data[i : i + 76] for i in range(0, len(data), 76)]
        lines.append("")  # vCard 2.1: a blank line ends the base64 block
    lines.append("END:VCARD")
    return eol.join(lines) + eol


def _card_40(rng: random.Random, n: int, uid: str | None, photo: bool, eol: str) -> str:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines += [f"FN:{given} {family}", f"N:{family};{given};;;"]
    lines.append(f'TEL;VALUE=uri;TYPE="cell,voice";PREF=1:tel:{_phone(rng).replace(" ", "-")}')
    lines.append(f"TEL;VALUE=uri;TYPE=home:tel:{_phone(rng).replace(' ', '-')}")
    lines.append(f"EMAIL;TYPE=work:{_email(rng, given, family, n)}")
    lines.append(f"EMAIL;TYPE=home;PID=1.1:{_email(rng, given, family, n + 1)}")
    if photo:
        lines.append(_fold("PHOTO:data:image/jpeg;base64," + _photo(rng), eol))
    lines.append("END:VCARD")
    return eol.join(lines) + eol


def generate(
    count: int,
    *,
    seed: int = 1,
    start: int = 0,
    photo_share: float = 0.05,
    v21_share: float = 0.12,
    v40_share: float = 0.05,
    no_uid_share: float = 0.04,
    lf_share: float = 0.05,
) -> list[Contact]:
    """``count`` contacts numbered from ``start``. vCard 2.1 cards mostly lack a UID (as
    phone exports do); ``no_uid_share`` of the others lack one too."""
    rng = random.Random(f"{seed}:{start}:{count}")
    out = []
    for n in range(start, start + count):
        roll = rng.random()
        v21 = roll < v21_share
        maker = _card_21 if v21 else _card_40 if roll < v21_share + v40_share else _card_30
        has_uid = rng.random() < (0.2 if v21 else 1.0 - no_uid_share)
        uid = None
        if has_uid:
            uid = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
            if rng.random() < 0.05:
                uid = "urn:uuid:" + uid.lower()  # not a safe file name: hashed by syncgui
        photo = rng.random() < photo_share
        eol = "\n" if rng.random() < lf_share else "\r\n"
        text = maker(rng, n, uid, photo, eol)
        fn_line = next(x for x in text.splitlines() if x.startswith("FN"))
        name = fn_line.split(":", 1)[1]
        safe = uid is not None and uid.replace("-", "").isalnum()
        file_name = f"{uid}.vcf" if safe else f"contact-{seed}-{n:07d}.vcf"
        out.append(Contact(file_name, uid, name, text.encode("utf-8")))
    return out


def edited(contact: Contact, mark: int) -> Contact:
    """The contact with one phone number added (what a user's edit in an app does)."""
    data = contact.data
    eol = b"\r\n" if b"\r\n" in data else b"\n"
    at = data.rindex(b"END:VCARD")
    v21 = b"VERSION:2.1" in data
    tel = f"TEL;{'WORK' if v21 else 'TYPE=WORK'}:+1 555 01{mark % 100:02d} {mark}".encode()
    return replace(contact, data=data[:at] + tel + eol + data[at:])


def write_vdir(folder: Path, contacts: Iterable[Contact]) -> None:
    """Write each contact to ``folder/<file_name>`` (the folder is created)."""
    folder.mkdir(parents=True, exist_ok=True)
    for c in contacts:
        (folder / c.file_name).write_bytes(c.data)


def write_vcf(path: Path, contacts: Iterable[Contact]) -> None:
    """Write every contact into one ``.vcf`` file."""
    path.write_bytes(b"".join(c.data for c in contacts))


@dataclass(frozen=True, slots=True)
class Changes:
    """What :func:`change_vdir` did: the contacts now in the folder and what changed."""

    contacts: list[Contact]
    edited: list[Contact]
    deleted: list[Contact]
    added: list[Contact]


def change_vdir(
    folder: Path,
    contacts: Sequence[Contact],
    *,
    edit: float,
    delete: float,
    add: float,
    seed: int,
    next_number: int,
) -> Changes:
    """Edit, delete and add the given shares of ``contacts`` in ``folder`` (at least one of
    each when the share is positive). Edits replace the file atomically, as editors do."""
    rng = random.Random(seed)
    total = len(contacts)

    def how_many(share: float) -> int:
        return max(1, round(total * share)) if share > 0 else 0

    chosen = rng.sample(range(total), how_many(edit) + how_many(delete))
    to_edit, to_delete = chosen[: how_many(edit)], set(chosen[how_many(edit) :])
    kept = {i: c for i, c in enumerate(contacts) if i not in to_delete}
    changed = []
    for i in to_edit:
        new = edited(contacts[i], next_number + i)
        temp = folder / f".edit-{new.file_name}"
        temp.write_bytes(new.data)
        os.replace(temp, folder / new.file_name)
        kept[i] = new
        changed.append(new)
    gone = [contacts[i] for i in sorted(to_delete)]
    for c in gone:
        (folder / c.file_name).unlink()
    added = generate(how_many(add), seed=seed, start=next_number)
    write_vdir(folder, added)
    return Changes([*kept.values(), *added], changed, gone, added)

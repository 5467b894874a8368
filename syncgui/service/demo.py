"""The built-in demo: an address book and a virtual phone with overlapping contacts.

A newcomer sees a partnership, a sync that adds and merges contacts, and a conflict: one
contact whose note was edited differently on both sides. ``syncgui-cli demo`` creates it in
a fresh folder and syncs once (:func:`run_demo`); the desktop app keeps it as a profile of
its own (:func:`~syncgui.service.paths.demo_paths`, :func:`ensure_demo`) and leaves the
first sync to the user."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from syncgui.engine.events import Direction, Policy, Status
from syncgui.service.facade import SyncService
from syncgui.service.paths import Paths, resolve_paths

DEMO_NAME = "Demo"

_BOOK = {
    "ada.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:demo-ada\r\nFN:Ada Lovelace\r\n"
    "N:Lovelace;Ada;;;\r\nEMAIL;TYPE=INTERNET:ada@example.org\r\nEND:VCARD\r\n",
    "alan.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:demo-alan\r\nFN:Alan Turing\r\n"
    "N:Turing;Alan;;;\r\nTEL;TYPE=WORK:+44 20 7946 0001\r\nEND:VCARD\r\n",
    "grace.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:demo-grace\r\nFN:Grace Hopper\r\n"
    "N:Hopper;Grace;;;\r\nNOTE:Met at the compiler conference\r\nEND:VCARD\r\n",
    "katherine.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Katherine Johnson\r\n"
    "N:Johnson;Katherine;;;\r\nitem1.EMAIL;TYPE=INTERNET:kj@example.net\r\n"
    "item1.X-ABLabel:NASA\r\nEND:VCARD\r\n",
}

_PHONE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:demo-ada\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n"
    "EMAIL;TYPE=INTERNET:ada@example.org\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:demo-alan\r\nFN:Alan Turing\r\nN:Turing;Alan;;;\r\n"
    "TEL;TYPE=WORK:+44 20 7946 0001\r\nTEL;TYPE=CELL:+44 7700 900123\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:demo-grace\r\nFN:Grace Hopper\r\nN:Hopper;Grace;;;\r\n"
    "NOTE:Call about the COBOL talk\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nUID:demo-jose\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Jos=C3=A9 Mar=C3=ADa\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Mar=C3=ADa;Jos=C3=A9;;;\r\n"
    "TEL;CELL;PREF:+34 600 000 000\r\nEND:VCARD\r\n"
)


def create_demo(root: Path) -> tuple[Path, Path]:
    """Write the two sample stores under ``root``; returns (address book, virtual phone).

    The phone is the built-in virtual device (``virtual:`` store): a folder that behaves
    as an MTP phone, with its contacts in a ``Contacts`` folder, one card per file."""
    book = root / "Address book"
    book.mkdir(parents=True, exist_ok=True)
    for name, text in _BOOK.items():
        (book / name).write_text(text, encoding="utf-8", newline="")
    phone = root / "Virtual phone"
    contacts = phone / "Contacts"
    contacts.mkdir(parents=True, exist_ok=True)
    cards = _PHONE.split("END:VCARD\r\n")[:-1]
    for n, text in enumerate(cards, 1):
        (contacts / f"contact{n}.vcf").write_text(
            text + "END:VCARD\r\n", encoding="utf-8", newline=""
        )
    return book, phone


def ensure_demo(paths: Paths) -> None:
    """Create the demo stores and the partnership "Demo" (address book ↔ virtual phone,
    two-way, merge) in the profile ``paths`` unless the partnership exists. Nothing is
    synced: the user presses Sync and sees the contacts merge and one conflict."""
    service = SyncService(paths)
    if any(p.name == DEMO_NAME for p in service.partnerships()):
        return
    book, phone = create_demo(paths.data_dir / "stores")
    service.add_partnership(
        DEMO_NAME, f"vdir:{book}", f"virtual:{phone}", Direction.TWO_WAY, Policy.MERGE
    )


def run_demo(where: str | None, say: Callable[[str], object]) -> int:
    """Create the demo stores and a partnership in a fresh folder, sync, and explain."""
    root = Path(where) if where else Path(tempfile.mkdtemp(prefix="syncgui-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    paths = resolve_paths(root / "config", root / "data")
    service = SyncService(paths)
    book, phone = create_demo(root)
    if not any(p.name == "demo" for p in service.partnerships()):
        service.add_partnership("demo", f"vdir:{book}", f"virtual:{phone}")
    say(f"Demo folder: {root}")
    say(f"  A = {book}  (a folder of vCards, one file per contact)")
    say(f"  B = {phone}  (the built-in virtual phone: a folder that behaves as one)")
    say("Syncing partnership 'demo' (two-way, policy merge)...")
    [result] = service.sync(["demo"])
    say(
        f"  A: {result.to_a.created} added, {result.to_a.updated} changed; "
        f"B: {result.to_b.created} added, {result.to_b.updated} changed; "
        f"{result.merged} merged field by field"
    )
    for view in service.conflicts("demo"):
        say(f"  Conflict {view.id}: {view.item!r}: the same field was changed on both sides")
    exe = sys.argv[0] if os.path.basename(sys.argv[0]) == "syncgui-cli" else "syncgui-cli"
    cli = f"{exe} --config-dir '{paths.config_dir}' --data-dir '{paths.data_dir}'"
    say("Next steps:")
    say(f"  {cli} conflicts             # see both versions")
    say(f"  {cli} resolve ID --keep a   # or b, both, merged")
    say(f"  {cli} sync demo             # carry the decision to both stores")
    # The demo is meant to end with one conflict for you to settle: that is success.
    return 0 if result.status in (Status.OK, Status.CONFLICTS) else 1

"""Replicas of different kinds in one temporary folder, edited as a user would.

* ``mem``: a :class:`MemoryReplica`; local edits go through ``put``/``remove``;
* ``vdir``: a folder of ``.vcf`` files (:class:`VCardFolderProvider` + metadata store);
* ``vcf``: one ``.vcf`` file with many cards (:class:`VCardFileProvider` + metadata store);
* ``phone``: a Contacts folder on the virtual phone, reached through the MTP store, with its
  sync state kept on the phone: the replica is opened afresh for every session, as the
  service does (adopt, then publish).

A :class:`Topology` names the stores and the partnerships between them. The folders and the
file are edited the way another program would: a card file is written, rewritten or removed,
the ``.vcf`` file is rewritten whole with one card changed, added or removed. The engine
finds these edits by change detection at its next sync.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from syncgui.engine.events import Direction, Event, Policy, SessionResult, SessionSettings
from syncgui.engine.ids import gid_for_uid
from syncgui.engine.memory import MemoryReplica
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.metadata import MetadataStore
from syncgui.engine.provider import SimpleStore
from syncgui.engine.replica import Replica
from syncgui.engine.session import SyncSession
from syncgui.engine.simple import SimpleReplica
from syncgui.providers.mtp.phone.store import open_virtual_store
from syncgui.providers.vcard.file import open_file_store
from syncgui.providers.vcard.folder import open_folder_store
from syncgui.providers.vcard.format import VCardFormat
from tests.sync_model import Fields

FMT = VCardFormat()
FOLDERS = frozenset({"vdir", "phone"})  # the stores that are folders of card files


@dataclass(frozen=True, slots=True)
class Topology:
    """The stores (each named by its kind) and the partnerships between them; each
    partnership has fixed sides ``(a, b)``."""

    names: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]


# A memory replica (a custom provider), a folder and a .vcf file in a ring.
TRIANGLE = Topology(("mem", "vdir", "vcf"), (("mem", "vdir"), ("vdir", "vcf"), ("vcf", "mem")))
# The phone, a folder on the computer, a .vcf file and an address book kept by a custom
# provider (the memory replica): the ring phone - computer - address book - phone, with a
# .vcf export partnered with both the computer and the phone. With TRIANGLE, every two kinds
# of store are partners somewhere; this one holds two rings that share a partnership.
PHONE_RING = Topology(
    ("phone", "vdir", "vcf", "mem"),
    (("phone", "vdir"), ("vdir", "mem"), ("mem", "phone"), ("vdir", "vcf"), ("vcf", "phone")),
)

_CARD = re.compile(rb"BEGIN:VCARD\r?\n.*?END:VCARD\r?\n", re.DOTALL)


def partnership(a: str, b: str, direction: Direction, apart: bool = False) -> str:
    """The name of partnership ``a-b``; ``apart``: the one-way partnership of the same two
    stores that a user adds beside it (``a>b`` or ``a<b``), with a name of its own."""
    if not apart:
        return f"{a}-{b}"
    assert direction is not Direction.TWO_WAY, "a partnership apart is one-way"
    return f"{a}>{b}" if direction is Direction.A_TO_B else f"{a}<{b}"


def render(uid: str, fields: Fields) -> bytes:
    """A vCard 3.0 with CRLF line breaks; multi-valued fields hold one value each."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}"]
    values = dict(fields)
    name = values.get("FN", uid)
    lines += [f"FN:{name}", f"N:{name};;;;"]
    lines += [f"{key}:{value}" for key, value in fields if key != "FN"]
    lines.append("END:VCARD")
    return ("\r\n".join(lines) + "\r\n").encode()


def parse(data: bytes) -> tuple[str, Fields]:
    """UID and content of a card written by :func:`render` (or by the engine from one):
    every property but the structure, UID and N; a multi-valued property keeps all values
    (joined by ``|``), so a duplicated TEL shows."""
    text = re.sub(r"\r?\n[ \t]", "", data.decode())
    uid = ""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.split(";")[0].upper()
        if key == "UID":
            uid = value
        elif key not in ("BEGIN", "END", "VERSION", "N", ""):
            found.setdefault(key, []).append(value)
    fields = tuple(sorted((k, "|".join(sorted(v))) for k, v in found.items()))
    return uid, fields


class Stores:
    """The replicas of a topology, the merge bases, and direct access to their data."""

    def __init__(self, topology: Topology) -> None:
        self.names = topology.names
        self.pairs = topology.pairs
        # In memory where Linux has it: the metadata stores' syncs to disk would otherwise
        # take most of a machine's run.
        memory = Path("/dev/shm")
        where = memory if memory.is_dir() and os.access(memory, os.W_OK) else None
        self.root = Path(tempfile.mkdtemp(prefix="syncgui-stateful-", dir=where))
        self.folders = {
            "vdir": self.root / "contacts",
            "phone": self.root / "phone" / "Contacts",
        }
        (self.root / "file").mkdir()
        self.file = self.root / "file" / "contacts.vcf"
        self.file.write_bytes(b"")
        self._stamp = time.time_ns() + 10**15  # fake mtimes for edits "by another program"
        self._names = 0
        self.metas: dict[str, MetadataStore] = {}
        self.replicas: dict[str, Replica] = {}
        self.mem = MemoryReplica("mem", FMT)
        for name in self.names:
            if name == "mem":
                self.replicas[name] = self.mem
            else:
                store = self._store(name)
                self.metas[name] = MetadataStore(self.root / f"{name}.sqlite", store.identity)
                self.replicas[name] = SimpleReplica(store, self.metas[name])
        self.bases = BaseStore(self.root / "bases.sqlite")  # one store, as the service has

    def _store(self, name: str) -> SimpleStore:
        if name == "vcf":
            return open_file_store(str(self.file))
        self.folders[name].mkdir(parents=True, exist_ok=True)
        if name == "vdir":
            return open_folder_store(str(self.folders[name]))
        return open_virtual_store(f"{self.folders[name].parent}#Contacts")

    def _reopen_phone(self) -> None:
        old = self.replicas["phone"]
        assert isinstance(old, SimpleReplica)
        old.close()  # saves the sync state on the phone
        meta = MetadataStore(self.root / "phone.sqlite", old.identity)
        self.metas["phone"] = meta
        self.replicas["phone"] = SimpleReplica(self._store("phone"), meta)

    def close(self) -> None:
        for meta in self.metas.values():
            meta.close()
        self.bases.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- sessions -------------------------------------------------------------------------

    def sync(self, a: str, b: str, settings: SessionSettings) -> tuple[SessionResult, list[Event]]:
        events: list[Event] = []
        if "phone" in (a, b):
            self._reopen_phone()
        session = SyncSession(
            self.replicas[a], self.replicas[b], settings, self.bases, emit=events.append
        )
        return session.run(), events

    @staticmethod
    def settings(
        a: str,
        b: str,
        policy: Policy,
        direction: Direction = Direction.TWO_WAY,
        *,
        apart: bool = False,
    ) -> SessionSettings:
        return SessionSettings(
            partnership(a, b, direction, apart),
            direction=direction,
            policy=policy,
            allow_mass_delete=True,
        )

    # -- what a user sees -----------------------------------------------------------------

    def cards(self, name: str) -> list[bytes]:
        """Every card the store holds, as bytes."""
        if name == "mem":
            return list(self.mem.live().values())
        if name in FOLDERS:
            return [p.read_bytes() for p in sorted(self.folders[name].glob("*.vcf"))]
        return _CARD.findall(self.file.read_bytes())

    def contents(self, name: str) -> dict[str, list[bytes]]:
        """The cards by UID (a list, so that a duplicate shows)."""
        out: dict[str, list[bytes]] = {}
        for data in self.cards(name):
            out.setdefault(parse(data)[0], []).append(data)
        return out

    # -- edits by the user or another program ---------------------------------------------

    def write(self, name: str, uid: str, fields: Fields | None) -> None:
        """Create, change (``fields``) or delete (None) the card ``uid`` in store ``name``."""
        if name == "mem":
            if fields is None:
                self.mem.remove(gid_for_uid(uid))
            else:
                self.mem.put(render(uid, fields))
        elif name in FOLDERS:
            self._write_folder(self.folders[name], uid, fields)
        else:
            self._write_file(uid, fields)

    def _touch(self, path: Path) -> None:
        """Give ``path`` an mtime no sync could have given it.

        The stores notice an edit by size, mtime and inode; a program that rewrites a card
        with the same size within one timestamp tick would go unnoticed (as with any
        mtime-based scanner), which is not what these tests are about."""
        self._stamp += 1_000_000_000
        os.utime(path, ns=(self._stamp, self._stamp))

    def _write_folder(self, folder: Path, uid: str, fields: Fields | None) -> None:
        path = next((p for p in folder.glob("*.vcf") if parse(p.read_bytes())[0] == uid), None)
        if fields is None:
            assert path is not None, uid
            path.unlink()
            return
        if path is None:
            self._names += 1
            path = folder / f"external-{self._names}.vcf"
        path.write_bytes(render(uid, fields))
        self._touch(path)

    def rename(self, name: str, uid: str) -> None:
        """Another program gives the card file of ``uid`` in folder ``name`` a new name
        (content unchanged)."""
        folder = self.folders[name]
        path = next(p for p in folder.glob("*.vcf") if parse(p.read_bytes())[0] == uid)
        self._names += 1
        path.rename(folder / f"renamed-{self._names}.vcf")

    def _write_file(self, uid: str, fields: Fields | None) -> None:
        data = self.file.read_bytes()
        cards = _CARD.findall(data)
        assert b"".join(cards) == data, "the .vcf file holds something else than cards"
        at = [i for i, c in enumerate(cards) if parse(c)[0] == uid]
        assert len(at) <= 1, f"{uid} is twice in the file"
        if fields is None:
            del cards[at[0]]
        elif at:
            cards[at[0]] = render(uid, fields)
        else:
            cards.append(render(uid, fields))
        temp = self.file.with_name("contacts.vcf.new")
        temp.write_bytes(b"".join(cards))
        os.replace(temp, self.file)
        self._touch(self.file)


def same_content(cards: Mapping[str, list[bytes]], other: Mapping[str, list[bytes]]) -> bool:
    """Both stores hold the same UIDs, once each, with cards of the same meaning."""
    if cards.keys() != other.keys():
        return False
    return all(
        len(cards[u]) == 1 and len(other[u]) == 1 and FMT.same(cards[u][0], other[u][0])
        for u in cards
    )

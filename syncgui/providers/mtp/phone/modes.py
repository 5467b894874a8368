"""The two shapes of contacts on a phone: a folder of ``.vcf`` files, or one ``.vcf`` file.

Both journal their writes on the phone (see :mod:`syncgui.providers.mtp.phone.devicestate`) and
repair an interrupted batch at the next listing: a card cut short is deleted, and an update
cut short puts the old card back, so the phone is again in a state the saved metadata
describes (never "deleted", never a half card taken for the user's edit).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Sequence
from typing import Protocol

from syncgui.engine.errors import (
    ItemProblem,
    ItemUnreadable,
    ItemVanished,
    StoreUnavailable,
    SyncError,
)
from syncgui.engine.ids import content_hash
from syncgui.engine.provider import Entry, Intent, Listing, Written
from syncgui.providers.mtp.backend import MtpError, ObjectInfo, ObjectMissing
from syncgui.providers.mtp.hints import ANDROID_HINT
from syncgui.providers.mtp.phone.connection import Connection, stamp_of
from syncgui.providers.mtp.phone.devicestate import DeviceState
from syncgui.providers.mtp.phone.statecodec import JournalEntry
from syncgui.providers.vcard.file import VCardFileProvider
from syncgui.providers.vcard.folder import file_name_for
from syncgui.providers.vcard.split import single_card_problem

log = logging.getLogger(__name__)


class Mode(Protocol):
    def list(self) -> Listing: ...
    def read(self, key: str) -> bytes: ...
    def begin_batch(self, intents: Sequence[Intent]) -> None: ...
    def create(self, uid: str, data: bytes) -> Written: ...
    def update(self, key: str, data: bytes) -> Written: ...
    def delete(self, key: str) -> None: ...
    def commit(self) -> str | None: ...


def _whole(data: bytes, entry: JournalEntry, cards: bool) -> bool:
    """Is ``data`` a complete result of the journaled write (or the untouched original)?"""
    if entry.old is not None and data == entry.old:
        return True
    if entry.hash is not None:
        return content_hash(data) == entry.hash
    return single_card_problem(data) is None if cards else False


class _Journaled:
    """Recovery of an interrupted batch, shared by both modes."""

    conn: Connection
    state: DeviceState

    def _recover(self, parent: int, cards: bool) -> None:
        entries = self.state.read_journal()
        if not entries:
            return
        log.warning(
            "%s: the last sync was interrupted; repairing %d item(s)", self.conn.label, len(entries)
        )
        present = {o.name: o for o in self.conn.list(parent) if not o.is_folder}
        for e in entries:
            found = present.get(e.name)
            if found is not None:
                data = self._fetch(found)
                if data is not None and _whole(data, e, cards):
                    continue
                log.warning(
                    "%s: removing %s, cut short by the interruption", self.conn.label, e.name
                )
                self._remove(found)
            if e.kind == "update" and e.old is not None:
                log.warning("%s: putting back %s as it was before", self.conn.label, e.name)
                self.conn.upload(parent, e.name, e.old)
        self.state.clear_journal()

    def _fetch(self, o: ObjectInfo) -> bytes | None:
        try:
            return self.conn.call(self.conn.device.download, o.id)
        except ObjectMissing:
            return None
        except MtpError as err:
            raise StoreUnavailable(f"{self.conn.label}: {o.name} cannot be read: {err}") from err

    def _remove(self, o: ObjectInfo) -> None:
        try:
            self.conn.call(self.conn.device.delete, o.id)
        except ObjectMissing:
            pass
        except MtpError as err:
            raise StoreUnavailable(f"{self.conn.label}: {o.name} cannot be removed: {err}") from err


class FolderMode(_Journaled):
    """A folder of ``.vcf`` files: key = file name, stamp = size and modification time."""

    def __init__(self, conn: Connection, state: DeviceState) -> None:
        self.conn = conn
        self.state = state
        self._objects: dict[str, ObjectInfo] = {}
        self._read: dict[str, bytes] = {}  # bytes read this batch: an update journals them
        self._reserved: dict[str, str] = {}  # uid -> file name announced for a create
        self._journaled = False

    @property
    def _folder(self) -> int:
        found = self.conn.target.found
        if found is None:
            raise StoreUnavailable(
                f"The folder /{self.conn.target.path} does not exist on the phone. {ANDROID_HINT}"
            )
        return found.id

    def _scan(self) -> list[ObjectInfo]:
        objects = [o for o in self.conn.list(self._folder) if not o.is_folder]
        self._objects = {o.name: o for o in objects}
        return objects

    def list(self) -> Listing:
        self._recover(self._folder, cards=True)
        entries: list[Entry] = []
        problems: list[ItemProblem] = []
        unreadable: set[str] = set()
        for o in self._scan():
            if o.name.startswith(".") or not o.name.lower().endswith(".vcf"):
                continue
            if o.size == 0:
                problems.append(ItemProblem(o.name, f"{o.name}: the file is empty"))
                unreadable.add(o.name)
                continue
            entries.append(Entry(o.name, stamp_of(o), None, o.mtime or None))
        return Listing(entries, None, problems, frozenset(unreadable))

    def _object(self, key: str) -> ObjectInfo | None:
        if key not in self._objects:
            self._scan()
        return self._objects.get(key)

    def read(self, key: str) -> bytes:
        o = self._object(key)
        if o is None:
            raise ItemVanished(f"{key}: no longer on the phone", item=key)
        try:
            data = self.conn.call(self.conn.device.download, o.id)
        except ObjectMissing as err:
            raise ItemVanished(f"{key}: no longer on the phone", item=key) from err
        except MtpError as err:
            raise ItemUnreadable(f"{key}: cannot be read from the phone: {err}", item=key) from err
        self._read[key] = data
        return data

    def _free_name(self, uid: str) -> str:
        stem = file_name_for(uid)
        taken = set(self._objects) | set(self._reserved.values())
        name, n = f"{stem}.vcf", 1
        while name in taken:
            n += 1
            name = f"{stem}-{n}.vcf"
        return name

    def begin_batch(self, intents: Sequence[Intent]) -> None:
        entries = []
        for i in intents:
            if i.delete:
                continue
            if i.key is None:
                name = self._reserved.get(i.uid) or self._free_name(i.uid)
                self._reserved[i.uid] = name
                entries.append(JournalEntry(name, "create"))
            else:
                old = self._read.get(i.key)
                if old is None and self._object(i.key) is not None:
                    old = self.read(i.key)
                entries.append(JournalEntry(i.key, "update", old))
        if entries:
            self.state.write_journal(entries)
            self._journaled = True

    def create(self, uid: str, data: bytes) -> Written:
        name = self._reserved.pop(uid, None) or self._free_name(uid)
        o = self.conn.upload(self._folder, name, data)
        self._objects[o.name] = o
        return Written(o.name, stamp_of(o))

    def update(self, key: str, data: bytes) -> Written:
        old = self._object(key)
        if old is None:
            raise ItemVanished(f"{key}: no longer on the phone", item=key)
        self._delete_object(key, old)
        o = self.conn.upload(self._folder, key, data)
        self._objects[o.name] = o
        return Written(o.name, stamp_of(o))

    def delete(self, key: str) -> None:
        o = self._object(key)
        if o is not None:
            self._delete_object(key, o)

    def _delete_object(self, key: str, o: ObjectInfo) -> None:
        with contextlib.suppress(ItemVanished):
            self.conn.item_call(key, self.conn.device.delete, o.id)
        self._objects.pop(key, None)

    def commit(self) -> str | None:
        if self._journaled:
            self.state.clear_journal()
            self._journaled = False
        self._read.clear()
        self._reserved.clear()
        return None


class FileMode(_Journaled):
    """One ``.vcf`` file on the phone, worked on as a local copy by the ``vcf:`` store and
    sent back whole at commit (journaled with the old file, so an interruption rolls back)."""

    def __init__(self, conn: Connection, state: DeviceState) -> None:
        self.conn = conn
        self.state = state
        self._dir = tempfile.TemporaryDirectory(prefix="syncgui-phone-")
        self._name = conn.target.path.rsplit("/", 1)[-1]
        self._local = os.path.join(self._dir.name, self._name)
        self._inner = VCardFileProvider(self._local)
        self._original: bytes | None = None
        self._object: ObjectInfo | None = None

    def _shown(self, err: SyncError) -> SyncError:
        """The same error, naming the file on the phone instead of the local copy."""
        err.message = err.message.replace(self._local, f"/{self.conn.target.path} on the phone")
        err.args = (err.message,)
        return err

    def list(self) -> Listing:
        parent = self.conn.target.parent
        self._recover(parent, cards=False)
        found = [o for o in self.conn.list(parent) if o.name == self._name and not o.is_folder]
        if not found:
            raise StoreUnavailable(
                f"The file /{self.conn.target.path} does not exist on the phone. {ANDROID_HINT}"
            )
        self._object = found[0]
        data = self._fetch(found[0])
        if data is None:
            raise StoreUnavailable(f"/{self.conn.target.path} vanished from the phone")
        with open(self._local, "wb") as out:
            out.write(data)
        self._original = data
        try:
            return self._inner.list(None)
        except SyncError as err:
            raise self._shown(err) from err

    def read(self, key: str) -> bytes:
        return self._inner.read(key)

    def begin_batch(self, intents: Sequence[Intent]) -> None:
        pass  # the whole file is journaled at commit

    def create(self, uid: str, data: bytes) -> Written:
        return self._inner.create(uid, data)

    def update(self, key: str, data: bytes) -> Written:
        return self._inner.update(key, data)

    def delete(self, key: str) -> None:
        self._inner.delete(key)

    def commit(self) -> str | None:
        try:
            self._inner.commit()
        except SyncError as err:
            raise self._shown(err) from err
        with open(self._local, "rb") as src:
            data = src.read()
        if data == self._original:
            return None
        old = self._original or b""
        self.state.write_journal(
            [JournalEntry(self._name, "update", old, len(data), content_hash(data))]
        )
        if self._object is not None:
            self._remove(self._object)
        try:
            self._object = self.conn.upload(self.conn.target.parent, self._name, data)
        except SyncError as err:
            raise StoreUnavailable(
                f"{self.conn.label}: /{self.conn.target.path} could not be written: {err.message}"
                "; the next sync puts the old file back"
            ) from err
        self.state.clear_journal()
        self._original = data
        return None

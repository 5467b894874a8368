"""The hidden ``/.syncgui/`` folder on a phone: each store's saved sync state and its
write journal.

MTP has no atomic replace (and some devices cannot even rename), so a state is saved as a
*new* object ``<stem>.<n>.state`` and only then are the older ones deleted: a cable pulled
at any instant leaves at least one complete, checksummed state. Loading takes the newest
that decodes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.hosted import ReplicaState
from syncgui.providers.mtp.backend import ROOT, MtpDevice, MtpError, ObjectInfo, ObjectMissing
from syncgui.providers.mtp.phone.statecodec import (
    JournalEntry,
    StateUnreadable,
    decode_journal,
    decode_state,
    encode_journal,
    encode_state,
)

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

FOLDER = ".syncgui"
# Where the state is kept, in order of preference (see _find_folder).
FOLDERS = (FOLDER, "syncgui")


def stem_for(path: str) -> str:
    """Object name stem for the store at ``path`` (one phone may hold several stores)."""
    return hashlib.sha1(path.lower().encode("utf-8")).hexdigest()[:12]


class DeviceState:
    """Saved state and journal of one store, in ``/.syncgui/`` on its storage.

    Implements :class:`~syncgui.engine.hosted.MetadataHost`."""

    def __init__(self, device: MtpDevice, storage: int, path: str, label: str) -> None:
        self.device = device
        self.storage = storage
        self.path = path
        self.label = label
        self.stem = stem_for(path)
        self._state_name = re.compile(re.escape(self.stem) + r"\.(\d+)\.state")
        self._folder: int | None = None
        # The journal on the phone as this session knows it (None: none), once looked for;
        # knowing it spares a folder listing for each batch.
        self._journal: ObjectInfo | None = None
        self._journal_known = False

    def __str__(self) -> str:
        return self.label

    # -- the folder ------------------------------------------------------------------------

    def _listed_folder(self) -> int | None:
        top = self._call(self.device.list_folder, self.storage, ROOT)
        for name in FOLDERS:
            for o in top:
                if o.is_folder and o.name == name:
                    return o.id
        return None

    def _find_folder(self, create: bool) -> int | None:
        if self._folder is None:
            self._folder = self._listed_folder()
        if self._folder is None and create:
            for name in FOLDERS:
                # Some devices (QEMU's responder among them) create a dot-folder but never
                # list names that start with a dot: then a visible folder is used.
                try:
                    self._call(self.device.create_folder, self.storage, ROOT, name)
                except StoreUnavailable as err:  # e.g. there already, but hidden from us
                    log.info("%s: %s", self, err)
                self._folder = self._listed_folder()
                if self._folder is not None:
                    break
                log.info("%s: the phone hides %s; using a visible folder", self, name)
            if self._folder is None:
                raise StoreUnavailable(f"{self.label}: no folder for the sync state can be made")
        return self._folder

    def _objects(self) -> list[ObjectInfo]:
        folder = self._find_folder(create=False)
        if folder is None:
            return []
        return list(self._call(self.device.list_folder, self.storage, folder))

    # -- MetadataHost ----------------------------------------------------------------------

    def _states(self) -> list[tuple[int, ObjectInfo]]:
        found = []
        for o in self._objects():
            m = self._state_name.fullmatch(o.name)
            if m and not o.is_folder:
                found.append((int(m.group(1)), o))
        return sorted(found, key=lambda t: t[0], reverse=True)

    def load_state(self) -> ReplicaState | None:
        for seq, o in self._states():
            try:
                return decode_state(self._call(self.device.download, o.id))
            except StateUnreadable as err:
                log.warning("%s: saved state %d on the phone is unusable (%s)", self, seq, err)
        return None

    def save_state(self, state: ReplicaState) -> None:
        older = self._states()
        seq = older[0][0] + 1 if older else 1
        folder = self._find_folder(create=True)
        assert folder is not None
        data = encode_state(state, self.path)
        name = f"{self.stem}.{seq}.state"
        new = self._call(self.device.upload, self.storage, folder, name, data)
        if self._call(self.device.download, new.id) != data:  # a phone may store it damaged
            self._delete(new)
            raise StoreUnavailable(f"{self.label}: the phone did not store the sync state intact")
        for _seq, o in older:  # only once the new one is complete
            self._delete(o)

    # -- journal ---------------------------------------------------------------------------

    @property
    def _journal_name(self) -> str:
        return f"{self.stem}.journal"

    def read_journal(self) -> list[JournalEntry] | None:
        """The journal of an interrupted batch, or None. A damaged journal was cut short
        while being written, before any write it announces began: it is dropped."""
        self._find_journal()
        if self._journal is None:
            return None
        try:
            return decode_journal(self._call(self.device.download, self._journal.id))
        except StateUnreadable as err:
            log.info("%s: dropping a journal that was cut short (%s)", self, err)
            self.clear_journal()
            return None

    def write_journal(self, entries: list[JournalEntry]) -> None:
        self.clear_journal()
        folder = self._find_folder(create=True)
        assert folder is not None
        data = encode_journal(entries)
        new = self._call(self.device.upload, self.storage, folder, self._journal_name, data)
        if self._call(self.device.download, new.id) != data:  # before any write it announces
            self._delete(new)
            raise StoreUnavailable(f"{self.label}: the phone did not store the journal intact")
        self._journal = new

    def clear_journal(self) -> None:
        if not self._journal_known:
            self._find_journal()
        if self._journal is not None:
            self._delete(self._journal)
            self._journal = None

    def _find_journal(self) -> None:
        """Look for a journal on the phone (without reading it)."""
        self._journal = next((o for o in self._objects() if o.name == self._journal_name), None)
        self._journal_known = True

    # -- helpers ---------------------------------------------------------------------------

    def _delete(self, o: ObjectInfo) -> None:
        try:
            self.device.delete(o.id)
        except ObjectMissing:
            pass
        except MtpError as err:
            raise StoreUnavailable(f"{self.label}: {o.name} cannot be deleted: {err}") from err

    def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except MtpError as err:
            raise StoreUnavailable(f"{self.label}: the sync state on the phone: {err}") from err

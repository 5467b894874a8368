"""The phone as a store: ``mtp:DEVICE/STORAGE/PATH`` and ``virtual:ROOT[#PATH]``.

PATH is a folder of ``.vcf`` files (one card each) or one ``.vcf`` file (an Android contacts
export). The store talks to an :class:`~syncgui.providers.mtp.backend.MtpBackend` — libmtp
in a helper process for real phones, the virtual phone in process — and never keys items by
object id (phones renumber objects between connections): a card's key is its file name.

Writes on a phone are not atomic (a file is replaced by deleting and uploading it), so every
batch is announced in a journal on the phone first (:class:`DeviceState`); a listing that
finds a journal puts half-written cards back before anything is compared. The replica's
sync state lives on the phone too (``metadata_host``), unless the storage is read-only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.itemformat import ItemFormat
from syncgui.engine.provider import Capabilities, Intent, Listing, Written, release
from syncgui.providers.mtp.backend import MtpBackend, MtpError
from syncgui.providers.mtp.phone.connection import Connection
from syncgui.providers.mtp.phone.devicestate import DeviceState
from syncgui.providers.mtp.phone.location import (
    Location,
    choose_storage,
    discover,
    find,
    open_device,
    parse_mtp,
    parse_virtual,
)
from syncgui.providers.mtp.phone.modes import FileMode, FolderMode, Mode
from syncgui.providers.vcard.format import VCardFormat

log = logging.getLogger(__name__)


class PhoneStore:
    """SimpleStore (+ BatchJournal, + MetadataHost through ``metadata_host``) on a phone."""

    def __init__(self, where: Location, backend: MtpBackend) -> None:
        self.where = where
        self.backend = backend
        self._conn: Connection | None = None
        self._mode: Mode | None = None
        self._state: DeviceState | None = None
        self._format = VCardFormat()
        base = os.path.basename(where.path) if where.path else "Contacts"
        self._name = f"{base} ({'virtual phone' if where.virtual else 'phone'})"

    def __repr__(self) -> str:
        return f"PhoneStore({self.where.spec!r})"

    # -- SimpleStore properties ------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def identity(self) -> str:
        return self.where.spec

    @property
    def capabilities(self) -> Capabilities:
        read_only = self._conn is not None and self._conn.storage.read_only
        batch = 0 if self._mode is not None and isinstance(self._mode, FileMode) else None
        reason = ""
        if read_only and self._conn is not None:
            reason = f"the phone's storage {self._conn.storage.description} is write-protected"
        return Capabilities(
            read_only=read_only,
            read_only_reason=reason,
            batch_size=batch,
            journal=True,
            hosts_metadata=True,
        )

    @property
    def format(self) -> ItemFormat:
        return self._format

    @property
    def metadata_host(self) -> DeviceState | None:
        """The phone keeps its own sync state, unless its storage is read-only."""
        conn = self._connect()
        return None if conn.storage.read_only else self._state

    # -- connection ------------------------------------------------------------------------

    def _connect(self) -> Connection:
        if self._conn is not None:
            return self._conn
        device = open_device(self.backend, self.where)
        try:
            storage = choose_storage(device, self.where.storage)
            path = self.where.path or discover(device, storage.id)
            target = find(device, storage.id, path)
        except BaseException:
            device.close()
            raise
        label = f"{device.info.model} ({path})"
        conn = Connection(device, storage, target, label)
        self._state = DeviceState(device, storage.id, path, label)
        if target.is_file:
            self._mode = FileMode(conn, self._state)
        elif target.found is not None and not target.found.is_folder:
            device.close()
            raise StoreUnavailable(f"/{path} on the phone is a file, not a folder of cards")
        else:
            self._mode = FolderMode(conn, self._state)
        self._conn = conn
        return conn

    def _active(self) -> Mode:
        self._connect()
        assert self._mode is not None
        return self._mode

    def close(self) -> None:
        conn, self._conn, self._mode = self._conn, None, None
        if conn is not None:
            try:
                conn.settle()
                conn.device.close()
            except MtpError as err:
                log.info("%s: closing the phone: %s", self.name, err)
        release(self.backend)

    # -- SimpleStore / BatchJournal --------------------------------------------------------

    def list(self, token: str | None) -> Listing:
        return self._active().list()

    def read(self, key: str) -> bytes:
        return self._active().read(key)

    def begin_batch(self, intents: Sequence[Intent]) -> None:
        self._active().begin_batch(intents)

    def create(self, uid: str, data: bytes) -> Written:
        return self._active().create(uid, data)

    def update(self, key: str, data: bytes) -> Written:
        return self._active().update(key, data)

    def delete(self, key: str) -> None:
        self._active().delete(key)

    def commit(self) -> str | None:
        return self._active().commit()


def _backend_for(where: Location) -> MtpBackend:
    if where.virtual and os.environ.get("SYNCGUI_VIRTUAL_HELPER") != "1":
        from syncgui.providers.mtp.virtual import VirtualBackend

        return VirtualBackend(where.device)
    from syncgui.providers.mtp.helper.remote import RemoteBackend

    return RemoteBackend(f"virtual:{where.device}" if where.virtual else "libmtp")


def open_mtp_store(location: str) -> PhoneStore:
    where = parse_mtp(location)
    return PhoneStore(where, _backend_for(where))


def open_virtual_store(location: str) -> PhoneStore:
    where = parse_virtual(location)
    return PhoneStore(where, _backend_for(where))


def prepare_phone_store(store: PhoneStore) -> str | None:
    """For a new partnership: create the folder (or an empty ``.vcf`` file) on the phone when
    its place is free. Returns a note saying what was created, or None."""
    where = store.where
    if not where.path:
        return None
    device = open_device(store.backend, where)
    try:
        storage = choose_storage(device, where.storage)
        target = find(device, storage.id, where.path)
        if target.found is not None:
            return None
        name = where.path.rsplit("/", 1)[-1]
        try:
            if target.is_file:
                device.upload(storage.id, target.parent, name, b"")
                return f"created the empty file /{where.path} on the phone"
            device.create_folder(storage.id, target.parent, name)
            return f"created the folder /{where.path} on the phone"
        except MtpError as err:
            raise StoreUnavailable(f"/{where.path} cannot be created on the phone: {err}") from err
    finally:
        device.close()
        release(store.backend)


__all__ = [
    "PhoneStore",
    "open_mtp_store",
    "open_virtual_store",
    "prepare_phone_store",
]

"""Where contacts can be on a store's device or disk, for the partnership wizard: the
folders and ``.vcf`` files of a phone (or a virtual phone), and how many cards a store
holds now.

A real phone is reached through the helper process that owns USB, as the device listing
does; everything opened here is closed again before returning."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from syncgui.engine.errors import StoreUnavailable, SyncError
from syncgui.engine.provider import release
from syncgui.providers.mtp.backend import ROOT, MtpBackend, MtpDevice, MtpError, ObjectInfo
from syncgui.providers.mtp.discovery.devices import DeviceReport, storage_name
from syncgui.providers.mtp.phone.location import Location, parse_mtp, parse_virtual
from syncgui.providers.mtp.virtual import VirtualBackend
from syncgui.service.records import Place
from syncgui.service.stores import StoreSpec, open_store

log = logging.getLogger(__name__)

BackendFactory = Callable[[], MtpBackend]
FEW_FILES = 3  # more .vcf files than this in a folder: a folder of cards
DEPTH = 1  # folder levels below a storage's top that are listed (each costs a call per folder)


def is_virtual(report: DeviceReport) -> bool:
    """A virtual phone is found at its folder; a USB phone at a bus location ("1-4")."""
    return os.path.isabs(report.location)


def on_device(spec: StoreSpec, device: DeviceReport) -> bool:
    """Whether the store ``spec`` is on ``device``: a virtual phone by its folder, a USB
    phone by its serial number (any USB phone for ``mtp:first/...``)."""
    try:
        if spec.scheme == "virtual":
            root = parse_virtual(spec.location).device
            return is_virtual(device) and os.path.abspath(device.location) == root
        if spec.scheme == "mtp":
            wanted = parse_mtp(spec.location).device
            if is_virtual(device):
                return False
            return wanted.lower() == "first" or (bool(device.serial) and wanted == device.serial)
    except SyncError as err:  # a spec that does not parse names no device
        log.debug("%s: %s", spec, err.message)
    return False


def count_cards(spec: StoreSpec) -> int | None:
    """How many cards the store holds now; None when it cannot be read now (a phone not
    connected, a folder not there yet)."""
    store = open_store(spec)
    try:
        listing = store.list(None)
        entries = listing.entries or ()
        return len(entries) + len(listing.unreadable)
    except StoreUnavailable as err:
        log.info("%s cannot be counted now: %s", spec, err.message)
        return None
    finally:
        release(store)


def places(report: DeviceReport, real_backend: BackendFactory | None) -> list[Place]:
    """One Place per storage of the phone ``report`` names, with the folders and ``.vcf``
    files below it (hidden ones left out). A virtual phone's specs can name its first
    storage only, so only that one is offered. Raises StoreUnavailable when the phone
    cannot be opened now."""
    if is_virtual(report):
        backend: MtpBackend = VirtualBackend(report.location)
    elif real_backend is None:
        raise StoreUnavailable("Phones over USB are not used here.")
    else:
        try:
            backend = real_backend()
        except (ImportError, MtpError) as err:
            raise StoreUnavailable(f"Phones over USB cannot be used: {err}") from err
    try:
        return _places(backend, report)
    except MtpError as err:
        raise StoreUnavailable(f"{report.name} cannot be looked at: {err}") from err
    finally:
        release(backend)


def _places(backend: MtpBackend, report: DeviceReport) -> list[Place]:
    found = [raw for raw in backend.detect() if raw.location == report.location]
    if not found:
        raise StoreUnavailable(f"{report.name} is not connected any more.")
    device = backend.open(found[0])
    try:
        if report.serial and device.info.serial and device.info.serial != report.serial:
            raise StoreUnavailable(f"Another phone is now where {report.name} was.")
        storages = list(device.storages())
        if not storages:
            raise StoreUnavailable(
                "The phone shows no storage: unlock it and allow access to its data."
            )
        virtual = is_virtual(report)
        if virtual:
            storages = storages[:1]
        name = device.info.serial or "first"
        out = []
        for s in storages:
            storage = str(s.id) if "/" in storage_name(s) else storage_name(s)
            where = _Where(virtual, report.location if virtual else name, storage)
            children, _cards = _children(device, s.id, ROOT, "", where, DEPTH)
            out.append(Place(storage_name(s), where.spec(""), "folder", None, children))
        return out
    finally:
        try:
            device.close()
        except MtpError as err:
            log.debug("closing %s: %s", report.name, err)


@dataclass(frozen=True, slots=True)
class _Where:
    virtual: bool
    device: str
    storage: str

    def spec(self, path: str) -> str:
        return Location(self.virtual, self.device, self.storage, path).spec


def _children(
    device: MtpDevice, storage: int, parent: int, path: str, where: _Where, depth: int
) -> tuple[tuple[Place, ...], int]:
    """The folders and ``.vcf`` files in ``parent``, and how many cards it holds as a folder
    of cards. The cards of a folder of cards (named Contacts, or holding more than
    :data:`FEW_FILES`) are counted, not listed one by one."""
    objects = _visible(device.list_folder(storage, parent))
    files = [o for o in objects if not o.is_folder]
    cards_folder = bool(path) and (
        path.rsplit("/", 1)[-1].lower() == "contacts" or len(files) > FEW_FILES
    )
    out: list[Place] = []
    for o in sorted(objects, key=lambda o: (not o.is_folder, o.name.lower())):
        inner = f"{path}/{o.name}" if path else o.name
        if not o.is_folder:
            if not cards_folder:
                out.append(Place(o.name, where.spec(inner), "file"))
            continue
        children: tuple[Place, ...] = ()
        cards = None
        if depth > 0:
            children, cards = _children(device, storage, o.id, inner, where, depth - 1)
        out.append(Place(o.name, where.spec(inner), "folder", cards, children))
    return tuple(out), len(files)


def _visible(objects: Sequence[ObjectInfo]) -> list[ObjectInfo]:
    """Folders and ``.vcf`` files; hidden ones (our own sync state) left out."""
    return [
        o
        for o in objects
        if not o.name.startswith(".") and (o.is_folder or o.name.lower().endswith(".vcf"))
    ]

"""Where a store is on a phone: parsing ``mtp:``/``virtual:`` locations, finding the device,
the storage and the folder or ``.vcf`` file, with messages that say what to do."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from syncgui.engine.errors import StoreUnavailable
from syncgui.providers.mtp.backend import (
    ROOT,
    MtpBackend,
    MtpDevice,
    MtpError,
    ObjectInfo,
    RawDevice,
    StorageInfo,
)
from syncgui.providers.mtp.hints import ANDROID_HINT, CONNECT_HINT


@dataclass(frozen=True, slots=True)
class Location:
    """A store on a phone. ``device`` is a serial number, ``first``, or for the virtual
    phone its folder; ``storage`` a description or numeric id ("" = the first storage);
    ``path`` a folder of cards or a ``.vcf`` file ("" = look for one)."""

    virtual: bool
    device: str
    storage: str
    path: str

    @property
    def spec(self) -> str:
        if self.virtual:
            return f"virtual:{self.device}" + (f"#{self.path}" if self.path else "")
        return f"mtp:{self.device}/{self.storage}/{self.path.lstrip('/')}"


def parse_mtp(location: str) -> Location:
    """``DEVICE/STORAGE/PATH`` (PATH may be empty: a contacts folder or file is looked for)."""
    parts = location.split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise StoreUnavailable(
            f"mtp:{location} is not a phone location; write mtp:DEVICE/STORAGE/PATH, e.g. "
            "mtp:first/Internal shared storage/Contacts (`syncgui-cli devices` lists them)"
        )
    path = parts[2] if len(parts) == 3 else ""
    return Location(False, parts[0], parts[1], _norm(path))


def parse_virtual(location: str) -> Location:
    """``ROOT[#PATH]``: the virtual phone's folder and, optionally, the path on it."""
    root, _, path = location.partition("#")
    if not root:
        raise StoreUnavailable("virtual: needs the folder of the virtual phone")
    root = os.path.abspath(os.path.expanduser(root))
    return Location(True, root, "", _norm(path))


def _norm(path: str) -> str:
    parts = [p for p in path.replace("\\", "/").split("/") if p and p != "."]
    if ".." in parts:
        raise StoreUnavailable(f"{path}: a path on the phone cannot contain '..'")
    return "/".join(parts)


# -- finding the device and the storage --------------------------------------------------


def open_device(backend: MtpBackend, where: Location) -> MtpDevice:
    """Open the device ``where`` names; StoreUnavailable says what to do if it cannot."""
    try:
        found = list(backend.detect())
    except MtpError as err:
        raise StoreUnavailable(f"Phones cannot be looked for: {err}") from err
    if not found:
        raise StoreUnavailable(f"No phone is connected. {CONNECT_HINT}")
    wanted = where.device
    if where.virtual or wanted.lower() == "first":
        return _open(backend, found[0])
    seen = []
    for raw in found:
        try:
            device = _open(backend, raw)
        except StoreUnavailable:
            continue
        if device.info.serial == wanted:
            return device
        seen.append(f"{device.info.model} ({device.info.serial})")
        device.close()
    others = f" Connected: {', '.join(seen)}." if seen else ""
    raise StoreUnavailable(f"The phone with serial number {wanted} is not connected.{others}")


def _open(backend: MtpBackend, raw: RawDevice) -> MtpDevice:
    try:
        return backend.open(raw)
    except MtpError as err:
        raise StoreUnavailable(f"The phone cannot be opened: {err}") from err


def choose_storage(device: MtpDevice, wanted: str) -> StorageInfo:
    try:
        storages = list(device.storages())
    except MtpError as err:
        raise StoreUnavailable(f"The phone's storages cannot be read: {err}") from err
    if not storages:
        raise StoreUnavailable(
            "The phone shows no storage: unlock it and allow access to its data "
            "(tap “Allow” on the phone), then sync again."
        )
    if not wanted:
        return storages[0]
    for s in storages:
        if s.description.lower() == wanted.lower() or _as_id(wanted) == s.id:
            return s
    names = ", ".join(f"“{s.description}” ({s.id:#x})" for s in storages)
    raise StoreUnavailable(f"The phone has no storage “{wanted}”; it has {names}.")


def _as_id(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


# -- finding the folder or file ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """The resolved store: its parent folder's id and the object itself, if it exists."""

    path: str
    parent: int
    found: ObjectInfo | None

    @property
    def is_file(self) -> bool:
        return self.path.lower().endswith(".vcf")


def find(device: MtpDevice, storage: int, path: str) -> Target:
    """Walk ``path`` from the top of ``storage``; every folder but the last must exist."""
    parent = ROOT
    parts = path.split("/")
    for i, part in enumerate(parts):
        match = _child(device, storage, parent, part)
        last = i == len(parts) - 1
        if last:
            return Target(path, parent, match)
        if match is None or not match.is_folder:
            shown = "/".join(parts[: i + 1])
            raise StoreUnavailable(
                f"The folder /{shown} does not exist on the phone. {ANDROID_HINT}"
            )
        parent = match.id
    raise AssertionError("unreachable")


def _child(device: MtpDevice, storage: int, parent: int, name: str) -> ObjectInfo | None:
    children = _list(device, storage, parent)
    exact = [c for c in children if c.name == name]
    loose = [c for c in children if c.name.lower() == name.lower()]
    both = exact or loose
    return both[0] if both else None


def discover(device: MtpDevice, storage: int) -> str:
    """The contacts on a phone when no path was given: a ``Contacts`` folder, else the one
    ``.vcf`` file at the top or in ``Download``."""
    top = _list(device, storage, ROOT)
    for o in top:
        if o.is_folder and o.name.lower() == "contacts":
            return o.name
    files = [o.name for o in top if _is_card_file(o)]
    for o in top:
        if o.is_folder and o.name.lower() == "download":
            files += [
                f"{o.name}/{c.name}" for c in _list(device, storage, o.id) if _is_card_file(c)
            ]
    if len(files) == 1:
        return files[0]
    if files:
        raise StoreUnavailable(
            "The phone holds several .vcf files (" + ", ".join(files) + "); name the one to sync."
        )
    raise StoreUnavailable(f"The phone has no Contacts folder and no .vcf file. {ANDROID_HINT}")


def _list(device: MtpDevice, storage: int, parent: int) -> Sequence[ObjectInfo]:
    try:
        return device.list_folder(storage, parent)
    except MtpError as err:
        raise StoreUnavailable(f"The phone's folders cannot be listed: {err}") from err


def _is_card_file(o: ObjectInfo) -> bool:
    return not o.is_folder and o.name.lower().endswith(".vcf") and not o.name.startswith(".")

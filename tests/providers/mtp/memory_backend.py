"""An in-memory MtpBackend for tests: phones as plain Python objects.

Faithful to :mod:`syncgui.providers.mtp.backend` where tests can tell: object ids are fresh
at every open, a locked phone shows no storages, an unplugged phone raises DeviceGone, a
closed device refuses calls, ``open_error`` makes ``open`` fail like libmtp does.

    phone = MemoryPhone(serial="A1")
    contacts = phone.add_folder("Contacts")
    phone.add_file("ann.vcf", b"BEGIN:VCARD...", parent=contacts)
    backend = MemoryBackend([phone])
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from syncgui.providers.mtp.backend import (
    ROOT,
    DeviceGone,
    DeviceInfo,
    MtpError,
    ObjectInfo,
    ObjectMissing,
    RawDevice,
    StorageFull,
    StorageInfo,
    Unsupported,
)

STORAGE = 0x00010001
_locations = itertools.count(2)


@dataclass(eq=False)
class _Node:
    name: str
    parent: _Node | None
    storage: int
    data: bytes | None  # None: a folder
    mtime: float = field(default_factory=time.time)
    children: list[_Node] = field(default_factory=list)

    @property
    def is_folder(self) -> bool:
        return self.data is None


@dataclass(eq=False)
class MemoryPhone:
    """One phone: its identity, storages and files, and how it misbehaves."""

    vendor: str = "Google"
    model: str = "Pixel 7"
    serial: str = "MEM0001"
    storages: list[StorageInfo] = field(
        default_factory=lambda: [
            StorageInfo(STORAGE, "Internal shared storage", 64 << 30, 32 << 30)
        ]
    )
    bus: int = 1
    devnum: int = 0  # 0: the next free number
    location: str = ""  # "": "1-<n>"
    locked: bool = False
    plugged: bool = True
    open_error: MtpError | None = None  # raised by MemoryBackend.open
    can_rename: bool = True
    opened: int = 0
    closed: int = 0
    roots: dict[int, _Node] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.devnum:
            self.devnum = next(_locations)
        if not self.location:
            self.location = f"{self.bus}-{self.devnum}"
        for s in self.storages:
            self.roots.setdefault(s.id, _Node("", None, s.id, None))

    @property
    def raw(self) -> RawDevice:
        return RawDevice(
            self.bus, self.devnum, 0x18D1, 0x4EE1, self.vendor, self.model, self.location
        )

    def add_folder(self, name: str, parent: _Node | None = None, storage: int = STORAGE) -> _Node:
        return self._add(name, parent, storage, None)

    def add_file(
        self, name: str, data: bytes, parent: _Node | None = None, storage: int = STORAGE
    ) -> _Node:
        return self._add(name, parent, storage, data)

    def _add(self, name: str, parent: _Node | None, storage: int, data: bytes | None) -> _Node:
        folder = parent or self.roots[storage]
        node = _Node(name, folder, folder.storage, data)
        folder.children.append(node)
        return node


class MemoryBackend:
    """Detects the plugged-in phones of ``phones`` (a list tests may change)."""

    def __init__(self, phones: Sequence[MemoryPhone] = ()) -> None:
        self.phones = list(phones)
        self.detect_error: MtpError | None = None

    def detect(self) -> Sequence[RawDevice]:
        if self.detect_error is not None:
            raise self.detect_error
        return [p.raw for p in self.phones if p.plugged]

    def open(self, raw: RawDevice) -> MemoryDevice:
        for phone in self.phones:
            if phone.location == raw.location and phone.plugged:
                if phone.open_error is not None:
                    raise phone.open_error
                phone.opened += 1
                return MemoryDevice(phone)
        raise DeviceGone(f"{raw.product} is no longer connected")


class MemoryDevice:
    """MtpDevice over a :class:`MemoryPhone`; ids are valid while this stays open."""

    def __init__(self, phone: MemoryPhone) -> None:
        self.phone = phone
        self._ids: dict[int, _Node] = {}
        self._next = itertools.count(0x1000)
        self._open = True

    @property
    def info(self) -> DeviceInfo:
        return DeviceInfo(self.phone.vendor, self.phone.model, self.phone.serial)

    def storages(self) -> Sequence[StorageInfo]:
        self._check()
        if self.phone.locked:
            return []
        return list(self.phone.storages)

    def list_folder(self, storage: int, parent: int) -> Sequence[ObjectInfo]:
        folder = self._folder(storage, parent)
        return [self._info(child, storage, parent) for child in folder.children]

    def download(self, object_id: int) -> bytes:
        node = self._node(object_id)
        if node.data is None:
            raise MtpError(f"{node.name} is a folder")
        return node.data

    def upload(self, storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
        folder = self._folder(storage, parent)
        info = next(s for s in self.phone.storages if s.id == storage)
        if len(data) > info.free:
            raise StorageFull(f"no room for {name}")
        if any(c.name == name for c in folder.children):
            raise MtpError(f"an object named {name} already exists")
        node = _Node(name, folder, storage, data)
        folder.children.append(node)
        return self._info(node, storage, parent)

    def rename(self, object_id: int, name: str) -> None:
        node = self._node(object_id)
        if not self.phone.can_rename:
            raise Unsupported("this phone cannot rename files")
        node.name = name

    def delete(self, object_id: int) -> None:
        node = self._node(object_id)
        assert node.parent is not None
        node.parent.children.remove(node)
        self._ids = {i: n for i, n in self._ids.items() if n is not node}

    def create_folder(self, storage: int, parent: int, name: str) -> int:
        folder = self._folder(storage, parent)
        node = _Node(name, folder, storage, None)
        folder.children.append(node)
        return self._info(node, storage, parent).id

    def close(self) -> None:
        if self._open:
            self._open = False
            self.phone.closed += 1

    # -- helpers --------------------------------------------------------------------------

    def _check(self) -> None:
        if not self.phone.plugged:
            raise DeviceGone(f"{self.phone.model} was unplugged")
        if not self._open:
            raise MtpError("the device is closed")

    def _folder(self, storage: int, parent: int) -> _Node:
        self._check()
        if self.phone.locked or storage not in self.phone.roots:
            raise MtpError(f"no storage {storage:#x}")
        if parent == ROOT:
            return self.phone.roots[storage]
        node = self._node(parent)
        if not node.is_folder or node.storage != storage:
            raise ObjectMissing(f"object {parent:#x} is not a folder on storage {storage:#x}")
        return node

    def _node(self, object_id: int) -> _Node:
        self._check()
        node = self._ids.get(object_id)
        if node is None:
            raise ObjectMissing(f"object {object_id:#x} is not on the phone")
        return node

    def _info(self, node: _Node, storage: int, parent: int) -> ObjectInfo:
        known = [i for i, n in self._ids.items() if n is node]
        object_id = known[0] if known else next(self._next)
        self._ids[object_id] = node
        size = 0 if node.data is None else len(node.data)
        return ObjectInfo(object_id, parent, storage, node.name, size, node.mtime, node.is_folder)

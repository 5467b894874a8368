"""Backends for the helper-process tests, named by ``module:factory`` specs.

Each factory runs inside the helper process. :func:`memory` is a small in-memory phone;
the others misbehave on one command: they segfault, hang, exit, print to stdout, or fail
unexpectedly.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from syncgui.providers.mtp.backend import (
    ROOT,
    DeviceBusy,
    DeviceGone,
    DeviceInfo,
    MtpError,
    NoPermission,
    ObjectInfo,
    ObjectMissing,
    RawDevice,
    StorageFull,
    StorageInfo,
    Unsupported,
)

log = logging.getLogger(__name__)

MODULE = __name__
INTERNAL = 0xFFFF0001  # storage ids and object ids above 2**31: no signed 32-bit on the way
CARD = 0x00020001  # a read-only storage that is also full
FIRST_ID = 2**32 - 100
PHONE = RawDevice(3, 7, 0x18D1, 0x4EE1, "Google", "Pixel 7 – ünïcødé", "3-1")
BUSY = replace(PHONE, location="busy")
FORBIDDEN = replace(PHONE, location="forbidden")
UNPLUGGED = replace(PHONE, location="unplugged")
INFO = DeviceInfo("Google", "Pixel 7 ✓", "SERIAL-ÄÖÜ-1")


@dataclass
class _Object:
    info: ObjectInfo
    data: bytes


class MemoryDevice:
    def __init__(self) -> None:
        self.objects: dict[int, _Object] = {}
        self.next_id = FIRST_ID

    @property
    def info(self) -> DeviceInfo:
        return INFO

    def storages(self) -> Sequence[StorageInfo]:
        return [
            StorageInfo(INTERNAL, "Internal shared storage", 2**40, 2**39),
            StorageInfo(CARD, "SD card", 2**34, 0, read_only=True),
        ]

    def list_folder(self, storage: int, parent: int) -> Sequence[ObjectInfo]:
        if parent != ROOT and parent not in self.objects:
            raise ObjectMissing(f"folder {parent} is not on the phone")
        return [
            o.info
            for o in self.objects.values()
            if o.info.parent == parent and o.info.storage == storage
        ]

    def download(self, object_id: int) -> bytes:
        return self._get(object_id).data

    def upload(self, storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
        return self._add(storage, parent, name, data).info

    def rename(self, object_id: int, name: str) -> None:
        if name.startswith("!"):
            raise Unsupported("This phone cannot rename files.")
        item = self._get(object_id)
        item.info = replace(item.info, name=name)

    def delete(self, object_id: int) -> None:
        self._get(object_id)
        del self.objects[object_id]

    def create_folder(self, storage: int, parent: int, name: str) -> int:
        return self._add(storage, parent, name, None).info.id

    def close(self) -> None:
        log.info("memory device closed")

    def _get(self, object_id: int) -> _Object:
        try:
            return self.objects[object_id]
        except KeyError:
            raise ObjectMissing(f"object {object_id} is not on the phone") from None

    def _add(self, storage: int, parent: int, name: str, data: bytes | None) -> _Object:
        if storage == CARD:
            raise StorageFull("The SD card is full.")
        if name == "boom":
            raise ValueError("a bug in the backend")
        self.next_id += 1
        info = ObjectInfo(
            self.next_id, parent, storage, name, len(data or b""), 1.7e9 + 0.25, data is None
        )
        self.objects[info.id] = _Object(info, data or b"")
        return self.objects[info.id]


class MemoryBackend:
    def detect(self) -> Sequence[RawDevice]:
        log.warning("detecting from pid %d", os.getpid())
        return [PHONE]

    def open(self, raw: RawDevice) -> MemoryDevice:
        if raw.location == BUSY.location:
            raise DeviceBusy("Another program is using the phone.", "gvfsd-mtp")
        if raw.location == FORBIDDEN.location:
            raise NoPermission("You may not open the phone.")
        if raw.location == UNPLUGGED.location:
            raise DeviceGone("The phone was unplugged.")
        if raw.location != PHONE.location:
            raise MtpError(f"no phone at {raw.location}")
        return MemoryDevice()


def memory() -> MemoryBackend:
    return MemoryBackend()


def about_to(action: str, command: str) -> str:
    """What a misbehaving backend logs (as a warning, which the helper passes on to its
    client's logging) right before it does ``action`` inside ``command``."""
    return f"about to {action} on {command}"


class _Misbehaving(MemoryBackend):
    """Does ``action`` when ``command`` is called on it or on its device."""

    def __init__(self, command: str, action: str) -> None:
        self.command, self.action = command, action

    def detect(self) -> Sequence[RawDevice]:
        self._maybe("detect")
        return super().detect()

    def open(self, raw: RawDevice) -> MemoryDevice:
        self._maybe("open")
        device = super().open(raw)
        original = getattr(device, self.command, None)
        if callable(original):

            def misbehave(*args: object) -> object:
                self._maybe(self.command)
                return original(*args)

            setattr(device, self.command, misbehave)
        return device

    def _maybe(self, command: str) -> None:
        if command != self.command:
            return
        log.warning("%s", about_to(self.action, command))
        if self.action == "segfault":
            ctypes.string_at(0)
        elif self.action == "hang":
            time.sleep(3600)
        elif self.action == "exit":
            os._exit(3)
        elif self.action == "print":
            print("libmtp says hello on stdout")  # noqa: T201 - the point of the test
            sys.stdout.flush()
            os.write(1, b"\x00\x00\x00\x05raw garbage written to fd 1\n")
            libc = ctypes.CDLL(None)
            libc.puts(b"a C library printing to stdout")
            libc.fflush(None)


def segfault_on_download() -> MemoryBackend:
    return _Misbehaving("download", "segfault")


def hang_on_list_folder() -> MemoryBackend:
    return _Misbehaving("list_folder", "hang")


def exit_on_delete() -> MemoryBackend:
    return _Misbehaving("delete", "exit")


def print_on_detect() -> MemoryBackend:
    return _Misbehaving("detect", "print")


def segfault_on_open() -> MemoryBackend:
    return _Misbehaving("open", "segfault")


def broken_factory() -> MemoryBackend:
    raise OSError("libmtp.so.9: cannot open shared object file")

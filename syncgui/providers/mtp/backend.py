"""What the MTP provider needs from a device, whoever talks to it.

Three implementations sit behind these protocols: libmtp over USB (``native.libmtp_backend``),
the built-in virtual device, a folder that behaves as a phone (``virtual``), and the client of
the helper process that owns the USB device (``helper.remote``). The provider never knows
which.

Object ids are only valid while a device is open (as on MTP, where handles may change at
every connection): the provider keys items by their path, never by an object id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

ROOT = 0  # parent id of objects at the top of a storage, as on MTP


@dataclass(frozen=True, slots=True)
class RawDevice:
    """A device found on the bus, before it is opened (cheap to list)."""

    bus: int
    devnum: int
    vendor_id: int
    product_id: int
    vendor: str
    product: str
    # Where the backend finds it again: a USB location ("1-4") or the virtual device's folder.
    location: str


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """An opened device: what the user recognises it by."""

    vendor: str
    model: str
    serial: str


@dataclass(frozen=True, slots=True)
class StorageInfo:
    id: int
    description: str
    capacity: int
    free: int
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """A file or folder on a storage. ``mtime`` is seconds since the epoch, 0 if unknown."""

    id: int
    parent: int
    storage: int
    name: str
    size: int
    mtime: float
    is_folder: bool


class MtpError(Exception):
    """A device operation failed. ``str(err)`` says what to do, in the user's words."""


class DeviceGone(MtpError):
    """The device was unplugged, or stopped responding (its helper process was stopped)."""


class DeviceBusy(MtpError):
    """Another program holds the device; ``holder`` names it when it could be found."""

    def __init__(self, message: str, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class NoPermission(MtpError):
    """The operating system does not let this user open the device."""


class ObjectMissing(MtpError):
    """The object id is not (or no longer) on the device."""


class StorageFull(MtpError):
    """The storage has no room for the object."""


class Unsupported(MtpError):
    """The device does not implement the operation (e.g. renaming on some devices)."""


class MtpDevice(Protocol):
    """One opened device. All calls for a device happen on one thread."""

    @property
    def info(self) -> DeviceInfo: ...

    def storages(self) -> Sequence[StorageInfo]:
        """Visible storages; none while an Android phone is locked."""
        ...

    def list_folder(self, storage: int, parent: int) -> Sequence[ObjectInfo]:
        """The files and folders directly inside ``parent`` (``ROOT`` for the top)."""
        ...

    def download(self, object_id: int) -> bytes: ...

    def upload(self, storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
        """Create a new file; returns it as the device now lists it."""
        ...

    def rename(self, object_id: int, name: str) -> None:
        """Raises :class:`Unsupported` on devices that cannot rename."""
        ...

    def delete(self, object_id: int) -> None: ...

    def create_folder(self, storage: int, parent: int, name: str) -> int:
        """Create a folder; returns its object id."""
        ...

    def close(self) -> None: ...


class MtpBackend(Protocol):
    """Finds and opens devices."""

    def detect(self) -> Sequence[RawDevice]:
        """Devices on the bus now; raises :class:`MtpError` only if detection itself failed."""
        ...

    def open(self, raw: RawDevice) -> MtpDevice:
        """Open ``raw`` (uncached). Raises DeviceBusy, NoPermission or DeviceGone."""
        ...

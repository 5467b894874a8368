"""An opened phone as one store sees it: device, storage and place, with device errors
turned into the engine's (a vanished phone ends the session; an item error names the item)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

from syncgui.engine.errors import ItemRejected, ItemVanished, StoreUnavailable
from syncgui.providers.mtp.backend import (
    DeviceGone,
    MtpDevice,
    MtpError,
    ObjectInfo,
    ObjectMissing,
    StorageFull,
    StorageInfo,
)
from syncgui.providers.mtp.location import Target

P = ParamSpec("P")
T = TypeVar("T")


class Connection:
    """An opened phone, its storage and the store's place on it; errors in user words."""

    def __init__(self, device: MtpDevice, storage: StorageInfo, target: Target, label: str) -> None:
        self.device = device
        self.storage = storage
        self.target = target
        self.label = label

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a device operation; a vanished device ends the session."""
        try:
            return fn(*args, **kwargs)
        except DeviceGone as err:
            raise StoreUnavailable(
                f"{self.label}: {err}. Reconnect the phone and sync again; nothing was lost."
            ) from err

    def item_call(self, item: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A per-item operation: item errors name the item, the session goes on."""
        try:
            return self.call(fn, *args, **kwargs)
        except ObjectMissing as err:
            raise ItemVanished(f"{item}: no longer on the phone", item=item) from err
        except StorageFull as err:
            raise ItemRejected(f"{item}: the phone's storage is full", item=item) from err
        except MtpError as err:
            raise ItemRejected(f"{item}: {err}", item=item) from err

    def upload(self, parent: int, name: str, data: bytes) -> ObjectInfo:
        return self.item_call(name, self.device.upload, self.storage.id, parent, name, data)

    def list(self, parent: int) -> Sequence[ObjectInfo]:
        try:
            return self.call(self.device.list_folder, self.storage.id, parent)
        except MtpError as err:
            raise StoreUnavailable(f"{self.label}: cannot be listed: {err}") from err


def stamp_of(o: ObjectInfo) -> str:
    return f"{o.size}:{int(o.mtime)}"


def digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()

"""An opened phone as one store sees it: device, storage and place, with device errors
turned into the engine's (a vanished phone ends the session; an item error names the item)."""

from __future__ import annotations

import time
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
from syncgui.providers.mtp.phone.location import Target

SETTLE_SECONDS = 1.05
P = ParamSpec("P")
T = TypeVar("T")


class Connection:
    """An opened phone, its storage and the store's place on it; errors in user words."""

    def __init__(self, device: MtpDevice, storage: StorageInfo, target: Target, label: str) -> None:
        self.device = device
        self.storage = storage
        self.target = target
        self.label = label
        self.last_upload: tuple[float, float] | None = None  # (monotonic time, its mtime)

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
        o = self.item_call(name, self.device.upload, self.storage.id, parent, name, data)
        self.last_upload = (time.monotonic(), o.mtime)
        return o

    def settle(self) -> None:
        """Before letting the phone go: wait until its clock has left the second of our last
        write. Phones date files in whole seconds, so a same-size edit made in that second
        would keep the stamp recorded for our write and go unnoticed (a "racy" stamp)."""
        if self.last_upload is None:
            return
        written_at, mtime = self.last_upload
        if float(mtime).is_integer():  # whole seconds: the phone's clock resolution
            time.sleep(max(0.0, written_at + SETTLE_SECONDS - time.monotonic()))
        self.last_upload = None

    def list(self, parent: int) -> Sequence[ObjectInfo]:
        try:
            return self.call(self.device.list_folder, self.storage.id, parent)
        except MtpError as err:
            raise StoreUnavailable(f"{self.label}: cannot be listed: {err}") from err


def stamp_of(o: ObjectInfo) -> str:
    return f"{o.size}:{o.mtime!r}"

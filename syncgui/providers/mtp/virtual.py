"""The built-in virtual device: a folder on this computer that behaves as an MTP phone.

It implements the same backend protocols as libmtp (storages, object ids, folder listing,
upload and download), so the MTP provider runs unchanged on top of it: the demo profile and
the fast tests need no hardware. The folder missing means the phone is unplugged.

Layout: by default the folder is the phone's one storage, "Internal shared storage". An
optional ``.syncgui-virtual.json`` at its top describes the phone instead::

    {"vendor": "...", "model": "...", "serial": "...", "locked": false,
     "storages": [{"id": 65537, "description": "Internal shared storage", "folder": ".",
                   "read_only": false}]}

Object ids, as on a real phone, are only valid while the device is open; uploads are not
atomic (an interrupted upload leaves a partial file, as on a phone).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from syncgui.providers.mtp.backend import (
    ROOT,
    DeviceGone,
    DeviceInfo,
    MtpError,
    ObjectInfo,
    ObjectMissing,
    RawDevice,
    StorageInfo,
)

CONFIG_NAME = ".syncgui-virtual.json"
VENDOR_ID = 0x1D6B  # Linux Foundation: never a real phone
PRODUCT_ID = 0x0104
FIRST_ID = 0x7FFFFFF0  # ids cross 2**31 early, as on phones, so sign bugs show up in tests


@dataclass(frozen=True, slots=True)
class _Storage:
    info: StorageInfo
    folder: Path


class VirtualBackend:
    """MtpBackend for one virtual phone rooted at ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()

    def __repr__(self) -> str:
        return f"VirtualBackend({str(self.root)!r})"

    def detect(self) -> Sequence[RawDevice]:
        if not self.root.is_dir():
            return []
        return [RawDevice(0, 0, VENDOR_ID, PRODUCT_ID, "syncgui", "Virtual phone", str(self.root))]

    def open(self, raw: RawDevice) -> VirtualDevice:
        if raw.location != str(self.root) or not self.root.is_dir():
            raise DeviceGone(f"the virtual phone {self.root} is not there")
        return VirtualDevice(self.root)


def _config(root: Path) -> dict[str, object]:
    path = root / CONFIG_NAME
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise MtpError(f"{path} is not a valid virtual phone description: {err}") from err
    if not isinstance(loaded, dict):
        raise MtpError(f"{path} is not a valid virtual phone description")
    return loaded


class VirtualDevice:
    """MtpDevice over a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        conf = _config(root)
        digest = hashlib.sha1(str(root).encode("utf-8")).hexdigest()[:12].upper()
        self._info = DeviceInfo(
            str(conf.get("vendor", "syncgui")),
            str(conf.get("model", "Virtual phone")),
            str(conf.get("serial", f"VIRTUAL-{digest}")),
        )
        self._locked = bool(conf.get("locked", False))
        self._storages = self._read_storages(conf)
        self._paths: dict[int, tuple[int, Path]] = {}  # id -> (storage, path)
        self._ids: dict[Path, int] = {}
        self._next = FIRST_ID
        self._open = True

    def _read_storages(self, conf: dict[str, object]) -> list[_Storage]:
        described = conf.get("storages")
        if not isinstance(described, list):
            described = [{"id": 0x00010001, "description": "Internal shared storage"}]
        out = []
        for i, item in enumerate(described):
            if not isinstance(item, dict):
                raise MtpError(f"{self.root / CONFIG_NAME}: storage {i + 1} is not an object")
            folder = (self.root / str(item.get("folder", "."))).resolve()
            info = StorageInfo(
                int(item.get("id", 0x00010001 + i)),
                str(item.get("description", f"Storage {i + 1}")),
                0,
                0,
                bool(item.get("read_only", False)),
            )
            out.append(_Storage(info, folder))
        return out

    # -- MtpDevice ------------------------------------------------------------------------

    @property
    def info(self) -> DeviceInfo:
        return self._info

    def storages(self) -> Sequence[StorageInfo]:
        self._check()
        if self._locked:
            return []
        out = []
        for s in self._storages:
            try:
                usage = shutil.disk_usage(s.folder)
            except OSError:
                continue
            i = s.info
            out.append(StorageInfo(i.id, i.description, usage.total, usage.free, i.read_only))
        return out

    def list_folder(self, storage: int, parent: int) -> Sequence[ObjectInfo]:
        folder = self._folder(storage, parent)
        out = []
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except FileNotFoundError as err:
            raise ObjectMissing(f"the folder {folder.name} is gone") from err
        except OSError as err:
            raise MtpError(f"the folder {folder.name} cannot be listed: {err}") from err
        for entry in entries:
            if parent == ROOT and entry.name == CONFIG_NAME:
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            path = Path(entry.path)
            out.append(self._object(storage, parent, path, st))
        return out

    def download(self, object_id: int) -> bytes:
        _storage, path = self._path(object_id)
        try:
            return path.read_bytes()
        except FileNotFoundError as err:
            raise ObjectMissing(f"{path.name} is no longer on the phone") from err
        except OSError as err:
            raise MtpError(f"{path.name} cannot be read: {err}") from err

    def upload(self, storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
        folder = self._folder(storage, parent)
        self._check_writable(storage)
        path = folder / _safe_name(name)
        try:
            with open(path, "xb") as out:  # like a phone: written as it arrives, not atomic
                out.write(data)
            st = path.stat()
        except FileExistsError as err:
            raise MtpError(f"an object named {name} already exists") from err
        except OSError as err:
            raise MtpError(f"{name} could not be written: {err}") from err
        return self._object(storage, parent, path, st)

    def rename(self, object_id: int, name: str) -> None:
        storage, path = self._path(object_id)
        self._check_writable(storage)
        target = path.with_name(_safe_name(name))
        if target.exists():
            raise MtpError(f"an object named {name} already exists")
        try:
            path.rename(target)
        except FileNotFoundError as err:
            raise ObjectMissing(f"{path.name} is no longer on the phone") from err
        self._forget(path)
        self._remember(storage, target, object_id)

    def delete(self, object_id: int) -> None:
        storage, path = self._path(object_id)
        self._check_writable(storage)
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError as err:
            raise ObjectMissing(f"{path.name} is no longer on the phone") from err
        except OSError as err:
            raise MtpError(f"{path.name} could not be deleted: {err}") from err
        self._forget(path)

    def create_folder(self, storage: int, parent: int, name: str) -> int:
        folder = self._folder(storage, parent)
        self._check_writable(storage)
        path = folder / _safe_name(name)
        try:
            path.mkdir()
        except FileExistsError as err:
            raise MtpError(f"an object named {name} already exists") from err
        except OSError as err:
            raise MtpError(f"the folder {name} could not be created: {err}") from err
        return self._remember(storage, path)

    def close(self) -> None:
        self._open = False

    # -- helpers --------------------------------------------------------------------------

    def _check(self) -> None:
        if not self._open:
            raise DeviceGone("the virtual phone was closed")
        if not self.root.is_dir():
            raise DeviceGone(f"the virtual phone {self.root} was disconnected")

    def _storage(self, storage: int) -> _Storage:
        self._check()
        for s in self._storages:
            if s.info.id == storage and not self._locked:
                return s
        raise MtpError(f"the phone has no storage {storage:#x}")

    def _check_writable(self, storage: int) -> None:
        if self._storage(storage).info.read_only:
            raise MtpError("the storage is read-only")

    def _folder(self, storage: int, parent: int) -> Path:
        s = self._storage(storage)
        if parent == ROOT:
            return s.folder
        owner, path = self._path(parent)
        if owner != storage or not path.is_dir():
            raise ObjectMissing(f"object {parent:#x} is not a folder on storage {storage:#x}")
        return path

    def _path(self, object_id: int) -> tuple[int, Path]:
        self._check()
        found = self._paths.get(object_id)
        if found is None:
            raise ObjectMissing(f"object {object_id:#x} is not on the phone")
        return found

    def _object(self, storage: int, parent: int, path: Path, st: os.stat_result) -> ObjectInfo:
        is_folder = path.is_dir()
        return ObjectInfo(
            self._remember(storage, path),
            parent,
            storage,
            path.name,
            0 if is_folder else st.st_size,
            st.st_mtime,  # finer than a phone's whole seconds: no racy stamps here
            is_folder,
        )

    def _remember(self, storage: int, path: Path, object_id: int | None = None) -> int:
        known = self._ids.get(path)
        if known is not None and object_id is None:
            return known
        if object_id is None:
            object_id = self._next
            self._next += 1
        self._ids[path] = object_id
        self._paths[object_id] = (storage, path)
        return object_id

    def _forget(self, path: Path) -> None:
        for p in [p for p in self._ids if p == path or path in p.parents]:
            self._paths.pop(self._ids.pop(p), None)


def _safe_name(name: str) -> str:
    if not name or name in {".", ".."} or "/" in name or "\x00" in name:
        raise MtpError(f"{name!r} is not a valid file name on the phone")
    return name

"""The protocol between the device helper process and its client, used by both ends.

On stdin and stdout of the helper, frames of a 4-byte big-endian length and an encoded
:class:`~syncgui.providers.mtp.props.propbag.PropertyBag`. The helper first sends a greeting
(protocol version, pid), then answers each request with one response carrying the request's
id: a result, or the ``ERROR_*`` keys (the class name of an error from
:mod:`syncgui.providers.mtp.backend`, its message and ``holder``). The backend's values
travel as bags with the WPD keys (see :mod:`.keys`), except objects (a listing, an upload's
new object): those travel as one table of columns (:func:`objects_to_table`), a bag per
object being most of a listing's cost on both sides. The helper's log records travel on its
stderr, one per line, each starting with :data:`LOG_MARK`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import IO, Final

from syncgui.providers.mtp.backend import (
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
from syncgui.providers.mtp.helper import keys
from syncgui.providers.mtp.props.columns import (
    ColumnReader,
    pack_count,
    pack_numbers,
    pack_strings,
)
from syncgui.providers.mtp.props.propbag import PropertyBag

PROTOCOL_VERSION: Final = 2  # 2: objects as a table (HELPER_OBJECTS)
MAX_FRAME: Final = 1 << 30
LOG_MARK: Final = "\x1e"  # starts a structured log line: MARK levelno SP name SP json(text)
ERROR_CLASSES: Final[dict[str, type[MtpError]]] = {
    cls.__name__: cls
    for cls in (
        MtpError,
        DeviceGone,
        DeviceBusy,
        NoPermission,
        ObjectMissing,
        StorageFull,
        Unsupported,
    )
}
_HEADER = struct.Struct(">I")


class FrameError(Exception):
    """The byte stream is not a sequence of frames (truncated, or a length beyond limits)."""


# -- framing ----------------------------------------------------------------------------


def frame(payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME:
        raise FrameError(f"a frame of {len(payload)} bytes is over the limit")
    return _HEADER.pack(len(payload)) + payload


def _read_exact(stream: IO[bytes], count: int) -> bytes:
    chunks: list[bytes] = []
    while count:
        chunk = stream.read(count)
        if not chunk:
            break
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's payload; None at a clean end of stream."""
    head = _read_exact(stream, _HEADER.size)
    if not head:
        return None
    if len(head) < _HEADER.size:
        raise FrameError("the stream ended inside a frame header")
    (length,) = _HEADER.unpack(head)
    if length > MAX_FRAME:
        raise FrameError(f"a frame of {length} bytes is over the limit")
    payload = _read_exact(stream, length)
    if len(payload) < length:
        raise FrameError(f"the stream ended inside a frame ({len(payload)} of {length} bytes)")
    return payload


# -- backend.py values as bags ----------------------------------------------------------


def raw_device_to_bag(raw: RawDevice) -> PropertyBag:
    bag = PropertyBag()
    bag.set_uint64(keys.MTP_USB_BUS, raw.bus)
    bag.set_uint64(keys.MTP_USB_DEVNUM, raw.devnum)
    bag.set_uint64(keys.MTP_USB_VENDOR_ID, raw.vendor_id)
    bag.set_uint64(keys.MTP_USB_PRODUCT_ID, raw.product_id)
    bag.set_string(keys.WPD_DEVICE_MANUFACTURER, raw.vendor)
    bag.set_string(keys.WPD_DEVICE_MODEL, raw.product)
    bag.set_string(keys.MTP_LOCATION, raw.location)
    return bag


def raw_device_from_bag(bag: PropertyBag) -> RawDevice:
    return RawDevice(
        bus=bag.get_uint64(keys.MTP_USB_BUS),
        devnum=bag.get_uint64(keys.MTP_USB_DEVNUM),
        vendor_id=bag.get_uint64(keys.MTP_USB_VENDOR_ID),
        product_id=bag.get_uint64(keys.MTP_USB_PRODUCT_ID),
        vendor=bag.get_string(keys.WPD_DEVICE_MANUFACTURER),
        product=bag.get_string(keys.WPD_DEVICE_MODEL),
        location=bag.get_string(keys.MTP_LOCATION),
    )


def device_info_to_bag(info: DeviceInfo) -> PropertyBag:
    bag = PropertyBag()
    bag.set_string(keys.WPD_DEVICE_MANUFACTURER, info.vendor)
    bag.set_string(keys.WPD_DEVICE_MODEL, info.model)
    bag.set_string(keys.WPD_DEVICE_SERIAL_NUMBER, info.serial)
    return bag


def device_info_from_bag(bag: PropertyBag) -> DeviceInfo:
    return DeviceInfo(
        vendor=bag.get_string(keys.WPD_DEVICE_MANUFACTURER),
        model=bag.get_string(keys.WPD_DEVICE_MODEL),
        serial=bag.get_string(keys.WPD_DEVICE_SERIAL_NUMBER),
    )


def storage_to_bag(storage: StorageInfo) -> PropertyBag:
    bag = PropertyBag()
    bag.set_uint64(keys.MTP_STORAGE_ID, storage.id)
    bag.set_string(keys.WPD_STORAGE_DESCRIPTION, storage.description)
    bag.set_uint64(keys.WPD_STORAGE_CAPACITY, storage.capacity)
    bag.set_uint64(keys.WPD_STORAGE_FREE_SPACE_IN_BYTES, storage.free)
    access = (
        keys.WPD_STORAGE_ACCESS_CAPABILITY_READ_ONLY_WITHOUT_OBJECT_DELETION
        if storage.read_only
        else keys.WPD_STORAGE_ACCESS_CAPABILITY_READWRITE
    )
    bag.set_uint32(keys.WPD_STORAGE_ACCESS_CAPABILITY, access)
    return bag


def storage_from_bag(bag: PropertyBag) -> StorageInfo:
    access = bag.get_uint32(keys.WPD_STORAGE_ACCESS_CAPABILITY, 0)
    return StorageInfo(
        id=bag.get_uint64(keys.MTP_STORAGE_ID),
        description=bag.get_string(keys.WPD_STORAGE_DESCRIPTION),
        capacity=bag.get_uint64(keys.WPD_STORAGE_CAPACITY),
        free=bag.get_uint64(keys.WPD_STORAGE_FREE_SPACE_IN_BYTES),
        read_only=access != keys.WPD_STORAGE_ACCESS_CAPABILITY_READWRITE,
    )


def objects_to_table(infos: Sequence[ObjectInfo]) -> bytes:
    """``infos`` as columns: count, then id, parent, storage, size (u64 each), mtime (f64),
    is_folder (a byte, 0 or 1) and name (text); see :mod:`~syncgui.providers.mtp.props.columns`."""
    return b"".join(
        [
            pack_count(len(infos)),
            pack_numbers("Q", [i.id for i in infos]),
            pack_numbers("Q", [i.parent for i in infos]),
            pack_numbers("Q", [i.storage for i in infos]),
            pack_numbers("Q", [i.size for i in infos]),
            pack_numbers("d", [i.mtime for i in infos]),
            bytes(1 if i.is_folder else 0 for i in infos),
            pack_strings([i.name for i in infos]),
        ]
    )


def objects_from_table(data: bytes) -> list[ObjectInfo]:
    """The objects :func:`objects_to_table` packed; ``ValueError`` (or ``struct.error``)
    if ``data`` is not exactly such a table."""
    reader = ColumnReader(data)
    count = reader.count()
    ids, parents = reader.ints("Q", count), reader.ints("Q", count)
    storages, sizes = reader.ints("Q", count), reader.ints("Q", count)
    mtimes = reader.floats(count)
    folders = reader.take(count)
    if folders and max(folders) > 1:
        raise ValueError("a folder flag is neither 0 nor 1")
    names = reader.strings(count)
    reader.end()
    return [
        ObjectInfo(*fields)
        for fields in zip(
            ids, parents, storages, names, sizes, mtimes, map(bool, folders), strict=True
        )
    ]


def error_to_bag(error: BaseException, bag: PropertyBag) -> None:
    """Put ``error``'s kind (class name), message and holder into ``bag``."""
    bag.set_string(keys.ERROR_KIND, type(error).__name__)
    bag.set_string(keys.ERROR_MESSAGE, str(error))
    holder = getattr(error, "holder", None)
    if isinstance(holder, str):
        bag.set_string(keys.ERROR_HOLDER, holder)


def error_from_bag(bag: PropertyBag) -> MtpError:
    """The backend.py error a response carries; an error of another kind (a bug in a
    backend) becomes a plain :class:`MtpError` that names it."""
    kind = bag.get_string(keys.ERROR_KIND)
    message = bag.get_string(keys.ERROR_MESSAGE, "")
    cls = ERROR_CLASSES.get(kind)
    if cls is DeviceBusy:
        return DeviceBusy(message, bag.get_string(keys.ERROR_HOLDER, None))
    if cls is not None:
        return cls(message)
    return MtpError(f"The device helper failed ({kind}: {message}).")

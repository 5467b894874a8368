"""The helper process that owns the MTP device, and the protocol it speaks.

Run as ``python -m syncgui.providers.mtp.helper --backend SPEC``; :mod:`.remote` starts it.
A libmtp crash or hang then kills only this process: the client notices, ends the session
with :class:`~.backend.DeviceGone`, and nothing is lost.

Protocol: on stdin and stdout, frames of a 4-byte big-endian length and an encoded
:class:`~.propbag.PropertyBag`. The helper first sends a greeting (protocol version, pid),
then answers each request with one response carrying the request's id: a result, or the
``ERROR_*`` keys (the backend.py class name, its message and ``holder``). Values from
backend.py travel as bags with the WPD keys (see :mod:`.keys`).

Only frames ever go to the real stdout: at start the helper keeps a private copy of it and
points file descriptor 1 at stderr, so that a C library printing to stdout (libmtp does)
cannot corrupt the channel. Logging goes to stderr, one record per line, which the client
forwards to its own logging.

Backend SPECs: ``libmtp``, ``virtual:ROOT`` (a folder that behaves as a phone) or
``module.path:factory`` (any importable callable returning an MtpBackend; tests use it).
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import json
import logging
import os
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, BinaryIO, Final, cast

from syncgui.providers.mtp import keys
from syncgui.providers.mtp.backend import (
    DeviceBusy,
    DeviceGone,
    DeviceInfo,
    MtpBackend,
    MtpDevice,
    MtpError,
    NoPermission,
    ObjectInfo,
    ObjectMissing,
    RawDevice,
    StorageFull,
    StorageInfo,
    Unsupported,
)
from syncgui.providers.mtp.propbag import PropertyBag
from syncgui.providers.mtp.propcodec import CodecError, decode, encode

log = logging.getLogger("syncgui.providers.mtp.helper")  # also when run as __main__

PROTOCOL_VERSION: Final = 1
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


def object_to_bag(info: ObjectInfo) -> PropertyBag:
    bag = PropertyBag()
    bag.set_uint64(keys.MTP_OBJECT_HANDLE, info.id)
    bag.set_uint64(keys.MTP_PARENT_HANDLE, info.parent)
    bag.set_uint64(keys.MTP_STORAGE_ID, info.storage)
    bag.set_string(keys.WPD_OBJECT_NAME, info.name)
    bag.set_uint64(keys.WPD_OBJECT_SIZE, info.size)
    bag.set_date(keys.WPD_OBJECT_DATE_MODIFIED, info.mtime)
    content = keys.WPD_CONTENT_TYPE_FOLDER if info.is_folder else keys.WPD_CONTENT_TYPE_GENERIC_FILE
    bag.set_guid(keys.WPD_OBJECT_CONTENT_TYPE, content)
    return bag


def object_from_bag(bag: PropertyBag) -> ObjectInfo:
    return ObjectInfo(
        id=bag.get_uint64(keys.MTP_OBJECT_HANDLE),
        parent=bag.get_uint64(keys.MTP_PARENT_HANDLE),
        storage=bag.get_uint64(keys.MTP_STORAGE_ID),
        name=bag.get_string(keys.WPD_OBJECT_NAME),
        size=bag.get_uint64(keys.WPD_OBJECT_SIZE),
        mtime=bag.get_date(keys.WPD_OBJECT_DATE_MODIFIED),
        is_folder=bag.get_guid(keys.WPD_OBJECT_CONTENT_TYPE) == keys.WPD_CONTENT_TYPE_FOLDER,
    )


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


# -- the server -------------------------------------------------------------------------


def load_backend(spec: str) -> MtpBackend:
    """The backend a SPEC names; the modules behind it are imported only now."""
    if spec == "libmtp":
        module = importlib.import_module("syncgui.providers.mtp.libmtp_backend")
        return cast(MtpBackend, module.LibmtpBackend())
    if spec.startswith("virtual:"):
        module = importlib.import_module("syncgui.providers.mtp.virtual")
        return cast(MtpBackend, module.VirtualBackend(Path(spec.removeprefix("virtual:"))))
    module_name, colon, factory_name = spec.partition(":")
    if not colon or not module_name or not factory_name:
        raise ValueError(f"backend spec {spec!r} is not libmtp, virtual:ROOT or module:factory")
    factory = getattr(importlib.import_module(module_name), factory_name)
    return cast(MtpBackend, factory())


class Server:
    """Runs requests against one backend and at most one open device."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._backend: MtpBackend | None = None
        self._device: MtpDevice | None = None
        self._commands: dict[str, Callable[[PropertyBag, PropertyBag], None]] = {
            "ping": lambda request, response: None,
            "detect": self._detect,
            "open": self._open,
            "info": self._info,
            "storages": self._storages,
            "list_folder": self._list_folder,
            "download": self._download,
            "upload": self._upload,
            "rename": self._rename,
            "delete": self._delete,
            "create_folder": self._create_folder,
            "close": self._close,
        }

    def handle(self, request: PropertyBag) -> PropertyBag:
        request_id = request.get_uint64(keys.HELPER_REQUEST_ID, 0)
        command = request.get_string(keys.HELPER_COMMAND, "")
        response = PropertyBag()
        response.set_uint64(keys.HELPER_REQUEST_ID, request_id)
        try:
            handler = self._commands.get(command)
            if handler is None:
                raise MtpError(f"The device helper does not know the command {command!r}.")
            handler(request, response)
        except Exception as exc:
            if isinstance(exc, MtpError):
                log.info("%s failed: %s: %s", command, type(exc).__name__, exc)
            else:
                log.exception("%s failed unexpectedly", command)
            response = PropertyBag()  # drop any partial result
            response.set_uint64(keys.HELPER_REQUEST_ID, request_id)
            error_to_bag(exc, response)
        return response

    def shutdown(self) -> None:
        if self._device is not None:
            device, self._device = self._device, None
            device.close()

    def backend(self) -> MtpBackend:
        if self._backend is None:
            self._backend = load_backend(self.spec)
        return self._backend

    def device(self) -> MtpDevice:
        if self._device is None:
            raise MtpError("No device is open in the device helper.")
        return self._device

    def _detect(self, request: PropertyBag, response: PropertyBag) -> None:
        response.set_bags(keys.HELPER_RESULTS, map(raw_device_to_bag, self.backend().detect()))

    def _open(self, request: PropertyBag, response: PropertyBag) -> None:
        raw = raw_device_from_bag(request.get_bag(keys.HELPER_DEVICE))
        backend = self.backend()
        self.shutdown()
        self._device = backend.open(raw)
        response.set_bag(keys.HELPER_RESULT, device_info_to_bag(self._device.info))

    def _info(self, request: PropertyBag, response: PropertyBag) -> None:
        response.set_bag(keys.HELPER_RESULT, device_info_to_bag(self.device().info))

    def _storages(self, request: PropertyBag, response: PropertyBag) -> None:
        response.set_bags(keys.HELPER_RESULTS, map(storage_to_bag, self.device().storages()))

    def _list_folder(self, request: PropertyBag, response: PropertyBag) -> None:
        listing = self.device().list_folder(
            request.get_uint64(keys.MTP_STORAGE_ID), request.get_uint64(keys.MTP_PARENT_HANDLE)
        )
        response.set_bags(keys.HELPER_RESULTS, map(object_to_bag, listing))

    def _download(self, request: PropertyBag, response: PropertyBag) -> None:
        data = self.device().download(request.get_uint64(keys.MTP_OBJECT_HANDLE))
        response.set_buffer(keys.HELPER_DATA, data)

    def _upload(self, request: PropertyBag, response: PropertyBag) -> None:
        info = self.device().upload(
            request.get_uint64(keys.MTP_STORAGE_ID),
            request.get_uint64(keys.MTP_PARENT_HANDLE),
            request.get_string(keys.WPD_OBJECT_NAME),
            request.get_buffer(keys.HELPER_DATA),
        )
        response.set_bag(keys.HELPER_RESULT, object_to_bag(info))

    def _rename(self, request: PropertyBag, response: PropertyBag) -> None:
        self.device().rename(
            request.get_uint64(keys.MTP_OBJECT_HANDLE), request.get_string(keys.WPD_OBJECT_NAME)
        )

    def _delete(self, request: PropertyBag, response: PropertyBag) -> None:
        self.device().delete(request.get_uint64(keys.MTP_OBJECT_HANDLE))

    def _create_folder(self, request: PropertyBag, response: PropertyBag) -> None:
        folder = self.device().create_folder(
            request.get_uint64(keys.MTP_STORAGE_ID),
            request.get_uint64(keys.MTP_PARENT_HANDLE),
            request.get_string(keys.WPD_OBJECT_NAME),
        )
        response.set_uint64(keys.MTP_OBJECT_HANDLE, folder)

    def _close(self, request: PropertyBag, response: PropertyBag) -> None:
        self.shutdown()


# -- process setup ----------------------------------------------------------------------


class _LineFormatter(logging.Formatter):
    """One line per record, which :mod:`.remote` parses back into a log record."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return f"{LOG_MARK}{record.levelno} {record.name} {json.dumps(text)}"


def _claim_stdio() -> tuple[BinaryIO, BinaryIO]:
    """Private copies of stdin and stdout for frames; fd 1 then points at stderr, fd 0 at
    /dev/null, so native code can neither corrupt nor steal the channel."""
    frames_in = os.fdopen(os.dup(0), "rb")
    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = sys.stderr
    return frames_in, frames_out


def _send(stream: BinaryIO, bag: PropertyBag) -> None:
    stream.write(frame(encode(bag)))
    stream.flush()


def serve(spec: str, frames_in: BinaryIO, frames_out: BinaryIO) -> int:
    """Answer requests until the client closes the channel; the process exit code."""
    hello = PropertyBag()
    hello.set_uint32(keys.HELPER_PROTOCOL, PROTOCOL_VERSION)
    hello.set_uint64(keys.HELPER_PROCESS_ID, os.getpid())
    _send(frames_out, hello)
    server = Server(spec)
    try:
        while True:
            try:
                payload = read_frame(frames_in)
                if payload is None:
                    return 0
                request = decode(payload)
            except (FrameError, CodecError) as exc:
                log.error("the client sent something that is not a request: %s", exc)
                return 3
            _send(frames_out, server.handle(request))
    finally:
        try:
            server.shutdown()
        except Exception:
            log.exception("closing the device failed")


def _watch_parent(parent: int) -> None:
    """Watchdog thread: end this process when the client's process is gone, even while the
    main thread is stuck in a device call (ctypes releases the GIL)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    log.error("the client process %d is gone; the MTP helper stops", parent)
    os._exit(4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m syncgui.providers.mtp.helper")
    parser.add_argument("--backend", required=True, help="libmtp, virtual:ROOT or module:factory")
    parser.add_argument("--log-level", type=int, default=logging.INFO)
    args = parser.parse_args(argv)
    frames_in, frames_out = _claim_stdio()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter())
    logging.basicConfig(level=args.log_level, handlers=[handler], force=True)
    faulthandler.enable()  # a segfault leaves its Python stack in the client's log
    log.debug("MTP helper %d serving backend %s", os.getpid(), args.backend)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        return serve(args.backend, frames_in, frames_out)
    except BrokenPipeError:
        return 0  # the client went away


if __name__ == "__main__":
    sys.exit(main())

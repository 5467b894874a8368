"""The helper process that owns the MTP device: ``python -m syncgui.providers.mtp.helper``.

:mod:`.remote` starts it with ``--backend SPEC``. A libmtp crash or hang then kills only this
process: the client notices, ends the session with
:class:`~syncgui.providers.mtp.backend.DeviceGone`, and nothing is lost. What crosses the
pipes is in :mod:`.protocol`.

Only frames ever go to the real stdout: at start the helper keeps a private copy of it and
points file descriptor 1 at stderr, so that a C library printing to stdout (libmtp does)
cannot corrupt the channel. Logging goes to stderr, one record per line, which the client
forwards to its own logging.

Backend SPECs: ``libmtp``, ``virtual:ROOT`` (a folder that behaves as a phone) or
``module.path:factory`` (any importable callable returning an MtpBackend; tests use it).
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import BinaryIO, cast

from syncgui.providers.mtp.backend import MtpBackend, MtpDevice, MtpError
from syncgui.providers.mtp.helper import keys
from syncgui.providers.mtp.helper.protocol import (
    LOG_MARK,
    PROTOCOL_VERSION,
    FrameError,
    device_info_to_bag,
    error_to_bag,
    frame,
    objects_to_table,
    raw_device_from_bag,
    raw_device_to_bag,
    read_frame,
    storage_to_bag,
)
from syncgui.providers.mtp.props.propbag import PropertyBag
from syncgui.providers.mtp.props.propcodec import CodecError, decode, encode

log = logging.getLogger(__name__)


# -- the server -------------------------------------------------------------------------


def load_backend(spec: str) -> MtpBackend:
    """The backend a SPEC names; the modules behind it are imported only now."""
    if spec == "libmtp":
        module = importlib.import_module("syncgui.providers.mtp.native.libmtp_backend")
        return cast(MtpBackend, module.LibmtpBackend())
    if spec.startswith("virtual:"):
        from pathlib import Path

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
        response.set_buffer(keys.HELPER_OBJECTS, objects_to_table(listing))

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
        response.set_buffer(keys.HELPER_OBJECTS, objects_to_table([info]))

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


USAGE = "usage: python -m syncgui.providers.mtp.helper --backend SPEC [--log-level N]"


def _options(argv: list[str]) -> tuple[str, int] | None:
    """``--backend SPEC`` (libmtp, virtual:ROOT or module:factory) and ``--log-level N``;
    None if ``argv`` is not that. By hand: argparse would add to the helper's start, which
    every phone sync waits for."""
    options = {"--backend": "", "--log-level": str(logging.INFO)}
    if len(argv) % 2 or not set(argv[::2]) <= options.keys():
        return None
    options.update(zip(argv[::2], argv[1::2], strict=True))
    level = options["--log-level"]
    if not options["--backend"] or not level.lstrip("-").isdigit():
        return None
    return options["--backend"], int(level)


def main(argv: list[str] | None = None) -> int:
    options = _options(sys.argv[1:] if argv is None else argv)
    if options is None:
        sys.stderr.write(USAGE + "\n")
        return 2
    spec, level = options
    frames_in, frames_out = _claim_stdio()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    faulthandler.enable()  # a segfault leaves its Python stack in the client's log
    log.debug("MTP helper %d serving backend %s", os.getpid(), spec)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        return serve(spec, frames_in, frames_out)
    except BrokenPipeError:
        return 0  # the client went away

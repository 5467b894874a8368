"""Our own typed ctypes binding of libmtp 1.1 (the part a contacts sync needs).

pymtp, the only binding on PyPI, is unusable on Python 3 (wrong ``LIBMTP_mtpdevice_t``
layout, ``str`` reaching C as ``wchar_t*``, signed object ids, a segfault on every failed
command). This module replaces it; how it avoids those traps:

* Nothing is loaded at import. :func:`load` opens the library on first use, so the MTP
  provider costs nothing on a machine without libmtp and fails there with
  :class:`LibmtpMissing`, which tells the user which package to install.
* The C declarations (constants, enums, every ``Structure`` named after its C type, and the
  :data:`~syncgui.providers.mtp.native.libmtp_types.SIGNATURES` table) are in
  :mod:`syncgui.providers.mtp.native.libmtp_types`.
* Every function is reached only through :class:`Lib`, which sets ``argtypes``/``restype``
  from ``SIGNATURES`` for all of them at load time: text goes to C as UTF-8 ``bytes``, ids
  come back as unsigned 32-bit integers, and strings that libmtp allocates are copied and
  freed with libc ``free()``.
* libmtp reports failures on a per-device error stack. :meth:`Lib.take_errors` reads and
  clears it, always passing the device (``LIBMTP_Dump_Errorstack`` is never called), and
  :func:`classify` turns it into the errors of :mod:`syncgui.providers.mtp.backend`.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from syncgui.providers.mtp.backend import (
    DeviceGone,
    MtpError,
    ObjectMissing,
    StorageFull,
    StorageInfo,
    Unsupported,
)
from syncgui.providers.mtp.native.libmtp_types import (
    HANDLER_RETURN_ERROR,
    HANDLER_RETURN_OK,
    LIBC_SIGNATURES,
    SIGNATURES,
    STORAGE_SORTBY_NOTSORTED,
    DeviceCap,
    ErrorNumber,
    LIBMTP_file_t,
    LIBMTP_raw_device_t,
    MTPDataGetFunc,
    MTPDataPutFunc,
)

if TYPE_CHECKING:
    from syncgui.providers.mtp.native.libmtp_types import DevicePtr, FilePtr

log = logging.getLogger(__name__)

# Tried before ctypes.util.find_library("mtp"), which needs ldconfig or a compiler to answer.
FALLBACK_NAMES: tuple[str, ...] = ("libmtp.so.9", "libmtp.9.dylib")
INSTALL_HINT = (
    "libmtp is not installed: install the libmtp9 package (Debian/Ubuntu), libmtp "
    "(Fedora, Arch, openSUSE) or libmtp from Homebrew (macOS), then try again"
)
# libmtp has no Windows build: phones over USB are not available there at all
WINDOWS_HINT = (
    "phones over USB (MTP) need libmtp, which exists for Linux and macOS only: on Windows, "
    "export the phone's contacts to a .vcf file and sync that file instead"
)


def install_hint(platform: str = sys.platform) -> str:
    """What to do when libmtp cannot be loaded on ``platform``."""
    return WINDOWS_HINT if platform.startswith(("win", "cygwin")) else INSTALL_HINT


_FILE = ctypes.POINTER(LIBMTP_file_t)


class LibmtpMissing(MtpError):
    """libmtp could not be loaded; the message names the package to install."""


@dataclass(frozen=True, slots=True)
class StackedError:
    """A copy of one ``LIBMTP_error_t``; ``ptp_code`` is the PTP response code libmtp put in
    the text (``"PTP Layer error 2009: ..."``), if any."""

    number: int
    text: str

    @property
    def ptp_code(self) -> int | None:
        match = _PTP_CODE.match(self.text)
        return int(match.group(1), 16) if match else None


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A copy of one ``LIBMTP_file_t``, taken before libmtp's node is freed."""

    item_id: int
    parent_id: int
    storage_id: int
    filename: str
    filesize: int
    modificationdate: int
    filetype: int


def text(raw: bytes | None) -> str:
    """libmtp strings are UTF-8 (it converts from the device's UCS-2); never fail on them."""
    return raw.decode("utf-8", errors="replace") if raw else ""


def _address(pointer: Any) -> int:
    return ctypes.cast(pointer, ctypes.c_void_p).value or 0


def _declare(cdll: ctypes.CDLL, table: dict[str, tuple[Any, tuple[Any, ...]]]) -> dict[str, Any]:
    functions: dict[str, Any] = {}
    for name, (restype, argtypes) in table.items():
        function = getattr(cdll, name)  # AttributeError: symbol missing (libmtp too old)
        function.restype = restype
        function.argtypes = argtypes
        functions[name] = function
    return functions


class Lib:
    """The loaded library, every function declared. One per process: see :func:`load`.

    Methods are thin: they convert arguments and copy results, and leave the meaning of a
    failure (read with :meth:`take_errors`) to the caller.
    """

    def __init__(self, mtp: ctypes.CDLL, libc: ctypes.CDLL, name: str) -> None:
        self.name = name
        self.mtp = mtp
        self._fn = _declare(mtp, SIGNATURES)
        self._c = _declare(libc, LIBC_SIGNATURES)

    def function(self, name: str) -> Any:
        """The declared ctypes function ``name`` (for introspection in tests)."""
        return self._fn[name]

    def init(self) -> None:
        self._fn["LIBMTP_Init"]()

    def set_debug(self, level: int) -> None:
        """libmtp's own tracing to stderr (``DEBUG_*`` flags); the env var LIBMTP_DEBUG also
        sets it at load time."""
        self._fn["LIBMTP_Set_Debug"](level)

    def free(self, address: int) -> None:
        self._c["free"](address)

    def detect_raw_devices(self) -> tuple[int, list[LIBMTP_raw_device_t]]:
        """``(error number, copies of the raw devices)``; the C array is freed here."""
        array = ctypes.POINTER(LIBMTP_raw_device_t)()
        count = ctypes.c_int(0)
        number = int(
            self._fn["LIBMTP_Detect_Raw_Devices"](ctypes.byref(array), ctypes.byref(count))
        )
        try:
            if number != ErrorNumber.NONE or not array:
                return number, []
            return number, [
                LIBMTP_raw_device_t.from_buffer_copy(array[i]) for i in range(count.value)
            ]
        finally:
            if array:
                self.free(_address(array))

    def open_raw_device_uncached(self, raw: LIBMTP_raw_device_t) -> DevicePtr | None:
        device: DevicePtr = self._fn["LIBMTP_Open_Raw_Device_Uncached"](ctypes.byref(raw))
        return device if device else None

    def release_device(self, device: DevicePtr) -> None:
        self._fn["LIBMTP_Release_Device"](device)

    def _owned_string(self, name: str, device: DevicePtr) -> str:
        address = self._fn[name](device)
        if not address:
            return ""
        try:
            return text(ctypes.string_at(address))
        finally:
            self.free(address)

    def manufacturer(self, device: DevicePtr) -> str:
        return self._owned_string("LIBMTP_Get_Manufacturername", device)

    def model(self, device: DevicePtr) -> str:
        return self._owned_string("LIBMTP_Get_Modelname", device)

    def serial(self, device: DevicePtr) -> str:
        return self._owned_string("LIBMTP_Get_Serialnumber", device)

    def get_storage(self, device: DevicePtr) -> int:
        """Refresh ``device->storage``: 0 ok, 1 ids only (no sizes), -1 failed or none. In the
        device's order (internal storage first): a sorted list would reorder as space changes."""
        return int(self._fn["LIBMTP_Get_Storage"](device, STORAGE_SORTBY_NOTSORTED))

    def storages(self, device: DevicePtr) -> list[StorageInfo]:
        """Copies of the storage list that the last :meth:`get_storage` built."""
        result = []
        node = device.contents.storage
        while node:
            storage = node.contents
            capacity, free = int(storage.MaxCapacity), int(storage.FreeSpaceInBytes)
            result.append(
                StorageInfo(
                    id=int(storage.id),
                    description=text(storage.StorageDescription) or text(storage.VolumeIdentifier),
                    # (uint64)-1 means "unknown" (no GetStorageInfo); StorageInfo has no such value
                    capacity=0 if capacity == 2**64 - 1 else capacity,
                    free=0 if free == 2**64 - 1 else free,
                    read_only=int(storage.AccessCapability) != 0,
                )
            )
            node = storage.next
        return result

    def supported_filetypes(self, device: DevicePtr) -> list[int] | None:
        """The device's formats that libmtp knows, as :class:`Filetype` values."""
        array = ctypes.POINTER(ctypes.c_uint16)()
        length = ctypes.c_uint16(0)
        status = self._fn["LIBMTP_Get_Supported_Filetypes"](
            device, ctypes.byref(array), ctypes.byref(length)
        )
        try:
            if status != 0:
                return None
            return [int(array[i]) for i in range(length.value)]
        finally:
            if array:
                self.free(_address(array))

    def check_capability(self, device: DevicePtr, capability: DeviceCap) -> bool:
        return bool(self._fn["LIBMTP_Check_Capability"](device, int(capability)))

    def take_errors(self, device: DevicePtr) -> list[StackedError]:
        """Copy the device's error stack, then clear it (so that the next call starts empty)."""
        errors = walk_errors(self._fn["LIBMTP_Get_Errorstack"](device))
        self._fn["LIBMTP_Clear_Errorstack"](device)
        if errors:
            log.debug("libmtp error stack: %s", " | ".join(e.text for e in errors))
        return errors

    def _take_files(self, head: FilePtr) -> list[FileRecord]:
        records, addresses = [], []
        node = head
        while node:  # copy everything first: a pointer field lives inside the node we free
            entry = node.contents
            records.append(
                FileRecord(
                    item_id=int(entry.item_id),
                    parent_id=int(entry.parent_id),
                    storage_id=int(entry.storage_id),
                    filename=text(entry.filename),
                    filesize=int(entry.filesize),
                    modificationdate=int(entry.modificationdate),
                    filetype=int(entry.filetype),
                )
            )
            addresses.append(_address(node))
            node = entry.next
        for address in addresses:
            self._fn["LIBMTP_destroy_file_t"](ctypes.cast(address, _FILE))
        return records

    def files_and_folders(self, device: DevicePtr, storage: int, parent: int) -> list[FileRecord]:
        """The children of ``parent`` (:data:`FILES_AND_FOLDERS_ROOT` for the top). Empty on
        failure too: check :meth:`take_errors`."""
        return self._take_files(self._fn["LIBMTP_Get_Files_And_Folders"](device, storage, parent))

    def file_metadata(self, device: DevicePtr, object_id: int) -> FileRecord | None:
        records = self._take_files(self._fn["LIBMTP_Get_Filemetadata"](device, object_id))
        return records[0] if records else None

    def get_file(self, device: DevicePtr, object_id: int) -> bytes | None:
        """The object's content read into memory; ``None`` on failure (see take_errors)."""
        chunks: list[bytes] = []
        sink = data_sink(chunks)  # referenced until libmtp returns
        function = self._fn["LIBMTP_Get_File_To_Handler"]
        status = function(device, object_id, sink, None, None, None)
        return b"".join(chunks) if status == 0 else None

    def send_file(self, device: DevicePtr, payload: bytes, metadata: LIBMTP_file_t) -> int:
        """Create a file from ``payload``. ``metadata`` is ours (libmtp never frees it); on
        success its ``item_id``, ``parent_id`` and ``storage_id`` are the device's."""
        source = data_source(payload)  # referenced until libmtp returns
        function = self._fn["LIBMTP_Send_File_From_Handler"]
        return int(function(device, source, None, ctypes.byref(metadata), None, None))

    def set_file_name(self, device: DevicePtr, object_id: int, name: str) -> int | None:
        """Rename; ``None`` if the object's metadata could not be read. Set_File_Name frees
        and replaces ``file->filename``, so the struct must be libmtp's own."""
        head: FilePtr = self._fn["LIBMTP_Get_Filemetadata"](device, object_id)
        if not head:
            return None
        try:
            return int(self._fn["LIBMTP_Set_File_Name"](device, head, name.encode("utf-8")))
        finally:
            self._fn["LIBMTP_destroy_file_t"](head)

    def delete_object(self, device: DevicePtr, object_id: int) -> int:
        return int(self._fn["LIBMTP_Delete_Object"](device, object_id))

    def create_folder(self, device: DevicePtr, name: str, parent: int, storage: int) -> int:
        """The new folder's id, 0 on failure."""
        buffer = ctypes.create_string_buffer(name.encode("utf-8"))
        return int(self._fn["LIBMTP_Create_Folder"](device, buffer, parent, storage))


def walk_errors(head: Any) -> list[StackedError]:
    """Copy a ``LIBMTP_error_t`` list (the stack stays libmtp's)."""
    errors = []
    node = head
    while node:
        entry = node.contents
        errors.append(StackedError(int(entry.errornumber), text(entry.error_text)))
        node = entry.next
    return errors


# -- transfers -------------------------------------------------------------------------------
# An exception escaping a ctypes callback is printed and 0 (= OK) is returned to C: the
# callbacks catch everything and answer HANDLER_RETURN_ERROR instead.


def data_sink(chunks: list[bytes]) -> Any:
    """An MTPDataPutFunc that appends what libmtp hands over to ``chunks``."""

    def put(_params: Any, _priv: Any, sendlen: int, data: Any, putlen: Any) -> int:
        try:
            if sendlen:
                chunks.append(ctypes.string_at(data, sendlen))
            putlen[0] = sendlen
            return HANDLER_RETURN_OK
        except Exception:
            log.exception("MTP download: could not take %d bytes", sendlen)
            return HANDLER_RETURN_ERROR

    return MTPDataPutFunc(put)


def data_source(payload: bytes) -> Any:
    """An MTPDataGetFunc that hands ``payload`` to libmtp, as much as it asks for each time."""
    offset = 0

    def get(_params: Any, _priv: Any, wantlen: int, data: Any, gotlen: Any) -> int:
        nonlocal offset
        try:
            count = max(min(wantlen, len(payload) - offset), 0)
            ctypes.memmove(data, payload[offset : offset + count], count)
            offset += count
            gotlen[0] = count
            return HANDLER_RETURN_OK
        except Exception:
            log.exception("MTP upload: could not hand over %d bytes", wantlen)
            return HANDLER_RETURN_ERROR

    return MTPDataGetFunc(get)


# -- errors ----------------------------------------------------------------------------------

_PTP_CODE = re.compile(r"(?:PTP Layer error|Error) ([0-9A-Fa-f]{4}):")
# libusb glue: NoDevice, Timeout, IO; and SessionNotOpen (the device was reset)
_GONE_CODES = frozenset({0x02F9, 0x02FA, 0x02FF, 0x2003})
# The device answered a request that has a data phase with a bare response: it refused it,
# and libmtp 1.1.20 drops the response code (QEMU does this for an unknown object id).
REFUSED_CODES = frozenset({0x02FD, 0x02FE})
_MISSING_CODES = frozenset({0x2009})  # Invalid Object Handle
_FULL_CODES = frozenset({0x200C, 0xA809})  # Store Full, MTP Object Too Large
_UNSUPPORTED_CODES = frozenset({0x2005, 0x2006, 0xA80A})  # Operation/Parameter/Prop unsupported
_READ_ONLY_CODES = frozenset({0x200D, 0x200E, 0x200F})  # write-protected, store RO, denied
_UNAVAILABLE_CODES = frozenset({0x2008, 0x2013})  # invalid storage id, store not available
_BUSY_CODES = frozenset({0x2019})
_GONE_NUMBERS = frozenset({ErrorNumber.USB_LAYER, ErrorNumber.NO_DEVICE_ATTACHED})


def classify(errors: Sequence[StackedError], doing: str) -> MtpError:
    """The backend error for a failed call, from the device's error stack. ``doing`` says
    what failed, e.g. ``"delete object 42"``; libmtp's own text ends the generic message."""
    numbers = {error.number for error in errors}
    codes = {code for error in errors if (code := error.ptp_code) is not None}
    if numbers & _GONE_NUMBERS or codes & _GONE_CODES:
        return DeviceGone("the device was disconnected")
    reason: str | None = None
    kind: Callable[[str], MtpError] = MtpError
    if codes & _MISSING_CODES:
        kind, reason = ObjectMissing, "the file or folder is no longer on the device"
    elif ErrorNumber.STORAGE_FULL in numbers or codes & _FULL_CODES:
        kind, reason = StorageFull, "the device's storage is full: free some space on it"
    elif codes & _UNSUPPORTED_CODES:
        kind, reason = Unsupported, "the device does not support this"
    elif codes & _READ_ONLY_CODES:
        reason = "the device refused to change it (the storage or the file is read-only)"
    elif codes & _UNAVAILABLE_CODES:
        reason = "the storage is not available: unlock the phone and allow file transfer"
    elif codes & _BUSY_CODES:
        reason = "the device is busy: try again in a moment"
    elif codes & REFUSED_CODES:
        reason = "the device refused the request"
    elif ErrorNumber.CANCELLED in numbers:
        reason = "the transfer was cancelled"
    elif errors:
        reason = "; ".join(dict.fromkeys(error.text for error in errors))
    else:
        reason = "libmtp gave no reason"
    return kind(f"could not {doing}: {reason}")


def failure(lib: Lib, device: DevicePtr, doing: str) -> MtpError:
    """Take the device's error stack and turn it into the error to raise."""
    return classify(lib.take_errors(device), doing)


# -- loading ---------------------------------------------------------------------------------

_load_lock = threading.Lock()


def _library_names() -> Iterator[str]:
    """The library's usual names, then what ``ctypes.util.find_library`` finds: that runs
    ldconfig (or a compiler), a process of its own, slow to start on a slow computer."""
    yield from FALLBACK_NAMES
    from ctypes import util

    found = util.find_library("mtp")
    if found and found not in FALLBACK_NAMES:
        yield found


def _libc() -> ctypes.CDLL:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            return ctypes.CDLL("libc.so.6")  # glibc's soname: no ldconfig needed
    from ctypes import util

    return ctypes.CDLL(util.find_library("c"))  # None = the process, libc included


def _open_library() -> Lib:
    problems = []
    for name in _library_names():
        try:
            mtp = ctypes.CDLL(name)
        except OSError as err:
            problems.append(f"{name}: {err}")
            continue
        libc = _libc()
        try:
            return Lib(mtp, libc, name)
        except AttributeError as err:
            raise LibmtpMissing(
                f"the libmtp found ({name}) is too old ({err}): install libmtp 1.1.20 or newer"
            ) from err
    log.info("libmtp not found: %s", "; ".join(problems) or "no candidate library names")
    raise LibmtpMissing(install_hint())


_loaded: list[Lib] = []  # holds the Lib once load() has succeeded


def load() -> Lib:
    """The process's libmtp, opened, declared and initialised (``LIBMTP_Init``, once) on first
    use. Raises :class:`LibmtpMissing`. A failed load is not remembered, so installing libmtp
    and trying again works without a restart."""
    with _load_lock:
        if not _loaded:
            lib = _open_library()
            lib.init()
            log.debug("loaded %s", lib.name)
            _loaded.append(lib)
        return _loaded[0]


def is_loaded() -> bool:
    """Whether :func:`load` has succeeded in this process (without loading anything)."""
    return bool(_loaded)

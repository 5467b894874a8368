"""The MTP backend over USB, through our libmtp binding (:mod:`.libmtp`).

:class:`LibmtpBackend` finds and opens phones; :class:`LibmtpDevice` is one opened phone. They
add to the binding what libmtp leaves to its callers:

* Ids. The protocol's ``ROOT`` (0) is the top of a storage; libmtp lists and creates there
  with parent ``0xFFFFFFFF``, and some devices report ``0xFFFFFFFF`` as the parent of top
  objects. Both are mapped here, so the provider only ever sees ``ROOT``.
* Failures that libmtp does not explain. Opening a device returns NULL with no reason, and a
  lookup of a vanished object leaves no PTP code on the stack. The backend then asks the
  system (is ``/dev/bus/usb/BBB/DDD`` still there, may we open it?) and the device (does it
  still answer?) to tell "unplugged", "no permission", "held by another program" and "no
  longer on the phone" apart, since each asks the user for something different.
* New objects. The id a device answers a creation with is checked against the name (QEMU's
  responder answers with a guess, and aborts on a later upload into a wrong parent); a failed
  upload's partial file is removed; writes to a read-only storage are refused up front.

Nothing here loads libmtp before :meth:`LibmtpBackend.detect` or :meth:`LibmtpBackend.open`.
"""

from __future__ import annotations

import ctypes
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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
    StorageInfo,
    Unsupported,
)
from syncgui.providers.mtp.discovery import usbinfo
from syncgui.providers.mtp.native import libmtp
from syncgui.providers.mtp.native.libmtp import FileRecord, Lib, StackedError
from syncgui.providers.mtp.native.libmtp_types import (
    FILES_AND_FOLDERS_ROOT,
    DeviceCap,
    ErrorNumber,
    Filetype,
    LIBMTP_file_t,
    LIBMTP_raw_device_t,
)

if TYPE_CHECKING:
    from syncgui.providers.mtp.native.libmtp_types import DevicePtr

log = logging.getLogger(__name__)

USB_DEVICE_DIR = Path("/dev/bus/usb")
UDEV_RULE = "packaging/udev/69-syncgui-mtp.rules"
_TOP = FILES_AND_FOLDERS_ROOT
# After creating an object, how long to look for it (QEMU's responder lists a new object only
# when its file monitor has noticed the file, usually a few milliseconds later): first by the
# id the device answered with, after these short pauses (one GetObjectInfo each), ...
_NEW_OBJECT_QUICK = (0.005, 0.01, 0.02, 0.04)
# ... then, and if that id is another object's, also by listing the parent, this often.
_NEW_OBJECT_TRIES = 5
_NEW_OBJECT_WAIT = 0.2
# General (code-less) errors of LIBMTP_Set_File_Name that mean "this device cannot rename".
_CANNOT_RENAME = (
    "could not get property description",
    "property is not settable",
    "support any known way of setting metadata",
)


def usb_node(bus: int, devnum: int) -> Path:
    """The device node libusb opens for a device (Linux)."""
    return USB_DEVICE_DIR / f"{bus:03d}" / f"{devnum:03d}"


def still_attached(bus: int, devnum: int) -> bool | None:
    """Whether the device is still on the bus, by its device node; ``None`` if this system has
    no ``/dev/bus/usb`` to tell. No USB traffic, so it is safe while the device is open."""
    if not USB_DEVICE_DIR.is_dir():
        return None
    return usb_node(bus, devnum).exists()


def choose_filetype(name: str, data: bytes, supported: frozenset[int]) -> Filetype:
    """The MTP format to announce for an upload.

    A vCard is announced as such only to a device that lists the format (some older phones
    file contacts by format, not by name); everything else, and every vCard to a device that
    lists neither vCard format (Android, QEMU), goes as ``UNKNOWN`` (PTP "Undefined"), which
    every device stores as a plain file.
    """
    if not name.lower().endswith(".vcf"):
        return Filetype.UNKNOWN
    version_21 = b"VERSION:2.1" in data[:4096].upper()
    order = (Filetype.VCARD2, Filetype.VCARD3) if version_21 else (Filetype.VCARD3, Filetype.VCARD2)
    return next((kind for kind in order if kind in supported), Filetype.UNKNOWN)


def _parent(parent_id: int) -> int:
    return ROOT if parent_id in (0, _TOP) else parent_id


def _object(record: FileRecord) -> ObjectInfo:
    is_folder = record.filetype == Filetype.FOLDER
    return ObjectInfo(
        id=record.item_id,
        parent=_parent(record.parent_id),
        storage=record.storage_id,
        name=record.filename,
        size=0 if is_folder else record.filesize,
        mtime=float(record.modificationdate),
        is_folder=is_folder,
    )


class LibmtpDevice:
    """One phone opened uncached. Use from one thread; :meth:`close` releases it."""

    def __init__(self, lib: Lib, handle: DevicePtr, raw: RawDevice) -> None:
        self._lib = lib
        self._handle: DevicePtr | None = handle
        self._raw = raw
        self._info = DeviceInfo(
            vendor=lib.manufacturer(handle) or raw.vendor,
            model=lib.model(handle) or raw.product,
            serial=lib.serial(handle),
        )
        self._supported: frozenset[int] | None = None
        leftover = lib.take_errors(handle)  # e.g. "Get Storage information failed" if locked
        if leftover:
            log.debug("opening %s: %s", raw.location, " | ".join(e.text for e in leftover))

    @property
    def info(self) -> DeviceInfo:
        return self._info

    def _device(self) -> DevicePtr:
        if self._handle is None:
            raise MtpError("the connection to the device was closed")
        self._lib.take_errors(self._handle)  # start every call with an empty stack
        return self._handle

    def _gone_or(self, error: MtpError) -> MtpError:
        """``error``, unless the device has left the bus or stopped answering, which libmtp
        cannot always tell from an error of the device itself."""
        attached = still_attached(self._raw.bus, self._raw.devnum)
        if attached is False:
            return DeviceGone("the device was disconnected")
        if not isinstance(error, DeviceGone):
            assert self._handle is not None
            if self._lib.get_storage(self._handle) >= 0:
                return error
            self._lib.take_errors(self._handle)
        elif attached is None:
            return error
        return DeviceGone("the device stopped responding: unplug it and plug it in again")

    def _check_writable(self, device: DevicePtr, storage: int, doing: str) -> None:
        """Refuse a write to a storage the device reported read-only, without asking it:
        saves a round trip, and QEMU's responder wedges on a refused SendObjectInfo."""
        if any(s.id == storage and s.read_only for s in self._lib.storages(device)):
            raise MtpError(f"could not {doing}: the storage is read-only")

    def _missing_or_gone(self, doing: str) -> MtpError:
        """For an object lookup that failed without a PTP code: libmtp drops the code."""
        return self._gone_or(
            ObjectMissing(f"could not {doing}: the file or folder is no longer on the device")
        )

    def storages(self) -> Sequence[StorageInfo]:
        device = self._device()
        if self._lib.get_storage(device) < 0:
            errors = self._lib.take_errors(device)
            if errors:
                raise self._gone_or(libmtp.classify(errors, "read the device's storages"))
            if still_attached(self._raw.bus, self._raw.devnum) is False:
                raise DeviceGone("the device was disconnected")
            return []  # a locked Android phone shows no storage until it is unlocked
        return self._lib.storages(device)

    def list_folder(self, storage: int, parent: int) -> Sequence[ObjectInfo]:
        device = self._device()
        records = self._lib.files_and_folders(device, storage, _TOP if parent == ROOT else parent)
        errors = self._lib.take_errors(device)
        doing = f"list folder {parent}"
        if errors and (not records or isinstance(libmtp.classify(errors, doing), DeviceGone)):
            raise self._explain(errors, doing, about_object=parent != ROOT)
        # libmtp skips objects whose info it cannot read, silently: make sure that a short
        # listing is not the device leaving half-way.
        if still_attached(self._raw.bus, self._raw.devnum) is False:
            raise DeviceGone("the device was disconnected")
        return [_object(record) for record in records]

    def download(self, object_id: int) -> bytes:
        device = self._device()
        data = self._lib.get_file(device, object_id)
        if data is None:
            errors = self._lib.take_errors(device)
            raise self._explain(errors, f"read object {object_id}", about_object=True)
        return data

    def _explain(self, errors: list[StackedError], doing: str, about_object: bool) -> MtpError:
        """The error for a failed call. A request about one object that the device refused
        without saying why, or whose info libmtp could not read (it drops the PTP code), means
        the object is gone, provided that the device itself still answers."""
        error = libmtp.classify(errors, doing)
        unexplained = type(error) is MtpError and any(
            e.ptp_code in libmtp.REFUSED_CODES or "Could not get object info" in e.text
            for e in errors
        )
        if about_object and unexplained:
            return self._missing_or_gone(doing)
        return self._gone_or(error)

    def _supported_filetypes(self, device: DevicePtr) -> frozenset[int]:
        if self._supported is None:
            found = self._lib.supported_filetypes(device)
            if found is None:
                log.debug("could not read supported formats: %s", self._lib.take_errors(device))
            self._supported = frozenset(found or ())
        return self._supported

    def upload(self, storage: int, parent: int, name: str, data: bytes) -> ObjectInfo:
        device = self._device()
        log.debug("uploading %r (%d bytes) into %#x", name, len(data), parent)
        self._check_writable(device, storage, f"write {name!r}")
        kind = choose_filetype(name, data, self._supported_filetypes(device))
        name_buffer = ctypes.create_string_buffer(name.encode("utf-8"))  # libmtp may edit it
        metadata = LIBMTP_file_t(
            parent_id=_TOP if parent == ROOT else parent,
            storage_id=storage,
            filename=ctypes.cast(name_buffer, ctypes.c_char_p),
            filesize=len(data),
            filetype=int(kind),
        )
        if self._lib.send_file(device, data, metadata) != 0:
            errors = self._lib.take_errors(device)
            created = int(metadata.item_id)
            if not (created and any("retrieve updated metadata" in e.text for e in errors)):
                error = self._gone_or(libmtp.classify(errors, f"write {name!r}"))
                if created and not isinstance(error, DeviceGone):
                    self._remove_partial(device, created, name)
                raise error
        found = self._settle(device, storage, parent, name, int(metadata.item_id), False)
        if found is not None:
            return found
        log.warning("uploaded %r, but the device does not list it (yet)", name)
        return ObjectInfo(
            id=int(metadata.item_id),
            parent=parent,
            storage=storage,
            name=name,
            size=len(data),
            mtime=time.time(),
            is_folder=False,
        )

    def _remove_partial(self, device: DevicePtr, object_id: int, name: str) -> None:
        """A failed transfer may leave a truncated file behind, which a later sync would
        read as a damaged card: remove it if the device lets us."""
        if self._lib.delete_object(device, object_id) != 0:
            self._lib.take_errors(device)
            log.warning("could not remove the partial upload %r (object %d)", name, object_id)

    def _settle(
        self, device: DevicePtr, storage: int, parent: int, name: str, given: int, folder: bool
    ) -> ObjectInfo | None:
        """The object just created, as the device lists it. The id the device answered with
        is trusted only if it names that object: QEMU's responder answers with a guess that
        another object may get, and lists a new object only once its file monitor noticed
        it. A late object is looked up by that id for a few milliseconds (cheap), and only
        then is the parent searched by name (a listing costs a request per object in it),
        for a moment."""
        if given:
            for pause in (0.0, *_NEW_OBJECT_QUICK):
                if pause:
                    time.sleep(pause)
                record = self._lib.file_metadata(device, given)
                self._lib.take_errors(device)
                if record is None:
                    continue  # not noticed yet, or the id is wrong: look again
                if record.filename == name and _parent(record.parent_id) == parent:
                    return _object(record)
                break  # the id went to another object: search by name below
        for attempt in range(_NEW_OBJECT_TRIES):
            if attempt:
                time.sleep(_NEW_OBJECT_WAIT)
            record = self._lib.file_metadata(device, given) if given else None
            if record is None or record.filename != name or _parent(record.parent_id) != parent:
                top = _TOP if parent == ROOT else parent
                listing = self._lib.files_and_folders(device, storage, top)
                matches = [r for r in listing if r.filename == name]
                record = next(
                    (r for r in matches if (r.filetype == Filetype.FOLDER) == folder), None
                )
            self._lib.take_errors(device)
            if record is not None:
                return _object(record)
        return None

    def rename(self, object_id: int, name: str) -> None:
        device = self._device()
        doing = f"rename object {object_id}"
        status = self._lib.set_file_name(device, object_id, name)
        if status is None:
            self._lib.take_errors(device)
            raise self._missing_or_gone(doing)
        if status != 0:
            errors = self._lib.take_errors(device)
            error = libmtp.classify(errors, doing)
            if type(error) is MtpError and any(
                marker in e.text for e in errors for marker in _CANNOT_RENAME
            ):
                error = Unsupported("this device cannot rename files")
            raise self._gone_or(error)

    def delete(self, object_id: int) -> None:
        device = self._device()
        if self._lib.delete_object(device, object_id) != 0:
            raise self._gone_or(libmtp.failure(self._lib, device, f"delete object {object_id}"))

    def create_folder(self, storage: int, parent: int, name: str) -> int:
        device = self._device()
        self._check_writable(device, storage, f"create folder {name!r}")
        given = self._lib.create_folder(device, name, _TOP if parent == ROOT else parent, storage)
        if given == 0:
            raise self._gone_or(libmtp.failure(self._lib, device, f"create folder {name!r}"))
        found = self._settle(device, storage, parent, name, given, True)
        if found is None:
            log.info("created folder %r, but the device does not list it (yet)", name)
        return given if found is None else found.id

    def capabilities(self) -> frozenset[DeviceCap]:
        """The optional operations the device implements (for diagnostics)."""
        device = self._device()
        return frozenset(cap for cap in DeviceCap if self._lib.check_capability(device, cap))

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            self._lib.release_device(handle)


def _open_failure(raw: RawDevice) -> MtpError:
    """Why ``LIBMTP_Open_Raw_Device_Uncached`` returned NULL (it never says)."""
    node = usb_node(raw.bus, raw.devnum)
    attached = still_attached(raw.bus, raw.devnum)
    if attached is False:
        return DeviceGone("the device was disconnected")
    if attached and not os.access(node, os.R_OK | os.W_OK):
        return NoPermission(
            f"this user may not open the phone ({node}): install the udev rule {UDEV_RULE} "
            "(copy it to /etc/udev/rules.d/, run 'sudo udevadm control --reload' and plug the "
            "phone in again) or join the plugdev group and log in again"
        )
    return DeviceBusy(
        "the phone could not be opened: another program is using the phone (close it, e.g. "
        "a file manager's MTP service such as gvfs-mtp-volume-monitor or kiod), make sure the "
        "phone is unlocked and set to file transfer, then try again",
        holder=None,
    )


def _location(bus: int, devnum: int) -> str:
    """The device's sysfs name ("1-4"), as the rest of the provider keys devices; without
    sysfs, a gphoto2-style address that no sysfs lookup can mistake for another device."""
    found = usbinfo.find_device(bus, devnum)
    return found.location if found is not None else f"usb:{bus:03d},{devnum:03d}"


class LibmtpBackend:
    """Finds phones with libmtp and opens them uncached (every call asks the device)."""

    def __init__(self, lib: Lib | None = None) -> None:
        self._given = lib

    def _lib(self) -> Lib:
        return self._given if self._given is not None else libmtp.load()

    def _detect(self, lib: Lib) -> list[LIBMTP_raw_device_t]:
        number, devices = lib.detect_raw_devices()
        if number == ErrorNumber.NO_DEVICE_ATTACHED:
            return []
        if number != ErrorNumber.NONE:
            try:
                reason = ErrorNumber(number).name
            except ValueError:
                reason = str(number)
            raise MtpError(f"could not look for phones on USB (libmtp error {reason})")
        return devices

    def detect(self) -> Sequence[RawDevice]:
        found = []
        for raw in self._detect(self._lib()):
            entry = raw.device_entry
            bus, devnum = int(raw.bus_location), int(raw.devnum)
            found.append(
                RawDevice(
                    bus=bus,
                    devnum=devnum,
                    vendor_id=int(entry.vendor_id),
                    product_id=int(entry.product_id),
                    vendor=libmtp.text(entry.vendor),
                    product=libmtp.text(entry.product),
                    location=_location(bus, devnum),
                )
            )
        return found

    def open(self, raw: RawDevice) -> LibmtpDevice:
        lib = self._lib()
        for candidate in self._detect(lib):
            entry = candidate.device_entry
            if (int(candidate.bus_location), int(candidate.devnum)) != (raw.bus, raw.devnum):
                continue
            if (int(entry.vendor_id), int(entry.product_id)) != (raw.vendor_id, raw.product_id):
                break  # another device got this address: ours was unplugged
            handle = lib.open_raw_device_uncached(candidate)
            if handle is None:
                raise _open_failure(raw)
            log.info("opened %s %s at %s", raw.vendor, raw.product, raw.location)
            return LibmtpDevice(lib, handle, raw)
        raise DeviceGone("the device was disconnected")

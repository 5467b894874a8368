"""Device detection as the user sees it: every phone, its state, and what to do about it.

:func:`scan` opens each device a backend detects, reads its name and storages, looks for
contacts at the places phones keep them, and closes it again. A device that cannot be used
is still listed, with a state and a hint that says what to do: unlock the phone, close the
program that holds it, fix permissions, or switch the phone to "File transfer". Phones
plugged in without MTP are found from sysfs (:mod:`usbinfo`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal

from syncgui.providers.mtp.backend import (
    ROOT,
    DeviceBusy,
    DeviceGone,
    MtpBackend,
    MtpDevice,
    MtpError,
    NoPermission,
    RawDevice,
    StorageInfo,
)
from syncgui.providers.mtp.discovery import usbinfo
from syncgui.providers.mtp.hints import ANDROID_HINT, CONNECT_HINT

log = logging.getLogger(__name__)

State = Literal["ready", "locked", "busy", "no-permission", "not-mtp"]

UDEV_RULE = "packaging/udev/69-syncgui-mtp.rules"

NO_DEVICES_HINT = CONNECT_HINT
LOCKED_HINT = (
    "Unlock the phone and allow access to its data (tap “Allow” if the phone asks), "
    "then look again."
)
NOT_MTP_HINT = (
    "On the phone, choose “File transfer” (MTP) in the USB notification "
    "(it may read “Charging this device via USB”: tap it to change)."
)
NO_CONTACTS_HINT = f"No Contacts folder or .vcf file found. {ANDROID_HINT}"
_DOWNLOAD_FOLDERS = {"download", "downloads"}
_MAX_PLACES_IN_HINT = 3


@dataclass(frozen=True, slots=True)
class StorageReport:
    id: int
    description: str
    capacity: int  # bytes
    free: int  # bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "capacity": self.capacity,
            "free": self.free,
        }


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """One device, whatever its state. ``to_json`` gives the ``devices --json`` object.

    ``location`` (where the backend finds the device again: "1-4", or the virtual device's
    folder) and ``contacts`` (where contacts were found, as "STORAGE/PATH" the way an
    ``mtp:`` store spec names them) are for the program, not in the JSON contract."""

    vendor: str
    model: str
    serial: str
    state: State
    hint: str
    storages: tuple[StorageReport, ...] = ()
    location: str = ""
    contacts: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What identifies the device across scans: its serial number, else its location."""
        return f"serial:{self.serial}" if self.serial else f"location:{self.location}"

    @property
    def name(self) -> str:
        """The vendor and model ("Google Pixel 7"), the vendor not repeated."""
        if self.vendor and not self.model.lower().startswith(self.vendor.lower()):
            return f"{self.vendor} {self.model}".strip()
        return self.model or self.vendor or "Unknown device"

    def to_json(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "model": self.model,
            "serial": self.serial,
            "state": self.state,
            "hint": self.hint,
            "storages": [s.to_json() for s in self.storages],
        }


def scan(
    backend: MtpBackend,
    *,
    usb_root: str | os.PathLike[str] = "/",
    include_not_mtp: bool = True,
) -> list[DeviceReport]:
    """Every device ``backend`` detects, opened, read and closed again, in detection order,
    then (with ``include_not_mtp``) the phones connected without MTP.

    ``usb_root`` is where sysfs, procfs and /dev are read from. A device that fails is
    reported in its state and the scan goes on; one unplugged mid-scan is left out (the
    next scan would not find it either). Raises :class:`MtpError` only if detection itself
    failed (also when re-detecting after a device stopped answering): then
    :func:`not_mtp_reports` still lists the phones sysfs sees."""
    raws = list(backend.detect())
    reports = [r for r in (_report(backend, raw, usb_root) for raw in raws) if r is not None]
    if include_not_mtp:
        reports += not_mtp_reports(usb_root, exclude=raws)
    return reports


def not_mtp_reports(
    usb_root: str | os.PathLike[str] = "/", *, exclude: Collection[RawDevice] = ()
) -> list[DeviceReport]:
    """Phones of known makers plugged in without offering MTP (from sysfs), but for those
    a backend detected all the same (``exclude``)."""
    taken = {raw.location for raw in exclude}
    addresses = {(raw.bus, raw.devnum) for raw in exclude}
    return [
        DeviceReport(
            vendor=d.vendor,
            model=d.product,
            serial=d.serial,
            state="not-mtp",
            hint=NOT_MTP_HINT,
            location=d.location,
        )
        for d in usbinfo.phones_not_in_mtp_mode(usb_root)
        if d.location not in taken and (d.bus, d.devnum) not in addresses
    ]


# -- one device -----------------------------------------------------------------------------


def _report(
    backend: MtpBackend, raw: RawDevice, usb_root: str | os.PathLike[str]
) -> DeviceReport | None:
    try:
        device = backend.open(raw)
    except DeviceGone as err:
        return _gone(backend, raw, usb_root, err)
    except NoPermission as err:
        log.info("%s %s: no permission: %s", raw.vendor, raw.product, err)
        return _unopened(raw, usb_root, "no-permission", _permission_hint(raw))
    except DeviceBusy as err:
        holder = err.holder
        if holder is None and raw.bus > 0:
            holder = usbinfo.holder_of(raw.bus, raw.devnum, usb_root)
        log.info("%s %s: busy (%s): %s", raw.vendor, raw.product, holder, err)
        return _unopened(raw, usb_root, "busy", busy_hint(holder, _gio_uri(raw, usb_root)))
    except MtpError as err:
        return _open_failed(raw, usb_root, err)
    try:
        return _inspect(raw, device)
    except DeviceGone as err:
        return _gone(backend, raw, usb_root, err)
    finally:
        try:
            device.close()
        except MtpError as err:
            log.debug("closing %s %s: %s", raw.vendor, raw.product, err)


def _gone(
    backend: MtpBackend, raw: RawDevice, usb_root: str | os.PathLike[str], err: DeviceGone
) -> DeviceReport | None:
    """Unplugged mid-scan: left out. Still detected: it stopped responding, so say so.
    Detection failing now (the helper process died) fails the scan: it is not this device's
    failure, and every other device would look unplugged too."""
    if not any(found.location == raw.location for found in backend.detect()):
        log.info("%s %s was unplugged during the scan: %s", raw.vendor, raw.product, err)
        return None
    log.info("%s %s stopped responding: %s", raw.vendor, raw.product, err)
    hint = f"The phone stopped responding ({err}). Unplug it and plug it in again."
    return _unopened(raw, usb_root, "busy", hint)


def _open_failed(raw: RawDevice, usb_root: str | os.PathLike[str], err: MtpError) -> DeviceReport:
    """An open that failed without saying why: find out from the operating system."""
    log.info("%s %s could not be opened: %s", raw.vendor, raw.product, err)
    if raw.bus <= 0:  # not on USB (the virtual phone): the error says it all
        return _unopened(raw, usb_root, "busy", f"The device could not be opened: {err}")
    if not usbinfo.can_access(raw.bus, raw.devnum, usb_root):
        return _unopened(raw, usb_root, "no-permission", _permission_hint(raw))
    holder = usbinfo.holder_of(raw.bus, raw.devnum, usb_root)
    if holder:
        return _unopened(raw, usb_root, "busy", busy_hint(holder, _gio_uri(raw, usb_root)))
    hint = f"The phone could not be opened ({err}). Unplug it, plug it in again and unlock it."
    return _unopened(raw, usb_root, "busy", hint)


def _unopened(
    raw: RawDevice, usb_root: str | os.PathLike[str], state: State, hint: str
) -> DeviceReport:
    # Not opened, so no MTP serial number: sysfs has the USB one, the same on Android.
    found = usbinfo.find_device(raw.bus, raw.devnum, raw.location, usb_root)
    return DeviceReport(
        vendor=raw.vendor or (found.vendor if found else ""),
        model=raw.product or (found.product if found else ""),
        serial=found.serial if found else "",
        state=state,
        hint=hint,
        location=raw.location,
    )


def _inspect(raw: RawDevice, device: MtpDevice) -> DeviceReport:
    info = device.info
    named = DeviceReport(
        vendor=info.vendor or raw.vendor,
        model=info.model or raw.product,
        serial=info.serial,
        state="locked",
        hint=LOCKED_HINT,
        location=raw.location,
    )
    try:
        storages = list(device.storages())
    except DeviceGone:
        raise
    except MtpError as err:  # some phones refuse the storage list while locked
        log.info("%s: storages unreadable: %s", info.model, err)
        storages = []
    if not storages:
        return named
    places = tuple(p for s in storages for p in _contacts_places(device, s))
    if places:
        shown = ", ".join(places[:_MAX_PLACES_IN_HINT])
        more = len(places) - _MAX_PLACES_IN_HINT
        hint = f"Contacts found: {shown}" + (f" and {more} more." if more > 0 else ".")
    else:
        hint = NO_CONTACTS_HINT
    return replace(
        named,
        state="ready",
        hint=hint,
        storages=tuple(_storage_report(s) for s in storages),
        contacts=places,
    )


def _storage_report(s: StorageInfo) -> StorageReport:
    return StorageReport(s.id, storage_name(s), s.capacity, s.free)


def storage_name(s: StorageInfo) -> str:
    """How a storage is shown and named in store specs: its description, else its id."""
    return s.description or str(s.id)


def _contacts_places(device: MtpDevice, storage: StorageInfo) -> list[str]:
    """Contacts folders and .vcf files at the top of ``storage`` and in its Download
    folder, as "STORAGE/PATH". Listing errors only mean nothing is found there."""
    base = storage_name(storage)
    try:
        top = device.list_folder(storage.id, ROOT)
    except DeviceGone:
        raise
    except MtpError as err:
        log.info("listing %s: %s", base, err)
        return []
    places = [f"{base}/{o.name}" for o in top if _holds_contacts(o.name, o.is_folder)]
    for folder in (o for o in top if o.is_folder and o.name.lower() in _DOWNLOAD_FOLDERS):
        try:
            inside = device.list_folder(storage.id, folder.id)
        except DeviceGone:
            raise
        except MtpError as err:
            log.info("listing %s/%s: %s", base, folder.name, err)
            continue
        places += [
            f"{base}/{folder.name}/{o.name}" for o in inside if _holds_contacts(o.name, o.is_folder)
        ]
    return places


def _holds_contacts(name: str, is_folder: bool) -> bool:
    lowered = name.lower()
    return lowered == "contacts" if is_folder else lowered.endswith(".vcf")


# -- hints ----------------------------------------------------------------------------------


def busy_hint(holder: str | None, gio_uri: str | None = None) -> str:
    """What to do when another program holds the phone."""
    if holder is None:
        return (
            "The phone could not be opened. Another program may be using it (a file manager "
            "or a photo importer: close it), or it is locked or not set to file transfer: "
            "unlock it, choose “File transfer” (MTP), then unplug and replug it."
        )
    if "gvfs" in holder:
        unmount = f"run `gio mount -u {gio_uri}`" if gio_uri else "unmount it (`gio mount -l`)"
        return f"{holder} is using the phone; close your file manager's view of it or {unmount}."
    if holder.startswith("kiod"):
        return f"{holder} is using the phone; close Dolphin's view of it, or quit {holder}."
    return f"{holder} is using the phone; close that program and look again."


def _permission_hint(raw: RawDevice) -> str:
    node = usbinfo.node_path(raw.bus, raw.devnum) if raw.bus else None
    what = f"the USB device {node}" if node else "the USB device"
    return (
        f"This user may not open {what}. Install syncgui's udev rule ({UDEV_RULE}: "
        "`sudo cp 69-syncgui-mtp.rules /etc/udev/rules.d/ && sudo udevadm control --reload`) "
        "and unplug and replug the phone; or add yourself to the plugdev group "
        "(`sudo usermod -aG plugdev $USER`) and log in again."
    )


def _gio_uri(raw: RawDevice, usb_root: str | os.PathLike[str]) -> str | None:
    """The address gvfs mounts the phone at: mtp://VENDOR_MODEL_SERIAL/ from udev's
    ID_SERIAL, which is built from the USB strings with spaces made underscores."""
    found = usbinfo.find_device(raw.bus, raw.devnum, raw.location, usb_root)
    if found is None or not found.serial:
        return None
    parts = [found.vendor, found.product, found.serial]
    return "mtp://" + "_".join("_".join(p.split()) for p in parts if p) + "/"

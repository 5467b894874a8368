"""What Linux says about USB devices, read from sysfs and procfs without opening anything.

Each function takes the root of the file system to read (``"/"`` in use, a folder laid out
like one in tests) and answers something the MTP protocol cannot: which program holds a
device, whether this user may open it, and which phones are plugged in without offering
MTP. Where there is no sysfs or procfs (macOS, Windows) they answer "nothing known":
None, True, an empty list.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# USB vendor ids of phone makers: a device of theirs without an MTP interface is most likely
# a phone left in "charging only" (or PTP, MIDI, tethering) mode.
PHONE_VENDORS: dict[int, str] = {
    0x18D1: "Google",
    0x04E8: "Samsung",
    0x2717: "Xiaomi",
    0x2A70: "OnePlus",
    0x22B8: "Motorola",
    0x0FCE: "Sony",
    0x1004: "LG",
    0x12D1: "Huawei",
    0x0BB4: "HTC",
    0x0421: "Nokia",
}

_STILL_IMAGE = (0x06, 0x01, 0x01)  # the interface class MTP (and PTP) devices declare
_ANCESTOR_LIMIT = 64  # how far up the process tree to look for our own process


@dataclass(frozen=True, slots=True)
class UsbDevice:
    """A USB device as sysfs describes it."""

    location: str  # the sysfs name, e.g. "1-4" or "3-1.2": what RawDevice.location holds
    bus: int
    devnum: int
    vendor_id: int
    product_id: int
    vendor: str  # the device's manufacturer string, else the known maker's name, else ""
    product: str
    serial: str
    has_mtp: bool  # an interface is of the still-image class or names itself "MTP"

    @property
    def is_phone(self) -> bool:
        return self.vendor_id in PHONE_VENDORS


def node_path(bus: int, devnum: int, dev_root: str | os.PathLike[str] = "/") -> Path:
    """The device node libusb opens: ``/dev/bus/usb/BBB/DDD``."""
    return Path(dev_root, "dev", "bus", "usb", f"{bus:03d}", f"{devnum:03d}")


# -- sysfs ----------------------------------------------------------------------------------


def usb_devices(sys_root: str | os.PathLike[str] = "/") -> list[UsbDevice]:
    """Every USB device (not hubs' interfaces) sysfs lists, sorted by location."""
    base = Path(sys_root, "sys", "bus", "usb", "devices")
    try:
        entries = sorted(base.iterdir(), key=lambda p: p.name)
    except OSError:
        return []  # no sysfs: not Linux, or a container without it
    found = []
    for entry in entries:
        if ":" in entry.name or entry.name.startswith("usb"):
            continue  # an interface ("1-4:1.0") or a root hub ("usb1")
        device = _read_device(entry)
        if device is not None:
            found.append(device)
    return found


def phones_not_in_mtp_mode(sys_root: str | os.PathLike[str] = "/") -> list[UsbDevice]:
    """Phones of a known maker that are connected but offer no MTP interface."""
    return [d for d in usb_devices(sys_root) if d.is_phone and not d.has_mtp]


def device_at(location: str, sys_root: str | os.PathLike[str] = "/") -> UsbDevice | None:
    """The device at a sysfs location ("1-4"), or None if sysfs does not list it."""
    if not location or "/" in location or location.startswith("."):
        return None  # not a USB location (the virtual device keeps a folder here)
    return _read_device(Path(sys_root, "sys", "bus", "usb", "devices", location))


def find_device(
    bus: int, devnum: int, location: str = "", sys_root: str | os.PathLike[str] = "/"
) -> UsbDevice | None:
    """The device at bus address ``bus``/``devnum`` (what libmtp reports), else at the sysfs
    ``location``; None if sysfs lists neither."""
    if bus > 0:
        for device in usb_devices(sys_root):
            if (device.bus, device.devnum) == (bus, devnum):
                return device
    return device_at(location, sys_root)


def snapshot(sys_root: str | os.PathLike[str] = "/") -> frozenset[str] | None:
    """A cheap fingerprint of what is on the USB buses (None without sysfs): it changes
    when a device comes, goes, or re-enumerates in another mode."""
    base = Path(sys_root, "sys", "bus", "usb", "devices")
    if not base.is_dir():
        return None
    marks = set()
    for d in usb_devices(sys_root):
        mode = "mtp" if d.has_mtp else "-"
        marks.add(f"{d.location}:{d.devnum}:{d.vendor_id:04x}:{d.product_id:04x}:{mode}")
    return frozenset(marks)


def _read_device(path: Path) -> UsbDevice | None:
    vendor_id = _hex(_attr(path, "idVendor"))
    product_id = _hex(_attr(path, "idProduct"))
    if vendor_id is None or product_id is None:
        return None
    vendor = _attr(path, "manufacturer") or PHONE_VENDORS.get(vendor_id, "")
    return UsbDevice(
        location=path.name,
        bus=_int(_attr(path, "busnum")),
        devnum=_int(_attr(path, "devnum")),
        vendor_id=vendor_id,
        product_id=product_id,
        vendor=vendor,
        product=_attr(path, "product"),
        serial=_attr(path, "serial"),
        has_mtp=any(_is_mtp_interface(i) for i in _interfaces(path)),
    )


def _interfaces(device: Path) -> Iterator[Path]:
    try:
        children = list(device.iterdir())
    except OSError:
        return
    prefix = device.name + ":"
    yield from (c for c in children if c.name.startswith(prefix))


def _is_mtp_interface(interface: Path) -> bool:
    klass = (
        _hex(_attr(interface, "bInterfaceClass")),
        _hex(_attr(interface, "bInterfaceSubClass")),
        _hex(_attr(interface, "bInterfaceProtocol")),
    )
    if klass == _STILL_IMAGE:
        return True
    # Android declares MTP as a vendor-specific interface (ff/ff/00) named "MTP".
    name = _attr(interface, "interface")
    return re.search(r"\bMTP\b", name, re.IGNORECASE) is not None


def _attr(path: Path, name: str) -> str:
    try:
        return (path / name).read_text("utf-8", errors="replace").strip()
    except OSError:
        return ""


def _hex(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


# -- device nodes ---------------------------------------------------------------------------


def can_access(bus: int, devnum: int, dev_root: str | os.PathLike[str] = "/") -> bool:
    """Whether this user may read and write the device node (so libusb can open it).

    True when the node cannot be found: then nothing is known against it (other systems,
    or the device is already gone)."""
    node = node_path(bus, devnum, dev_root)
    if not node.exists():
        return True
    return os.access(node, os.R_OK | os.W_OK)


# -- procfs ---------------------------------------------------------------------------------


def holder_of(
    bus: int,
    devnum: int,
    proc_root: str | os.PathLike[str] = "/",
    *,
    own_pid: int | None = None,
) -> str | None:
    """The program that has the device node open, as "gvfsd-mtp (process 1234)", or None.

    Our own process and its descendants (the helper that talks to USB, which may have the
    node open while this runs) are not counted. Processes of other users whose open files
    we may not read are not seen."""
    me = os.getpid() if own_pid is None else own_pid
    target = f"/dev/bus/usb/{bus:03d}/{devnum:03d}"
    proc = Path(proc_root, "proc")
    for pid in _pids(proc):
        if pid == me or not _has_open(proc / str(pid), target):
            continue
        if _descends_from(proc, pid, me):
            continue
        return f"{_process_name(proc / str(pid))} (process {pid})"
    return None


def _pids(proc: Path) -> list[int]:
    try:
        return sorted(int(p.name) for p in proc.iterdir() if p.name.isdigit())
    except OSError:
        return []


def _has_open(process: Path, target: str) -> bool:
    try:
        fds = list((process / "fd").iterdir())
    except OSError:
        return False  # gone, or another user's process
    for fd in fds:
        try:
            if os.readlink(fd) == target:
                return True
        except OSError:
            continue
    return False


def _descends_from(proc: Path, pid: int, ancestor: int) -> bool:
    current = pid
    for _ in range(_ANCESTOR_LIMIT):
        parent = _parent_of(proc / str(current))
        if parent is None or parent <= 1:
            return False
        if parent == ancestor:
            return True
        current = parent
    return False


def _parent_of(process: Path) -> int | None:
    for line in _attr(process, "status").splitlines():
        key, _, value = line.partition(":")
        if key == "PPid":
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None


def _process_name(process: Path) -> str:
    name = _attr(process, "comm")
    if name:
        return name
    argv0 = _attr(process, "cmdline").split("\0", 1)[0]
    return os.path.basename(argv0) or "another program"

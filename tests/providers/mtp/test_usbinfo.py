"""usbinfo over fake sysfs, procfs and /dev trees built in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncgui.providers.mtp.discovery import usbinfo

# -- fake trees (also used by test_devices) -----------------------------------------------


def add_usb_device(
    root: Path,
    location: str,
    *,
    vendor_id: int,
    product_id: int = 0x4EE1,
    bus: int = 1,
    devnum: int = 4,
    manufacturer: str = "",
    product: str = "",
    serial: str = "",
    interfaces: tuple[tuple[int, int, int, str], ...] = (),
) -> Path:
    """A device directory as sysfs has it; ``interfaces``: (class, subclass, protocol, name)."""
    device = root / "sys" / "bus" / "usb" / "devices" / location
    device.mkdir(parents=True)
    attrs = {
        "idVendor": f"{vendor_id:04x}",
        "idProduct": f"{product_id:04x}",
        "busnum": str(bus),
        "devnum": str(devnum),
        "manufacturer": manufacturer,
        "product": product,
        "serial": serial,
    }
    for name, value in attrs.items():
        if value:
            (device / name).write_text(value + "\n")
    for n, (klass, sub, proto, label) in enumerate(interfaces):
        iface = device / f"{location}:1.{n}"
        iface.mkdir()
        (iface / "bInterfaceClass").write_text(f"{klass:02x}\n")
        (iface / "bInterfaceSubClass").write_text(f"{sub:02x}\n")
        (iface / "bInterfaceProtocol").write_text(f"{proto:02x}\n")
        if label:
            (iface / "interface").write_text(label + "\n")
        # sysfs lists interfaces beside devices too
        (device.parent / iface.name).symlink_to(iface)
    return device


def add_process(
    root: Path, pid: int, name: str, *, ppid: int = 1, opens: tuple[str, ...] = ()
) -> None:
    proc = root / "proc" / str(pid)
    (proc / "fd").mkdir(parents=True)
    (proc / "comm").write_text(name + "\n")
    (proc / "cmdline").write_text(f"/usr/libexec/{name}\0--spawner\0")
    (proc / "status").write_text(f"Name:\t{name}\nState:\tS\nPPid:\t{ppid}\n")
    for fd, target in enumerate(["/dev/null", *opens]):
        (proc / "fd" / str(fd)).symlink_to(target)


ANDROID_MTP = (0xFF, 0xFF, 0x00, "MTP")
ADB = (0xFF, 0x42, 0x01, "ADB Interface")
STILL_IMAGE = (0x06, 0x01, 0x01, "")
HID = (0x03, 0x01, 0x02, "")


# -- sysfs ----------------------------------------------------------------------------------


def test_usb_devices_reads_identity_and_mtp_interfaces(tmp_path: Path) -> None:
    add_usb_device(
        tmp_path,
        "1-4",
        vendor_id=0x18D1,
        manufacturer="Google",
        product="Pixel 7",
        serial="29211FDH2000AB",
        bus=1,
        devnum=7,
        interfaces=(ANDROID_MTP, ADB),
    )
    add_usb_device(tmp_path, "2-1.3", vendor_id=0x046D, bus=2, devnum=3, interfaces=(HID,))
    (tmp_path / "sys/bus/usb/devices/usb1").mkdir()  # a root hub: ignored

    found = usbinfo.usb_devices(tmp_path)

    assert [d.location for d in found] == ["1-4", "2-1.3"]
    pixel, mouse = found
    assert (pixel.vendor, pixel.product, pixel.serial) == ("Google", "Pixel 7", "29211FDH2000AB")
    assert (pixel.bus, pixel.devnum, pixel.vendor_id) == (1, 7, 0x18D1)
    assert pixel.has_mtp and pixel.is_phone
    assert not mouse.has_mtp and not mouse.is_phone


def test_phones_not_in_mtp_mode(tmp_path: Path) -> None:
    # charging only: a Samsung with no interface at all, a Pixel with only ADB
    add_usb_device(tmp_path, "1-1", vendor_id=0x04E8, serial="R58M", devnum=2)
    add_usb_device(tmp_path, "1-2", vendor_id=0x18D1, devnum=3, interfaces=(ADB,))
    # in MTP mode: as Android declares it, and as the still image class
    add_usb_device(tmp_path, "1-3", vendor_id=0x2717, devnum=4, interfaces=(ANDROID_MTP,))
    add_usb_device(tmp_path, "1-5", vendor_id=0x0FCE, devnum=5, interfaces=(STILL_IMAGE,))
    # not a phone maker
    add_usb_device(tmp_path, "1-6", vendor_id=0x046D, devnum=6, interfaces=(HID,))

    found = usbinfo.phones_not_in_mtp_mode(tmp_path)

    assert [d.location for d in found] == ["1-1", "1-2"]
    assert found[0].vendor == "Samsung"  # no manufacturer string: the maker's name
    assert found[0].serial == "R58M"


def test_device_at_and_snapshot(tmp_path: Path) -> None:
    add_usb_device(tmp_path, "3-2", vendor_id=0x18D1, devnum=9, interfaces=(ANDROID_MTP,))
    found = usbinfo.device_at("3-2", tmp_path)
    assert found is not None and found.devnum == 9
    assert usbinfo.device_at("9-9", tmp_path) is None
    assert usbinfo.device_at("/home/me/phone", tmp_path) is None  # a virtual phone's folder

    before = usbinfo.snapshot(tmp_path)
    assert before is not None and len(before) == 1
    add_usb_device(tmp_path, "3-3", vendor_id=0x04E8, devnum=10)
    assert usbinfo.snapshot(tmp_path) != before


def test_without_sysfs_nothing_is_known(tmp_path: Path) -> None:
    assert usbinfo.usb_devices(tmp_path) == []
    assert usbinfo.phones_not_in_mtp_mode(tmp_path) == []
    assert usbinfo.snapshot(tmp_path) is None


# -- /dev -------------------------------------------------------------------------------------


def test_can_access_asks_for_read_and_write_on_the_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = tmp_path / "dev/bus/usb/001/004"
    node.parent.mkdir(parents=True)
    node.write_bytes(b"")
    asked: list[tuple[str, int]] = []

    def access(path: os.PathLike[str], mode: int) -> bool:
        asked.append((os.fspath(path), mode))
        return False

    monkeypatch.setattr(os, "access", access)
    assert usbinfo.can_access(1, 4, tmp_path) is False
    assert asked == [(str(node), os.R_OK | os.W_OK)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may open any file")
def test_can_access_on_a_node_this_user_may_not_open(tmp_path: Path) -> None:
    node = tmp_path / "dev/bus/usb/002/011"
    node.parent.mkdir(parents=True)
    node.write_bytes(b"")
    node.chmod(0o444)
    assert usbinfo.can_access(2, 11, tmp_path) is False


def test_can_access_when_the_node_is_there_or_unknown(tmp_path: Path) -> None:
    node = tmp_path / "dev/bus/usb/001/004"
    node.parent.mkdir(parents=True)
    node.write_bytes(b"")
    assert usbinfo.can_access(1, 4, tmp_path)
    assert usbinfo.can_access(1, 5, tmp_path)  # no such node: nothing known against it


# -- /proc --------------------------------------------------------------------------------------


def test_holder_of_names_the_program(tmp_path: Path) -> None:
    add_process(tmp_path, 800, "bash", opens=("/dev/pts/0",))
    add_process(tmp_path, 1234, "gvfsd-mtp", opens=("/dev/bus/usb/001/004",))
    add_process(tmp_path, 1300, "shotwell", opens=("/dev/bus/usb/001/005",))
    assert usbinfo.holder_of(1, 4, tmp_path, own_pid=99) == "gvfsd-mtp (process 1234)"
    assert usbinfo.holder_of(1, 5, tmp_path, own_pid=99) == "shotwell (process 1300)"
    assert usbinfo.holder_of(1, 6, tmp_path, own_pid=99) is None


def test_holder_of_skips_our_process_and_its_helpers(tmp_path: Path) -> None:
    node = "/dev/bus/usb/001/004"
    add_process(tmp_path, 500, "syncgui", opens=(node,))
    add_process(tmp_path, 501, "python3", ppid=500, opens=(node,))  # our USB helper
    add_process(tmp_path, 502, "sh", ppid=500)
    add_process(tmp_path, 503, "python3", ppid=502, opens=(node,))  # a grandchild
    assert usbinfo.holder_of(1, 4, tmp_path, own_pid=500) is None
    add_process(tmp_path, 2000, "kiod6", opens=(node,))
    assert usbinfo.holder_of(1, 4, tmp_path, own_pid=500) == "kiod6 (process 2000)"


def test_holder_of_without_comm_uses_the_command_line(tmp_path: Path) -> None:
    add_process(tmp_path, 77, "ignored", opens=("/dev/bus/usb/003/002",))
    (tmp_path / "proc/77/comm").unlink()
    assert usbinfo.holder_of(3, 2, tmp_path, own_pid=1) == "ignored (process 77)"


def test_holder_of_without_procfs(tmp_path: Path) -> None:
    assert usbinfo.holder_of(1, 4, tmp_path) is None


def test_holder_of_real_proc_finds_nobody_for_a_missing_device() -> None:
    assert usbinfo.holder_of(255, 254) is None

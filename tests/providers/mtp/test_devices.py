"""devices.scan over the in-memory backend, with fake sysfs/procfs trees for what USB says."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncgui.providers.mtp.backend import DeviceBusy, DeviceGone, MtpError, NoPermission
from syncgui.providers.mtp.discovery import devices, usbinfo
from syncgui.providers.mtp.discovery.devices import DeviceReport, scan
from tests.providers.mtp.memory_backend import MemoryBackend, MemoryPhone
from tests.providers.mtp.test_usbinfo import ADB, ANDROID_MTP, add_process, add_usb_device

HOLDER_PID = 3999001  # above any pid this test could run as


def _phone(serial: str, **kw: object) -> MemoryPhone:
    return MemoryPhone(serial=serial, **kw)  # type: ignore[arg-type]


def _by_serial(reports: list[DeviceReport]) -> dict[str, DeviceReport]:
    return {r.serial: r for r in reports}


def test_ready_phone_with_contacts_folder(tmp_path: Path) -> None:
    phone = _phone("READY1")
    phone.add_folder("DCIM")
    phone.add_file("ann.vcf", b"BEGIN:VCARD\r\nEND:VCARD\r\n", parent=phone.add_folder("contacts"))

    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)

    assert report.state == "ready"
    assert report.contacts == ("Internal shared storage/contacts",)
    assert report.hint == "Contacts found: Internal shared storage/contacts."
    assert (report.vendor, report.model, report.name) == ("Google", "Pixel 7", "Google Pixel 7")
    [storage] = report.storages
    assert (storage.id, storage.description) == (0x10001, "Internal shared storage")
    assert storage.capacity == 64 << 30 and storage.free == 32 << 30
    assert phone.opened == phone.closed == 1


def test_vcf_files_at_the_top_and_in_download_count(tmp_path: Path) -> None:
    phone = _phone("READY2")
    phone.add_file("Contacts.VCF", b"")
    phone.add_file("export.vcf", b"", parent=phone.add_folder("Download"))
    phone.add_file("deep.vcf", b"", parent=phone.add_folder("Documents"))  # not looked in

    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)

    assert report.contacts == (
        "Internal shared storage/Contacts.VCF",
        "Internal shared storage/Download/export.vcf",
    )


def test_ready_phone_without_contacts_explains_android(tmp_path: Path) -> None:
    phone = _phone("ANDROID")
    phone.add_folder("DCIM")
    phone.add_file("notes.txt", b"", parent=phone.add_folder("Download"))
    phone.add_folder("Contacts.old")

    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)

    assert report.state == "ready" and report.contacts == ()
    assert "do not" in report.hint and "address book" in report.hint
    assert "Export" in report.hint and ".vcf" in report.hint


def test_locked_phone(tmp_path: Path) -> None:
    phone = _phone("LOCKED", locked=True)
    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)
    assert report.state == "locked"
    assert report.storages == ()
    assert "Unlock the phone and allow access to its data" in report.hint
    assert phone.closed == 1


def test_busy_phone_names_the_holder_from_proc(tmp_path: Path) -> None:
    # located as libmtp's backend does; sysfs is searched by bus address
    phone = _phone(
        "BUSY", devnum=4, location="usb:001,004", open_error=DeviceBusy("the device is in use")
    )
    add_usb_device(
        tmp_path,
        "1-9",
        vendor_id=0x18D1,
        devnum=4,
        manufacturer="Google",
        product="Pixel 7",
        serial="BUSY",
        interfaces=(ANDROID_MTP,),
    )
    add_process(tmp_path, HOLDER_PID, "gvfsd-mtp", opens=("/dev/bus/usb/001/004",))

    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)

    assert report.state == "busy"
    assert report.serial == "BUSY"  # from sysfs: the phone could not be opened
    assert report.hint.startswith(f"gvfsd-mtp (process {HOLDER_PID}) is using the phone")
    assert "gio mount -u mtp://Google_Pixel_7_BUSY/" in report.hint


def test_busy_phone_holder_named_by_the_backend(tmp_path: Path) -> None:
    phone = _phone("BUSY2", open_error=DeviceBusy("in use", holder="shotwell (process 12)"))
    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)
    assert report.state == "busy"
    assert report.hint.startswith("shotwell (process 12) is using the phone")


def test_busy_phone_without_a_known_holder(tmp_path: Path) -> None:
    phone = _phone("BUSY3", open_error=DeviceBusy("in use"))
    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)
    assert report.state == "busy" and "Another program may be using it" in report.hint


def test_no_permission_says_how_to_fix_it(tmp_path: Path) -> None:
    phone = _phone("NOPERM", devnum=6, open_error=NoPermission("access denied"))
    add_usb_device(tmp_path, phone.location, vendor_id=0x18D1, devnum=6, serial="NOPERM")

    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)

    assert report.state == "no-permission"
    assert report.serial == "NOPERM"
    assert "packaging/udev/69-syncgui-mtp.rules" in report.hint
    assert "udevadm control --reload" in report.hint and "plugdev" in report.hint
    assert "/dev/bus/usb/001/006" in report.hint


def test_unexplained_open_failure_is_explained_from_the_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    denied = _phone("GEN1", devnum=7, open_error=MtpError("LIBMTP PANIC"))
    held = _phone("GEN2", devnum=8, open_error=MtpError("LIBMTP PANIC"))
    odd = _phone("GEN3", devnum=9, open_error=MtpError("LIBMTP PANIC"))
    add_process(tmp_path, HOLDER_PID, "kiod6", opens=("/dev/bus/usb/001/008",))
    monkeypatch.setattr(usbinfo, "can_access", lambda bus, devnum, root="/": devnum != 7)

    reports = scan(MemoryBackend([denied, held, odd]), usb_root=tmp_path)

    assert [r.state for r in reports] == ["no-permission", "busy", "busy"]
    assert reports[1].hint.startswith(f"kiod6 (process {HOLDER_PID}) is using the phone")
    assert "LIBMTP PANIC" in reports[2].hint and "Unplug it" in reports[2].hint


def test_a_failing_device_does_not_stop_the_scan(tmp_path: Path) -> None:
    phones = [
        _phone("A", open_error=NoPermission("no")),
        _phone("B", locked=True),
        _phone("C", open_error=DeviceBusy("busy")),
        _phone("D"),
    ]
    reports = scan(MemoryBackend(phones), usb_root=tmp_path)
    assert [r.state for r in reports] == ["no-permission", "locked", "busy", "ready"]
    assert _by_serial(reports)["D"].storages
    assert [p.opened - p.closed for p in phones] == [0, 0, 0, 0]


def test_a_phone_unplugged_mid_scan_is_left_out(tmp_path: Path) -> None:
    gone_at_open = _phone("GONE1")
    gone_while_read = _phone("GONE2")
    gone_while_read.add_folder("Download")
    stays = _phone("STAYS")

    class Unplugging(MemoryBackend):
        def open(self, raw):  # type: ignore[no-untyped-def]
            if raw.location == gone_at_open.location:
                gone_at_open.plugged = False
                raise DeviceGone("unplugged")
            device = super().open(raw)
            if device.phone is gone_while_read:
                gone_while_read.plugged = False  # unplugged right after opening
            return device

    reports = scan(Unplugging([gone_at_open, gone_while_read, stays]), usb_root=tmp_path)
    assert [r.serial for r in reports] == ["STAYS"]
    assert gone_while_read.closed == 1


def test_a_phone_that_stops_responding_is_reported(tmp_path: Path) -> None:
    hung = _phone("HUNG", open_error=DeviceGone("the device stopped responding"))
    [report] = scan(MemoryBackend([hung, _phone("OK")]), usb_root=tmp_path)[:1]
    assert report.state == "busy"
    assert "stopped responding" in report.hint and "Unplug it" in report.hint


def test_a_dead_helper_fails_the_scan(tmp_path: Path) -> None:
    phone = _phone("H1", open_error=DeviceGone("the device stopped responding"))
    backend = MemoryBackend([phone, _phone("H2")])

    class DeadAfterOpen(MemoryBackend):
        def open(self, raw):  # type: ignore[no-untyped-def]
            backend.detect_error = DeviceGone("the device stopped responding")
            return backend.open(raw)

        def detect(self):  # type: ignore[no-untyped-def]
            return backend.detect()

    with pytest.raises(DeviceGone):
        scan(DeadAfterOpen(), usb_root=tmp_path)


def test_phones_without_mtp_are_reported_from_sysfs(tmp_path: Path) -> None:
    mtp = _phone("MTPMODE", devnum=2)
    add_usb_device(
        tmp_path, mtp.location, vendor_id=0x18D1, devnum=2, serial="MTPMODE", interfaces=(ADB,)
    )  # detected by the backend, though sysfs shows no MTP interface: not duplicated
    add_usb_device(
        tmp_path, "2-1", vendor_id=0x04E8, bus=2, devnum=5, product="Galaxy S21", serial="R5CR"
    )

    reports = scan(MemoryBackend([mtp]), usb_root=tmp_path)

    assert [(r.serial, r.state) for r in reports] == [("MTPMODE", "ready"), ("R5CR", "not-mtp")]
    charging = reports[1]
    assert (charging.vendor, charging.model, charging.location) == ("Samsung", "Galaxy S21", "2-1")
    assert "File transfer" in charging.hint
    assert scan(MemoryBackend([mtp]), usb_root=tmp_path, include_not_mtp=False) == reports[:1]


def test_detection_failure_is_raised(tmp_path: Path) -> None:
    backend = MemoryBackend([_phone("X")])
    backend.detect_error = MtpError("libusb failed")
    with pytest.raises(MtpError, match="libusb"):
        scan(backend, usb_root=tmp_path)


def test_json_has_exactly_the_contract_keys(tmp_path: Path) -> None:
    phone = _phone("JSON1")
    [report] = scan(MemoryBackend([phone]), usb_root=tmp_path)
    data = report.to_json()
    assert list(data) == ["vendor", "model", "serial", "state", "hint", "storages"]
    assert data["storages"] == [
        {
            "id": 0x10001,
            "description": "Internal shared storage",
            "capacity": 64 << 30,
            "free": 32 << 30,
        }
    ]


def test_key_prefers_the_serial_number() -> None:
    with_serial = DeviceReport("V", "M", "S1", "ready", "", location="1-4")
    without = DeviceReport("V", "M", "", "not-mtp", "", location="1-4")
    assert with_serial.key == "serial:S1"
    assert without.key == "location:1-4"


def test_busy_hint_wording() -> None:
    assert devices.busy_hint("gvfsd-mtp (process 5)").endswith("(`gio mount -l`).")
    assert "Dolphin" in devices.busy_hint("kiod5 (process 6)")

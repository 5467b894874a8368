"""The backend over our libmtp binding, without a phone: :class:`LibmtpDevice` and
:class:`LibmtpBackend` over :class:`FakeLib`, a Python stand-in for
:class:`~syncgui.providers.mtp.native.libmtp.Lib` that speaks libmtp's error texts, for the id
mapping and every error path. (The binding itself is tested in ``test_libmtp_binding.py``.)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from syncgui.providers.mtp.backend import (
    ROOT,
    DeviceBusy,
    DeviceGone,
    MtpError,
    NoPermission,
    ObjectMissing,
    RawDevice,
    StorageFull,
    StorageInfo,
    Unsupported,
)
from syncgui.providers.mtp.native import libmtp_backend
from syncgui.providers.mtp.native.libmtp import FileRecord, StackedError
from syncgui.providers.mtp.native.libmtp_backend import LibmtpBackend, LibmtpDevice, choose_filetype
from syncgui.providers.mtp.native.libmtp_types import (
    FILES_AND_FOLDERS_ROOT,
    DeviceCap,
    ErrorNumber,
    Filetype,
    LIBMTP_raw_device_t,
)

TOP = FILES_AND_FOLDERS_ROOT
STORAGE = 0x00010001
BIG = 2**31 + 5  # ids with the top bit set must stay positive


def _ptp(code: int, where: str = "LIBMTP_Delete_Object(): could not delete object.") -> list:
    """The stack libmtp leaves when the device answered ``code`` (as in test_libmtp_binding)."""
    return [
        StackedError(ErrorNumber.PTP_LAYER, f"PTP Layer error {code:04x}: {where}"),
        StackedError(ErrorNumber.PTP_LAYER, f"Error {code:04x}: something"),
    ]


def _gen(text: str) -> StackedError:
    return StackedError(ErrorNumber.GENERAL, text)


class FakeLib:
    """What LibmtpDevice and LibmtpBackend use of Lib, over a dict of objects, with libmtp's
    error texts. ``fail[method]`` makes that method fail with the given stack."""

    def __init__(self) -> None:
        self.objects: dict[int, FileRecord] = {}
        self.data: dict[int, bytes] = {}
        self.errors: list[StackedError] = []
        self.fail: dict[str, list[StackedError]] = {}
        self.supported: list[int] = []
        self.storage_status = 0
        self.next_id = BIG
        self.calls: list[tuple[Any, ...]] = []
        self.released = 0
        self.raws: list[LIBMTP_raw_device_t] = []
        self.detect_number = ErrorNumber.NONE
        self.opened: object | None = "handle"
        self.unlisted_after_send = False
        self.wrong_ids = False  # answer creations with another object's id, as QEMU can
        self.read_only = False

    def add(self, name: str, parent: int = 0, data: bytes | None = b"x", oid: int = 0) -> int:
        oid = oid or self._new_id()
        kind = Filetype.FOLDER if data is None else Filetype.UNKNOWN
        self.objects[oid] = FileRecord(oid, parent, STORAGE, name, len(data or b""), 1000, kind)
        if data is not None:
            self.data[oid] = data
        return oid

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _failed(self, method: str) -> bool:
        if method in self.fail:
            self.errors += self.fail[method]
            return True
        return False

    def take_errors(self, device: Any) -> list[StackedError]:
        errors, self.errors = self.errors, []
        return errors

    def manufacturer(self, device: Any) -> str:
        return "QEMU"

    def model(self, device: Any) -> str:
        return ""

    def serial(self, device: Any) -> str:
        return "34617"

    def get_storage(self, device: Any) -> int:
        return -1 if self._failed("get_storage") else self.storage_status

    def storages(self, device: Any) -> list[StorageInfo]:
        return [StorageInfo(STORAGE, "FakePhone", 100, 60, self.read_only)]

    def files_and_folders(self, device: Any, storage: int, parent: int) -> list[FileRecord]:
        self.calls.append(("list", storage, parent))
        if self._failed("list"):
            return []
        wanted = {0, TOP} if parent == TOP else {parent}
        return [o for o in self.objects.values() if o.parent_id in wanted]

    def file_metadata(self, device: Any, object_id: int) -> FileRecord | None:
        return self.objects.get(object_id)

    def get_file(self, device: Any, object_id: int) -> bytes | None:
        if self._failed("get_file"):
            return None
        if object_id not in self.data:
            self.errors.append(
                _gen("LIBMTP_Get_File_To_File_Descriptor(): Could not get object info.")
            )
            return None
        return self.data[object_id]

    def supported_filetypes(self, device: Any) -> list[int]:
        return list(self.supported)

    def send_file(self, device: Any, payload: bytes, metadata: Any) -> int:
        self.calls.append(("send", metadata.filename, metadata.parent_id, metadata.storage_id,
                           metadata.filetype, metadata.filesize))  # fmt: skip
        metadata.item_id = self._new_id()
        if self._failed("send_file"):
            return -1
        parent = 0 if metadata.parent_id == TOP else metadata.parent_id
        name = metadata.filename.decode()
        if self.unlisted_after_send:
            self.errors.append(
                _gen("LIBMTP_Send_File_From_Handler(): Could not retrieve updated metadata.")
            )
            self.unlisted_after_send = False
            return -1
        self.add(name, parent, payload, oid=metadata.item_id)
        if self.wrong_ids:
            metadata.item_id = min(self.objects)
        return 0

    def delete_object(self, device: Any, object_id: int) -> int:
        self.calls.append(("delete", object_id))
        if object_id not in self.objects:
            self.errors += _ptp(0x2009)
            return -1
        del self.objects[object_id]
        return 0

    def set_file_name(self, device: Any, object_id: int, name: str) -> int | None:
        if object_id not in self.objects:
            return None
        if self._failed("rename"):
            return -1
        self.objects[object_id] = dataclasses.replace(self.objects[object_id], filename=name)
        return 0

    def create_folder(self, device: Any, name: str, parent: int, storage: int) -> int:
        self.calls.append(("mkdir", name, parent, storage))
        if self._failed("mkdir"):
            return 0
        made = self.add(name, 0 if parent == TOP else parent, None)
        return min(self.objects) if self.wrong_ids else made

    def check_capability(self, device: Any, capability: DeviceCap) -> bool:
        return capability == DeviceCap.MoveObject

    def release_device(self, device: Any) -> None:
        self.released += 1

    def detect_raw_devices(self) -> tuple[int, list[LIBMTP_raw_device_t]]:
        return self.detect_number, list(self.raws)

    def open_raw_device_uncached(self, raw: Any) -> object | None:
        self.calls.append(("open", raw.bus_location, raw.devnum))
        return self.opened


PHONE = RawDevice(1, 4, 0x18D1, 0x4EE1, "Google", "Pixel", "1-4")


@pytest.fixture
def usb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A /dev/bus/usb where the phone's node exists."""
    monkeypatch.setattr(libmtp_backend, "USB_DEVICE_DIR", tmp_path)
    monkeypatch.setattr(libmtp_backend, "_NEW_OBJECT_WAIT", 0.0)
    monkeypatch.setattr(libmtp_backend, "_NEW_OBJECT_QUICK", (0.0, 0.0, 0.0, 0.0))
    node = tmp_path / "001" / "004"
    node.parent.mkdir()
    node.touch()
    return node


@pytest.fixture
def fake(usb: Path) -> FakeLib:
    return FakeLib()


@pytest.fixture
def phone(fake: FakeLib) -> LibmtpDevice:
    return LibmtpDevice(fake, "handle", PHONE)  # type: ignore[arg-type]


def test_info_falls_back_to_the_usb_names(phone: LibmtpDevice) -> None:
    assert (phone.info.vendor, phone.info.model, phone.info.serial) == ("QEMU", "Pixel", "34617")


def test_root_is_listed_as_libmtp_wants_and_reported_as_root(
    fake: FakeLib, phone: LibmtpDevice
) -> None:
    contacts = fake.add("Contacts", data=None)
    fake.add("hello.vcf", data=b"BEGIN:VCARD")
    fake.add("odd.vcf", parent=TOP)  # some devices say 0xFFFFFFFF for the top
    fake.add("alice.vcf", parent=contacts)
    top = {o.name: o for o in phone.list_folder(STORAGE, ROOT)}
    assert fake.calls[-1] == ("list", STORAGE, TOP)
    assert set(top) == {"Contacts", "hello.vcf", "odd.vcf"}
    assert all(o.parent == ROOT for o in top.values())
    assert (
        top["Contacts"].is_folder
        and top["Contacts"].size == 0
        and top["Contacts"].id == contacts > 2**31
    )
    assert (top["hello.vcf"].size, top["hello.vcf"].mtime) == (11, 1000.0)
    assert [o.name for o in phone.list_folder(STORAGE, contacts)] == ["alice.vcf"]


def test_listing_errors(fake: FakeLib, phone: LibmtpDevice) -> None:
    fake.fail["list"] = _ptp(0x02FF, "could not get object handles of ffffffff.")
    with pytest.raises(DeviceGone):
        phone.list_folder(STORAGE, ROOT)
    fake.fail["list"] = _ptp(0x2009)
    with pytest.raises(ObjectMissing):
        phone.list_folder(STORAGE, 99)
    fake.fail.clear()
    assert phone.list_folder(STORAGE, ROOT) == []  # an empty folder is no error


def test_a_refused_listing_of_a_folder_means_it_is_gone(fake: FakeLib, phone: LibmtpDevice) -> None:
    fake.fail["list"] = _ptp(0x02FE, "LIBMTP_Get_Files_And_Folders(): could not get object handles")
    with pytest.raises(ObjectMissing):  # QEMU's answer for a deleted folder
        phone.list_folder(STORAGE, 12)
    with pytest.raises(MtpError, match="refused") as caught:  # the top cannot be missing
        phone.list_folder(STORAGE, ROOT)
    assert type(caught.value) is MtpError


def test_an_unresponsive_device_is_gone(fake: FakeLib, phone: LibmtpDevice) -> None:
    fake.fail["list"] = _ptp(0x02FF, "could not get object handles of ffffffff.")
    with pytest.raises(DeviceGone, match="stopped responding"):  # still on the bus
        phone.list_folder(STORAGE, ROOT)


def test_created_objects_are_found_by_name_when_the_answered_id_is_wrong(
    fake: FakeLib, phone: LibmtpDevice
) -> None:
    fake.add("hello.vcf")
    fake.wrong_ids = True  # QEMU answers with a guess that another object may get
    folder = phone.create_folder(STORAGE, ROOT, "Backup")
    assert fake.objects[folder].filename == "Backup"
    made = phone.upload(STORAGE, folder, "a.vcf", b"abc")
    assert fake.objects[made.id].filename == "a.vcf" and made.parent == folder


def test_writes_to_a_read_only_storage_are_refused_without_asking(
    fake: FakeLib, phone: LibmtpDevice
) -> None:
    fake.read_only = True
    with pytest.raises(MtpError, match="read-only"):
        phone.upload(STORAGE, ROOT, "a.vcf", b"abc")
    with pytest.raises(MtpError, match="read-only"):
        phone.create_folder(STORAGE, ROOT, "Backup")
    assert not any(call[0] in ("send", "mkdir") for call in fake.calls)


def test_listing_notices_a_device_that_left(fake: FakeLib, phone: LibmtpDevice, usb: Path) -> None:
    usb.unlink()  # libmtp skips unreadable objects silently: a short list must not pass
    with pytest.raises(DeviceGone):
        phone.list_folder(STORAGE, ROOT)


def test_download(fake: FakeLib, phone: LibmtpDevice, usb: Path) -> None:
    oid = fake.add("hello.vcf", data=b"BEGIN:VCARD\r\nEND:VCARD\r\n")
    assert phone.download(oid) == b"BEGIN:VCARD\r\nEND:VCARD\r\n"
    with pytest.raises(ObjectMissing):  # libmtp drops the PTP code; the device still answers
        phone.download(oid + 1)
    fake.fail["get_storage"] = []
    with pytest.raises(DeviceGone, match="stopped responding"):
        phone.download(oid + 1)
    usb.unlink()
    with pytest.raises(DeviceGone, match="disconnected"):
        phone.download(oid + 1)


def test_upload_to_the_top_sends_libmtps_root_and_plain_files(
    fake: FakeLib, phone: LibmtpDevice
) -> None:
    made = phone.upload(STORAGE, ROOT, "Ünïcødé.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert fake.calls[-1] == ("send", "Ünïcødé.vcf".encode(), TOP, STORAGE, Filetype.UNKNOWN, 26)
    assert (made.name, made.parent, made.size, made.is_folder) == ("Ünïcødé.vcf", ROOT, 26, False)
    assert made.id > 2**31 and fake.data[made.id] == b"BEGIN:VCARD\r\nVERSION:3.0\r\n"


def test_upload_announces_vcards_to_devices_that_list_them(
    fake: FakeLib, phone: LibmtpDevice
) -> None:
    fake.supported = [Filetype.VCARD2, Filetype.VCARD3]
    folder = fake.add("Contacts", data=None)
    phone.upload(STORAGE, folder, "a.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert fake.calls[-1][2:5] == (folder, STORAGE, Filetype.VCARD3)
    phone.upload(STORAGE, folder, "b.vcf", b"BEGIN:VCARD\r\nVERSION:2.1\r\n")
    assert fake.calls[-1][4] == Filetype.VCARD2
    phone.upload(STORAGE, folder, "notes.txt", b"")
    assert fake.calls[-1][4] == Filetype.UNKNOWN


def test_choose_filetype() -> None:
    card3, card21 = b"BEGIN:VCARD\nVERSION:3.0\n", b"BEGIN:VCARD\nversion:2.1\n"
    assert choose_filetype("a.vcf", card3, frozenset()) is Filetype.UNKNOWN
    assert choose_filetype("a.VCF", card3, frozenset({Filetype.VCARD3})) is Filetype.VCARD3
    assert choose_filetype("a.vcf", card21, frozenset({Filetype.VCARD3})) is Filetype.VCARD3
    assert choose_filetype("a.vcf", card3, frozenset({Filetype.VCARD2})) is Filetype.VCARD2
    assert choose_filetype("a.txt", card3, frozenset({Filetype.VCARD3})) is Filetype.UNKNOWN


def test_a_failed_upload_removes_the_partial_file(fake: FakeLib, phone: LibmtpDevice) -> None:
    fake.fail["send_file"] = _ptp(0x200C, "LIBMTP_Send_File_From_Handler(): Could not send object.")
    with pytest.raises(StorageFull):
        phone.upload(STORAGE, ROOT, "a.vcf", b"x" * 100)
    assert fake.calls[-1] == ("delete", fake.next_id)


def test_an_upload_the_device_lists_late_still_succeeds(fake: FakeLib, phone: LibmtpDevice) -> None:
    fake.unlisted_after_send = True  # sent, but the device did not list it at once (QEMU)
    made = phone.upload(STORAGE, ROOT, "late.vcf", b"abc")
    assert (made.id, made.name, made.size, made.parent) == (fake.next_id, "late.vcf", 3, ROOT)


def test_an_upload_listed_a_moment_late_is_found_by_its_id_without_a_listing(
    fake: FakeLib, phone: LibmtpDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake.add("Contacts", data=None)
    for i in range(5):
        fake.add(f"c{i}.vcf", parent=folder)
    fake.unlisted_after_send = True  # QEMU: its file monitor notices the new file a bit later
    lookups: list[int] = []
    real = fake.file_metadata

    def late(device: Any, object_id: int) -> FileRecord | None:
        lookups.append(object_id)
        if len(lookups) == 3:  # noticed now, under the id the device answered with
            fake.add("late.vcf", folder, b"abc", oid=object_id)
        return real(device, object_id)

    monkeypatch.setattr(fake, "file_metadata", late)
    made = phone.upload(STORAGE, folder, "late.vcf", b"abc")
    assert (made.id, made.name, made.size, made.parent) == (fake.next_id, "late.vcf", 3, folder)
    assert lookups == [fake.next_id] * 3
    assert not [c for c in fake.calls if c[0] == "list"]  # no listing of the whole folder


def test_an_id_answered_for_another_object_falls_back_to_the_listing(
    fake: FakeLib, phone: LibmtpDevice
) -> None:
    fake.add("hello.vcf")
    fake.wrong_ids = True
    made = phone.upload(STORAGE, ROOT, "a.vcf", b"abc")
    assert fake.objects[made.id].filename == "a.vcf"
    assert ("list", STORAGE, TOP) in fake.calls


def test_rename(fake: FakeLib, phone: LibmtpDevice) -> None:
    oid = fake.add("a.vcf")
    phone.rename(oid, "b.vcf")
    assert fake.objects[oid].filename == "b.vcf"
    fake.fail["rename"] = [_gen("set_object_filename(): could not get property description.")]
    with pytest.raises(Unsupported):
        phone.rename(oid, "c.vcf")
    fake.fail["rename"] = _ptp(0x2009, "set_object_string(): could not set object string.")
    with pytest.raises(ObjectMissing):
        phone.rename(oid, "c.vcf")
    with pytest.raises(ObjectMissing):
        phone.rename(oid + 1, "c.vcf")


def test_delete_and_create_folder(fake: FakeLib, phone: LibmtpDevice) -> None:
    folder = phone.create_folder(STORAGE, ROOT, "Backup")
    assert folder > 2**31 and fake.calls[-1] == ("mkdir", "Backup", TOP, STORAGE)
    inner = phone.create_folder(STORAGE, folder, "Inner")
    assert fake.objects[inner].parent_id == folder
    phone.delete(inner)
    with pytest.raises(ObjectMissing):
        phone.delete(inner)
    fake.fail["mkdir"] = _ptp(0x200E, "LIBMTP_Create_Folder: Could not send object info.")
    with pytest.raises(MtpError, match="read-only"):
        phone.create_folder(STORAGE, ROOT, "Nope")


def test_storages(fake: FakeLib, phone: LibmtpDevice, usb: Path) -> None:
    assert phone.storages() == [StorageInfo(STORAGE, "FakePhone", 100, 60)]
    fake.storage_status = -1
    assert phone.storages() == []  # a locked phone shows no storage, and says nothing
    usb.unlink()
    with pytest.raises(DeviceGone):
        phone.storages()


def test_close_releases_once_and_refuses_later_calls(fake: FakeLib, phone: LibmtpDevice) -> None:
    assert phone.capabilities() == {DeviceCap.MoveObject}
    phone.close()
    phone.close()
    assert fake.released == 1
    with pytest.raises(MtpError):
        phone.list_folder(STORAGE, ROOT)


def _raw(bus: int, devnum: int, vendor_id: int = 0x18D1) -> LIBMTP_raw_device_t:
    raw = LIBMTP_raw_device_t(bus_location=bus, devnum=devnum)
    raw.device_entry.vendor_id, raw.device_entry.product_id = vendor_id, 0x4EE1
    raw.device_entry.vendor, raw.device_entry.product = b"Google", b"Pixel \xe2\x9c\x93"
    return raw


def test_backend_detect(fake: FakeLib) -> None:
    fake.raws = [_raw(1, 4)]
    (found,) = LibmtpBackend(fake).detect()  # type: ignore[arg-type]
    assert (found.bus, found.devnum, found.vendor_id, found.product_id) == (1, 4, 0x18D1, 0x4EE1)
    assert (found.vendor, found.product) == ("Google", "Pixel ✓")
    assert found.location  # sysfs name where there is sysfs, else a usb:BBB,DDD address
    fake.detect_number = ErrorNumber.NO_DEVICE_ATTACHED
    assert LibmtpBackend(fake).detect() == []  # type: ignore[arg-type]
    fake.detect_number = ErrorNumber.CONNECTING
    with pytest.raises(MtpError, match="CONNECTING"):
        LibmtpBackend(fake).detect()  # type: ignore[arg-type]


def test_backend_open(fake: FakeLib, usb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = LibmtpBackend(fake)  # type: ignore[arg-type]
    fake.raws = [_raw(1, 3), _raw(1, 4)]
    device = backend.open(PHONE)
    assert fake.calls[-1] == ("open", 1, 4) and isinstance(device, LibmtpDevice)
    fake.opened = None
    with pytest.raises(DeviceBusy, match="gvfs-mtp-volume-monitor") as busy:
        backend.open(PHONE)
    assert busy.value.holder is None
    monkeypatch.setattr(libmtp_backend.os, "access", lambda path, mode: False)
    with pytest.raises(NoPermission, match=r"69-syncgui-mtp\.rules.*plugdev"):
        backend.open(PHONE)
    usb.unlink()
    with pytest.raises(DeviceGone):
        backend.open(PHONE)
    fake.raws = [_raw(1, 4, vendor_id=0x1234)]  # another device now has the address
    with pytest.raises(DeviceGone):
        backend.open(PHONE)

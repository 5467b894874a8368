"""mtp-tools and our libmtp backend against QEMU's MTP device, in the guest.

Two boots for the whole module (each costs seconds under TCG), shared by the tests:

1. the phone folder holds seeded files; mtp-tools look at it, then ``guest_checks.py
   exercise`` runs every backend operation once, error paths included;
2. after the "phone" changed its files on the host side and a second, empty device was
   added, both read-only: ``guest_checks.py survey`` lists and reads everything (what
   survived the reboot, what the phone changed) and tries to write to a read-only device.
"""

from __future__ import annotations

import base64
import json
import logging
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.mtp_guest import GuestImage, GuestResult, run_in_guest

from .guest_checks import DOOMED_DATA, UPLOAD_DATA, UPLOAD_NAME

pytestmark = pytest.mark.mtp
logger = logging.getLogger(__name__)

CHECKS = Path(__file__).with_name("guest_checks.py")
HELLO = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Hello World\r\nEND:VCARD\r\n"
HELLO_EDITED = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Hello World\r\nTEL:+1 555 0100\r\nEND:VCARD\r\n"
ALICE = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Liddell;Alice\r\nEND:VCARD\r\n"
BOB = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob\r\nEND:VCARD\r\n"
NOTES = b"not a card\n"


@dataclass(frozen=True)
class Boot:
    result: GuestResult
    workdir: Path
    checks: dict[str, Any]

    @property
    def steps(self) -> dict[str, Any]:
        steps: dict[str, Any] = self.checks["steps"]
        return steps

    def _entry(self, step: str) -> dict[str, Any]:
        entry: dict[str, Any] | None = self.steps.get(step)
        if entry is None:
            failed = {k: v for k, v in self.steps.items() if "error" in v}
            pytest.fail(
                f"step {step} did not run; steps with errors: {failed}; exit status "
                f"{self.result.returncode}; console in {self.workdir / 'console.txt'}"
            )
        return entry

    def value(self, step: str) -> Any:
        entry = self._entry(step)
        assert "error" not in entry, f"step {step} failed: {entry}"
        return entry["value"]

    def error(self, step: str) -> str | None:
        error: str | None = self._entry(step).get("error")
        return error


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _host_tree(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix() + ("/" if p.is_dir() else ""): (
            None if p.is_dir() else p.read_bytes()
        )
        for p in sorted(root.rglob("*"))
    }


def _boot(
    image: GuestImage,
    workdir: Path,
    command: str,
    devices: list[tuple[Path, str]],
    *,
    readonly: bool = False,
) -> Boot:
    workdir.mkdir()
    result = run_in_guest(
        command, workdir=workdir, device_dirs=devices, image=image, readonly_devices=readonly
    )
    (workdir / "console.txt").write_text(result.output)  # for a look after a failure
    results = workdir / "results.json"
    assert results.exists(), f"guest_checks.py wrote nothing; console:\n{result.output}"
    checks = json.loads(results.read_text())
    logger.info(
        "boot: %.1f s to the command, %.1f s in all; python start %.2f s; steps %s",
        result.boot_seconds,
        result.seconds,
        checks.get("python_start_seconds", float("nan")),
        {k: v["seconds"] for k, v in checks["steps"].items()},
    )
    return Boot(result, workdir, checks)


def _checks(mode: str) -> str:
    return f"GUEST_T0=$(date +%s.%N) python {shlex.quote(str(CHECKS))} {mode} results.json"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Holds the device folders ``phone`` and ``tablet`` and one work directory per boot."""
    return tmp_path_factory.mktemp("mtp-guest")


@pytest.fixture(scope="module")
def first_boot(mtp_guest_image: GuestImage, base: Path) -> Boot:
    phone = base / "phone"
    _write(phone / "hello.vcf", HELLO)
    _write(phone / "notes.txt", NOTES)
    _write(phone / "Contacts" / "alice.vcf", ALICE)
    _write(phone / "Contacts" / "Müller.vcf", BOB)
    command = "\n".join(
        [
            "mtp-detect > mtp-detect.txt 2>&1",
            "mtp-files > mtp-files.txt 2>&1",
            "t0=$(date +%s%N); python -c pass; t1=$(date +%s%N)",
            "echo $(( (t1 - t0) / 1000000 )) > python-start-ms",
            _checks("exercise"),
        ]
    )
    return _boot(mtp_guest_image, base / "first", command, [(phone, "FakePhone")])


@pytest.fixture(scope="module")
def second_boot(mtp_guest_image: GuestImage, base: Path, first_boot: Boot) -> Boot:
    phone, tablet = base / "phone", base / "tablet"
    # The phone's own edits while it was unplugged.
    _write(phone / "hello.vcf", HELLO_EDITED)
    _write(phone / "Contacts" / "bob.vcf", BOB)
    (phone / "Contacts" / "alice.vcf").unlink()
    (phone / "Contacts" / "Müller.vcf").unlink()
    _write(tablet / "tablet.vcf", BOB)
    devices = [(phone, "FakePhone"), (tablet, "FakeTablet")]
    return _boot(mtp_guest_image, base / "second", _checks("survey"), devices, readonly=True)


def test_mtp_tools_see_the_device_and_its_files(first_boot: Boot) -> None:
    boot = first_boot
    detect = (boot.workdir / "mtp-detect.txt").read_text()
    assert "QEMU" in detect and "Virtual MTP (46f4:0004)" in detect, detect
    assert "StorageDescription: FakePhone" in detect, detect
    files = (boot.workdir / "mtp-files.txt").read_text()
    assert "Filename: hello.vcf" in files and "Filename: alice.vcf" in files, files
    ms = int((boot.workdir / "python-start-ms").read_text())
    logger.info("python -c pass in the guest: %d ms", ms)


def test_backend_detects_and_opens_the_device(first_boot: Boot) -> None:
    boot = first_boot
    (raw,) = boot.value("detect")
    assert (raw["vendor_id"], raw["product_id"]) == (0x46F4, 0x0004)
    assert boot.value("info")["vendor"] == "QEMU"
    (storage,) = boot.value("storages")
    assert storage["description"] == "FakePhone"
    assert storage["read_only"] is False
    assert storage["capacity"] > 0


def test_backend_lists_and_downloads(first_boot: Boot) -> None:
    boot = first_boot
    root = {o["name"]: o for o in boot.value("list_root")}
    assert set(root) == {"hello.vcf", "notes.txt", "Contacts"}
    assert root["Contacts"]["is_folder"] and not root["hello.vcf"]["is_folder"]
    assert root["hello.vcf"]["size"] == len(HELLO)
    assert all(o["parent"] == 0 for o in root.values())  # ROOT, whatever libmtp said
    assert base64.b64decode(boot.value("download_hello")) == HELLO
    assert sorted(o["name"] for o in boot.value("list_contacts")) == ["Müller.vcf", "alice.vcf"]


def test_backend_uploads_into_a_new_folder(first_boot: Boot) -> None:
    boot = first_boot
    backup = boot.value("create_folder")
    uploaded = boot.value("upload")
    assert (uploaded["name"], uploaded["size"], uploaded["parent"]) == (
        UPLOAD_NAME,
        len(UPLOAD_DATA),
        backup,
    )
    assert boot.value("list_new_folder") == []
    assert [o["name"] for o in boot.value("list_backup")] == [UPLOAD_NAME]
    assert base64.b64decode(boot.value("download_uploaded")) == UPLOAD_DATA
    root_after = {o["name"]: o for o in boot.value("list_root_after_mkdir")}
    assert root_after["Backup"]["is_folder"] and root_after["Backup"]["id"] == backup
    # On the "phone" itself, after power-off: the folder and the file, byte for byte.
    assert (first_boot.workdir.parent / "phone" / "Backup" / UPLOAD_NAME).read_bytes() == (
        UPLOAD_DATA
    )


def test_backend_uploads_an_empty_file(first_boot: Boot) -> None:
    boot = first_boot
    empty = boot.value("upload_empty")
    assert (empty["name"], empty["size"]) == ("empty.vcf", 0)
    assert (boot.workdir.parent / "phone" / "Backup" / "empty.vcf").read_bytes() == b""


def test_backend_deletes_and_reports_missing_objects(first_boot: Boot) -> None:
    boot = first_boot
    doomed = boot.value("upload_doomed")
    assert doomed["size"] == len(DOOMED_DATA)
    boot.value("delete")
    assert "doomed.vcf" not in {o["name"] for o in boot.value("list_root_after_delete")}
    assert boot.error("download_deleted") == "ObjectMissing"
    assert boot.error("delete_deleted") == "ObjectMissing"
    assert boot.error("rename_deleted") == "ObjectMissing"
    boot.value("delete_empty_folder")
    phone = boot.workdir.parent / "phone"
    assert not (phone / "doomed.vcf").exists() and not (phone / "Trash").exists()
    # No crash: the script ran to its end and closed the device.
    boot.value("close")
    assert boot.checks["finished"] and boot.result.returncode == 0, boot.result.output


def test_rename_is_unsupported_by_qemu(first_boot: Boot) -> None:
    # QEMU's responder has no SetObjectPropValue: the backend must say so, not fail vaguely.
    assert first_boot.error("rename") == "Unsupported"


def test_state_survives_a_reboot_with_phone_side_edits(second_boot: Boot) -> None:
    boot = second_boot
    assert len(boot.value("detect")) == 2
    trees = {k.removeprefix("tree_"): v["value"] for k, v in boot.steps.items() if "tree_" in k}
    assert sorted(trees) == ["FakePhone", "FakeTablet"], boot.steps.keys()
    phone = {
        path: None if data is None else base64.b64decode(data)
        for path, data in trees["FakePhone"].items()
    }
    # Exactly the folder's content: what boot 1 uploaded, and what the phone changed since.
    assert phone == _host_tree(boot.workdir.parent / "phone")
    assert phone[f"Backup/{UPLOAD_NAME}"] == UPLOAD_DATA
    assert phone["hello.vcf"] == HELLO_EDITED
    assert phone["Contacts/bob.vcf"] == BOB and "Contacts/alice.vcf" not in phone
    assert trees["FakeTablet"] == {"tablet.vcf": base64.b64encode(BOB).decode()}


def test_read_only_devices_refuse_writes(second_boot: Boot) -> None:
    boot = second_boot
    for index in (0, 1):
        (storage,) = boot.value(f"storages_{index}")
        assert storage["read_only"] is True, storage
    for desc in ("FakePhone", "FakeTablet"):
        assert boot.error(f"upload_{desc}") == "MtpError"
        assert "read-only" in boot.steps[f"upload_{desc}"]["message"]
    assert not (boot.workdir.parent / "phone" / "probe.vcf").exists()
    assert not (boot.workdir.parent / "tablet" / "probe.vcf").exists()

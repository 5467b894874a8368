"""Checks of our libmtp backend against QEMU's MTP device; runs INSIDE the MTP guest.

Usage: ``python guest_checks.py MODE RESULT.json`` with MODE

* ``exercise``: detect, open, storages, list, download, create a folder, upload, rename,
  delete and the error paths on the first device, which holds the files that
  ``test_guest_mtp.py`` seeds;
* ``survey``: on every device, list every object and download every file (for what
  survived a reboot and what the "phone" changed), and try one upload (for read-only
  devices); steps are named after the storage's description.

Each step is recorded as ``{"value": ...}`` or ``{"error": "ClassName", "message": ...}`` in
the JSON file, which is rewritten after every step so that a crash leaves the steps before
it; ``"finished": true`` comes last. The host-side tests assert on that file.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

_STARTED = time.time()  # before the imports below, which are most of a start-up here

from syncgui.providers.mtp.backend import ROOT, MtpBackend, MtpDevice, ObjectInfo  # noqa: E402

UPLOAD_NAME = "Zoë Ünicode.vcf"
UPLOAD_DATA = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Ünicode\r\nEND:VCARD\r\n".encode()
DOOMED_DATA = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Doomed\r\nEND:VCARD\r\n"

T = TypeVar("T")


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)  # e.g. an opened device


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"finished": False, "steps": {}}
        t0 = os.environ.get("GUEST_T0")  # `date +%s.%N` just before python was started
        if t0:
            self.data["python_start_seconds"] = round(_STARTED - float(t0), 3)
        self.save()

    def save(self) -> None:
        self.path.write_text(json.dumps(self.data, indent=1, ensure_ascii=False))

    def step(self, name: str, action: Callable[[], T]) -> T | None:
        """Run ``action``; record its value or the exception it raised."""
        started = time.monotonic()
        entry: dict[str, Any]
        result: T | None = None
        try:
            result = action()
            entry = {"value": _jsonable(result)}
        except Exception as exc:
            entry = {"error": type(exc).__name__, "message": str(exc)}
        entry["seconds"] = round(time.monotonic() - started, 3)
        self.data["steps"][name] = entry
        self.save()
        return result

    def finish(self) -> None:
        self.data["finished"] = True
        self.save()


def _named(objects: Sequence[ObjectInfo] | None, name: str) -> ObjectInfo:
    found = [o for o in objects or () if o.name == name]
    if not found:
        raise LookupError(f"{name!r} not listed")
    return found[0]


def _backend() -> MtpBackend:
    """Imported here, in a step: an import error is a result like any other."""
    from syncgui.providers.mtp.native.libmtp_backend import LibmtpBackend

    return LibmtpBackend()


def exercise(rec: Recorder) -> None:
    backend = rec.step("import", _backend)
    if backend is None:
        return
    raws = rec.step("detect", backend.detect)
    if not raws:
        return
    device = rec.step("open", lambda: backend.open(raws[0]))
    if device is None:
        return
    try:
        _exercise_device(rec, device)
    finally:
        rec.step("close", device.close)


def _exercise_device(rec: Recorder, device: MtpDevice) -> None:
    rec.step("info", lambda: device.info)
    storages = rec.step("storages", device.storages)
    if not storages:
        return
    sid = storages[0].id
    root = rec.step("list_root", lambda: device.list_folder(sid, ROOT))
    rec.step("download_hello", lambda: device.download(_named(root, "hello.vcf").id))
    rec.step("list_contacts", lambda: device.list_folder(sid, _named(root, "Contacts").id))

    backup = rec.step("create_folder", lambda: device.create_folder(sid, ROOT, "Backup"))
    if backup is None:
        return
    # QEMU adds a file to its object tree only in folders listed during the session (it
    # watches those for changes): list the new folder first, as a sync would anyway.
    rec.step("list_new_folder", lambda: device.list_folder(sid, backup))
    uploaded = rec.step("upload", lambda: device.upload(sid, backup, UPLOAD_NAME, UPLOAD_DATA))
    rec.step("list_backup", lambda: device.list_folder(sid, backup))
    if uploaded is not None:
        rec.step("download_uploaded", lambda: device.download(uploaded.id))
        rec.step("rename", lambda: device.rename(uploaded.id, "Renamed.vcf"))
    rec.step("upload_empty", lambda: device.upload(sid, backup, "empty.vcf", b""))
    rec.step("list_root_after_mkdir", lambda: device.list_folder(sid, ROOT))

    doomed = rec.step("upload_doomed", lambda: device.upload(sid, ROOT, "doomed.vcf", DOOMED_DATA))
    if doomed is not None:
        rec.step("delete", lambda: device.delete(doomed.id))
        rec.step("list_root_after_delete", lambda: device.list_folder(sid, ROOT))
        rec.step("download_deleted", lambda: device.download(doomed.id))
        rec.step("delete_deleted", lambda: device.delete(doomed.id))
        rec.step("rename_deleted", lambda: device.rename(doomed.id, "x.vcf"))
    trash = rec.step("create_trash", lambda: device.create_folder(sid, ROOT, "Trash"))
    if trash is not None:
        rec.step("delete_empty_folder", lambda: device.delete(trash))
    rec.step("storages_at_end", device.storages)


def survey(rec: Recorder) -> None:
    backend = rec.step("import", _backend)
    if backend is None:
        return
    raws = rec.step("detect", backend.detect) or []
    for index, raw in enumerate(raws):
        device = rec.step(f"open_{index}", partial(backend.open, raw))
        if device is not None:
            try:
                _survey_device(rec, index, device)
            finally:
                rec.step(f"close_{index}", device.close)


def _survey_device(rec: Recorder, index: int, device: MtpDevice) -> None:
    for storage in rec.step(f"storages_{index}", device.storages) or []:
        key, sid = storage.description, storage.id  # devices are detected in no set order
        rec.step(f"tree_{key}", partial(_tree, device, sid))
        rec.step(f"upload_{key}", partial(device.upload, sid, ROOT, "probe.vcf", b"x"))


def _tree(device: MtpDevice, storage: int) -> dict[str, str | None]:
    """Every object below the storage's top: path -> base64 content (None for a folder)."""
    found: dict[str, str | None] = {}
    pending: list[tuple[int, str]] = [(ROOT, "")]
    while pending:
        parent, prefix = pending.pop()
        for obj in device.list_folder(storage, parent):
            path = prefix + obj.name
            if obj.is_folder:
                found[path + "/"] = None
                pending.append((obj.id, path + "/"))
            else:
                found[path] = base64.b64encode(device.download(obj.id)).decode()
    return found


def main(argv: list[str]) -> int:
    mode, out = argv[1], Path(argv[2])
    rec = Recorder(out)
    {"exercise": exercise, "survey": survey}[mode](rec)
    rec.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

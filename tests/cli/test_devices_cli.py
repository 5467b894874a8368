"""`syncgui-cli devices` on this machine: the real command, real backends, no phone on USB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncgui.providers.mtp.discovery import usbinfo
from syncgui.service import resolve_paths
from syncgui.service.config import Partnership, PartnershipBook
from tests.cli.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]

phone_plugged_in = pytest.mark.skipif(
    any(d.is_phone or d.has_mtp for d in usbinfo.usb_devices()),
    reason="a phone or MTP device is connected to this machine",
)


def _configure(cli: Cli, *specs: tuple[str, str]) -> None:
    paths = resolve_paths(str(cli.root / "config"), str(cli.root / "data"))
    PartnershipBook(paths.partnerships_file).save(
        [Partnership(f"p{i}", a, b) for i, (a, b) in enumerate(specs)]
    )


@phone_plugged_in
def test_devices_json_without_phones_is_an_empty_list(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cwd = tmp_path
    with_dirs = ["--config-dir", "cfg", "--data-dir", "data"]
    run = subprocess.run(
        [sys.executable, "-m", "syncgui.cli", *with_dirs, "devices", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []


@phone_plugged_in
def test_devices_text_without_phones_says_what_to_do(cli: Cli) -> None:
    code, out, _err = cli("devices")
    assert code == 0
    assert out.startswith("No phones or devices found.")
    assert "unlock it" in out and "File transfer" in out


def test_devices_lists_the_virtual_phone_of_a_partnership(cli: Cli, tmp_path: Path) -> None:
    phone = tmp_path / "phone"
    (phone / "Contacts").mkdir(parents=True)
    locked = tmp_path / "locked-phone"
    locked.mkdir()
    (locked / ".syncgui-virtual.json").write_text(
        json.dumps({"model": "Locked phone", "serial": "LOCK1", "locked": True})
    )
    _configure(
        cli,
        (f"virtual:{phone}#Contacts", f"vdir:{tmp_path / 'book'}"),
        (f"virtual:{locked}", f"vcf:{tmp_path / 'x.vcf'}"),
        (f"virtual:{phone}", f"vcf:{tmp_path / 'y.vcf'}"),  # the same phone: listed once
        (f"virtual:{tmp_path / 'unplugged'}", f"vcf:{tmp_path / 'z.vcf'}"),
    )

    code, devices = cli.json("devices")

    assert code == 0
    virtual = [d for d in devices if d["serial"].startswith("VIRTUAL-") or d["serial"] == "LOCK1"]
    assert [(d["model"], d["state"]) for d in virtual] == [
        ("Virtual phone", "ready"),
        ("Locked phone", "locked"),
    ]
    ready = virtual[0]
    assert set(ready) == {"vendor", "model", "serial", "state", "hint", "storages"}
    assert ready["hint"] == "Contacts found: Internal shared storage/Contacts."
    [storage] = ready["storages"]
    assert storage["id"] == 0x10001 and storage["description"] == "Internal shared storage"
    assert storage["capacity"] > 0 and 0 <= storage["free"] <= storage["capacity"]

    code, out, _err = cli("devices")
    assert code == 0
    assert f"syncgui Virtual phone, serial {ready['serial']}: ready" in out
    assert "Internal shared storage (0x10001):" in out and "GB free of" in out
    assert "syncgui Locked phone, serial LOCK1: locked" in out
    assert "Unlock the phone" in out


def test_devices_with_a_damaged_partnerships_file_still_lists(cli: Cli) -> None:
    config = cli.root / "config"
    config.mkdir()
    (config / "partnerships.json").write_text("{not json")
    code, out, err = cli("devices", "--json")
    assert code == 0
    assert isinstance(json.loads(out), list)
    assert "Virtual phones were not looked for" in err

"""The PyInstaller folder itself (dist/syncgui): libmtp is the system's, never bundled, and
its absence is reported as from a checkout; the providers' entry points travel with it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.installs import Dist, run, user_env

LIBMTP_DIRS = (Path("/usr/lib/x86_64-linux-gnu"), Path("/usr/lib"), Path("/lib/x86_64-linux-gnu"))


def test_libmtp_and_libusb_are_not_bundled(dist: Dist) -> None:
    bundled = [p.name for p in dist.folder.rglob("*") if p.name.startswith(("libmtp", "libusb"))]
    assert not bundled


def test_the_providers_entry_points_are_bundled(dist: Dist) -> None:
    (info,) = (dist.folder / "_internal").glob("syncgui-*.dist-info")
    text = (info / "entry_points.txt").read_text()
    assert "[syncgui.providers]" in text
    for scheme in ("vdir", "vcf", "mtp", "virtual", "carddav"):
        assert f"{scheme} = syncgui.providers." in text


def test_devices_with_the_systems_libmtp(dist: Dist, tmp_path: Path) -> None:
    done = run([str(dist.folder / "syncgui-cli"), "devices"], user_env(tmp_path))
    assert "libmtp is not installed" not in done.stdout, done.stdout


def test_devices_without_libmtp_says_how_to_install_it(dist: Dist, tmp_path: Path) -> None:
    """libmtp hidden from the frozen app (an empty file mounted over it, in a mount
    namespace of its own): `syncgui-cli devices` says so and how to install it."""
    libraries = [
        p for d in LIBMTP_DIRS if d.is_dir() for p in d.glob("libmtp.so*") if not p.is_symlink()
    ]
    if os.geteuid() != 0 or shutil.which("unshare") is None or not libraries:
        pytest.skip("hiding libmtp needs root, unshare and an installed libmtp")
    masks = "; ".join(f"mount --bind /dev/null {p}" for p in libraries)
    cli = dist.folder / "syncgui-cli"
    script = f"{masks}; exec {cli} devices"
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script],
        env=user_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"cannot hide libmtp here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert "libmtp is not installed: install the libmtp9 package" in done.stdout, done.stdout

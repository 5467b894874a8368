"""The guest harness's own pure parts (fast: no QEMU, no kernel download), and its timeout."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.mtp_guest import GuestError, GuestImage, run_in_guest
from tests.mtp_guest.build import GuestUnavailable, resolve_modules, write_initramfs
from tests.mtp_guest.fixtures import guest_unavailable
from tests.mtp_guest.guest import hidden_paths, qemu_command

MODULES_DEP = """\
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko \
kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet.ko:
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/usb/host/xhci-pci.ko: kernel/drivers/usb/host/xhci-hcd.ko \
kernel/drivers/usb/core/usbcore.ko kernel/drivers/usb/common/usb-common.ko
kernel/drivers/usb/host/xhci-hcd.ko: kernel/drivers/usb/core/usbcore.ko \
kernel/drivers/usb/common/usb-common.ko
kernel/drivers/usb/core/usbcore.ko: kernel/drivers/usb/common/usb-common.ko
kernel/drivers/usb/common/usb-common.ko:
"""


def test_modules_come_after_their_dependencies_once_each() -> None:
    order = resolve_modules(MODULES_DEP, ["9pnet_virtio", "xhci-pci", "usbcore"])
    names = [Path(p).stem for p in order]
    assert names == [
        "virtio_ring",
        "virtio",
        "9pnet",
        "9pnet_virtio",
        "usb-common",
        "usbcore",
        "xhci-hcd",
        "xhci-pci",
    ]


def test_a_module_the_kernel_lacks_is_reported() -> None:
    with pytest.raises(GuestUnavailable, match="no module dummy_hcd"):
        resolve_modules(MODULES_DEP, ["dummy_hcd"])


@pytest.mark.skipif(shutil.which("cpio") is None, reason="cpio not installed")
def test_initramfs_is_a_newc_archive_cpio_reads(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "lib" / "modules").mkdir(parents=True)
    (tree / "init").write_text("#!/bin/sh\n")
    (tree / "init").chmod(0o755)
    (tree / "lib" / "modules" / "load-order").write_text("a.ko\n")
    write_initramfs(tree, tmp_path / "initrd.gz")
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(
        ["cpio", "-idm", "--quiet"],
        input=gzip.decompress((tmp_path / "initrd.gz").read_bytes()),
        cwd=out,
        check=True,
    )
    assert (out / "init").read_text() == "#!/bin/sh\n"
    assert (out / "init").stat().st_mode & 0o777 == 0o755
    assert (out / "lib" / "modules" / "load-order").read_text() == "a.ko\n"


def test_qemu_options_escape_commas_and_give_one_mtp_device_per_folder(tmp_path: Path) -> None:
    phone, tablet = tmp_path / "a,b", tmp_path / "tablet"
    phone.mkdir()
    tablet.mkdir()
    image = GuestImage("6.1.0-1-amd64", tmp_path / "k", tmp_path / "i", tmp_path / "s")
    argv = qemu_command(
        "qemu", image, tmp_path, [(phone, "My,Phone"), (tablet, "Tab")], readonly_devices=True
    )
    devices = [argv[i + 1] for i, a in enumerate(argv) if a == "-device"]
    mtp = [d for d in devices if d.startswith("usb-mtp")]
    assert mtp == [
        f"usb-mtp,bus=xhci.0,rootdir={tmp_path}/a,,b,readonly=on,desc=My,,Phone",
        f"usb-mtp,bus=xhci.0,rootdir={tmp_path}/tablet,readonly=on,desc=Tab",
    ]
    assert "qemu-xhci,id=xhci" in devices


def test_only_paths_under_the_guests_tmpfs_mounts_are_bound_back(tmp_path: Path) -> None:
    if not tmp_path.resolve().is_relative_to("/tmp"):
        pytest.skip("the test's directory is not under /tmp")
    assert hidden_paths([tmp_path, tmp_path, Path("/usr"), Path("/tmp")]) == [tmp_path.resolve()]


def test_missing_guest_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        guest_unavailable("no QEMU")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no QEMU"):
        guest_unavailable("no QEMU")


@pytest.mark.mtp
def test_a_guest_that_overruns_its_timeout_is_killed(
    mtp_guest_image: GuestImage, tmp_path: Path
) -> None:
    with pytest.raises(GuestError, match="did not finish within 2 s") as caught:
        run_in_guest("sleep 600", workdir=tmp_path, image=mtp_guest_image, timeout=2)
    assert isinstance(caught.value.output, str)

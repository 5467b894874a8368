"""Run a shell command inside a QEMU guest whose USB bus has QEMU's emulated MTP device(s).

The guest sees the host's root read-only (so the project, its venv and libmtp are the host's
own) and the work directory writable at the same absolute path, so commands take host paths
unchanged. Each device directory becomes one ``usb-mtp`` device; it lives on the host, so a
test can inspect or edit it between boots (a phone-side edit) and the state survives a reboot.
"""

from __future__ import annotations

import logging
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .build import GuestImage, GuestUnavailable, ensure_image

logger = logging.getLogger(__name__)

QEMU = "qemu-system-x86_64"
MTP_VENDOR_PRODUCT = "46f4:0004"  # QEMU's usb-mtp
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Mounted as tmpfs in the guest: host paths under these are hidden unless bound back.
GUEST_TMPFS = (Path("/tmp"), Path("/run"), Path("/var/tmp"))
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_MARK = "syncgui-guest: "


@dataclass(frozen=True, slots=True)
class GuestResult:
    returncode: int
    output: str  # the serial console: kernel warnings, the init's lines, the command's output
    seconds: float  # QEMU start to exit
    boot_seconds: float  # QEMU start until the command started (nan if it never did)


class GuestError(Exception):
    """The guest did not run the command to its end (timeout, boot failure)."""

    def __init__(self, message: str, output: str) -> None:
        tail = "\n".join(output.splitlines()[-40:])
        super().__init__(f"{message}\n--- last lines of the guest console ---\n{tail}")
        self.output = output


def check_host() -> str:
    """The QEMU binary, if it is there and has usb-mtp; raises GuestUnavailable otherwise."""
    qemu = shutil.which(QEMU)
    if qemu is None:
        raise GuestUnavailable(f"{QEMU} not found: run scripts/setup-system")
    proc = subprocess.run(
        [qemu, "-device", "help"], capture_output=True, text=True, check=False, timeout=60
    )
    if '"usb-mtp"' not in proc.stdout:
        raise GuestUnavailable(f"{QEMU} has no usb-mtp device")
    return qemu


def default_env() -> dict[str, str]:
    """The command's environment before the caller's additions."""
    return {
        "PATH": f"{Path(sys.executable).parent}:{_SYSTEM_PATH}",
        "HOME": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
    }


def run_in_guest(
    command: str,
    *,
    workdir: Path,
    device_dirs: Sequence[tuple[Path, str]] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
    readonly_devices: bool = False,
    image: GuestImage | None = None,
    keep_paths: Sequence[Path] = (),
) -> GuestResult:
    """Boot the guest, run ``command`` with ``sh`` in ``workdir``, power off.

    ``device_dirs`` are (folder, description) pairs, one MTP device each. ``keep_paths`` are
    host paths the command needs that lie under /tmp, /run or /var/tmp (the project and its
    venv are added by themselves). Raises :class:`GuestError` if the command did not run to
    its end, with the console output; a failing command is a non-zero ``returncode``.
    """
    qemu = check_host()
    image = image or ensure_image()
    workdir = workdir.resolve()
    _prepare(workdir, command, default_env() | dict(env or {}), len(device_dirs), keep_paths)
    argv = qemu_command(qemu, image, workdir, device_dirs, readonly_devices=readonly_devices)
    logger.debug("guest: %s", shlex.join(argv))
    output, seconds, boot_seconds, status = _run_qemu(argv, _qemu_env(image), timeout)
    if status is None:
        raise GuestError(f"the guest did not finish within {timeout:.0f} s (killed)", output)
    errors = [line for line in output.splitlines() if line.startswith(_MARK + "error:")]
    if errors:
        raise GuestError(errors[0].removeprefix(_MARK), output)
    try:
        returncode = int((workdir / ".guest" / "rc").read_text())
    except (OSError, ValueError):
        raise GuestError(
            f"the guest stopped before the command finished (QEMU exit status {status})", output
        ) from None
    logger.info(
        "guest: booted in %.1f s, ran %r in %.1f s in all, exit %d",
        boot_seconds,
        command[:60],
        seconds,
        returncode,
    )
    return GuestResult(returncode, output, seconds, boot_seconds)


def _prepare(
    workdir: Path, command: str, env: Mapping[str, str], devices: int, keep: Sequence[Path]
) -> None:
    """Write what the guest's /init reads (see init.sh) into ``workdir/.guest``."""
    guest_dir = workdir / ".guest"
    guest_dir.mkdir(parents=True, exist_ok=True)
    (guest_dir / "rc").unlink(missing_ok=True)
    bad = [k for k in env if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k)]
    if bad:
        raise ValueError(f"not environment variable names: {bad}")
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
    (guest_dir / "env").write_text(exports)
    (guest_dir / "workdir").write_text(str(workdir))
    (guest_dir / "cmd.sh").write_text(command + "\n")
    (guest_dir / "devices").write_text(f"{devices}\n")
    needed = [PROJECT_ROOT, Path(sys.prefix), Path(sys.base_prefix), *keep]
    (guest_dir / "keep").write_text("".join(f"{p}\n" for p in hidden_paths(needed)))


def qemu_command(
    qemu: str,
    image: GuestImage,
    workdir: Path,
    device_dirs: Sequence[tuple[Path, str]],
    *,
    readonly_devices: bool = False,
    memory_mib: int = 1024,
) -> list[str]:
    """The QEMU command line (TCG: KVM is not available, or hangs, on CI machines)."""
    accel = os.environ.get("SYNCGUI_GUEST_ACCEL", "tcg")
    argv = [
        qemu,
        *("-accel", accel, "-machine", "q35", "-m", str(memory_mib), "-smp", "1"),
        *("-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio"),
        *("-no-reboot", "-kernel", str(image.kernel), "-initrd", str(image.initrd)),
        *("-append", "console=ttyS0 quiet panic=-1"),
        *_share("hostroot", Path("/"), readonly=True),
        *_share("work", workdir, readonly=False),
    ]
    if device_dirs:
        argv += ["-device", "qemu-xhci,id=xhci"]
    for rootdir, description in device_dirs:
        if not rootdir.is_dir():
            raise FileNotFoundError(f"MTP device folder {rootdir} does not exist")
        readonly = "on" if readonly_devices else "off"
        argv += [
            "-device",
            f"usb-mtp,bus=xhci.0,rootdir={_opt(rootdir.resolve())},"
            f"readonly={readonly},desc={_opt(description)}",
        ]
    return argv


def hidden_paths(paths: Sequence[Path]) -> list[Path]:
    """Those of ``paths`` (resolved, deduplicated) that the guest's tmpfs mounts would hide."""
    found: list[Path] = []
    for path in paths:
        real = path.resolve()
        hidden = any(real.is_relative_to(t) and real != t for t in GUEST_TMPFS)
        if hidden and real.exists() and real not in found:
            found.append(real)
    return found


def _share(tag: str, path: Path, *, readonly: bool) -> list[str]:
    # security_model=none: files are the QEMU user's, which works for non-root users too;
    # multidevs=remap: the host root spans several file systems (/proc, /sys, /dev ...).
    fsdev = f"local,id={tag},path={_opt(path)},security_model=none,multidevs=remap"
    if readonly:
        fsdev += ",readonly=on"
    return ["-fsdev", fsdev, "-device", f"virtio-9p-pci,fsdev={tag},mount_tag={tag}"]


def _opt(value: object) -> str:
    """A value inside a QEMU option list, where a comma is written twice."""
    return str(value).replace(",", ",,")


def _qemu_env(image: GuestImage) -> dict[str, str]:
    preload = " ".join(filter(None, [str(image.locale_shim), os.environ.get("LD_PRELOAD")]))
    return os.environ | {"LD_PRELOAD": preload}


def _run_qemu(
    argv: list[str], env: Mapping[str, str], timeout: float
) -> tuple[str, float, float, int | None]:
    """Run QEMU, collecting the console: (output, seconds, boot seconds, QEMU's exit status
    or None if it was killed at the timeout)."""
    started = time.monotonic()
    lines: list[str] = []
    boot = [math.nan]
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith(_MARK) and "command starts" in line:
                boot[0] = time.monotonic() - started
            lines.append(line)

    reader = threading.Thread(target=read, name="guest-console", daemon=True)
    reader.start()
    status: int | None = None
    try:
        status = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:  # interrupted (KeyboardInterrupt): leave no QEMU behind
            proc.kill()
            proc.wait()
    reader.join(10)
    return "\n".join(lines), time.monotonic() - started, boot[0], status

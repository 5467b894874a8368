"""Build (once) and cache the kernel and initramfs of the MTP test guest.

The kernel is Debian's own (the one ``linux-image-amd64`` depends on), fetched with
``apt-get download``; the initramfs holds a static busybox, ``init.sh`` and the modules for
virtio 9p and the xHCI USB controller. Both are cached under :func:`cache_root`, keyed by the
kernel version and a hash of everything else that goes into the image, and rebuilt only when
missing. A file lock serialises builds by concurrent processes.

Beside them sits ``utf8-ctype.so``, preloaded into QEMU: QEMU never calls ``setlocale``, so
its MTP responder converts file names with ``wcstombs``/``mbstowcs`` in the C locale, which
lists every non-ASCII name as "Oops" and dereferences NULL (QEMU dies of SIGSEGV) when the
guest uploads one. The library sets ``LC_CTYPE`` to C.UTF-8 when QEMU starts.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import logging
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

INIT_SCRIPT = Path(__file__).with_name("init.sh")
# Modules the guest loads, by name; their dependencies come from modules.dep.
MODULES = ("virtio_pci", "9pnet_virtio", "9p", "xhci_pci")
BUSYBOX = Path("/bin/busybox")
LOCALE_SHIM = b"""#include <locale.h>
__attribute__((constructor)) static void utf8_ctype(void) { setlocale(LC_CTYPE, "C.UTF-8"); }
"""
FORMAT = "1"  # bump when the image layout changes in a way the hash does not see


class GuestUnavailable(Exception):
    """The guest cannot be built or run on this machine; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class GuestImage:
    kernel_version: str
    kernel: Path
    initrd: Path
    locale_shim: Path  # LD_PRELOAD for QEMU (see the module's docstring)


def cache_root() -> Path:
    """``$SYNCGUI_GUEST_CACHE``, else ``~/.cache/syncgui-mtp-guest``."""
    override = os.environ.get("SYNCGUI_GUEST_CACHE")
    if override:
        return Path(override)
    return Path.home() / ".cache" / "syncgui-mtp-guest"


def image_hash() -> str:
    """What, besides the kernel, decides the image's content."""
    digest = hashlib.sha256()
    digest.update(FORMAT.encode())
    digest.update(" ".join(MODULES).encode())
    digest.update(INIT_SCRIPT.read_bytes())
    digest.update(LOCALE_SHIM)
    return digest.hexdigest()[:12]


def ensure_image(cache: Path | None = None) -> GuestImage:
    """The cached image for the current kernel, built first if missing."""
    cache = cache or cache_root()
    version = debian_kernel_version(cache)
    key = f"{version}-{image_hash()}"
    image = _image_at(cache / key, version)
    if image is not None:
        return image
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".lock"):
        image = _image_at(cache / key, version)  # another process may have built it meanwhile
        if image is not None:
            return image
        started = time.monotonic()
        logger.info("building the MTP guest image for kernel %s in %s", version, cache / key)
        build_image(version, cache / key)
        logger.info("built the MTP guest image in %.1f s", time.monotonic() - started)
    image = _image_at(cache / key, version)
    assert image is not None
    return image


def debian_kernel_version(cache: Path) -> str:
    """The version ``linux-image-amd64`` depends on, e.g. ``6.1.0-56-amd64``.

    Without package lists that know it (``apt-get update`` never ran), the newest image
    already in the cache is used.
    """
    found: str | None = None
    try:
        out = _run(["apt-cache", "depends", "linux-image-amd64"])
        match = re.search(r"Depends: linux-image-(\S+-amd64)\b", out)
        found = match.group(1) if match else None
    except GuestUnavailable as exc:
        logger.debug("apt-cache: %s", exc)
    if found:
        return found
    suffix = f"-{image_hash()}"
    cached = [p for p in cache.glob(f"*{suffix}") if _image_at(p, "") is not None]
    if cached:
        newest = max(cached, key=lambda p: p.stat().st_mtime)
        return newest.name.removesuffix(suffix)
    raise GuestUnavailable(
        "apt knows no linux-image-amd64 and no guest image is cached: run scripts/setup-system"
    )


def build_image(version: str, dest: Path) -> None:
    """Fetch the kernel package and write ``dest/{vmlinuz,initrd.gz,utf8-ctype.so}``."""
    check_busybox(BUSYBOX)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=dest.parent) as tmp_name:
        tmp = Path(tmp_name)
        root = _unpack_kernel(version, tmp)
        modules_dir = _modules_dir(root, version)
        order = resolve_modules((modules_dir / "modules.dep").read_text(), MODULES)
        out = tmp / "image"
        out.mkdir()
        shutil.copy2(root / "boot" / f"vmlinuz-{version}", out / "vmlinuz")
        write_initramfs(_initramfs_tree(tmp / "initramfs", modules_dir, order), out / "initrd.gz")
        (out / "modules").write_text("".join(f"{r}\n" for r in order))
        (tmp / "utf8-ctype.c").write_bytes(LOCALE_SHIM)
        shim = ["gcc", "-shared", "-fPIC", "-O2", "-o", str(out / "utf8-ctype.so")]
        _run([*shim, str(tmp / "utf8-ctype.c")])
        if dest.exists():  # a build that was interrupted half-way
            shutil.rmtree(dest)
        out.rename(dest)


def _unpack_kernel(version: str, tmp: Path) -> Path:
    """``apt-get download`` the kernel package, unpack it, depmod; returns the unpacked root."""
    _run(["apt-get", "download", f"linux-image-{version}"], cwd=tmp)
    debs = list(tmp.glob("linux-image-*.deb"))
    if len(debs) != 1:
        raise GuestUnavailable(f"apt-get download gave {debs} for linux-image-{version}")
    root = tmp / "root"
    _run(["dpkg-deb", "-x", str(debs[0]), str(root)])
    debs[0].unlink()
    _run(["depmod", "-b", str(root), version])
    return root


def _initramfs_tree(tree: Path, modules_dir: Path, order: Sequence[str]) -> Path:
    for sub in ("bin", "dev", "proc", "sys", "newroot", "mnt/host", "mnt/work", "lib/modules"):
        (tree / sub).mkdir(parents=True)
    shutil.copy2(BUSYBOX, tree / "bin" / "busybox")
    shutil.copy2(INIT_SCRIPT, tree / "init")
    (tree / "init").chmod(0o755)
    for rel in order:
        shutil.copy2(modules_dir / rel, tree / "lib" / "modules" / Path(rel).name)
    load_order = "".join(f"{Path(r).name}\n" for r in order)
    (tree / "lib" / "modules" / "load-order").write_text(load_order)
    return tree


def resolve_modules(modules_dep: str, wanted: Sequence[str]) -> list[str]:
    """Module paths for ``wanted`` and their dependencies, each after what it needs.

    ``wanted`` are module names (``xhci_pci``: dashes and underscores are the same).
    """
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    for line in modules_dep.splitlines():
        if ":" not in line:
            continue
        path, _, rest = line.partition(":")
        deps[path] = rest.split()
        by_name[_module_name(path)] = path
    order: list[str] = []

    def add(path: str, stack: tuple[str, ...]) -> None:
        if path in order:
            return
        if path in stack:
            raise GuestUnavailable(f"dependency cycle in modules.dep: {[*stack, path]}")
        for dep in reversed(deps.get(path, [])):  # depmod lists the deepest dependency last
            add(dep, (*stack, path))
        order.append(path)

    for name in wanted:
        found = by_name.get(name.replace("-", "_"))
        if found is None:
            raise GuestUnavailable(f"the kernel has no module {name} (or it is built in)")
        add(found, ())
    return order


def write_initramfs(tree: Path, out: Path) -> None:
    """A gzipped newc cpio archive of ``tree``, owned by root, in a stable order."""
    with gzip.open(out, "wb", compresslevel=6) as archive:
        for ino, (path, rel) in enumerate(_walk(tree), start=1):
            st = path.lstat()
            data = path.read_bytes() if path.is_file() else b""
            archive.write(_cpio_entry(rel, ino, st.st_mode, int(st.st_mtime), data))
        archive.write(_cpio_entry("TRAILER!!!", 0, 0, 0, b""))


def check_busybox(path: Path) -> None:
    """The initramfs has no libc: busybox must be the static one (Debian's busybox-static)."""
    if not path.is_file():
        raise GuestUnavailable(f"{path} missing: install busybox-static")
    with path.open("rb") as f:
        header = f.read(64)
        if header[:5] != b"\x7fELF\x02":
            raise GuestUnavailable(f"{path} is not a 64-bit ELF executable")
        phoff, phentsize, phnum = (
            struct.unpack_from("<Q", header, 0x20)[0],
            struct.unpack_from("<H", header, 0x36)[0],
            struct.unpack_from("<H", header, 0x38)[0],
        )
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    for i in range(phnum):
        if struct.unpack_from("<I", table, i * phentsize)[0] == 3:  # PT_INTERP
            raise GuestUnavailable(f"{path} is dynamically linked: install busybox-static")


def _cpio_entry(name: str, ino: int, mode: int, mtime: int, data: bytes) -> bytes:
    encoded = name.encode() + b"\0"
    nlink = 2 if mode & 0o170000 == 0o040000 else 1
    fields = (ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, 0, 0, len(encoded), 0)
    header = b"070701" + b"".join(b"%08X" % v for v in fields)
    entry = header + encoded
    entry += b"\0" * (-len(entry) % 4)
    return entry + data + b"\0" * (-len(data) % 4)


def _walk(tree: Path) -> Iterator[tuple[Path, str]]:
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        base = Path(dirpath)
        rel_dir = base.relative_to(tree).as_posix()
        if rel_dir != ".":
            yield base, rel_dir
        for name in sorted(filenames):
            yield base / name, (base / name).relative_to(tree).as_posix()


def _module_name(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    for suffix in (".xz", ".zst", ".gz", ".ko"):
        name = name.removesuffix(suffix)
    return name.replace("-", "_")


def _modules_dir(root: Path, version: str) -> Path:
    for candidate in (root / "lib" / "modules" / version, root / "usr/lib/modules" / version):
        if candidate.is_dir():
            return candidate
    raise GuestUnavailable(f"the kernel package has no modules for {version}")


def _image_at(path: Path, version: str) -> GuestImage | None:
    image = GuestImage(version, path / "vmlinuz", path / "initrd.gz", path / "utf8-ctype.so")
    if all(p.is_file() for p in (image.kernel, image.initrd, image.locale_shim)):
        return image
    return None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _run(argv: Sequence[str], cwd: Path | None = None) -> str:
    # depmod lives in /usr/sbin, which is not on an ordinary user's PATH.
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    exe = shutil.which(argv[0], path=search)
    if exe is None:
        raise GuestUnavailable(f"{argv[0]} not found: run scripts/setup-system")
    proc = subprocess.run([exe, *argv[1:]], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise GuestUnavailable(
            f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}"
        )
    return proc.stdout

"""Helpers for the install tests: the built packages, a clean user environment, the desktop
entry's command, snapshots of folders, and the time from launch to a shown window."""

from __future__ import annotations

import configparser
import hashlib
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import syncgui
from tests.gui_e2e.xsession import XSession

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.syncgui.SyncGui"
VERSION = syncgui.__version__
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# the desktop entry's field codes (Desktop Entry Specification, "The Exec key")
FIELD_CODES = {"%f", "%F", "%u", "%U", "%i", "%c", "%k", "%d", "%D", "%n", "%N", "%v", "%m"}


@dataclass(frozen=True)
class Dist:
    """What scripts/package makes in dist/ for the current version."""

    root: Path

    @property
    def folder(self) -> Path:
        return self.root / "syncgui"

    @property
    def deb(self) -> Path:
        arch = subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
        ).stdout.strip()
        return self.root / f"syncgui_{VERSION}_{arch}.deb"

    @property
    def tarball(self) -> Path:
        return self.root / f"syncgui-{VERSION}-linux-{os.uname().machine}.tar.gz"

    @property
    def wheel(self) -> Path:
        return self.root / f"syncgui-{VERSION}-py3-none-any.whl"

    @property
    def sdist(self) -> Path:
        return self.root / f"syncgui-{VERSION}.tar.gz"

    def missing(self) -> list[Path]:
        wanted = [self.folder / "syncgui", self.deb, self.tarball, self.wheel, self.sdist]
        return [p for p in wanted if not p.exists()]


def skip_or_fail(reason: str) -> None:
    """Skip the test here, fail it in CI (``CI`` set), where every install test must run."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def user_env(home: Path, display: Mapping[str, str] | None = None) -> dict[str, str]:
    """A user's environment with ``home`` as HOME and its XDG folders, no syncgui overrides;
    with ``display`` (an XSession's env) the X display too."""
    env = {
        "HOME": str(home),
        "PATH": SYSTEM_PATH,
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    if display is not None:
        for key in ("DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE"):
            env[key] = display[key]
    return env


def as_user(argv: Sequence[str], env: Mapping[str, str], user: str | None) -> list[str]:
    """``argv`` run with exactly ``env``, as ``user`` (through runuser) when given."""
    pairs = [f"{k}={v}" for k, v in env.items()]
    command = ["env", "-i", *pairs, *argv]
    return ["runuser", "-u", user, "--", *command] if user else command


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    user: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        as_user(argv, env, user), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def exec_command(desktop_file: Path, path: str = SYSTEM_PATH) -> list[str]:
    """The command the desktop entry's ``Exec`` line runs (what gtk-launch would start):
    field codes dropped, the program looked up on ``path`` when not absolute."""
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(desktop_file, encoding="utf-8")
    line = entry["Desktop Entry"]["Exec"]
    argv = [w for w in shlex.split(line.replace("\\\\", "\\")) if w not in FIELD_CODES]
    program = argv[0] if os.path.isabs(argv[0]) else shutil.which(argv[0], path=path)
    if program is None:
        raise AssertionError(f"Exec={line}: {argv[0]} is not on {path}")
    return [program, *argv[1:]]


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` (relative) with what it is: a file's checksum, a link's
    target, or "dir"."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            found[rel] = f"link:{os.readlink(path)}"
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def launch_to_window(
    argv: Sequence[str],
    env: Mapping[str, str],
    session: XSession,
    title: str,
    user: str | None = None,
    timeout: float = 60,
) -> tuple[float, subprocess.Popen[bytes]]:
    """Start ``argv``; the seconds until a visible window titled like ``title`` shows (polled
    with xdotool), and the running process (the caller ends it)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        as_user(argv, env, user), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    while True:
        if session.windows(title):
            return time.perf_counter() - started, proc
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"{argv} ended before a window showed: {stderr}")
        if time.perf_counter() - started > timeout:
            stop(proc)
            raise AssertionError(f"no window titled like {title!r} from {argv}")
        time.sleep(0.01)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a launched app (and, through runuser, the app under it)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    if proc.stderr:
        proc.stderr.close()

"""A real X session for end-to-end tests of the desktop app: Xvfb, the ``trayer`` tray host,
and ``xdotool`` to find windows, click and type as a user would (lab-notes §3).

Required in CI (``CI`` set): a missing program fails the test there; elsewhere it is skipped."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PROGRAMS = ("Xvfb", "trayer", "xdotool", "import")


def require_programs() -> None:
    missing = [p for p in PROGRAMS if shutil.which(p) is None]
    if not missing:
        return
    message = f"the desktop end-to-end test needs {', '.join(missing)} (scripts/setup-system)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class XSession:
    display: str
    workdir: Path

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("WAYLAND_DISPLAY", None)
        env.update(DISPLAY=self.display, QT_QPA_PLATFORM="xcb", XDG_SESSION_TYPE="x11")
        return env

    def xdotool(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["xdotool", *args],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"xdotool {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def windows(self, name: str) -> list[str]:
        """Visible windows whose title matches the regular expression ``name``. (xdotool's
        own ``--name`` search misses some of Qt's windows: titles are read one by one.)"""
        pattern = re.compile(name)
        listed = self.xdotool("search", "--onlyvisible", "--name", ".*", check=False).split()
        return [w for w in listed if pattern.search(self.xdotool("getwindowname", w, check=False))]

    def wait_window(self, name: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.windows(name)
            if found:
                return found[-1]
            time.sleep(0.1)
        titles = self.titles()
        raise AssertionError(f"no window titled like {name!r} after {timeout} s; have {titles}")

    def wait_gone(self, name: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.windows(name):
                return
            time.sleep(0.1)
        raise AssertionError(f"the window titled like {name!r} is still shown")

    def titles(self) -> list[str]:
        out = self.xdotool("search", "--onlyvisible", "--name", ".*", check=False)
        return [self.xdotool("getwindowname", w, check=False) for w in out.split()]

    def title(self, window: str) -> str:
        return self.xdotool("getwindowname", window)

    def tray_panel(self) -> tuple[int, int, int, int]:
        """Position and size of trayer's panel (x, y, width, height)."""
        wid = self.xdotool("search", "--name", "^panel$").split()[0]
        geometry = self.xdotool("getwindowgeometry", "--shell", wid)
        values = dict(line.split("=", 1) for line in geometry.splitlines() if "=" in line)
        return (int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"]))

    def wait_tray_icon(self, timeout: float = 20.0) -> tuple[int, int]:
        """Wait for an icon to dock (the panel grows from its empty width); its centre."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            x, y, width, height = self.tray_panel()
            if width >= height:  # an empty trayer panel is narrower than one icon
                return x + width - height // 2, y + height // 2
            time.sleep(0.1)
        raise AssertionError(f"no icon docked in the tray: panel is {self.tray_panel()}")

    def type(self, text: str) -> None:
        """Type ``text`` into the focused widget."""
        self.xdotool("type", "--delay", "5", text)

    def area(self, window: str) -> int:
        """The window's width times its height."""
        shell = self.xdotool("getwindowgeometry", "--shell", window)
        geometry = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
        return int(geometry["WIDTH"]) * int(geometry["HEIGHT"])

    def main_window(self, title: str) -> str:
        """The largest window titled like ``title``: the app's main window, not the tray
        icon's window (titled alike)."""
        self.wait_window(title, timeout=30)
        time.sleep(0.5)
        return max(self.windows(title), key=self.area)

    def screenshot(self, path: Path, window: str | None = None) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["import", "-window", window or "root", str(path)],
            env=self.env,
            check=True,
            timeout=30,
        )
        return path


def wait_for(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def x_session(workdir: Path, size: str = "1280x800x24") -> Iterator[XSession]:
    """Xvfb on a free display (``-displayfd``) with trayer docked at the top right."""
    require_programs()
    workdir.mkdir(parents=True, exist_ok=True)
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "xvfb.log").open("wb"),
    )
    os.close(write)
    procs: list[subprocess.Popen[bytes]] = [xvfb]
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise AssertionError(f"Xvfb did not start: {(workdir / 'xvfb.log').read_text()}")
        session = XSession(f":{number}", workdir)
        trayer = subprocess.Popen(
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "24",
                "--SetDockType",
                "true",
                "--transparent",
                "false",
            ],
            env=session.env,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "trayer.log").open("wb"),
        )
        procs.append(trayer)
        deadline = time.monotonic() + 10
        while not session.xdotool("search", "--name", "^panel$", check=False):
            if time.monotonic() > deadline:
                raise AssertionError("trayer did not show its panel")
            time.sleep(0.05)
        yield session
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

"""One app per profile: a second ``syncgui`` for the same data folder asks the running one
to show its window and ends at once; a lock left by a crashed app does not block a start.
Real processes, offscreen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}


def _command(tmp_path: Path) -> list[str]:
    folders = ["--config-dir", str(tmp_path / "config"), "--data-dir", str(tmp_path / "data")]
    return [sys.executable, "-m", "syncgui", "--demo", *folders]


def _log(tmp_path: Path) -> str:
    path = tmp_path / "data" / "logs" / "syncgui.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _start(tmp_path: Path, times: int = 1) -> subprocess.Popen[str]:
    """Start the app; return once it is up (the app logs its ``times``-th monitor start)."""
    proc = subprocess.Popen(_command(tmp_path), env=_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while _log(tmp_path).count("syncgui.gui.app: device monitor started") < times:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _out, err = proc.communicate()
            pytest.fail(f"no start: {proc.returncode}\n{err}\n{_log(tmp_path)}")
        time.sleep(0.1)
    return proc


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return err


def _second_start(tmp_path: Path) -> float:
    started = time.monotonic()
    second = subprocess.run(
        _command(tmp_path), env=_env(), capture_output=True, text=True, timeout=30, check=False
    )
    assert second.returncode == 0, second.stderr
    return time.monotonic() - started


def test_a_second_start_shows_the_running_app_and_ends(tmp_path: Path) -> None:
    first = _start(tmp_path)
    try:
        took = _second_start(tmp_path)
        assert took < 10
        deadline = time.monotonic() + 10
        while "another start asked to show the window" not in _log(tmp_path):
            assert time.monotonic() < deadline, _log(tmp_path)
            time.sleep(0.1)
        assert first.poll() is None  # the first one runs on
        text = _log(tmp_path)
        assert "runs already" in text and "asked it to show its window" in text
        assert text.count("window shown") == 1  # no second window, tray or auto-sync
        assert text.count("syncgui.gui.app: device monitor started") == 1
    finally:
        err = _stop(first)
    assert "Traceback" not in err


def test_a_crashed_apps_lock_does_not_block_a_start(tmp_path: Path) -> None:
    crashed = _start(tmp_path)
    crashed.send_signal(signal.SIGKILL)  # leaves its lock file and socket behind
    crashed.communicate(timeout=30)
    assert list((tmp_path / "data").rglob("syncgui-app.lock"))
    again = _start(tmp_path, times=2)
    try:
        _second_start(tmp_path)  # the new app answers on the socket
        deadline = time.monotonic() + 10
        while "another start asked to show the window" not in _log(tmp_path):
            assert time.monotonic() < deadline, _log(tmp_path)
            time.sleep(0.1)
    finally:
        _stop(again)

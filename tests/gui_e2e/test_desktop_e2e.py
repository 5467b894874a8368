"""The real app, as a user meets it: `python -m syncgui --demo` on an X server (Xvfb) with a
tray host (trayer), driven with xdotool — the mouse on the tray icon, keys in the windows.

The demo's sync is started from the tray menu; the conflict shows as a notification, in the
window title (the taskbar's badge) and the tray icon; clicking the notification opens the
conflicts dialog, and resolving it there clears it everywhere, and the phone gets the kept
version. Then Ctrl+N asks to leave the demo first (a partnership of one's own is never
made in the demo; test_demo_leave_e2e follows that way), Cancel stays, and "Quit" in the
tray menu ends the app. Screenshots of the main window and the conflict dialog are saved as
artifacts (the wizard's: test_demo_leave_e2e): in $SYNCGUI_ARTIFACTS
when set (CI keeps them), else in the test's temporary folder; with SYNCGUI_UPDATE_DOCS=1
they also replace the ones in docs/ that the README shows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.gui_e2e.xsession import XSession, wait_for

ROOT = Path(__file__).resolve().parents[2]
MAIN = r"^syncgui \(demo\)"


def _notification(x: XSession, main: str) -> str | None:
    """Qt's own notification balloon (no notification daemon runs): a small window titled
    like the app, other than the main window and the tray icon's. (xdotool's title search
    misses Qt's small windows: every window is looked at.)"""
    listed = x.xdotool("search", "--onlyvisible", "--name", ".*", check=False).split()
    for window in listed:
        if window == main or x.xdotool("getwindowname", window, check=False) != "syncgui":
            continue
        shell = x.xdotool("getwindowgeometry", "--shell", window)
        geometry = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
        if int(geometry["WIDTH"]) > 40 and int(geometry["HEIGHT"]) < 200:
            return window
    return None


def _cli(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "data" / "demo"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "syncgui.cli", "--config-dir", str(profile / "config")),
            *("--data-dir", str(profile / "data"), *args),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return done.stdout


def test_demo_synced_from_the_tray_conflict_resolved_in_the_dialog(
    session: XSession, tmp_path: Path, artifacts: Path
) -> None:
    x = session
    env = x.env
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"))
    log = (tmp_path / "app.log").open("wb")
    command = [sys.executable, "-m", "syncgui", "--demo", "-v"]
    command += ["--config-dir", str(tmp_path / "config"), "--data-dir", str(tmp_path / "data")]
    app = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        main = x.wait_window(MAIN)
        assert x.title(main) == "syncgui (demo)"  # no conflict before the first sync
        icon_x, icon_y = x.wait_tray_icon()
        time.sleep(0.5)  # the first paint
        x.screenshot(artifacts / "main-window-before-sync.png", main)

        # the tray menu: right-click the icon, then its first entry, "Sync all now"
        x.xdotool("mousemove", str(icon_x), str(icon_y), "click", "3")
        time.sleep(0.7)
        x.screenshot(artifacts / "tray-menu.png")
        x.xdotool("key", "Down", "Return")

        wait_for(lambda: x.title(main) == "syncgui (demo) — 1 conflict", "the conflicts badge")
        wait_for(lambda: _notification(x, main) is not None, "the conflict notification")
        balloon = _notification(x, main)
        assert balloon is not None
        time.sleep(0.3)
        x.screenshot(artifacts / "conflict-notification.png")
        x.screenshot(artifacts / "main-window.png", main)
        pending = json.loads(_cli(tmp_path, "conflicts", "--json"))
        assert [c["item"] for c in pending] == ["Grace Hopper"]

        # clicking the notification opens the conflicts dialog; keep the address book's
        # side there (Alt+L, "left")
        shell = x.xdotool("getwindowgeometry", "--shell", balloon)
        geometry = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
        middle_x = int(geometry["X"]) + int(geometry["WIDTH"]) // 2
        middle_y = int(geometry["Y"]) + int(geometry["HEIGHT"]) * 2 // 3
        x.xdotool("mousemove", str(middle_x), str(middle_y), "click", "1")
        dialog = x.wait_window("^Conflicts: Grace Hopper$")  # its details are shown
        time.sleep(0.5)
        x.screenshot(artifacts / "conflict-dialog.png", dialog)
        x.xdotool("windowfocus", "--sync", dialog)
        x.xdotool("key", "alt+l")

        wait_for(lambda: x.title(main) == "syncgui (demo)", "the badge to clear")
        wait_for(lambda: json.loads(_cli(tmp_path, "conflicts", "--json")) == [], "no conflict")
        phone = tmp_path / "data" / "demo" / "data" / "stores" / "Virtual phone" / "Contacts"
        grace = [p.read_text("utf-8") for p in phone.glob("*.vcf") if "Grace" in p.read_text()]
        assert len(grace) == 1 and "NOTE:Met at the compiler conference" in grace[0]
        x.xdotool("windowfocus", "--sync", dialog)
        x.xdotool("key", "Escape")
        x.wait_gone("^Conflicts")

        # New partnership (Ctrl+N) in the demo asks to leave it first; Cancel stays
        x.xdotool("windowfocus", "--sync", main)
        x.xdotool("key", "ctrl+n")
        question = x.wait_window("^Leave the demo")
        time.sleep(0.5)
        x.screenshot(artifacts / "leave-demo-question.png", question)
        x.xdotool("windowfocus", "--sync", question)
        x.xdotool("key", "Escape")
        x.wait_gone("^Leave the demo")
        assert not x.windows("^New partnership")

        # Quit from the tray menu: its last entry
        x.xdotool("mousemove", str(icon_x), str(icon_y), "click", "3")
        time.sleep(0.7)
        x.xdotool("key", "Up")
        time.sleep(0.3)
        x.screenshot(artifacts / "tray-menu-quit.png")
        x.xdotool("key", "Return")
        assert app.wait(20) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        log.close()
        if os.environ.get("SYNCGUI_UPDATE_DOCS") == "1":
            for name in ("main-window.png", "conflict-dialog.png"):
                if (artifacts / name).exists():
                    shutil.copy(artifacts / name, ROOT / "docs" / name)
    text = (tmp_path / "app.log").read_text("utf-8", "replace")
    assert "Traceback" not in text, text
    assert "queued a sync of Demo (manual)" in text
    # the resolve asks for a sync; when the folder watcher saw the resolve's write first,
    # the request joins the sync that queued (a loaded machine, CI 2026-12-08)
    assert re.search(r"(queued a sync of|merged a sync request for) Demo \(resolve\)", text)

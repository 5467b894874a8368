"""From the demo to a partnership of one's own, as a new user goes (issue 13): the real app
on Xvfb with a tray host, started as ``scripts/run`` starts it (``--demo-if-unconfigured``,
nothing configured), driven with xdotool keys. The demo opens with its banner; Ctrl+N asks
to leave the demo; Return leaves it: the demo's process ends and the app opens on the
user's own profile with the New partnership wizard; the partnership made there (a folder of
cards and a new .vcf file, synced) is the user's: ``syncgui-cli partnership list`` lists
it, and the demo profile keeps only its own. Screenshots: the demo with its banner, the
question, the wizard (docs/wizard.png with SYNCGUI_UPDATE_DOCS=1) and the user's window."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.gui_e2e.xsession import XSession, wait_for
from tests.service.support import cli_process

ROOT = Path(__file__).resolve().parents[2]
DEMO = r"^syncgui \(demo\)"
OWN = r"^syncgui$"
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n"


def test_a_partnership_started_in_the_demo_is_made_in_the_users_own_profile(
    session: XSession, tmp_path: Path, artifacts: Path
) -> None:
    x = session
    env = x.env
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"))
    config, data = tmp_path / "config", tmp_path / "data"
    folder, vcf = tmp_path / "Contacts", tmp_path / "phone.vcf"
    folder.mkdir()
    (folder / "ada.vcf").write_text(CARD, newline="")
    command = [sys.executable, "-m", "syncgui", "-v", "--demo-if-unconfigured"]
    command += ["--config-dir", str(config), "--data-dir", str(data)]
    log = (tmp_path / "app.log").open("wb")
    demo = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    own_pid = ""
    try:
        main = x.main_window(DEMO)
        x.screenshot(artifacts / "demo-banner.png", main)
        x.xdotool("windowfocus", "--sync", main)
        x.xdotool("key", "ctrl+n")
        question = x.wait_window("^Leave the demo")
        time.sleep(0.5)
        x.screenshot(artifacts / "leave-demo-question.png", question)
        x.xdotool("windowfocus", "--sync", question)
        x.xdotool("key", "Return")  # the default: leave the demo and continue
        assert demo.wait(30) == 0  # the demo made way
        x.wait_gone(DEMO)

        own = x.main_window(OWN)
        own_pid = x.xdotool("getwindowpid", own)
        wizard = x.wait_window("^New partnership")
        x.xdotool("windowfocus", "--sync", wizard)
        time.sleep(0.5)
        x.xdotool("key", "alt+f", "Tab")  # first store: a folder, its path beside it
        time.sleep(0.5)
        x.type(str(folder))
        time.sleep(0.5)
        x.xdotool("key", "alt+n")
        time.sleep(0.5)
        x.xdotool("key", "alt+v", "Tab")  # second store: a .vcf file (a new one)
        time.sleep(0.5)  # the page settled: no key typed before the field has the focus
        x.type(str(vcf))
        time.sleep(0.5)
        x.xdotool("key", "alt+n")
        time.sleep(0.5)
        x.screenshot(artifacts / "wizard.png", wizard)
        x.xdotool("key", "alt+a")  # Add partnership
        wait_for((config / "partnerships.json").exists, "the partnership in the user's profile")
        time.sleep(1.0)
        x.xdotool("key", "Return")  # Finish: Sync now
        wait_for(lambda: vcf.exists() and "Ada Lovelace" in vcf.read_text("utf-8"), "the sync")
        time.sleep(0.5)
        x.screenshot(artifacts / "own-profile-after-the-demo.png", own)

        listed = cli_process(config, data, "partnership", "list")
        assert "phone.vcf" in listed and "No partnerships yet" not in listed, listed
        in_demo = cli_process(
            data / "demo" / "config", data / "demo" / "data", "partnership", "list"
        )
        assert "phone.vcf" not in in_demo and "Demo" in in_demo, in_demo
        x.xdotool("windowfocus", "--sync", own)
        x.xdotool("key", "ctrl+q")
        wait_for(lambda: not x.windows(OWN), "the app to quit")
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        if own_pid and _alive(int(own_pid)):  # started by the demo, not by this test
            os.kill(int(own_pid), signal.SIGTERM)
        log.close()
        if os.environ.get("SYNCGUI_UPDATE_DOCS") == "1" and (artifacts / "wizard.png").exists():
            shutil.copy(artifacts / "wizard.png", ROOT / "docs" / "wizard.png")
    text = (tmp_path / "app.log").read_text("utf-8", "replace")
    assert "Traceback" not in text, text
    logged = (data / "logs" / "syncgui.log").read_text("utf-8")
    assert "leaving the demo: opening your own profile in a new window" in logged
    assert "Traceback" not in logged, logged


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

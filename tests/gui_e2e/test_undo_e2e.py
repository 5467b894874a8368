"""Undo a whole sync in the real app (issue 13): on Xvfb with a tray host, driven with
xdotool keys. A partnership of two folders syncs (F5); a contact is edited and another
added in the first folder and the partnership syncs again (the app's own sync on a local
change, or F5); then, in the Activity tab, the second sync is selected and "Undo this sync…"
(Alt+U) shows what it will do; Return undoes it. Both folders are then back to the first
sync's state, byte for byte, file names included, and the Activity list shows the undo.
Screenshots: the Activity tab with the sync selected and the undo dialog."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.gui_e2e.xsession import XSession, wait_for
from tests.service.support import cli_process

OWN = r"^syncgui$"
ADA = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada\r\nFN:Ada Lovelace\r\nNOTE:engine\r\nEND:VCARD\r\n"
GRACE = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:grace\r\nFN:Grace Hopper\r\nEND:VCARD\r\n"
ALAN = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:alan\r\nFN:Alan Turing\r\nEND:VCARD\r\n"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_second_sync_is_undone_from_the_activity_list(
    session: XSession, tmp_path: Path, artifacts: Path
) -> None:
    x = session
    env = x.env
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"))
    config, data = tmp_path / "config", tmp_path / "data"
    a, b = tmp_path / "Contacts", tmp_path / "Backup"
    a.mkdir()
    (a / "ada.vcf").write_text(ADA, newline="")
    (a / "grace hopper.vcf").write_text(GRACE, newline="")  # a name with a space
    cli_process(config, data, "partnership", "add", "Books", f"vdir:{a}", f"vdir:{b}")

    def sessions() -> list[dict[str, object]]:
        listed = json.loads(cli_process(config, data, "log", "--json"))
        assert isinstance(listed, list)
        return listed

    command = [sys.executable, "-m", "syncgui", "-v", "--config-dir", str(config)]
    command += ["--data-dir", str(data)]
    log = (tmp_path / "app.log").open("wb")
    app = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        main = x.main_window(OWN)
        x.xdotool("windowfocus", "--sync", main)
        x.xdotool("key", "F5")  # Sync all: the first sync
        wait_for(lambda: len(sessions()) == 1 and len(list(b.glob("*.vcf"))) == 2, "sync 1")
        first_a, first_b = _files(a), _files(b)

        (a / "ada.vcf").write_text(ADA.replace("engine", "London"), newline="")
        (a / "alan.vcf").write_text(ALAN, newline="")
        try:  # the app syncs by itself on a local change
            wait_for(lambda: len(list(b.glob("*.vcf"))) == 3, "the sync on change", 10)
        except AssertionError:
            x.xdotool("windowfocus", "--sync", main)
            x.xdotool("key", "F5")
        wait_for(lambda: any(b"London" in v for v in _files(b).values()), "sync 2", 30)
        time.sleep(1.0)  # the follow-up on the app's own writes, if any, is done
        listed = sessions()
        writers = [
            i
            for i, r in enumerate(listed)
            if r["to_b"] != {"created": 0, "updated": 0, "deleted": 0}
        ]
        row = writers[0]  # the newest session that wrote: the second sync
        second = listed[row]["id"]

        x.xdotool("windowfocus", "--sync", main)
        x.xdotool("key", "alt+a")  # the Activity tab, the focus in its list
        time.sleep(0.5)
        x.xdotool("key", "Home", *(["Down"] * row), "space")  # space: select it
        time.sleep(0.5)
        x.screenshot(artifacts / "activity-undo.png", main)
        x.xdotool("key", "alt+u")  # Undo this sync…
        dialog = x.wait_window("^Undo a sync")
        time.sleep(1.5)  # the plan is read (a dry run of the undo) and shown
        x.screenshot(artifacts / "undo-dialog.png", dialog)
        x.xdotool("windowfocus", "--sync", dialog)
        x.xdotool("key", "Return")  # Undo this sync (the default once the plan shows)
        wait_for(lambda: _files(a) == first_a and _files(b) == first_b, "both folders back", 30)
        wait_for(lambda: sessions()[0].get("undid") == second, "the undo in the activity log")
        time.sleep(1.0)
        x.screenshot(artifacts / "activity-after-undo.png", main)
        assert _files(a) == first_a and _files(b) == first_b  # byte for byte, names too
        x.xdotool("windowfocus", "--sync", main)
        x.xdotool("key", "ctrl+q")
        wait_for(lambda: not x.windows(OWN), "the app to quit")
        assert app.wait(30) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        log.close()
    text = (tmp_path / "app.log").read_text("utf-8", "replace")
    assert "Traceback" not in text, text

"""The real app adds an online address book, as a user would: `python -m syncgui` on Xvfb
with a tray host, in a D-Bus session with a real Secret Service (gnome-keyring-daemon),
driven with xdotool keys only. The wizard's first store is a folder of cards, the second
"An online address book (CardDAV)" on a real Radicale that signs users in: the server's
address, user name and password typed, Sign in lists the address books, the partnership is
added and synced; the cards reach the server, the password is in the keyring and in no file
of the profile. Screenshots of the wizard's CardDAV page and of the Accounts tab are saved
as artifacts (see test_desktop_e2e)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.carddav.servers import Server, start_radicale
from tests.gui_e2e.xsession import XSession, wait_for

ROOT = Path(__file__).resolve().parents[2]
MAIN = r"^syncgui$"

pytestmark = pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (Debian: dbus, gnome-keyring)",
)


def _card(uid: str, name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n"


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Server]:
    """A Radicale of its own that signs users in (its only address book is this test's)."""
    yield from start_radicale(tmp_path / "radicale", auth=True)


def test_an_online_address_book_is_added_in_the_wizard_and_synced(
    session: XSession, tmp_path: Path, artifacts: Path, radicale: Server
) -> None:
    server = radicale
    title = f"Family {uuid.uuid4().hex[:4]}"
    book = server.new_book(title)
    folder = tmp_path / "Contacts"
    folder.mkdir()
    for uid, name in (("ada", "Ada Lovelace"), ("alan", "Alan Turing"), ("grace", "Grace Hopper")):
        (folder / f"{uid}.vcf").write_text(_card(uid, name), newline="")
    x = session
    home, runtime = tmp_path / "home", tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = x.env
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_RUNTIME_DIR=str(runtime),
    )
    env.pop("PYTHON_KEYRING_BACKEND", None)
    config, data = tmp_path / "config", tmp_path / "data"
    app_command = f"{sys.executable} -m syncgui -v --config-dir {config} --data-dir {data}"
    script = (
        "echo -n unlock-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
        f"exec {app_command}"
    )
    log = (tmp_path / "app.log").open("wb")
    app = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", script],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        main = x.main_window(MAIN)
        x.wait_tray_icon()
        x.xdotool("windowfocus", "--sync", main)
        x.xdotool("key", "ctrl+n")
        wizard = x.wait_window("^New partnership")
        x.xdotool("windowfocus", "--sync", wizard)
        time.sleep(0.5)
        # first store: a folder (its radio button, then the path beside it)
        x.xdotool("key", "alt+f", "Tab")
        x.type(str(folder))
        x.xdotool("key", "alt+n")
        time.sleep(0.5)
        # second store: the online address book
        x.xdotool("key", "alt+o")
        time.sleep(0.3)
        x.xdotool("key", "alt+d")
        x.type(server.base.removeprefix("http://"))
        x.xdotool("key", "alt+u")
        x.type(server.user or "")
        x.xdotool("key", "alt+w")
        x.type(server.password or "")
        x.xdotool("key", "Return")  # sign in
        wait_for((config / "accounts.json").exists, "the account to be kept")
        time.sleep(1.0)  # the books listed
        x.screenshot(artifacts / "wizard-online.png", wizard)
        accounts = (config / "accounts.json").read_text("utf-8")
        assert title in accounts and "s3cret" not in accounts
        x.xdotool("key", "alt+n")  # the only address book, chosen
        time.sleep(0.5)
        x.screenshot(artifacts / "wizard-online-settings.png", wizard)
        x.xdotool("key", "alt+a")  # Add partnership
        wait_for((config / "partnerships.json").exists, "the partnership")
        time.sleep(1.0)
        x.xdotool("key", "Return")  # Finish: Sync now
        wait_for(lambda: len(server.card_hrefs(book)) == 3, "the cards on the server")
        time.sleep(1.0)
        x.xdotool("windowfocus", "--sync", main)
        x.xdotool("key", "alt+c")  # the Accounts tab
        time.sleep(0.5)
        x.screenshot(artifacts / "accounts-tab.png", main)
        x.xdotool("key", "ctrl+q")
        assert app.wait(30) == 0
    finally:
        if app.poll() is None:
            x.screenshot(artifacts / "online-last-seen.png")  # what the screen showed
            app.kill()
            app.wait()
        log.close()
    text = (tmp_path / "app.log").read_text("utf-8", "replace")
    assert "Traceback" not in text, text
    assert "kept in keyring.backends.SecretService" in text  # the real Secret Service
    for path in [*config.rglob("*"), *data.rglob("*"), tmp_path / "app.log"]:
        assert not path.is_file() or b"s3cret" not in path.read_bytes(), path

"""The tarball, installed per user without root: an ordinary user (created for the test when
missing, and deleted after) unpacks it and runs install.sh in a temporary HOME; then
`syncgui-cli --version` and `syncgui-cli demo` from ~/.local/bin, the installed desktop
entry's Exec line under Xvfb with a tray host (the window shows, the tray icon docks), and
uninstall.sh, which removes exactly what install.sh wrote and leaves the user's contacts,
settings and sync state as they were.

The tests share one installation, in file order; the last one uninstalls."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gui_e2e.xsession import XSession
from tests.packaging.installs import (
    APP_ID,
    ROOT,
    VERSION,
    Dist,
    exec_command,
    launch_to_window,
    run,
    skip_or_fail,
    snapshot,
    stop,
    user_env,
)

USER = "syncgui-pkgtest"
MAIN = r"^syncgui"


@dataclass(frozen=True)
class UserInstall:
    user: str
    home: Path
    unpacked: Path  # the tarball's folder, as the user unpacked it

    @property
    def env(self) -> dict[str, str]:
        return user_env(self.home)

    @property
    def bin(self) -> Path:
        return self.home / ".local" / "bin"

    @property
    def opt(self) -> Path:
        return self.home / ".local" / "opt" / "syncgui"

    @property
    def desktop(self) -> Path:
        return self.home / ".local" / "share" / "applications" / f"{APP_ID}.desktop"


@pytest.fixture(scope="module")
def user() -> Iterator[str]:
    """An ordinary user to install as: the existing one, or one made for the tests."""
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        skip_or_fail("the per-user install is tested as another user: needs root (CI is root)")
    try:
        pwd.getpwnam(USER)
        made = False
    except KeyError:
        useradd = ["useradd", "--no-create-home", "--shell", "/bin/sh", USER]
        subprocess.run(useradd, check=True, capture_output=True)
        made = True
    try:
        yield USER
    finally:
        if made:
            subprocess.run(["userdel", USER], check=False, capture_output=True)


@pytest.fixture(scope="module")
def unpacked(dist: Dist, user: str) -> Iterator[UserInstall]:
    """A temporary HOME of the user's, and the tarball unpacked by them beside it."""
    work = Path(tempfile.mkdtemp(prefix="syncgui-pkgtest-"))
    try:
        home, downloads = work / "home", work / "downloads"
        home.mkdir()
        downloads.mkdir()
        shutil.copy(dist.tarball, downloads)
        uid, gid = pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid
        for path in (work, home, downloads, downloads / dist.tarball.name):
            os.chown(path, uid, gid)
        tarball = str(downloads / dist.tarball.name)
        run(["tar", "-xzf", tarball, "-C", str(downloads)], {"PATH": "/usr/bin:/bin"}, user)
        yield UserInstall(user, home, downloads / dist.tarball.name.removesuffix(".tar.gz"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def installed(unpacked: UserInstall) -> UserInstall:
    done = run([str(unpacked.unpacked / "install.sh")], unpacked.env, unpacked.user)
    assert "syncgui is installed" in done.stdout, done.stdout
    return unpacked


def _as_user(argv: list[str], install: UserInstall) -> subprocess.CompletedProcess[str]:
    return run(argv, install.env, install.user)


def test_install_puts_the_app_the_commands_and_the_menu_entry_in_home(
    installed: UserInstall,
) -> None:
    for command in ("syncgui", "syncgui-cli"):
        link = installed.bin / command
        assert link.is_symlink() and link.resolve() == installed.opt / command
    assert installed.desktop.is_file()
    share = installed.home / ".local" / "share"
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    owner = pwd.getpwuid(installed.opt.stat().st_uid).pw_name
    assert owner == installed.user


def test_cli_says_its_version_and_runs_the_demo(installed: UserInstall) -> None:
    cli = str(installed.bin / "syncgui-cli")
    assert _as_user([cli, "--version"], installed).stdout.strip() == f"syncgui-cli {VERSION}"
    demo = _as_user([cli, "demo", "--dir", str(installed.home / "demo")], installed)
    assert "Conflict" in demo.stdout, demo.stdout


def test_desktop_entry_starts_the_app_its_window_shows_and_its_tray_icon_docks(
    installed: UserInstall, x: XSession
) -> None:
    command = exec_command(installed.desktop)
    assert command[0] == str(installed.bin / "syncgui"), command
    env = user_env(installed.home, x.env)
    _took, app = launch_to_window(command, env, x, MAIN, user=installed.user)
    try:
        main = x.main_window(MAIN)
        x.wait_tray_icon()
        x.screenshot(ROOT / "artifacts" / "packaging" / "tarball-main-window.png", main)
    finally:
        stop(app)


def _user_data(install: UserInstall) -> None:
    """Contacts, settings and sync state of the user's own."""
    cli = str(install.bin / "syncgui-cli")
    contacts = install.home / "contacts"
    _as_user(["mkdir", "-p", str(contacts)], install)
    card = "BEGIN:VCARD\nVERSION:3.0\nUID:ada\nFN:Ada Lovelace\nN:Lovelace;Ada;;;\nEND:VCARD\n"
    _as_user(["sh", "-c", f"printf '{card}' > {contacts}/ada.vcf"], install)
    stores = [f"vdir:{contacts}", f"vcf:{install.home / 'contacts.vcf'}"]
    _as_user([cli, "partnership", "add", "mine", *stores], install)
    _as_user([cli, "sync", "mine"], install)


def _expected_after_uninstall(before: dict[str, str], manifest: str, home: Path) -> dict[str, str]:
    """``before`` less what the manifest lists, and less the folders install.sh created
    that nothing else is in."""
    gone: set[str] = set()
    created: list[str] = []
    for line in manifest.splitlines():  # kind, tab, [checksum or link target, tab,] path
        kind, *_, path = line.split("\t")
        rel = str(Path(path).relative_to(home))
        if kind == "d":
            created.append(rel)
        else:
            gone.add(rel)
    left = {
        p: v for p, v in before.items() if not any(p == g or p.startswith(g + "/") for g in gone)
    }
    for folder in reversed(created):
        if not any(p.startswith(folder + "/") for p in left):
            left.pop(folder, None)
    return left


def test_uninstall_removes_what_install_wrote_and_leaves_the_users_data(
    installed: UserInstall,
) -> None:
    _user_data(installed)
    before = snapshot(installed.home)
    assert any(p.startswith(".config/syncgui") for p in before), sorted(before)
    assert any(p.startswith(".local/share/syncgui") for p in before), sorted(before)
    manifest = (installed.opt / "install-manifest").read_text()

    done = _as_user([str(installed.opt / "uninstall.sh")], installed)
    assert "syncgui is removed" in done.stdout, done.stdout

    after = snapshot(installed.home)
    assert after == _expected_after_uninstall(before, manifest, installed.home)
    assert not installed.opt.exists()
    assert not (installed.bin / "syncgui").exists()
    assert not installed.desktop.exists()
    assert not (installed.home / ".local" / "opt").exists()  # made by install.sh, now empty

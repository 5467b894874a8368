"""The .deb, installed as a user would (CI runs as root): `apt-get install ./syncgui_*.deb`,
then `syncgui-cli --version` and `syncgui-cli demo` from /usr/bin, the installed desktop
entry's Exec line under Xvfb with a tray host (the window shows, the tray icon docks), the
start-up time against the source checkout's, and removal and purge, which leave no file of
the package behind and the user's contacts, settings and sync state as they were.

The tests share one installation and one user's HOME, in file order; the last one removes
the package (the module's fixture purges it in any case)."""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

DESKTOP = Path("/usr/share/applications") / f"{APP_ID}.desktop"
MAIN = r"^syncgui"
START_RUNS = 5


@dataclass(frozen=True)
class Installed:
    deb: Path
    paths: list[Path]  # every path the package holds
    existed: frozenset[Path]  # those that were there before it was installed
    home: Path  # one user's HOME for all the tests


def _is_installed() -> bool:
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Status}", "syncgui"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return status not in ("", "not-installed", "config-files")


def _package_paths(deb: Path) -> list[Path]:
    """The paths the .deb holds, read from its data archive."""
    listing = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(listing)) as archive:
        names = [m.name for m in archive.getmembers()]
    paths = {Path("/", n.removeprefix("./")) for n in names}
    return sorted(paths - {Path("/")})


@pytest.fixture(scope="module")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    if os.geteuid() != 0 or shutil.which("dpkg") is None:
        skip_or_fail("installing the .deb needs root on Debian or Ubuntu (CI runs as root)")
    if _is_installed():
        pytest.fail("a syncgui package is installed already: remove it first (dpkg -r syncgui)")
    paths = _package_paths(dist.deb)
    existed = frozenset(p for p in paths if p.exists() or p.is_symlink())
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", str(dist.deb)]
    if shutil.which("apt-get") is None:
        command = ["dpkg", "-i", str(dist.deb)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    home = tmp_path_factory.mktemp("deb-home")
    try:
        yield Installed(dist.deb, paths, existed, home)
    finally:
        if _is_installed():
            subprocess.run(["dpkg", "--purge", "syncgui"], capture_output=True, check=False)


def test_the_package_installs_the_folder_the_commands_and_the_desktop_files(
    installed: Installed, measured: dict[str, Any]
) -> None:
    for path in (
        Path("/opt/syncgui/syncgui"),
        Path("/opt/syncgui/syncgui-cli"),
        DESKTOP,
        Path(f"/usr/share/metainfo/{APP_ID}.metainfo.xml"),
        Path(f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg"),
        Path(f"/usr/share/icons/hicolor/48x48/apps/{APP_ID}.png"),
        Path("/usr/lib/udev/rules.d/69-syncgui-mtp.rules"),
        Path("/usr/share/doc/syncgui/copyright"),
        Path("/usr/share/doc/syncgui/changelog.gz"),
    ):
        assert path.is_file(), f"{path} is not installed"
    for command in ("syncgui", "syncgui-cli"):
        assert shutil.which(command, path="/usr/bin") == f"/usr/bin/{command}"
        assert Path(f"/usr/bin/{command}").resolve() == Path(f"/opt/syncgui/{command}")
    du = subprocess.run(["du", "-sk", "/opt/syncgui"], capture_output=True, text=True, check=True)
    measured["installed_size_mib"] = round(int(du.stdout.split()[0]) / 1024, 1)
    measured["deb_size_mib"] = round(installed.deb.stat().st_size / 2**20, 1)


def test_cli_from_the_path_says_its_version_and_runs_the_demo(installed: Installed) -> None:
    env = user_env(installed.home)
    assert run(["syncgui-cli", "--version"], env).stdout.strip() == f"syncgui-cli {VERSION}"
    demo = run(["syncgui-cli", "demo", "--dir", str(installed.home / "demo")], env)
    assert "Conflict" in demo.stdout, demo.stdout
    assert "merged" in demo.stdout, demo.stdout


def test_desktop_entry_starts_the_app_its_window_shows_and_its_tray_icon_docks(
    installed: Installed, x: XSession, tmp_path: Path
) -> None:
    command = exec_command(DESKTOP)
    assert command[0] == "/usr/bin/syncgui", command
    env = user_env(installed.home, x.env)
    _took, app = launch_to_window(command, env, x, MAIN)
    try:
        main = x.main_window(MAIN)
        x.wait_tray_icon()
        artifacts = ROOT / "artifacts" / "packaging"
        x.screenshot(artifacts / "deb-main-window.png", main)
    finally:
        stop(app)


def test_start_time_installed_against_the_checkout(
    installed: Installed, x: XSession, tmp_path: Path, measured: dict[str, Any]
) -> None:
    """Launch to a shown window, median of a few runs each (after one warm-up run), for the
    installed app and for the source checkout's .venv/bin/syncgui. Measured, not asserted."""
    checkout = ROOT / ".venv" / "bin" / "syncgui"
    if not checkout.exists():
        pytest.skip("no .venv/bin/syncgui to compare with (scripts/setup-venv)")
    variants = {"installed": exec_command(DESKTOP), "checkout": [str(checkout)]}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for attempt in range(START_RUNS + 1):
        for name, command in variants.items():
            env = user_env(tmp_path / f"home-{name}", x.env)
            took, app = launch_to_window(command, env, x, MAIN)
            stop(app)
            if attempt:  # the first is the warm-up
                times[name].append(round(took, 3))
    installed_s = statistics.median(times["installed"])
    checkout_s = statistics.median(times["checkout"])
    measured["start_to_window_s"] = {
        "installed_median": installed_s,
        "checkout_median": checkout_s,
        "ratio": round(installed_s / checkout_s, 2),
        "runs": times,
    }


def _user_data(home: Path) -> None:
    """Contacts, settings and sync state of the user's own, as a user leaves them."""
    env = user_env(home)
    contacts = home / "contacts"
    contacts.mkdir(exist_ok=True)
    (contacts / "ada.vcf").write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n"
        "END:VCARD\r\n"
    )
    stores = [f"vdir:{contacts}", f"vcf:{home / 'contacts.vcf'}"]
    run(["syncgui-cli", "partnership", "add", "mine", *stores], env)
    run(["syncgui-cli", "sync", "mine"], env)


def test_remove_and_purge_leave_nothing_of_the_package_and_the_users_data_alone(
    installed: Installed,
) -> None:
    _user_data(installed.home)
    before = snapshot(installed.home)
    assert any(p.startswith(".config/syncgui") for p in before), sorted(before)
    assert any(p.startswith(".local/share/syncgui") for p in before), sorted(before)

    for step in (["dpkg", "-r", "syncgui"], ["dpkg", "--purge", "syncgui"]):
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(step)}: {done.stdout}\n{done.stderr}"
        left = [
            p
            for p in installed.paths
            if p not in installed.existed and (p.exists() or p.is_symlink())
        ]
        assert not left, f"after {' '.join(step)}, still there: {left}"
        assert snapshot(installed.home) == before, f"{' '.join(step)} changed the user's files"
    assert not _is_installed()
    assert not Path("/opt/syncgui").exists()

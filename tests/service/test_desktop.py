"""What the desktop app asks the service besides syncing: where contacts can be on a phone,
how many cards a store holds, which local paths to watch, which partnerships a connected
phone serves, start at login, and a demo profile apart from the user's own."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from syncgui import APP_ID
from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.events import Direction, Policy
from syncgui.providers.mtp.backend import StorageInfo
from syncgui.providers.mtp.discovery.devices import DeviceReport, scan
from syncgui.providers.mtp.virtual import VirtualBackend
from syncgui.service import SyncService
from syncgui.service.config import Partnership, PartnershipBook
from syncgui.service.demo import DEMO_NAME, ensure_demo
from syncgui.service.paths import demo_paths
from syncgui.service.records import Place, Schedule
from tests.providers.mtp.memory_backend import MemoryBackend, MemoryPhone
from tests.service.support import card, desktop, profile, write_cards

ENTRY = f"{APP_ID}.desktop"
EXPORT = card("e1", "Export One") + card("e2", "Export Two") + card("e3", "Export Three")


def _phone(root: Path) -> DeviceReport:
    """A virtual phone with a Contacts folder, an export in Download, photos and our
    hidden state folder, as the device listing reports it."""
    write_cards(root / "Contacts", {"ann.vcf": card("ann", "Ann"), "bob.vcf": card("bob", "Bob")})
    (root / "Download").mkdir()
    (root / "Download" / "contacts.vcf").write_text(EXPORT, newline="")
    (root / "Download" / "manual.pdf").write_bytes(b"%PDF")
    (root / "DCIM" / "Camera").mkdir(parents=True)
    (root / "DCIM" / "Camera" / "IMG_0001.jpg").write_bytes(b"jpg")
    (root / ".syncgui").mkdir()
    [report] = scan(VirtualBackend(root), include_not_mtp=False)
    return report


def _find(places: tuple[Place, ...] | list[Place], name: str) -> Place:
    return next(p for p in places if p.name == name)


def test_the_wizard_can_browse_a_phone_and_sync_the_place_it_picks(tmp_path: Path) -> None:
    report = _phone(tmp_path / "phone")
    service = desktop(tmp_path)
    [storage] = service.places(report)
    assert storage.name == "Internal shared storage"
    assert [p.name for p in storage.children] == ["Contacts", "DCIM", "Download"]
    contacts = _find(storage.children, "Contacts")
    assert (contacts.kind, contacts.cards, contacts.children) == ("folder", 2, ())
    download = _find(storage.children, "Download")
    [export] = download.children  # the PDF is not a place for contacts
    assert (export.name, export.kind) == ("contacts.vcf", "file")
    dcim = _find(storage.children, "DCIM")
    assert [c.name for c in dcim.children] == ["Camera"]  # photos are no place for contacts
    assert dcim.children[0].children == ()  # one level below the top is listed

    assert service.count_cards(contacts.spec) == 2
    assert service.count_cards(export.spec) == 3
    book = tmp_path / "book"
    service.add_partnership(
        "phone export", f"vdir:{book}", export.spec, Direction.TWO_WAY, Policy.MERGE, Schedule()
    )
    service.sync(["phone export"])
    assert len(list(book.glob("*.vcf"))) == 3


def test_cards_of_a_store_that_cannot_be_read_now_are_unknown(tmp_path: Path) -> None:
    report = _phone(tmp_path / "phone")
    service = desktop(tmp_path)
    [storage] = service.places(report)
    spec = _find(storage.children, "Contacts").spec
    shutil.rmtree(tmp_path / "phone")  # unplugged
    assert service.count_cards(spec) is None
    assert service.count_cards(f"vdir:{tmp_path / 'not yet'}") is None
    assert service.count_cards(f"vdir:{write_cards(tmp_path / 'empty', {})}") == 0


def test_only_local_stores_are_watched_for_changes(tmp_path: Path) -> None:
    book = write_cards(tmp_path / "book", {"ann.vcf": card("ann", "Ann")})
    export = tmp_path / "all.vcf"
    phone = tmp_path / "phone"
    service = desktop(tmp_path)
    default = Schedule()
    two_way, merge = Direction.TWO_WAY, Policy.MERGE
    service.add_partnership("files", f"vdir:{book}", f"vcf:{export}", two_way, merge, default)
    service.add_partnership("phone", f"vdir:{book}", f"virtual:{phone}", two_way, merge, default)
    assert service.watched_paths("files") == [book, export]
    assert service.watched_paths("phone") == [book]


def test_a_connected_phone_finds_the_partnerships_that_use_it(tmp_path: Path) -> None:
    report = _phone(tmp_path / "phone")
    other = tmp_path / "other phone"
    other.mkdir()
    book = tmp_path / "book"
    PartnershipBook(profile(tmp_path).partnerships_file).save(
        [
            Partnership("folder", f"vdir:{book}", f"virtual:{tmp_path / 'phone'}"),
            Partnership(
                "export", f"virtual:{tmp_path / 'phone'}#Download/contacts.vcf", f"vdir:{book}"
            ),
            Partnership("other", f"vdir:{book}", f"virtual:{other}"),
            Partnership("pixel", f"vdir:{book}", "mtp:SERIAL123/Internal shared storage/Contacts"),
            Partnership("any", f"vdir:{book}", "mtp:first/Internal shared storage/x.vcf"),
            Partnership("galaxy", f"vdir:{book}", "mtp:OTHER9/Phone/Contacts"),
        ]
    )
    service = desktop(tmp_path)
    assert service.partnerships_using(report) == ["folder", "export"]
    usb = DeviceReport("Google", "Pixel 7", "SERIAL123", "ready", "", location="1-4")
    assert service.partnerships_using(usb) == ["pixel", "any"]
    unnamed = DeviceReport("Google", "Pixel 7", "", "not-mtp", "", location="1-5")
    assert service.partnerships_using(unnamed) == ["any"]


def _exec_argv(value: str) -> list[str]:
    """The Desktop Entry spec's reading of an Exec value (what a session manager runs)."""
    escapes = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    value = re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), value)
    argv: list[str] = []
    word, quoted, i, started = "", False, 0, False
    while i < len(value):
        c = value[i]
        if quoted and c == "\\" and i + 1 < len(value) and value[i + 1] in '"`$\\':
            word, i = word + value[i + 1], i + 2
            continue
        if c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if started or word:
                argv.append(word)
            word, started = "", False
        else:
            word += c
        i += 1
    if started or word:
        argv.append(word)
    return [a.replace("%%", "%") for a in argv]


def test_start_at_login_writes_an_entry_that_runs_the_app_in_the_tray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    service = desktop(tmp_path)
    assert not service.autostart_enabled()
    command = ["/opt/sync gui/bin/python3", "-m", "syncgui.gui", "--config-dir", 'a "$b" 100%\\']
    service.set_autostart(True, command)
    entry = (tmp_path / "xdg" / "autostart" / ENTRY).read_text()
    keys = dict(line.split("=", 1) for line in entry.splitlines()[1:])
    assert entry.startswith("[Desktop Entry]\n")
    assert keys["Type"] == "Application" and keys["Icon"] == APP_ID
    assert keys["X-GNOME-Autostart-enabled"] == "true"
    assert keys["X-KDE-autostart-after"] == "panel"  # after the tray is up
    assert _exec_argv(keys["Exec"]) == [*command, "--background"]
    assert service.autostart_enabled()
    service.set_autostart(False, command)
    assert not (tmp_path / "xdg" / "autostart" / ENTRY).exists()
    assert not service.autostart_enabled()


def test_start_at_login_runs_a_program_by_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    service = desktop(tmp_path)
    program = Path(sys.executable).name
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    service.set_autostart(True, [program, "--background"])
    entry = (tmp_path / "home" / ".config" / "autostart" / ENTRY).read_text()
    [exec_value] = [line[5:] for line in entry.splitlines() if line.startswith("Exec=")]
    argv = _exec_argv(exec_value)
    assert Path(argv[0]).is_absolute() and Path(argv[0]).name == program
    assert argv[1:] == ["--background"]  # not added twice


def test_an_entry_written_before_0_9_counts_and_goes_at_the_next_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    autostart = tmp_path / "xdg" / "autostart"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    autostart.mkdir(parents=True)
    (autostart / "syncgui.desktop").write_text("[Desktop Entry]\nExec=/old/syncgui\n")
    service = desktop(tmp_path)
    assert service.autostart_enabled()
    service.set_autostart(True, ["/usr/bin/syncgui"])
    assert sorted(p.name for p in autostart.iterdir()) == [ENTRY]
    (autostart / "syncgui.desktop").write_text("[Desktop Entry]\nExec=/old/syncgui\n")
    service.set_autostart(False, ["/usr/bin/syncgui"])
    assert list(autostart.iterdir()) == []
    assert not service.autostart_enabled()


def _program(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def _login_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """The command the app's Start at login writes, as a session manager reads it back."""
    from syncgui.gui.app import autostart_command

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PATH", str(path))
    desktop(tmp_path).set_autostart(True, autostart_command())
    entry = (tmp_path / "xdg" / "autostart" / ENTRY).read_text()
    [exec_value] = [line[5:] for line in entry.splitlines() if line.startswith("Exec=")]
    return _exec_argv(exec_value)


def test_start_at_login_runs_the_installed_command_of_a_frozen_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The .deb and the tarball: /usr/bin/syncgui (or ~/.local/bin/syncgui) is a link to
    the executable in /opt/syncgui; the entry names the link, which survives upgrades."""
    executable = _program(tmp_path / "opt" / "syncgui" / "syncgui")
    bin_dir = tmp_path / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "syncgui").symlink_to(executable)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))
    argv = _login_command(tmp_path, monkeypatch, bin_dir)
    assert argv == [str(bin_dir / "syncgui"), "--background"]


def test_start_at_login_of_a_frozen_build_off_the_path_runs_its_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable = _program(tmp_path / "unpacked" / "syncgui")
    elsewhere = _program(tmp_path / "usr" / "bin" / "syncgui")  # another installation
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))
    argv = _login_command(tmp_path, monkeypatch, elsewhere.parent)
    assert argv == [str(executable), "--background"]


def test_start_at_login_runs_the_installed_script_of_a_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pipx: ~/.local/bin/syncgui, the script Python runs, found on the PATH."""
    script = _program(tmp_path / "home" / ".local" / "bin" / "syncgui")
    monkeypatch.setattr(sys, "argv", [str(script)])
    argv = _login_command(tmp_path, monkeypatch, script.parent)
    assert argv == [str(script), "--background"]


def test_start_at_login_from_a_checkout_runs_its_venvs_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/run starts .venv/bin/syncgui; a syncgui installed on the PATH is another
    installation, not this one."""
    script = _program(tmp_path / "checkout" / ".venv" / "bin" / "syncgui")
    installed = _program(tmp_path / "usr" / "bin" / "syncgui")
    monkeypatch.setattr(sys, "argv", [str(script), "--demo-if-unconfigured"])
    argv = _login_command(tmp_path, monkeypatch, installed.parent)
    assert argv == [str(script), "--background"]


def test_start_at_login_from_python_m_syncgui_runs_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _program(tmp_path / "usr" / "bin" / "syncgui")
    main = Path(__file__).resolve().parents[2] / "syncgui" / "__main__.py"
    monkeypatch.setattr(sys, "argv", [str(main)])
    argv = _login_command(tmp_path, monkeypatch, tmp_path / "usr" / "bin")
    assert argv == [sys.executable, "-m", "syncgui", "--background"]


def test_a_frozen_build_reopens_itself_without_python_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Try the demo / Leave the demo start ``sys.executable`` again: in a frozen build that
    is the app, which takes no ``-m syncgui``."""
    from syncgui.gui import app

    args = app.parse_args(["--config-dir", "/c", "--data-dir", "/d"])
    folders = ["--config-dir", str(Path("/c").resolve()), "--data-dir", str(Path("/d").resolve())]
    assert app._profile_command(args, "--demo") == ["-m", "syncgui", *folders, "--demo"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert app._profile_command(args, "--demo") == [*folders, "--demo"]


def test_the_demo_profile_is_apart_and_made_once(tmp_path: Path) -> None:
    base = profile(tmp_path)
    paths = demo_paths(base)
    ensure_demo(paths)
    service = SyncService(paths, demo=True, real_backend=None)
    [p] = service.partnerships()
    assert (p.name, p.spec_a.scheme, p.spec_b.scheme) == (DEMO_NAME, "vdir", "virtual")
    assert (p.direction, p.policy) == (Direction.TWO_WAY, Policy.MERGE)
    assert service.is_demo and not base.partnerships_file.exists()
    assert service.sessions() == []  # not synced: the user presses Sync
    book = Path(p.spec_a.location)
    ada = card("demo-ada", "Ada Lovelace", "EMAIL;TYPE=INTERNET:ada@example.org", "NOTE:mine")
    (book / "ada.vcf").write_text(ada, newline="")
    ensure_demo(paths)  # the next start
    assert [q.name for q in service.partnerships()] == [DEMO_NAME]
    assert "NOTE:mine" in (book / "ada.vcf").read_text()  # the user's edit stays
    [result] = service.sync([DEMO_NAME])
    assert result.status.value == "conflicts"
    assert service.conflict_counts() == {DEMO_NAME: 1}
    [view] = service.conflicts()
    assert view.item == "Grace Hopper"
    phone = service.current_devices() or service.list_devices().devices
    assert [d.model for d in phone] == ["Virtual phone"]
    assert service.partnerships_using(phone[0]) == [DEMO_NAME]


def test_a_usb_phone_is_browsed_per_storage_and_let_go_again(tmp_path: Path) -> None:
    sd = StorageInfo(0x20001, "SD card 1/2", 32 << 30, 1 << 30)
    phone = MemoryPhone(serial="PIXEL42", storages=[*MemoryPhone().storages, sd])
    phone.add_file("contacts.vcf", EXPORT.encode())
    phone.add_folder("Contacts", storage=sd.id)
    backend = MemoryBackend([phone])
    service = SyncService(profile(tmp_path), real_backend=lambda: backend)
    report = DeviceReport("Google", "Pixel 7", "PIXEL42", "ready", "", location=phone.location)
    internal, card_storage = service.places(report)
    assert [(p.name, p.spec) for p in internal.children] == [
        ("contacts.vcf", "mtp:PIXEL42/Internal shared storage/contacts.vcf")
    ]
    # a storage whose name has a slash is named by its id, so the spec reads back
    assert [p.spec for p in card_storage.children] == [f"mtp:PIXEL42/{sd.id}/Contacts"]
    assert phone.opened == phone.closed == 1

    phone.locked = True
    with pytest.raises(StoreUnavailable, match="unlock"):
        service.places(report)
    assert phone.opened == phone.closed == 2

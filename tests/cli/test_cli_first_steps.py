"""What a new user meets first on the command line: the help lists every store spec, the
README's commands work as written after the README's set-up, `virtual:` on an empty folder
gets a Contacts folder as `mtp:` does, and a failed `partnership add` leaves nothing behind."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from syncgui.cli import build_parser
from tests.cli.conftest import Cli, card

ROOT = Path(__file__).resolve().parents[2]
SPECS = (
    "vdir:FOLDER",
    "vcf:FILE",
    "mtp:DEVICE/STORAGE/PATH",
    "virtual:FOLDER",
    "carddav:URL",
    "carddav:ACCOUNT/BOOK",
)


@pytest.mark.parametrize("command", [["--help"], ["partnership", "add", "--help"]])
def test_help_lists_every_store_spec(command: list[str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "syncgui.cli", *command],
        capture_output=True,
        text=True,
        check=True,
    )
    for spec in SPECS:
        assert spec in run.stdout, spec
    assert "mtp:first/Internal shared storage/Contacts" in run.stdout


def test_partnership_help_names_set_and_reset() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "syncgui.cli", "partnership", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for action in ("add", "list", "remove", "set", "reset"):
        assert action in run.stdout


def _readme_commands() -> list[str]:
    """Every ``syncgui-cli …`` line of the README's shell examples, continuation lines
    joined and comments cut."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["syncgui-cli"]:
                commands.append(line)
    return commands


def test_every_readme_command_is_one_the_cli_takes() -> None:
    commands = _readme_commands()
    assert len(commands) >= 10
    parser = build_parser()
    for line in commands:
        words = shlex.split(line, comments=True)[1:]
        if words == ["--help"]:
            continue
        parser.parse_args(words)  # a usage error would exit 2 here


def test_readme_says_how_syncgui_cli_is_reached_and_that_way_works(tmp_path: Path) -> None:
    """The README's set-up leaves syncgui-cli in .venv/bin, not on PATH: the README says to
    activate the venv (or to use `scripts/run cli`), and after the activation line it
    gives, `syncgui-cli` as written runs, from any folder."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Using it from the command line", 1)[1].split("\n## ", 1)[0]
    assert "scripts/run cli" in section
    activate = next(
        line.split("#", 1)[0].strip()
        for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)
        for line in block.splitlines()
        if "activate" in line
    )
    assert activate == ". .venv/bin/activate"
    venv = Path(sys.prefix)
    assert (venv / "bin" / "syncgui-cli").exists(), "the set-up installs it in the venv"
    plain_path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != venv / "bin"
    )
    env = {"PATH": plain_path, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    before = subprocess.run(
        ["bash", "-c", "command -v syncgui-cli || echo missing"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert before.stdout.strip() == "missing" or Path(before.stdout.strip()).parent != venv / "bin"
    # the README's line, run from the project folder (the venv of this checkout)
    line = activate.replace(".venv", str(venv)) if venv != ROOT / ".venv" else activate
    run = subprocess.run(
        ["bash", "-c", f"{line} && cd {shlex.quote(str(tmp_path))} && syncgui-cli --help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "store specs:" in run.stdout


def test_scripts_run_cli_runs_the_venvs_syncgui_cli() -> None:
    """`scripts/run cli ARGS`, the README's other way, hands ARGS to .venv/bin/syncgui-cli."""
    script = (ROOT / "scripts" / "run").read_text()
    assert re.search(
        r'if \[ "\$\{1:-\}" = cli \]; then\s+shift\s+exec \.venv/bin/syncgui-cli "\$@"', script
    )


def test_virtual_phone_on_an_empty_folder_gets_a_contacts_folder(cli: Cli, tmp_path: Path) -> None:
    phone = tmp_path / "phone"
    phone.mkdir()
    book = tmp_path / "book"
    book.mkdir()
    (book / "ann.vcf").write_text(card("ann", "Ann Example"), newline="")
    code, out, err = cli("partnership", "add", "p", f"vdir:{book}", f"virtual:{phone}")
    assert code == 0, err
    assert "Contacts" in out
    assert (phone / "Contacts").is_dir()
    assert cli("sync", "p")[0] == 0
    assert [f.name for f in (phone / "Contacts").iterdir()] == ["ann.vcf"]


def test_virtual_phone_with_files_of_its_own_is_not_given_a_contacts_folder(
    cli: Cli, tmp_path: Path
) -> None:
    """A phone folder holding other things (music) has no contacts: that is said, and the
    new address-book folder made for the partnership is removed again."""
    phone = tmp_path / "phone"
    (phone / "Music").mkdir(parents=True)
    book = tmp_path / "contacts"
    code, _out, err = cli("partnership", "add", "p", f"vdir:{book}", f"virtual:{phone}")
    assert code != 0
    assert "no Contacts folder" in err
    assert not book.exists()
    assert sorted(p.name for p in phone.iterdir()) == ["Music"]
    assert cli.json("partnership", "list") == (0, [])


def test_failed_partnership_add_leaves_nothing_behind(cli: Cli, tmp_path: Path) -> None:
    """`partnership add` made ~/contacts (and its parents) although the other store could
    not be used: now nothing it created stays."""
    home_contacts = tmp_path / "home" / "nested" / "contacts"
    code, _out, err = cli(
        "partnership", "add", "p", f"vdir:{home_contacts}", f"vcf:{tmp_path}/missing/x.vcf"
    )
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "home").exists()
    new_file = tmp_path / "new.vcf"
    phone = tmp_path / "phone"
    (phone / "DCIM").mkdir(parents=True)  # a phone with photos and no contacts
    code, _out, err = cli("partnership", "add", "p", f"vcf:{new_file}", f"virtual:{phone}")
    assert code != 0 and "no Contacts folder" in err
    assert not new_file.exists()
    assert cli.json("partnership", "list") == (0, [])


def test_an_existing_store_is_never_removed_by_a_failed_add(cli: Cli, tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()  # empty, but the user's
    code, _out, _err = cli("partnership", "add", "p", f"vdir:{kept}", f"vcf:{tmp_path}/no/x.vcf")
    assert code == 2
    assert kept.is_dir()

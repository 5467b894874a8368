"""The phone store through the real helper process: a sync over it, and a helper that
crashes or hangs mid-upload ending the session with "stopped responding", nothing lost,
and the next sync completing with no duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest

import syncgui.providers.mtp.phone.store as phone_store
from syncgui.providers.mtp.backend import MtpBackend
from syncgui.providers.mtp.helper.remote import RemoteBackend
from tests.cli.conftest import Cli, card
from tests.providers.mtp.crashing_phone import AFTER_ENV, ROOT_ENV

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, capsys)


@pytest.fixture(autouse=True)
def _helper_finds_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # `python -m` puts the working folder on the helper's path


def _running(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line mentions ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmd and state != "Z":
            found.append(int(proc.name))
    return found


def _book(tmp_path: Path, n: int) -> Path:
    book = tmp_path / "book"
    book.mkdir()
    for i in range(n):
        (book / f"c{i}.vcf").write_bytes(
            card(f"c{i}", f"Contact {i}", f"NOTE:{'x' * 200}").encode()
        )
    return book


def test_sync_through_the_helper_process(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNCGUI_VIRTUAL_HELPER", "1")
    book = _book(tmp_path, 5)
    phone = tmp_path / "phone"
    assert cli("partnership", "add", "p", f"vdir:{book}", f"virtual:{phone}")[0] == 0
    code, runs = cli.json("sync", "p")
    assert code == 0 and runs[0]["to_b"]["created"] == 5
    (phone / "Contacts" / "c0.vcf").unlink()
    code, runs = cli.json("sync", "p")
    assert code == 0 and runs[0]["to_a"]["deleted"] == 1
    assert sorted(p.name for p in book.iterdir()) == [f"c{i}.vcf" for i in range(1, 5)]


@pytest.mark.parametrize("how", ["crash", "hang"])
def test_a_helper_that_dies_mid_upload_ends_the_session_and_loses_nothing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    book = _book(tmp_path, 12)
    phone = tmp_path / "phone"
    assert cli("partnership", "add", "p", f"vdir:{book}", f"virtual:{phone}")[0] == 0
    monkeypatch.setenv(ROOT_ENV, str(phone))
    monkeypatch.setenv(AFTER_ENV, "7")
    helpers: list[RemoteBackend] = []

    def failing(where: phone_store.Location) -> MtpBackend:
        helpers.append(RemoteBackend(f"tests.providers.mtp.crashing_phone:{how}", timeout=3.0))
        return helpers[-1]

    with monkeypatch.context() as m:
        m.setattr(phone_store, "_backend_for", failing)
        code, out, _ = cli("sync", "p")
    assert code == 1 and "stopped responding" in out, out
    assert helpers and not _running("crashing_phone")  # no helper left behind
    code, runs = cli.json("sync", "p")
    assert code == 0 and runs[0]["errors"] == [], runs
    on_phone = sorted((phone / "Contacts").iterdir())
    assert [p.name for p in on_phone] == sorted(p.name for p in book.iterdir())
    assert all(p.read_bytes() == (book / p.name).read_bytes() for p in on_phone)

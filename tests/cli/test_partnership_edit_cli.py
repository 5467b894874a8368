"""`syncgui-cli partnership set` and `partnership reset`, as a user meets them: a renamed
partnership keeps its conflicts, history, activity and schedule; a reset forgets what was
synced so the next sync matches contacts again, deletes nothing, and leaves a partnership
that shares a store alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncgui.service import SyncService, resolve_paths
from syncgui.service.locks import locks
from tests.cli.conftest import Cli, card


def _folder(path: Path, cards: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in cards.items():
        (path / name).write_text(text, newline="")
    return path


def _snapshot(*folders: Path) -> dict[str, bytes]:
    return {
        str(f.relative_to(f.parents[1])): f.read_bytes()
        for folder in folders
        for f in sorted(folder.rglob("*.vcf"))
    }


def _service(cli: Cli) -> SyncService:
    return SyncService(resolve_paths(cli.root / "config", cli.root / "data"), real_backend=None)


@pytest.fixture
def pair(cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    """Partnership p (policy ask) between folders A and B after a first sync, then a
    history entry (Bob overwritten on B) and a conflict (Ann edited on both sides)."""
    a = _folder(
        tmp_path / "a",
        {"ann.vcf": card("ann", "Ann Example"), "bob.vcf": card("bob", "Bob Example")},
    )
    b = tmp_path / "b"
    assert cli("partnership", "add", "p", f"vdir:{a}", f"vdir:{b}", "--policy", "ask")[0] == 0
    assert cli("sync", "p")[0] == 0
    (a / "bob.vcf").write_text(card("bob", "Bob Example", "NOTE:from A"), newline="")
    assert cli("sync", "p")[0] == 0
    (a / "ann.vcf").write_text(card("ann", "Ann Example", "NOTE:A's"), newline="")
    (b / "ann.vcf").write_text(card("ann", "Ann Example", "NOTE:B's"), newline="")
    assert cli("sync", "p")[0] == 3
    return a, b


def test_rename_keeps_conflicts_history_activity_and_schedule(
    cli: Cli, pair: tuple[Path, Path]
) -> None:
    assert cli("partnership", "set", "p", "--every", "30")[0] == 0
    _, before = cli.json("conflicts", "p")
    _, history_before = cli.json("history", "p")
    assert len(before) == 1 and len(history_before) == 1
    code, out, _err = cli("partnership", "set", "p", "--name", "laptop", "--direction", "a-to-b")
    assert code == 0
    assert "Renamed p to laptop" in out and "a-to-b" in out and "every 30 minutes" in out
    _, after = cli.json("conflicts", "laptop")
    assert [c["id"] for c in after] == [c["id"] for c in before]
    assert after[0]["partnership"] == "laptop"
    _, history_after = cli.json("history", "laptop")
    assert [e["id"] for e in history_after] == [e["id"] for e in history_before]
    service = _service(cli)
    assert len(service.sessions("laptop")) == 3 and service.sessions("p") == []
    assert service.schedule("laptop").interval_minutes == 30
    _, listed = cli.json("partnership", "list")
    assert [(p["name"], p["direction"], p["policy"]) for p in listed] == [
        ("laptop", "a-to-b", "ask")
    ]
    assert cli("conflicts", "p")[0] == 2  # the old name is gone everywhere
    code, _out, _err = cli("resolve", before[0]["id"], "--keep", "a")
    assert code == 0
    assert cli("sync", "laptop")[0] == 0


def test_set_is_refused_while_the_partnership_syncs(cli: Cli, pair: tuple[Path, Path]) -> None:
    paths = resolve_paths(cli.root / "config", cli.root / "data")
    with locks([(paths.lock_file("partnership:p"), "partnership 'p'")]):
        code, _out, err = cli("partnership", "set", "p", "--name", "q")
        assert code == 1 and "being synced already" in err
        code, _out, err = cli("partnership", "reset", "p", "--yes")
        assert code == 1 and "being synced already" in err
    assert [p["name"] for p in cli.json("partnership", "list")[1]] == ["p"]


def test_set_without_a_change_is_a_usage_error(cli: Cli, pair: tuple[Path, Path]) -> None:
    code, _out, err = cli("partnership", "set", "p")
    assert code == 2 and "nothing to change" in err
    assert cli("partnership", "set", "nope", "--policy", "newest")[0] == 2
    assert cli("partnership", "set", "p", "--name", "bad/name")[0] == 2
    assert cli("partnership", "set", "p", "--every", "-5")[0] == 2


def test_reset_matches_again_and_deletes_nothing(cli: Cli, tmp_path: Path) -> None:
    """A folder with a card without UID and a .vcf export: after a reset, the next sync
    takes the two copies of Ann for the same person again (nothing copied twice, nothing
    deleted), and no store changed by the reset itself."""
    a = _folder(
        tmp_path / "a",
        {
            "ann.vcf": card(None, "Ann Example", "EMAIL:ann@example.org"),
            "bob.vcf": card("bob", "Bob Example"),
        },
    )
    export = tmp_path / "export.vcf"
    assert cli("partnership", "add", "p", f"vdir:{a}", f"vcf:{export}")[0] == 0
    assert cli("sync", "p")[0] == 0
    before = _snapshot(a) | {"export": export.read_bytes()}
    code, out, _err = cli("partnership", "reset", "p", "--yes")
    assert code == 0 and "no contact was deleted" in out
    assert _snapshot(a) | {"export": export.read_bytes()} == before
    code, runs = cli.json("sync", "p", "--dry-run")
    assert code == 0
    [run] = runs
    assert [m["name"] for m in run["matched"]] == ["Ann Example"]
    for side in ("to_a", "to_b"):
        assert run[side]["created"] == 0 and run[side]["deleted"] == 0
    code, runs = cli.json("sync", "p")
    assert code == 0
    assert sorted(p.name for p in a.iterdir()) == ["ann.vcf", "bob.vcf"]
    assert export.read_text().count("BEGIN:VCARD") == 2


def test_reset_leaves_a_partnership_that_shares_a_store_alone(cli: Cli, tmp_path: Path) -> None:
    a = _folder(tmp_path / "a", {"ann.vcf": card("ann", "Ann Example")})
    b, c = tmp_path / "b", tmp_path / "c"
    assert cli("partnership", "add", "p1", f"vdir:{a}", f"vdir:{b}")[0] == 0
    assert cli("partnership", "add", "p2", f"vdir:{a}", f"vdir:{c}")[0] == 0
    assert cli("sync", "p1", "p2")[0] == 0
    before = _snapshot(a, b, c)
    assert cli("partnership", "reset", "p1", "--yes")[0] == 0
    code, runs = cli.json("sync", "p2", "p1")
    assert code == 0
    for run in runs:
        for side in ("to_a", "to_b"):
            assert run[side] == {"created": 0, "updated": 0, "deleted": 0}, run
    assert _snapshot(a, b, c) == before
    # and p2 still carries edits both ways, as before the reset
    (c / "ann.vcf").write_text(card("ann", "Ann Example", "NOTE:from C"), newline="")
    assert cli("sync", "p2", "p1")[0] == 0
    assert "from C" in (b / "ann.vcf").read_text()


def test_reset_refused_when_both_stores_must_keep_their_state(cli: Cli, tmp_path: Path) -> None:
    """A folder another partnership uses and a phone (which keeps its own state): resetting
    either would disturb others; the reset says why and changes nothing."""
    a = _folder(tmp_path / "a", {"ann.vcf": card("ann", "Ann Example")})
    phone = tmp_path / "phone"
    assert cli("partnership", "add", "p1", f"vdir:{a}", f"virtual:{phone}")[0] == 0
    assert cli("partnership", "add", "p2", f"vdir:{a}", f"vdir:{tmp_path / 'c'}")[0] == 0
    assert cli("sync", "p1", "p2")[0] == 0
    code, _out, err = cli("partnership", "reset", "p1", "--yes")
    assert code == 2
    assert "cannot be reset" in err and "p2" in err and "phone" in err
    code, runs = cli.json("sync", "p1", "--dry-run")
    assert code == 0 and runs[0]["matched"] == []


def test_reset_asks_first(
    cli: Cli, pair: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = cli("partnership", "reset", "p")
    assert code == 4
    assert "No contact is deleted" in out and "was not reset" in err
    assert len(cli.json("conflicts", "p")[1]) == 1  # nothing was forgotten
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, _err = cli("partnership", "reset", "p")
    assert code == 0 and "Reset p" in out

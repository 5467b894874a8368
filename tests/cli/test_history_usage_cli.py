"""`syncgui-cli history --usage`: how many versions the history keeps, the space they take
and the limits from settings.json, in one line or as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syncgui.cli.history import size_text
from tests.cli.conftest import Cli, card


def _overwritten_twice(cli: Cli, tmp_path: Path) -> None:
    """Partnership ``p`` of two folders; Xena edited twice in A: B kept 2 versions."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "x.vcf").write_text(card("x-1", "Xena Example"), newline="")
    assert cli("partnership", "add", "p", f"vdir:{a}", f"vdir:{b}")[0] == 0
    assert cli("sync", "p")[0] == 0
    for note in ("one", "twenty-two"):
        (a / "x.vcf").write_text(card("x-1", "Xena Example", f"NOTE:{note}"), newline="")
        assert cli("sync", "p")[0] == 0


def test_usage_says_what_is_kept_and_the_limits(cli: Cli, tmp_path: Path) -> None:
    _overwritten_twice(cli, tmp_path)
    code, out, _err = cli("history", "--usage")
    assert code == 0
    size = sum(f.stat().st_size for f in (tmp_path / "data").glob("history.sqlite*"))
    assert out == (
        f"2 versions kept, {size_text(size)}; kept 365 days, at most 20 versions per contact "
        "(settings.json: history_days, history_versions)\n"
    )


def test_usage_follows_the_settings_and_prints_json(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_text(
        json.dumps({"history_days": 1, "history_versions": 1})
    )
    _overwritten_twice(cli, tmp_path)
    code, out, _err = cli("history", "--usage")
    assert code == 0
    assert out.startswith("1 version kept, ")
    assert "; kept 1 day, at most 1 version per contact (settings.json:" in out
    code, usage = cli.json("history", "--usage")
    assert code == 0
    assert usage["versions"] == 1
    assert usage["bytes"] > 0
    assert usage["oldest"][:4].isdigit()
    assert (usage["history_days"], usage["history_versions"]) == (1, 1)


def test_usage_with_nothing_kept(cli: Cli) -> None:
    code, out, _err = cli("history", "--usage")
    assert code == 0
    assert out.startswith("0 versions kept, 0 bytes; kept 365 days")
    code, usage = cli.json("history", "--usage")
    assert usage == {
        "versions": 0,
        "bytes": 0,
        "oldest": None,
        "history_days": 365.0,
        "history_versions": 20,
    }


def test_usage_is_of_the_whole_history_not_one_partnership(cli: Cli) -> None:
    code, _out, err = cli("history", "p", "--usage")
    assert code == 2
    assert "every partnership; leave out 'p'" in err


def test_a_nonsense_limit_is_said(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_text('{"history_versions": 0}')
    code, _out, err = cli("history", "--usage")
    assert code == 2
    assert "history_versions must be a number of versions per contact, at least 1" in err


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "1.0 kB"),
        (2_345_678, "2.3 MB"),
        (999_960, "1.0 MB"),
        (5_000_000_000_000_000, "5000.0 TB"),
    ],
)
def test_sizes_read_as_the_desktop_app_shows_them(size: int, text: str) -> None:
    assert size_text(size) == text

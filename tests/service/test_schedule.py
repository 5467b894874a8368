"""Each partnership's auto-sync schedule survives a restart, has sensible defaults, and
goes away with the partnership (a new partnership of the same name starts afresh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncgui.engine.events import Direction, Policy
from syncgui.service import ConfigError
from syncgui.service.records import Schedule
from syncgui.service.schedule import ScheduleBook
from tests.service.support import card, desktop, write_cards


def _stores(tmp_path: Path) -> tuple[str, str]:
    a = write_cards(tmp_path / "a", {"ann.vcf": card("ann", "Ann")})
    return f"vdir:{a}", f"vdir:{tmp_path / 'b'}"


def test_a_schedule_set_in_the_wizard_is_there_after_a_restart(tmp_path: Path) -> None:
    a, b = _stores(tmp_path)
    hourly = Schedule(interval_minutes=60, on_connect=False, on_change=True)
    desktop(tmp_path).add_partnership("p", a, b, Direction.TWO_WAY, Policy.MERGE, hourly)
    again = desktop(tmp_path)
    assert again.schedule("p") == hourly
    again.set_schedule("p", Schedule(interval_minutes=0, on_connect=True, on_change=False))
    assert desktop(tmp_path).schedule("p") == Schedule(0, True, False)


def test_a_partnership_made_without_the_app_gets_the_default_schedule(tmp_path: Path) -> None:
    a, b = _stores(tmp_path)
    service = desktop(tmp_path)
    service.add_partnership("cli-made", a, b)
    assert service.schedule("cli-made") == Schedule()
    assert not service.paths.schedules_file.exists()


def test_removing_a_partnership_drops_its_schedule(tmp_path: Path) -> None:
    a, b = _stores(tmp_path)
    service = desktop(tmp_path)
    service.add_partnership("p", a, b, Direction.TWO_WAY, Policy.MERGE, Schedule(15, False, False))
    service.remove_partnership("p")
    assert "p" not in ScheduleBook(service.paths.schedules_file).load()
    service.add_partnership("p", a, b, Direction.TWO_WAY, Policy.MERGE, Schedule())
    assert service.schedule("p") == Schedule()


def test_a_schedule_for_an_unknown_partnership_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no partnership named"):
        desktop(tmp_path).set_schedule("nobody", Schedule())


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"schedules": []}',
        '{"schedules": {"p": {"interval_minutes": -5}}}',
        '{"schedules": {"p": {"on_change": "yes"}}}',
    ],
)
def test_a_damaged_schedules_file_is_named_in_the_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "schedules.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"schedules\.json"):
        ScheduleBook(path).get("p")

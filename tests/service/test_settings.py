"""User settings change the deletion guard and tombstone retention; bad ones are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syncgui.service import ConfigError, SyncService, resolve_paths
from syncgui.service.editing import open_metadata
from syncgui.service.settings import Settings, load_settings


def _card(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Person {uid}\r\nEND:VCARD\r\n"


def _service(tmp_path: Path, **settings: float) -> tuple[SyncService, Path, Path]:
    paths = resolve_paths(tmp_path / "config", tmp_path / "data")
    paths.config_dir.mkdir(parents=True)
    paths.settings_file.write_text(json.dumps(settings))
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    for i in range(10):
        (a / f"{i}.vcf").write_text(_card(str(i)))
    service = SyncService(paths)
    service.add_partnership("p", f"vdir:{a}", f"vdir:{b}")
    [first] = service.sync(["p"])
    assert first.status.value == "ok"
    return service, a, b


def test_defaults_when_there_is_no_file(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "missing.json") == Settings()


def test_a_higher_guard_minimum_lets_six_deletes_through(tmp_path: Path) -> None:
    service, a, b = _service(tmp_path, guard_minimum=20)
    for i in range(6):
        (a / f"{i}.vcf").unlink()
    [result] = service.sync(["p"])
    assert result.status.value == "ok"
    assert len(list(b.iterdir())) == 4


def test_the_default_guard_stops_six_of_ten(tmp_path: Path) -> None:
    service, a, b = _service(tmp_path)
    for i in range(6):
        (a / f"{i}.vcf").unlink()
    [result] = service.sync(["p"])
    assert result.status.value == "blocked"
    assert len(list(b.iterdir())) == 10


def test_tombstones_are_cleaned_up_after_the_set_age(tmp_path: Path) -> None:
    service, a, _b = _service(tmp_path, tombstone_days=0)
    (a / "0.vcf").unlink()
    service.sync(["p"])
    meta = open_metadata(service.paths, service.book.get("p").spec_a)
    try:
        assert all(not m.deleted for m in meta.iter_items())
        assert not meta.forgotten.is_scope_only or meta.forgotten.scope
    finally:
        meta.close()


@pytest.mark.parametrize("text", ['{"guard_ratio": 2}', '{"guard_minimum": "five"}', "[1]", "{"])
def test_bad_settings_are_refused_with_the_file_named(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"settings\.json"):
        load_settings(path)

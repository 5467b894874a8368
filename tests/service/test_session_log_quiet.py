"""The session log leaves out a "change" sync that did nothing (the follow-up the app's own
writes cause, issue 13); every other session is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncgui.engine.errors import ItemProblem
from syncgui.engine.events import (
    ConflictFound,
    ConflictKind,
    Outcome,
    SessionResult,
    Status,
)
from syncgui.service.sessions import SessionLog, nothing_done, record_session


def _log(path: Path) -> list[str]:
    log = SessionLog(path)
    try:
        return [r.trigger for r in log.records()]
    finally:
        log.close()


def test_a_change_sync_that_did_nothing_is_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite"
    quiet = SessionResult("Books")
    assert nothing_done(quiet)
    assert record_session(path, quiet, started=1.0, finished=2.0, trigger="change") is None
    assert _log(path) == []
    for trigger in ("manual", "schedule", "device"):  # asked for: shown even when quiet
        assert record_session(path, quiet, started=1.0, finished=2.0, trigger=trigger)
    assert _log(path) == ["device", "schedule", "manual"]


def _updated() -> SessionResult:
    result = SessionResult("Books")
    result.to_b.updated = 1
    return result


def _failed() -> SessionResult:
    result = SessionResult("Books", Status.FAILED)
    result.errors.append(ItemProblem("ann.vcf", "cannot be read"))
    return result


def _waiting() -> SessionResult:  # conflicts deferred earlier still wait: no news
    return SessionResult("Books", Status.CONFLICTS, conflicts=2)


@pytest.mark.parametrize(
    ("result", "settled", "kept"),
    [
        (_updated(), False, True),
        (_failed(), False, True),
        (SessionResult("Books", Status.BLOCKED), False, True),
        (SessionResult("Books", Status.CANCELLED), False, True),
        (SessionResult("Books"), True, True),
        (_waiting(), False, False),
    ],
    ids=["updated", "failed", "blocked", "cancelled", "settled-a-conflict", "old-conflicts"],
)
def test_a_change_sync_that_did_something_is_recorded(
    tmp_path: Path, result: SessionResult, settled: bool, kept: bool
) -> None:
    found = [
        ConflictFound("Books", "a->b", b"x" * 16, "Ann", ConflictKind.UPDATE_UPDATE, Outcome.MERGED)
    ]
    path = tmp_path / "sessions.sqlite"
    record_session(
        path, result, started=1.0, finished=2.0, trigger="change", found=found if settled else ()
    )
    assert _log(path) == (["change"] if kept else [])

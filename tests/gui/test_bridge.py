"""The GUI core's parts on their own: the bridge from the service's scheduler to Qt
signals (on the GUI thread, in order, nothing after stop), the window's copy of each run,
and the service's data as last read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from syncgui.engine import CancelToken
from syncgui.gui.bridge import SessionBridge
from syncgui.gui.catalog import Catalog
from syncgui.gui.reads import Config, Ran
from syncgui.gui.runs import RunBoard
from syncgui.gui.state import Activity, Progress
from syncgui.service import (
    Admission,
    Answer,
    Done,
    Job,
    Partnership,
    RunEnded,
    RunStarted,
    Schedule,
    Ticket,
    partnership_resources,
)
from tests.gui.fake_service import FakeDesktop

P = Partnership("phone", "vdir:/a", "virtual:/p")


@pytest.fixture
def bridge(qapp: Any) -> Iterator[tuple[FakeDesktop, SessionBridge]]:
    fake = FakeDesktop([P])
    b = SessionBridge(fake, progress_interval=0.0)
    yield fake, b
    b.stop()


def test_a_run_is_reported_as_signals_on_the_gui_thread_in_order(
    qtbot: QtBot, bridge: tuple[FakeDesktop, SessionBridge]
) -> None:
    fake, b = bridge
    fake.script("phone", items=3)
    seen: list[tuple[str, object, bool]] = []
    gui = QThread.currentThread()
    b.run_started.connect(lambda e: seen.append(("started", e, QThread.currentThread() is gui)))
    b.progress.connect(lambda *a: seen.append(("progress", a, QThread.currentThread() is gui)))
    b.run_ended.connect(lambda e: seen.append(("ended", e, QThread.currentThread() is gui)))
    answer = b.scheduler.request("phone", partnership_resources(P), "manual", None)
    assert answer.ticket is not None
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][0] == "ended", timeout=5000)
    assert all(on_gui for _kind, _what, on_gui in seen)
    kinds = [kind for kind, _what, _on_gui in seen]
    assert kinds[0] == "started" and "progress" in kinds
    started, ended = seen[0][1], seen[-1][1]
    assert isinstance(started, RunStarted) and started.run == answer.ticket.run
    assert isinstance(ended, RunEnded) and isinstance(ended.end, Done)
    assert isinstance(ended.end.result, Ran) and ended.end.result.trigger == "manual"
    assert b.pending() == 0


def test_nothing_is_reported_after_stop(
    qtbot: QtBot, bridge: tuple[FakeDesktop, SessionBridge]
) -> None:
    fake, b = bridge
    fake.gate = threading.Event()
    ended: list[object] = []
    b.run_ended.connect(ended.append)
    b.scheduler.request("phone", partnership_resources(P), "manual", None)
    qtbot.waitUntil(lambda: bool(fake.sync_threads), timeout=5000)
    b.stop()
    assert b.stopped
    qtbot.wait(100)
    assert ended == []


def _ticket(run: int = 1) -> Ticket:
    return Ticket("phone", run, CancelToken())


def test_the_run_board_follows_the_schedulers_answers_and_reports() -> None:
    board = RunBoard()
    ticket = _ticket()
    assert board.answered("phone", Answer(Admission.QUEUED, ticket))
    assert board.activity("phone") is Activity.QUEUED and board.is_busy("phone")
    assert not board.progressed("laptop", Progress("applying", 1, 2))  # no run: ignored
    assert not board.started(RunStarted("phone", 2, "manual"))  # another run: stale
    assert board.started(RunStarted("phone", 1, "manual"))
    assert board.activity("phone") is Activity.SYNCING
    assert board.progress("phone") == Progress("detecting")
    assert not board.answered("phone", Answer(Admission.FOLLOWUP))
    assert board.followups() == 1 and len(board) == 1
    follow = _ticket(2)
    job = Job(1, "session phone", partnership_resources(P))
    board.ended(RunEnded("phone", 1, "manual", Done(job, None), follow))
    assert board.activity("phone") is Activity.QUEUED and board.progress("phone") is None
    board.forget_unstarted("phone")  # cancelled before it started: gone
    assert len(board) == 0 and board.activity("phone") is Activity.IDLE


def test_the_catalog_says_what_changed_and_reports_a_file_error_once() -> None:
    data = Catalog()
    damaged = Config([P], {"phone": Schedule()}, None, "schedules.json is damaged")
    assert data.set_config(damaged, report=False) == []  # at start: reported by refresh
    assert data.set_config(damaged) == ["schedules.json is damaged"]
    assert data.set_config(damaged) == []
    assert data.find("phone") == P and data.find("nobody") is None
    assert data.resources("phone") == partnership_resources(P)
    assert data.resources(None) == partnership_resources(P)
    assert data.set_counts({"phone": 2, "laptop": 0}) and data.counts == {"phone": 2}
    assert not data.set_counts({"phone": 2})
    assert data.set_next_run("phone", 10.0) and not data.set_next_run("phone", 10.0)
    assert not data.set_sessions([])

"""AppController against FakeDesktop: what the views see while sessions queue, run, fail,
conflict, get cancelled or blocked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from syncgui.engine import Approval, ItemProblem, Status
from syncgui.gui.controller import AppController
from syncgui.gui.problems import ProblemList
from syncgui.gui.state import Activity, Overall, Problem
from syncgui.service import Partnership, Schedule
from tests.gui.fake_service import FakeDesktop, make_conflict


def settle(qtbot: QtBot, ctl: AppController) -> None:
    """Wait until every job ran and reported back."""
    qtbot.waitUntil(lambda: ctl.pending_work() == 0, timeout=5000)


def activity(ctl: AppController, name: str = "phone") -> Activity:
    row = ctl.row(name)
    assert row is not None
    return row.activity


@pytest.fixture
def two(qapp: Any) -> Iterator[tuple[FakeDesktop, AppController]]:
    """Two partnerships sharing the address book ``vdir:/a``: their sessions run one after
    the other (``apart`` has two that share nothing)."""
    fake = FakeDesktop(
        [Partnership("phone", "vdir:/a", "virtual:/p"), Partnership("laptop", "vdir:/a", "vcf:/c")]
    )
    fake.gate = threading.Event()
    ctl = AppController(fake)
    yield fake, ctl
    fake.gate.set()
    ctl.shutdown()


def test_rows_show_at_once_and_refresh_loads_history_and_counts(
    qtbot: QtBot, fake: FakeDesktop
) -> None:
    fake.add_conflict(make_conflict("c1", "phone"))
    fake.sync(["phone"])
    ctl = AppController(fake)
    try:
        assert [r.partnership.name for r in ctl.rows()] == ["phone"]  # before any job ran
        settle(qtbot, ctl)
        row = ctl.row("phone")
        assert row is not None and row.conflicts == 1
        assert row.last is not None and row.last.status == "ok"
        assert ctl.conflict_total() == 1
        assert ctl.overall() is Overall.CONFLICTS
        assert len(ctl.sessions()) == 1
    finally:
        ctl.shutdown()


def test_a_sync_runs_on_the_job_thread_and_updates_the_row(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    settle(qtbot, controller)
    progress: list[tuple[str, str, int, int]] = []
    controller.progress_changed.connect(lambda *a: progress.append(a))
    overall: list[str] = []
    controller.overall_changed.connect(overall.append)
    with qtbot.waitSignal(controller.sessions_changed, timeout=5000):
        assert controller.sync() == ["phone"]
        assert activity(controller) is Activity.QUEUED
    settle(qtbot, controller)
    assert fake.sync_threads and fake.sync_threads[0] is not threading.main_thread()
    assert ("phone", "applying", 3, 3) in progress
    row = controller.row("phone")
    assert row is not None and row.activity is Activity.IDLE and row.progress is None
    assert row.last is not None and row.last.to_b.created == 1
    assert overall == ["syncing", "idle"]
    assert fake.triggers == [("phone", "manual")]


def test_progress_shows_while_a_session_runs(
    qtbot: QtBot, two: tuple[FakeDesktop, AppController]
) -> None:
    fake, ctl = two
    fake.script("phone", items=5)
    ctl.sync(["phone"])
    qtbot.waitUntil(lambda: activity(ctl) is Activity.SYNCING, timeout=5000)
    assert ctl.overall() is Overall.SYNCING
    assert ctl.is_busy("phone")
    row = ctl.row("phone")
    assert row is not None and row.progress is not None and row.progress.stage == "detecting"
    with qtbot.waitSignal(ctl.sessions_changed, timeout=5000):
        fake.gate.set()
    assert activity(ctl) is Activity.IDLE and ctl.overall() is Overall.IDLE


def test_one_session_per_partnership(qtbot: QtBot, two: tuple[FakeDesktop, AppController]) -> None:
    fake, ctl = two
    assert ctl.sync(["phone"]) == ["phone"]
    qtbot.waitUntil(lambda: activity(ctl) is Activity.SYNCING, timeout=5000)
    assert ctl.sync(["laptop"]) == ["laptop"]
    assert activity(ctl, "laptop") is Activity.QUEUED
    assert ctl.sync(["laptop"], trigger="schedule") == []  # queued: dropped
    assert ctl.sync(["phone"], trigger="change") == []  # running: remembered once
    assert ctl.sync(["phone"], trigger="change") == []
    fake.gate.set()
    qtbot.waitUntil(lambda: len(fake.triggers) == 3 and ctl.pending_work() == 0)
    assert sorted(fake.triggers) == [("laptop", "manual"), ("phone", "change"), ("phone", "manual")]


def test_partnerships_that_share_no_store_sync_at_the_same_time(qtbot: QtBot, qapp: Any) -> None:
    """And other work goes on meanwhile: the window never waits for a long session."""
    fake = FakeDesktop(
        [Partnership("phone", "vdir:/a", "virtual:/p"), Partnership("laptop", "vdir:/b", "vcf:/c")]
    )
    fake.gate = threading.Event()
    ctl = AppController(fake)
    try:
        assert ctl.sync() == ["phone", "laptop"]
        qtbot.waitUntil(
            lambda: (
                activity(ctl) is Activity.SYNCING and activity(ctl, "laptop") is Activity.SYNCING
            ),
            timeout=5000,
        )
        fake.counts["vcf:/x.vcf"] = 7
        got: list[Any] = []
        ctl.call(lambda s: s.count_cards("vcf:/x.vcf"), got.append, got.append)
        qtbot.waitUntil(lambda: got == [7], timeout=5000)  # both sessions still wait
        assert ctl.is_busy("phone") and ctl.is_busy("laptop")
        fake.gate.set()
        settle(qtbot, ctl)
        assert sorted(fake.triggers) == [("laptop", "manual"), ("phone", "manual")]
        assert len(set(fake.sync_threads)) == 2
    finally:
        fake.gate.set()
        ctl.shutdown()


def test_cancel_a_queued_and_a_running_session(
    qtbot: QtBot, two: tuple[FakeDesktop, AppController]
) -> None:
    fake, ctl = two
    ctl.sync()
    qtbot.waitUntil(lambda: activity(ctl) is Activity.SYNCING, timeout=5000)
    ctl.cancel("laptop")
    assert activity(ctl, "laptop") is Activity.IDLE
    ctl.cancel("phone")
    assert activity(ctl) is Activity.CANCELLING
    settle(qtbot, ctl)
    assert activity(ctl) is Activity.IDLE
    assert [r.status for r in fake.ran] == ["cancelled"]
    assert fake.triggers == [("phone", "manual")]  # laptop never ran
    assert ctl.overall() is Overall.IDLE


def test_paused_blocks_automatic_triggers_but_not_manual(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    with qtbot.waitSignal(controller.paused_changed):
        controller.pause(3600)
    assert controller.is_paused()
    until = controller.paused_until()
    assert until is not None and until > 0
    for trigger in ("schedule", "device", "change"):
        assert controller.sync(trigger=trigger) == []  # type: ignore[arg-type]
    assert controller.sync(trigger="manual") == ["phone"]
    settle(qtbot, controller)
    controller.resume()
    assert not controller.is_paused() and controller.paused_until() is None
    assert controller.sync(trigger="schedule") == ["phone"]
    settle(qtbot, controller)
    assert fake.triggers == [("phone", "manual"), ("phone", "schedule")]


def test_pause_ends_by_itself(qtbot: QtBot, controller: AppController) -> None:
    controller.pause(0)
    with qtbot.waitSignal(controller.paused_changed, timeout=2000) as blocker:
        pass
    assert blocker.args == [False] and not controller.is_paused()


def test_resolve_then_sync_with_trigger_resolve(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_conflict(make_conflict("c1", "phone"))
    controller.refresh()
    settle(qtbot, controller)
    assert controller.overall() is Overall.CONFLICTS
    controller.pause(None)  # resolving is the user's choice: it runs while paused
    with qtbot.waitSignal(controller.conflicts_changed, timeout=5000):
        controller.resolve("c1", "phone", "merged", {"NOTE": "b"})
    settle(qtbot, controller)
    assert fake.called("resolve") == [("c1", "merged", {"NOTE": "b"})]
    assert fake.triggers == [("phone", "resolve")]
    assert controller.conflict_total() == 0 and controller.overall() is Overall.IDLE


def test_guard_blocked_is_announced_with_the_items(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.script("phone", blocked_store="Pixel 7", blocked_items=["Ada", "Alan"])
    with qtbot.waitSignal(controller.guard_blocked, timeout=5000) as blocker:
        controller.sync(["phone"])
    assert blocker.args == ["phone", "Pixel 7", ["Ada", "Alan"], "", 0]
    settle(qtbot, controller)
    controller.sync(["phone"], approved_deletes=Approval("store", 2))
    settle(qtbot, controller)
    last = fake.called("sync")[-1]
    assert (last, last.approved_deletes) == (
        (["phone"], "manual", False, False),
        Approval("store", 2),
    )
    assert fake.ran[-1].status == "ok"


def test_item_errors_make_one_notification_and_problems_and_the_error_state(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    settle(qtbot, controller)
    notes: list[tuple[str, str, str]] = []
    controller.notify.connect(lambda *a: notes.append(a))
    errors = [ItemProblem(f"Contact {i}", "The phone refused it") for i in range(3)]
    fake.script("phone", status=Status.OK, errors=errors)
    controller.sync()
    settle(qtbot, controller)
    assert [n[2] for n in notes] == ["error"]
    assert "3" in notes[0][1]
    assert [p.item for p in controller.problems()] == ["Contact 0", "Contact 1", "Contact 2"]
    assert controller.overall() is Overall.ERROR
    controller.sync()  # a clean run clears the error state, the problems stay listed
    settle(qtbot, controller)
    assert controller.overall() is Overall.IDLE
    assert len(controller.problems()) == 3
    controller.clear_problems()
    assert controller.problems() == []


def test_new_conflicts_notify_once(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    settle(qtbot, controller)
    notes: list[tuple[str, str, str]] = []
    controller.notify.connect(lambda *a: notes.append(a))
    fake.script("phone", conflicts=[make_conflict("c1"), make_conflict("c2", item="Ada")])
    controller.sync()
    settle(qtbot, controller)
    controller.sync()  # the same conflicts again: nothing new
    settle(qtbot, controller)
    assert [n[2] for n in notes] == ["conflict"]
    assert controller.conflict_total() == 2 and controller.overall() is Overall.CONFLICTS


def test_a_failing_job_is_a_problem_and_an_error(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    settle(qtbot, controller)
    fake.script("phone", raises=RuntimeError("helper crashed"))
    with qtbot.waitSignal(controller.notify, timeout=5000) as blocker:
        controller.sync()
    assert blocker.args[2] == "error"
    settle(qtbot, controller)
    assert controller.problems()[0].message == "RuntimeError: helper crashed"
    assert controller.overall() is Overall.ERROR
    assert activity(controller) is Activity.IDLE


def test_call_runs_work_on_the_job_thread(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.counts["vcf:/x.vcf"] = 7
    got: list[Any] = []
    controller.call(lambda s: s.count_cards("vcf:/x.vcf"), got.append, got.append)
    controller.call(lambda s: s.conflict_detail("nope"), got.append, got.append)
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    assert got[0] == 7 and "nope" in got[1]


def test_a_long_session_neither_floods_nor_stalls_the_gui(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    settle(qtbot, controller)
    fake.script("phone", items=10_000, item_delay=0.0001)
    updates: list[int] = []
    controller.progress_changed.connect(lambda _n, _s, done, _t: updates.append(done))
    lateness: list[float] = []
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        lateness.append(now - last[0] - 0.01)
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    started = time.monotonic()
    controller.sync()
    settle(qtbot, controller)
    timer.stop()
    took = time.monotonic() - started
    assert updates[-2] == 10_000  # the last item shows (then "finished")
    assert len(updates) <= took / 0.05 + 6  # about 20 a second, plus stage changes
    assert max(lateness) < 0.05, (max(lateness), len(updates), took)


# -- requests merged into a queued or running session -----------------------------------------
def test_the_guard_approval_is_merged_into_a_queued_run(
    qtbot: QtBot, two: tuple[FakeDesktop, AppController]
) -> None:
    """ "Delete them and sync" while the partnership waits in the queue: the queued run goes
    on with the deletions allowed, instead of the approval being dropped."""
    fake, ctl = two
    fake.synced_before("laptop")
    ctl.refresh()
    qtbot.waitUntil(lambda: ctl.has_synced("laptop"), timeout=5000)
    ctl.sync(["phone"])
    qtbot.waitUntil(lambda: activity(ctl) is Activity.SYNCING, timeout=5000)
    assert ctl.sync(["laptop"], trigger="schedule") == ["laptop"]
    ctl.sync(["laptop"], approved_deletes=Approval("store", 7))  # the user's: beats "schedule"
    ctl.pause(None)  # cancels queued automatic runs, not the user's merged into one
    assert activity(ctl, "laptop") is Activity.QUEUED
    fake.gate.set()
    settle(qtbot, ctl)
    last = fake.called("sync")[-1]
    assert (last, last.approved_deletes) == (
        (["laptop"], "manual", False, False),
        Approval("store", 7),
    )


def test_the_guard_approval_is_merged_into_the_follow_up_of_a_running_sync(
    qtbot: QtBot, two: tuple[FakeDesktop, AppController]
) -> None:
    fake, ctl = two
    ctl.sync(["phone"])
    qtbot.waitUntil(lambda: activity(ctl) is Activity.SYNCING, timeout=5000)
    ctl.sync(["phone"], trigger="change")  # remembered as the follow-up
    ctl.sync(["phone"], approved_deletes=Approval("store", 7))  # merged into it
    assert ctl.pending_work() == 2  # the running session and its follow-up
    fake.gate.set()
    settle(qtbot, ctl)
    calls = fake.called("sync")
    assert calls == [(["phone"], "manual", False, False)] * 2
    assert [c.approved_deletes for c in calls] == [None, Approval("store", 7)]
    assert ctl.pending_work() == 0


def test_a_merged_run_keeps_the_approval_of_the_latest_user_request(
    qtbot: QtBot, two: tuple[FakeDesktop, AppController]
) -> None:
    """Not the larger one: the user approved the list shown last. An automatic request
    carries no approval and leaves the user's as it is."""
    fake, ctl = two
    ctl.sync(["phone"])
    qtbot.waitUntil(lambda: activity(ctl) is Activity.SYNCING, timeout=5000)
    ctl.sync(["phone"], approved_deletes=Approval("store", 9))
    ctl.sync(["phone"], approved_deletes=Approval("store", 7))
    ctl.sync(["phone"], trigger="change", approved_deletes=Approval("store", 12))
    fake.gate.set()
    settle(qtbot, ctl)
    assert [(c[1], c.approved_deletes) for c in fake.called("sync")] == [
        ("manual", None),
        ("manual", Approval("store", 7)),
    ]


def test_pending_work_counts_queued_and_running_jobs(
    qtbot: QtBot, two: tuple[FakeDesktop, AppController]
) -> None:
    fake, ctl = two
    settle_now = ctl.pending_work()
    assert settle_now <= 1  # the start-up refresh, maybe still running
    ctl.sync()
    qtbot.waitUntil(lambda: activity(ctl) is Activity.SYNCING, timeout=5000)
    assert ctl.pending_work() == 2
    ctl.call(lambda s: s.count_cards("vcf:/x"), lambda _r: None, lambda _m: None)
    assert ctl.pending_work() == 3
    fake.gate.set()
    settle(qtbot, ctl)
    assert ctl.pending_work() == 0


# -- the mass-deletion guard on automatic runs ------------------------------------------------
def test_a_timed_run_stopped_by_the_guard_is_one_problem_not_a_dialog_per_run(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.synced_before("phone")
    controller.refresh()
    settle(qtbot, controller)
    dialogs: list[Any] = []
    controller.guard_blocked.connect(lambda *a: dialogs.append(a))
    notes: list[tuple[str, str, str]] = []
    controller.notify.connect(lambda *a: notes.append(a))
    for _ in range(3):
        fake.script("phone", blocked_store="Pixel 7", blocked_items=["Ada", "Alan"])
        controller.sync(["phone"], trigger="schedule")
        settle(qtbot, controller)
    assert dialogs == []
    [problem] = controller.problems()
    assert problem.message.startswith("Stopped before deleting 2 contacts from Pixel 7")
    assert "Sync now" in problem.message
    assert [n[2] for n in notes] == ["error"]
    assert controller.overall() is Overall.ERROR
    fake.script("phone", blocked_store="Pixel 7", blocked_items=["Ada", "Alan"])
    with qtbot.waitSignal(controller.guard_blocked, timeout=5000) as blocker:
        controller.sync(["phone"])  # Sync now: the user reviews them in the dialog
    assert blocker.args == ["phone", "Pixel 7", ["Ada", "Alan"], "", 0]


# -- repeated problems -----------------------------------------------------------------------
def test_the_same_problem_again_updates_its_row_and_does_not_notify_again(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    settle(qtbot, controller)
    notes: list[tuple[str, str, str]] = []
    controller.notify.connect(lambda *a: notes.append(a))
    for _ in range(3):
        fake.script("phone", errors=[ItemProblem("Ada", "The phone refused it")])
        controller.sync()
        settle(qtbot, controller)
    [first] = controller.problems()
    assert (first.item, first.message) == ("Ada", "The phone refused it")
    assert len(notes) == 1
    fake.script(
        "phone", errors=[ItemProblem("Ada", "The phone refused it"), ItemProblem("Bob", "x")]
    )
    controller.sync()
    settle(qtbot, controller)
    assert [p.item for p in controller.problems()] == ["Ada", "Bob"]
    assert controller.problems()[0].at >= first.at
    assert len(notes) == 2 and "Bob" in notes[-1][1]  # only the new one is told


def test_the_problem_list_is_capped() -> None:
    problems = ProblemList(limit=3)
    assert len(problems.add(Problem(i, "p", f"item {i}", "m") for i in range(5))) == 5
    assert [p.item for p in problems.items()] == ["item 0", "item 1", "item 2"]
    assert problems.add([Problem(9, "p", "item 2", "m")]) == []
    assert [p.item for p in problems.items()] == ["item 2", "item 0", "item 1"]


# -- conflicts and settings ----------------------------------------------------------------
def test_every_finished_session_tells_open_conflict_lists_to_reload(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    """The counts stay the same, but a conflict's data may have changed: reload."""
    fake.add_conflict(make_conflict("c1", "phone"))
    controller.refresh()
    settle(qtbot, controller)
    with qtbot.waitSignal(controller.conflicts_changed, timeout=5000):
        controller.sync()
    assert controller.conflict_total() == 1


def test_resolve_opens_only_its_partnership(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    fake.add_conflict(make_conflict("c1", "phone"))
    controller.resolve("c1", "phone", "a")
    settle(qtbot, controller)
    assert fake.resolve_partnerships == ["phone"]


def test_a_damaged_schedules_file_keeps_every_partnership(qtbot: QtBot, fake: FakeDesktop) -> None:
    fake.damaged_schedules = "schedules.json is damaged; fix or remove it"
    fake.add_conflict(make_conflict("c1", "phone"))
    ctl = AppController(fake)
    try:
        assert [r.partnership.name for r in ctl.rows()] == ["phone"]
        settle(qtbot, ctl)
        ctl.refresh()
        settle(qtbot, ctl)
        row = ctl.row("phone")
        assert row is not None and row.schedule == Schedule() and row.conflicts == 1
        assert [p.message for p in ctl.problems()] == [fake.damaged_schedules]  # once
        assert ctl.config_error() is None
    finally:
        ctl.shutdown()


def test_automatic_triggers_do_not_start_a_first_sync(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    settle(qtbot, controller)
    assert controller.sync(trigger="schedule") == []
    assert controller.sync() == ["phone"]
    settle(qtbot, controller)
    assert controller.sync(trigger="schedule") == ["phone"]
    settle(qtbot, controller)
    assert fake.triggers == [("phone", "manual"), ("phone", "schedule")]


def test_has_synced_comes_from_each_partnerships_last_record(
    qtbot: QtBot, fake: FakeDesktop
) -> None:
    """A partnership missing from the newest 200 records has still synced before."""
    fake.book["quiet"] = Partnership("quiet", "vdir:/q", "vcf:/q.vcf")
    fake.synced_before("quiet")
    fake.synced_before(*["phone"] * 250)
    ctl = AppController(fake)
    try:
        settle(qtbot, ctl)
        assert "quiet" not in {r.partnership for r in ctl.sessions()}
        assert ctl.has_synced("quiet")
    finally:
        ctl.shutdown()

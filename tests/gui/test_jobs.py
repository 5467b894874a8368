"""The Qt bridge over the service's job pool: work runs off the GUI thread, jobs that share
a resource in order, and results come back on the GUI thread. (The pool's and the
scheduler's rules are tested without Qt in tests/service/test_jobs.py and
test_scheduler.py.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from syncgui.engine import CancelToken, Progress
from syncgui.gui.jobs import JobRunner, ProgressRelay
from syncgui.service import JobError, Resource


@pytest.fixture
def runner(qapp: Any) -> Iterator[JobRunner]:
    r = JobRunner()
    yield r
    r.stop()


def test_work_runs_off_the_gui_thread_and_results_come_back_on_it(
    qtbot: QtBot, runner: JobRunner
) -> None:
    ran_on: list[threading.Thread] = []
    reported_on: list[threading.Thread] = []
    results: list[Any] = []

    def work() -> int:
        ran_on.append(threading.current_thread())
        return 42

    def done(result: Any) -> None:
        reported_on.append(threading.current_thread())
        results.append(result)

    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit(work, done, lambda m: None)
    assert results == [42]
    assert ran_on == runner.pool.threads()
    assert ran_on[0] is not threading.main_thread()
    assert reported_on == [threading.main_thread()]


def test_jobs_run_in_order_and_failures_are_reported(qtbot: QtBot, runner: JobRunner) -> None:
    order: list[str] = []
    failures: list[JobError] = []

    def boom() -> None:
        raise ValueError("the disk is on fire")

    with qtbot.waitSignal(runner.idle, timeout=5000):
        for tag in "abc":  # undeclared jobs share one lane: in order
            runner.submit(lambda t=tag: order.append(t), lambda r: None, failures.append)
        runner.submit(boom, lambda r: None, failures.append)
    assert order == ["a", "b", "c"]
    assert [f.message for f in failures] == ["ValueError: the disk is on fire"]
    assert failures[0].title == "Unexpected error" and "bug" in failures[0].action


def test_jobs_that_share_nothing_run_at_the_same_time(qtbot: QtBot, runner: JobRunner) -> None:
    """A long job on one store does not hold up a job on another."""
    release = threading.Event()
    got: list[tuple[str, object]] = []

    def short_done(result: object) -> None:  # GUI thread, while the long job still runs
        got.append(("short", result))
        release.set()

    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit(
            lambda: release.wait(5),
            lambda r: got.append(("long", r)),
            lambda e: None,
            resources={Resource("store", "a")},
        )
        runner.submit(lambda: 1, short_done, lambda e: None, resources={Resource("store", "b")})
    assert got == [("short", 1), ("long", True)]


def test_a_job_cancelled_before_it_starts_is_skipped(qtbot: QtBot, runner: JobRunner) -> None:
    gate = threading.Event()
    ran: list[str] = []
    skipped: list[str] = []
    token = CancelToken()
    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit(lambda: gate.wait(5), lambda r: None, lambda m: None)
        runner.submit(
            lambda: ran.append("second"),
            lambda r: None,
            lambda m: None,
            token=token,
            skipped=lambda: skipped.append("second"),
        )
        token.cancel()
        gate.set()
    assert ran == []
    assert skipped == ["second"]


def test_progress_relay_throttles_per_partnership(qtbot: QtBot) -> None:
    relay = ProgressRelay(interval=10.0)  # nothing passes on time alone
    seen: list[tuple[str, str, int, int]] = []
    relay.progress.connect(lambda *args: seen.append(args))
    relay(Progress("p", "detecting"))
    for done in range(1, 10_001):
        relay(Progress("p", "applying", "a->b", done, 10_000))
    relay(Progress("q", "applying", "a->b", 1, 5))
    # the first of each stage and the last item pass; the 9,998 in between do not
    assert seen == [
        ("p", "detecting", 0, 0),
        ("p", "applying", 1, 10_000),
        ("p", "applying", 10_000, 10_000),
        ("q", "applying", 1, 5),
    ]


def test_no_full_garbage_collection_while_a_job_runs(qtbot: QtBot, runner: JobRunner) -> None:
    """A full collection in the middle of a big session froze the GUI for 50-90 ms."""
    import gc

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit(gc.get_threshold, seen.append, lambda m: None)
    assert seen[0][2] >= 1_000_000
    assert gc.get_threshold() == before


def test_a_job_ending_after_its_runner_was_deleted_stops_the_thread_quietly(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At interpreter exit Qt may delete the runner while a job still runs: its report
    cannot be emitted; the thread ends instead of raising in the background."""
    import shiboken6

    raised: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    runner = JobRunner()
    relay = ProgressRelay(0.0)
    release = threading.Event()

    def work() -> int:
        release.wait(5)
        relay(Progress("p", "applying", "a->b", 1, 2))
        return 1

    runner.submit(work, lambda _r: None, lambda _m: None)
    runner.submit(lambda: 2, lambda _r: None, lambda _m: None)
    qtbot_wait_until_started(runner)
    threads = runner.pool.threads()
    shiboken6.delete(runner)
    shiboken6.delete(relay)
    release.set()
    for thread in threads:
        thread.join(5)
    assert not any(t.is_alive() for t in threads)
    assert raised == []


def qtbot_wait_until_started(runner: JobRunner) -> None:
    """The pool starts its threads as jobs come: wait until one has."""
    import time

    deadline = time.monotonic() + 5
    while not runner.pool.threads() and time.monotonic() < deadline:
        time.sleep(0.01)

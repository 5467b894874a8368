"""The service's job pool, without Qt: jobs that share no resource run at the same time,
jobs that share one run in submission order, a failure is a typed error that stops nothing
else, a job cancelled before it starts is skipped. Concurrency is proven with barriers and
events, never with sleeps."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from syncgui.engine.errors import StoreUnavailable, SyncError
from syncgui.engine.events import CancelToken
from syncgui.service.errors import AlreadySyncing
from syncgui.service.jobs import (
    Done,
    Failed,
    JobEnd,
    JobError,
    JobPool,
    Skipped,
    full_collections_deferred,
)
from syncgui.service.resources import Resource, overlap

WAIT = 5.0
A, B, C = Resource("store", "/a"), Resource("store", "/b"), Resource("store", "/c")


class Ends:
    """Collects job ends (from worker threads); ``wait`` blocks until ``n`` arrived."""

    def __init__(self) -> None:
        self.items: list[JobEnd[Any]] = []
        self._cond = threading.Condition()

    def __call__(self, end: JobEnd[Any]) -> None:
        with self._cond:
            self.items.append(end)
            self._cond.notify_all()

    def wait(self, n: int) -> list[JobEnd[Any]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.items) >= n, WAIT), self.items
            return list(self.items)

    def by_label(self) -> dict[str, JobEnd[Any]]:
        return {e.job.label: e for e in self.items}


@pytest.fixture
def pool() -> Iterator[JobPool]:
    p = JobPool(4)
    yield p
    p.stop()


def test_jobs_that_share_nothing_run_at_the_same_time(pool: JobPool) -> None:
    """Each job waits at a barrier for the others: only jobs running at once pass it."""
    barrier = threading.Barrier(3, timeout=WAIT)
    ends = Ends()
    for r in (A, B, C):
        pool.submit(barrier.wait, ends, resources={r}, label=r.key or "")
    assert all(isinstance(e, Done) for e in ends.wait(3))


def test_an_idle_worker_does_not_make_two_new_jobs_wait_for_each_other(pool: JobPool) -> None:
    """One thread idles after a first job; two jobs submitted together still both run
    at once (a second thread starts: the idle one can take only one of them)."""
    ends = Ends()
    pool.submit(lambda: None, ends)
    ends.wait(1)
    barrier = threading.Barrier(2, timeout=WAIT)
    pool.submit(barrier.wait, ends, resources={A})
    pool.submit(barrier.wait, ends, resources={B})
    assert all(isinstance(e, Done) for e in ends.wait(3))


def test_jobs_that_share_a_resource_run_one_at_a_time_in_submission_order(
    pool: JobPool,
) -> None:
    order: list[int] = []
    running = [0]
    overlapped: list[int] = []
    lock = threading.Lock()

    def job(n: int) -> Callable[[], None]:
        def work() -> None:
            with lock:
                running[0] += 1
                if running[0] > 1:
                    overlapped.append(n)
                order.append(n)
            with lock:
                running[0] -= 1

        return work

    ends = Ends()
    for n in range(12):
        pool.submit(job(n), ends, resources={A, Resource("store", f"/other{n}")})
    ends.wait(12)
    assert order == list(range(12))
    assert overlapped == []


def test_a_later_job_does_not_overtake_an_earlier_one_it_shares_a_resource_with(
    pool: JobPool,
) -> None:
    """first holds /a; second needs /a and /b; third needs /b only. Third would be free to
    start, but second came first and shares /b with it: third waits for second."""
    release = threading.Event()
    started: list[str] = []
    ends = Ends()

    def work(tag: str, wait: bool = False) -> Callable[[], None]:
        def run() -> None:
            started.append(tag)
            if wait:
                assert release.wait(WAIT)

        return run

    pool.submit(work("first", wait=True), ends, resources={A}, label="first")
    pool.submit(work("second"), ends, resources={A, B}, label="second")
    pool.submit(work("third"), ends, resources={B}, label="third")
    pool.submit(work("unrelated"), ends, resources={C}, label="unrelated")
    ends.wait(1)  # "unrelated" ended: a worker has looked past "third" already
    assert started[:1] == ["first"] and "third" not in started
    release.set()
    ends.wait(4)
    assert started.index("second") < started.index("third")


def test_a_key_of_none_stands_for_every_resource_of_its_kind() -> None:
    assert Resource("usb").overlaps(Resource("usb", "SER1"))
    assert not Resource("usb", "SER1").overlaps(Resource("usb", "SER2"))
    assert not Resource("usb").overlaps(Resource("device", "virtual:/p"))
    assert overlap({A, B}, {Resource("store")}) and not overlap({A}, {B, C})


def test_a_failing_job_is_a_typed_error_and_does_not_stop_the_others(pool: JobPool) -> None:
    def boom() -> None:
        raise StoreUnavailable("The phone is not connected.", item="Pixel 7")

    ends = Ends()
    pool.submit(boom, ends, resources={A}, label="boom")
    pool.submit(lambda: 1 / 0, ends, resources={A}, label="bug")
    pool.submit(lambda: "after", ends, resources={A}, label="after")
    ends.wait(3)
    got = ends.by_label()
    failed, bug, after = got["boom"], got["bug"], got["after"]
    assert isinstance(failed, Failed) and isinstance(bug, Failed)
    assert failed.error == JobError(
        "Store not available",
        "The phone is not connected.",
        "Connect the phone, bring the folder or file back, or check the connection to the "
        "server; then sync again.",
        "Pixel 7",
    )
    assert bug.error.title == "Unexpected error"
    assert bug.error.message == "ZeroDivisionError: division by zero"
    assert isinstance(after, Done) and after.result == "after"


@pytest.mark.parametrize(
    ("error", "title", "action"),
    [
        (AlreadySyncing("phone is being synced"), "Already syncing", "Wait for the other"),
        (SyncError("odd"), "Sync error", "Sync again"),
        (ValueError(), "Unexpected error", "This is a bug"),
    ],
)
def test_every_error_says_what_to_do(error: Exception, title: str, action: str) -> None:
    typed = JobError.from_exception(error)
    assert typed.title == title and typed.action.startswith(action)


def test_a_job_cancelled_before_it_starts_is_skipped_and_frees_its_place(pool: JobPool) -> None:
    release = threading.Event()
    ran: list[str] = []
    ends = Ends()
    token = CancelToken()
    pool.submit(lambda: release.wait(WAIT), ends, resources={A}, label="holder")
    pool.submit(lambda: ran.append("x"), ends, resources={A}, label="cancelled", token=token)
    token.cancel()
    pool.submit(lambda: ran.append("b"), ends, resources={B}, label="other")
    ends.wait(2)
    release.set()
    ends.wait(3)
    assert isinstance(ends.by_label()["cancelled"], Skipped) and ran == ["b"]


def test_stop_skips_what_waits_and_lets_the_threads_end() -> None:
    pool = JobPool(2)
    release, started = threading.Event(), threading.Event()
    ends = Ends()

    def running() -> bool:
        started.set()
        return release.wait(WAIT)

    pool.submit(running, ends, resources={A}, label="running")
    pool.submit(lambda: "never", ends, resources={A}, label="waiting")
    assert started.wait(WAIT)
    pool.stop(timeout=None)  # cancel everything, do not wait
    release.set()
    assert pool.stop()
    ends.wait(2)
    pool.submit(lambda: "late", ends, label="late")  # after stop: skipped at once
    got = ends.by_label()
    assert isinstance(got["running"], Done)  # its token was cancelled: its work decides
    assert isinstance(got["waiting"], Skipped) and isinstance(got["late"], Skipped)
    assert not any(t.is_alive() for t in pool.threads())


def test_no_full_collection_while_any_job_runs(pool: JobPool) -> None:
    """Two jobs overlap in time; the thresholds come back only when the last one ends."""
    before = gc.get_threshold()
    barrier = threading.Barrier(2, timeout=WAIT)
    first_done = threading.Event()
    seen: list[int] = []

    def first() -> None:
        barrier.wait()
        seen.append(gc.get_threshold()[2])

    def second() -> None:
        barrier.wait()
        assert first_done.wait(WAIT)
        seen.append(gc.get_threshold()[2])  # the first ended: still deferred

    ends = Ends()
    pool.submit(first, lambda e: (ends(e), first_done.set()), resources={A})
    pool.submit(second, ends, resources={B})
    assert all(isinstance(e, Done) for e in ends.wait(2))
    assert min(seen) >= 1_000_000
    assert gc.get_threshold() == before
    with full_collections_deferred():
        assert gc.get_threshold()[2] >= 1_000_000
    assert gc.get_threshold() == before


def test_a_job_calling_sys_exit_is_reported_and_the_worker_lives_on(pool: JobPool) -> None:
    def exits() -> None:
        raise SystemExit(3)  # a library that calls sys.exit() on a worker thread

    ends = Ends()
    pool.submit(exits, ends, resources={A}, label="exits")
    pool.submit(lambda: "after", ends, resources={A}, label="after")
    ends.wait(2)
    got = ends.by_label()
    assert isinstance(got["exits"], Failed) and "SystemExit" in got["exits"].error.message
    assert isinstance(got["after"], Done) and got["after"].result == "after"

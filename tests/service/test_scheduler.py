"""The session scheduler's rules, without Qt: one session per partnership at a time,
requests merged into a queued run or into one follow-up, the user's trigger beats an
automatic one, guard approvals kept, pause, the first sync being the user's, cancel per
run, and a failing session that stops no other. Sessions here are fakes that wait on an
event per partnership, so what runs when is decided by the test, never by sleeps."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from syncgui.engine.errors import StoreUnavailable
from syncgui.engine.events import Approval, CancelToken
from syncgui.service.jobs import Done, Failed, JobPool, Skipped
from syncgui.service.records import Trigger
from syncgui.service.resources import Resource
from syncgui.service.scheduler import (
    Admission,
    RunEnded,
    RunStarted,
    SchedulerEvent,
    SessionScheduler,
)

WAIT = 5.0
PHONE = frozenset({Resource("partnership", "phone"), Resource("store", "/book")})
LAPTOP = frozenset({Resource("partnership", "laptop"), Resource("store", "/laptop")})
# shares the address book with "phone": its sessions wait for phone's
TABLET = frozenset({Resource("partnership", "tablet"), Resource("store", "/book")})


class Sessions:
    """The session work: records each call, then waits until the test opens its gate (or
    the run is cancelled). ``fail[name]``: raise that instead."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Trigger, Approval | None]] = []
        self.gates: dict[str, threading.Event] = defaultdict(threading.Event)
        self.fail: dict[str, Exception] = {}
        self._lock = threading.Lock()

    def __call__(
        self, name: str, trigger: Trigger, approved: Approval | None, token: CancelToken
    ) -> str:
        with self._lock:
            self.calls.append((name, trigger, approved))
        if name in self.fail:
            raise self.fail[name]
        while not self.gates[name].wait(0.005):
            if token.cancelled:
                return "cancelled"
        return f"{name} synced"

    def open(self, *names: str) -> None:
        for name in names:
            self.gates[name].set()


class Events:
    """What the scheduler tells, from worker threads; ``wait_for`` blocks on a predicate."""

    def __init__(self) -> None:
        self.items: list[SchedulerEvent[str]] = []
        self._cond = threading.Condition()

    def __call__(self, event: SchedulerEvent[str]) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def wait_for(self, test: Callable[[list[SchedulerEvent[str]]], bool]) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: test(self.items), WAIT), self.items

    def started(self, name: str, count: int = 1) -> None:
        self.wait_for(lambda items: _count(items, RunStarted, name) >= count)

    def ended(self, name: str, count: int = 1) -> list[RunEnded[str]]:
        self.wait_for(lambda items: _count(items, RunEnded, name) >= count)
        return [e for e in self.items if isinstance(e, RunEnded) and e.name == name]


def _count(items: list[Any], kind: type, name: str) -> int:
    return sum(1 for e in items if isinstance(e, kind) and e.name == name)


@pytest.fixture
def pool() -> Iterator[JobPool]:
    p = JobPool(4)
    yield p
    p.stop()


@pytest.fixture
def sessions() -> Sessions:
    return Sessions()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def scheduler(pool: JobPool, sessions: Sessions, events: Events) -> Iterator[SessionScheduler[str]]:
    s = SessionScheduler(pool, sessions, events)
    s.note_synced(["phone", "laptop", "tablet"])
    yield s
    s.stop()
    sessions.open("phone", "laptop", "tablet")


def test_sessions_of_partnerships_that_share_no_store_run_at_the_same_time(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    assert scheduler.request("phone", PHONE).admission is Admission.QUEUED
    assert scheduler.request("laptop", LAPTOP).admission is Admission.QUEUED
    events.started("phone")
    events.started("laptop")  # while phone's session still waits on its gate
    sessions.open("laptop")
    [ended] = events.ended("laptop")
    assert isinstance(ended.end, Done) and ended.end.result == "laptop synced"
    assert not any(isinstance(e, RunEnded) and e.name == "phone" for e in events.items)
    sessions.open("phone")
    events.ended("phone")


def test_sessions_that_share_a_store_run_one_after_the_other(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    scheduler.request("phone", PHONE)
    scheduler.request("tablet", TABLET)
    scheduler.request("laptop", LAPTOP)
    events.started("phone")
    events.started("laptop")  # a worker took laptop, after tablet: tablet waits
    assert [c[0] for c in sessions.calls] == ["phone", "laptop"]
    sessions.open("phone", "tablet", "laptop")
    events.ended("tablet")
    assert [c[0] for c in sessions.calls] == ["phone", "laptop", "tablet"]


def test_one_session_per_partnership_requests_merge_into_the_queued_run(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    scheduler.request("phone", PHONE)
    events.started("phone")
    assert scheduler.request("tablet", TABLET, "schedule").admission is Admission.QUEUED
    assert scheduler.request("tablet", TABLET, "change").admission is Admission.MERGED
    assert scheduler.request("tablet", TABLET, "manual").admission is Admission.MERGED
    sessions.open("phone", "tablet")
    events.ended("tablet")
    assert [c for c in sessions.calls if c[0] == "tablet"] == [("tablet", "manual", None)]


def test_requests_while_a_session_runs_make_one_follow_up(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    first = scheduler.request("phone", PHONE).ticket
    events.started("phone")
    assert scheduler.request("phone", PHONE, "change").admission is Admission.FOLLOWUP
    assert scheduler.request("phone", PHONE, "schedule").admission is Admission.FOLLOWUP
    assert scheduler.request("phone", PHONE, "manual").admission is Admission.FOLLOWUP
    sessions.open("phone")
    ended = events.ended("phone", 2)
    assert first is not None and ended[0].run == first.run
    assert ended[0].followup is not None and ended[0].followup.run == ended[1].run
    assert ended[1].followup is None
    assert sessions.calls == [("phone", "manual", None), ("phone", "manual", None)]


def test_the_users_trigger_beats_an_automatic_one_in_the_follow_up(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    scheduler.request("phone", PHONE, "schedule")
    events.started("phone")
    scheduler.request("phone", PHONE, "change")
    scheduler.request("phone", PHONE, "resolve")
    scheduler.request("phone", PHONE, "device")
    sessions.open("phone")
    events.ended("phone", 2)
    assert [c[1] for c in sessions.calls] == ["schedule", "resolve"]


def test_guard_approvals_are_never_dropped(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    """Merged into a queued run and into the follow-up: the latest user approval wins;
    an automatic request carries none and leaves the user's as it is; pausing does not
    cancel a queued run the user's request was merged into."""
    scheduler.request("phone", PHONE)
    events.started("phone")
    scheduler.request("tablet", TABLET, "schedule")
    scheduler.request("tablet", TABLET, approved=Approval("book", 7))
    scheduler.request("tablet", TABLET, "change", Approval("book", 99))
    assert scheduler.pause() == []
    scheduler.request("phone", PHONE, approved=Approval("book", 9))
    scheduler.request("phone", PHONE, approved=Approval("book", 3))
    scheduler.request("phone", PHONE, "change", Approval("book", 12))  # paused: nothing
    sessions.open("phone", "tablet")
    events.ended("tablet")
    events.ended("phone", 2)
    assert ("tablet", "manual", Approval("book", 7)) in sessions.calls
    assert [c for c in sessions.calls if c[0] == "phone"] == [
        ("phone", "manual", None),
        ("phone", "manual", Approval("book", 3)),
    ]


def test_pause_starts_nothing_automatic_and_drops_what_waits(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    scheduler.request("phone", PHONE)
    events.started("phone")
    scheduler.request("tablet", TABLET, "schedule")  # waits behind phone
    scheduler.request("phone", PHONE, "change")  # an automatic follow-up
    assert scheduler.pause() == ["tablet"]
    assert scheduler.paused
    for trigger in ("schedule", "device", "change"):
        assert scheduler.request("laptop", LAPTOP, trigger).admission is Admission.PAUSED
    assert scheduler.request("laptop", LAPTOP, "manual").admission is Admission.QUEUED
    sessions.open("phone", "laptop", "tablet")
    [tablet] = events.ended("tablet")
    assert isinstance(tablet.end, Skipped)
    [phone] = events.ended("phone")  # its automatic follow-up is dropped while paused
    assert phone.followup is None
    events.ended("laptop")
    scheduler.resume()
    assert scheduler.request("tablet", TABLET, "schedule").admission is Admission.QUEUED
    events.ended("tablet", 2)
    assert sorted(c[:2] for c in sessions.calls) == [
        ("laptop", "manual"),
        ("phone", "manual"),
        ("tablet", "schedule"),
    ]


def test_the_first_sync_of_a_partnership_is_the_users(
    pool: JobPool, sessions: Sessions, events: Events
) -> None:
    scheduler = SessionScheduler(pool, sessions, events)
    try:
        for trigger in ("schedule", "device", "change"):
            answer = scheduler.request("phone", PHONE, trigger)
            assert answer.admission is Admission.FIRST_SYNC
        assert scheduler.request("phone", PHONE, "manual").admission is Admission.QUEUED
        events.started("phone")
        # while the first sync runs, an automatic request is its follow-up
        assert scheduler.request("phone", PHONE, "change").admission is Admission.FOLLOWUP
        sessions.open("phone")
        events.ended("phone", 2)
        assert scheduler.has_synced("phone")
        assert scheduler.request("phone", PHONE, "schedule").admission is Admission.QUEUED
        scheduler.note_synced(["laptop"])  # a recorded session, read at start-up
        assert scheduler.request("laptop", LAPTOP, "schedule").admission is Admission.QUEUED
        sessions.open("laptop")
        events.ended("laptop")
    finally:
        scheduler.stop()


def test_failed_runs_do_not_count_as_a_first_sync(
    pool: JobPool, sessions: Sessions, events: Events
) -> None:
    scheduler = SessionScheduler(pool, sessions, events)
    sessions.fail["phone"] = StoreUnavailable("The folder is gone.")
    scheduler.request("phone", PHONE)
    [ended] = events.ended("phone")
    assert isinstance(ended.end, Failed)
    assert not scheduler.has_synced("phone")
    scheduler.stop()


def test_a_first_sync_that_stopped_short_leaves_the_next_one_to_the_user(
    pool: JobPool, sessions: Sessions, events: Events
) -> None:
    """A first sync the user cancelled (or the guard stopped) is not their first sync:
    the automatic follow-up asked for meanwhile is dropped, and automatic triggers still
    wait for the user."""
    scheduler = SessionScheduler(pool, sessions, events, completed=lambda r: r != "cancelled")
    try:
        phone = scheduler.request("phone", PHONE, "manual").ticket
        assert phone is not None
        events.started("phone")
        assert scheduler.request("phone", PHONE, "change").admission is Admission.FOLLOWUP
        phone.token.cancel()
        [ended] = events.ended("phone")
        assert isinstance(ended.end, Done) and ended.end.result == "cancelled"
        assert ended.followup is None  # the automatic follow-up was dropped
        assert not scheduler.has_synced("phone")
        assert scheduler.request("phone", PHONE, "schedule").admission is Admission.FIRST_SYNC
    finally:
        scheduler.stop()


def test_cancel_works_per_run(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    phone = scheduler.request("phone", PHONE).ticket
    laptop = scheduler.request("laptop", LAPTOP).ticket
    tablet = scheduler.request("tablet", TABLET).ticket  # waits behind phone
    events.started("phone")
    events.started("laptop")
    assert phone is not None and laptop is not None and tablet is not None
    scheduler.request("phone", PHONE)  # a follow-up, dropped by the cancel
    assert scheduler.cancel("phone") == []  # started: it ends as its session decides
    assert scheduler.cancel("tablet") == ["tablet"]  # not started: skipped
    assert phone.token.cancelled and tablet.token.cancelled and not laptop.token.cancelled
    [phone_end] = events.ended("phone")
    assert isinstance(phone_end.end, Done) and phone_end.end.result == "cancelled"
    assert phone_end.followup is None
    [tablet_end] = events.ended("tablet")
    assert isinstance(tablet_end.end, Skipped)
    sessions.open("laptop")
    [laptop_end] = events.ended("laptop")
    assert isinstance(laptop_end.end, Done) and laptop_end.end.result == "laptop synced"
    assert [c[0] for c in sessions.calls] == ["phone", "laptop"]


def test_a_failing_session_is_a_typed_error_and_stops_no_other(
    scheduler: SessionScheduler[str], sessions: Sessions, events: Events
) -> None:
    sessions.fail["phone"] = StoreUnavailable("The phone is not connected.", item="Pixel 7")
    scheduler.request("laptop", LAPTOP)
    scheduler.request("phone", PHONE)
    [phone] = events.ended("phone")
    assert isinstance(phone.end, Failed)
    assert (phone.end.error.title, phone.end.error.item) == ("Store not available", "Pixel 7")
    assert phone.end.error.action.startswith("Connect the phone")
    del sessions.fail["phone"]
    scheduler.request("phone", PHONE)  # the partnership is free again
    sessions.open("phone", "laptop")
    assert isinstance(events.ended("phone", 2)[1].end, Done)
    assert isinstance(events.ended("laptop")[0].end, Done)


def test_nothing_is_queued_after_stop(pool: JobPool, sessions: Sessions, events: Events) -> None:
    scheduler = SessionScheduler(pool, sessions, events)
    scheduler.stop()
    assert scheduler.request("phone", PHONE).admission is Admission.STOPPED

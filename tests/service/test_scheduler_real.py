"""The scheduler with the real service and two virtual phones: while partnership A's
10,000-card first sync runs (a folder into virtual phone A), loading partnership B's
conflict details and browsing virtual phone B's folders (the wizard's place listing) each
return in well under a second, and more requests for A merge into one follow-up instead
of queueing twice.

The 1 s wall-time bound is the issue's own; the figures are logged (run with
``--log-cli-level=INFO`` to see them)."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from syncgui.engine.events import (
    Approval,
    CancelToken,
    Direction,
    Event,
    Policy,
    Progress,
    SessionResult,
)
from syncgui.service import SyncService
from syncgui.service.jobs import Done, JobEnd, JobPool
from syncgui.service.records import Schedule, Trigger
from syncgui.service.resources import device_resources, partnership_resources
from syncgui.service.scheduler import Admission, RunEnded, SchedulerEvent, SessionScheduler
from tests.service.support import card, desktop, write_cards

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import cards  # benchmarks/cards.py: realistic generated contacts

log = logging.getLogger(__name__)

CONTACTS = 10_000
BOUND_S = 1.0
ASK = (Direction.TWO_WAY, Policy.ASK, Schedule())


def _write(path: Path, text: str) -> None:
    path.write_text(text, newline="")
    st = path.stat()  # a later second, as another program's save would be
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def _partnership_b_with_a_conflict(service: SyncService, tmp_path: Path) -> str:
    book, phone = tmp_path / "book-b", tmp_path / "phone-b"
    write_cards(book, {"ann.vcf": card("ann", "Ann Example"), "bo.vcf": card("bo", "Bo")})
    service.add_partnership("B", f"vdir:{book}", f"virtual:{phone}", *ASK)
    service.sync(["B"])
    _write(book / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0101"))
    _write(phone / "Contacts" / "ann.vcf", card("ann", "Ann Example", "TEL:+1 555 0102"))
    service.sync(["B"])
    [conflict] = service.conflicts("B")
    return conflict.id


class Timed:
    """A job's end and the wall time from submitting it to its end."""

    def __init__(self) -> None:
        self.submitted = time.monotonic()
        self.took = -1.0
        self.end: JobEnd[Any] | None = None
        self.ended = threading.Event()

    def __call__(self, end: JobEnd[Any]) -> None:
        self.took = time.monotonic() - self.submitted
        self.end = end
        self.ended.set()


@pytest.mark.slow
def test_a_long_first_sync_holds_up_neither_another_partnership_nor_a_phone_browse(
    tmp_path: Path,
) -> None:
    service = desktop(tmp_path)
    book_a, phone_a = tmp_path / "book-a", tmp_path / "phone-a"
    cards.write_vdir(book_a, cards.generate(CONTACTS))
    (phone_a / "Contacts").mkdir(parents=True)
    service.add_partnership("A", f"vdir:{book_a}", f"virtual:{phone_a}", *ASK)
    conflict_id = _partnership_b_with_a_conflict(service, tmp_path)
    by_name = {p.name: p for p in service.partnerships()}
    [phone_b] = [
        d for d in service.list_devices().devices if d.location == str(tmp_path / "phone-b")
    ]

    applying = threading.Event()
    ended: list[RunEnded[list[SessionResult]]] = []
    all_ended = threading.Event()

    def progress(event: Event) -> None:
        if isinstance(event, Progress) and event.stage == "applying":
            applying.set()

    def session(
        name: str, trigger: Trigger, approved: Approval | None, token: CancelToken
    ) -> list[SessionResult]:
        return service.sync(
            [name], trigger=trigger, approved_deletes=approved, emit=progress, cancel=token
        )

    def on_event(event: SchedulerEvent[list[SessionResult]]) -> None:
        if isinstance(event, RunEnded):
            ended.append(event)
            if event.followup is None:
                all_ended.set()

    pool = JobPool(4)
    scheduler = SessionScheduler(pool, session, on_event)
    try:
        started = time.monotonic()
        assert scheduler.request("A", partnership_resources(by_name["A"])).admission is (
            Admission.QUEUED
        )
        assert applying.wait(120), "A's first sync never reached applying"

        detail, places = Timed(), Timed()
        pool.submit(
            lambda: service.conflict_detail(conflict_id, partnership="B"),
            detail,
            resources=partnership_resources(by_name["B"]),
            label="conflict detail of B",
        )
        places.submitted = time.monotonic()
        pool.submit(
            lambda: service.places(phone_b),
            places,
            resources=device_resources(phone_b),
            label="browse phone B",
        )
        assert detail.ended.wait(30) and places.ended.wait(30)
        a_running = not ended
        # while A syncs, two more requests for A make one follow-up, not two runs
        resources_a = partnership_resources(by_name["A"])
        second = scheduler.request("A", resources_a, "manual").admission
        third = scheduler.request("A", resources_a, "change").admission
        assert all_ended.wait(300), "A's sessions did not end"
        took = time.monotonic() - started
    finally:
        scheduler.stop()
        pool.stop(60)

    log.info(
        "while A's %d-card first sync ran (%.1f s with its follow-up): conflict detail of B "
        "in %.3f s, browsing phone B in %.3f s",
        CONTACTS,
        took,
        detail.took,
        places.took,
    )
    assert a_running, "A ended before the other jobs: the test proved nothing"
    assert isinstance(detail.end, Done) and detail.end.result.view.id == conflict_id
    assert isinstance(places.end, Done) and places.end.result[0].name
    assert detail.took < BOUND_S and places.took < BOUND_S
    assert (second, third) == (Admission.FOLLOWUP, Admission.FOLLOWUP)
    assert len(ended) == 2 and ended[0].followup is not None
    assert all(isinstance(e.end, Done) for e in ended)
    assert [r.trigger for r in service.sessions("A")] == ["manual", "manual"]
    first = ended[0].end
    assert isinstance(first, Done) and first.result[0].to_b.created == CONTACTS

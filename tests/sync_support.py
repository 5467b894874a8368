"""What the stateful sync tests share: the base of the state machines, how their steps are
drawn, their settings and the coverage a default run must reach, and a small network of
memory replicas for minimal reproductions.

The default run (CI) is derandomized: the same examples every time, so a failure replays by
running the test again, and the coverage each machine must reach (``must_reach``) is
checked at the end of its run. ``SYNCGUI_STATEFUL_SOAK=N`` (what ``scripts/soak`` sets) draws
fresh examples from pytest's ``--hypothesis-seed`` instead, N times as many per machine, and
only logs what each machine reached (``pytest -rP`` shows it).
"""

from __future__ import annotations

import inspect
import logging
import os
import unittest
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from syncgui.engine.events import (
    ConflictFound,
    Direction,
    Event,
    Policy,
    SessionSettings,
    Status,
)
from syncgui.engine.ids import gid_for_uid
from syncgui.engine.memory import MemoryReplica
from syncgui.engine.merge_bases import BaseStore
from syncgui.engine.session import SyncSession
from tests.sync_stores import FMT, FOLDERS, TRIANGLE, Stores, Topology, parse, render

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)  # what each machine reached, shown by pytest -rP (scripts/soak)

SOAK = int(os.environ.get("SYNCGUI_STATEFUL_SOAK") or 0)

# How a sync step runs a partnership: one session, two one-way sessions in the reverse of the
# usual order, or one session of the one-way partnership ("a>b" or "a<b") that a user adds
# beside the two-way one between the same stores (the ring of issue 11 has one).
MODES = ("two-way", "two-way", "a-to-b", "b-to-a", "b-then-a", "a>b", "a<b")
SESSIONS: dict[str, tuple[tuple[Direction, bool], ...]] = {  # (direction, apart) per session
    "two-way": ((Direction.TWO_WAY, False),),
    "a-to-b": ((Direction.A_TO_B, False),),
    "b-to-a": ((Direction.B_TO_A, False),),
    "b-then-a": ((Direction.B_TO_A, False), (Direction.A_TO_B, False)),
    "a>b": ((Direction.A_TO_B, True),),
    "a<b": ((Direction.B_TO_A, True),),
}
# what the coverage counts a session as, by (direction, apart)
SESSION_KINDS = {
    (Direction.TWO_WAY, False): "two-way session",
    (Direction.A_TO_B, False): "one-way session",
    (Direction.B_TO_A, False): "one-way session",
    (Direction.A_TO_B, True): "one-way partnership",
    (Direction.B_TO_A, True): "one-way partnership",
}
PICK = st.integers(min_value=0, max_value=1 << 16)
# after two stores change the same contact: sync their partnership now in this mode, or not
THEN = st.one_of(st.none(), st.sampled_from(MODES))
# The stores of the running machine's topology (st.runner() is the machine).
STORE = st.runner().flatmap(lambda m: st.sampled_from(m.stores.names))
PARTNERS = st.runner().flatmap(lambda m: st.sampled_from(m.stores.pairs))
FOLDER = st.runner().flatmap(lambda m: st.sampled_from([n for n in m.stores.names if n in FOLDERS]))


def statistic(what: str) -> None:
    """Hypothesis's ``event``, except when a shrunk example replays as a plain test."""
    if currently_in_test_context():
        event(what)


def machine_settings(examples: int, steps: int) -> settings:
    if SOAK:
        return settings(
            max_examples=examples * SOAK,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            print_blob=True,
            suppress_health_check=[HealthCheck.too_slow],
        )
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


class StoresMachine(RuleBasedStateMachine):
    """The machines' base: the stores of ``TOPOLOGY`` in a fresh temporary folder, contact
    UIDs, a coverage counter, and a teardown that runs the end-of-run check (when the run
    itself passed) and always removes the folder."""

    TOPOLOGY: ClassVar[Topology] = TRIANGLE
    # what the machine's runs reached, by name (reset by the test case: machine_test)
    reached: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.stores = Stores(self.TOPOLOGY)
        self.uids: dict[bytes, str] = {}
        self.made = 0
        # Set by every rule, cleared by the last line of the invariant: when a step fails,
        # teardown skips the end-of-run check instead of hiding the failure behind another.
        self.dirty = False

    @classmethod
    def must_reach(cls) -> dict[str, int]:
        """What a default run must reach (see :meth:`reach`), and how often at least."""
        return {}

    def reach(self, what: str) -> None:
        """Count ``what`` for the coverage check and the statistics."""
        type(self).reached[what] += 1
        statistic(what)

    def new_uid(self) -> tuple[str, int]:
        self.made += 1
        uid = f"uid-{self.made}"
        self.uids[gid_for_uid(uid)] = uid
        return uid, self.made

    def uid_of(self, gid: bytes) -> str:
        assert gid in self.uids, f"the engine reports an item {gid.hex()} no store created"
        return self.uids[gid]

    def sync(self, pair: tuple[str, str], mode: str, policy: Policy) -> None:
        """Run partnership ``pair`` in ``mode`` (see MODES) under ``policy``."""
        raise NotImplementedError

    def partners_agree(self) -> bool:
        """Both sides of every partnership know the same (so syncing it again can find no
        change and no conflict)."""
        for a, b in self.stores.pairs:
            ka, kb = self.stores.replicas[a].knowledge(), self.stores.replicas[b].knowledge()
            if not (ka.contains_knowledge(kb) and kb.contains_knowledge(ka)):
                return False
        return True

    def teardown(self) -> None:
        try:
            if not self.dirty:
                self.converge()
        finally:
            self.stores.close()

    def converge(self) -> None:
        """Sync until every store should hold the same cards, and check that they do."""
        raise NotImplementedError


def sync_rule(a: str, b: str, policies: st.SearchStrategy[Policy]) -> Callable[..., None]:
    """The rule that runs partnership ``a-b`` under a policy from ``policies`` (a user may
    change it between two syncs). One rule per partnership: rules with fewer arguments come
    first in Hypothesis's rule order, and one each makes syncs about as frequent as edits."""

    def sync(self: StoresMachine, mode: str, policy: Policy) -> None:
        self.sync((a, b), mode, policy)

    sync.__name__ = sync.__qualname__ = f"sync_{a}_{b}"
    made: Callable[..., None] = rule(mode=st.sampled_from(MODES), policy=policies)(sync)
    return made


def machine_test(
    machine: type[StoresMachine], *, examples: int, steps: int
) -> type[unittest.TestCase]:
    """The test case that runs ``machine`` and then, in the default run, checks that it
    reached everything its ``must_reach`` names."""
    rules = {name for name, _ in inspect.getmembers(machine) if name.startswith("sync_")}
    wanted = {f"sync_{a}_{b}" for a, b in machine.TOPOLOGY.pairs}
    assert rules == wanted, f"{machine.__name__} has sync rules {rules}, not {wanted}"

    class Test(unittest.TestCase):
        def runTest(self) -> None:
            machine.reached = Counter()
            run_state_machine_as_test(machine, settings=machine_settings(examples, steps))
            reached = machine.reached
            log.info("%s reached %s", machine.__name__, dict(sorted(reached.items())))
            if SOAK:
                return
            short = {
                what: f"{reached[what]} < {least}"
                for what, least in machine.must_reach().items()
                if reached[what] < least
            }
            assert not short, (
                f"{machine.__name__} did not reach {short}: give it more examples, or steer "
                "its rules there"
            )

        # as on Hypothesis's own TestCase: pytest shows its statistics
        runTest.is_hypothesis_test = True  # type: ignore[attr-defined]

    Test.__name__ = Test.__qualname__ = f"Test{machine.__name__}"
    return Test


# -- minimal reproductions --------------------------------------------------------------------


@dataclass
class MemoryNet:
    """Memory replicas with the vCard format and one merge base per partnership."""

    bases: dict[str, BaseStore] = field(default_factory=dict)

    @staticmethod
    def replicas(names: str) -> list[MemoryReplica]:
        return [MemoryReplica(name, FMT) for name in names]

    def sync(
        self,
        a: MemoryReplica,
        b: MemoryReplica,
        policy: Policy = Policy.A_WINS,
        direction: Direction = Direction.TWO_WAY,
    ) -> list[ConflictFound]:
        """Run partnership ``A-B``; the conflicts it reported."""
        name = f"{a.name}-{b.name}"
        s = SessionSettings(name, direction, policy, allow_mass_delete=True)
        events: list[Event] = []
        base = self.bases.setdefault("shared", BaseStore())  # one store, as the service has
        result = SyncSession(a, b, s, base, emit=events.append).run()
        assert result.status is Status.OK, f"{name}: {result.status.value} {result.errors}"
        return [e for e in events if isinstance(e, ConflictFound)]


X = gid_for_uid("x")


def x_card(**fields: str) -> bytes:
    """The contact ``x`` named Ada with these properties."""
    return render("x", tuple(sorted({"FN": "Ada", **fields}.items())))


def x_fields(replica: MemoryReplica) -> dict[str, str] | None:
    """The properties of ``x`` in ``replica`` (None: it holds no live ``x``)."""
    data = replica.data(X)
    return None if data is None else dict(parse(data)[1])

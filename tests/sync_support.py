"""What the stateful sync tests share: the base of both state machines, how a sync step is
drawn, the settings, and a small network of memory replicas for minimal reproductions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

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
from tests.sync_stores import FMT, Stores, parse, render

# The machines step around known engine bugs (each pinned by an xfail test): a contact that
# hits one is no longer modelled, a topology or mode that triggers one is not drawn.
# SYNCGUI_STATEFUL_STRICT=1 steps around nothing, e.g. to check a fix.
STRICT = bool(os.environ.get("SYNCGUI_STATEFUL_STRICT"))
# SYNCGUI_STATEFUL_EXAMPLES=2000 makes a longer soak run.
EXAMPLES = int(os.environ.get("SYNCGUI_STATEFUL_EXAMPLES", "0"))

# One session, or two one-way sessions in the reverse of the usual order.
MODES = ("two-way", "two-way", "a-to-b", "b-to-a", "b-then-a")
SESSIONS = {
    "two-way": (Direction.TWO_WAY,),
    "a-to-b": (Direction.A_TO_B,),
    "b-to-a": (Direction.B_TO_A,),
    "b-then-a": (Direction.B_TO_A, Direction.A_TO_B),
}
PICK = st.integers(min_value=0, max_value=1 << 16)


def machine_settings(examples: int, steps: int) -> settings:
    return settings(
        max_examples=EXAMPLES or examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


class StoresMachine(RuleBasedStateMachine):
    """Both machines' base: the three stores in a fresh temporary folder, contact UIDs, and
    a teardown that runs the end-of-run check (when the run itself passed) and always
    removes the folder."""

    PHONE = False  # True: the folder store is a folder on the virtual phone

    def __init__(self) -> None:
        super().__init__()
        self.stores = Stores(phone=self.PHONE)
        self.uids: dict[bytes, str] = {}
        self.made = 0
        # Set by every rule, cleared by the last line of the invariant: when a step fails,
        # teardown skips the end-of-run check instead of hiding the failure behind another.
        self.dirty = False

    def new_uid(self) -> tuple[str, int]:
        self.made += 1
        uid = f"uid-{self.made}"
        self.uids[gid_for_uid(uid)] = uid
        return uid, self.made

    def uid_of(self, gid: bytes) -> str:
        assert gid in self.uids, f"the engine reports an item {gid.hex()} no store created"
        return self.uids[gid]

    def teardown(self) -> None:
        try:
            if not self.dirty:
                self.converge()
        finally:
            self.stores.close()

    def converge(self) -> None:
        """Sync until every store should hold the same cards, and check that they do."""
        raise NotImplementedError


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

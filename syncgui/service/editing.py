"""Changing a partnership after it was made: its name, direction and conflict policy, and a
reset that forgets what was synced so that the next sync matches contacts again. No store
is touched by either; both run under the partnership's lock (refused while it syncs).

Also the two small things every partnership-wide operation of the service needs: the
partnership's lock and a store's metadata database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from syncgui.engine.events import Direction, Policy
from syncgui.engine.ids import new_replica_id
from syncgui.engine.knowledge import Knowledge
from syncgui.engine.metadata import MetadataStore
from syncgui.service.config import Partnership, PartnershipBook, check_name, rename_in_database
from syncgui.service.errors import ConfigError
from syncgui.service.locks import locks
from syncgui.service.paths import Paths
from syncgui.service.schedule import ScheduleBook
from syncgui.service.stores import StoreSpec

__all__ = ["edit_partnership", "open_metadata", "partnership_locked", "reset_partnership"]

log = logging.getLogger(__name__)


@contextmanager
def partnership_locked(paths: Paths, p: Partnership) -> Iterator[None]:
    """Hold ``p``'s lock and both its stores' (AlreadySyncing when another holds one)."""
    paths.ensure()
    with locks(
        [
            (paths.lock_file("partnership:" + p.name), f"partnership {p.name!r}"),
            (paths.lock_file(p.a), p.a),
            (paths.lock_file(p.b), p.b),
        ]
    ):
        yield


def open_metadata(paths: Paths, spec: StoreSpec) -> MetadataStore:
    """The store's metadata database (one per store, shared by its partnerships)."""
    paths.ensure()
    return MetadataStore(paths.replica_db(str(spec)), str(spec))


def edit_partnership(
    paths: Paths,
    book: PartnershipBook,
    schedules: ScheduleBook,
    name: str,
    *,
    new_name: str | None = None,
    direction: Direction | None = None,
    policy: Policy | None = None,
) -> Partnership:
    """Change the name, direction or conflict policy of ``name`` (None: keep it). A new
    name carries everything kept under the old one: the schedule, the conflicts waiting in
    both stores, the sessions in the activity log and the history. Returns the partnership
    as it is now."""
    target = name if new_name is None else check_name(new_name)
    with partnership_locked(paths, book.get(name)):  # an unknown name is an error
        p = book.get(name)  # as it is now, under the lock
        items = book.load()
        if target != name and any(q.name == target for q in items):
            raise ConfigError(f"a partnership named {target!r} exists already")
        changed = replace(
            p,
            name=target,
            direction=p.direction if direction is None else direction,
            policy=p.policy if policy is None else policy,
        )
        if changed == p:
            return p
        if target != name:
            _move_records(paths, schedules, p, target)
        try:
            book.save([changed if q.name == name else q for q in items])
        except BaseException:
            if target != name:
                _move_records(paths, schedules, changed, name)
            raise
    log.info(
        "partnership %s changed: %s, %s, %s",
        name,
        f"now named {target}" if target != name else "same name",
        changed.direction.value,
        changed.policy.value,
    )
    return changed


def _move_records(paths: Paths, schedules: ScheduleBook, p: Partnership, new: str) -> None:
    """Everything kept under ``p``'s name moves to ``new``: the conflicts in both stores'
    metadata, the session log, the history and the schedule. A failure part way moves back
    what had moved."""
    databases = [
        paths.replica_db(str(p.spec_a)),
        paths.replica_db(str(p.spec_b)),
        paths.sessions_db,
        paths.history_db,
    ]
    done: list[Path] = []
    try:
        for path in databases:
            rename_in_database(path, p.name, new)
            done.append(path)
        schedules.rename(p.name, new)
    except BaseException:
        for path in reversed(done):
            rename_in_database(path, new, p.name)
        raise


def reset_partnership(paths: Paths, book: PartnershipBook, name: str) -> None:
    """Forget what was synced between the stores of ``name``, so that its next sync
    compares them as a first sync does: contacts on both sides are matched again and
    combined (by UID, content or person, as the partnership's match level says), the others
    copied; no contact is deleted anywhere by the reset, and no store is touched.

    A store is one replica whatever the partnerships it is in, so what is forgotten is the
    sync state of a store (its replica id, knowledge and item table), and only of a store no
    other partnership uses and that keeps its state on this computer: a store another
    partnership shares keeps its state, or that partnership would start over too; a phone
    keeps its state on the phone, where every computer it syncs with relies on it. The
    partnership's conflicts waiting in any of its stores are dropped (the next sync finds
    what still differs). When neither store may be reset, a ConfigError says why and
    nothing changes."""
    p = book.get(name)
    others = [q for q in book.load() if q.name != name]
    with partnership_locked(paths, p):
        forget, keep = [], []
        for spec in (p.spec_a, p.spec_b):
            users = [q.name for q in others if spec in (q.spec_a, q.spec_b)]
            if users:
                keep.append(f"{spec} is also in {', '.join(sorted(users))}")
            elif spec.scheme in ("mtp", "virtual"):
                keep.append(f"{spec} is a phone, which keeps its sync state itself")
            else:
                forget.append(spec)
        if not forget:
            raise ConfigError(
                f"{name} cannot be reset: " + "; ".join(keep) + ". Nothing was changed"
            )
        for spec in (p.spec_a, p.spec_b):
            meta = open_metadata(paths, spec)
            try:
                with meta.transaction():
                    if spec in forget:
                        meta.replace_all(
                            new_replica_id(), 0, Knowledge.empty(), Knowledge.empty(), ()
                        )
                    else:
                        for c in meta.conflicts(name):
                            meta.drop_conflict(c.id)
            finally:
                meta.close()
    log.info(
        "partnership %s reset: sync state of %s forgotten%s",
        name,
        ", ".join(str(s) for s in forget),
        "".join(f"; kept: {k}" for k in keep),
    )

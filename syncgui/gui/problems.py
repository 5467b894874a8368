"""The problems list and what a finished session means for it: the one place errors are
kept (the window's problems view reads it), which partnerships are in error, and what to
tell the user.

The same problem (partnership, item, message) seen again moves to the top with its new
time instead of adding a row, so a phone that refuses the same contact on every timed sync
makes one row, not hundreds, and notifies once; the list keeps the newest :data:`LIMIT`.
A session the mass-deletion guard stopped asks the user in a dialog only when the user
started it; an automatic one becomes one problem and one notification (the same block
again adds neither)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication

from syncgui.engine import SessionResult, Status
from syncgui.gui import wording
from syncgui.gui.state import Problem
from syncgui.service import USER_TRIGGERS, JobError, Trigger

__all__ = ["LIMIT", "Outcome", "ProblemBook", "ProblemList"]

log = logging.getLogger(__name__)

#: problems kept; older ones are dropped
LIMIT = 500

_Key = tuple[str, str, str]
Note = tuple[str, str, str]  # (title, message, kind) for the tray


def _key(p: Problem) -> _Key:
    return (p.partnership, p.item, p.message)


# The notes are the controller's words: context "AppController", spelled out for lupdate.
translate = QCoreApplication.translate


def _about(what: str, text: str) -> str:
    return translate("AppController", "%1: %2").replace("%1", what).replace("%2", text)


class ProblemList:
    """Problems newest first, one row per (partnership, item, message)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._items: list[Problem] = []

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[Problem]:
        return list(self._items)

    def clear(self) -> None:
        self._items.clear()

    def add(self, problems: Iterable[Problem]) -> list[Problem]:
        """Put ``problems`` on top (in their order); returns those not listed before."""
        incoming: dict[_Key, Problem] = {}
        for p in problems:
            incoming.setdefault(_key(p), p)
        if not incoming:
            return []
        known = {_key(p) for p in self._items}
        new = [p for k, p in incoming.items() if k not in known]
        kept = [p for p in self._items if _key(p) not in incoming]
        self._items = (list(incoming.values()) + kept)[: self.limit]
        return new


@dataclass(slots=True)
class Outcome:
    """What the controller announces after a session."""

    notes: list[Note] = field(default_factory=list)
    guard: tuple[str, str, list[str], str, int] | None = None  # guard_blocked's arguments


class ProblemBook:
    """The problems, the partnerships in error, and the blocks already told about."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.list = ProblemList(limit)
        self.erred: set[str] = set()
        self._blocked: dict[str, tuple[str, tuple[str, ...]]] = {}  # automatic runs' blocks

    def clear(self) -> None:
        self.list.clear()
        self.erred.clear()

    def failed(self, name: str, error: JobError, at: float) -> list[Note]:
        """A session job that failed (the helper raised): listed under the partnership
        (or the item the error names), told once."""
        self.erred.add(name)
        if not self.list.add([Problem.of(at, name, error.item or name, error)]):
            return []
        text = _about(name, error.message)
        return [(translate("AppController", "Sync failed"), text, "error")]

    def result(
        self, result: SessionResult, trigger: Trigger, new_conflicts: int, at: float
    ) -> Outcome:
        name = result.partnership
        out = Outcome()
        problems = [Problem(at, name, e.item, e.message) for e in result.errors]
        if result.status is Status.FAILED and not problems:
            problems.append(Problem(at, name, name, translate("AppController", "The sync failed.")))
        if problems:
            self.erred.add(name)
            new = self.list.add(problems)
            if new:  # the same problems again: already listed, already told
                out.notes.append(
                    (translate("AppController", "Sync problems"), self._text(name, new), "error")
                )
        elif result.status in (Status.OK, Status.CONFLICTS):
            self.erred.discard(name)
        if result.status is not Status.BLOCKED:
            self._blocked.pop(name, None)
        elif trigger in USER_TRIGGERS:
            out.guard = (
                name,
                result.blocked_store or "",
                list(result.blocked_items),
                result.emptied_store or "",
                result.emptied_held,
            )
        else:
            out.notes += self._guard_stopped(result, at)
        if new_conflicts > 0 and not problems and result.status is not Status.BLOCKED:
            text = wording.plural(
                new_conflicts,
                translate("AppController", "1 new conflict in %1 to resolve."),
                translate("AppController", "{n} new conflicts in %1 to resolve."),
            )
            out.notes.append(
                (translate("AppController", "Conflicts"), text.replace("%1", name), "conflict")
            )
        return out

    def _guard_stopped(self, result: SessionResult, at: float) -> list[Note]:
        """An automatic session stopped by the mass-deletion guard: one problem and one
        notification (not a dialog per timed run); Sync now lets the user review it."""
        name, store = result.partnership, result.blocked_store or ""
        items = tuple(result.blocked_items)
        text = wording.plural(
            len(items),
            translate(
                "AppController",
                "Stopped before deleting 1 contact from %1: press Sync now to review it",
            ),
            translate(
                "AppController",
                "Stopped before deleting {n} contacts from %1: press Sync now to review them",
            ),
        ).replace("%1", store)
        log.info("%s: an automatic sync was stopped by the deletion guard (%s)", name, store)
        self.erred.add(name)
        self.list.add([Problem(at, name, store, text)])
        if self._blocked.get(name) == (store, items):  # the same block again: told already
            return []
        self._blocked[name] = (store, items)
        return [(translate("AppController", "Sync stopped"), _about(name, text), "error")]

    @staticmethod
    def _text(name: str, problems: list[Problem]) -> str:
        if len(problems) == 1:
            p = problems[0]
            return _about(p.item or name, p.message)
        text = wording.plural(
            len(problems),
            translate("AppController", "1 item could not be synced in %1."),
            translate("AppController", "{n} items could not be synced in %1."),
        )
        return text.replace("%1", name)

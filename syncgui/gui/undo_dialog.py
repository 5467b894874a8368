"""Undo a whole sync, from the Activity list: what the undo will do, contact by contact,
shown before anything is written (the service's dry run of the undo), the contacts changed
since that sync left alone unless ticked, and those that cannot be undone with why. "Undo
this sync" then takes every change back in both stores and the partnership syncs."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui import wording
from syncgui.gui.controller import AppController
from syncgui.gui.widgets import heading, while_alive, wrapping_label
from syncgui.service import SessionRecord, SyncPort, UndoAction, UndoOutcome, UndoStep

GID_ROLE = Qt.ItemDataRole.UserRole


def _plan(service: SyncPort, *, session_id: int) -> UndoOutcome:
    """(job thread) the dry run: what the undo would do, nothing written"""
    return service.undo(session_id, dry_run=True)


def _undo(service: SyncPort, *, session_id: int, include: frozenset[bytes]) -> UndoOutcome:
    """(job thread)"""
    return service.undo(session_id, include=include)


class UndoDialog(QDialog):
    """Undo session ``record``: opens with the plan loading; Undo is enabled once it shows
    something to do (or a ticked contact changed since)."""

    def __init__(
        self, controller: AppController, record: SessionRecord, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.record = record
        self.outcome: UndoOutcome | None = None
        self.setObjectName("undoDialog")
        self.setWindowTitle(self.tr("Undo a sync"))
        a, b = self._names()
        title = self.tr("Undo the sync of “%1” at %2?")
        self.title = heading(
            title.replace("%1", record.partnership).replace(
                "%2", wording.local_time(record.finished)
            ),
            self,
        )
        self.explanation = wrapping_label(
            self.tr(
                "Every change this sync made is taken back, in both %1 and %2: contacts it "
                "changed or deleted come back as they were before it, contacts it added are "
                "removed. Then “%3” syncs, so that its other stores follow. What the undo "
                "replaces is kept in the history and can be restored."
            )
            .replace("%1", a)
            .replace("%2", b)
            .replace("%3", record.partnership),
            self,
        )
        self.status = wrapping_label(self.tr("Looking at what this sync changed…"), self)
        self.status.setObjectName("undoStatus")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("undoSteps")
        self.tree.setHeaderLabels([self.tr("Contact"), self.tr("In"), self.tr("What happens")])
        self.tree.setRootIsDecorated(False)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.itemChanged.connect(self._on_ticked)
        buttons = QDialogButtonBox(self)
        self.undo_button = QPushButton(self.tr("&Undo this sync"), self)
        self.undo_button.setObjectName("undoConfirm")
        self.undo_button.setEnabled(False)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.undo_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.undo_button.clicked.connect(self._on_undo)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.explanation)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        char, line = self.fontMetrics().averageCharWidth(), self.fontMetrics().height()
        self.resize(char * 100, line * 26)
        self.tree.header().resizeSection(0, char * 24)
        self.tree.header().resizeSection(1, char * 16)
        self.cancel_button.setFocus()
        controller.call(
            partial(_plan, session_id=record.id),
            while_alive(self, self.show_plan),
            while_alive(self, self._on_failed),
            resources=controller.resources(record.partnership),
        )

    def _names(self) -> tuple[str, str]:
        row = self.controller.row(self.record.partnership)
        if row is None:
            return self.tr("the first store"), self.tr("the second store")
        p = row.partnership
        return self.controller.store_name(p.a), self.controller.store_name(p.b)

    # -- the plan --------------------------------------------------------------------------
    def show_plan(self, outcome: UndoOutcome) -> None:
        self.outcome = outcome
        plan = outcome.plan
        self.tree.blockSignals(True)
        self.tree.clear()
        done, changed, blocked = outcome.done, plan.changed_since, plan.blocked
        self._group(
            wording.plural(
                len(done),
                self.tr("Will be undone ({n} change)"),
                self.tr("Will be undone ({n} changes)"),
            ),
            [(s, self._what(s)) for s in done],
        )
        self._group(
            wording.plural(
                len(changed),
                self.tr("Changed since this sync ({n}): left as it is unless you tick it"),
                self.tr("Changed since this sync ({n}): left as they are unless you tick them"),
            ),
            [(s, self._what(s)) for s in changed],
            checkable=True,
        )
        self._group(
            wording.plural(
                len(blocked),
                self.tr("Cannot be undone ({n})"),
                self.tr("Cannot be undone ({n})"),
            ),
            [(s, s.blocked) for s in blocked],
        )
        self.tree.blockSignals(False)
        for problem in outcome.written.problems:
            self._add(self.tr("Problem"), problem.item, problem.message)
        if not plan.steps:
            self.status.setText(self.tr("This sync changed nothing that can be undone."))
        else:
            self.status.setText(
                self.tr("Nothing has been changed yet.")
                if done or changed
                else self.tr("None of its changes can be undone now.")
            )
        self._on_ticked()
        if self.undo_button.isEnabled():
            self.undo_button.setDefault(True)
            self.undo_button.setFocus()

    def _group(
        self, title: str, rows: list[tuple[UndoStep, str]], *, checkable: bool = False
    ) -> None:
        if not rows:
            return
        head = QTreeWidgetItem([title])
        head.setFirstColumnSpanned(True)
        font = head.font(0)
        font.setBold(True)
        head.setFont(0, font)
        head.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.addTopLevelItem(head)
        head.setFirstColumnSpanned(True)
        for step, what in rows:
            item = self._add(step.label, self.controller.store_name(step.store), what)
            item.setData(0, GID_ROLE, step.gid)
            if checkable:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Unchecked)

    def _add(self, name: str, where: str, what: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name, where, what])
        for column in range(3):
            item.setToolTip(column, item.text(column))
        self.tree.addTopLevelItem(item)
        return item

    def _what(self, step: UndoStep) -> str:
        if step.action is UndoAction.REMOVE:
            return self.tr("Removed (this sync added it)")
        if step.did == "deleted":
            return self.tr("Put back (this sync deleted it)")
        return self.tr("Put back as it was (this sync changed it)")

    def ticked(self) -> frozenset[bytes]:
        """The contacts changed since that the user ticked to undo too."""
        found = set()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.checkState(0) == Qt.CheckState.Checked:
                found.add(bytes(item.data(0, GID_ROLE)))
        return frozenset(found)

    def _on_ticked(self, *_args: object) -> None:
        ready = self.outcome is not None and bool(self.outcome.done or self.ticked())
        self.undo_button.setEnabled(ready)

    def _on_failed(self, message: str) -> None:
        """Reading the plan or undoing failed (a store gone, a session recorded before
        undo existed): nothing was written, or what was is said in the message."""
        text = self.tr("Not undone: %1") if self.outcome else self.tr("Cannot undo this sync: %1")
        self.status.setText(text.replace("%1", message))
        self.tree.setEnabled(True)
        self.undo_button.setEnabled(False)

    # -- the undo --------------------------------------------------------------------------
    def _on_undo(self) -> None:
        self.undo_button.setEnabled(False)
        self.tree.setEnabled(False)
        self.status.setText(self.tr("Undoing…"))
        self.controller.call(
            partial(_undo, session_id=self.record.id, include=self.ticked()),
            while_alive(self, self._on_undone),
            while_alive(self, self._on_failed),
            resources=self.controller.resources(self.record.partnership),
        )

    def _on_undone(self, outcome: UndoOutcome) -> None:
        self.outcome = outcome
        self.controller.refresh()  # the undo's session, conflicts it may have left
        problems = [p.text for p in outcome.written.problems]
        if problems:
            self.status.setText(self.tr("Undone, except:") + "\n" + "\n".join(problems[:10]))
            self.cancel_button.setText(self.tr("Close"))
            return
        self.accept()

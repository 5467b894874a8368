"""Past sessions (newest first, expandable to errors by item, settled conflicts and the
contacts matched as the same person) and the one list of problems, with Clear."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui import wording
from syncgui.gui.controller import AppController
from syncgui.gui.partnerships_view import WordElideDelegate
from syncgui.gui.state import Problem
from syncgui.gui.undo_dialog import UndoDialog
from syncgui.gui.widgets import wrapping_label
from syncgui.service import SessionRecord


def size_columns(tree: QTreeWidget, samples: list[str]) -> None:
    """The first columns wide enough for typical text (the icon included)."""
    fm = tree.fontMetrics()
    extra = (
        fm.averageCharWidth() * 4
        + tree.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        + tree.indentation()
    )
    for col, sample in enumerate(samples):
        tree.header().resizeSection(col, fm.horizontalAdvance(sample) + extra)


class ActivityView(QWidget):
    """The history of sessions as a tree: one row per session, its details as children."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("activityTree")
        self.tree.setHeaderLabels(
            [self.tr("When"), self.tr("Partnership"), self.tr("Started"), self.tr("What happened")]
        )
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setItemDelegateForColumn(3, WordElideDelegate(self.tree))  # full text: tooltip
        size_columns(self.tree, [wording.local_time(1.7e9), "M" * 12, self.tr("phone connected")])
        self.empty = wrapping_label(self.tr("No syncs yet."), self)
        self.undo_button = QPushButton(self.tr("&Undo this sync…"), self)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setToolTip(
            self.tr(
                "Take back every change the selected sync made, in both stores: you see "
                "what it will do first"
            )
        )
        self.undo_button.clicked.connect(self.undo_selected)
        self.tree.itemSelectionChanged.connect(self._update_undo)
        self.undo_dialog: UndoDialog | None = None
        self._records: dict[int, SessionRecord] = {}
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.tree)
        controller.sessions_changed.connect(self._on_sessions_changed)
        self._on_sessions_changed()

    def selected_record(self) -> SessionRecord | None:
        """The session of the selected row (or of the selected row's detail)."""
        item = self.tree.currentItem() if self.tree.selectedItems() else None
        while item is not None and item.parent() is not None:
            item = item.parent()
        if item is None:
            return None
        return self._records.get(int(item.data(0, Qt.ItemDataRole.UserRole)))

    def _update_undo(self) -> None:
        record = self.selected_record()
        self.undo_button.setEnabled(record is not None and record.can_undo)

    def undo_selected(self) -> None:
        """Open the undo dialog for the selected session (it shows what the undo will do
        before anything is written)."""
        record = self.selected_record()
        if record is None or not record.can_undo:
            return
        if self.undo_dialog is not None:
            self.undo_dialog.close()
        self.undo_dialog = UndoDialog(self.controller, record, self.window())
        self.undo_dialog.open()

    def _names(self, partnership: str) -> tuple[str, str]:
        row = self.controller.row(partnership)
        if row is None:
            return self.tr("first store"), self.tr("second store")
        p = row.partnership
        return self.controller.store_name(p.a), self.controller.store_name(p.b)

    def _on_sessions_changed(self) -> None:
        records = self.controller.sessions()
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        expanded = {
            item.data(0, Qt.ItemDataRole.UserRole) for item in items if item and item.isExpanded()
        }
        selected = self.selected_record()
        self.tree.clear()
        self._records = {r.id: r for r in records}
        for record in records:
            item = self._item(record)
            self.tree.addTopLevelItem(item)
            item.setExpanded(record.id in expanded)
            if selected is not None and record.id == selected.id:
                self.tree.setCurrentItem(item)
        self.empty.setVisible(not records)
        self.undo_button.setVisible(bool(records))
        self._update_undo()

    def _item(self, record: SessionRecord) -> QTreeWidgetItem:
        a, b = self._names(record.partnership)
        summary = wording.changes_text(record, a, b)
        status = {
            "blocked": self.tr("Stopped before deleting: %1"),
            "cancelled": self.tr("Cancelled: %1"),
        }.get(record.status, "%1")
        if wording.failed_outright(record):  # else it synced what it could: say what
            status = self.tr("Failed: %1")
            summary = record.errors[0].message if record.errors else self.tr("no reason given")
        if record.undid is not None:
            summary = self.tr("Undid an earlier sync: %1").replace("%1", summary)
        if record.status == "blocked":
            summary = wording.plural(
                len(record.blocked_items),
                self.tr("would delete {n} contact from %1"),
                self.tr("would delete {n} contacts from %1"),
            ).replace("%1", record.blocked_store or "")
        item = QTreeWidgetItem(
            [
                wording.local_time(record.finished),
                record.partnership,
                wording.trigger_text(record.trigger),
                status.replace("%1", summary),
            ]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, record.id)
        item.setToolTip(3, item.text(3))
        style = self.style()
        bad = record.status in ("failed", "blocked") or record.errors
        icon = (
            QStyle.StandardPixmap.SP_MessageBoxWarning
            if bad
            else (QStyle.StandardPixmap.SP_DialogApplyButton)
        )
        item.setIcon(0, style.standardIcon(icon))
        for note in record.errors:
            child = QTreeWidgetItem(["", "", self.tr("Problem"), note.text])
            child.setToolTip(3, child.text(3))
            item.addChild(child)
        for note in record.settled:
            how = wording.settled_text(note.message, a, b)
            child = QTreeWidgetItem(["", "", self.tr("Conflict"), f"{note.item}: {how}"])
            child.setToolTip(3, child.text(3))
            item.addChild(child)
        for name in record.blocked_items:
            item.addChild(QTreeWidgetItem(["", "", self.tr("Not deleted"), name]))
        for m in record.matched_items:
            text = (
                self.tr("%1 (%2 on %3, %4 on %5)")
                .replace("%1", m.name)
                .replace("%2", m.a)
                .replace("%3", a)
                .replace("%4", m.b)
                .replace("%5", b)
            )
            child = QTreeWidgetItem(["", "", self.tr("Same person"), text])
            child.setToolTip(3, text)
            item.addChild(child)
        for name in record.possible_duplicates:
            item.addChild(QTreeWidgetItem(["", "", self.tr("Possible duplicate"), name]))
        return item


class ProblemsView(QWidget):
    """The one place errors are shown: time, partnership, the item and what went wrong."""

    count_changed = Signal(int)

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("problemsTree")
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setHeaderLabels(
            [
                self.tr("When"),
                self.tr("Partnership"),
                self.tr("Contact or store"),
                self.tr("Problem"),
            ]
        )
        size_columns(self.tree, [wording.local_time(1.7e9), "M" * 12, "M" * 16])
        self.empty = wrapping_label(self.tr("No problems."), self)
        self.clear_button = QPushButton(self.tr("C&lear problems"), self)
        self.clear_button.setObjectName("clearProblems")
        self.clear_button.clicked.connect(controller.clear_problems)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        controller.problems_changed.connect(self._on_problems_changed)
        self._on_problems_changed()

    def _on_problems_changed(self) -> None:
        problems = self.controller.problems()
        self.tree.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for p in problems:
            item = QTreeWidgetItem([wording.local_time(p.at), p.partnership, p.item, p.message])
            item.setIcon(0, icon)
            tip = problem_tip(p)
            for column in range(item.columnCount()):
                item.setToolTip(column, tip)
            self.tree.addTopLevelItem(item)
        self.empty.setVisible(not problems)
        self.clear_button.setEnabled(bool(problems))
        self.count_changed.emit(len(problems))


def problem_tip(p: Problem) -> str:
    """A problem's tooltip: what failed (a failed job's title), what went wrong, and what to
    do about it, each on a line of its own (a contact's problem has its message only)."""
    return "\n".join(line for line in (p.title, p.message, p.action) if line)

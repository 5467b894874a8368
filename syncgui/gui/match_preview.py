"""The wizard's preview of who a first sync takes for the same person: the matches, one row
each with a tick box (all ticked; an unticked one is refused and its two contacts are copied
across as two), and the possible duplicates it leaves for the user to check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncgui.engine import SessionResult
from syncgui.gui import wording
from syncgui.gui.widgets import wrapping_label

Pair = tuple[bytes, bytes]  # (side A's item global id, side B's)
_Index = QModelIndex | QPersistentModelIndex
NAME, KEY_A, KEY_B = range(3)


@dataclass(frozen=True, slots=True)
class MatchRow:
    """One match as the preview lists it: the pair of global ids, the contact's name and
    each side's name for it."""

    pair: Pair
    name: str
    a: str
    b: str


def match_rows(result: SessionResult) -> list[MatchRow]:
    return [MatchRow((m.a.gid, m.b.gid), m.a.label, m.a.key, m.b.key) for m in result.matched]


class MatchModel(QAbstractTableModel):
    """The matches of a preview: name (with its tick box), side A's key, side B's key.
    ``ticked_changed(n)`` when the number of ticked rows changes."""

    ticked_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[MatchRow] = []
        self._ticked: list[bool] = []
        self._headers = [self.tr("Name"), self.tr("First store"), self.tr("Second store")]

    def set_rows(self, rows: list[MatchRow], a: str = "", b: str = "") -> None:
        """Show ``rows``, all ticked; ``a``/``b`` name the stores in the column headers."""
        self.beginResetModel()
        self._rows = list(rows)
        self._ticked = [True] * len(rows)
        if a and b:
            self._headers = [self.tr("Name"), a, b]
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._headers) - 1)
        self.ticked_changed.emit(len(rows))

    def ticked(self) -> int:
        return sum(self._ticked)

    def refused(self) -> list[Pair]:
        """The pairs of the unticked rows: the matches the user refused."""
        return [r.pair for r, on in zip(self._rows, self._ticked, strict=True) if not on]

    def set_ticked(self, row: int, on: bool) -> None:
        self.setData(
            self.index(row, NAME),
            Qt.CheckState.Checked if on else Qt.CheckState.Unchecked,
            Qt.ItemDataRole.CheckStateRole,
        )

    # -- QAbstractTableModel -------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's
        return 0 if parent.isValid() else 3

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.name, row.a, row.b)[index.column()]
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == NAME:
            on = self._ticked[index.row()]
            return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        if index.column() != NAME:
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked
        if self._ticked[index.row()] == on:
            return True
        self._ticked[index.row()] = on
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.ticked_changed.emit(self.ticked())
        return True

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == NAME:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None


class MatchPreview(QWidget):
    """The count and list of matches (with tick boxes) and the possible duplicates of a
    preview; hidden while there are none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("matchPreview")
        self.model = MatchModel(self)
        self.model.ticked_changed.connect(self._on_ticked_changed)
        self.heading = wrapping_label("", self)
        self.heading.setObjectName("matchHeading")
        self.table = QTableView(self)
        self.table.setObjectName("matches")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + self.fontMetrics().descent() * 2)
        columns = self.table.horizontalHeader()
        columns.setStretchLastSection(True)
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.duplicates_heading = wrapping_label(
            self.tr(
                "Possible duplicates: these look like the same person but could not be "
                "matched one to one, so they are not combined. Check them after the sync."
            ),
            self,
        )
        self.duplicates_heading.setObjectName("duplicatesHeading")
        self.duplicates = QTreeWidget(self)
        self.duplicates.setObjectName("duplicates")
        self.duplicates.setRootIsDecorated(False)
        self.duplicates.setAlternatingRowColors(True)
        self.duplicates.setHeaderLabels(
            [self.tr("Name"), self.tr("First store"), self.tr("Second store")]
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.duplicates_heading)
        layout.addWidget(self.duplicates, 1)
        self.setVisible(False)

    def show_result(self, result: SessionResult, a: str, b: str) -> None:
        """Show what the dry run ``result`` matched and left as possible duplicates, with
        ``a`` and ``b`` as the stores' names."""
        self.model.set_rows(match_rows(result), a, b)
        self._size_columns()
        has_matches = bool(result.matched)
        self.heading.setVisible(has_matches)
        self.table.setVisible(has_matches)
        self.duplicates.clear()
        self.duplicates.setHeaderLabels([self.tr("Name"), a, b])
        for d in result.possible_duplicates:
            keys_a = ", ".join(c.key for c in d.a)
            keys_b = ", ".join(c.key for c in d.b)
            item = QTreeWidgetItem([d.label, keys_a, keys_b])
            for column in range(3):
                item.setToolTip(column, item.text(column))
            self.duplicates.addTopLevelItem(item)
        has_duplicates = bool(result.possible_duplicates)
        self.duplicates_heading.setVisible(has_duplicates)
        self.duplicates.setVisible(has_duplicates)
        if has_duplicates:
            for column in (NAME, KEY_A):
                self.duplicates.resizeColumnToContents(column)
                self.duplicates.setColumnWidth(
                    column, self._width(self.duplicates.columnWidth(column))
                )
        self.setVisible(has_matches or has_duplicates)

    def refused(self) -> list[Pair]:
        return self.model.refused()

    def _size_columns(self) -> None:
        self.table.resizeColumnsToContents()
        for column in (NAME, KEY_A):
            self.table.setColumnWidth(column, self._width(self.table.columnWidth(column)))

    def _width(self, fitted: int) -> int:
        """A column's width: its contents' with some room, but never so wide that long
        file names push the last column out of sight."""
        char = self.fontMetrics().averageCharWidth()
        return min(fitted + char * 2, char * 36)

    def _on_ticked_changed(self, ticked: int) -> None:
        total = self.model.rowCount()
        self.heading.setText(wording.matches_heading(total, ticked))

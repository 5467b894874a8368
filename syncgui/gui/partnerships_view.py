"""The partnerships: both stores, direction, policy, last result, next run, conflicts, and
per row a progress bar with Sync now / Cancel. Double-click or the context menu's Edit…
opens :class:`~syncgui.gui.edit_dialog.EditPartnershipDialog`."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from syncgui.engine import Policy
from syncgui.gui import wording
from syncgui.gui.controller import AppController
from syncgui.gui.edit_dialog import EditPartnershipDialog
from syncgui.gui.state import Activity, PartnershipRow
from syncgui.gui.widgets import Badge
from syncgui.service import Schedule

NAME, STORES, POLICY, LAST, NEXT, CONFLICTS, SYNC = range(7)


def elide_words(text: str, metrics: QFontMetrics, width: int) -> str:
    """``text`` cut after the last whole word that fits in ``width`` pixels, with "…"
    (a separator before the cut is dropped, and so is a number: "Synced…", not "Synced
    3…"); cut mid-word only when no word fits."""
    if metrics.horizontalAdvance(text) <= width:
        return text
    words = text.split(" ")
    for n in range(len(words) - 1, 0, -1):
        if words[n - 1].isdigit():
            continue  # "Synced 3…" reads as a number cut short: end before it
        head = " ".join(words[:n]).rstrip(",;:·-–—")
        if head and metrics.horizontalAdvance(head + "…") <= width:
            return head + "…"
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)


class WordElideDelegate(QStyledItemDelegate):
    """Shows a cell's text cut at a word, never mid-word (the full text is its tooltip)."""

    def initStyleOption(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        text = option.text
        option.text = elide_words(text, option.fontMetrics, rect.width() - 2 * margin)
        option.textElideMode = Qt.TextElideMode.ElideNone


class RowActions(QWidget):
    """A row's progress bar and its Sync now / Cancel button."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.progress = QProgressBar(self)
        self.progress.setObjectName(f"progress:{name}")
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(self.fontMetrics().averageCharWidth() * 12)
        self.button = QPushButton(self)
        self.button.setObjectName(f"sync:{name}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 1, 2, 1)
        layout.addWidget(self.progress, 1)
        layout.addWidget(self.button)


class PartnershipsView(QWidget):
    """One row per partnership; ``conflicts_requested(name)`` when its badge is clicked."""

    conflicts_requested = Signal(str)
    history_requested = Signal(str)  # the versions its syncs overwrote or deleted
    selection_changed = Signal()

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("partnershipsTree")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(False)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setHeaderLabels(
            [
                self.tr("Partnership"),
                self.tr("Stores"),
                self.tr("On conflict"),
                self.tr("Last sync"),
                self.tr("Next sync"),
                self.tr("Conflicts"),
                self.tr("Sync"),
            ]
        )
        self._size_columns()
        self.tree.itemSelectionChanged.connect(self.selection_changed)
        self.tree.setItemDelegateForColumn(LAST, WordElideDelegate(self.tree))
        self.tree.itemDoubleClicked.connect(self._on_item_double_clicked)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._actions: dict[str, RowActions] = {}
        self._badges: dict[str, Badge] = {}
        self._editing: EditPartnershipDialog | None = None
        controller.partnerships_changed.connect(self._on_partnerships_changed)
        controller.progress_changed.connect(self._on_progress_changed)
        controller.devices_changed.connect(self._on_partnerships_changed)
        controller.paused_changed.connect(self._on_partnerships_changed)
        self._on_partnerships_changed()
        self._clock = QTimer(self)  # "3 min ago" and "in 12 min" stay true
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self._on_partnerships_changed)
        self._clock.start()

    def _size_columns(self) -> None:
        """Widths from the text they show (HiDPI and font safe); "Last sync" stretches."""
        header = self.tree.header()
        fm = self.fontMetrics()
        pad = fm.averageCharWidth() * 3 + self.style().pixelMetric(
            QStyle.PixelMetric.PM_SmallIconSize
        )

        def fit(*texts: str) -> int:
            return max(fm.horizontalAdvance(t) for t in texts) + pad

        widths = {
            NAME: fit("M" * 8),
            STORES: fit("Address book  ⇄  Google Pixel 7"),
            POLICY: fit(*(wording.policy_name(p) for p in Policy)),
            NEXT: fit(self._untimed_text(Schedule()), wording.until(59 * 60, now=0)),  # "in 59 min"
            CONFLICTS: fit(wording.plural(99, self.tr("{n} conflict"), self.tr("{n} conflicts"))),
            SYNC: fit(self.tr("Sync now"), self.tr("Cancel")) + fm.averageCharWidth() * 6,
        }
        for col, width in widths.items():
            header.resizeSection(col, width)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(LAST, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(fm.averageCharWidth() * 6)

    # -- reading -----------------------------------------------------------------------
    def selected(self) -> str | None:
        item = self.tree.currentItem()
        if item is None or not item.isSelected():
            return None
        name = item.data(NAME, Qt.ItemDataRole.UserRole)
        return str(name) if name else None

    def select(self, name: str) -> None:
        item = self._items.get(name)
        if item is not None:
            self.tree.setCurrentItem(item)

    def names(self) -> list[str]:
        return list(self._items)

    # -- updates -----------------------------------------------------------------------
    def _on_partnerships_changed(self) -> None:
        rows = self.controller.rows()
        names = [r.partnership.name for r in rows]
        for gone in [n for n in self._items if n not in names]:
            item = self._items.pop(gone)
            self._actions.pop(gone)
            self._badges.pop(gone)
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        for row in rows:
            self._update(row)
        first = self.tree.topLevelItem(0)
        if self.tree.currentItem() is None and first is not None:
            self.tree.setCurrentItem(first)

    def _create(self, name: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem()
        item.setData(NAME, Qt.ItemDataRole.UserRole, name)
        self.tree.addTopLevelItem(item)
        badge = Badge(parent=self.tree)
        badge.setObjectName(f"conflicts:{name}")
        badge.clicked.connect(lambda: self.conflicts_requested.emit(name))
        holder = QWidget(self.tree)
        lay = QHBoxLayout(holder)
        lay.setContentsMargins(2, 1, 2, 1)
        lay.addWidget(badge)
        lay.addStretch(1)
        self.tree.setItemWidget(item, CONFLICTS, holder)
        actions = RowActions(name, self.tree)
        actions.button.clicked.connect(lambda: self._on_sync_clicked(name))
        self.tree.setItemWidget(item, SYNC, actions)
        self._items[name], self._actions[name], self._badges[name] = item, actions, badge
        return item

    def _update(self, row: PartnershipRow) -> None:
        p = row.partnership
        item = self._items.get(p.name) or self._create(p.name)
        a, b = self.controller.store_name(p.a), self.controller.store_name(p.b)
        item.setText(NAME, p.name)
        item.setText(STORES, f"{a}  {wording.direction_arrow(p.direction)}  {b}")
        item.setToolTip(
            STORES,
            f"{p.a}\n{wording.direction_words(p.direction, a, b)}\n{p.b}",
        )
        item.setText(POLICY, wording.policy_name(p.policy))
        item.setToolTip(POLICY, wording.policy_help(p.policy, a, b))
        item.setText(LAST, self._last_text(row, a, b))
        item.setToolTip(LAST, item.text(LAST))
        item.setIcon(LAST, self._last_icon(row))
        if self.controller.is_paused():
            next_text = self.tr("paused")
        elif row.next_run:
            next_text = wording.until(row.next_run)
        else:
            next_text = self._untimed_text(row.schedule)
        item.setText(NEXT, next_text)
        item.setToolTip(NEXT, wording.schedule_text(row.schedule))
        badge = self._badges[p.name]
        badge.setText(
            wording.plural(row.conflicts, self.tr("{n} conflict"), self.tr("{n} conflicts"))
        )
        badge.setToolTip(self.tr("Show the conflicts of %1 and resolve them").replace("%1", p.name))
        badge.setVisible(row.conflicts > 0)
        self._update_actions(row)

    def _untimed_text(self, schedule: Schedule) -> str:
        """The next sync of a partnership with no timed sync planned."""
        if schedule.on_connect and schedule.on_change:
            return self.tr("on connect or change")
        if schedule.on_connect:
            return self.tr("when connected")
        if schedule.on_change:
            return self.tr("on change")
        return self.tr("when asked")

    def _last_text(self, row: PartnershipRow, a: str, b: str) -> str:
        if row.activity is Activity.QUEUED:
            return self.tr("Waiting to sync…")
        if row.activity is Activity.CANCELLING:
            return self.tr("Cancelling…")
        if row.activity is Activity.SYNCING:
            p = row.progress
            return self._stage_text(p.stage, p.done, p.total) if p else self.tr("Syncing…")
        if row.last is None:
            return self.tr("Never synced")
        return wording.session_summary(row.last, a, b)

    def _last_icon(self, row: PartnershipRow) -> QIcon:
        style = self.style()
        if row.activity is not Activity.IDLE:
            return style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
        if row.last is None:
            return style.standardIcon(QStyle.StandardPixmap.SP_FileDialogInfoView)
        if row.last.status in ("failed", "blocked") or row.last.errors:
            return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)

    def _update_actions(self, row: PartnershipRow) -> None:
        actions = self._actions[row.partnership.name]
        busy = row.activity is not Activity.IDLE
        actions.button.setText(self.tr("Cancel") if busy else self.tr("Sync now"))
        actions.button.setEnabled(row.activity is not Activity.CANCELLING)
        actions.progress.setVisible(busy)
        if row.activity is Activity.QUEUED:
            actions.progress.setRange(0, 0)
            actions.progress.setFormat(self.tr("waiting"))
        elif busy and row.progress is not None:
            self._set_progress(actions, row.progress.stage, row.progress.done, row.progress.total)
        elif busy:
            actions.progress.setRange(0, 0)

    def _stage_text(self, stage: str, done: int, total: int) -> str:
        if stage == "applying" and total > 0:
            return (
                self.tr("Syncing: %1 of %2 changes")
                .replace("%1", str(done))
                .replace("%2", str(total))
            )
        stages = {
            "detecting": self.tr("Syncing: looking for changes…"),
            "planning": self.tr("Syncing: working out what to do…"),
            "applying": self.tr("Syncing: writing changes…"),
            "finished": self.tr("Syncing: finishing…"),
        }
        return stages.get(stage, self.tr("Syncing…"))

    def _set_progress(self, actions: RowActions, stage: str, done: int, total: int) -> None:
        if stage == "applying" and total > 0:
            actions.progress.setRange(0, total)
            actions.progress.setValue(done)
            actions.progress.setFormat(self.tr("%v of %m"))
        else:
            actions.progress.setRange(0, 0)  # busy indicator
        item = self._items.get(actions.name)
        if item is not None:
            item.setText(LAST, self._stage_text(stage, done, total))

    def _on_progress_changed(self, name: str, stage: str, done: int, total: int) -> None:
        actions = self._actions.get(name)
        if actions is None:
            return
        actions.progress.setVisible(True)
        actions.button.setText(self.tr("Cancel"))
        self._set_progress(actions, stage, done, total)

    def _on_sync_clicked(self, name: str) -> None:
        if self.controller.is_busy(name):
            self.controller.cancel(name)
        else:
            self.controller.sync([name])

    # -- editing ---------------------------------------------------------------------
    def edit(self, name: str) -> EditPartnershipDialog | None:
        """Open the dialog that edits ``name`` (one at a time: an open one is raised)."""
        if self.controller.row(name) is None:
            return None
        dialog = self._editing
        if dialog is not None and dialog.isVisible() and dialog.name == name:
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = EditPartnershipDialog(self.controller, name, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._on_edit_closed)
        self._editing = dialog
        dialog.open()
        return dialog

    def _on_edit_closed(self, _obj: object = None) -> None:
        self._editing = None

    def _on_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(NAME, Qt.ItemDataRole.UserRole)
        if name:
            self.edit(str(name))

    def context_menu(self, name: str) -> QMenu:
        """The actions on one partnership: edit it, sync or cancel it, its conflicts, its
        history."""
        menu = QMenu(self)
        menu.setObjectName("partnershipMenu")
        edit = menu.addAction(self.tr("&Edit…"))
        edit.setObjectName("edit")
        edit.triggered.connect(lambda: self.edit(name))
        busy = self.controller.is_busy(name)
        sync = menu.addAction(self.tr("&Cancel sync") if busy else self.tr("&Sync now"))
        sync.setObjectName("sync")
        sync.triggered.connect(lambda: self._on_sync_clicked(name))
        row = self.controller.row(name)
        if row is not None and row.conflicts:
            conflicts = menu.addAction(self.tr("&Resolve conflicts…"))
            conflicts.setObjectName("conflicts")
            conflicts.triggered.connect(lambda: self.conflicts_requested.emit(name))
        history = menu.addAction(self.tr("Show &history"))
        history.setObjectName("history")
        history.triggered.connect(lambda: self.history_requested.emit(name))
        menu.setDefaultAction(edit)
        return menu

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        name = item.data(NAME, Qt.ItemDataRole.UserRole) if item is not None else None
        if item is None or not name:
            return
        self.tree.setCurrentItem(item)
        menu = self.context_menu(str(name))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(pos))

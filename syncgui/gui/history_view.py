"""The History tab: every version of a contact that a sync overwrote or deleted, newest first,
of every partnership or of one, searchable by name. The one selected is shown field by field
beside the contact as it is now in its store (the conflict dialog's table); Restore puts the
selected versions back, each as a job in line with its store's sessions, then the
partnership syncs so that the restored contact spreads.

The list reads the history database only (no store), and with it what the history keeps
and the space it takes, shown under the list with the limits from the settings; a store is
read when an entry is selected, as a job holding that store, so it never runs beside a sync
of it."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QItemSelectionModel, QLocale, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui import wording
from syncgui.gui.conflict_table import CHOICE, SIDE_A, SIDE_B, ConflictTable
from syncgui.gui.controller import AppController
from syncgui.gui.widgets import heading, while_alive, wrapping_label
from syncgui.service import (
    ConflictDetail,
    HistoryEntry,
    HistoryUsage,
    SyncPort,
    store_resources,
)

NAME, WHEN, WHAT, STORE, PARTNERSHIP = range(5)
ID_ROLE = Qt.ItemDataRole.UserRole


def _load(service: SyncPort, name: str | None) -> tuple[list[HistoryEntry], HistoryUsage]:
    """(job thread) the list and what the whole history keeps: one database, no store"""
    return service.history(name), service.history_usage()


def _restore(service: SyncPort, *, entry_id: int) -> HistoryEntry:
    """(job thread)"""
    return service.restore(entry_id)


class HistoryView(QWidget):
    """The kept versions of every partnership (:meth:`show_partnership` narrows the list to
    one) with the selected one's fields and Restore."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("historyView")
        self._entries: dict[int, HistoryEntry] = {}
        self._details: dict[int, ConflictDetail] = {}  # read since the last reload
        self._current: int | None = None
        self._stale = True  # the list is read again when next shown
        self._restoring: dict[int, str] = {}  # entry id -> its contact's name
        self._restored: list[str] = []
        self._failures: list[str] = []
        self._build()
        controller.sessions_changed.connect(self._on_sessions_changed)
        controller.partnerships_changed.connect(self._fill_partnerships)
        self._fill_partnerships()

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        self.search = QLineEdit(self)
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText(self.tr("Search by name"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._apply_search())
        self.partnership = QComboBox(self)
        self.partnership.setObjectName("historyPartnership")
        self.partnership.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.partnership.currentIndexChanged.connect(lambda _i: self.reload())
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("historyTree")
        self.tree.setHeaderLabels(
            [
                self.tr("Contact"),
                self.tr("When"),
                self.tr("Change"),
                self.tr("Store"),
                self.tr("Partnership"),
            ]
        )
        self.tree.setRootIsDecorated(False)
        self.tree.setMinimumHeight(self.fontMetrics().height() * 3)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        char = self.fontMetrics().averageCharWidth()
        for column, width in ((NAME, 22), (WHEN, 21), (WHAT, 13), (STORE, 18)):
            self.tree.header().resizeSection(column, char * width)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.tree.itemSelectionChanged.connect(self._update_restore)
        self.pages = QStackedWidget(self)
        self.message = wrapping_label("", self)
        self.message.setObjectName("historyMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(self.message)
        self.pages.addWidget(self._build_detail())
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.pages)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([char * 90, char * 90])
        self.restore_button = QPushButton(self.tr("&Restore"), self)
        self.restore_button.setObjectName("restoreButton")
        self.restore_button.setToolTip(
            self.tr(
                "Put the selected versions back into their stores, over the contact as it is "
                "now (which is kept in the history in turn); the partnership then syncs"
            )
        )
        self.restore_button.clicked.connect(self.restore_selected)
        self._build_lines()
        top = QHBoxLayout()  # one row above the list: the tab stays as low as the others
        top.addWidget(self.search, 1)
        top.addWidget(self.partnership)
        top.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.usage)
        layout.addWidget(self.status)
        self._update_restore()

    def _build_lines(self) -> None:
        """The lines under the list: what the history keeps, and what restoring did."""
        self.usage = wrapping_label("", self)
        self.usage.setObjectName("historyUsage")
        self.usage.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = wrapping_label("", self)
        self.status.setObjectName("historyStatus")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()  # shown while it has something to say

    def _build_detail(self) -> QWidget:
        page = QWidget(self)
        self.title = heading("", page, 1.1)
        self.title.setObjectName("historyTitle")
        self.note = wrapping_label("", page)
        self.note.setObjectName("historyNote")
        self.table = ConflictTable(page)
        self.table.setObjectName("historyTable")
        self.table.setColumnHidden(CHOICE, True)  # nothing is merged here
        self.table.setMinimumHeight(self.fontMetrics().height() * 2)
        self.note.hide()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        return page

    def _fill_partnerships(self) -> None:
        chosen = self.chosen_partnership()
        self.partnership.blockSignals(True)
        self.partnership.clear()
        self.partnership.addItem(self.tr("All partnerships"), None)
        for row in self.controller.rows():
            self.partnership.addItem(row.partnership.name, row.partnership.name)
        index = self.partnership.findData(chosen) if chosen is not None else 0
        self.partnership.setCurrentIndex(max(index, 0))
        self.partnership.blockSignals(False)
        if chosen is not None and index < 0:  # renamed or removed: show all
            self.reload()

    # -- the list ---------------------------------------------------------------------
    def chosen_partnership(self) -> str | None:
        """The partnership whose history is listed (None: all)."""
        data = self.partnership.currentData()
        return data if isinstance(data, str) else None

    def show_partnership(self, name: str | None) -> None:
        """List the history of ``name`` only (None: of every partnership)."""
        index = self.partnership.findData(name) if name is not None else 0
        if index >= 0 and index != self.partnership.currentIndex():
            self.partnership.setCurrentIndex(index)  # reloads

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _on_sessions_changed(self) -> None:
        """A session may have kept versions: read the list again (now if it is shown)."""
        self._stale = True
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        self._stale = False
        name = self.chosen_partnership()
        self.controller.call(
            partial(_load, name=name),
            while_alive(self, partial(self._on_loaded, name)),
            while_alive(self, self._on_load_failed),
            resources=frozenset(),  # the history database only: beside any session
        )

    def _on_loaded(self, name: str | None, loaded: object) -> None:
        if not isinstance(loaded, tuple) or len(loaded) != 2:
            return
        entries, usage = loaded
        if isinstance(usage, HistoryUsage):
            self._show_usage(usage)
        if name != self.chosen_partnership() or not isinstance(entries, list):
            return  # another partnership was chosen meanwhile: its list follows
        kept = [e for e in entries if isinstance(e, HistoryEntry)]
        kept.sort(key=lambda e: (e.record.at, e.id), reverse=True)  # newest first
        self._entries = {e.id: e for e in kept}
        self._details.clear()  # a restore or a sync may have changed the contact since
        selected = {i for i in self.selected_ids() if i in self._entries}
        current = self._current
        self.tree.blockSignals(True)
        self.tree.clear()
        for e in kept:
            item = self._item(e)
            self.tree.addTopLevelItem(item)
            if e.id == current:
                self.tree.setCurrentItem(item, 0, QItemSelectionModel.SelectionFlag.NoUpdate)
            item.setSelected(e.id in selected)
        self.tree.blockSignals(False)
        self.tree.setColumnHidden(PARTNERSHIP, name is not None)
        self._apply_search()
        if current in self._entries:
            self._fetch(current)
        else:
            self._current = None
            self._show_message()
        self._update_restore()

    def _item(self, e: HistoryEntry) -> QTreeWidgetItem:
        r = e.record
        what = self.tr("Deleted") if r.reason == "deleted" else self.tr("Overwritten")
        item = QTreeWidgetItem(
            [
                r.label,
                wording.local_time(r.at),
                what,
                self.controller.store_name(r.store),
                r.partnership,
            ]
        )
        item.setData(NAME, ID_ROLE, e.id)
        item.setToolTip(NAME, r.label)
        item.setToolTip(STORE, r.store)
        return item

    def _show_usage(self, usage: HistoryUsage) -> None:
        """What the history keeps, as ``syncgui-cli history --usage`` says it: "1,234
        versions kept, 2.3 MB; kept 365 days, at most 20 versions per contact (…)"."""
        versions = wording.plural(
            usage.versions, self.tr("{n} version kept"), self.tr("{n} versions kept")
        )
        if usage.days == int(usage.days):
            days = wording.plural(int(usage.days), self.tr("{n} day"), self.tr("{n} days"))
        else:
            days = self.tr("%1 days").replace("%1", QLocale().toString(usage.days, "g", 6))
        per = wording.plural(usage.per_contact, self.tr("{n} version"), self.tr("{n} versions"))
        text = self.tr(
            "%1, %2; kept %3, at most %4 per contact "
            "(settings.json: history_days, history_versions)"
        )
        for mark, value in (
            ("%1", versions),
            ("%2", wording.human_size(usage.size)),
            ("%3", days),
            ("%4", per),
        ):
            text = text.replace(mark, value)
        self.usage.setText(text)
        oldest = ""
        if usage.oldest is not None:
            oldest = self.tr("The oldest kept version is from %1.").replace(
                "%1", wording.local_time(usage.oldest)
            )
        self.usage.setToolTip(oldest)

    def _on_load_failed(self, message: str) -> None:
        self._show_message(self.tr("The history could not be read: %1").replace("%1", message))

    def _apply_search(self) -> None:
        words = self.search.text().casefold().split()
        for item in self._items():
            name = item.text(NAME).casefold()
            hide = not all(w in name for w in words)
            item.setHidden(hide)
            if hide:
                item.setSelected(False)
        if self._current is None or not self._entries:
            self._show_message()
        self._update_restore()

    def _show_message(self, text: str | None = None) -> None:
        if text is None:
            if not self._entries:
                text = self.tr(
                    "Nothing in the history yet. When a sync overwrites or deletes a contact, "
                    "the version it replaced is kept here and can be restored."
                )
            else:
                text = self.tr("Select a version to compare it with the contact as it is now.")
        self.message.setText(text)
        self.pages.setCurrentIndex(0)

    # -- the one selected -------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        """The selected entries, as listed (newest first)."""
        return [
            int(item.data(NAME, ID_ROLE))
            for item in self._items()
            if item.isSelected() and not item.isHidden()
        ]

    def _items(self) -> list[QTreeWidgetItem]:
        count = self.tree.topLevelItemCount()
        return [item for i in range(count) if (item := self.tree.topLevelItem(i)) is not None]

    def _on_current_changed(self, item: QTreeWidgetItem | None, _old: object) -> None:
        if item is None:
            return
        entry_id = int(item.data(NAME, ID_ROLE))
        self._current = entry_id
        detail = self._details.get(entry_id)
        if detail is not None:
            self._fill(detail)
            return
        self._show_message(self.tr("Loading…"))
        self._fetch(entry_id)

    def _fetch(self, entry_id: int) -> None:
        entry = self._entries.get(entry_id)
        if entry is None:
            return
        self.controller.call(
            lambda s: s.history_detail(entry_id),
            while_alive(self, self._on_detail),
            while_alive(self, partial(self._on_detail_failed, entry_id)),
            resources=store_resources(entry.record.store),  # never beside its sync
        )

    def _on_detail(self, detail: object) -> None:
        if not isinstance(detail, ConflictDetail) or not detail.view.id.isdigit():
            return
        entry_id = int(detail.view.id)
        self._details[entry_id] = detail
        if entry_id == self._current:
            self._fill(detail)

    def _on_detail_failed(self, entry_id: int, message: str) -> None:
        if entry_id == self._current:
            self._show_message(self.tr("This version could not be read: %1").replace("%1", message))

    def _fill(self, detail: ConflictDetail) -> None:
        view = detail.view
        entry = self._entries.get(int(view.id))
        store = self.controller.store_name(entry.record.store) if entry else view.a_name
        when = wording.local_time(view.detected_at)
        title = (
            self.tr("%1: deleted from %2 by a sync, %3")
            if entry is not None and entry.record.reason == "deleted"
            else self.tr("%1: overwritten in %2 by a sync, %3")
        )
        self.title.setText(title.replace("%1", view.item).replace("%2", store).replace("%3", when))
        if view.unreachable:
            note = self.tr("%1 cannot be read now, so the contact as it is now is not shown: %2")
            note = note.replace("%1", store).replace("%2", view.unreachable)
        elif view.b is None:
            note = self.tr("This contact is no longer in %1: Restore puts it back.")
            note = note.replace("%1", store)
        else:
            note = ""
        self.note.setText(note)
        self.note.setVisible(bool(note))
        now = self.tr("Now in %1").replace("%1", store)
        if view.b is None and not view.unreachable:
            now += "\n" + self.tr("not there")
        elif detail.b_changed:
            now += "\n" + self.tr("changed %1").replace("%1", wording.local_time(detail.b_changed))
        kept = self.tr("Kept version") + "\n" + self.tr("until %1").replace("%1", when)
        self.table.setHorizontalHeaderLabels([self.tr("Field"), kept, now, ""])
        for column in (SIDE_A, SIDE_B):
            header = self.table.horizontalHeaderItem(column)
            if header is not None:
                header.setToolTip(header.text())
        self.table.show_rows(detail, self.tr("the kept version"), store)
        self._retip(detail)
        self.pages.setCurrentIndex(1)

    def _retip(self, detail: ConflictDetail) -> None:
        """The table's tooltips speak of a merge; here a differing field changed since."""
        for r, row in enumerate(detail.rows):
            if row.state == "differ":
                for column in range(CHOICE):
                    cell = self.table.item(r, column)
                    if cell is not None:
                        cell.setToolTip(self.tr("Changed since this version was kept"))

    # -- restoring --------------------------------------------------------------------
    def _update_restore(self) -> None:
        n = len([i for i in self.selected_ids() if i not in self._restoring])
        self.restore_button.setEnabled(n > 0)
        self.restore_button.setText(
            self.tr("&Restore")
            if n <= 1
            else wording.plural(
                n, self.tr("&Restore {n} version"), self.tr("&Restore {n} versions")
            )
        )

    def restore_selected(self) -> None:
        """Restore every selected version, each as its own job in line with its store's
        sessions; each partnership syncs after its restore."""
        ids = [i for i in self.selected_ids() if i not in self._restoring]
        if not ids:
            return
        self._restored, self._failures = [], []
        for entry_id in ids:
            entry = self._entries[entry_id]
            self._restoring[entry_id] = entry.record.label
            self.controller.call(
                partial(_restore, entry_id=entry_id),
                while_alive(self, partial(self._on_restored, entry)),
                while_alive(self, partial(self._on_restore_failed, entry)),
                resources=store_resources(entry.record.store),
            )
        self._say_progress()
        self._update_restore()

    def _on_restored(self, entry: HistoryEntry, _result: object) -> None:
        self._restoring.pop(entry.id, None)
        self._restored.append(entry.record.label)
        names = self._partnerships_of(entry)
        if names:
            self.controller.sync(names, trigger="manual")  # the restored card spreads
        self._after_restore()

    def _on_restore_failed(self, entry: HistoryEntry, message: str) -> None:
        self._restoring.pop(entry.id, None)
        self._failures.append(
            self.tr("%1 could not be restored: %2")
            .replace("%1", entry.record.label)
            .replace("%2", message)
        )
        self._after_restore()

    def _partnerships_of(self, entry: HistoryEntry) -> list[str]:
        """The partnership that kept ``entry`` if it still exists, else those with its store."""
        r = entry.record
        rows = self.controller.rows()
        if any(row.partnership.name == r.partnership for row in rows):
            return [r.partnership]
        return [
            row.partnership.name
            for row in rows
            if r.store in (row.partnership.a, row.partnership.b)
        ]

    def _after_restore(self) -> None:
        self._say_progress()
        self._update_restore()
        if not self._restoring:
            self.reload()  # a restore keeps the version it replaced

    def _say_progress(self) -> None:
        lines = []
        if self._restoring:
            lines.append(
                wording.plural(
                    len(self._restoring),
                    self.tr("Restoring {n} contact…"),
                    self.tr("Restoring {n} contacts…"),
                )
            )
        if self._restored:
            lines.append(
                wording.plural(
                    len(self._restored),
                    self.tr("{n} contact restored; the partnership syncs now."),
                    self.tr("{n} contacts restored; their partnerships sync now."),
                )
            )
        lines.extend(self._failures)
        self.status.setText("\n".join(lines))
        self.status.setVisible(bool(lines))

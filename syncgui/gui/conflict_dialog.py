"""The conflict dialog: every stored conflict side by side, field by field, each side
labelled with its store and the time of its change; keep one side, keep both, merge with a
choice per clashing field, apply to all remaining, or resolve later (it stays stored)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from syncgui.engine import Keep
from syncgui.gui import wording
from syncgui.gui.conflict_table import (
    CHOICE,
    SIDE_A,
    SIDE_B,
    ConflictTable,
    Side,
    content_of,
    deleted_side,
    missing_side,
)
from syncgui.gui.controller import AppController
from syncgui.gui.widgets import heading, while_alive, wrapping_label
from syncgui.service import ConflictDetail, ConflictView


def _escape(text: str) -> str:
    return text.replace("&", "&&")


class ConflictDialog(QDialog):
    """All conflicts (``partnership`` None) or one partnership's."""

    def __init__(
        self,
        controller: AppController,
        partnership: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.partnership = partnership
        self.setObjectName("conflictDialog")
        self._title = (
            self.tr("Conflicts of %1").replace("%1", partnership)
            if partnership
            else self.tr("Conflicts")
        )
        self.setWindowTitle(self._title)
        self._views: list[ConflictView] = []
        # the details fetched since the last reload: a conflict detected again keeps its
        # id with new data, so a reload drops them (see _on_reloaded)
        self._details: dict[str, ConflictDetail] = {}
        self._gone: set[str] = set()  # resolved here (the list may not know yet)
        self._later: set[str] = set()
        self._current: str | None = None
        self._merging = False
        self._build()
        controller.conflicts_changed.connect(self.reload)
        char, line = self.fontMetrics().averageCharWidth(), self.fontMetrics().height()
        self.resize(char * 130, line * 32)
        self.reload()

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        self.summary = heading("", self)
        self.summary.setObjectName("conflictSummary")
        self.list = QListWidget(self)
        self.list.setObjectName("conflictList")
        # names wrap rather than being cut or scrolled sideways (also when Merge widens
        # the table beside it)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setSpacing(2)
        self.list.setMinimumWidth(self.fontMetrics().averageCharWidth() * 16)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.pages = QStackedWidget(self)
        self.message = wrapping_label(self.tr("Loading conflicts…"), self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setObjectName("conflictMessage")
        self.pages.addWidget(self.message)
        self.pages.addWidget(self._build_detail())
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.list)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([self.fontMetrics().averageCharWidth() * 30, 1000])
        self.splitter = splitter
        self.close_button = QPushButton(self.tr("&Close"), self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

    def _build_detail(self) -> QWidget:
        page = QWidget(self)
        self.title = heading("", page, 1.1)
        self.title.setObjectName("conflictTitle")
        self.unreachable = wrapping_label("", page)
        self.unreachable.setObjectName("conflictUnreachable")
        self.table = ConflictTable(page)
        self.merge_note = wrapping_label(
            self.tr(
                "Fields changed on one side only are combined automatically. For each field "
                "changed on both sides, choose the version to keep, then apply the merge."
            ),
            page,
        )
        self.merge_note.setObjectName("mergeNote")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.unreachable)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.merge_note)
        layout.addLayout(self._build_choices(page))
        layout.addWidget(self.status)
        return page

    def _build_choices(self, page: QWidget) -> QVBoxLayout:
        self.keep_a = QPushButton(page)
        self.keep_a.setObjectName("keepA")
        self.keep_a.clicked.connect(lambda: self._keep("a"))
        self.keep_b = QPushButton(page)
        self.keep_b.setObjectName("keepB")
        self.keep_b.clicked.connect(lambda: self._keep("b"))
        self.keep_both = QPushButton(self.tr("Keep &both"), page)
        self.keep_both.setObjectName("keepBoth")
        self.keep_both.setToolTip(
            self.tr("Keep one version and add the other as a copy marked “conflict copy”")
        )
        self.keep_both.clicked.connect(lambda: self._keep("both"))
        self.merge = QPushButton(self.tr("&Merge…"), page)
        self.merge.setObjectName("merge")
        self.merge.clicked.connect(self._on_merge_clicked)
        self.later = QPushButton(self.tr("Resolve la&ter"), page)
        self.later.setObjectName("later")
        self.later.setToolTip(self.tr("Skip it for now: it stays listed, also after a restart"))
        self.later.clicked.connect(self._on_later_clicked)
        self.apply_all = QCheckBox(self.tr("Apply to &all remaining"), page)
        self.apply_all.setObjectName("applyAll")
        self.apply_all.setToolTip(
            self.tr(
                "Make the same choice (keep left, keep right or keep both) for every "
                "conflict of this partnership still listed, except those put off for later"
            )
        )
        self.status = wrapping_label("", page)
        self.status.setObjectName("conflictStatus")
        return self._lay_out_choices()

    def _lay_out_choices(self) -> QVBoxLayout:
        for b in (self.keep_a, self.keep_b, self.keep_both, self.merge, self.later):
            b.setAutoDefault(False)
        buttons = QHBoxLayout()
        for b in (self.keep_a, self.keep_b, self.keep_both, self.merge):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.later)
        options = QHBoxLayout()
        options.addWidget(self.apply_all)
        options.addStretch(1)
        choices = QVBoxLayout()
        choices.addLayout(buttons)
        choices.addLayout(options)
        return choices

    def choice_box(self, field: str) -> QComboBox | None:
        """The merge's choice for a clashing field of the conflict shown."""
        return self.table.choices.get(field)

    # -- names ------------------------------------------------------------------------
    def side_name(self, view: ConflictView, side: Side) -> str:
        row = self.controller.row(view.partnership)
        if row is not None:
            spec = row.partnership.a if side == "a" else row.partnership.b
            return self.controller.store_name(spec)
        location = view.a_name if side == "a" else view.b_name
        return location.rstrip("/").rsplit("/", 1)[-1] or location

    # -- loading ----------------------------------------------------------------------
    def reload(self) -> None:
        name = self.partnership
        self.controller.call(
            lambda s: s.conflicts(name),
            while_alive(self, self._on_reloaded),
            while_alive(self, self._on_load_failed),
            resources=self.controller.resources(name),  # it reads both sides' cards
        )

    def _on_reloaded(self, views: object) -> None:
        """A session or a resolve may have detected a conflict again (same id, new data):
        forget every detail read so far, and read the one on screen again."""
        shown = self._current if self.pages.currentIndex() == 1 else None
        self._details = {k: v for k, v in self._details.items() if k == shown}
        self._on_loaded(views)
        if shown is not None and shown == self._current and shown in self._details:
            self._fetch(shown)  # the choices wait until it is known to be current

    def _on_loaded(self, views: object) -> None:
        listed = [v for v in views if v.id not in self._gone] if isinstance(views, list) else []
        self._views = listed
        keep = self._current
        self.list.blockSignals(True)
        self.list.clear()
        for v in listed:  # the name, then (smaller) its partnership and "later"
            notes = [] if self.partnership else [v.partnership]
            if v.id in self._later:
                notes.append(self.tr("later"))
            text = "\n".join([v.item, "  ·  ".join(notes)] if notes else [v.item])
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, v.id)
            item.setToolTip(text.replace("\n", " — "))
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._fit_list()
        ids = [v.id for v in listed]
        self._update_summary()
        if not listed:
            self._current = None
            self.setWindowTitle(self._title)
            self.message.setText(self.tr("No conflicts left. Everything is resolved."))
            self.pages.setCurrentIndex(0)
            self.close_button.setDefault(True)
            self.close_button.setFocus()
            return
        self._select(keep if keep is not None and keep in ids else self._next_id(ids))

    def _fit_list(self) -> None:
        """Make the list as wide as its longest line, within 18 to 28 characters (longer
        names wrap); the detail takes the rest."""
        fm = self.list.fontMetrics()
        char = fm.averageCharWidth()
        lines = [
            line for i in range(self.list.count()) for line in self.list.item(i).text().split("\n")
        ]
        widest = max((fm.horizontalAdvance(line) for line in lines), default=0)
        scroll = self.list.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        want = widest + scroll + char * 3 + 2 * self.list.frameWidth()
        width = max(char * 18, min(want, char * 28))
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total > 0 and sizes[0] != width:
            self.splitter.setSizes([width, max(total - width, 1)])

    def _next_id(self, ids: list[str]) -> str:
        fresh = [i for i in ids if i not in self._later]
        return fresh[0] if fresh else ids[0]

    def _on_load_failed(self, message: str) -> None:
        self.message.setText(self.tr("The conflicts could not be read: %1").replace("%1", message))
        self.pages.setCurrentIndex(0)

    def _update_summary(self) -> None:
        n = len(self._views)
        self.summary.setText(
            wording.plural(
                n,
                self.tr("{n} contact was changed on both sides"),
                self.tr("{n} contacts were changed on both sides"),
            )
            if n
            else self.tr("No conflicts")
        )

    def _select(self, conflict_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == conflict_id:
                shown = conflict_id == self._current and self.pages.currentIndex() == 1
                self.list.blockSignals(True)
                self.list.setCurrentRow(i)
                self.list.blockSignals(False)
                if not shown:  # a reload keeps what is on screen (and a merge being chosen)
                    self._show(conflict_id)
                return

    def _on_current_changed(self, item: QListWidgetItem | None, _old: object) -> None:
        if item is not None:
            self._show(str(item.data(Qt.ItemDataRole.UserRole)))

    def _show(self, conflict_id: str) -> None:
        self._current = conflict_id
        self._merging = False
        self.status.clear()
        detail = self._details.get(conflict_id)
        if detail is not None:
            self._fill(detail)
            return
        self.message.setText(self.tr("Loading…"))
        self.pages.setCurrentIndex(0)
        self._fetch(conflict_id)

    def _fetch(self, conflict_id: str) -> None:
        view = self._view(conflict_id)
        name = view.partnership if view is not None else self.partnership
        self._set_choices_enabled(False)
        self.controller.call(
            lambda s: s.conflict_detail(conflict_id, partnership=name),
            while_alive(self, self._on_detail),
            while_alive(self, self._on_load_failed),
            resources=self.controller.resources(name),
        )

    def _on_detail(self, detail: object) -> None:
        if not isinstance(detail, ConflictDetail):
            return
        old = self._details.get(detail.view.id)
        self._details[detail.view.id] = detail
        if detail.view.id != self._current:
            return
        if old == detail and self.pages.currentIndex() == 1:  # unchanged: a merge goes on
            self._set_buttons(detail)
            return
        self._fill(detail)  # (leaves a merge being chosen)
        if old is not None and content_of(old) != content_of(detail):
            self.status.setText(self.tr("This contact changed meanwhile; look again."))

    # -- showing one ------------------------------------------------------------------
    def _side_header(self, detail: ConflictDetail, side: Side) -> str:
        view = detail.view
        name = self.side_name(view, side)
        data = view.a if side == "a" else view.b
        changed = detail.a_changed if side == "a" else detail.b_changed
        if view.unreachable and view.held_by == side:
            state = self.tr("cannot be read now")
        elif data is None:
            state = self.tr("deleted")
            if changed:
                state = self.tr("deleted %1").replace("%1", wording.local_time(changed))
        elif changed:
            state = self.tr("changed %1").replace("%1", wording.local_time(changed))
        else:
            state = self.tr("changed (time unknown)")
        return f"{name}\n{state}"

    def _fill(self, detail: ConflictDetail) -> None:
        view = detail.view
        self.setWindowTitle(f"{self._title}: {view.item}")
        a_name, b_name = self.side_name(view, "a"), self.side_name(view, "b")
        deleted, missing = deleted_side(view), missing_side(view)
        if deleted:
            kept = b_name if deleted == "a" else a_name
            gone = a_name if deleted == "a" else b_name
            self.title.setText(
                self.tr("%1: deleted on %2, changed on %3")
                .replace("%1", view.item)
                .replace("%2", gone)
                .replace("%3", kept)
            )
        else:
            self.title.setText(self.tr("%1: changed on both sides").replace("%1", view.item))
        self.unreachable.setVisible(missing is not None)
        if view.unreachable and missing:
            self.unreachable.setText(
                self.tr(
                    "⚠ %1 cannot be read now: %2 The conflict is kept there, so it can be "
                    "resolved once %1 is back (it stays listed until then)."
                )
                .replace("%1", a_name if missing == "a" else b_name)
                .replace("%2", view.unreachable)
            )
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Field"),
                self._side_header(detail, "a"),
                self._side_header(detail, "b"),
                self.tr("Keep in merge"),
            ]
        )
        for column in (SIDE_A, SIDE_B):  # a narrow column cuts its header: the tooltip has it
            header = self.table.horizontalHeaderItem(column)
            if header is not None:
                header.setToolTip(header.text())
        self.table.show_rows(detail, a_name, b_name)
        self._show_merge(False)
        self._set_buttons(detail)
        self.pages.setCurrentIndex(1)

    def _set_buttons(self, detail: ConflictDetail) -> None:
        view = detail.view
        a_name, b_name = self.side_name(view, "a"), self.side_name(view, "b")
        deleted, missing = deleted_side(view), missing_side(view)
        if deleted:
            words = {
                deleted: self.tr("Keep deleted: %1"),
                ("b" if deleted == "a" else "a"): self.tr("Keep edited: %1"),
            }
            text_a, text_b = words["a"], words["b"]
        else:
            text_a = text_b = self.tr("Keep %1")
        self.keep_a.setText(text_a.replace("%1", _escape(a_name)) + self.tr(" (&left)"))
        self.keep_b.setText(text_b.replace("%1", _escape(b_name)) + self.tr(" (&right)"))
        # "a" is another store in each partnership: apply to all stays within this one
        self.apply_all.setText(
            self.tr("Apply to &all remaining in %1").replace("%1", _escape(view.partnership))
        )
        both_sides = deleted is None and missing is None
        self.keep_both.setVisible(deleted is None)
        self.merge.setVisible(deleted is None)
        self.keep_both.setEnabled(both_sides)
        self.merge.setEnabled(both_sides and detail.can_merge)
        # the choice is written into the store that holds the conflict: none can be made
        # while that store is away
        self.keep_a.setEnabled(missing is None)
        self.keep_b.setEnabled(missing is None)
        if self._merging:
            self.merge.setText(self.tr("&Apply merge"))
        else:
            self.merge.setText(self.tr("&Merge…") if detail.clashes else self.tr("&Merge"))

    def _set_choices_enabled(self, on: bool) -> None:
        for b in (self.keep_a, self.keep_b, self.keep_both, self.merge):
            b.setEnabled(on)

    def _show_merge(self, on: bool) -> None:
        self._merging = on
        self.table.setColumnHidden(CHOICE, not on)
        self.merge_note.setVisible(on)
        if on:
            self.merge.setText(self.tr("&Apply merge"))

    # -- choices ----------------------------------------------------------------------
    def _on_merge_clicked(self) -> None:
        detail = self._details.get(self._current or "")
        if detail is None:
            return
        if detail.clashes and not self._merging:
            self._show_merge(True)
            first = next(iter(self.table.choices.values()), None)
            if first is not None:
                first.setFocus()
            return
        prefer: dict[str, Side] = {
            f: ("b" if combo.currentData() == "b" else "a")
            for f, combo in self.table.choices.items()
        }
        self._resolve([detail.view], "merged", prefer)

    def _keep(self, keep: Keep) -> None:
        view = self._view(self._current)
        if view is None:
            return
        views = [view]
        if self.apply_all.isChecked():  # "a" is another store in another partnership
            views += [
                v
                for v in self._views
                if v.id != view.id and v.id not in self._later and v.partnership == view.partnership
            ]
        self._resolve(views, keep, None)

    def _on_later_clicked(self) -> None:
        if self._current is None:
            return
        self._later.add(self._current)
        ids = [v.id for v in self._views]
        after = ids[ids.index(self._current) + 1 :] + ids[: ids.index(self._current)]
        fresh = [i for i in after if i not in self._later]
        current = self.list.currentItem()
        if current is not None and not current.text().endswith(self.tr("later")):
            current.setText(current.text() + "  ·  " + self.tr("later"))
        if fresh:
            self._select(fresh[0])
        else:
            self.status.setText(
                self.tr(
                    "All remaining conflicts are put off for later. They "
                    "stay listed until you resolve them."
                )
            )

    def _view(self, conflict_id: str | None) -> ConflictView | None:
        return next((v for v in self._views if v.id == conflict_id), None)

    def _resolve(
        self, views: list[ConflictView], keep: Keep, prefer: dict[str, Side] | None
    ) -> None:
        for view in views:
            self._gone.add(view.id)
            cid = view.id
            self.controller.resolve(
                cid,
                view.partnership,
                keep,
                prefer,
                failed=while_alive(self, partial(self._on_resolve_failed, cid)),
            )
        self._on_loaded(list(self._views))
        n = len(views)
        self.status.setText(
            wording.plural(
                n,
                self.tr("Resolving {n} conflict; the partnership then syncs."),
                self.tr("Resolving {n} conflicts; the partnership then syncs."),
            )
        )

    def _on_resolve_failed(self, conflict_id: str, message: str) -> None:
        self._gone.discard(conflict_id)
        self.status.setText(self.tr("Could not resolve: %1").replace("%1", message))
        self.reload()

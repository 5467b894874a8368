"""The mass-deletion guard: a session stopped before deleting many contacts, or any at all
because the other store now lists none (an emptied file, folder or phone); the user sees
which and decides. Cancel (the default) deletes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from syncgui.engine import Approval
from syncgui.gui import wording
from syncgui.gui.controller import AppController
from syncgui.gui.widgets import heading, wrapping_label


@dataclass(frozen=True, slots=True)
class Emptied:
    """Why a session stopped: ``store`` now lists no contacts; it held ``held``."""

    store: str
    held: int


class GuardDialog(QDialog):
    """``store`` is the store as the session names it (spec or location); ``emptied`` says
    the deletions come from a store that now lists no contacts at all."""

    def __init__(
        self,
        controller: AppController,
        partnership: str,
        store: str,
        items: list[str],
        parent: QWidget | None = None,
        *,
        emptied: Emptied | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.partnership = partnership
        self.items: list[str] = []
        self.setObjectName("guardDialog")
        self.title = heading("", self)
        self.title.setObjectName("guardTitle")
        self.explanation = wrapping_label("", self)
        self.explanation.setObjectName("guardExplanation")
        self.list = QListWidget(self)
        self.list.setObjectName("guardItems")
        layout = QVBoxLayout(self)
        layout.addWidget(self._warning_icon())
        layout.addWidget(self.title)
        layout.addWidget(self.explanation)
        layout.addWidget(self.list, 1)
        layout.addWidget(self._buttons())
        char, line = self.fontMetrics().averageCharWidth(), self.fontMetrics().height()
        self.resize(char * 70, line * 24)
        self.show_blocked(store, items, emptied)
        self.cancel_button.setFocus()

    def show_blocked(self, store: str, items: list[str], emptied: Emptied | None = None) -> None:
        """Show what the latest blocked session would delete (a newer block of the same
        partnership updates the open dialog instead of piling up another)."""
        self.store = store
        self.items = list(items)
        self.list.clear()
        self.list.addItems(self.items)
        if emptied is not None:
            self._show_emptied(emptied)
            return
        self.explanation.setText(self._mass_text())
        self.setWindowTitle(self.tr("Delete %1 contacts?").replace("%1", str(len(items))))
        self.title.setText(
            wording.plural(
                len(items),
                self.tr("Syncing “%1” would delete {n} contact from %2"),
                self.tr("Syncing “%1” would delete {n} contacts from %2"),
            )
            .replace("%1", self.partnership)
            .replace("%2", self._store_name(store))
        )

    def _show_emptied(self, emptied: Emptied) -> None:
        n, empty = len(self.items), self._store_name(emptied.store)
        self.setWindowTitle(self.tr("%1 is empty").replace("%1", empty))
        self.title.setText(
            self.tr("%1 now holds no contacts (it held %2 at the last sync)")
            .replace("%1", empty)
            .replace("%2", QLocale().toString(emptied.held))
        )
        self.explanation.setText(
            wording.plural(
                n,
                self.tr(
                    "Syncing “%1” would delete {n} contact from %2 too. If you emptied it on "
                    "purpose, delete them and sync. If not (a file replaced, a folder moved, a "
                    "phone reset), cancel: nothing is deleted and the sync stays stopped. "
                    "Deleted contacts are kept in the history and can be restored."
                ),
                self.tr(
                    "Syncing “%1” would delete {n} contacts from %2 too. If you emptied it on "
                    "purpose, delete them and sync. If not (a file replaced, a folder moved, a "
                    "phone reset), cancel: nothing is deleted and the sync stays stopped. "
                    "Deleted contacts are kept in the history and can be restored."
                ),
            )
            .replace("%1", self.partnership)
            .replace("%2", self._store_name(self.store))
        )

    def _warning_icon(self) -> QLabel:
        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size)
        )
        return icon

    def _mass_text(self) -> str:
        return self.tr(
            "They were deleted on the other side since the last sync, which is a large "
            "share of the store. If that is not what you meant (a folder moved, a phone "
            "reset), cancel: nothing is deleted and the sync stays stopped. Deleted "
            "contacts are kept in the history and can be restored."
        )

    def _buttons(self) -> QDialogButtonBox:
        """Cancel is the default; deleting takes a deliberate click."""
        buttons = QDialogButtonBox(self)
        self.delete_button = QPushButton(self.tr("&Delete them and sync"), self)
        self.delete_button.setObjectName("guardDelete")
        self.delete_button.setAutoDefault(False)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("guardCancel")
        self.cancel_button.setDefault(True)
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.clicked.connect(self._on_delete)
        buttons.rejected.connect(self.reject)
        return buttons

    def _store_name(self, store: str) -> str:
        row = self.controller.row(self.partnership)
        if row is not None:
            for spec in (row.partnership.a, row.partnership.b):
                if store in (spec, spec.partition(":")[2]):
                    return self.controller.store_name(spec)
        if ":" in store:
            return self.controller.store_name(store)
        return store.rstrip("/").rsplit("/", 1)[-1] or store

    def _on_delete(self) -> None:
        # the approval is for the list shown: a store that lost more since stops again
        approval = Approval(self.store, len(self.items))
        self.controller.sync([self.partnership], approved_deletes=approval)
        self.accept()

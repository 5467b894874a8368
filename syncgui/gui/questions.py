"""The main window's two questions: remove a partnership, and quit while work is left.
Each is window-modal (``open()``) and says ``confirmed`` only on its destructive button;
Cancel is the default."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from syncgui.gui import wording


class _Question(QMessageBox):
    confirmed = Signal()

    def __init__(self, title: str, text: str, parent: QWidget | None) -> None:
        super().__init__(
            QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent
        )
        self._yes: QAbstractButton | None = None
        self.finished.connect(self._on_finished)

    def _buttons(self, yes: str, role: QMessageBox.ButtonRole) -> None:
        self._yes = self.addButton(yes, role)
        self.setDefaultButton(self.addButton(QMessageBox.StandardButton.Cancel))

    def _on_finished(self, _result: int) -> None:
        if self._yes is not None and self.clickedButton() is self._yes:
            self.confirmed.emit()


class RemoveQuestion(_Question):
    """Remove the partnership ``name``? (Nothing is deleted from the stores.)"""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(
            self.tr("Remove partnership"),
            self.tr("Remove the partnership “%1”?").replace("%1", name),
            parent,
        )
        self.setObjectName("removeBox")
        self.setInformativeText(
            self.tr(
                "No contact is deleted: both stores keep what they hold now; they just "
                "stop being synced. Its unresolved conflicts are forgotten."
            )
        )
        self._buttons(self.tr("&Remove"), QMessageBox.ButtonRole.DestructiveRole)


class QuitQuestion(_Question):
    """Quit while ``busy`` syncs run and ``waiting`` jobs (the running syncs included)
    are not done? Quitting cancels the syncs and drops the rest."""

    def __init__(self, busy: int, waiting: int, parent: QWidget | None = None) -> None:
        super().__init__(
            self.tr("Quit syncgui"),
            self.tr("A sync is running. Quit anyway?")
            if busy
            else wording.plural(
                waiting,
                self.tr("{n} task is still waiting. Quit anyway?"),
                self.tr("{n} tasks are still waiting. Quit anyway?"),
            ),
            parent,
        )
        self.setObjectName("quitBox")
        self.setInformativeText(self._consequences(busy, waiting))
        self._buttons(self.tr("&Quit"), QMessageBox.ButtonRole.AcceptRole)

    def _consequences(self, busy: int, waiting: int) -> str:
        text = self.tr(
            "The running sync is cancelled; nothing is left half-written. It runs again next time."
        )
        dropped = waiting - busy  # (the count includes the running syncs)
        if dropped <= 0:
            return text
        lost = wording.plural(
            dropped,
            self.tr(
                "{n} waiting task (such as resolving a conflict or adding a partnership) "
                "is dropped: do it again after the next start."
            ),
            self.tr(
                "{n} waiting tasks (such as resolving conflicts or adding a partnership) "
                "are dropped: do them again after the next start."
            ),
        )
        return f"{text} {lost}" if busy else lost

"""Edit a partnership after it was made: its name, direction, conflict policy and schedule
(saved on the job thread, after a sync of it that runs); reset it (forget what was synced,
match the contacts again on the next sync) or remove it. Neither reset nor remove deletes
a contact anywhere, and both questions say so."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from syncgui.engine import Direction, Policy
from syncgui.gui import wording
from syncgui.gui.controller import AppController
from syncgui.gui.partnership_fields import DirectionChoice, fill_policies
from syncgui.gui.questions import RemoveQuestion
from syncgui.gui.schedule_dialog import ScheduleFields
from syncgui.gui.widgets import heading, while_alive, wrapping_label
from syncgui.service import Partnership, Schedule, SyncPort

log = logging.getLogger(__name__)


class ResetQuestion(QMessageBox):
    """Reset the partnership ``name``? ``confirmed`` only on its Reset button (Cancel is
    the default)."""

    confirmed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(
            QMessageBox.Icon.Question,
            self.tr("Reset partnership"),
            self.tr("Reset the partnership “%1”?").replace("%1", name),
            QMessageBox.StandardButton.NoButton,
            parent,
        )
        self.setObjectName("resetBox")
        self.setInformativeText(
            self.tr(
                "syncgui forgets what it has synced between the two stores. The next sync "
                "looks at both afresh and matches their contacts again, as on the first sync "
                "(contacts that are the same person are combined, the others are copied "
                "across).\n\nNo contact is deleted anywhere: both stores keep what they hold "
                "now. Unresolved conflicts of this partnership are forgotten."
            )
        )
        self._yes = self.addButton(self.tr("&Reset"), QMessageBox.ButtonRole.DestructiveRole)
        self.setDefaultButton(self.addButton(QMessageBox.StandardButton.Cancel))
        self.finished.connect(self._on_finished)

    def _on_finished(self, _result: int) -> None:
        if self.clickedButton() is self._yes:
            self.confirmed.emit()


class EditPartnershipDialog(QDialog):
    """Edit the partnership ``name``. ``saved(name)`` after a save (the name it has now),
    ``removed(name)`` after a removal."""

    saved = Signal(str)
    removed = Signal(str)

    def __init__(self, controller: AppController, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.name = name
        self.setObjectName("editPartnership")
        self.setWindowTitle(self.tr("Edit partnership %1").replace("%1", name))
        row = controller.row(name)
        self.partnership = row.partnership if row is not None else Partnership(name, "", "")
        self.original_schedule = row.schedule if row is not None else Schedule()
        self._busy = False
        self._build()
        self._load()
        char, line = self.fontMetrics().averageCharWidth(), self.fontMetrics().height()
        self.resize(char * 80, line * 30)

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        p = self.partnership
        a, b = self.controller.store_name(p.a), self.controller.store_name(p.b)
        self.stores = heading(f"{a}  {wording.direction_arrow(p.direction)}  {b}", self, 1.1)
        self.stores.setObjectName("editStores")
        self.stores.setToolTip(f"{p.a}\n{p.b}")
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("name")
        self.name_edit.setMaxLength(64)
        self.name_edit.textChanged.connect(self._on_changed)
        self.directions = DirectionChoice(self)
        self.directions.name_stores(a, b)
        self.two_way, self.a_to_b, self.b_to_a = self.directions.radios()
        self.directions.group.buttonToggled.connect(self._on_changed)
        self.policy = QComboBox(self)
        self.policy.setObjectName("policy")
        fill_policies(self.policy, a, b)
        self.policy_help = wrapping_label("", self)
        self.policy.currentIndexChanged.connect(self._on_policy_changed)
        self.schedule = ScheduleFields(self.original_schedule, self)
        kinds = {wording.store_kind(p.a), wording.store_kind(p.b)}
        self.schedule.show_for(phone="phone" in kinds, local=bool(kinds & {"folder", "file"}))
        for box in (self.schedule.on_connect, self.schedule.on_change):
            box.toggled.connect(self._on_changed)
        self.schedule.interval.valueChanged.connect(self._on_changed)
        self.status = wrapping_label("", self)
        self.status.setObjectName("editStatus")
        self.status.setVisible(False)
        form = QFormLayout()
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(self.tr("Direction:"), self.two_way)
        form.addRow("", self.a_to_b)
        form.addRow("", self.b_to_a)
        form.addRow(self.tr("When both sides &change a contact:"), self.policy)
        form.addRow("", self.policy_help)
        form.addRow(self.schedule)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stores)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addWidget(self._build_buttons())

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton(
            self.tr("&Save"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("save")
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.reset_button = QPushButton(self.tr("Rese&t…"), self)
        self.reset_button.setObjectName("reset")
        self.reset_button.setToolTip(
            self.tr(
                "Forget what was synced and match the contacts again on the next sync "
                "(for a partnership that went wrong). No contact is deleted."
            )
        )
        self.remove_button = QPushButton(self.tr("Re&move…"), self)
        self.remove_button.setObjectName("remove")
        self.remove_button.setToolTip(self.tr("Stop syncing these stores. No contact is deleted."))
        for button in (self.reset_button, self.remove_button):
            button.setAutoDefault(False)
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ResetRole)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.reset_button.clicked.connect(self.ask_reset)
        self.remove_button.clicked.connect(self.ask_remove)
        return buttons

    def _load(self) -> None:
        p = self.partnership
        self.name_edit.setText(p.name)
        self.directions.set_direction(p.direction)
        self.policy.setCurrentIndex(max(0, self.policy.findData(p.policy)))
        self._on_policy_changed()
        self._on_changed()

    # -- reading ----------------------------------------------------------------------
    def new_name(self) -> str:
        return self.name_edit.text().strip()

    def direction(self) -> Direction:
        return self.directions.direction(self.partnership.direction)

    def chosen_policy(self) -> Policy:
        data = self.policy.currentData()
        return data if isinstance(data, Policy) else self.partnership.policy

    def name_problem(self) -> str:
        """Why the name typed cannot be saved ("" when it can)."""
        name = self.new_name()
        if not name:
            return self.tr("Give the partnership a name.")
        taken = {r.partnership.name for r in self.controller.rows()} - {self.name}
        if name in taken:
            return self.tr("Another partnership is called “%1”.").replace("%1", name)
        return ""

    def changed(self) -> bool:
        p = self.partnership
        return (
            self.new_name() != p.name
            or self.direction() is not p.direction
            or self.chosen_policy() is not p.policy
            or self.schedule.schedule() != self.original_schedule
        )

    # -- updates ----------------------------------------------------------------------
    def _on_policy_changed(self, _index: int = 0) -> None:
        p = self.partnership
        a, b = self.controller.store_name(p.a), self.controller.store_name(p.b)
        self.policy_help.setText(wording.policy_help(self.chosen_policy(), a, b))
        self._on_changed()

    def _on_changed(self, *_args: object) -> None:
        if not hasattr(self, "save_button"):
            return  # still building
        problem = self.name_problem()
        if not self._busy:
            self._say(problem)
        self.save_button.setEnabled(not self._busy and not problem and self.changed())

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        for w in (
            self.name_edit,
            self.two_way,
            self.a_to_b,
            self.b_to_a,
            self.policy,
            self.schedule,
            self.reset_button,
            self.remove_button,
        ):
            w.setEnabled(not busy)
        self._say(text)
        self._on_changed()

    # -- saving -----------------------------------------------------------------------
    def save(self) -> None:
        """Save what changed on the job thread (after a sync of it that runs); the dialog
        closes when it is saved and stays open with the reason when it is not."""
        if self._busy or self.name_problem():
            return
        if not self.changed():
            self.accept()
            return
        p, old = self.partnership, self.name
        new_name = self.new_name()
        rename = new_name if new_name != p.name else None
        direction = self.direction() if self.direction() is not p.direction else None
        policy = self.chosen_policy() if self.chosen_policy() is not p.policy else None
        schedule = self.schedule.schedule()
        schedule_changed = schedule != self.original_schedule

        def work(service: SyncPort) -> str:  # job thread
            if rename is not None or direction is not None or policy is not None:
                service.set_partnership(old, new_name=rename, direction=direction, policy=policy)
            name = rename or old
            if schedule_changed or rename is not None:  # (a renamed one keeps its schedule)
                service.set_schedule(name, schedule)
            return name

        log.info("saving the partnership %s", old)
        self._set_busy(True, self.tr("Saving…"))
        self.controller.call(
            work,
            while_alive(self, self._on_saved),
            while_alive(self, self._on_failed),
            resources=self.controller.resources(old),  # after a sync of it that runs
        )

    def _on_saved(self, name: object) -> None:
        self.controller.refresh()
        self._busy = False
        self.saved.emit(str(name))
        self.accept()

    def _on_failed(self, message: str) -> None:
        self._set_busy(False)
        self._say(self.tr("Not saved: %1").replace("%1", message))
        self.controller.refresh()

    # -- reset and remove -------------------------------------------------------------
    def ask_reset(self) -> ResetQuestion:
        box = ResetQuestion(self.name, self)
        box.confirmed.connect(self.reset)
        box.open()
        return box

    def reset(self) -> None:
        """Forget what was synced (on the job thread); the dialog stays open."""
        name = self.name
        log.info("resetting the partnership %s", name)
        self._set_busy(True, self.tr("Resetting…"))

        def done(_result: object) -> None:
            self._set_busy(False)
            self._say(
                self.tr(
                    "Reset: the next sync matches the contacts of both stores again. "
                    "No contact was deleted."
                )
            )
            self.controller.refresh()

        def failed(message: str) -> None:
            self._set_busy(False)
            self._say(self.tr("Not reset: %1").replace("%1", message))

        self.controller.call(
            lambda s: s.reset_partnership(name),
            while_alive(self, done),
            while_alive(self, failed),
            resources=self.controller.resources(name),
        )

    def ask_remove(self) -> RemoveQuestion:
        box = RemoveQuestion(self.name, self)
        box.confirmed.connect(self.remove)
        box.open()
        return box

    def remove(self) -> None:
        """Remove the partnership (on the job thread); the dialog closes once it is."""
        name = self.name
        log.info("removing the partnership %s", name)
        self._set_busy(True, self.tr("Removing…"))

        def done(_result: object) -> None:
            self.controller.refresh()
            self.removed.emit(name)
            self._busy = False
            self.accept()

        def failed(message: str) -> None:
            self._set_busy(False)
            self._say(self.tr("Not removed: %1").replace("%1", message))
            self.controller.refresh()

        self.controller.call(
            lambda s: s.remove_partnership(name),
            while_alive(self, done),
            while_alive(self, failed),
            resources=self.controller.resources(name),
        )

    def reject(self) -> None:
        if self._busy:  # a save, reset or removal is under way: its answer closes it
            return
        super().reject()

"""Edit when a partnership syncs by itself; also the schedule fields the wizard and the
edit dialog reuse. The phone option shows only when a store is a phone, the local-change
option only when a store is on this computer, and a sentence under them says what will
happen ("Syncs only when you ask or when a file changes")."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui import wording
from syncgui.gui.widgets import wrapping_label
from syncgui.service import Schedule


class ScheduleFields(QWidget):
    """Interval (0: no timed sync), on connect, on change; :meth:`show_for` shows the
    options that apply to the partnership's stores (a hidden option keeps its value: it
    has no effect on stores it does not apply to)."""

    def __init__(self, schedule: Schedule | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        schedule = schedule or Schedule()
        self._phone = self._local = True
        self.interval = QSpinBox(self)
        self.interval.setObjectName("interval")
        self.interval.setRange(0, 24 * 60)
        self.interval.setSingleStep(15)
        self.interval.setSpecialValueText(self.tr("off"))
        self.interval.setPrefix(self.tr("every "))
        self.interval.setSuffix(self.tr(" min"))
        self.interval.setValue(schedule.interval_minutes)
        self.on_connect = QCheckBox(self.tr("When the &phone is connected"), self)
        self.on_connect.setObjectName("onConnect")
        self.on_connect.setChecked(schedule.on_connect)
        self.on_change = QCheckBox(self.tr("When a local &folder or file changes"), self)
        self.on_change.setObjectName("onChange")
        self.on_change.setChecked(schedule.on_change)
        self.summary = wrapping_label("", self)
        self.summary.setObjectName("scheduleSummary")
        also = QWidget(self)
        column = QVBoxLayout(also)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.on_connect)
        column.addWidget(self.on_change)
        self.also = also
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow(self.tr("&Timed sync:"), self.interval)
        self.form.addRow(self.tr("Also sync:"), also)
        self.form.addRow("", self.summary)
        self.interval.valueChanged.connect(self._update_summary)
        self.on_connect.toggled.connect(self._update_summary)
        self.on_change.toggled.connect(self._update_summary)
        self._update_summary()

    def show_for(self, phone: bool, local: bool) -> None:
        """Show the phone option only when a store is a phone, the change option only when
        a store is a local folder or file (or a phone folder the app watches)."""
        self._phone, self._local = phone, local
        self.on_connect.setVisible(phone)
        self.on_change.setVisible(local)
        self.form.setRowVisible(self.also, phone or local)
        self._update_summary()

    def _update_summary(self, *_args: object) -> None:
        self.summary.setText(wording.schedule_sentence(self.effective()))

    def effective(self) -> Schedule:
        """What will happen: the options that apply to these stores."""
        s = self.schedule()
        on_connect, on_change = s.on_connect and self._phone, s.on_change and self._local
        return Schedule(s.interval_minutes, on_connect, on_change)

    def schedule(self) -> Schedule:
        return Schedule(
            self.interval.value(), self.on_connect.isChecked(), self.on_change.isChecked()
        )


class ScheduleDialog(QDialog):
    def __init__(
        self,
        name: str,
        schedule: Schedule,
        parent: QWidget | None = None,
        *,
        phone: bool = True,
        local: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Schedule of %1").replace("%1", name))
        self.fields = ScheduleFields(schedule, self)
        self.fields.show_for(phone, local)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            wrapping_label(self.tr("When should “%1” sync by itself?").replace("%1", name), self)
        )
        layout.addWidget(self.fields)
        layout.addWidget(buttons)

    def schedule(self) -> Schedule:
        return self.fields.schedule()

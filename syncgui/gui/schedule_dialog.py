"""Edit when a partnership syncs by itself; also the schedule fields the wizard reuses."""

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

from syncgui.gui.widgets import wrapping_label
from syncgui.service import Schedule


class ScheduleFields(QWidget):
    """Interval (0: only when asked), on connect, on change."""

    def __init__(self, schedule: Schedule | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        schedule = schedule or Schedule()
        self.interval = QSpinBox(self)
        self.interval.setObjectName("interval")
        self.interval.setRange(0, 24 * 60)
        self.interval.setSingleStep(15)
        self.interval.setSpecialValueText(self.tr("never (only when asked)"))
        self.interval.setSuffix(self.tr(" min"))
        self.interval.setValue(schedule.interval_minutes)
        self.on_connect = QCheckBox(self.tr("When the &phone is connected"), self)
        self.on_connect.setObjectName("onConnect")
        self.on_connect.setChecked(schedule.on_connect)
        self.on_change = QCheckBox(self.tr("When a local &folder or file changes"), self)
        self.on_change.setObjectName("onChange")
        self.on_change.setChecked(schedule.on_change)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Sync &every:"), self.interval)
        form.addRow(self.tr("Also sync:"), self.on_connect)
        form.addRow("", self.on_change)

    def schedule(self) -> Schedule:
        return Schedule(
            self.interval.value(), self.on_connect.isChecked(), self.on_change.isChecked()
        )


class ScheduleDialog(QDialog):
    def __init__(self, name: str, schedule: Schedule, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Schedule of %1").replace("%1", name))
        self.fields = ScheduleFields(schedule, self)
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

"""The demo, visibly a demo: a banner over the main window with "Leave the demo", and the
question New partnership asks there (a user's own partnership goes to their own profile,
never into the demo's, where syncgui-cli, Start at login and their own window would not
see it)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyle,
    QWidget,
)

from syncgui.gui.widgets import tint, wrapping_label


class DemoBanner(QFrame):
    """ "This is the demo: …" with a Leave the demo button (``leave_clicked``)."""

    leave_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demoBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        info = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        icon.setPixmap(info.pixmap(size, size))
        self.text = wrapping_label(
            self.tr(
                "<b>This is the demo:</b> a made-up address book and a virtual phone to try "
                "syncing and settling a conflict on. Your own contacts and partnerships are "
                "not here, and nothing you do here reaches them."
            ),
            self,
        )
        self.text.setObjectName("demoText")
        self.leave_button = QPushButton(self.tr("&Leave the demo"), self)
        self.leave_button.setObjectName("leaveDemo")
        self.leave_button.setToolTip(
            self.tr("Close the demo and open syncgui with your own partnerships")
        )
        self.leave_button.clicked.connect(self.leave_clicked)
        layout = QHBoxLayout(self)
        margin = self.fontMetrics().height() // 2
        layout.setContentsMargins(margin, margin // 2, margin, margin // 2)
        layout.addWidget(icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.leave_button)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """A background between the base and the highlight colour of the palette in use
        (worked out at each paint, so a switch to a dark theme follows): it stands out in
        a light and a dark palette alike, and the text stays readable."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), tint(self.palette(), 0.3))
        painter.end()
        super().paintEvent(event)


class LeaveDemoQuestion(QMessageBox):
    """New partnership in the demo: leave the demo and make it in your own profile?
    ``confirmed`` only on the leave button, which is the default (nothing is lost: the
    demo stays as it is)."""

    confirmed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            QMessageBox.Icon.Question,
            self.tr("Leave the demo"),
            self.tr("Leave the demo and make the partnership in your own profile?"),
            QMessageBox.StandardButton.NoButton,
            parent,
        )
        self.setObjectName("leaveDemoBox")
        self.setInformativeText(
            self.tr(
                "The demo is a profile of its own: a partnership made here would stay in the "
                "demo, out of sight of your own syncgui, of syncgui-cli and of Start at login. "
                "syncgui closes the demo and opens your own profile with the New partnership "
                "wizard. The demo stays as it is (Help → Try the demo)."
            )
        )
        self._leave = self.addButton(
            self.tr("&Leave the demo and continue"), QMessageBox.ButtonRole.AcceptRole
        )
        self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self._leave)
        self.finished.connect(self._on_finished)

    def leave_button(self) -> QPushButton:
        return self._leave

    def _on_finished(self, _result: int) -> None:
        if self.clickedButton() is self._leave:
            self.confirmed.emit()

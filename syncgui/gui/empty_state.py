"""What a first run shows instead of an empty partnerships list."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from syncgui.gui.widgets import heading, wrapping_label


class EmptyState(QWidget):
    """A welcome with two ways in: the demo profile, or a first partnership."""

    demo_clicked = Signal()
    new_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        title = heading(self.tr("Keep your contacts in step"), self, 1.5)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = title
        text = wrapping_label(
            self.tr(
                "A partnership keeps two places that hold contacts in step: a phone, a folder "
                "of vCards, a .vcf file or an online address book. Changes on either side "
                "reach the other; when both "
                "sides change the same contact, you decide.\n\n"
                "New here? The demo sets up a virtual phone and an address book with a few "
                "contacts (one edited on both sides) so you can watch a sync and resolve a "
                "conflict. Your own contacts are not touched."
            ),
            self,
        )
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = text
        self._welcome = (title.text(), text.text())
        width = self.fontMetrics().averageCharWidth() * 76
        text.setFixedWidth(width)
        text.setMinimumHeight(text.heightForWidth(width))  # never cut the second paragraph
        self.demo_button = QPushButton(self.tr("&Try the demo"), self)
        self.demo_button.setObjectName("tryDemo")
        self.demo_button.clicked.connect(self.demo_clicked)
        self.new_button = QPushButton(self.tr("&New partnership…"), self)
        self.new_button.setObjectName("newPartnership")
        self.new_button.setDefault(True)
        self.new_button.clicked.connect(self.new_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(self.fontMetrics().height())
        layout.addLayout(buttons)
        layout.addStretch(2)

    def show_config_error(self, message: str | None) -> None:
        """A damaged partnerships file is not a first run: say so instead of welcoming, and
        offer nothing that would write the file."""
        if message is None:
            self.title.setText(self._welcome[0])
            self.text.setText(self._welcome[1])
        else:
            self.title.setText(self.tr("Your partnerships could not be read"))
            self.text.setText(
                self.tr(
                    "%1\n\nNothing was changed and nothing is synced until it can be read. "
                    "Fix or move the file, then choose View → Reload."
                ).replace("%1", message)
            )
        self.new_button.setVisible(message is None)
        self.text.setMinimumHeight(self.text.heightForWidth(self.text.width()))

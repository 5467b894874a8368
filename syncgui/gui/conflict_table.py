"""One conflict field by field: label | side A | side B | (when merging) which to keep.
Differing rows are tinted from the palette, clashing ones more strongly and in bold.

The field labels come from the providers in English ("Phone", "Email (NASA)"); the
providers do not use Qt, so the table translates them, in the context "FieldLabel"."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from syncgui.gui.widgets import tint
from syncgui.service import ConflictDetail, ConflictView

FIELD, SIDE_A, SIDE_B, CHOICE = range(4)
Side = Literal["a", "b"]

#: The providers' field labels (``syncgui.providers.vcard.compare.LABELS`` and the vendor
#: fields' ``syncgui.providers.vcard.vendor.labels()``), listed for pyside6-lupdate; a test
#: keeps the lists the same.
FIELD_LABELS = (
    QT_TRANSLATE_NOOP("FieldLabel", "Name"),
    QT_TRANSLATE_NOOP("FieldLabel", "Structured name"),
    QT_TRANSLATE_NOOP("FieldLabel", "Nickname"),
    QT_TRANSLATE_NOOP("FieldLabel", "Phone"),
    QT_TRANSLATE_NOOP("FieldLabel", "Email"),
    QT_TRANSLATE_NOOP("FieldLabel", "Address"),
    QT_TRANSLATE_NOOP("FieldLabel", "Address label"),
    QT_TRANSLATE_NOOP("FieldLabel", "Note"),
    QT_TRANSLATE_NOOP("FieldLabel", "Organization"),
    QT_TRANSLATE_NOOP("FieldLabel", "Job title"),
    QT_TRANSLATE_NOOP("FieldLabel", "Role"),
    QT_TRANSLATE_NOOP("FieldLabel", "Birthday"),
    QT_TRANSLATE_NOOP("FieldLabel", "Anniversary"),
    QT_TRANSLATE_NOOP("FieldLabel", "Gender"),
    QT_TRANSLATE_NOOP("FieldLabel", "Website"),
    QT_TRANSLATE_NOOP("FieldLabel", "Photo"),
    QT_TRANSLATE_NOOP("FieldLabel", "Logo"),
    QT_TRANSLATE_NOOP("FieldLabel", "Sound"),
    QT_TRANSLATE_NOOP("FieldLabel", "Public key"),
    QT_TRANSLATE_NOOP("FieldLabel", "Groups"),
    QT_TRANSLATE_NOOP("FieldLabel", "Instant messaging"),
    QT_TRANSLATE_NOOP("FieldLabel", "Location"),
    QT_TRANSLATE_NOOP("FieldLabel", "Time zone"),
    QT_TRANSLATE_NOOP("FieldLabel", "Language"),
    QT_TRANSLATE_NOOP("FieldLabel", "Kind"),
    QT_TRANSLATE_NOOP("FieldLabel", "Member"),
    QT_TRANSLATE_NOOP("FieldLabel", "Related"),
    QT_TRANSLATE_NOOP("FieldLabel", "Sort as"),
    QT_TRANSLATE_NOOP("FieldLabel", "Date"),
    QT_TRANSLATE_NOOP("FieldLabel", "Related name"),
    QT_TRANSLATE_NOOP("FieldLabel", "Social profile"),
    QT_TRANSLATE_NOOP("FieldLabel", "Android field"),
    QT_TRANSLATE_NOOP("FieldLabel", "Conflict copy of"),
    # well-known vendor fields (``syncgui.providers.vcard.vendor``)
    QT_TRANSLATE_NOOP("FieldLabel", "Address country"),
    QT_TRANSLATE_NOOP("FieldLabel", "Assistant"),
    QT_TRANSLATE_NOOP("FieldLabel", "Blog"),
    QT_TRANSLATE_NOOP("FieldLabel", "Identity"),
    QT_TRANSLATE_NOOP("FieldLabel", "Internet call"),
    QT_TRANSLATE_NOOP("FieldLabel", "Maiden name"),
    QT_TRANSLATE_NOOP("FieldLabel", "Manager"),
    QT_TRANSLATE_NOOP("FieldLabel", "Phonetic first name"),
    QT_TRANSLATE_NOOP("FieldLabel", "Phonetic last name"),
    QT_TRANSLATE_NOOP("FieldLabel", "Phonetic middle name"),
    QT_TRANSLATE_NOOP("FieldLabel", "Phonetic organization"),
    QT_TRANSLATE_NOOP("FieldLabel", "Show as"),
    QT_TRANSLATE_NOOP("FieldLabel", "Spouse"),
)


def field_label(label: str) -> str:
    """A provider's field label in the user's language; a qualifier in brackets ("Phone
    (work)", "Email (NASA)") is the card's own word and stays."""
    name, bracket, qualifier = label.partition(" (")
    return QCoreApplication.translate("FieldLabel", name) + bracket + qualifier


def deleted_side(view: ConflictView) -> Side | None:
    """The side that deleted the contact (the other edited it), if one did."""
    if view.unreachable or (view.a is None) == (view.b is None):
        return None
    return "a" if view.a is None else "b"


def missing_side(view: ConflictView) -> Side | None:
    """The side holding the conflict when it cannot be read now."""
    return view.held_by if view.unreachable else None


def content_of(detail: ConflictDetail) -> tuple[object, ...]:
    """What the user compares and chooses from."""
    return detail.view.a, detail.view.b, detail.rows


class ConflictTable(QTableWidget):
    """``choices`` maps each clashing field to its combo box (side "a" or "b")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 4, parent)
        self.setObjectName("conflictTable")
        self.choices: dict[str, QComboBox] = {}
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(True)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(FIELD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SIDE_A, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SIDE_B, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CHOICE, QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(lambda *_a: self.resizeRowsToContents())

    def show_rows(self, detail: ConflictDetail, a_name: str, b_name: str) -> None:
        self.setRowCount(len(detail.rows))
        self.choices.clear()
        palette = self.palette()
        differ, clash = QBrush(tint(palette, 0.18)), QBrush(tint(palette, 0.4))
        tips = {
            "a-only": self.tr("Only on %1").replace("%1", a_name),
            "b-only": self.tr("Only on %1").replace("%1", b_name),
            "differ": self.tr("Different; a merge combines them"),
            "clash": self.tr("Changed differently on both sides: a merge asks you"),
        }
        absent = self.tr("—")
        newer_b = (detail.b_changed or 0) > (detail.a_changed or 0)
        for r, row in enumerate(detail.rows):
            label = field_label(row.label)
            cells = [
                QTableWidgetItem(label),
                QTableWidgetItem(row.a if row.a is not None else absent),
                QTableWidgetItem(row.b if row.b is not None else absent),
                QTableWidgetItem(""),
            ]
            for c, cell in enumerate(cells):
                if row.state != "same" and c != CHOICE:
                    cell.setBackground(clash if row.state == "clash" else differ)
                    cell.setToolTip(tips.get(row.state, ""))
                if row.state == "clash" and c == FIELD:
                    font = QFont(cell.font())
                    font.setBold(True)
                    cell.setFont(font)
                self.setItem(r, c, cell)
            if row.state == "clash":
                combo = QComboBox(self)
                combo.setObjectName(f"choice:{row.field}")
                combo.addItem(a_name, "a")
                combo.addItem(b_name, "b")
                combo.setCurrentIndex(1 if newer_b else 0)  # the newer change first
                combo.setToolTip(self.tr("Which version of %1 to keep").replace("%1", label))
                self.setCellWidget(r, CHOICE, combo)
                self.choices[row.field] = combo
        self.resizeRowsToContents()

"""The fields that say how a partnership syncs, shared by the wizard and the edit dialog:
the direction (three radio buttons named after the stores) and the conflict policy (a
combo box whose "X wins" entries name the stores)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QButtonGroup, QComboBox, QRadioButton, QWidget

from syncgui.engine import Direction, Policy
from syncgui.gui import wording

__all__ = ["POLICIES", "DirectionChoice", "fill_policies"]

#: the policies offered, in this order (merge first: it loses nothing)
POLICIES = [Policy.MERGE, Policy.ASK, Policy.NEWEST, Policy.A_WINS, Policy.B_WINS, Policy.KEEP_BOTH]

translate = QCoreApplication.translate


class DirectionChoice(QObject):
    """Three radio buttons (object names: the Direction values) in one exclusive group."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.two_way = QRadioButton(parent)
        self.a_to_b = QRadioButton(parent)
        self.b_to_a = QRadioButton(parent)
        for radio in self.radios():
            self.group.addButton(radio)
        self.two_way.setObjectName(Direction.TWO_WAY.value)
        self.a_to_b.setObjectName(Direction.A_TO_B.value)
        self.b_to_a.setObjectName(Direction.B_TO_A.value)
        self.two_way.setChecked(True)

    def radios(self) -> tuple[QRadioButton, QRadioButton, QRadioButton]:
        return self.two_way, self.a_to_b, self.b_to_a

    def name_stores(self, a: str, b: str) -> None:
        """The buttons' words, with the stores' names."""
        self.two_way.setText(
            translate("DirectionChoice", "&Both ways: changes on either side reach the other")
        )
        only = translate("DirectionChoice", "Only &from %1 to %2")
        self.a_to_b.setText(only.replace("%1", a).replace("%2", b))
        only_back = translate("DirectionChoice", "Only f&rom %1 to %2")
        self.b_to_a.setText(only_back.replace("%1", b).replace("%2", a))

    def direction(self, default: Direction = Direction.TWO_WAY) -> Direction:
        checked = self.group.checkedButton()
        return Direction(checked.objectName()) if checked else default

    def set_direction(self, direction: Direction) -> None:
        {
            Direction.TWO_WAY: self.two_way,
            Direction.A_TO_B: self.a_to_b,
            Direction.B_TO_A: self.b_to_a,
        }[direction].setChecked(True)


def fill_policies(combo: QComboBox, a: str, b: str) -> None:
    """Fill ``combo`` with the policies ("X wins" naming the stores ``a`` and ``b``),
    keeping the one chosen, without announcing the refill."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for p in POLICIES:
        text = wording.policy_name(p)
        if p is Policy.A_WINS:
            text = translate("DirectionChoice", "%1 wins").replace("%1", a)
        elif p is Policy.B_WINS:
            text = translate("DirectionChoice", "%1 wins").replace("%1", b)
        combo.addItem(text, p)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.blockSignals(False)

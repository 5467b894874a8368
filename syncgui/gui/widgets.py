"""Small widgets shared by the views: a badge, palette tints, a wrapping label."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget


def tint(palette: QPalette, strength: float = 0.25) -> QColor:
    """The base colour blended towards the highlight: a row background that keeps the
    normal text readable in light and dark themes alike."""
    base = palette.color(QPalette.ColorRole.Base)
    high = palette.color(QPalette.ColorRole.Highlight)
    mix = QColor()
    mix.setRgbF(
        base.redF() + (high.redF() - base.redF()) * strength,
        base.greenF() + (high.greenF() - base.greenF()) * strength,
        base.blueF() + (high.blueF() - base.blueF()) * strength,
    )
    return mix


class Badge(QPushButton):
    """A rounded, clickable count ("2 conflicts") in the palette's highlight colours, so
    it reads on light and dark themes; keyboard-focusable like any button."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setStyleSheet(
            "QPushButton { background: palette(highlight); color: palette(highlighted-text);"
            " border: none; border-radius: 0.6em; padding: 0.1em 0.7em; font-weight: bold; }"
            "QPushButton:focus { border: 2px solid palette(text); }"
        )


def wrapping_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def heading(text: str, parent: QWidget | None = None, scale: float = 1.3) -> QLabel:
    """A bold label somewhat larger than the system font (scaled, never a fixed size)."""
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def while_alive(widget: QObject, fn: Callable[..., None]) -> Callable[..., None]:
    """``fn``, made to do nothing once ``widget`` is destroyed: for a job's result that
    arrives after its dialog was closed."""
    alive = [True]
    widget.destroyed.connect(lambda *_a: alive.__setitem__(0, False))

    def call(*args: Any) -> None:
        if alive[0]:
            fn(*args)

    return call

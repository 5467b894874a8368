"""The app icon and the tray's state icons, drawn at every size a panel asks for.

The app icon is the SVG in ``resources/icons/hicolor/scalable/apps`` rendered with
QSvgRenderer (crisp at any size and device pixel ratio). Each state icon is that drawing
with a badge painted over it in code: a turning arc while syncing, a yellow warning
triangle for conflicts, a red circle for errors; paused turns the drawing grey with a
pause sign. Icons are built once and cached (they need a QGuiApplication)."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QIcon,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)

from syncgui import APP_ID
from syncgui.gui.state import Overall

__all__ = ["SIZES", "SYNC_FRAMES", "app_icon", "state_icon"]

log = logging.getLogger(__name__)

SIZES = (16, 22, 24, 32, 48, 64)
SYNC_FRAMES = 8  # frames of the turning "syncing" badge
_SCALE = 2  # pixmaps are drawn at twice each size for HiDPI panels

_BLUE = QColor("#1c5fc7")
_GREEN = QColor("#2e9d4a")
_YELLOW = QColor("#f5b400")
_RED = QColor("#d93025")
_GREY = QColor("#6b6b6b")


@cache
def _svg_bytes() -> bytes | None:
    from syncgui.gui.resources import ICON_SVG, resource_path

    try:
        return resource_path(ICON_SVG).read_bytes()
    except OSError as err:
        log.warning("the app icon is missing, drawing a plain one: %s", err)
        return None


def _base_image(px: int) -> QImage:
    """The app icon at ``px`` pixels (a drawn stand-in when the SVG is missing)."""
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    data = _svg_bytes()
    rendered = False
    if data is not None:
        from PySide6.QtSvg import QSvgRenderer

        renderer = QSvgRenderer(data)
        if renderer.isValid():
            renderer.render(painter, QRectF(0, 0, px, px))
            rendered = True
    if not rendered:
        _draw_plain(painter, px)
    painter.end()
    return image


def _draw_plain(painter: QPainter, px: int) -> None:
    """Two white arrows on a blue rounded square."""
    painter.setBrush(_BLUE)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(px * 0.03, px * 0.03, px * 0.94, px * 0.94), px * 0.2, px * 0.2)
    painter.setPen(_round_pen(QColor("white"), max(1.5, px * 0.08)))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    ring = QRectF(px * 0.25, px * 0.25, px * 0.5, px * 0.5)
    painter.drawArc(ring, 30 * 16, 140 * 16)
    painter.drawArc(ring, 210 * 16, 140 * 16)


def _round_pen(color: QColor, width: float) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def _grey(image: QImage) -> QImage:
    alpha = image.convertToFormat(QImage.Format.Format_Alpha8)
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8).convertToFormat(
        QImage.Format.Format_ARGB32
    )
    grey.setAlphaChannel(alpha)
    return grey


def _badge_rect(px: int) -> QRectF:
    side = px * 0.56
    return QRectF(px - side, px - side, side, side)


def _draw_badge(painter: QPainter, px: int, state: Overall, paused: bool, frame: int) -> None:
    r = _badge_rect(px)
    outline = QPen(QColor("white"), max(1.0, px / 24))
    if paused:
        painter.setPen(outline)
        painter.setBrush(_GREY)
        painter.drawEllipse(r)
        w, h = r.width() * 0.14, r.height() * 0.45
        top = r.center().y() - h / 2
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("white"))
        painter.drawRect(QRectF(r.center().x() - w * 1.6, top, w, h))
        painter.drawRect(QRectF(r.center().x() + w * 0.6, top, w, h))
    elif state is Overall.ERROR:
        painter.setPen(outline)
        painter.setBrush(_RED)
        painter.drawEllipse(r)
        _draw_mark(painter, r, QColor("white"))
    elif state is Overall.CONFLICTS:
        tri = QPainterPath()
        tri.moveTo(r.center().x(), r.top())
        tri.lineTo(r.right(), r.bottom())
        tri.lineTo(r.left(), r.bottom())
        tri.closeSubpath()
        painter.setPen(outline)
        painter.setBrush(_YELLOW)
        painter.drawPath(tri)
        _draw_mark(painter, r.adjusted(0, r.height() * 0.12, 0, 0), QColor("black"))
    elif state is Overall.SYNCING:
        painter.setPen(outline)
        painter.setBrush(_GREEN)
        painter.drawEllipse(r)
        painter.setPen(_round_pen(QColor("white"), max(1.5, r.width() * 0.16)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        inner = r.adjusted(
            r.width() * 0.25, r.height() * 0.25, -r.width() * 0.25, -r.height() * 0.25
        )
        start = -(frame % SYNC_FRAMES) * (360 // SYNC_FRAMES)
        painter.drawArc(inner, start * 16, 270 * 16)


def _draw_mark(painter: QPainter, r: QRectF, color: QColor) -> None:
    """An exclamation mark centred in ``r``."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(color))
    w = r.width() * 0.14
    cx = r.center().x()
    painter.drawRoundedRect(
        QRectF(cx - w / 2, r.top() + r.height() * 0.2, w, r.height() * 0.38), w / 3, w / 3
    )
    painter.drawEllipse(QPointF(cx, r.top() + r.height() * 0.74), w * 0.6, w * 0.6)


def _pixmap(size: int, state: Overall, paused: bool, frame: int) -> QPixmap:
    px = size * _SCALE
    image = _base_image(px)
    if paused:
        image = _grey(image)
    if paused or state is not Overall.IDLE:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _draw_badge(painter, px, state, paused, frame)
        painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(_SCALE)
    return pixmap


_CACHE: dict[tuple[Overall, bool, int], QIcon] = {}


def state_icon(state: Overall, paused: bool = False, frame: int = 0) -> QIcon:
    """The tray icon for ``state`` (``paused`` wins over any state; ``frame`` turns the
    syncing badge)."""
    key = (state, paused, frame % SYNC_FRAMES if state is Overall.SYNCING and not paused else 0)
    icon = _CACHE.get(key)
    if icon is None:
        icon = QIcon()
        for size in SIZES:
            icon.addPixmap(_pixmap(size, *key))
        _CACHE[key] = icon
    return icon


def app_icon() -> QIcon:
    """The application's icon (window title bars, task switchers): the installed theme's,
    else the drawing."""
    icon = QIcon.fromTheme(APP_ID)
    if icon.isNull():
        icon = state_icon(Overall.IDLE)
    return icon

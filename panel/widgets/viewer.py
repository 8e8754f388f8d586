"""The viewer: the frame scaled to fit or zoomed (100%, 200%, the wheel about the cursor, a middle-button
drag pans), the mask overlay, and mask painting.

Mouse positions are mapped back to source pixels before anything is emitted, so strokes land
on the full-resolution mask whatever the zoom and pan. The viewer draws; it never edits the mask
itself (the controller does, then hands the new overlay back), which keeps undo in one place.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from .. import theme
from .images import overlay_image, rgb_image

TOOLS = ("brush", "eraser", "lasso")
ZOOM_MIN, ZOOM_MAX = 0.05, 32.0
WHEEL_STEP = 1.25  # one notch of the wheel


class Viewer(QWidget):
    stroke = Signal(list, bool, bool)  # image points, erase, first segment of a stroke
    stroke_done = Signal()  # the button went up: the stroke is one change (one undo step)
    lasso_done = Signal(list, bool)  # polygon in image points, erase (Alt held)
    wipe_moved = Signal(float)
    zoom_changed = Signal(str)  # "Fit" or "150%"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewer")
        self.setMouseTracking(True)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setFocusPolicy(Qt.StrongFocus)
        self._image: QImage | None = None
        self._overlay: QImage | None = None
        self._size = (0, 0)  # source width, height (the mask's size)
        self.tool: str | None = "brush"
        self.brush = 32
        self.wipe: float | None = None  # wipe position 0..1 when the wipe handle is shown
        self.badges: list[str] = []  # top-left labels
        self.message = "Open a clip to start: File > Open media, image sequence or timeline"
        self._lasso: list[tuple[float, float]] = []
        self._last: tuple[float, float] | None = None
        self._hover: QPointF | None = None
        self._dragging_wipe = False
        self.zoom: float | None = None  # screen pixels per image pixel; None: fit the frame in the viewer
        self._center = (0.0, 0.0)  # the image point at the viewer's centre while zoomed (image pixels)
        self._pan_from: QPointF | None = None  # where a middle-button drag last was

    # ---- content
    def set_frame(self, rgb: np.ndarray | None, source_size: tuple[int, int] | None = None) -> None:
        self._image = None if rgb is None else rgb_image(rgb)
        if source_size:
            self._size = source_size
        elif rgb is not None:
            self._size = (rgb.shape[1], rgb.shape[0])
        self.update()

    def set_overlay(self, mask: np.ndarray | None) -> None:
        self._overlay = None if mask is None or not mask.any() else overlay_image(mask, theme.MASK)
        self.update()

    @property
    def has_frame(self) -> bool:
        return self._image is not None

    # ---- geometry
    def _fit_scale(self) -> float:
        iw, ih = self._image.width(), self._image.height()
        pad = 8
        return max(min((self.width() - 2 * pad) / iw, (self.height() - 2 * pad) / ih), 1e-3)

    def scale(self) -> float:
        """Screen pixels per image pixel now."""
        if self._image is None:
            return 1.0
        return self._fit_scale() if self.zoom is None else self.zoom

    def image_rect(self) -> QRectF:
        if self._image is None:
            return QRectF()
        iw, ih = self._image.width(), self._image.height()
        scale = self.scale()
        w, h = iw * scale, ih * scale
        if self.zoom is None:
            return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        cx, cy = self._center
        return QRectF(self.width() / 2 - cx * scale, self.height() / 2 - cy * scale, w, h)

    def to_image(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> source pixel (the mask's coordinates)."""
        r = self.image_rect()
        sw, sh = self._size
        return ((pos.x() - r.x()) / r.width() * sw, (pos.y() - r.y()) / r.height() * sh)

    def to_widget(self, x: float, y: float) -> QPointF:
        r = self.image_rect()
        sw, sh = self._size
        return QPointF(r.x() + x / sw * r.width(), r.y() + y / sh * r.height())

    def _scale(self) -> float:
        r = self.image_rect()
        return r.width() / self._size[0] if self._size[0] else 1.0

    # ---- zoom and pan
    def zoom_text(self) -> str:
        return "Fit" if self.zoom is None else f"{self.zoom * 100:.0f}%"

    def set_zoom(self, zoom: float | None, about: QPointF | None = None) -> None:
        """Zooms to `zoom` (None: fit) keeping the image point under `about` (default: the centre) still."""
        if self._image is None:
            self.zoom = zoom
            self.zoom_changed.emit(self.zoom_text())
            return
        about = about if about is not None else QPointF(self.width() / 2, self.height() / 2)
        r, scale = self.image_rect(), self.scale()
        point = ((about.x() - r.x()) / scale, (about.y() - r.y()) / scale)  # image pixels under `about`
        if zoom is not None:
            zoom = min(max(zoom, ZOOM_MIN), ZOOM_MAX)
            self._center = (point[0] - (about.x() - self.width() / 2) / zoom,
                            point[1] - (about.y() - self.height() / 2) / zoom)
        self.zoom = zoom
        self.zoom_changed.emit(self.zoom_text())
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's name)
        notches = event.angleDelta().y() / 120
        if not notches or self._image is None:
            return
        self.set_zoom(self.scale() * WHEEL_STEP ** notches, event.position())
        event.accept()

    def pan_by(self, dx: float, dy: float) -> None:
        """Moves the picture by (dx, dy) screen pixels (a fitted picture is zoomed at its fit first)."""
        if self.zoom is None:
            self.set_zoom(self.scale())
        cx, cy = self._center
        self._center = (cx - dx / self.zoom, cy - dy / self.zoom)
        self.update()

    # ---- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._image is not None and event.button() == Qt.MiddleButton:
            self._pan_from = event.position()
            return
        if self._image is None or event.button() != Qt.LeftButton:
            return
        pos = event.position()
        if self.wipe is not None:
            self._dragging_wipe = True
            self._move_wipe(pos)
            return
        point = self.to_image(pos)
        erase = self.tool == "eraser" or bool(event.modifiers() & Qt.AltModifier)
        if self.tool == "lasso":
            self._lasso = [point]
        elif self.tool in ("brush", "eraser"):
            self._last = point
            self.stroke.emit([point], erase, True)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._hover = pos
        if self._pan_from is not None:
            last = self._pan_from
            self.pan_by(pos.x() - last.x(), pos.y() - last.y())
            self._pan_from = pos
            return
        if self._dragging_wipe:
            self._move_wipe(pos)
        elif event.buttons() & Qt.LeftButton and self._image is not None:
            point = self.to_image(pos)
            if self.tool == "lasso" and self._lasso:
                self._lasso.append(point)
            elif self._last is not None:
                erase = self.tool == "eraser" or bool(event.modifiers() & Qt.AltModifier)
                self.stroke.emit([self._last, point], erase, False)
                self._last = point
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MiddleButton:
            self._pan_from = None
            return
        if self._dragging_wipe:
            self._dragging_wipe = False
            return
        if self.tool == "lasso" and len(self._lasso) >= 3:
            self.lasso_done.emit(list(self._lasso), bool(event.modifiers() & Qt.AltModifier))
        elif self._last is not None:
            self.stroke_done.emit()
        self._lasso, self._last = [], None
        self.update()

    def leaveEvent(self, event: object) -> None:
        self._hover = None
        self.update()

    def _move_wipe(self, pos: QPointF) -> None:
        r = self.image_rect()
        self.wipe = min(max((pos.x() - r.x()) / max(r.width(), 1), 0.0), 1.0)
        self.wipe_moved.emit(self.wipe)
        self.update()

    # ---- painting
    def paintEvent(self, event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("#0b0b0c"))
        if self._image is None:
            p.setPen(QColor(theme.DIM))
            p.drawText(self.rect(), Qt.AlignCenter, self.message)
            return
        r = self.image_rect()
        p.drawImage(r, self._image)
        if self._overlay is not None and self.wipe is None:
            p.drawImage(r, self._overlay)
        if self.wipe is not None:
            x = r.x() + self.wipe * r.width()
            p.setPen(QPen(QColor("#f0f0f2"), 1.5))
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            p.setBrush(QColor("#f0f0f2"))
            p.drawEllipse(QPointF(x, r.center().y()), 5, 5)
        if self._lasso:
            path = QPainterPath(self.to_widget(*self._lasso[0]))
            for pt in self._lasso[1:]:
                path.lineTo(self.to_widget(*pt))
            p.setPen(QPen(QColor(theme.KEYFRAME), 1.2, Qt.DashLine))
            p.setBrush(Qt.NoBrush)
            p.drawPath(path)
        if self._hover is not None and self.tool in ("brush", "eraser") and self.wipe is None:
            radius = self.brush / 2 * self._scale()
            p.setPen(QPen(QColor(255, 255, 255, 190), 1))
            p.setBrush(Qt.NoBrush)
            p.drawEllipse(self._hover, radius, radius)
        self._draw_badges(p, r.intersected(QRectF(self.rect())))
        if self.zoom is not None:
            p.setPen(QColor(theme.DIM))
            p.drawText(QRectF(self.rect()).adjusted(8, 8, -8, -8), Qt.AlignRight | Qt.AlignBottom, self.zoom_text())

    def _draw_badges(self, p: QPainter, r: QRectF) -> None:
        font = QFont(self.font())
        font.setPointSizeF(8)
        font.setBold(True)
        p.setFont(font)
        x = r.x() + 8
        for text in self.badges:
            w = p.fontMetrics().horizontalAdvance(text) + 12
            box = QRectF(x, r.y() + 8, w, 18)
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(0, 0, 0, 170))
            p.drawRoundedRect(box, 2, 2)
            p.setPen(QColor("#f0f0f2"))
            p.drawText(box, Qt.AlignCenter, text)
            x += w + 6

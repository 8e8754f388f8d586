"""The frame-accurate scrubber: one position per source frame, keyframes, edited frames, the tracked span,
In and Out."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from .. import theme


class Scrubber(QWidget):
    seek = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.first, self.end, self.frame = 0, 1, 0
        self.clip_span: tuple[int, int] | None = None  # the clip's range inside its handles
        self.keyframes: set[int] = set()
        self.edited: set[int] = set()  # keyframes with an edited image attached (a dot under the diamond)
        self.tracked: tuple[int, int] | None = None
        self.marks: tuple[int, int] | None = None  # In and Out (exclusive), where marked
        self.rate = 24

    def set_range(self, first: int, end: int, clip_span: tuple[int, int] | None = None) -> None:
        self.first, self.end, self.clip_span = first, max(end, first + 1), clip_span
        self.update()

    def show_keys(self, keyframes: Iterable[int], edited: Iterable[int] = ()) -> None:
        """Diamonds and edited dots, both taken from the session at once (never one alone)."""
        self.keyframes, self.edited = set(keyframes), set(edited)
        self.update()

    def set_marks(self, marks: tuple[int, int] | None) -> None:
        self.marks = marks
        self.update()

    def set_frame(self, frame: int) -> None:
        self.frame = frame
        self.update()

    def x_of(self, frame: float) -> float:
        usable = self.width() - 16
        return 8 + (frame - self.first) / max(self.end - self.first, 1) * usable

    def frame_at(self, x: float) -> int:
        usable = max(self.width() - 16, 1)
        f = self.first + (x - 8) / usable * (self.end - self.first)
        return int(min(max(f, self.first), self.end - 1))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.seek.emit(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.LeftButton:
            self.seek.emit(self.frame_at(event.position().x()))

    def paintEvent(self, event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("#131315"))
        h = self.height()
        span = self.end - self.first
        # Ticks: every frame when there is room, else every second (the rate's nominal count).
        step = 1 if self.width() / max(span, 1) > 6 else max(1, self.rate)
        p.setPen(QColor("#3a3a40"))
        for f in range(self.first - self.first % step, self.end + 1, step):
            x = self.x_of(f)
            tall = f % max(1, self.rate) == 0
            p.drawLine(QPointF(x, h - (12 if tall else 6)), QPointF(x, h))
        if self.clip_span:
            a, b = self.clip_span
            p.fillRect(QRectF(self.x_of(a), 4, self.x_of(b) - self.x_of(a), 5), QColor("#3d3d44"))
        if self.tracked:
            a, b = self.tracked
            p.fillRect(QRectF(self.x_of(a), 4, self.x_of(b) - self.x_of(a), 5), QColor(*theme.MASK, 170))
        if self.marks:
            # What Generate renders: the span lit, the frames outside it dimmed, brackets at In and Out.
            a, b = self.marks
            xa, xb = self.x_of(a), self.x_of(b)
            p.fillRect(QRectF(xa, 0, xb - xa, h), QColor(*theme.MARKS, 40))
            p.fillRect(QRectF(0, 0, xa, h), QColor(0, 0, 0, 90))
            p.fillRect(QRectF(xb, 0, self.width() - xb, h), QColor(0, 0, 0, 90))
            p.setPen(QPen(QColor(*theme.MARKS), 2))
            for x, d in ((xa, 5), (xb, -5)):
                p.drawPolyline(QPolygonF([QPointF(x + d, 1), QPointF(x, 1), QPointF(x, h - 1), QPointF(x + d, h - 1)]))
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(theme.KEYFRAME))
        for k in sorted(self.keyframes):
            x, y = self.x_of(k + 0.5) if span < self.width() / 6 else self.x_of(k), 16
            p.drawPolygon(QPolygonF([QPointF(x, y - 5), QPointF(x + 5, y), QPointF(x, y + 5), QPointF(x - 5, y)]))
        p.setBrush(QColor(theme.ACCENT))
        for k in sorted(self.edited):
            x = self.x_of(k + 0.5) if span < self.width() / 6 else self.x_of(k)
            p.drawEllipse(QPointF(x, 25), 2.5, 2.5)
        if self.clip_span is None:
            return  # no clip: no playhead
        # The playhead: the current frame's cell lightly filled (frame-accurate), a thin line
        # and a small head, as in Resolve; a solid block would hide the keyframes under it.
        x = self.x_of(self.frame)
        w = max(self.x_of(self.frame + 1) - x, 1)
        p.setBrush(QColor(229, 72, 59, 60))
        p.drawRect(QRectF(x, 0, w, h))
        mid = x + w / 2
        p.setPen(QPen(QColor(theme.PLAYHEAD), 1.5))
        p.drawLine(QPointF(mid, 0), QPointF(mid, h))
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(theme.PLAYHEAD))
        p.drawPolygon(QPolygonF([QPointF(mid - 6, 0), QPointF(mid + 6, 0), QPointF(mid, 8)]))

"""The clip's audio under the scrubber: one peak per frame, on the scrubber's frame positions.

The peaks are computed off the GUI thread (`model/waveform.py`); this widget only draws what it is
given, so a long clip never stalls playback. Without audio it says so in one dim line.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from .. import theme
from .scrubber import Scrubber


class Waveform(QWidget):
    def __init__(self, scrubber: Scrubber, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scrubber = scrubber  # frame positions are the scrubber's, so a peak sits under its frame
        self.setFixedHeight(30)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.peaks: np.ndarray | None = None  # 0..1, one per frame of [first, first + len)
        self.first = 0
        self.message = ""

    def show_peaks(self, first: int, peaks: np.ndarray | None, message: str = "") -> None:
        self.first, self.peaks, self.message = first, peaks, message
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#101012"))
        h = self.height()
        mid = h / 2
        p.setPen(QColor("#26262a"))
        p.drawLine(QPointF(0, mid), QPointF(self.width(), mid))
        if self.peaks is None or not len(self.peaks):
            if self.message:
                p.setPen(QColor(theme.DIM))
                p.drawText(QRectF(self.rect()).adjusted(8, 0, -8, 0), Qt.AlignLeft | Qt.AlignVCenter, self.message)
            return
        s = self.scrubber
        color = QColor(theme.WAVE)
        marks = s.marks
        for i, peak in enumerate(self.peaks):
            frame = self.first + i
            x0, x1 = s.x_of(frame), s.x_of(frame + 1)
            half = max(float(peak) * (mid - 2), 0.5)
            inside = marks is None or marks[0] <= frame < marks[1]
            p.fillRect(QRectF(x0, mid - half, max(x1 - x0 - 0.5, 0.6), 2 * half),
                       color if inside else QColor(color.red(), color.green(), color.blue(), 90))
        x = s.x_of(s.frame + 0.5)
        p.setPen(QColor(theme.PLAYHEAD))
        p.drawLine(QPointF(x, 0), QPointF(x, h))

"""The render queue: every job across clips, with progress, ETA and Cancel."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import theme
from ..model.queue import QueueEntry

COLUMNS = ("Clip", "Op", "State", "Progress", "ETA")
STATE_COLOR = {"done": theme.GOOD, "failed": theme.BAD, "cancelled": theme.DIM, "running": theme.ACCENT,
               "queued": theme.INFO}


class RenderQueueView(QWidget):
    cancel_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.tree.header().setSectionResizeMode(0, QHeaderView.Stretch)
        for col, width in ((1, 64), (2, 70), (3, 110), (4, 60)):
            self.tree.header().setSectionResizeMode(col, QHeaderView.Fixed)
            self.tree.setColumnWidth(col, width)
        layout.addWidget(self.tree)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel = QPushButton("Cancel job")
        self.cancel.clicked.connect(self._cancel_selected)
        row.addWidget(self.cancel)
        layout.addLayout(row)
        self._items: dict[str, tuple[QTreeWidgetItem, QProgressBar]] = {}

    def show_entry(self, entry: QueueEntry) -> None:
        if entry.job_id not in self._items:
            item = QTreeWidgetItem()
            item.setData(0, Qt.UserRole, entry.job_id)
            self.tree.insertTopLevelItem(0, item)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFixedHeight(14)
            self.tree.setItemWidget(item, 3, bar)
            self._items[entry.job_id] = (item, bar)
        item, bar = self._items[entry.job_id]
        item.setText(0, entry.clip_name)
        item.setText(1, entry.op)
        item.setText(2, entry.state)
        item.setForeground(2, _brush(STATE_COLOR.get(entry.state, theme.TEXT)))
        item.setText(4, entry.eta_text())
        item.setToolTip(2, entry.message or entry.stage)
        bar.setValue(int(entry.fraction * 1000))
        bar.setFormat(f"{entry.frames_done}/{entry.frames_total}" if entry.frames_total else entry.stage or "")

    def select(self, job_id: str) -> None:
        if job_id in self._items:
            self.tree.setCurrentItem(self._items[job_id][0])

    def selected_job(self) -> str:
        item = self.tree.currentItem()
        return item.data(0, Qt.UserRole) if item else ""

    def _cancel_selected(self) -> None:
        if job := self.selected_job():
            self.cancel_requested.emit(job)


def _brush(color: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))

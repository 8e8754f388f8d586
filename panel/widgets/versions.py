"""Versions of this clip with lineage and status, and what can be done with one."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from retakes.bridge.versions import Version

from .. import theme

STATUS_COLOR = {"draft": theme.DIM, "in review": theme.INFO, "approved": theme.GOOD, "rejected": theme.BAD}


def lineage(version: Version, by_id: dict[int, Version]) -> str:
    parent = by_id.get(version.parent_id) if version.parent_id else None
    base = f"edit of {parent.label}" if parent else "from source"
    params = ", ".join(f"{k}={v}" for k, v in sorted(version.params.items()))
    return f"{base} · {version.op}" + (f" ({params})" if params else "")


class VersionsView(QWidget):
    compare_requested = Signal(int, int)  # version ids; 0 means the original
    place_requested = Signal(int, str)  # version id, "track" | "take"
    review_requested = Signal(int)
    reveal_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Version", "Status", "Lineage", "Made"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(2, QHeaderView.Stretch)
        self.tree.setColumnWidth(0, 58)
        self.tree.setColumnWidth(1, 64)
        self.tree.setColumnWidth(3, 44)
        layout.addWidget(self.tree)
        grid = QGridLayout()
        grid.setSpacing(4)
        self.against = QComboBox()
        self.compare = QPushButton("Compare")
        self.compare.setToolTip("Compare the selected version with the original or another version")
        self.place_track = QPushButton("Place as new track")
        self.place_take = QPushButton("Place as take")
        self.review = QPushButton("Send to review")
        self.reveal = QPushButton("Reveal file")
        grid.addWidget(self.against, 0, 0)
        grid.addWidget(self.compare, 0, 1)
        grid.addWidget(self.place_track, 1, 0)
        grid.addWidget(self.place_take, 1, 1)
        grid.addWidget(self.review, 2, 0)
        grid.addWidget(self.reveal, 2, 1)
        layout.addLayout(grid)
        self.compare.clicked.connect(lambda: self._emit(lambda v: self.compare_requested.emit(
            int(self.against.currentData() or 0), v)))
        self.place_track.clicked.connect(lambda: self._emit(lambda v: self.place_requested.emit(v, "track")))
        self.place_take.clicked.connect(lambda: self._emit(lambda v: self.place_requested.emit(v, "take")))
        self.review.clicked.connect(lambda: self._emit(self.review_requested.emit))
        self.reveal.clicked.connect(lambda: self._emit(self.reveal_requested.emit))
        self.versions: list[Version] = []

    def show_versions(self, versions: list[Version]) -> None:
        selected = self.selected_id()
        self.versions = versions
        by_id = {v.id: v for v in versions}
        self.tree.clear()
        for v in reversed(versions):  # newest on top
            made = time.strftime("%H:%M", time.localtime(v.created_at))
            item = QTreeWidgetItem([v.label, v.status, lineage(v, by_id), made])
            item.setData(0, Qt.UserRole, v.id)
            item.setForeground(1, _brush(STATUS_COLOR.get(v.status, theme.TEXT)))
            item.setToolTip(2, v.output_path)
            self.tree.addTopLevelItem(item)
            if v.id == selected:
                self.tree.setCurrentItem(item)
        if self.tree.currentItem() is None and self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.against.clear()
        self.against.addItem("Original", 0)
        for v in versions:
            self.against.addItem(v.label, v.id)

    def selected_id(self) -> int:
        item = self.tree.currentItem()
        return int(item.data(0, Qt.UserRole)) if item else 0

    def select(self, version_id: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.UserRole) == version_id:
                self.tree.setCurrentItem(item)

    def _emit(self, fn) -> None:
        if version := self.selected_id():
            fn(version)


def _brush(color: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))

"""The shots tab: the clip's shots and, per shot, the object's proposed mask to accept or correct."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from retakes.engine.shots import ShotPlan

COLUMNS = ("Shot", "Frames", "Begins", "Mask on", "Status", "Found by", "Score")


class ShotsView(QWidget):
    find_requested = Signal()
    match_requested = Signal()
    decide_requested = Signal(int, str)  # shot, "accepted" | "rejected"
    correct_requested = Signal(int)
    apply_requested = Signal(str)  # the colour
    shot_activated = Signal(int)  # go to the shot's mask frame

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.find_button = QPushButton("Find shots")
        self.find_button.setToolTip("hard cuts and dissolves in this clip")
        self.match_button = QPushButton("Match object")
        self.match_button.setToolTip("find the object masked on this frame in every other shot")
        top.addWidget(self.find_button)
        top.addWidget(self.match_button)
        layout.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.accept_button = QPushButton("Accept")
        self.reject_button = QPushButton("Reject")
        self.correct_button = QPushButton("Correct with my mask")
        self.correct_button.setToolTip("use the mask painted on the current frame for this shot")
        for b in (self.accept_button, self.reject_button, self.correct_button):
            row.addWidget(b)
        layout.addLayout(row)
        bottom = QHBoxLayout()
        self.color = QLineEdit("#2050D0")
        self.color.setToolTip("the object's new colour, '#RRGGBB', in the reference shot's light")
        self.apply_button = QPushButton("Apply to every accepted shot")
        bottom.addWidget(self.color)
        bottom.addWidget(self.apply_button, 1)
        layout.addLayout(bottom)
        self.state = QLabel("Find the shots of this clip, paint the object on one frame, match.")
        self.state.setWordWrap(True)
        self.state.setProperty("role", "dim")
        layout.addWidget(self.state)
        self.find_button.clicked.connect(self.find_requested)
        self.match_button.clicked.connect(self.match_requested)
        self.accept_button.clicked.connect(lambda: self._decide("accepted"))
        self.reject_button.clicked.connect(lambda: self._decide("rejected"))
        self.correct_button.clicked.connect(lambda: self.selected() >= 0 and self.correct_requested.emit(
            self.selected()))
        self.apply_button.clicked.connect(lambda: self.apply_requested.emit(self.color.text().strip()))
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.cellDoubleClicked.connect(lambda r, _c: self.shot_activated.emit(r))
        self.show_plan(None)

    def show_plan(self, plan: ShotPlan | None) -> None:
        keep = self.selected()
        self.table.setRowCount(0)
        for s in plan.shots if plan is not None else []:
            r = self.table.rowCount()
            self.table.insertRow(r)
            cells = (str(s.index), f"{s.start}–{s.end - 1}", s.begins, "" if s.frame is None else str(s.frame),
                     s.status or "—", s.method or "—", f"{s.score:.2f}" if s.method else "")
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        if 0 <= keep < self.table.rowCount():
            self.table.selectRow(keep)
        self.match_button.setEnabled(plan is not None)
        self.apply_button.setEnabled(plan is not None and bool(plan.applied()))
        self._enable()

    def selected(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def status_of(self, row: int) -> str:
        item = self.table.item(row, 4)
        return item.text() if item is not None else ""

    def _decide(self, status: str) -> None:
        if self.selected() >= 0:
            self.decide_requested.emit(self.selected(), status)

    def _enable(self) -> None:
        row = self.selected()
        proposed = row >= 0 and self.status_of(row) in ("proposed", "accepted", "rejected")
        self.accept_button.setEnabled(proposed)
        self.reject_button.setEnabled(proposed)
        self.correct_button.setEnabled(row >= 0)

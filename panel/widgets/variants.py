"""The variants table: one row per variant of the op, one column per parameter it may change.

An empty cell keeps the op panel's value; `Generate variants` renders every row in one job (the
analysis once), each row becoming a version of its own.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from retakes.v1 import engine_pb2 as pb

from ..model.edit import PANEL_OWNED


class VariantsView(QWidget):
    generate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.hint = QLabel("Pick an op; each row is one variant (an empty cell keeps the op panel's value).")
        self.hint.setWordWrap(True)
        self.hint.setProperty("role", "dim")
        layout.addWidget(self.hint)
        self.table = QTableWidget(0, 1)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add = QPushButton("Add variant")
        self.remove = QPushButton("Remove")
        self.generate = QPushButton("Generate variants")
        self.generate.setToolTip("One job renders every row; the tracking and flow run once")
        for button in (self.add, self.remove, self.generate):
            row.addWidget(button)
        layout.addLayout(row)
        self.add.clicked.connect(lambda: self.add_row())
        self.remove.clicked.connect(self._remove)
        self.generate.clicked.connect(self.generate_requested.emit)
        self.op_name = ""
        self.columns: list[str] = ["name"]
        self._set_columns(self.columns)

    def set_op(self, op: pb.OpDescriptor | None) -> None:
        """Columns for `op`'s parameters; the rows are kept when the op stays the same."""
        name = op.name if op is not None else ""
        if name == self.op_name:
            return
        self.op_name = name
        params = [p.name for p in op.params if p.name not in PANEL_OWNED] if op is not None else []
        self.table.setRowCount(0)
        self._set_columns(["name", *params])
        self.hint.setText(f"Variants of {name}: one row each; an empty cell keeps the op panel's value."
                          if name else "Pick an op; each row is one variant.")

    def _set_columns(self, columns: list[str]) -> None:
        self.columns = columns
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)

    def add_row(self, values: dict[str, str] | None = None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        values = {"name": f"{row + 1:02d}", **(values or {})}
        for col, name in enumerate(self.columns):
            self.table.setItem(row, col, QTableWidgetItem(str(values.get(name, ""))))
        return row

    def _remove(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def rows(self) -> list[tuple[str, dict[str, str]]]:
        """(name, {param: text}) for each row, its empty cells left out."""
        out = []
        for row in range(self.table.rowCount()):
            cells = {name: (self.table.item(row, col).text().strip() if self.table.item(row, col) else "")
                     for col, name in enumerate(self.columns)}
            name = cells.pop("name") or f"{row + 1:02d}"
            out.append((name, {k: v for k, v in cells.items() if v}))
        return out

"""The strip above the viewer: mask tools while editing, compare modes while comparing."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from ..model.compare import MODES

MODE_LABELS = {"side": "Side by side", "wipe": "Wipe", "difference": "Difference", "toggle": "Toggle A/B"}


def _button(text: str, tip: str, checkable: bool = False) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    return b


class MaskTools(QFrame):
    tool_chosen = Signal(str)
    invert = Signal()
    clear = Signal()
    undo = Signal()
    redo = Signal()
    feather_step = Signal(bool)
    brush_step = Signal(bool)

    def __init__(self, keys: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolbar")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.setSpacing(4)
        label = QLabel("MASK")
        label.setProperty("role", "section")
        row.addWidget(label)
        self.group = QButtonGroup(self)
        self.tools: dict[str, QToolButton] = {}
        for name, text in (("brush", "Brush"), ("eraser", "Eraser"), ("lasso", "Lasso")):
            b = _button(text, f"{text} ({keys[name]})", True)
            b.clicked.connect(lambda _=False, n=name: self.tool_chosen.emit(n))
            self.group.addButton(b)
            self.tools[name] = b
            row.addWidget(b)
        self.tools["brush"].setChecked(True)
        row.addSpacing(8)
        self.size = _stepper(row, "Size", "32 px", 44, self.brush_step,
                             f"Smaller brush ({keys['brush_smaller']})", f"Bigger brush ({keys['brush_bigger']})")
        row.addSpacing(8)
        self.feather = _stepper(row, "Feather", "0 px", 36, self.feather_step,
                                f"Less feather ({keys['feather_less']})", f"More feather ({keys['feather_more']})")
        row.addSpacing(8)
        for text, signal, key in (("Invert", self.invert, "invert"), ("Clear", self.clear, "clear"),
                                  ("Undo", self.undo, "undo"), ("Redo", self.redo, "redo")):
            b = _button(text, f"{text} ({keys[key]})")
            b.clicked.connect(signal.emit)
            row.addWidget(b)
        self.status = QLabel()
        self.status.setProperty("role", "dim")
        # a long label is cut, never widens the window: the tooltip holds it whole
        self.status.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.status.setContentsMargins(8, 0, 0, 0)
        row.addWidget(self.status, 1)

    def show_state(self, tool: str, brush: int, feather: int, status: str) -> None:
        self.tools[tool].setChecked(True)
        self.size.setText(f"{brush} px")
        self.feather.setText(f"{feather} px")
        self.status.setText(status)
        self.status.setToolTip(status)


class CompareBar(QFrame):
    mode_chosen = Signal(str)
    close_requested = Signal()

    def __init__(self, keys: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolbar")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.setSpacing(4)
        label = QLabel("COMPARE")
        label.setProperty("role", "section")
        row.addWidget(label)
        self.what = QLabel()
        row.addWidget(self.what)
        row.addSpacing(10)
        self.group = QButtonGroup(self)
        self.modes: dict[str, QToolButton] = {}
        for mode in MODES:
            b = _button(MODE_LABELS[mode], f"{MODE_LABELS[mode]} ({keys['compare_' + mode]})", True)
            b.clicked.connect(lambda _=False, m=mode: self.mode_chosen.emit(m))
            self.group.addButton(b)
            self.modes[mode] = b
            row.addWidget(b)
        row.addStretch(1)
        done = _button("Done", f"Back to editing ({keys['compare_exit']})")
        done.clicked.connect(self.close_requested.emit)
        row.addWidget(done)

    def show_state(self, mode: str, left: str, right: str) -> None:
        self.modes[mode].setChecked(True)
        self.what.setText(f"{left}  ◂▸  {right}   (scrubbing stays in sync)")


def _stepper(row, title: str, value: str, width: int, step, less_tip: str, more_tip: str) -> QLabel:
    """"Title  -  value  +" in `row`; the buttons emit `step(False)` / `step(True)`; returns the value label."""
    less = _button("−", less_tip)
    less.clicked.connect(lambda: step.emit(False))
    more = _button("+", more_tip)
    more.clicked.connect(lambda: step.emit(True))
    label = QLabel(value)
    label.setMinimumWidth(width)
    for widget in (QLabel(title), less, label, more):
        row.addWidget(widget)
    return label

"""Op picker and its controls, generated from the engine's OpDescriptors.

A ParamSpec decides its control: number/integer -> spin box with the spec's range and unit,
choice -> combo, bool -> check box, colour -> hex field with a swatch, path -> field with a
browse button, text -> line edit. Params in one exclusive group get a radio button each, so
exactly one is sent. Optional params without a default get a check box: unchecked means "not
given", which is different from any number.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from retakes.v1 import engine_pb2 as pb

from ..model.edit import (
    BOOL,
    CHOICE,
    COLOR,
    INTEGER,
    NUMBER,
    PANEL_OWNED,
    PATH,
    BackendState,
    OpChoice,
    default_of,
)

MASK_WORDS = {pb.MASK_USE_REQUIRED: "needs a mask", pb.MASK_USE_OPTIONAL: "mask optional",
              pb.MASK_USE_NONE: "whole frame"}


class _Control:
    """One param's widget plus how to read it; `enabled` is the optional/exclusive switch."""

    def __init__(self, spec: pb.ParamSpec, widget: QWidget, read: Any, switch: QCheckBox | QRadioButton | None):
        self.spec, self.widget, self.read, self.switch = spec, widget, read, switch

    def value(self) -> Any:
        if self.switch is not None and not self.switch.isChecked():
            return None
        return self.read()


def _label(spec: pb.ParamSpec) -> str:
    return spec.name.replace("_", " ")


OFF_TEXT = "off · engine decides"


def _switched(widget: QWidget, on: bool) -> None:
    """An optional param's control, on or off. Off, it is greyed and a number reads "off", never the
    range's lowest value (a temperature field reading "1667 K" while off says a value is sent)."""
    widget.setEnabled(on)
    if isinstance(widget, QDoubleSpinBox | QSpinBox):
        if on:
            widget.setSpecialValueText("")
            kept = widget.property("kept")
            if kept is not None:
                widget.setValue(kept)
        else:
            if widget.specialValueText() == "":
                widget.setProperty("kept", widget.value())
            widget.setSpecialValueText(OFF_TEXT)
            widget.blockSignals(True)
            widget.setValue(widget.minimum())  # the special text shows at the minimum only
            widget.blockSignals(False)


class OpPanel(QWidget):
    changed = Signal()
    ops_set = Signal()  # the engine's ops are in the picker (after connecting)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        row = QHBoxLayout()
        self.picker = QComboBox()
        self.picker.currentIndexChanged.connect(self._rebuild)
        row.addWidget(self.picker, 1)
        self.mask_use = QLabel()
        self.mask_use.setProperty("role", "dim")
        row.addWidget(self.mask_use)
        outer.addLayout(row)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "dim")
        outer.addWidget(self.summary)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 2, 0, 0)
        self.form.setHorizontalSpacing(8)
        self.form.setVerticalSpacing(3)
        outer.addWidget(self.form_host)
        self.ops: dict[str, pb.OpDescriptor] = {}
        #: the learned backends' states from the capabilities: (op, backend) -> ready or what it needs
        self.learned: dict[tuple[str, str], BackendState] = {}
        self.backend_state = QLabel()
        self.backend_state.setWordWrap(True)
        self.backend_state.setProperty("role", "dim")
        outer.insertWidget(2, self.backend_state)
        self.setting_ops = False
        self.controls: dict[str, _Control] = {}
        self._groups: dict[str, QButtonGroup] = {}

    def _changed(self, *_: object) -> None:
        self.changed.emit()

    def set_ops(self, ops: list[pb.OpDescriptor], hidden: tuple[str, ...] = (),
                learned: dict[tuple[str, str], BackendState] | None = None) -> None:
        """`hidden`: ops with their own button (track) rather than a place in the picker. `learned`: the
        learned backends' states (`model.edit.backend_states`), shown under the op's summary."""
        self.learned = dict(learned or {})
        current = self.picker.currentText()
        self.setting_ops = True  # the engine's list arriving: no change of the editor's
        self.ops = {op.name: op for op in ops}
        self.picker.blockSignals(True)
        self.picker.clear()
        for op in ops:
            if op.name not in hidden:
                self.picker.addItem(op.name)
                self.picker.setItemData(self.picker.count() - 1, op.summary, 3)  # Qt.ToolTipRole
        self.picker.blockSignals(False)
        index = self.picker.findText(current)
        self.picker.setCurrentIndex(index if index >= 0 else self._first_ready())
        self._rebuild()
        self.setting_ops = False
        self.ops_set.emit()

    def _first_ready(self) -> int:
        """The op to start on: the first that needs no file of its own (a plate) nor an edited frame,
        so a new clip does not open on an op that can't run until the editor finds something."""
        for i in range(self.picker.count()):
            op = self.ops[self.picker.itemText(i)]
            if not op.uses_keyframes and not any(p.required and p.type == PATH for p in op.params):
                return i
        return 0

    # ---- the editor's settings, kept with the clip and put back (reopen, undo)
    def state(self) -> dict[str, Any]:
        """The op and every control as set (a value is kept even while its switch is off)."""
        controls = {}
        for name, c in self.controls.items():
            w = c.widget
            if isinstance(w, QDoubleSpinBox | QSpinBox) and c.switch is not None and not c.switch.isChecked():
                value = w.property("kept")
            else:
                value = c.read()
            controls[name] = {"value": value, "on": c.switch.isChecked() if c.switch is not None else True}
        return {"op": self.picker.currentText(), "controls": controls}

    def apply(self, state: dict[str, Any]) -> bool:
        """Puts a `state()` back; False when its op is not one the engine offers (nothing changes then)."""
        if not self.select(str(state.get("op", ""))):
            return False
        self.blockSignals(True)
        try:
            saved_controls = {n: c for n, c in (state.get("controls") or {}).items()
                              if n in self.controls and isinstance(c, dict)}
            # switches first, those turned off before those on (an exclusive group ends on the one chosen)
            for name, saved in sorted(saved_controls.items(), key=lambda item: bool(item[1].get("on"))):
                if self.controls[name].switch is not None:
                    self.controls[name].switch.setChecked(bool(saved.get("on")))
            for name, saved in saved_controls.items():
                control, value = self.controls[name], saved.get("value")
                if value is None:
                    continue
                try:
                    off = control.switch is not None and not control.switch.isChecked()
                    if isinstance(control.widget, QDoubleSpinBox | QSpinBox) and off:
                        control.widget.setProperty("kept", type(control.widget.value())(value))  # shown when on
                    else:
                        self.set_value(name, value, switch_on=False)
                except (TypeError, ValueError):
                    continue  # a value of another type than the control's: that control keeps its own
        finally:
            self.blockSignals(False)
        self.changed.emit()
        return True

    def select(self, name: str) -> bool:
        index = self.picker.findText(name)
        if index >= 0:
            self.picker.setCurrentIndex(index)
        return index >= 0

    @property
    def op(self) -> pb.OpDescriptor | None:
        return self.ops.get(self.picker.currentText())

    def choice(self) -> OpChoice | None:
        op = self.op
        if op is None:
            return None
        values = {name: c.value() for name, c in self.controls.items()}
        chosen = {g: next((n for n, c in self.controls.items()
                           if c.spec.exclusive_group == g and c.switch is not None and c.switch.isChecked()), "")
                  for g in self._groups}
        return OpChoice(op, values, chosen, self.learned)

    def set_value(self, name: str, value: Any, *, switch_on: bool = True) -> None:
        """Sets a control as the editor would (tests, restoring a session): its switch on, then the value."""
        control = self.controls[name]
        if control.switch is not None and switch_on:
            control.switch.setChecked(True)
        w = control.widget
        if isinstance(w, QDoubleSpinBox | QSpinBox):
            w.setValue(value)
        elif isinstance(w, QComboBox):
            w.setCurrentText(str(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        else:
            w.findChild(QLineEdit).setText(str(value)) if not isinstance(w, QLineEdit) else w.setText(str(value))

    # ---- building controls
    def _rebuild(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.controls.clear()
        self._groups.clear()
        op = self.op
        if op is None:
            self.summary.setText("")
            self.mask_use.setText("")
            return
        self.summary.setText(op.summary)
        self.mask_use.setText(MASK_WORDS.get(op.mask, ""))
        generative = self.learned.get((op.name, "generative"))
        self.backend_state.setText("" if generative is None else f"generative: {generative.state}")
        self.backend_state.setVisible(generative is not None)
        for spec in op.params:
            if spec.name in PANEL_OWNED:
                continue
            widget, read = self._widget(spec)
            widget.setToolTip(spec.help)
            switch = self._switch(spec, widget)
            self.controls[spec.name] = _Control(spec, widget, read, switch)
            if switch is None:
                self.form.addRow(_label(spec), widget)
            else:
                row = QHBoxLayout()
                row.addWidget(switch)
                row.addWidget(widget, 1)
                host = QWidget()
                host.setLayout(row)
                row.setContentsMargins(0, 0, 0, 0)
                self.form.addRow(_label(spec), host)
        self.changed.emit()

    def _switch(self, spec: pb.ParamSpec, widget: QWidget) -> QCheckBox | QRadioButton | None:
        if spec.exclusive_group:
            group = self._groups.get(spec.exclusive_group)
            if group is None:
                group = self._groups[spec.exclusive_group] = QButtonGroup(self)
            radio = QRadioButton()
            radio.setToolTip(f"use {_label(spec)} (one of {spec.exclusive_group})")
            group.addButton(radio)
            radio.setChecked(len(group.buttons()) == 1)
            radio.toggled.connect(self._changed)
            return radio
        if not spec.required and default_of(spec) is None and spec.type != BOOL:
            box = QCheckBox()
            box.setToolTip(f"set {_label(spec)} (off: leave it to the engine)")
            box.toggled.connect(lambda on: _switched(widget, on))
            box.toggled.connect(self._changed)
            _switched(widget, False)
            return box
        return None

    def _widget(self, spec: pb.ParamSpec) -> tuple[QWidget, Any]:
        default = default_of(spec)
        if spec.type in (NUMBER, INTEGER):
            box = QDoubleSpinBox() if spec.type == NUMBER else QSpinBox()
            lo = spec.minimum if spec.HasField("minimum") else -1e6
            hi = spec.maximum if spec.HasField("maximum") else 1e6
            if spec.type == NUMBER:
                box.setDecimals(3 if hi - lo <= 2 else 1)
                box.setSingleStep(0.05 if hi - lo <= 2 else 1.0)
                box.setRange(lo, hi)
            else:
                box.setRange(int(max(lo, -2**31)), int(min(hi, 2**31 - 1)))
            box.setSuffix(spec.unit)
            box.setSpecialValueText("")
            if default is not None:
                box.setValue(default)
            elif spec.type == NUMBER and lo <= 0 <= hi:
                box.setValue(0)
            box.valueChanged.connect(self._changed)
            return box, box.value
        if spec.type == CHOICE:
            combo = QComboBox()
            combo.addItems(list(spec.choices))
            if default:
                combo.setCurrentText(str(default))
            combo.currentIndexChanged.connect(self._changed)
            return combo, combo.currentText
        if spec.type == BOOL:
            check = QCheckBox()
            check.setChecked(bool(default))
            check.toggled.connect(self._changed)
            return check, check.isChecked
        line = QLineEdit("" if default is None else str(default))
        line.textChanged.connect(self._changed)
        if spec.type not in (COLOR, PATH):
            return line, line.text
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(3)
        row.addWidget(line, 1)
        button = QPushButton("…" if spec.type == PATH else "")
        button.setFixedWidth(32)
        if spec.type == COLOR:
            line.setPlaceholderText("#RRGGBB")
            line.textChanged.connect(lambda text: button.setStyleSheet(
                f"background: {text};" if QColor(text).isValid() else ""))
            button.clicked.connect(lambda: self._pick_color(line))
        else:
            button.clicked.connect(lambda: self._pick_path(line))
        row.addWidget(button)
        return host, line.text

    def _pick_color(self, line: QLineEdit) -> None:
        color = QColorDialog.getColor(QColor(line.text() or "#ff0000"), self, "Target colour")
        if color.isValid():
            line.setText(color.name())

    def _pick_path(self, line: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file")
        if path:
            line.setText(path)

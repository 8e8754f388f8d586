"""Export presets…: the editor's list of named codec + container pairs, edited in place."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..model.presets import DEFAULTS, SEQUENCE, Preset, problem

CONTAINERS = (".mov", ".mxf", ".mp4", ".mkv", SEQUENCE)


class PresetsDialog(QDialog):
    def __init__(self, presets: list[Preset], codecs: dict[str, tuple[str, ...]] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export presets")
        self.presets = list(presets)
        self.codecs = codecs
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show)
        self.list.setMinimumWidth(300)
        row.addWidget(self.list, 3)
        form_host = QWidget()
        form = QFormLayout(form_host)
        self.name = QLineEdit()
        self.codec = QComboBox()
        self.codec.addItems(sorted(codecs) if codecs else sorted({p.codec for p in DEFAULTS} | {"ffv1"}))
        self.container = QComboBox()
        for c in CONTAINERS:
            self.container.addItem("folder of PNGs" if c == SEQUENCE else c, c)
        form.addRow("Name", self.name)
        form.addRow("Codec", self.codec)
        form.addRow("Container", self.container)
        buttons = QHBoxLayout()
        self.add = QPushButton("Add")
        self.remove = QPushButton("Remove")
        self.reset = QPushButton("Defaults")
        for b in (self.add, self.remove, self.reset):
            buttons.addWidget(b)
        form.addRow(buttons)
        row.addWidget(form_host, 2)
        self.resize(720, 300)
        layout.addLayout(row)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setProperty("role", "dim")
        layout.addWidget(self.problem)
        self.box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.box.accepted.connect(self.accept)
        self.box.rejected.connect(self.reject)
        layout.addWidget(self.box)
        self.add.clicked.connect(self._add)
        self.remove.clicked.connect(self._remove)
        self.reset.clicked.connect(self._reset)
        for edit in (self.name.textEdited, self.codec.currentIndexChanged, self.container.currentIndexChanged):
            edit.connect(self._edited)
        self._loading = False
        self._fill(0)

    def _fill(self, select: int) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for p in self.presets:
            self.list.addItem(f"{p.name}  ·  {p.codec} {p.where}")
        self.list.blockSignals(False)
        self.list.setCurrentRow(min(select, len(self.presets) - 1))
        self._show(self.list.currentRow())

    def _show(self, index: int) -> None:
        self._loading = True
        has = 0 <= index < len(self.presets)
        for w in (self.name, self.codec, self.container, self.remove):
            w.setEnabled(has)
        if has:
            p = self.presets[index]
            self.name.setText(p.name)
            self.codec.setCurrentText(p.codec)
            self.container.setCurrentIndex(max(self.container.findData(p.container), 0))
        self._loading = False
        self._check()

    def _edited(self, *_: object) -> None:
        index = self.list.currentRow()
        if self._loading or not 0 <= index < len(self.presets):
            return
        self.presets[index] = Preset(self.name.text().strip(), self.codec.currentText(), self.container.currentData())
        p = self.presets[index]
        self.list.item(index).setText(f"{p.name}  ·  {p.codec} {p.where}")
        self._check()

    def _check(self) -> None:
        problems = [f"{p.name or '(no name)'}: {why}" for i, p in enumerate(self.presets)
                    if (why := problem(p, self.codecs, self.presets[:i]))]
        if not self.presets:
            problems.append("keep at least one preset")
        self.problem.setText("; ".join(problems))
        self.box.button(QDialogButtonBox.Ok).setEnabled(not problems)

    def _add(self) -> None:
        base = self.presets[self.list.currentRow()] if self.presets else DEFAULTS[0]
        names = {p.name for p in self.presets}
        n = 1
        while f"{base.name} {n + 1}" in names:
            n += 1
        self.presets.append(Preset(f"{base.name} {n + 1}", base.codec, base.container))
        self._fill(len(self.presets) - 1)

    def _remove(self) -> None:
        index = self.list.currentRow()
        if 0 <= index < len(self.presets):
            del self.presets[index]
            self._fill(max(index - 1, 0))

    def _reset(self) -> None:
        self.presets = list(DEFAULTS)
        self._fill(0)


PresetEditor = Callable[[list[Preset], dict[str, tuple[str, ...]] | None], list[Preset] | None]

"""The style library tab: saved reference looks, with Save, Apply and Remove."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ..model.styles import Style


class StylesView(QWidget):
    save_requested = Signal()
    apply_requested = Signal(str)  # the style's name
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.items = QListWidget()
        self.items.setIconSize(QSize(64, 40))
        layout.addWidget(self.items, 1)
        row = QHBoxLayout()
        self.save_button = QPushButton("Save reference…")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("restyle the clip with this look (the restyle op, --reference)")
        self.remove_button = QPushButton("Remove")
        for b in (self.save_button, self.apply_button, self.remove_button):
            row.addWidget(b)
        layout.addLayout(row)
        self.note = QLabel("Reference images saved here restyle any clip: colour and tone, per luminance band.")
        self.note.setWordWrap(True)
        self.note.setProperty("role", "dim")
        layout.addWidget(self.note)
        self.save_button.clicked.connect(self.save_requested)
        self.apply_button.clicked.connect(lambda: self._emit(self.apply_requested))
        self.remove_button.clicked.connect(lambda: self._emit(self.remove_requested))
        self.items.currentRowChanged.connect(lambda _: self._enable())
        self._enable()

    def show_styles(self, styles: list[Style], select: str = "") -> None:
        self.items.clear()
        for s in styles:
            item = QListWidgetItem(QIcon(QPixmap(str(s.path))), s.name)
            item.setData(Qt.UserRole, s.name)
            self.items.addItem(item)
            if s.name == select:
                self.items.setCurrentItem(item)
        self._enable()

    def selected(self) -> str:
        item = self.items.currentItem()
        return item.data(Qt.UserRole) if item is not None else ""

    def _emit(self, signal) -> None:
        if self.selected():
            signal.emit(self.selected())

    def _enable(self) -> None:
        chosen = bool(self.selected())
        self.apply_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

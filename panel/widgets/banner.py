"""A strip above the viewer for what the editor must know now: errors, and the engine being down."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class Banner(QFrame):
    reconnect = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 5, 8, 5)
        self.text = QLabel()
        self.text.setWordWrap(True)
        layout.addWidget(self.text, 1)
        self.reconnect_button = QPushButton("Reconnect")
        self.reconnect_button.clicked.connect(self.reconnect.emit)
        layout.addWidget(self.reconnect_button)
        self.dismiss = QPushButton("✕")
        self.dismiss.setFlat(True)
        self.dismiss.setFixedWidth(24)
        self.dismiss.clicked.connect(self.hide)
        layout.addWidget(self.dismiss)
        self.hide()

    def show_message(self, text: str, *, offer_reconnect: bool = False, level: str = "error") -> None:
        self.text.setText(text)
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.reconnect_button.setVisible(offer_reconnect)
        self.show()

    @property
    def offers_reconnect(self) -> bool:
        return self.isVisible() and self.reconnect_button.isVisibleTo(self)

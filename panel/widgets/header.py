"""Clip header: name, source timecode in/out, rate, resolution, version count."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget


def _pair(label: str) -> tuple[QLabel, QLabel]:
    name = QLabel(label)
    name.setProperty("role", "dim")
    return name, QLabel("—")


class ClipHeader(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(6)
        self.name = QLabel("No clip")
        self.name.setProperty("role", "title")
        layout.addWidget(self.name)
        layout.addSpacing(14)
        self.fields: dict[str, QLabel] = {}
        for key, label in (("tc_in", "IN"), ("tc_out", "OUT"), ("rate", "FPS"), ("size", "RES"),
                           ("versions", "VERSIONS"), ("source", "FROM")):
            dim, value = _pair(label)
            layout.addWidget(dim)
            layout.addWidget(value)
            layout.addSpacing(10)
            self.fields[key] = value
        layout.addStretch(1)

    def show_clip(self, name: str, tc_in: str, tc_out: str, rate: str, size: str, source: str) -> None:
        self.name.setText(name)
        for key, value in (("tc_in", tc_in), ("tc_out", tc_out), ("rate", rate), ("size", size),
                           ("source", source)):
            self.fields[key].setText(value)

    def set_versions(self, count: int) -> None:
        self.fields["versions"].setText(str(count))

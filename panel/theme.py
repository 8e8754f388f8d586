"""The dark, dense look of a grading suite: neutral greys, one warm accent, small type.

Colours follow Resolve's own panels (near-black viewer surround, #1e1e20 panels, #2a2a2d
controls, red playhead); the accent is kept for what starts work (Generate) and the playhead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BG = "#161618"
PANEL = "#1e1e21"
RAISED = "#28282c"
CONTROL = "#303035"
BORDER = "#0c0c0d"
TEXT = "#c9c9cc"
DIM = "#7d7d84"
ACCENT = "#e0803a"
PLAYHEAD = "#e5483b"
KEYFRAME = "#f2c14e"
MASK = (229, 72, 59)  # overlay tint, RGB
MARKS = (106, 168, 216)  # In / Out on the scrubber, RGB
WAVE = "#5d8f6a"  # the audio waveform
GOOD, BAD, INFO = "#6fbf73", "#e5675b", "#6aa8d8"

STYLE = f"""
* {{ color: {TEXT}; font-size: 11px; }}
QMainWindow, QWidget#root {{ background: {BG}; }}
QWidget {{ background: {PANEL}; }}
QLabel {{ background: transparent; }}
QLabel[role="dim"] {{ color: {DIM}; }}
QLabel[role="title"] {{ font-size: 13px; font-weight: 600; color: #e6e6e8; }}
QLabel[role="marks"] {{ color: #6aa8d8; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }}
QLineEdit[role="tc"] {{ font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 15px;
                     color: #f0f0f2; background: {BORDER}; padding: 2px 6px; border-radius: 2px;
                     border: 1px solid {BORDER}; }}
QLineEdit[role="tc"]:focus {{ border-color: {ACCENT}; }}
QLabel[role="tc"] {{ font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 15px;
                     color: #f0f0f2; background: {BORDER}; padding: 2px 8px; border-radius: 2px; }}
QLabel[role="section"] {{ color: {DIM}; font-size: 10px; font-weight: 600; letter-spacing: 1px;
                          padding: 6px 0 2px 0; }}
QFrame#header, QFrame#toolbar, QFrame#transport {{ background: {PANEL}; border-bottom: 1px solid {BORDER}; }}
QFrame#side {{ background: {PANEL}; border-left: 1px solid {BORDER}; }}
QPushButton, QToolButton {{ background: {CONTROL}; border: 1px solid {BORDER}; border-radius: 3px;
                            padding: 3px 9px; min-height: 18px; }}
QPushButton:hover, QToolButton:hover {{ background: #3a3a40; }}
QPushButton:pressed, QToolButton:pressed {{ background: #232326; }}
QToolButton:checked, QPushButton:checked {{ background: #4a4a52; color: #ffffff; border-color: #5c5c66; }}
QPushButton:disabled, QToolButton:disabled {{ color: #55555b; background: #252528; }}
QPushButton[role="primary"] {{ background: {ACCENT}; color: #1a1006; font-weight: 600; border-color: #9a5320; }}
QPushButton[role="primary"]:hover {{ background: #ee9250; }}
QPushButton[role="primary"]:disabled {{ background: #4a3a2e; color: #8a7a6e; }}
QLineEdit, QPlainTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: #121214; border: 1px solid #3a3a40; border-radius: 3px; padding: 2px 5px;
    selection-background-color: {ACCENT}; }}
QLineEdit:focus, QPlainTextEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{
    border-color: {ACCENT}; }}
QLineEdit:disabled, QSpinBox:disabled, QDoubleSpinBox:disabled, QComboBox:disabled {{
    color: #5a5a60; background: #1b1b1d; border-color: #2a2a2e; }}
QCheckBox, QRadioButton {{ spacing: 5px; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 13px; height: 13px; background: #121214;
    border: 1px solid #8a8a92; }}
QCheckBox::indicator {{ border-radius: 2px; }}
QRadioButton::indicator {{ border-radius: 7px; }}
QCheckBox::indicator:hover, QRadioButton::indicator:hover {{ border-color: {ACCENT}; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{ background: {ACCENT}; border-color: #f0a060; }}
QComboBox QAbstractItemView {{ background: {RAISED}; border: 1px solid {BORDER}; }}
QProgressBar {{ background: #121214; border: 1px solid {BORDER}; border-radius: 2px; height: 10px;
                text-align: center; font-size: 10px; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
QTreeWidget, QListWidget {{ background: #18181a; border: 1px solid {BORDER}; alternate-background-color: #1c1c1f; }}
QTreeWidget::item, QListWidget::item {{ padding: 2px 0; }}
QTreeWidget::item:selected, QListWidget::item:selected {{ background: #3b3326; color: #ffffff; }}
QHeaderView::section {{ background: {RAISED}; color: {DIM}; border: none; border-right: 1px solid {BORDER};
                        padding: 3px 6px; font-size: 10px; }}
QTabWidget::pane {{ border: none; border-top: 1px solid {BORDER}; }}
QTabBar::tab {{ background: {PANEL}; color: {DIM}; padding: 5px 12px; border: none; }}
QTabBar::tab:selected {{ color: #f0f0f2; border-bottom: 2px solid {ACCENT}; }}
QSplitter::handle {{ background: {BORDER}; }}
QScrollBar:vertical {{ background: {PANEL}; width: 8px; }}
QScrollBar::handle:vertical {{ background: #3a3a40; border-radius: 4px; min-height: 20px; }}
QSlider::groove:horizontal {{ background: #121214; height: 4px; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: #bdbdc2; width: 10px; margin: -4px 0; border-radius: 5px; }}
QMenuBar {{ background: {PANEL}; border-bottom: 1px solid {BORDER}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: #3b3326; }}
QMenu {{ background: {RAISED}; border: 1px solid {BORDER}; }}
QStatusBar {{ background: {PANEL}; color: {DIM}; border-top: 1px solid {BORDER}; }}
QFrame#banner {{ background: #3a1e1b; border-bottom: 1px solid #6a2c25; }}
QFrame#banner[level="info"] {{ background: #1d2a35; border-bottom: 1px solid #2f4a60; }}
QToolTip {{ background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; }}
"""


def _arrows() -> dict[str, str]:
    """Small arrow images for the spin boxes, drawn once into a cache folder: a style sheet that styles a
    spin box must give its arrows as images, or Qt draws the buttons as empty boxes."""
    from PySide6.QtCore import QPointF, QStandardPaths, Qt
    from PySide6.QtGui import QImage, QPainter, QPolygonF

    folder = Path(QStandardPaths.writableLocation(QStandardPaths.CacheLocation) or tempfile.gettempdir())
    folder = folder / "retakes-theme"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, points, color in (("up", ((1, 6), (4, 2), (7, 6)), TEXT), ("down", ((1, 2), (4, 6), (7, 2)), TEXT),
                                ("up-off", ((1, 6), (4, 2), (7, 6)), "#55555b"),
                                ("down-off", ((1, 2), (4, 6), (7, 2)), "#55555b")):
        path = folder / f"{name}.png"
        if not path.exists():
            image = QImage(9, 8, QImage.Format_ARGB32_Premultiplied)
            image.fill(Qt.transparent)
            p = QPainter(image)
            p.setRenderHint(QPainter.Antialiasing)
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(color))
            p.drawPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
            p.end()
            image.save(str(path))
        paths[name] = path.as_posix()
    return paths


def spin_style() -> str:
    a = _arrows()
    return f"""
QAbstractSpinBox {{ padding-right: 16px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ subcontrol-origin: border; width: 15px;
    background: {CONTROL}; border-left: 1px solid #3a3a40; }}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; border-top-right-radius: 3px; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; border-bottom-right-radius: 3px; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{ background: #3a3a40; }}
QAbstractSpinBox::up-arrow {{ image: url("{a['up']}"); width: 9px; height: 8px; }}
QAbstractSpinBox::down-arrow {{ image: url("{a['down']}"); width: 9px; height: 8px; }}
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::up-arrow:off {{ image: url("{a['up-off']}"); }}
QAbstractSpinBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:off {{ image: url("{a['down-off']}"); }}
QAbstractSpinBox::up-button:disabled, QAbstractSpinBox::down-button:disabled {{ background: #1b1b1d; }}
"""


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in ((QPalette.Window, PANEL), (QPalette.Base, "#121214"), (QPalette.Text, TEXT),
                        (QPalette.WindowText, TEXT), (QPalette.Button, CONTROL), (QPalette.ButtonText, TEXT),
                        (QPalette.Highlight, ACCENT), (QPalette.ToolTipBase, RAISED)):
        palette.setColor(role, QColor(color))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSizeF(8.5)
    app.setFont(font)
    app.setStyleSheet(STYLE + spin_style())

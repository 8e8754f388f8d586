"""Versions of this clip with lineage and status, and what can be done with one."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from urllib.parse import urlparse

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from retakes.bridge.versions import Version

from .. import theme

STATUS_COLOR = {"draft": theme.DIM, "in review": theme.INFO, "approved": theme.GOOD, "rejected": theme.BAD}
# The store's word for a reviewer's "request changes" is "rejected"; the editor reads what was asked.
STATUS_LABEL = {"rejected": "changes requested"}


def lineage(version: Version, by_id: dict[int, Version], part: str = "") -> str:
    parent = by_id.get(version.parent_id) if version.parent_id else None
    base = f"edit of {parent.label}" if parent else "from source"
    params = ", ".join(f"{k}={v}" for k, v in sorted(version.params.items()))
    return (f"{part} · " if part else "") + f"{base} · {version.op}" + (f" ({params})" if params else "")


class VersionsView(QWidget):
    compare_requested = Signal(int, int)  # version ids; 0 means the original
    place_requested = Signal(int, str)  # version id, "track" | "take"
    review_requested = Signal(int)
    reveal_requested = Signal(int)
    fix_requested = Signal(int)  # render In to Out of the version again, with the op panel's values
    versions_shown = Signal()  # the table was filled anew (statuses may have changed)

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
        self.tree.currentItemChanged.connect(lambda *_: self._show_selected())
        layout.addWidget(self.tree)
        # The selected version's whole lineage: the column cuts it short, this never does.
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setProperty("role", "dim")
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.details)
        link_row = QHBoxLayout()
        link_row.setSpacing(4)
        self.link = QLabel()
        self.link.setOpenExternalLinks(True)
        self.link.setTextInteractionFlags(Qt.TextBrowserInteraction)
        self.link.setWordWrap(True)
        link_row.addWidget(self.link, 1)
        self.copy_link = QPushButton("Copy link")
        self.copy_link.clicked.connect(self._copy_link)
        link_row.addWidget(self.copy_link)
        layout.addLayout(link_row)
        grid = QGridLayout()
        grid.setSpacing(4)
        self.against = QComboBox()
        self.compare = QPushButton("Compare")
        self.compare.setToolTip("Compare the selected version with the original or another version")
        self.place_track = QPushButton("Place as new track")
        self.place_take = QPushButton("Place as take")
        self.review = QPushButton("Send to review")
        self.review.setToolTip("Start the review page (or push to Frame.io when set up) and show its link")
        self.reveal = QPushButton("Reveal file")
        self.fix = QPushButton("Fix In–Out")
        self.fix.setToolTip("Render the frames between In and Out of the selected version again with the op "
                            "panel's values; every other frame stays the version's own, bit for bit")
        grid.addWidget(self.against, 0, 0)
        grid.addWidget(self.compare, 0, 1)
        grid.addWidget(self.place_track, 1, 0)
        grid.addWidget(self.place_take, 1, 1)
        grid.addWidget(self.review, 2, 0)
        grid.addWidget(self.reveal, 2, 1)
        grid.addWidget(self.fix, 3, 0, 1, 2)
        layout.addLayout(grid)
        self.compare.clicked.connect(lambda: self._emit(lambda v: self.compare_requested.emit(
            int(self.against.currentData() or 0), v)))
        self.place_track.clicked.connect(lambda: self._emit(lambda v: self.place_requested.emit(v, "track")))
        self.place_take.clicked.connect(lambda: self._emit(lambda v: self.place_requested.emit(v, "take")))
        self.review.clicked.connect(lambda: self._emit(self.review_requested.emit))
        self.reveal.clicked.connect(lambda: self._emit(self.reveal_requested.emit))
        self.fix.clicked.connect(lambda: self._emit(self.fix_requested.emit))
        self.versions: list[Version] = []
        self.links: dict[int, str] = {}  # version id -> its latest review link
        self._part: dict[int, str] = {}  # version id -> the part of the clip it renders, where not all of it
        self._sending = 0
        self._show_selected()

    def show_versions(self, versions: list[Version], links: dict[int, str] | None = None,
                      clip_range: tuple[int, int] | None = None, timecode: Callable[[int], str] | None = None) -> None:
        """`clip_range` and `timecode`: a version of a part of the clip (In to Out) names its part."""
        selected = self.selected_id()
        self.versions = versions
        self._part = {v.id: f"IN {timecode(v.source_start)} OUT {timecode(v.source_end - 1)}" for v in versions
                      if clip_range and timecode and (v.source_start, v.source_end) != clip_range}
        if links is not None:
            # The store keeps a local page's link without its token (it is a secret); the link this
            # session was given carries it, and is the one that opens: keep it while it is the same page.
            self.links = {vid: self.links[vid] if _same_page(self.links.get(vid, ""), url) else url
                          for vid, url in links.items()}
        by_id = {v.id: v for v in versions}
        self.tree.blockSignals(True)
        self.tree.clear()
        for v in reversed(versions):  # newest on top
            made = time.strftime("%H:%M", time.localtime(v.created_at))
            text = lineage(v, by_id, self._part.get(v.id, ""))
            item = QTreeWidgetItem([v.label, STATUS_LABEL.get(v.status, v.status), text, made])
            item.setData(0, Qt.UserRole, v.id)
            item.setForeground(1, _brush(STATUS_COLOR.get(v.status, theme.TEXT)))
            item.setToolTip(2, f"{text}\n{v.output_path}")
            self.tree.addTopLevelItem(item)
            if v.id == selected:
                self.tree.setCurrentItem(item)
        if self.tree.currentItem() is None and self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.tree.blockSignals(False)
        self.against.clear()
        self.against.addItem("Original", 0)
        for v in versions:
            self.against.addItem(v.label, v.id)
        self._show_selected()
        self.versions_shown.emit()

    def selected_id(self) -> int:
        item = self.tree.currentItem()
        return int(item.data(0, Qt.UserRole)) if item else 0

    def select(self, version_id: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.UserRole) == version_id:
                self.tree.setCurrentItem(item)

    # ---- review
    def set_link(self, version_id: int, url: str) -> None:
        self.links[version_id] = url
        self._sending = 0
        self._show_selected()

    def show_sending(self, version_id: int) -> None:
        """`version_id` is being sent (0: no longer): its button says so rather than take a second click."""
        self._sending = version_id
        self._show_selected()

    def _copy_link(self) -> None:
        url = self.links.get(self.selected_id())
        if url:
            QGuiApplication.clipboard().setText(url)

    def _show_selected(self) -> None:
        vid = self.selected_id()
        version = next((v for v in self.versions if v.id == vid), None)
        by_id = {v.id: v for v in self.versions}
        self.details.setText("" if version is None else
                             f"{version.label}: {lineage(version, by_id, self._part.get(vid, ''))} · "
                             f"seed {version.seed}")
        self.details.setToolTip("" if version is None else version.output_path)
        self.details.setVisible(version is not None)
        url = self.links.get(vid, "")
        where = urlparse(url).netloc or url  # short on screen; the link and Copy carry it whole
        anchor = f'<a style="color: {theme.INFO}" href="{html.escape(url)}">{html.escape(where)} ↗</a>'
        self.link.setText(f"Review page: {anchor}" if url else "")
        self.link.setToolTip(url)
        self.link.setVisible(bool(url))
        self.copy_link.setVisible(bool(url))
        sending = bool(vid) and vid == self._sending
        self.review.setText("Sending…" if sending else "Send to review")
        self.review.setEnabled(not sending)

    def _emit(self, fn) -> None:
        if version := self.selected_id():
            fn(version)


def _brush(color: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))


def _same_page(session_link: str, stored: str) -> bool:
    """`stored` is `session_link` less its query (the token)."""
    ours, theirs = urlparse(session_link), urlparse(stored)
    return bool(session_link) and (ours.scheme, ours.netloc, ours.path.rstrip("/")) == (
        theirs.scheme, theirs.netloc, theirs.path.rstrip("/"))

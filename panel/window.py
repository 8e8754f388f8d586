"""The Edit Studio window: layout only. Behaviour lives in the controllers (studio.py, jobs.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .shortcuts import KEYS
from .widgets.banner import Banner
from .widgets.edit_panel import EditPanel
from .widgets.header import ClipHeader
from .widgets.render_queue import RenderQueueView
from .widgets.scrubber import Scrubber
from .widgets.shots import ShotsView
from .widgets.styles import StylesView
from .widgets.toolbars import CompareBar, MaskTools
from .widgets.variants import VariantsView
from .widgets.versions import VersionsView
from .widgets.viewer import Viewer
from .widgets.waveform import Waveform


class StudioWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("retakes — Edit Studio")
        self.resize(1440, 860)
        root = QWidget()
        root.setObjectName("root")
        self.setCentralWidget(root)
        outer = QVBoxLayout(root)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        # The banner sits in the viewer's column (see _viewer_column), not across the window: appearing
        # there it takes height from the viewer alone, so no button or tab moves under the editor's cursor.
        self.banner = Banner()
        self.header = ClipHeader()
        outer.addWidget(self.header)
        # The viewer's zoom, at the header's right end: the transport row below is full.
        self.zoom_buttons: dict[str, QToolButton] = {}
        zoom_row = self.header.layout()
        for name, text in (("zoom_fit", "Fit"), ("zoom_100", "100%"), ("zoom_200", "200%")):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(f"Viewer {text} ({KEYS[name]}; the wheel zooms about the cursor, a middle drag pans)")
            zoom_row.addWidget(b)
            self.zoom_buttons[name] = b
        self.zoom_label = QLabel("Fit")
        self.zoom_label.setProperty("role", "dim")
        self.zoom_label.setMinimumWidth(40)
        zoom_row.addWidget(self.zoom_label)
        split = QSplitter(Qt.Horizontal)
        split.setHandleWidth(1)
        outer.addWidget(split, 1)
        split.addWidget(self._viewer_column())
        split.addWidget(self._side_column())
        split.setStretchFactor(0, 1)
        split.setSizes([1060, 380])
        self.actions: dict[str, QAction] = {}
        self._menus()
        self.statusBar().showMessage("Ready")
        self.engine_state = QLabel("engine: not connected")
        self.engine_state.setProperty("role", "dim")
        self.statusBar().addPermanentWidget(self.engine_state)

    def _viewer_column(self) -> QWidget:
        host = QWidget()
        col = QVBoxLayout(host)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.tool_stack = QStackedWidget()
        self.mask_tools = MaskTools(KEYS)
        self.compare_bar = CompareBar(KEYS)
        self.tool_stack.addWidget(self.mask_tools)
        self.tool_stack.addWidget(self.compare_bar)
        self.tool_stack.setFixedHeight(34)
        col.addWidget(self.tool_stack)
        col.addWidget(self.banner)
        self.viewer = Viewer()
        col.addWidget(self.viewer, 1)
        bar = QFrame()
        bar.setObjectName("transport")
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 5, 8, 5)
        row.setSpacing(4)
        # The playhead's timecode; type one (or +N / -N frames) and Enter to jump there.
        self.timecode = QLineEdit("--:--:--:--")
        self.timecode.setProperty("role", "tc")
        self.timecode.setFixedWidth(128)
        self.timecode.setToolTip(f"Type a timecode, or +N / -N frames, and Enter to go there ({KEYS['goto_timecode']})")
        row.addWidget(self.timecode)
        self.transport_buttons: dict[str, QToolButton] = {}
        for name, text in (("first_frame", "|◀◀"), ("play_reverse", "◀"), ("step_back", "◀|"), ("stop", "■"),
                           ("step_forward", "|▶"), ("play_forward", "▶"), ("last_frame", "▶▶|"),
                           ("mark_keyframe", "◆")):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(f"{name.replace('_', ' ')} ({KEYS[name]})")
            row.addWidget(b)
            self.transport_buttons[name] = b
        row.addSpacing(10)
        # Original | Edited: on a frame with an edited image, which of the two the viewer shows.
        # One group, so exactly one is lit and the lit one always names what is on screen.
        self.view_group = QButtonGroup(self)
        self.view_buttons: dict[str, QToolButton] = {}
        for name, text in (("original", "Original"), ("edited", "Edited")):
            b = QToolButton()
            b.setText(text)
            b.setCheckable(True)
            b.setEnabled(False)  # until the playhead is on a frame with an edited image
            self.view_group.addButton(b)
            row.addWidget(b)
            self.view_buttons[name] = b
        self.view_buttons["original"].setChecked(True)
        self.frame_label = QLabel()
        self.frame_label.setProperty("role", "dim")
        self.frame_label.setMinimumWidth(120)
        row.addWidget(self.frame_label)
        row.addStretch(1)
        self.speed_label = QLabel()
        self.speed_label.setProperty("role", "dim")
        row.addWidget(self.speed_label)
        col.addWidget(bar)
        self.scrubber = Scrubber()
        col.addWidget(self.scrubber)
        self.waveform = Waveform(self.scrubber)
        col.addWidget(self.waveform)
        # In and Out in timecode, on a line of its own that is always there (empty without marks)
        self.marks_label = QLabel()
        self.marks_label.setProperty("role", "marks")
        self.marks_label.setFixedHeight(18)
        self.marks_label.setContentsMargins(8, 0, 8, 0)
        self.marks_label.setToolTip("In (I) and Out (O): what Generate renders; Alt+X clears them")
        col.addWidget(self.marks_label)
        return host

    def _side_column(self) -> QWidget:
        side = QFrame()
        side.setObjectName("side")
        side.setMinimumWidth(340)
        col = QVBoxLayout(side)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        # The edit column and the tabs share a splitter: the line between them stays where it is when the
        # edit column's content grows or shrinks (a job's progress, a longer hint), which scrolls instead.
        self.side_split = QSplitter(Qt.Vertical)
        self.side_split.setHandleWidth(3)
        self.side_split.setChildrenCollapsible(False)
        col.addWidget(self.side_split, 1)
        self.edit = EditPanel(KEYS)
        scroll = QScrollArea()
        scroll.setWidget(self.edit)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumHeight(120)
        self.edit_scroll = scroll
        top = QWidget()
        top_col = QVBoxLayout(top)
        top_col.setContentsMargins(0, 0, 0, 0)
        top_col.setSpacing(0)
        top_col.addWidget(scroll, 1)
        top_col.addWidget(self.edit.job_strip)  # the job's progress stays in view whatever scrolls
        self.side_split.addWidget(top)
        self.tabs = QTabWidget()
        self.versions = VersionsView()
        self.queue = RenderQueueView()
        self.variants = VariantsView()
        for widget in (self.versions, self.queue, self.variants):
            widget.layout().setContentsMargins(8, 6, 8, 8)
        self.tabs.addTab(self.versions, "Versions")
        self.tabs.addTab(self.queue, "Render queue")
        self.tabs.addTab(self.variants, "Variants")
        self.shots = ShotsView()
        self.styles = StylesView()
        self.tabs.addTab(self.shots, "Shots")
        self.tabs.addTab(self.styles, "Styles")
        self.side_split.addWidget(self.tabs)
        self.side_split.setStretchFactor(0, 0)
        self.side_split.setStretchFactor(1, 1)
        self.side_split.setSizes([500, 360])
        return side

    def _menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        for name, text, key in (("open_media", "Open media file…", QKeySequence.Open),
                                ("open_sequence", "Open image sequence…", None),
                                ("open_timeline", "Open timeline (OTIO, FCP7 XML, EDL)…", None),
                                ("from_resolve", "Load clip selected in Resolve", None),
                                ("engine_settings", "Engine address and token…", None)):
            action = QAction(text, self)
            if key is not None:
                action.setShortcut(key)
            file.addAction(action)
            self.actions[name] = action
        file.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.Quit)
        quit_action.triggered.connect(self.close)
        file.addAction(quit_action)
        frame = self.menuBar().addMenu("F&rame")
        for name, text in (("export_frame", "Export frame for editing…"), ("load_edited", "Load edited frame…"),
                           ("remove_edited", "Remove edited frame")):
            action = QAction(text, self)
            frame.addAction(action)
            self.actions[name] = action

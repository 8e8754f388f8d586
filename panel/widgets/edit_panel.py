"""The right-hand edit column: op, prompt, edited frames, Track / Preview / Generate, the active job."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..model.prompt import HINT
from .op_panel import OpPanel

#: the tracker menu: (text, EditRequest.tracker); "" is auto, the engine's choice
TRACKERS = (("Auto (learned if installed)", ""), ("Classical (optical flow)", "classical"),
            ("Learned (SAM 2)", "learned"))
TRACKER_HINT = ("Tracker that carries the keyframe mask through the clip: Auto (learned when its weights are "
                "installed, else classical), Classical (optical flow), Learned (SAM 2)")


def section(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setProperty("role", "section")
    return label


class EditPanel(QFrame):
    def __init__(self, keys: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 8)
        layout.setSpacing(4)
        layout.addWidget(section("Prompt"))
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("change the ball to blue")
        self.prompt.setClearButtonEnabled(True)
        layout.addWidget(self.prompt)
        self.prompt_hint = QLabel(HINT)
        self.prompt_hint.setWordWrap(True)
        self.prompt_hint.setProperty("role", "dim")
        layout.addWidget(self.prompt_hint)
        self._prompt_edit(layout)
        layout.addWidget(section("Operation"))
        self.ops = OpPanel()
        layout.addWidget(self.ops)
        layout.addWidget(section("Edited frames"))
        row = QHBoxLayout()
        row.setSpacing(4)
        self.export_frame = QPushButton("Export frame…")
        self.export_frame.setToolTip("Export frame for editing: this source frame as a PNG in the session folder, "
                                     "to change in any image editor")
        self.load_edited = QPushButton("Load edited frame…")
        self.load_edited.setToolTip("Attach your edited image (PNG, TIFF, JPEG) to this frame as a keyframe")
        self.remove_edited = QPushButton("Remove")
        self.remove_edited.setToolTip("Detach the selected edited frame (or the one on this frame)")
        for b in (self.export_frame, self.load_edited, self.remove_edited):
            row.addWidget(b)
        layout.addLayout(row)
        self.edited = QListWidget()
        self.edited.setMaximumHeight(58)
        self.edited.setToolTip("Edited keyframes sent to ops that use them; double-click to go to one")
        layout.addWidget(self.edited)
        layout.addStretch(1)
        # Run: the export preset, Track / Preview / Generate and the active job, a strip of its own that
        # the window keeps in view under the scrolling column (what starts work, and a job's progress, are
        # what the editor watches). Its height never changes: the job row, hidden between jobs, keeps its
        # space, and the hints have two lines each, so nothing moves when a job starts or ends.
        self.job_strip = QFrame()
        self.job_strip.setObjectName("jobstrip")
        strip = QVBoxLayout(self.job_strip)
        strip.setContentsMargins(10, 0, 10, 6)
        strip.setSpacing(4)
        strip.addWidget(section("Run"))
        self.preset = QComboBox()
        self.preset.setToolTip("What Generate writes: codec and container (Export presets… to change the list)")
        export = _labelled_row("Export", self.preset)
        self.edit_presets = QPushButton("Presets…")
        self.edit_presets.setToolTip("Export presets: name, add, change or remove them; they are remembered")
        export.addWidget(self.edit_presets)
        strip.addLayout(export)
        # Which tracker carries the keyframe mask: for Track, and for an op given the keyframe mask alone
        self.tracker = QComboBox()
        for text, value in TRACKERS:
            self.tracker.addItem(text, value)
        self.tracker.setToolTip(TRACKER_HINT)
        strip.addLayout(_labelled_row("Tracker", self.tracker))
        row = QHBoxLayout()
        row.setSpacing(4)
        self.track = QPushButton("Track mask")
        self.track.setToolTip(f"Carry the keyframe mask through the clip ({keys['track']})")
        self.preview = QPushButton("Preview frame")
        self.preview.setToolTip(f"Run the edit on this frame only ({keys['preview']})")
        self.generate = QPushButton("Generate")
        self.generate.setProperty("role", "primary")
        self.generate.setToolTip(f"Render the clip (or In to Out) as a new version ({keys['generate']})")
        for b in (self.track, self.preview, self.generate):
            row.addWidget(b)
        strip.addLayout(row)
        self.ready = QLabel()
        self.ready.setWordWrap(True)
        self.ready.setProperty("role", "dim")
        self.ready.setFixedHeight(30)  # two lines, always: a longer or shorter hint moves nothing
        self.ready.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        strip.addWidget(self.ready)
        self.latency = QLabel()
        self.latency.setWordWrap(True)
        self.latency.setProperty("role", "dim")
        self.latency.setFixedHeight(30)
        self.latency.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        strip.addWidget(self.latency)
        job = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedHeight(16)
        job.addWidget(self.progress, 1)
        self.cancel = QPushButton("Cancel")
        job.addWidget(self.cancel)
        strip.addLayout(job)
        self.job_label = QLabel()
        self.job_label.setProperty("role", "dim")
        strip.addWidget(self.job_label)
        for widget in (self.progress, self.cancel, self.job_label):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        self.show_job(None)

    def _prompt_edit(self, layout: QVBoxLayout) -> None:
        """The learned half of the prompt box: the words (and the painted mask) to a model, as variants."""
        row = QHBoxLayout()
        row.setSpacing(4)
        self.variant_count = _spin(row, "Variants", 1, 8, 2, "How many versions of the frame to choose from")
        self.seed = _spin(row, "Seed", 0, 2**31 - 1, 0, "Variant i uses seed + i: the same seed gives the same frame")
        self.steps = _spin(row, "Steps", 1, 200, 30, "Denoising steps: fewer is faster, more is finer")
        layout.addLayout(row)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.edit_from_prompt = QPushButton("Edit frame from prompt")
        self.edit_from_prompt.setToolTip("Send this frame, the prompt and the painted mask to the engine's model; "
                                         "pick one of the variants as this frame's edited keyframe")
        row.addWidget(self.edit_from_prompt, 1)
        self.prompt_cancel = QPushButton("Cancel")
        self.prompt_cancel.setToolTip("Stop the edit (between two denoising steps)")
        row.addWidget(self.prompt_cancel)
        layout.addLayout(row)
        self.prompt_progress = QProgressBar()
        self.prompt_progress.setRange(0, 1000)
        self.prompt_progress.setFixedHeight(14)
        layout.addWidget(self.prompt_progress)
        self.model_state = QLabel()
        self.model_state.setWordWrap(True)
        self.model_state.setProperty("role", "dim")
        self.model_state.setTextInteractionFlags(Qt.TextSelectableByMouse)  # the command, to copy
        layout.addWidget(self.model_state)
        self.variants = QListWidget()
        self.variants.setViewMode(QListView.IconMode)
        self.variants.setIconSize(QSize(112, 64))
        self.variants.setMovement(QListView.Static)
        self.variants.setFlow(QListView.LeftToRight)
        self.variants.setWrapping(False)
        self.variants.setFixedHeight(98)
        self.variants.setToolTip("Click a variant to make it this frame's edited keyframe")
        layout.addWidget(self.variants)
        self.show_prompt_edit(None)
        self.variants.setVisible(False)

    def show_prompt_edit(self, text: str | None, fraction: float = 0.0) -> None:
        """The prompt edit's progress (None: not running)."""
        running = text is not None
        self.prompt_progress.setVisible(running)
        self.prompt_cancel.setVisible(running)
        self.edit_from_prompt.setVisible(not running)
        if running:
            self.prompt_progress.setValue(int(fraction * 1000))
            self.prompt_progress.setFormat(text)

    def tracker_choice(self) -> str:
        """EditRequest.tracker as picked: "" (auto), "classical" or "learned"."""
        return self.tracker.currentData() or ""

    def set_learned_tracker(self, ready: bool, state: str) -> None:
        """The Learned item as the engine's capabilities say: pickable with its weights installed,
        otherwise greyed out with the command that installs them (and Auto picked instead)."""
        index = self.tracker.findData("learned")
        item = self.tracker.model().item(index)
        item.setEnabled(ready)
        item.setToolTip(state)
        if not ready and self.tracker.currentIndex() == index:
            self.tracker.setCurrentIndex(self.tracker.findData(""))

    def show_job(self, text: str | None, fraction: float = 0.0, eta: str = "") -> None:
        running = text is not None
        self.progress.setVisible(running)
        self.cancel.setVisible(running)
        self.job_label.setVisible(running)
        if running:
            self.progress.setValue(int(fraction * 1000))
            self.progress.setFormat(f"{fraction * 100:.0f}%")
            self.job_label.setText(f"{text}   {eta}".strip())


def _labelled_row(text: str, widget: QWidget) -> QHBoxLayout:
    """A dim label, then `widget` taking the row's width."""
    row = QHBoxLayout()
    row.setSpacing(4)
    label = QLabel(text)
    label.setProperty("role", "dim")
    row.addWidget(label)
    row.addWidget(widget, 1)
    return row


def _spin(row: QHBoxLayout, text: str, low: int, high: int, value: int, tip: str) -> QSpinBox:
    label = QLabel(text)
    label.setProperty("role", "dim")
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    label.setToolTip(tip)
    row.addWidget(label)
    row.addWidget(box, 1)
    return box

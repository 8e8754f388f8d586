"""The Edit Studio: assembles the shared pieces and the controllers, and binds the keys.

Each controller owns one part (clips, viewer and playhead, masks, engine jobs, versions, edited frames)
and knows the others only through `Host` (host.py), which this class implements by handing each call
to the controller that owns it. Every disk, engine or agent call goes through `self.tasks`; handlers
run on the GUI thread and only touch widgets and state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence, QShortcut

from retakes.bridge.clipref import ClipRef
from retakes.engine.media import MediaInfo

from .clips_ctl import ClipsController
from .edit_state_ctl import EditStateController
from .engine_link import EngineLink
from .export_ctl import ExportController
from .flows_ctl import FlowsController
from .frames import FrameStore
from .history import History
from .jobs import JobsController
from .keyframes_ctl import EditedFramesController
from .masks_ctl import MasksController
from .model.presets import Preset
from .model.session import ClipSession, View
from .prompt_ctl import PromptController
from .review_ctl import ReviewController
from .review_link import FrameioConfig, ReviewLink
from .settings import PanelSettings
from .shortcuts import KEYS
from .shots_ctl import ShotsController, StylesController
from .tasks import Tasks
from .versions_ctl import VersionsController
from .viewer_ctl import ViewerController
from .window import StudioWindow


class Studio(QObject):
    def __init__(self, settings: PanelSettings | None = None, *, resolve: Any = None,
                 window: StudioWindow | None = None) -> None:
        super().__init__()
        self.settings = settings or PanelSettings()
        self.resolve = resolve  # a Resolve handle (agent proxy, Studio scripting or the test double)
        self.window = window or StudioWindow()
        self.tasks = Tasks(self)
        self.frames = FrameStore(self.tasks, self)
        self.link = EngineLink(self.tasks, self)
        self.history = History(self)
        self.session: ClipSession | None = None
        self.viewer = ViewerController(self)
        self.masks = MasksController(self)
        self.clips = ClipsController(self, self._take_up)
        self.jobs = JobsController(self)
        # Before the edit state: the prompt's own fill of the op's controls must be inside its one step
        # when the edit state sees the prompt change.
        self.prompt = PromptController(self, lambda what: self.edit_state.one_step(what))
        self.versions = VersionsController(self)
        self.flows = FlowsController(self, self.jobs, self.versions)  # variants and frame fixing
        self.edited = EditedFramesController(self)
        link = ReviewLink(self.settings.versions_root, FrameioConfig.from_settings(self.settings.q))
        self.review = ReviewController(self, link, lambda: self.versions.list)
        self.edit_state = EditStateController(self)
        self.export = ExportController(self)
        self.shots = ShotsController(self)
        self.styles = StylesController(self)
        w = self.window
        w.viewer.zoom_changed.connect(w.zoom_label.setText)
        self._bind_keys()

    def _take_up(self, session: ClipSession) -> None:
        """A clip was opened: the old session's work is finished and every part takes up the new one."""
        self.viewer.stop()
        self.versions.close_compare()
        self.masks.leave_session()
        if self.edit_state.save_timer.isActive():  # the last clip's settings, saved for that clip
            self.edit_state.save_timer.stop()
            self.edit_state.save()
        self.review.timer.stop()  # the old clip's versions: the new list starts it again if one is in review
        self.session = session
        self.history.clear()  # undo works within one clip, as the history's steps belong to it
        self.edited.refresh()  # the new session's keyframes and edited frames (none yet)
        self.versions.refresh()
        self.masks.open_session()
        self.edited.restore()
        self.edit_state.restore()  # after the masks: the tracked mask it names needs them
        self.viewer.show_marks()
        self.viewer.load_waveform()
        self.shots.load()

    def _bind_keys(self) -> None:
        w, v, m = self.window, self.viewer, self.masks
        transport = lambda: self.session.transport  # noqa: E731
        commands = {
            "play_reverse": lambda: v.shuttle(transport().reverse),
            "play_forward": lambda: v.shuttle(transport().forward),
            "stop": v.stop, "play_toggle": v.toggle_play,
            "step_back": lambda: v.step(-1), "step_forward": lambda: v.step(1),
            "step_back_10": lambda: v.step(-10), "step_forward_10": lambda: v.step(10),
            "first_frame": lambda: v.seek(transport().first),
            "last_frame": lambda: v.seek(transport().end - 1),
            "prev_keyframe": lambda: v.jump_keyframe(-1), "next_keyframe": lambda: v.jump_keyframe(1),
            "mark_in": v.mark_in, "mark_out": v.mark_out, "clear_marks": v.clear_marks,
            "goto_timecode": v.goto_timecode,
            "zoom_fit": lambda: w.viewer.set_zoom(None), "zoom_100": lambda: w.viewer.set_zoom(1.0),
            "zoom_200": lambda: w.viewer.set_zoom(2.0),
            "mark_keyframe": self.clips.mark_keyframe, "toggle_edited": v.toggle_view,
            "brush": lambda: m.set_tool("brush"), "eraser": lambda: m.set_tool("eraser"),
            "lasso": lambda: m.set_tool("lasso"),
            "brush_smaller": lambda: m.command("shrink_brush"),
            "brush_bigger": lambda: m.command("grow_brush"),
            "feather_less": lambda: m.command("feather_down"),
            "feather_more": lambda: m.command("feather_up"),
            "invert": lambda: m.command("invert"), "clear": lambda: m.command("clear"),
            "undo": self.undo, "redo": self.redo,
            "track": self.jobs.track, "preview": self.jobs.preview, "generate": self.jobs.generate,
            "compare_side": lambda: self.versions.set_mode("side"),
            "compare_wipe": lambda: self.versions.set_mode("wipe"),
            "compare_difference": lambda: self.versions.set_mode("difference"),
            "compare_toggle": lambda: self.versions.set_mode("toggle"),
            "compare_flip": self.versions.flip, "compare_exit": self.versions.close_compare,
        }
        self.commands = commands
        self.shortcuts: dict[str, QShortcut] = {}
        for name, key in KEYS.items():
            shortcut = QShortcut(QKeySequence(key), w)
            shortcut.activated.connect(lambda n=name: self.run(n))
            self.shortcuts[name] = shortcut
        for name, button in (*w.transport_buttons.items(), *w.zoom_buttons.items()):
            button.clicked.connect(lambda _=False, n=name: self.run(n))
        w.mask_tools.undo.connect(lambda: self.run("undo"))
        w.mask_tools.redo.connect(lambda: self.run("redo"))

    def run(self, name: str) -> None:
        """A command by its name in `KEYS` (a key, a button), once a clip is open."""
        if name != "compare_exit" and self.session is None:
            self.status("Open a clip first (File > Open)")
            return
        self.commands[name]()

    # ---- undo / redo
    def undo(self) -> None:
        what = self.history.undo()
        self.status(f"Undid: {what}" if what else "Nothing to undo")

    def redo(self) -> None:
        what = self.history.redo()
        self.status(f"Redid: {what}" if what else "Nothing to redo")

    # ---- messages
    def status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def error(self, text: str) -> None:
        self.window.banner.show_message(text, offer_reconnect=not self.link.online and bool(self.link.address))

    # ---- Host: answered by the controller that owns each part
    def timecode(self, frame: int | None = None) -> str:
        return self.viewer.timecode(frame)

    def seek(self, frame: int) -> None:
        self.viewer.seek(frame)

    def show_frame(self) -> None:
        self.viewer.show_frame()

    def show_keyframes(self) -> None:
        self.viewer.show_keyframes()

    def show_view_state(self) -> None:
        self.viewer.show_view_state()

    def set_marks(self, mark_in: int | None, mark_out: int | None, *, record: bool = True) -> None:
        self.viewer.set_marks(mark_in, mark_out, record=record)

    def save_settings(self) -> None:
        self.edit_state.save_timer.start()

    def export_preset(self) -> Preset:
        return self.export.current()

    def export_problem(self) -> str:
        return self.export.problem()

    @property
    def tool(self) -> str:
        return self.masks.tool

    def show_mask_state(self) -> None:
        self.masks.show_state()

    def update_ready(self) -> None:
        self.jobs.update_ready()
        self.prompt.update_ready()

    def attach_edited(self, frame: int, path: str, what: str) -> None:
        self.edited.attach(frame, path, what)

    def preview_for(self, frame: int) -> np.ndarray | None:
        return self.jobs.preview_for(frame)

    def has_preview(self, frame: int) -> bool:
        return self.jobs.has_preview(frame)

    def show_preview(self, shown: bool) -> None:
        self.jobs.show_preview(shown)

    def badges_for(self, frame: int) -> list[str]:
        return self.jobs.badges_for(frame)

    def clear_preview(self) -> None:
        self.jobs.clear_preview()

    def refresh_versions(self, select: int = 0) -> None:
        self.versions.refresh(select)

    def show_compare(self) -> None:
        self.versions.show_compare()

    def close_compare(self) -> None:
        self.versions.close_compare()

    # ---- what scripts, the app and tests call
    def open_path(self, path: str | Path) -> None:
        self.clips.open_path(path)

    def open_clip(self, clip: ClipRef) -> None:
        self.clips.open_clip(clip)

    def load_clip(self, clip: ClipRef, info: MediaInfo) -> None:
        self.clips.load_clip(clip, info)

    def load_from_resolve(self) -> None:
        self.clips.load_from_resolve()

    def connect_engine(self, address: str, token: str = "") -> None:
        self.jobs.connect_engine(address, token)

    def show_view(self, view: View) -> None:
        self.viewer.show_view(view)

    def stop(self) -> None:
        self.viewer.stop()

    def close(self) -> None:
        self.viewer.stop()
        self.masks.save_timer.stop()  # saved now: a timer would fire after the close
        if self.session is not None:
            self.masks.save()
            if self.edit_state.save_timer.isActive():
                self.edit_state.save_timer.stop()
                self.edit_state.save()
        self.jobs.save_queue()
        self.review.close()
        self.link.close()
        self.tasks.wait(5000)
        self.frames.close()

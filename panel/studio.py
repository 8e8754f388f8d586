"""The Edit Studio controller: opening clips, the viewer, transport and mask painting.

It owns the shared pieces (tasks, frames, engine link, settings) and hands the engine work to
`JobsController` and the versions work to `VersionsController`. Every disk, engine or agent
call goes through `self.tasks`; handlers run on the GUI thread and only touch widgets/state.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QInputDialog

from retakes.bridge.clipref import ClipRef
from retakes.engine.media import MediaInfo

from .engine_link import EngineLink
from .errors import plain
from .frames import FrameStore, edited_source
from .jobs import JobsController
from .keyframes_ctl import EditedFramesController
from .model import clips
from .model.marks import MarkedFile
from .model.mask import read_png, write_png
from .model.session import ClipSession, View
from .settings import PanelSettings
from .shortcuts import KEYS
from .tasks import Tasks
from .versions_ctl import VersionsController
from .window import StudioWindow

#: a saved mask: "<source frame>_<feather>.png"
_MASK_FILE = re.compile(r"(\d+)_(\d+)\.png")

#: a mask read back from disk: (the mask, its feather)
_Saved = tuple[np.ndarray, int]


class _MaskFolder:
    """One session's saved-masks folder, and how far the restore of what it held has got.

    Until the restore's masks are in the session, the session's masks are not all the editor's: a save
    then adds to the folder and takes no saved paint from it (a frame painted again meanwhile keeps its
    saved paint under the new, and the file of a mask the session lacks stays). Once they are in, a save
    mirrors the session exactly, so the file of a mask the editor cleared goes and the mask stays cleared.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read: dict[int, _Saved] | None = None  # what the restore read (None: not read, or it failed)
        self.restored = False  # the restore's masks are in the session (set on the GUI thread)


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
        self.session: ClipSession | None = None
        self._marked_file: MarkedFile | None = None  # the session folder's record of ◆ marks
        self._mask_folder: _MaskFolder | None = None  # the session folder's painted masks
        self.jobs = JobsController(self)
        self.versions = VersionsController(self)
        self.edited = EditedFramesController(self)
        self._play = QTimer(self)
        self._play.timeout.connect(self._tick)
        self._save_masks = QTimer(self)
        self._save_masks.setSingleShot(True)
        self._save_masks.setInterval(250)
        self._save_masks.timeout.connect(self.save_masks)
        self.tool = "brush"
        self._wire()

    # ---- wiring
    def _wire(self) -> None:
        w = self.window
        w.actions["open_media"].triggered.connect(lambda: self._ask_open("media"))
        w.actions["open_sequence"].triggered.connect(lambda: self._ask_open("sequence"))
        w.actions["open_timeline"].triggered.connect(lambda: self._ask_open("timeline"))
        w.actions["from_resolve"].triggered.connect(self.load_from_resolve)
        w.actions["engine_settings"].triggered.connect(self._ask_engine)
        w.banner.reconnect.connect(self.jobs.reconnect)
        w.viewer.stroke.connect(self._stroke)
        w.viewer.lasso_done.connect(self._lasso)
        w.scrubber.seek.connect(self.seek)
        self.frames.ready.connect(self._frame_ready)
        self.frames.failed.connect(self._frame_failed)
        for view, button in w.view_buttons.items():
            button.clicked.connect(lambda _=False, v=view: self._run("toggle_edited", lambda: self.show_view(v)))
        mt = w.mask_tools
        mt.tool_chosen.connect(self.set_tool)
        mt.brush_step.connect(lambda up: self._mask_cmd("grow_brush" if up else "shrink_brush"))
        mt.feather_step.connect(lambda up: self._mask_cmd("feather_up" if up else "feather_down"))
        mt.invert.connect(lambda: self._mask_cmd("invert"))
        mt.clear.connect(lambda: self._mask_cmd("clear"))
        mt.undo.connect(lambda: self._mask_cmd("undo"))
        commands = {
            "play_reverse": lambda: self._shuttle(self.session.transport.reverse),
            "play_forward": lambda: self._shuttle(self.session.transport.forward),
            "stop": self.stop, "play_toggle": self._toggle_play,
            "step_back": lambda: self.step(-1), "step_forward": lambda: self.step(1),
            "step_back_10": lambda: self.step(-10), "step_forward_10": lambda: self.step(10),
            "first_frame": lambda: self.seek(self.session.transport.first),
            "last_frame": lambda: self.seek(self.session.transport.end - 1),
            "prev_keyframe": lambda: self._jump_keyframe(-1), "next_keyframe": lambda: self._jump_keyframe(1),
            "mark_keyframe": self.mark_keyframe, "toggle_edited": self.toggle_view,
            "brush": lambda: self.set_tool("brush"), "eraser": lambda: self.set_tool("eraser"),
            "lasso": lambda: self.set_tool("lasso"),
            "brush_smaller": lambda: self._mask_cmd("shrink_brush"),
            "brush_bigger": lambda: self._mask_cmd("grow_brush"),
            "feather_less": lambda: self._mask_cmd("feather_down"),
            "feather_more": lambda: self._mask_cmd("feather_up"),
            "invert": lambda: self._mask_cmd("invert"), "clear": lambda: self._mask_cmd("clear"),
            "undo": lambda: self._mask_cmd("undo"),
            "track": self.jobs.track, "preview": self.jobs.preview, "generate": self.jobs.generate,
            "compare_side": lambda: self.versions.set_mode("side"),
            "compare_wipe": lambda: self.versions.set_mode("wipe"),
            "compare_difference": lambda: self.versions.set_mode("difference"),
            "compare_toggle": lambda: self.versions.set_mode("toggle"),
            "compare_flip": self.versions.flip, "compare_exit": self.versions.close_compare,
        }
        self.shortcuts: dict[str, QShortcut] = {}
        for name, key in KEYS.items():
            shortcut = QShortcut(QKeySequence(key), w)
            shortcut.activated.connect(lambda n=name: self._run(n, commands[n]))
            self.shortcuts[name] = shortcut
        for name, button in w.transport_buttons.items():
            button.clicked.connect(lambda _=False, n=name: self._run(n, commands[n]))

    def _run(self, name: str, command: Any) -> None:
        needs_clip = name not in ("compare_exit",)
        if needs_clip and self.session is None:
            self.status("Open a clip first (File > Open)")
            return
        command()

    # ---- messages
    def status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def error(self, text: str) -> None:
        self.window.banner.show_message(text, offer_reconnect=not self.link.online and bool(self.link.address))

    # ---- opening clips
    def _ask_open(self, kind: str) -> None:
        w = self.window
        if kind == "sequence":
            path = QFileDialog.getExistingDirectory(w, "Open an image sequence folder")
        elif kind == "timeline":
            path, _ = QFileDialog.getOpenFileName(w, "Open a timeline", "", "Timelines (*.otio *.xml *.edl)")
        else:
            path, _ = QFileDialog.getOpenFileName(w, "Open media", "", "Media (*.mov *.mp4 *.mxf *.mkv);;All (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> None:
        path = Path(path)
        self.status(f"Opening {path.name}…")
        if path.suffix.lower() in clips.TIMELINE_SUFFIXES:
            self.tasks.run(lambda: clips.timeline_entries(path), self._pick_from_timeline,
                           lambda exc: self.error(plain(exc, doing=f"read the timeline {path.name}")))
        else:
            self.tasks.run(lambda: clips.open_media(path), lambda r: self.load_clip(*r),
                           lambda exc: self.error(plain(exc, doing=f"open {path.name}")))

    def _pick_from_timeline(self, entries: list[clips.TimelineEntry]) -> None:
        usable = [e for e in entries if e.clip is not None]
        if not usable:
            reasons = "; ".join(f"{e.label}: {e.refused}" for e in entries) or "it has no video clips"
            self.error(f"No clip on that timeline can be edited ({reasons})")
            return
        labels = [e.label if e.clip else f"{e.label}  — {e.refused}" for e in entries]
        choice = self.pick_clip(labels)
        entry = entries[labels.index(choice)] if choice in labels else None
        if entry is not None and entry.clip is None:
            self.error(f"That clip can't be edited: {entry.refused}")
        elif entry is not None:
            self.open_clip(entry.clip)

    def pick_clip(self, labels: list[str]) -> str | None:
        """Asks which clip to edit (tests replace this)."""
        choice, ok = QInputDialog.getItem(self.window, "Pick a clip", "Clip on the timeline:", labels, 0, False)
        return choice if ok else None

    def open_clip(self, clip: ClipRef) -> None:
        self.tasks.run(lambda: clips.probe_clip(clip), lambda info: self.load_clip(clip, info),
                       lambda exc: self.error(plain(exc, doing=f"open {clip.name}")))

    def load_from_resolve(self) -> None:
        if self.resolve is None:
            self.error("No Resolve connection: start retakes from Resolve (Workspace > Scripts > retakes).")
            return
        from retakes.bridge.resolve.read import current_clip

        self.tasks.run(lambda: current_clip(self.resolve), self.open_clip,
                       lambda exc: self.error(plain(exc, doing="read the clip selected in Resolve")))

    def load_clip(self, clip: ClipRef, info: MediaInfo) -> None:
        self.stop()
        self.versions.close_compare()
        if self._save_masks.isActive():  # a stroke's save still to come belongs to the session being left
            self._save_masks.stop()
            self.save_masks()
        self.session = ClipSession(clip, info)
        self._marked_file = MarkedFile(self.session.session_dir(self.settings.session_dir))
        self._mask_folder = _MaskFolder(self.mask_dir())
        self.frames.register(info)
        tb = clip.source_timebase or info.timebase
        tc_in, tc_out = clip.source_timecodes if clip.source_timebase else (
            tb.timecode_of(clip.source_range.start), tb.timecode_of(clip.source_range.end))
        rate = f"{float(clip.source_rate):.3f}".rstrip("0").rstrip(".")
        where = clip.timeline.name if clip.timeline.name != "(no timeline)" else "file"
        self.window.header.show_clip(clip.name, tc_in, tc_out, rate, f"{info.width}×{info.height}", where)
        s = self.window.scrubber
        rendered = clip.range_with_handles
        s.rate = clip.source_rate.nominal
        s.set_range(rendered.start, rendered.end, (clip.source_range.start, clip.source_range.end))
        s.tracked = None
        self.edited.refresh()  # the new session's keyframes and edited frames (none yet)
        self.window.viewer.message = "Decoding…"
        self.window.banner.hide() if self.link.online else None
        self.versions.refresh()
        self._restore_masks()
        self.edited.restore()
        self._restore_marked()
        self.show_frame()
        self.jobs.update_ready()
        self.status(f"Loaded {clip.name} ({len(clip.source_range)} frames)")

    # ---- frames and transport
    def seek(self, frame: int) -> None:
        if self.session is None:
            return
        self.session.transport.seek(frame)
        self.show_frame()

    def step(self, delta: int) -> None:
        self._play.stop()
        self.session.transport.step(delta)
        self.show_frame()

    def stop(self) -> None:
        self._play.stop()
        if self.session is not None:
            self.session.transport.stop()
            self._show_speed()

    def _toggle_play(self) -> None:
        if self.session.transport.speed:
            self.stop()
        else:
            self._shuttle(self.session.transport.forward)

    def _shuttle(self, change: Any) -> None:
        change()
        self._play.start(max(1, int(1000 / float(self.session.clip.source_rate))))
        self._show_speed()

    def _tick(self) -> None:
        if self.session is None or not self.session.transport.tick():
            self._play.stop()
        self._show_speed()
        self.show_frame()

    def _show_speed(self) -> None:
        speed = self.session.transport.speed if self.session else 0
        self.window.speed_label.setText("" if not speed else f"{'◀' if speed < 0 else '▶'} {abs(speed)}×")

    def _jump_keyframe(self, direction: int) -> None:
        f = self.session.frame
        keys = sorted(k for k in self.session.keyframes if (k - f) * direction > 0)
        if keys:
            self.seek(keys[0] if direction > 0 else keys[-1])

    def mark_keyframe(self) -> None:
        s = self.session
        done = s.toggle_keyframe()
        self.show_keyframes()
        if done == "kept":
            held, what, undo = s.held(s.frame), [], []
            if "edited" in held:
                what.append(f"the edited image {Path(s.edited[s.frame]).name}, which goes with the request")
                undo.append("Remove edited frame detaches the image")
            if "painted" in held:
                what.append("a painted mask")
                undo.append("Clear empties the mask")
            self.status(f"Keyframe kept at {self.timecode()}: it carries {' and '.join(what)}, and keeps its "
                        f"diamond while it does. {'; '.join(undo)}.")
        else:
            self.save_marked()
            self.status(f"Keyframe {done} at {self.timecode()}")

    def save_marked(self) -> None:
        """Records the hand marks in the session folder (worker thread), so reopening the clip keeps them."""
        file, s = self._marked_file, self.session
        if file is None or s is None or not file.read_done:
            return  # before the restore has read the file, a save would drop the marks in it; the restore saves
        self.tasks.run(file.snapshot(s.marked), None,
                       lambda exc: self.error(plain(exc, doing="save the keyframe marks")))

    def _restore_marked(self) -> None:
        file, s = self._marked_file, self.session
        rendered = s.clip.range_with_handles

        def restored(found: frozenset[int]) -> None:
            if self.session is not s:
                return
            before = s.marked  # marked while the file was being read: not in it yet
            for frame in found:
                s.mark_keyframe(frame)
            file.read_done = True
            if before - found:
                self.save_marked()
            if found:
                self.show_keyframes()
                self.status(f"Restored {len(found)} marked keyframe(s) from the last session")

        def failed(exc: BaseException) -> None:
            file.read_done = True  # the marks made from now on are still kept
            self.error(plain(exc, doing="read the keyframe marks"))
        self.tasks.run(lambda: file.read(rendered.start, rendered.end), restored, failed)

    def show_keyframes(self) -> None:
        """The scrubber's diamonds and edited dots, from the session (the one truth)."""
        s = self.session
        self.window.scrubber.show_keys(s.keyframes if s else set(), s.edited if s else ())

    def timecode(self, frame: int | None = None) -> str:
        s = self.session
        tb = s.clip.source_timebase or s.info.timebase
        return tb.timecode_of(s.frame if frame is None else frame)

    def show_frame(self) -> None:
        s = self.session
        if s is None:
            return
        w = self.window
        w.timecode.setText(self.timecode())
        clip_frame = s.frame - s.clip.source_range.start
        w.frame_label.setText(f"frame {s.frame}  ·  clip {clip_frame + 1}/{len(s.clip.source_range)}")
        w.scrubber.set_frame(s.frame)
        self.show_view_state()
        if s.compare is not None:
            self.versions.show_compare()
            return
        rgb = self.frames.request(self._shown_source(), s.frame)
        if rgb is not None:
            self._display(rgb)

    def _shown_source(self) -> str:
        """Where the viewer's picture of this frame comes from: the source media, or the edited image
        attached to the frame when the editor chose Edited (its path as the session records it)."""
        s = self.session
        return edited_source(s.edited[s.frame]) if s.showing() == "edited" else str(s.info.path)

    def _frame_ready(self, source: str, index: int, rgb: np.ndarray) -> None:
        s = self.session
        if s is None:
            return
        if s.compare is not None:
            self.versions.show_compare()
        elif source == self._shown_source() and index == s.frame:
            self._display(rgb)
        elif source == f"mask:{s.tracked_dir}" and s.tracked_index(s.frame) == index:
            self._show_overlay()

    def _frame_failed(self, source: str, index: int, message: str) -> None:
        s = self.session
        if s is not None and s.showing() == "edited" and source == self._shown_source() and index == s.frame:
            self._edited_unusable(message)
        else:
            self.error(f"Could not read that frame: {message}")

    def _edited_unusable(self, why: str) -> None:
        """The attached file can't be shown (moved, deleted, re-saved at another size): say so and show
        the source rather than a stale or misplaced picture under an EDITED badge."""
        s = self.session
        name = Path(s.edited[s.frame]).name
        s.view = "original"
        self.error(f"Can't show the edited image {name} at {self.timecode()}: {why}. Showing the original; "
                   f"Load edited frame… attaches it again.")
        self.show_frame()

    def _display(self, rgb: np.ndarray) -> None:
        w, s = self.window, self.session
        size = (s.info.width, s.info.height)
        preview = self.jobs.preview_for(s.frame)
        showing = s.showing()
        if showing == "edited" and preview is None and (rgb.shape[1], rgb.shape[0]) != size:
            # check_edited refused this size at attach time, so the file changed on disk since
            self._edited_unusable(f"it is now {rgb.shape[1]}×{rgb.shape[0]}, the clip's frames are {size[0]}×{size[1]}")
            return
        w.viewer.badges = [b for b in self.jobs.badges_for(s.frame)]
        if s.frame in s.edited:
            if preview is not None:
                w.viewer.badges.append("EDITED FRAME ATTACHED")
            elif showing == "edited":
                w.viewer.badges.append(f"EDITED · {Path(s.edited[s.frame]).name}")
            else:
                w.viewer.badges += ["ORIGINAL", "EDITED FRAME ATTACHED"]
        w.viewer.set_frame(preview if preview is not None else rgb, size)
        if preview is None:
            self._show_overlay()
        else:
            w.viewer.set_overlay(None)  # a tint over the result would misstate its colours

    # ---- original / edited
    def show_view(self, view: View) -> None:
        """Original or Edited on a frame with an edited image; the choice holds while scrubbing, so
        every edited frame can be checked in turn, and frames without one show their source."""
        s = self.session
        why = self._view_blocked()
        if why:
            self.status(why)
            self.show_view_state()
            return
        s.view = view
        self.show_frame()
        name = Path(s.edited[s.frame]).name
        self.status(f"Showing the edited image {name} at {self.timecode()}" if view == "edited"
                    else f"Showing the original at {self.timecode()} (edited image {name} attached)")

    def toggle_view(self) -> None:
        self.show_view("original" if self.session.showing() == "edited" else "edited")

    def _view_blocked(self) -> str:
        """Why Original / Edited can't switch here, in words; "" when it can."""
        s = self.session
        if s is None:
            return "Open a clip first"
        if s.frame not in s.edited:
            return "No edited image on this frame: Export frame…, edit it, then Load edited frame… attaches one"
        if s.compare is not None:
            return f"Comparing versions: leave compare ({KEYS['compare_exit']}) to see the edited image"
        if self.jobs.preview_for(s.frame) is not None:
            return ("The preview of this frame is shown; Original / Edited applies again once a new preview "
                    "or a keyframe change replaces it")
        return ""

    def show_view_state(self) -> None:
        """The Original / Edited buttons from the session: lit on what is shown, enabled where switching can."""
        s, w = self.session, self.window
        buttons, why = w.view_buttons, self._view_blocked()
        # Neither is lit under a preview or a compare: what is on screen is then neither of them.
        covered = s is not None and (s.compare is not None or self.jobs.preview_for(s.frame) is not None)
        w.view_group.setExclusive(False)
        for view, button in buttons.items():
            button.setChecked(not covered and view == (s.showing() if s else "original"))
        w.view_group.setExclusive(True)
        key = KEYS["toggle_edited"]
        for view, button in buttons.items():
            button.setEnabled(not why)
            button.setToolTip(why or (f"Show the edited image attached here ({key})" if view == "edited"
                                      else f"Show the source frame ({key})"))

    def _show_overlay(self) -> None:
        s, v = self.session, self.window.viewer
        mask = s.masks.get(s.frame)
        if mask is not None and not mask.empty:
            v.set_overlay(mask.data)
            return
        index = s.tracked_index(s.frame)
        tracked = self.frames.request(f"mask:{s.tracked_dir}", index) if index is not None else None
        v.set_overlay(tracked)

    # ---- masks
    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.window.viewer.tool = tool
        self._show_mask_state()

    def _stroke(self, points: list, erase: bool, first: bool) -> None:
        if self.session is None or self.session.compare is not None:
            return
        mask = self.session.mask_here(create=True)
        if first:
            mask.checkpoint()
        mask.dab(points, erase=erase)
        self._mask_changed()

    def _lasso(self, points: list, erase: bool) -> None:
        if self.session is None:
            return
        mask = self.session.mask_here(create=True)
        mask.checkpoint()
        mask.lasso(points, erase=erase)
        self._mask_changed()

    def _mask_cmd(self, name: str) -> None:
        if self.session is None:
            return
        mask = self.session.mask_here(create=name not in ("undo", "clear"))
        brush_only = name in ("grow_brush", "shrink_brush", "feather_up", "feather_down")
        target = mask or self._brush_holder()
        if name == "feather_up" or name == "feather_down":
            target.step_feather(name == "feather_up")
        elif name in ("grow_brush", "shrink_brush"):
            getattr(target, name)()
        elif mask is not None:
            getattr(mask, name)()
        for other in self.session.masks.values():  # one brush and feather for every keyframe
            other.brush, other.feather = target.brush, target.feather
        self._brush_state = (target.brush, target.feather)
        if not brush_only:
            self._mask_changed()
        else:
            self._show_mask_state()

    def _brush_holder(self) -> Any:
        from .model.mask import MaskDocument

        holder = MaskDocument(1, 1)
        holder.brush, holder.feather = getattr(self, "_brush_state", (32, 0))
        return holder

    def _mask_changed(self) -> None:
        s = self.session
        mask = s.masks.get(s.frame)
        self.window.viewer.set_overlay(None if mask is None else mask.data)
        self.show_keyframes()
        self._show_mask_state()
        self.jobs.update_ready()
        self._save_masks.start()

    def _show_mask_state(self) -> None:
        s = self.session
        brush, feather = getattr(self, "_brush_state", (32, 0))
        mask = s.masks.get(s.frame) if s else None
        if mask is not None:
            brush, feather = mask.brush, mask.feather
        self.window.viewer.brush = brush
        text = f"keyframe mask · {mask.coverage() * 100:.1f}% of frame" if mask and not mask.empty else ""
        if s and s.tracked_dir and not text:
            text = "tracked mask" + ("" if s.tracked_is_current() else " (mask changed since: track again)")
        self.window.mask_tools.show_state(self.tool, brush, feather, text)

    def mask_dir(self) -> Path:
        return self.session.session_dir(self.settings.session_dir) / "masks"

    def save_masks(self) -> None:
        """Mirrors painted masks to disk (worker thread): nothing painted is lost.

        Saves and restores of masks run one at a time in the order asked (a serial task), so a session's
        restore reads its folder after every save of the sessions before it, and before any of its own.
        """
        if self.session is None:
            return
        target = self._mask_folder
        restored = target.restored  # whether the snapshot holds the restored masks: taken now, not when written
        snapshot = {f: (m.data.copy(), m.feather) for f, m in self.session.masks.items()}

        def write() -> None:
            folder = target.path
            folder.mkdir(parents=True, exist_ok=True)
            # Not restored yet: the restore has read the folder (it ran first), but its masks are not in the
            # snapshot, so a frame painted meanwhile keeps the saved paint under the new (as the restore does it
            # in memory), and no file of a mask the snapshot lacks goes.
            read = {} if restored else (target.read or {})
            written = set()
            for f, (data, feather) in snapshot.items():
                if f in read:
                    data = np.maximum(data, read[f][0])
                write_png(data, str(folder / f"{f}_{feather}.png"))
                written.add(f"{f}_{feather}.png")
            for old in folder.glob("*.png"):
                name = _MASK_FILE.fullmatch(old.name)
                if old.name in written:
                    continue
                # Restored: every mask is in the snapshot, so another file is a cleared mask's, one under an
                # old feather, or a cut-short write. Before, only a file of a frame just written can go (under
                # an old feather), and only once the restore has read it: its paint is in what was written.
                if restored or (target.read is not None and name is not None and int(name[1]) in snapshot):
                    old.unlink()
        self.tasks.run(write, None, lambda exc: self.error(plain(exc, doing="save the mask")), serial=True)

    def _restore_masks(self) -> None:
        target, session = self._mask_folder, self.session
        folder = target.path

        def read() -> dict[int, _Saved]:
            found = {}
            # Oldest first, so a frame's newest file wins should one be left under an old feather.
            paths = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
            for path in paths:
                name = _MASK_FILE.fullmatch(path.name)
                if name is None:  # a write cut short leaves its temporary file: not a mask
                    continue
                frame, feather = int(name[1]), int(name[2])
                data = read_png(str(path))
                # A cleared mask is saved too (all black); it is no keyframe and nothing was painted, so
                # only masks with paint on them come back (and the next save drops the empty ones' files).
                if data is not None and data.shape == (session.info.height, session.info.width) and data.any():
                    found[frame] = (data, feather)
            target.read = found  # for a save made before these masks are in the session (it runs after this)
            return found

        def restore(found: dict[int, _Saved]) -> None:
            if self.session is not session:
                return  # another clip is open: its saves (made before this) kept every file of this folder
            target.restored = True  # from here on, the session's masks are all the editor's
            if not found:
                return
            from .model.mask import MaskDocument

            for frame, (data, feather) in found.items():
                if frame in session.masks:  # painted while the folder was read: the saved paint goes under it
                    session.masks[frame].merge(data)
                    continue
                doc = MaskDocument(session.info.width, session.info.height, data)
                doc.feather = feather
                session.masks[frame] = doc  # a painted one is a keyframe again (the session derives it)
            self.show_keyframes()
            self.status(f"Restored {len(found)} painted mask(s) from the last session")
            self.show_frame()
            self.jobs.update_ready()
        # A failed read leaves the session unrestored: its saves keep adding to the folder, never deleting
        # the masks that could not be read this time.
        self.tasks.run(read, restore, lambda exc: self.error(plain(exc, doing="read saved masks")), serial=True)

    # ---- engine settings
    def _ask_engine(self) -> None:
        address, ok = QInputDialog.getText(self.window, "Engine", "Engine address (socket path or host:port):",
                                           text=self.settings.engine_address)
        if not ok:
            return
        token, ok = QInputDialog.getText(self.window, "Engine", "Token (blank on a local socket):",
                                         text=self.settings.engine_token)
        if ok:
            self.connect_engine(address, token)

    def connect_engine(self, address: str, token: str = "") -> None:
        self.settings.remember_engine(address, token)
        self.window.engine_state.setText(f"engine: connecting to {address}…")
        self.link.connect_to(address, token)

    def close(self) -> None:
        self._play.stop()
        self._save_masks.stop()  # saved now: a timer would fire after the close
        if self.session is not None:
            self.save_masks()
        self.jobs.save_queue()
        self.link.close()
        self.tasks.wait(5000)
        self.frames.close()

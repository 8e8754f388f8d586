"""Mask painting: the tools, strokes and lasso, brush and feather, invert and clear, and keeping the
masks on disk (saved after each change, restored when the clip is opened again).

Every change of a mask is one step of the shared history (Ctrl+Z / Ctrl+Shift+Z): the mask before
and after it, kept compressed, so undo and redo put back exactly what was there.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer

from .errors import plain
from .host import Host
from .model.mask import MaskDocument, read_png, write_png

#: a saved mask: "<source frame>_<feather>.png"
_MASK_FILE = re.compile(r"(\d+)_(\d+)\.png")

#: a mask read back from disk: (the mask, its feather)
_Saved = tuple[np.ndarray, int]

#: a mask as the history keeps it: (compressed data, feather), or None for "no mask on that frame"
_Kept = tuple[bytes, int] | None

DEFAULT_BRUSH = 32


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


class MasksController:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.window = w = host.window
        self.tool = "brush"
        self.brush = DEFAULT_BRUSH  # one brush for every frame
        self.feather = 0  # one feather for every keyframe mask (each mask keeps its own copy, saved with it)
        self._folder: _MaskFolder | None = None
        self._stroke: tuple[int, _Kept] | None = None  # the frame and its mask before the stroke being drawn
        self.save_timer = QTimer(w)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(250)
        self.save_timer.timeout.connect(self.save)
        w.viewer.stroke.connect(self._stroke_segment)
        w.viewer.stroke_done.connect(self._stroke_done)
        w.viewer.lasso_done.connect(self._lasso)
        mt = w.mask_tools
        mt.tool_chosen.connect(self.set_tool)
        mt.brush_step.connect(lambda up: self.command("grow_brush" if up else "shrink_brush"))
        mt.feather_step.connect(lambda up: self.command("feather_up" if up else "feather_down"))
        mt.invert.connect(lambda: self.command("invert"))
        mt.clear.connect(lambda: self.command("clear"))

    # ---- a new clip
    def open_session(self) -> None:
        """Called once the new session is set: the pending save is the last session's, made now."""
        self._folder = _MaskFolder(self.mask_dir())
        self._stroke = None
        self._restore()

    def leave_session(self) -> None:
        if self.save_timer.isActive():  # a stroke's save still to come belongs to the session being left
            self.save_timer.stop()
            self.save()

    # ---- tools
    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.window.viewer.tool = tool
        self.show_state()

    def _stroke_segment(self, points: list, erase: bool, first: bool) -> None:
        s = self.host.session
        if s is None or s.compare is not None:
            return
        if first and self._stroke is not None:
            self._stroke_done()  # a stroke that never saw its release is still one step back
        if first or self._stroke is None:
            self._stroke = (s.frame, self._keep(s.frame))
        mask = self._mask_here()
        mask.dab(points, erase=erase)
        self.changed()

    def _stroke_done(self) -> None:
        if self._stroke is not None:
            frame, before = self._stroke
            self._stroke = None
            self._record("Brush stroke" if self.tool == "brush" else "Eraser stroke", frame, before)

    def _lasso(self, points: list, erase: bool) -> None:
        s = self.host.session
        if s is None or s.compare is not None:
            return
        before = self._keep(s.frame)
        self._mask_here().lasso(points, erase=erase)
        self.changed()
        self._record("Lasso", s.frame, before)

    def _mask_here(self) -> MaskDocument:
        mask = self.host.session.mask_here(create=True)
        mask.brush, mask.feather = self.brush, self.feather
        return mask

    def command(self, name: str) -> None:
        """A mask-tool command by name (the toolbar's buttons and the keys)."""
        s = self.host.session
        if s is None:
            return
        if name in ("grow_brush", "shrink_brush"):
            holder = MaskDocument(1, 1)
            holder.brush = self.brush
            self.brush = getattr(holder, name)()
            self.show_state()
            return
        if name in ("feather_up", "feather_down"):
            holder = MaskDocument(1, 1)
            holder.feather = before = self.feather
            after = holder.step_feather(name == "feather_up")
            if after != before:
                self._set_feather(after)
                self.host.history.record(f"Feather {after} px", lambda: self._set_feather(before),
                                         lambda: self._set_feather(after), merge_key="feather")
            return
        mask = s.masks.get(s.frame)
        if mask is None and name == "clear":
            return
        before = self._keep(s.frame)
        mask = mask or self._mask_here()
        getattr(mask, name)()
        self.changed()
        self._record(name.capitalize(), s.frame, before)

    def _set_feather(self, feather: int) -> None:
        self.feather = feather
        s = self.host.session
        for mask in (s.masks.values() if s else ()):  # one feather for every keyframe
            mask.feather = feather
        if s is not None and s.masks:
            self.changed()
        else:
            self.show_state()

    # ---- history
    def _keep(self, frame: int) -> _Kept:
        mask = self.host.session.masks.get(frame)
        return None if mask is None else (zlib.compress(mask.data.tobytes(), 1), mask.feather)

    def _put(self, frame: int, kept: _Kept) -> None:
        s = self.host.session
        if kept is None:
            s.masks.pop(frame, None)
        else:
            data = np.frombuffer(zlib.decompress(kept[0]), np.uint8).reshape(s.info.height, s.info.width)
            mask = s.mask_here(create=True) if frame == s.frame else s.masks.setdefault(
                frame, MaskDocument(s.info.width, s.info.height))
            mask.data, mask.feather = data.copy(), kept[1]
        if frame != s.frame:
            self.host.seek(frame)  # undo shows where it changed something
        self.changed()

    def _record(self, what: str, frame: int, before: _Kept) -> None:
        after = self._keep(frame)
        session = self.host.session
        tc = self.host.timecode(frame)

        def apply(kept: _Kept) -> None:
            if self.host.session is session:
                self._put(frame, kept)
        self.host.history.record(f"{what} at {tc}", lambda: apply(before), lambda: apply(after))

    # ---- showing
    def changed(self) -> None:
        s = self.host.session
        mask = s.masks.get(s.frame)
        self.window.viewer.set_overlay(None if mask is None else mask.data)
        self.host.show_keyframes()
        self.show_state()
        self.host.update_ready()
        self.save_timer.start()

    def show_state(self) -> None:
        """The mask toolbar from the session: the tool, the brush, the feather, and in words what mask
        applies on the playhead's frame (its own, the tracked one, or the keyframe's)."""
        self.window.viewer.brush = self.brush
        self.window.mask_tools.show_state(self.tool, self.brush, self.feather, self.describe())

    def describe(self) -> str:
        s = self.host.session
        if s is None:
            return ""
        mask = s.masks.get(s.frame)
        if mask is not None and not mask.empty:
            return f"keyframe mask · {mask.coverage() * 100:.1f}% of frame"
        key = s.mask_keyframe()
        if key is None:
            return ""
        where = self.host.timecode(key)
        if s.tracked_dir and s.tracked_index(s.frame) is not None:
            if s.tracked_is_current():
                return f"tracked mask · key {where}"
            return f"tracked mask · key {where} changed since: track again"
        return f"no mask here · key {where} (Track carries it)"

    # ---- disk
    def mask_dir(self) -> Path:
        return self.host.session.session_dir(self.host.settings.session_dir) / "masks"

    def save(self) -> None:
        """Mirrors painted masks to disk (worker thread): nothing painted is lost.

        Saves and restores of masks run one at a time in the order asked (a serial task), so a session's
        restore reads its folder after every save of the sessions before it, and before any of its own.
        """
        if self.host.session is None or self._folder is None:
            return
        target = self._folder
        restored = target.restored  # whether the snapshot holds the restored masks: taken now, not when written
        snapshot = {f: (m.data.copy(), m.feather) for f, m in self.host.session.masks.items()}

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
        self.host.tasks.run(write, None, lambda exc: self.host.error(plain(exc, doing="save the mask")), serial=True)

    def _restore(self) -> None:
        target, session = self._folder, self.host.session
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
            if self.host.session is not session:
                return  # another clip is open: its saves (made before this) kept every file of this folder
            target.restored = True  # from here on, the session's masks are all the editor's
            if not found:
                return
            merged = False
            for frame, (data, feather) in found.items():
                if frame in session.masks:  # painted while the folder was read: the saved paint goes under it
                    session.masks[frame].merge(data)
                    merged = True
                    continue
                doc = MaskDocument(session.info.width, session.info.height, data)
                doc.feather = feather
                session.masks[frame] = doc  # a painted one is a keyframe again (the session derives it)
            if merged:
                # the steps recorded meanwhile hold masks without the saved paint: undoing one would drop it
                self.host.history.clear()
            self.feather = session.masks[session.mask_keyframe()].feather
            for mask in session.masks.values():
                mask.feather = self.feather
            self.host.show_keyframes()
            self.host.status(f"Restored {len(found)} painted mask(s) from the last session")
            self.host.show_frame()
            self.host.update_ready()
        # A failed read leaves the session unrestored: its saves keep adding to the folder, never deleting
        # the masks that could not be read this time.
        self.host.tasks.run(read, restore, lambda exc: self.host.error(plain(exc, doing="read saved masks")),
                            serial=True)

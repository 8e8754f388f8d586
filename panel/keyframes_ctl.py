"""Edited frames: export a source frame for editing, attach the edited image as a keyframe.

The frame numbers here are the session's, which are media (source) indices, so an attached
frame goes to the engine as it is, like `mask_frame` and the preview frame. Disk work (the
export, reading the edited image's size, the session's record of attachments) runs on
`host.tasks`; the handlers only touch state and widgets on the GUI thread.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QListWidgetItem

from .errors import plain
from .frames import edited_source
from .host import Host
from .model.keyframes import FILE_FILTER, check_edited, export_frame, export_name
from .model.session import ClipSession
from .shortcuts import KEYS

EDITED_FILE = "edited.json"


class EditedFramesController:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.window = w = host.window
        self.last_export: Path | None = None
        w.edit.export_frame.clicked.connect(self.export_frame)
        w.edit.load_edited.clicked.connect(lambda: self.load_edited())
        w.edit.remove_edited.clicked.connect(self.remove_selected)
        w.edit.edited.itemDoubleClicked.connect(lambda item: host.seek(item.data(Qt.UserRole)))
        w.actions["export_frame"].triggered.connect(self.export_frame)
        w.actions["load_edited"].triggered.connect(lambda: self.load_edited())
        w.actions["remove_edited"].triggered.connect(self.remove_selected)

    def folder(self) -> Path:
        s = self.host.session
        return s.session_dir(self.host.settings.session_dir) / "frames"

    # ---- export
    def export_frame(self) -> None:
        s = self.host.session
        if s is None:
            self.host.status("Open a clip first")
            return
        frame, info = s.frame, s.info
        path = self.folder() / export_name(s.clip.name, frame)
        tc = self.host.timecode(frame)

        def done(written: Path) -> None:
            self.last_export = written
            self.host.status(f"Exported {tc} to {written}: edit it, then Load edited frame… on this frame")
        self.host.tasks.run(lambda: export_frame(info, frame, path), done,
                              lambda exc: self.host.error(plain(exc, doing=f"export frame {tc}")))

    # ---- attach / remove
    def ask_edited_path(self) -> str:
        """Asks for the edited image (tests replace this)."""
        start = str(self.folder()) if self.folder().exists() else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Load edited frame", start, FILE_FILTER)
        return path

    def load_edited(self, path: str | None = None) -> None:
        """Attaches an edited image to the current frame, after checking it is the clip's size."""
        s = self.host.session
        if s is None:
            self.host.status("Open a clip first")
            return
        frame = s.frame  # the frame the editor asked on, even if the playhead moves meanwhile
        path = path if path is not None else self.ask_edited_path()
        if not path:
            return
        width, height, tc = s.info.width, s.info.height, self.host.timecode(frame)

        def attach(_: None) -> None:
            if self.host.session is s:
                self.attach(frame, path, f"Edited frame {Path(path).name} at {tc}")
                self.host.status(f"Edited frame attached at {tc}: Edited ({KEYS['toggle_edited']}) shows it")

        def refused(exc: BaseException) -> None:
            self.host.error(f"Edited frame not attached at {tc}: {exc}")
        self.host.tasks.run(lambda: check_edited(path, width, height), attach, refused)

    def attach(self, frame: int, path: str, what: str) -> None:
        """Makes `path` (checked to be the clip's size) the edited keyframe of `frame`, as one undoable step."""
        s = self.host.session
        resolved = str(Path(path).resolve())
        self.host.frames.forget(edited_source(resolved))  # a file re-saved under its old name is read anew
        before = s.edited.get(frame)
        s.attach_edited(frame, resolved)
        self._changed(s)
        self._record(s, frame, what, before, resolved)

    def remove_selected(self) -> None:
        s = self.host.session
        if s is None:
            return
        item = self.window.edit.edited.currentItem()
        frame = item.data(Qt.UserRole) if item is not None else s.frame
        self.remove(frame)

    def remove(self, frame: int) -> None:
        s = self.host.session
        if s is None or frame not in s.edited:
            self.host.status("No edited frame there to remove")
            return
        before = s.edited.get(frame)
        s.remove_edited(frame)
        self._changed(s)
        tc = self.host.timecode(frame)
        self._record(s, frame, f"Remove edited frame at {tc}", before, None)
        if frame in s.keyframes:
            self.host.status(f"Edited frame at {tc} removed; its keyframe stays (marked or painted)")
        else:
            self.host.status(f"Edited frame at {tc} removed, and its keyframe")

    def _record(self, s: ClipSession, frame: int, what: str, before: str | None, after: str | None) -> None:
        h = self.host

        def put(path: str | None) -> None:
            if h.session is not s:
                return
            if path is None:
                s.remove_edited(frame)
            else:
                s.attach_edited(frame, path)
            h.seek(frame)
            self._changed(s)
        h.history.record(what, lambda: put(before), lambda: put(after))

    # ---- showing and keeping
    def _changed(self, s: ClipSession) -> None:
        self.refresh()
        self.host.clear_preview()  # a preview made with other keyframes would mislead
        self.host.show_frame()
        self.host.update_ready()
        self.save(s)

    def refresh(self) -> None:
        s, w = self.host.session, self.window
        edited = dict(s.edited) if s else {}
        w.edit.edited.clear()
        for frame, path in sorted(edited.items()):
            item = QListWidgetItem(f"{self.host.timecode(frame)}  ·  frame {frame}  ·  {Path(path).name}")
            item.setData(Qt.UserRole, frame)
            item.setToolTip(path)
            w.edit.edited.addItem(item)
        w.edit.remove_edited.setEnabled(bool(edited))
        w.actions["remove_edited"].setEnabled(bool(edited))
        self.host.show_keyframes()

    def save(self, s: ClipSession) -> None:
        """Records the attachments in the session folder (worker thread), so a restart keeps them."""
        path = s.session_dir(self.host.settings.session_dir) / EDITED_FILE
        text = json.dumps({str(f): p for f, p in sorted(s.edited.items())})

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.host.tasks.run(write, None, lambda exc: self.host.error(plain(exc, doing="save the edited frames")))

    def restore(self) -> None:
        s = self.host.session
        path = s.session_dir(self.host.settings.session_dir) / EDITED_FILE
        first, end = s.clip.range_with_handles.start, s.clip.range_with_handles.end

        def read() -> dict[int, str]:
            if not path.exists():
                return {}
            found = {int(f): p for f, p in json.loads(path.read_text()).items()}
            return {f: p for f, p in found.items() if first <= f < end and Path(p).is_file()}

        def restored(found: dict[int, str]) -> None:
            if self.host.session is not s or not found:
                return
            for frame, p in found.items():
                s.attach_edited(frame, p)
            self.refresh()
            self.host.update_ready()
            self.host.status(f"Restored {len(found)} edited frame(s) from the last session")
        self.host.tasks.run(read, restored, lambda exc: self.host.error(plain(exc, doing="read the edited frames")))

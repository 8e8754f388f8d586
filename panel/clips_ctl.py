"""Opening clips (a media file, an image sequence, a timeline, the clip selected in Resolve) and the
keyframes marked by hand (◆), which the session folder keeps.

`load_clip` starts a session: it sets the header and scrubber, then asks each controller (through the
host) to bring back what the session folder holds for this clip.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog

from retakes.bridge.clipref import ClipRef
from retakes.engine.media import MediaInfo

from .errors import plain
from .host import Host
from .model import clips
from .model.marks import MarkedFile
from .model.session import ClipSession


class ClipsController:
    def __init__(self, host: Host, on_loaded: Callable[[ClipSession], None]) -> None:
        """`on_loaded(session)`: the studio's hook that has every controller take up the new session."""
        self.host = host
        self.window = w = host.window
        self._on_loaded = on_loaded
        self._marked_file: MarkedFile | None = None  # the session folder's record of ◆ marks
        w.actions["open_media"].triggered.connect(lambda: self.ask_open("media"))
        w.actions["open_sequence"].triggered.connect(lambda: self.ask_open("sequence"))
        w.actions["open_timeline"].triggered.connect(lambda: self.ask_open("timeline"))
        w.actions["from_resolve"].triggered.connect(self.load_from_resolve)

    # ---- opening
    def ask_open(self, kind: str) -> None:
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
        h = self.host
        h.status(f"Opening {path.name}…")
        if path.suffix.lower() in clips.TIMELINE_SUFFIXES:
            h.tasks.run(lambda: clips.timeline_entries(path), self._pick_from_timeline,
                        lambda exc: h.error(plain(exc, doing=f"read the timeline {path.name}")))
        else:
            h.tasks.run(lambda: clips.open_media(path), lambda r: self.load_clip(*r),
                        lambda exc: h.error(plain(exc, doing=f"open {path.name}")))

    def _pick_from_timeline(self, entries: list[clips.TimelineEntry]) -> None:
        usable = [e for e in entries if e.clip is not None]
        if not usable:
            reasons = "; ".join(f"{e.label}: {e.refused}" for e in entries) or "it has no video clips"
            self.host.error(f"No clip on that timeline can be edited ({reasons})")
            return
        labels = [e.label if e.clip else f"{e.label}  — {e.refused}" for e in entries]
        choice = self.pick_clip(labels)
        entry = entries[labels.index(choice)] if choice in labels else None
        if entry is not None and entry.clip is None:
            self.host.error(f"That clip can't be edited: {entry.refused}")
        elif entry is not None:
            self.open_clip(entry.clip)

    def pick_clip(self, labels: list[str]) -> str | None:
        """Asks which clip to edit (tests replace this)."""
        choice, ok = QInputDialog.getItem(self.window, "Pick a clip", "Clip on the timeline:", labels, 0, False)
        return choice if ok else None

    def open_clip(self, clip: ClipRef) -> None:
        h = self.host
        h.tasks.run(lambda: clips.probe_clip(clip), lambda info: self.load_clip(clip, info),
                    lambda exc: h.error(plain(exc, doing=f"open {clip.name}")))

    def load_from_resolve(self) -> None:
        h = self.host
        if h.resolve is None:
            h.error("No Resolve connection: start retakes from Resolve (Workspace > Scripts > retakes).")
            return
        from retakes.bridge.resolve.read import current_clip

        resolve = h.resolve
        h.tasks.run(lambda: current_clip(resolve), self.open_clip,
                    lambda exc: h.error(plain(exc, doing="read the clip selected in Resolve")))

    def load_clip(self, clip: ClipRef, info: MediaInfo) -> None:
        h, w = self.host, self.window
        session = ClipSession(clip, info)
        self._marked_file = MarkedFile(session.session_dir(h.settings.session_dir))
        h.frames.register(info)
        tb = clip.source_timebase or info.timebase
        tc_in, tc_out = clip.source_timecodes if clip.source_timebase else (
            tb.timecode_of(clip.source_range.start), tb.timecode_of(clip.source_range.end))
        rate = f"{float(clip.source_rate):.3f}".rstrip("0").rstrip(".")
        where = clip.timeline.name if clip.timeline.name != "(no timeline)" else "file"
        w.header.show_clip(clip.name, tc_in, tc_out, rate, f"{info.width}×{info.height}", where)
        s = w.scrubber
        rendered = clip.range_with_handles
        s.rate = clip.source_rate.nominal
        s.set_range(rendered.start, rendered.end, (clip.source_range.start, clip.source_range.end))
        s.tracked = None
        w.viewer.message = "Decoding…"
        if h.link.online:
            w.banner.hide()
        self._on_loaded(session)
        self._restore_marked()
        h.show_frame()
        h.update_ready()
        h.status(f"Loaded {clip.name} ({len(clip.source_range)} frames)")

    # ---- keyframes marked by hand
    def mark_keyframe(self) -> None:
        h = self.host
        s = h.session
        frame = s.frame
        done = s.toggle_keyframe()
        h.show_keyframes()
        if done == "kept":
            held, what, undo = s.held(s.frame), [], []
            if "edited" in held:
                what.append(f"the edited image {Path(s.edited[s.frame]).name}, which goes with the request")
                undo.append("Remove edited frame detaches the image")
            if "painted" in held:
                what.append("a painted mask")
                undo.append("Clear empties the mask")
            h.status(f"Keyframe kept at {h.timecode()}: it carries {' and '.join(what)}, and keeps its "
                     f"diamond while it does. {'; '.join(undo)}.")
            return
        self.save_marked()
        h.status(f"Keyframe {done} at {h.timecode()}")

        def put(marked: bool) -> None:
            if h.session is not s:
                return
            s.mark_keyframe(frame) if marked else s.unmark_keyframe(frame)
            h.seek(frame)
            h.show_keyframes()
            self.save_marked()
        h.history.record(f"Keyframe {done} at {h.timecode()}", lambda: put(done != "marked"),
                         lambda: put(done == "marked"))

    def save_marked(self) -> None:
        """Records the hand marks in the session folder (worker thread), so reopening the clip keeps them."""
        file, s, h = self._marked_file, self.host.session, self.host
        if file is None or s is None or not file.read_done:
            return  # before the restore has read the file, a save would drop the marks in it; the restore saves
        h.tasks.run(file.snapshot(s.marked), None, lambda exc: h.error(plain(exc, doing="save the keyframe marks")))

    def _restore_marked(self) -> None:
        file, h = self._marked_file, self.host
        s = h.session
        rendered = s.clip.range_with_handles

        def restored(found: frozenset[int]) -> None:
            if h.session is not s:
                return
            before = s.marked  # marked while the file was being read: not in it yet
            for frame in found:
                s.mark_keyframe(frame)
            file.read_done = True
            if before - found:
                self.save_marked()
            if found:
                h.show_keyframes()
                h.status(f"Restored {len(found)} marked keyframe(s) from the last session")

        def failed(exc: BaseException) -> None:
            file.read_done = True  # the marks made from now on are still kept
            h.error(plain(exc, doing="read the keyframe marks"))
        h.tasks.run(lambda: file.read(rendered.start, rendered.end), restored, failed)

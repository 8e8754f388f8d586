"""The playhead and the viewer: seeking, J/K/L playback, keyframe jumps, and what the viewer shows.

The viewer shows, on the playhead's frame, the compare of two versions, a preview, the edited image
(Original / Edited) or the source, with the mask overlay painted or tracked. Frames are decoded off
the GUI thread (`FrameStore`); `_frame_ready` puts one on screen when it is still the one wanted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer

from .frames import edited_source
from .host import Host
from .model.session import View
from .shortcuts import KEYS


class ViewerController:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.window = host.window
        self._play = QTimer(host.window)
        self._play.timeout.connect(self._tick)
        host.frames.ready.connect(self._frame_ready)
        host.frames.failed.connect(self._frame_failed)
        self.window.scrubber.seek.connect(self.seek)
        self.window.timecode.returnPressed.connect(self._typed_timecode)
        for view, button in self.window.view_buttons.items():
            button.clicked.connect(lambda _=False, v=view: self.show_view(v) if host.session else None)

    # ---- transport
    def seek(self, frame: int) -> None:
        if self.host.session is None:
            return
        self.host.session.transport.seek(frame)
        self.show_frame()

    def step(self, delta: int) -> None:
        self._play.stop()
        self.host.session.transport.step(delta)
        self.show_frame()

    def stop(self) -> None:
        self._play.stop()
        if self.host.session is not None:
            self.host.session.transport.stop()
            self._show_speed()

    def toggle_play(self) -> None:
        if self.host.session.transport.speed:
            self.stop()
        else:
            self.shuttle(self.host.session.transport.forward)

    def shuttle(self, change: Any) -> None:
        change()
        self._play.start(max(1, int(1000 / float(self.host.session.clip.source_rate))))
        self._show_speed()

    @property
    def playing(self) -> bool:
        return self._play.isActive()

    def _tick(self) -> None:
        s = self.host.session
        if s is None or not s.transport.tick():
            self._play.stop()
        self._show_speed()
        self.show_frame()

    def _show_speed(self) -> None:
        s = self.host.session
        speed = s.transport.speed if s else 0
        self.window.speed_label.setText("" if not speed else f"{'◀' if speed < 0 else '▶'} {abs(speed)}×")

    def jump_keyframe(self, direction: int) -> None:
        s = self.host.session
        keys = sorted(k for k in s.keyframes if (k - s.frame) * direction > 0)
        if keys:
            self.seek(keys[0] if direction > 0 else keys[-1])

    # ---- In and Out
    def mark_in(self) -> None:
        s = self.host.session
        out = s.mark_out if s.mark_out is not None and s.mark_out > s.frame else None
        self.set_marks(s.frame, out)

    def mark_out(self) -> None:
        s = self.host.session
        mark_in = s.mark_in if s.mark_in is not None and s.mark_in <= s.frame else None
        self.set_marks(mark_in, s.frame + 1)

    def clear_marks(self) -> None:
        self.set_marks(None, None)

    def set_marks(self, mark_in: int | None, mark_out: int | None, *, record: bool = True) -> None:
        """In and Out (Out exclusive; None: the clip's own end), shown on the scrubber and in timecode."""
        h, s = self.host, self.host.session
        rendered = s.clip.range_with_handles
        mark_in = None if mark_in is None else min(max(mark_in, rendered.start), rendered.end - 1)
        mark_out = None if mark_out is None else min(max(mark_out, rendered.start + 1), rendered.end)
        if mark_in is not None and mark_out is not None and mark_out <= mark_in:
            mark_out = None
        before = (s.mark_in, s.mark_out)
        s.mark_in, s.mark_out = mark_in, mark_out
        self.show_marks()
        h.update_ready()
        if record and before != (mark_in, mark_out):
            def put(marks: tuple[int | None, int | None], session=s) -> None:
                if h.session is session:
                    self.set_marks(*marks, record=False)
            h.history.record(self.marks_text() or "Clear In and Out", lambda: put(before),
                             lambda: put((mark_in, mark_out)))
            h.status(self.marks_text() or "In and Out cleared: Generate renders the whole clip")
        h.save_settings()

    def marks_text(self) -> str:
        s = self.host.session
        if s is None or (s.mark_in is None and s.mark_out is None):
            return ""
        r = s.render_range()
        return f"IN {self.timecode(r.start)}  OUT {self.timecode(r.end - 1)} · {len(r)} frames"

    def show_marks(self) -> None:
        s = self.host.session
        marks = None if s is None or (s.mark_in is None and s.mark_out is None) else s.render_range()
        self.window.scrubber.set_marks(None if marks is None else (marks.start, marks.end))
        self.window.marks_label.setText(self.marks_text())

    # ---- the audio under the scrubber
    def load_waveform(self) -> None:
        """Reads the clip's audio peaks off the GUI thread; the waveform shows them when they arrive."""
        from .model.waveform import frame_peaks

        h, s = self.host, self.host.session
        wave = self.window.waveform
        rendered = s.clip.range_with_handles
        wave.show_peaks(rendered.start, None, "reading the audio…")
        if Path(s.clip.media_path).is_dir():
            wave.show_peaks(rendered.start, None, "no audio (an image sequence)")
            return
        path, rate = s.clip.media_path, s.info.rate

        def done(peaks: np.ndarray | None) -> None:
            if h.session is s:
                wave.show_peaks(rendered.start, peaks, "" if peaks is not None else "no audio in this clip")

        def failed(exc: BaseException) -> None:
            if h.session is s:
                wave.show_peaks(rendered.start, None, f"audio can't be read: {exc}")
        h.tasks.run(lambda: frame_peaks(path, rate, rendered.start, rendered.end), done, failed)

    # ---- typing a timecode
    def goto_timecode(self) -> None:
        field = self.window.timecode
        field.setFocus()
        field.selectAll()

    def _typed_timecode(self) -> None:
        s, field = self.host.session, self.window.timecode
        text = field.text().strip()
        if s is None:
            return
        try:
            frame = self.frame_of(text)
        except ValueError:
            self.host.status(f"“{text}” is not a timecode: type one like {self.timecode()}, or +N / -N frames")
            field.setText(self.timecode())
            return
        self.seek(frame)
        self.window.viewer.setFocus()  # back to the keys (J/K/L) once the jump is made
        if s.frame != frame:
            self.host.status(f"{text} is outside the clip: went to {self.timecode()}")

    def frame_of(self, text: str) -> int:
        """A typed position: a timecode (':' or ';'), or +N / -N frames from the playhead."""
        s = self.host.session
        if text[:1] in "+-" and text[1:].isdigit():
            return s.frame + int(text)
        tb = s.clip.source_timebase or s.info.timebase
        try:
            return tb.frame_of(text)
        except Exception as exc:  # noqa: BLE001 - InvalidArgument and the parser's own errors alike
            raise ValueError(str(exc)) from exc

    # ---- what is on screen
    def show_keyframes(self) -> None:
        """The scrubber's diamonds and edited dots, from the session (the one truth)."""
        s = self.host.session
        self.window.scrubber.show_keys(s.keyframes if s else set(), s.edited if s else ())

    def timecode(self, frame: int | None = None) -> str:
        s = self.host.session
        tb = s.clip.source_timebase or s.info.timebase
        return tb.timecode_of(s.frame if frame is None else frame)

    def show_frame(self) -> None:
        s = self.host.session
        if s is None:
            return
        w = self.window
        if not w.timecode.hasFocus():  # never under the editor's typing
            w.timecode.setText(self.timecode())
        clip_frame = s.frame - s.clip.source_range.start
        w.frame_label.setText(f"frame {s.frame}  ·  clip {clip_frame + 1}/{len(s.clip.source_range)}")
        w.scrubber.set_frame(s.frame)
        w.waveform.update()  # its playhead line
        self.show_view_state()
        self.host.show_mask_state()  # the mask label names what is on this frame
        if s.compare is not None:
            self.host.show_compare()
            return
        rgb = self.host.frames.request(self._shown_source(), s.frame)
        if rgb is not None:
            self._display(rgb)

    def _shown_source(self) -> str:
        """Where the viewer's picture of this frame comes from: the source media, or the edited image
        attached to the frame when the editor chose Edited (its path as the session records it)."""
        s = self.host.session
        if s.showing() == "edited" and not self.host.has_preview(s.frame):
            return edited_source(s.edited[s.frame])
        return str(s.info.path)  # under a preview, Original is the source whatever was chosen before

    def _frame_ready(self, source: str, index: int, rgb: np.ndarray) -> None:
        s = self.host.session
        if s is None:
            return
        if s.compare is not None:
            self.host.show_compare()
        elif source == self._shown_source() and index == s.frame:
            self._display(rgb)
        elif source == f"mask:{s.tracked_dir}" and s.tracked_index(s.frame) == index:
            self.show_overlay()

    def _frame_failed(self, source: str, index: int, message: str) -> None:
        s = self.host.session
        if s is not None and s.showing() == "edited" and source == self._shown_source() and index == s.frame:
            self._edited_unusable(message)
        elif not source.startswith("waveform:"):
            self.host.error(f"Could not read that frame: {message}")

    def _edited_unusable(self, why: str) -> None:
        """The attached file can't be shown (moved, deleted, re-saved at another size): say so and show
        the source rather than a stale or misplaced picture under an EDITED badge."""
        s = self.host.session
        name = Path(s.edited[s.frame]).name
        s.view = "original"
        self.host.error(f"Can't show the edited image {name} at {self.timecode()}: {why}. Showing the original; "
                        f"Load edited frame… attaches it again.")
        self.show_frame()

    def _display(self, rgb: np.ndarray) -> None:
        w, s = self.window, self.host.session
        size = (s.info.width, s.info.height)
        preview = self.host.preview_for(s.frame)
        preview_here = self.host.has_preview(s.frame)
        showing = "original" if preview_here else s.showing()
        if showing == "edited" and preview is None and (rgb.shape[1], rgb.shape[0]) != size:
            # check_edited refused this size at attach time, so the file changed on disk since
            self._edited_unusable(f"it is now {rgb.shape[1]}×{rgb.shape[0]}, the clip's frames are {size[0]}×{size[1]}")
            return
        w.viewer.badges = list(self.host.badges_for(s.frame))
        if s.frame in s.edited:
            if preview_here:
                w.viewer.badges.append("EDITED FRAME ATTACHED")
            elif showing == "edited":
                w.viewer.badges.append(f"EDITED · {Path(s.edited[s.frame]).name}")
            else:
                w.viewer.badges += ["ORIGINAL", "EDITED FRAME ATTACHED"]
        w.viewer.set_frame(preview if preview is not None else rgb, size)
        if preview is None:
            self.show_overlay()
        else:
            w.viewer.set_overlay(None)  # a tint over the result would misstate its colours

    def show_overlay(self) -> None:
        s, v = self.host.session, self.window.viewer
        mask = s.masks.get(s.frame)
        if mask is not None and not mask.empty:
            v.set_overlay(mask.data)
            return
        index = s.tracked_index(s.frame)
        tracked = self.host.frames.request(f"mask:{s.tracked_dir}", index) if index is not None else None
        v.set_overlay(tracked)

    # ---- original / edited
    def show_view(self, view: View) -> None:
        """Original or Edited on a frame with an edited image or a preview; the choice holds while
        scrubbing, so every edited frame can be checked in turn, and frames without one show their source.
        On a previewed frame, Edited is the preview: the one-frame result against the original."""
        s = self.host.session
        why = self._view_blocked()
        if why:
            self.host.status(why)
            self.show_view_state()
            return
        if self.host.has_preview(s.frame):
            self.host.show_preview(view == "edited")
            self.show_frame()
            self.host.status(f"Showing the preview at {self.timecode()}" if view == "edited" else
                             f"Showing the original at {self.timecode()} (the preview is kept: "
                             f"{KEYS['toggle_edited']} shows it again)")
            return
        s.view = view
        self.show_frame()
        name = Path(s.edited[s.frame]).name
        self.host.status(f"Showing the edited image {name} at {self.timecode()}" if view == "edited"
                         else f"Showing the original at {self.timecode()} (edited image {name} attached)")

    def toggle_view(self) -> None:
        self.show_view("original" if self._showing() == "edited" else "edited")

    def _showing(self) -> View:
        """What the Original / Edited buttons light: the preview counts as Edited on its frame."""
        s = self.host.session
        if s is None:
            return "original"
        if self.host.has_preview(s.frame):
            return "edited" if self.host.preview_for(s.frame) is not None else "original"
        return s.showing()

    def _view_blocked(self) -> str:
        """Why Original / Edited can't switch here, in words; "" when it can."""
        s = self.host.session
        if s is None:
            return "Open a clip first"
        if s.compare is not None:
            return f"Comparing versions: leave compare ({KEYS['compare_exit']}) to see the edited image"
        if s.frame not in s.edited and not self.host.has_preview(s.frame):
            return ("No edited image or preview on this frame: Preview (P) one, or Export frame…, edit it, "
                    "then Load edited frame… attaches one")
        return ""

    def show_view_state(self) -> None:
        """The Original / Edited buttons from the session: lit on what is shown, enabled where switching can."""
        s, w = self.host.session, self.window
        buttons, why = w.view_buttons, self._view_blocked()
        # Neither is lit under a compare: what is on screen is then neither of them.
        covered = s is not None and s.compare is not None
        w.view_group.setExclusive(False)
        for view, button in buttons.items():
            button.setChecked(not covered and view == self._showing())
        w.view_group.setExclusive(True)
        key = KEYS["toggle_edited"]
        for view, button in buttons.items():
            button.setEnabled(not why)
            edited = "the preview of this frame" if s and self.host.has_preview(s.frame) else "the edited image"
            tip = f"Show {edited} ({key})" if view == "edited" else f"Show the source frame ({key})"
            button.setToolTip(why or tip)

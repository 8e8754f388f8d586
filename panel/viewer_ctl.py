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
        w.timecode.setText(self.timecode())
        clip_frame = s.frame - s.clip.source_range.start
        w.frame_label.setText(f"frame {s.frame}  ·  clip {clip_frame + 1}/{len(s.clip.source_range)}")
        w.scrubber.set_frame(s.frame)
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
        return edited_source(s.edited[s.frame]) if s.showing() == "edited" else str(s.info.path)

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
        showing = s.showing()
        if showing == "edited" and preview is None and (rgb.shape[1], rgb.shape[0]) != size:
            # check_edited refused this size at attach time, so the file changed on disk since
            self._edited_unusable(f"it is now {rgb.shape[1]}×{rgb.shape[0]}, the clip's frames are {size[0]}×{size[1]}")
            return
        w.viewer.badges = list(self.host.badges_for(s.frame))
        if s.frame in s.edited:
            if preview is not None:
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
        """Original or Edited on a frame with an edited image; the choice holds while scrubbing, so
        every edited frame can be checked in turn, and frames without one show their source."""
        s = self.host.session
        why = self._view_blocked()
        if why:
            self.host.status(why)
            self.show_view_state()
            return
        s.view = view
        self.show_frame()
        name = Path(s.edited[s.frame]).name
        self.host.status(f"Showing the edited image {name} at {self.timecode()}" if view == "edited"
                         else f"Showing the original at {self.timecode()} (edited image {name} attached)")

    def toggle_view(self) -> None:
        self.show_view("original" if self.host.session.showing() == "edited" else "edited")

    def _view_blocked(self) -> str:
        """Why Original / Edited can't switch here, in words; "" when it can."""
        s = self.host.session
        if s is None:
            return "Open a clip first"
        if s.frame not in s.edited:
            return "No edited image on this frame: Export frame…, edit it, then Load edited frame… attaches one"
        if s.compare is not None:
            return f"Comparing versions: leave compare ({KEYS['compare_exit']}) to see the edited image"
        if self.host.preview_for(s.frame) is not None:
            return ("The preview of this frame is shown; Original / Edited applies again once a new preview "
                    "or a keyframe change replaces it")
        return ""

    def show_view_state(self) -> None:
        """The Original / Edited buttons from the session: lit on what is shown, enabled where switching can."""
        s, w = self.host.session, self.window
        buttons, why = w.view_buttons, self._view_blocked()
        # Neither is lit under a preview or a compare: what is on screen is then neither of them.
        covered = s is not None and (s.compare is not None or self.host.preview_for(s.frame) is not None)
        w.view_group.setExclusive(False)
        for view, button in buttons.items():
            button.setChecked(not covered and view == (s.showing() if s else "original"))
        w.view_group.setExclusive(True)
        key = KEYS["toggle_edited"]
        for view, button in buttons.items():
            button.setEnabled(not why)
            button.setToolTip(why or (f"Show the edited image attached here ({key})" if view == "edited"
                                      else f"Show the source frame ({key})"))

"""What the session folder brings back when a clip is reopened: hand marks (◆) and painted masks.

The clip has handles (source 6..18 of a 24-frame file), and it is reopened with other handles, so a
mark kept clip-relative or handle-relative would come back on another frame. Reopening the clip
(`load_clip` again) is what a panel restart does: the new session reads the same folder.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from retakes.panel.model.marks import MARKED_FILE
from retakes.panel.model.session import ClipSession
from tests.support.panel import H, W

from .test_edited_frames import handled, loaded  # noqa: F401  (fixture)
from .test_end_to_end import paint
from .test_shortcuts import press

MARKS_LOG = "retakes.panel.model.marks"


def diamond(qtbot, studio, frame: int) -> str:
    """◆ on `frame`, clicked on the transport bar; returns what the status bar said."""
    studio.seek(frame)
    qtbot.mouseClick(studio.window.transport_buttons["mark_keyframe"], Qt.LeftButton)
    return studio.window.statusBar().currentMessage()


def settled(qtbot, studio) -> None:
    """Every save on its way has reached the disk: the mask save waits a moment after the last stroke,
    and a ◆ made before the restore read the marks file is saved when it has (a callback, then a task)."""
    qtbot.waitUntil(lambda: not studio.masks.save_timer.isActive() and studio.tasks.busy == 0, timeout=5000)


def reopen(studio, demo_media, handles: tuple[int, int] = (4, 4)) -> None:
    clip, info = handled(demo_media)
    studio.load_clip(dataclasses.replace(clip, handles=handles), info)


def test_hand_marks_come_back_with_the_clip_as_source_frames(qtbot, loaded, demo_media) -> None:  # noqa: F811
    s, w = loaded, loaded.window
    assert "Keyframe marked" in diamond(qtbot, s, 3)  # a handle frame, before the clip's first frame (6)
    assert "Keyframe marked" in diamond(qtbot, s, 9)
    diamond(qtbot, s, 15)
    assert "Keyframe removed" in diamond(qtbot, s, 15)  # taken off again: not kept
    assert w.scrubber.keyframes == {3, 9}
    settled(qtbot, s)

    reopen(s, demo_media, handles=(6, 6))  # the same clip with wider handles: source frames 0..24
    assert s.session.keyframes == set()  # a new session: what follows is read back from the folder
    qtbot.waitUntil(lambda: w.scrubber.keyframes == {3, 9}, timeout=5000)
    assert s.session.keyframes == {3, 9} and s.session.marked == {3, 9}
    assert "Restored 2 marked keyframe(s)" in w.statusBar().currentMessage()

    assert "Keyframe removed" in diamond(qtbot, s, 9)  # a restored mark is a mark like any other
    settled(qtbot, s)
    reopen(s, demo_media)
    qtbot.waitUntil(lambda: w.scrubber.keyframes == {3}, timeout=5000)
    assert s.session.keyframes == {3}


@pytest.mark.parametrize("content", [b"[9, 12", b'{"frames": [9]}', b'[9, "12"]', b"\xff\xfe[9]"],
                         ids=["cut-short", "not-a-list", "not-frames", "not-utf8"])
def test_an_unreadable_marks_file_is_no_marks(qtbot, studio, demo_media, settings, tmp_path,
                                              caplog, content) -> None:
    caplog.set_level(logging.INFO, logger=MARKS_LOG)
    w = studio.window
    folder = ClipSession(*handled(demo_media)).session_dir(settings.session_dir)
    reopen(studio, demo_media)  # nothing saved yet: no marks, and the log says why
    qtbot.waitUntil(lambda: "none to restore" in caplog.text, timeout=5000)
    assert studio.session.keyframes == set()

    # An edited image attached last time, and a marks file that can't be read.
    edited = tmp_path / "edited_9.png"
    cv2.imwrite(str(edited), np.zeros((H, W, 3), np.uint8))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "edited.json").write_text(json.dumps({"9": str(edited)}))
    (folder / MARKED_FILE).write_bytes(content)
    caplog.clear()
    reopen(studio, demo_media)
    qtbot.waitUntil(lambda: "Hand-marked keyframes not restored" in caplog.text, timeout=5000)
    assert str(folder / MARKED_FILE) in caplog.text and "treating it as no marks" in caplog.text
    qtbot.waitUntil(lambda: studio.session.edited == {9: str(edited)}, timeout=5000)  # the rest came back
    assert w.scrubber.keyframes == {9} and studio.session.marked == set() and not w.banner.isVisible()

    assert "Keyframe marked" in diamond(qtbot, studio, 12)  # the next ◆ writes a good file over it
    settled(qtbot, studio)
    assert json.loads((folder / MARKED_FILE).read_text()) == [12]
    reopen(studio, demo_media)
    qtbot.waitUntil(lambda: w.scrubber.keyframes == {9, 12}, timeout=5000)
    assert studio.session.marked == {12}


def test_only_painted_masks_are_restored(qtbot, loaded, demo_media) -> None:  # noqa: F811
    s, w = loaded, loaded.window
    s.seek(9)
    paint(qtbot, w.viewer, 0.4, 0.4, 0.6, 0.6)
    s.seek(12)
    paint(qtbot, w.viewer, 0.1, 0.1, 0.3, 0.3)
    press(qtbot, s, "clear")  # cleared: its file stays in the folder, all black
    assert w.scrubber.keyframes == {9}
    settled(qtbot, s)
    assert len(list(s.masks.mask_dir().glob("12_*.png"))) == 1
    (s.masks.mask_dir() / "15_2.png.tmp.png").write_bytes(b"a write cut short")  # not a mask: skipped

    reopen(s, demo_media)
    qtbot.waitUntil(lambda: "painted mask" in w.statusBar().currentMessage(), timeout=5000)
    assert "Restored 1 painted mask(s)" in w.statusBar().currentMessage()
    assert w.scrubber.keyframes == {9} and s.session.painted == {9} and s.session.mask_keyframe() == 9

    s.seek(9)
    press(qtbot, s, "clear")  # now no mask has paint: nothing to restore, and nothing claimed
    assert w.scrubber.keyframes == set()
    settled(qtbot, s)
    reopen(s, demo_media)
    qtbot.waitUntil(lambda: w.viewer.has_frame and s.tasks.busy == 0, timeout=5000)
    assert "Restored" not in w.statusBar().currentMessage()
    assert w.scrubber.keyframes == set() and s.session.keyframes == set()


def test_a_mask_painted_just_before_a_reopen_is_saved_for_its_session(qtbot, loaded, demo_media) -> None:  # noqa: F811
    s, w = loaded, loaded.window
    s.masks.save_timer.setInterval(10_000)  # the editor reopens within the debounce, however slow this machine is
    s.seek(9)
    paint(qtbot, w.viewer, 0.4, 0.4, 0.6, 0.6)
    painted = s.session.masks[9].data.copy()
    assert s.masks.save_timer.isActive() and not s.masks.mask_dir().exists()  # the save is still to come

    reopen(s, demo_media)  # the pending save is the last session's: it is made, for that session's folder
    qtbot.waitUntil(lambda: s.session.painted == {9}, timeout=5000)  # and before the new session reads it
    settled(qtbot, s)
    reopen(s, demo_media)
    qtbot.waitUntil(lambda: s.session.painted == {9}, timeout=5000)
    assert w.scrubber.keyframes == {9} and np.array_equal(s.session.masks[9].data, painted)


class HeldRestore:
    """Holds the restore's read of a saved mask until `release` is set, so the editor can paint meanwhile."""

    def __init__(self, monkeypatch) -> None:
        from retakes.panel import masks_ctl as studio_module

        self.reading, self.release = threading.Event(), threading.Event()
        real = studio_module.read_png

        def held(path: str) -> np.ndarray | None:
            self.reading.set()
            self.release.wait(10)  # a bound, so a broken test can't hang the run
            return real(path)
        monkeypatch.setattr(studio_module, "read_png", held)


@pytest.fixture
def held_restore(loaded, monkeypatch) -> Iterator[HeldRestore]:  # noqa: F811
    hold = HeldRestore(monkeypatch)
    yield hold
    hold.release.set()  # before the studio closes: its close waits for the read


@pytest.mark.parametrize("second", [12, 9], ids=["another-frame", "the-same-frame"])
def test_masks_painted_while_the_saved_ones_are_read_keep_both(qtbot, loaded, demo_media,  # noqa: F811
                                                              held_restore, second) -> None:
    s, w = loaded, loaded.window
    s.seek(9)
    paint(qtbot, w.viewer, 0.1, 0.1, 0.3, 0.3)
    saved = s.session.masks[9].data.copy()
    settled(qtbot, s)
    assert [p.name for p in s.masks.mask_dir().glob("*.png")] == ["9_0.png"]

    reopen(s, demo_media)  # the last session's mask is being read ...
    assert held_restore.reading.wait(5)
    s.seek(second)  # ... while the editor paints (on another frame, or on the frame being read)
    paint(qtbot, w.viewer, 0.6, 0.6, 0.8, 0.8)
    new = s.session.masks[second].data.copy()
    qtbot.waitUntil(lambda: not s.masks.save_timer.isActive(), timeout=5000)  # the save is on its way
    held_restore.release.set()
    settled(qtbot, s)
    both = {9: saved, second: new} if second != 9 else {9: np.maximum(saved, new)}
    assert s.session.painted == both.keys()  # the restored mask and the new paint, in this session ...
    assert all(np.array_equal(s.session.masks[f].data, data) for f, data in both.items())

    reopen(s, demo_media)  # ... and in the next one
    qtbot.waitUntil(lambda: s.session.painted == both.keys(), timeout=5000)
    settled(qtbot, s)
    assert w.scrubber.keyframes == both.keys()
    assert all(np.array_equal(s.session.masks[f].data, data) for f, data in both.items())

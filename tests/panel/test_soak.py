"""A long playback and scrubbing session, offscreen, as an editor leaves the panel running.

PySide6 6.12.0 on CPython 3.11 drops a reference to `None` on every Qt call that returns nothing;
after a few thousand such calls the interpreter aborts (`Fatal Python error: none_dealloc`). Short
tests never get there, so this one plays, scrubs and steps through thousands of frames with the keys
and the mouse, and watches `None`'s reference count on the way: a binding that leaks it fails here with
the cause named, long before the abort (issue 13, item 2).

The clip is small and fast (160x90 at 60 fps; faster rates have no SMPTE timecode) so the playback
timer ticks every 16 ms: thousands
of frames in seconds, through the same timer, decoder, cache and widgets an editor's session uses.
"""

from __future__ import annotations

import sys
import time

import pytest
from PySide6.QtCore import QPoint, Qt

from retakes.engine.media.synthetic import DemoScene
from tests.support.panel import wait_loaded

from .test_shortcuts import press

SOAK_FRAMES = 3000  # frames put on screen; the 6.12.0 abort came after about 2,000 void calls
FRAMES = 48
# `None`'s count moves a little as objects come and go; a leak takes at least one per Qt call, so a
# round of playback (hundreds of calls) takes it far below this.
SLACK = 400


@pytest.fixture(scope="module")
def fast_media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("soak")
    return DemoScene(160, 90, FRAMES, 60).write(folder / "fast.mov", start_timecode="01:00:00:00")


@pytest.mark.slow
def test_playing_and_scrubbing_thousands_of_frames_keeps_the_panel_alive(qtbot, studio, fast_media) -> None:
    s, w = studio, studio.window
    s.open_path(fast_media)
    wait_loaded(qtbot, s)
    w.viewer.setFocus()
    shown = []
    real_set_frame = w.viewer.set_frame

    def counting(rgb, size=None) -> None:
        shown.append(s.session.frame)
        real_set_frame(rgb, size)
    w.viewer.set_frame = counting

    def played_to_a_stop() -> None:
        qtbot.waitUntil(lambda: s.session.transport.speed == 0, timeout=10000)

    baseline = None
    rounds = 0
    started = time.monotonic()
    while len(shown) < SOAK_FRAMES:
        press(qtbot, s, "first_frame")  # Home, then L: the reproduction
        press(qtbot, s, "play_forward")
        played_to_a_stop()
        assert s.session.frame == FRAMES - 1
        press(qtbot, s, "play_reverse")  # J J: back to the start at twice the speed
        press(qtbot, s, "play_reverse")
        played_to_a_stop()
        assert s.session.frame == 0
        scrubber = w.scrubber  # drags across the scrubber and back, one position per frame
        y = scrubber.height() // 2
        qtbot.mousePress(scrubber, Qt.LeftButton, pos=QPoint(9, y))
        for f in [*range(FRAMES), *range(FRAMES - 1, -1, -1)]:
            qtbot.mouseMove(scrubber, QPoint(int(scrubber.x_of(f + 0.5)), y))
            assert s.session.frame == f
        qtbot.mouseRelease(scrubber, Qt.LeftButton, pos=QPoint(9, y))
        for _ in range(FRAMES // 2):
            press(qtbot, s, "step_forward")
        assert s.session.frame == FRAMES // 2
        qtbot.waitUntil(lambda: s.tasks.busy == 0, timeout=10000)
        rounds += 1
        now = sys.getrefcount(None)
        if baseline is None:
            baseline = now  # after one round: caches and timers are in their steady state
        assert now >= baseline - SLACK, (
            f"None's reference count fell from {baseline} to {now} after {rounds} rounds ({len(shown)} frames "
            f"shown): this Qt binding (PySide6 {__import__('PySide6').__version__}) drops a reference to None "
            f"on Qt calls that return nothing, and the interpreter will abort with none_dealloc")
    assert w.timecode.text() == s.timecode()
    assert not w.banner.isVisible(), w.banner.text.text()
    print(f"soak: {len(shown)} frames shown in {rounds} rounds, {time.monotonic() - started:.1f} s")

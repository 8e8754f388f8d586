"""Original / Edited in the viewer: the edited image attached to a frame, shown where the source is.

The edited image here is the exported frame turned upside down and colour-inverted, so every
region of the picture differs clearly from the source; the checks read the pixels the viewer
actually painted (a grab of the widget), not the state that says what it should paint.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from retakes.engine.media import FrameReader, probe
from retakes.panel.model.session import ClipSession
from tests.support.panel import H, W, wait_loaded

from .test_edited_frames import export_here, handled, load_here, rgb8
from .test_shortcuts import press


@pytest.fixture
def loaded(qtbot, studio, demo_media):
    studio.load_clip(*handled(demo_media))  # with handles: a frame number that slipped would show another frame
    wait_loaded(qtbot, studio)
    return studio


def shown(viewer) -> np.ndarray:
    """The part of the viewer's grab where the frame is drawn, as RGB, resized back to the clip's size."""
    viewer.repaint()
    image = viewer.grab().toImage().convertToFormat(QImage.Format_RGB888)
    ratio = image.devicePixelRatio()
    width, height = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    rgb = rows[:, :width * 3].reshape(height, width, 3)
    r = viewer.image_rect()
    x, y, w, h = (round(v * ratio) for v in (r.x(), r.y(), r.width(), r.height()))
    return cv2.resize(np.ascontiguousarray(rgb[y:y + h, x:x + w]), (W, H), interpolation=cv2.INTER_AREA)


def close_to(viewer, expected: np.ndarray) -> float:
    """Mean difference between the viewer's picture and `expected`, below the badges' strip."""
    below_badges = slice(H // 4, H)
    return float(np.abs(shown(viewer)[below_badges].astype(int) - expected[below_badges]).mean())


def test_session_says_what_the_viewer_shows(demo_media) -> None:
    s = ClipSession(*handled(demo_media))
    s.attach_edited(9, "/e/a.png")
    s.transport.seek(9)
    assert s.showing() == "original"  # the source until the editor asks for the edited image
    s.view = "edited"
    assert s.showing() == "edited" and s.showing(12) == "original"  # frames without one show their source
    s.remove_edited(9)
    assert s.showing() == "original"


def test_edited_image_in_the_viewer_and_back(qtbot, loaded, monkeypatch, tmp_path) -> None:
    s, w = loaded, loaded.window
    v, buttons = w.viewer, w.view_buttons
    s.seek(9)
    export_here(qtbot, s)  # what the editor does first; the edited file below is made from the decoded frame
    with FrameReader(probe(s.session.clip.media_path)) as reader:
        source = rgb8(reader.frame(9))
    edited = 255 - source[::-1]  # upside down and inverted: no region looks like the source
    path = tmp_path / "edited.png"
    cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(edited), cv2.COLOR_RGB2BGR))
    v.setFocus()
    qtbot.waitUntil(lambda: close_to(v, source) < 6, timeout=5000)
    assert close_to(v, edited) > 25  # the grab tells the two apart (the source is mostly mid-grey)
    rect = v.image_rect()

    load_here(qtbot, s, monkeypatch, path)
    qtbot.waitUntil(lambda: 9 in s.session.edited, timeout=5000)
    assert buttons["original"].isEnabled() and buttons["edited"].isEnabled()
    assert buttons["original"].isChecked() and v.badges == ["ORIGINAL", "EDITED FRAME ATTACHED"]
    assert close_to(v, source) < 6  # loading alone does not swap the picture under the editor

    qtbot.mouseClick(buttons["edited"], Qt.LeftButton)
    qtbot.waitUntil(lambda: close_to(v, edited) < 6, timeout=5000)
    assert s.session.showing() == "edited" and buttons["edited"].isChecked()
    assert v.badges == ["EDITED · edited.png"]
    assert v.image_rect() == rect and v._size == (W, H)  # same place, same mapping for the brush

    press(qtbot, s, "toggle_edited")  # and back with the key
    qtbot.waitUntil(lambda: close_to(v, source) < 6, timeout=5000)
    assert s.session.showing() == "original" and buttons["original"].isChecked()
    assert "ORIGINAL" in v.badges

    qtbot.mouseClick(buttons["edited"], Qt.LeftButton)
    qtbot.waitUntil(lambda: close_to(v, edited) < 6, timeout=5000)
    qtbot.mouseClick(buttons["original"], Qt.LeftButton)  # one click back too
    qtbot.waitUntil(lambda: close_to(v, source) < 6, timeout=5000)

    # a preview of this frame shows over either choice, as Edited; Original compares it with the source
    qtbot.mouseClick(buttons["edited"], Qt.LeftButton)
    preview = np.zeros_like(source)
    preview[..., 1] = 200
    s.jobs._preview = (s.session.key, 9, preview, 12.0)  # what a finished preview leaves (JobsController.preview)
    s.show_frame()
    qtbot.waitUntil(lambda: close_to(v, preview) < 6, timeout=5000)
    assert v.badges == ["PREVIEW · 12 ms", "EDITED FRAME ATTACHED"]
    assert buttons["edited"].isChecked() and all(b.isEnabled() for b in buttons.values())
    qtbot.mouseClick(buttons["original"], Qt.LeftButton)
    qtbot.waitUntil(lambda: close_to(v, source) < 6, timeout=5000)
    assert buttons["original"].isChecked() and "ORIGINAL" in v.badges
    press(qtbot, s, "toggle_edited")
    qtbot.waitUntil(lambda: close_to(v, preview) < 6, timeout=5000)
    s.jobs.clear_preview()
    s.show_frame()
    qtbot.waitUntil(lambda: close_to(v, edited) < 6, timeout=5000)
    assert buttons["edited"].isEnabled() and buttons["edited"].isChecked()


def test_no_toggle_on_a_frame_without_an_edited_image(qtbot, loaded, monkeypatch, tmp_path) -> None:
    s, w = loaded, loaded.window
    v, buttons = w.viewer, w.view_buttons
    assert not buttons["original"].isEnabled() and not buttons["edited"].isEnabled()  # nothing attached yet

    s.seek(9)
    load_here(qtbot, s, monkeypatch, export_here(qtbot, s))
    qtbot.waitUntil(lambda: 9 in s.session.edited, timeout=5000)
    qtbot.mouseClick(buttons["edited"], Qt.LeftButton)
    assert s.session.showing() == "edited"

    s.seek(12)  # the choice holds, but a frame without an edited image shows its source
    with FrameReader(probe(s.session.clip.media_path)) as reader:
        source = rgb8(reader.frame(12))
    qtbot.waitUntil(lambda: close_to(v, source) < 6, timeout=5000)
    assert not buttons["original"].isEnabled() and not buttons["edited"].isEnabled()
    assert not any("EDITED" in b or "ORIGINAL" in b for b in v.badges)
    v.setFocus()
    press(qtbot, s, "toggle_edited")
    assert "No edited image or preview on this frame" in w.statusBar().currentMessage()
    assert s.session.showing(9) == "edited"  # the key did nothing here

    s.seek(9)  # and coming back shows the edited image again
    assert buttons["edited"].isEnabled() and buttons["edited"].isChecked()


def test_an_edited_image_changed_on_disk_is_not_shown_misplaced(qtbot, loaded, monkeypatch, tmp_path) -> None:
    s, w = loaded, loaded.window
    s.seek(9)
    path = tmp_path / "edited.png"
    cv2.imwrite(str(path), cv2.imread(str(export_here(qtbot, s))))
    load_here(qtbot, s, monkeypatch, path)
    qtbot.waitUntil(lambda: 9 in s.session.edited, timeout=5000)
    cv2.imwrite(str(path), np.zeros((H // 2, W // 2, 3), np.uint8))  # re-saved elsewhere at another size
    qtbot.mouseClick(w.view_buttons["edited"], Qt.LeftButton)
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=5000)
    assert f"it is now {W // 2}×{H // 2}" in w.banner.text.text() and "Showing the original" in w.banner.text.text()
    assert s.session.showing() == "original" and "ORIGINAL" in w.viewer.badges


"""Done-when 3: every keyboard shortcut in `shortcuts.KEYS`, pressed on the real window."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QKeySequence

from retakes.bridge.versions import NewVersion, VersionStore
from retakes.panel.shortcuts import KEYS
from tests.support.panel import wait_loaded

from .test_end_to_end import paint


def press(qtbot, studio, name: str) -> None:
    combo = QKeySequence(KEYS[name])[0]
    qtbot.keyClick(studio.window.viewer, combo.key(), combo.keyboardModifiers())


@pytest.fixture
def loaded(qtbot, studio, demo_media):
    studio.open_path(demo_media)
    wait_loaded(qtbot, studio)
    studio.window.viewer.setFocus()
    return studio


def test_every_shortcut_is_covered_below() -> None:
    assert set(KEYS) == set(TRANSPORT) | set(MASK) | set(ENGINE) | set(COMPARE) | set(EDITED)


TRANSPORT = {
    "step_forward": lambda s, f: s.session.frame == f + 1,
    "step_back": lambda s, f: s.session.frame == f - 1,
    "step_forward_10": lambda s, f: s.session.frame == f + 10,
    "step_back_10": lambda s, f: s.session.frame == f - 10,
    "first_frame": lambda s, f: s.session.frame == 0,
    "last_frame": lambda s, f: s.session.frame == 23,
    "play_forward": lambda s, f: s.session.transport.speed == 1,
    "play_reverse": lambda s, f: s.session.transport.speed == -1,
    "play_toggle": lambda s, f: s.session.transport.speed == 1,
    "stop": lambda s, f: s.session.transport.speed == 0,
    "mark_keyframe": lambda s, f: f in s.session.keyframes and f in s.window.scrubber.keyframes,
    "mark_in": lambda s, f: (s.session.mark_in, s.session.mark_out) == (f, None),
    "mark_out": lambda s, f: (s.session.mark_in, s.session.mark_out) == (None, f + 1),
    "clear_marks": lambda s, f: (s.session.mark_in, s.session.mark_out) == (None, None),
    "goto_timecode": lambda s, f: s.window.timecode.hasFocus(),
    "zoom_fit": lambda s, f: s.window.viewer.zoom is None and s.window.zoom_label.text() == "Fit",
    "zoom_100": lambda s, f: s.window.viewer.zoom == 1.0 and s.window.zoom_label.text() == "100%",
    "zoom_200": lambda s, f: s.window.viewer.zoom == 2.0 and s.window.zoom_label.text() == "200%",
    "prev_keyframe": lambda s, f: s.session.frame == 2,
    "next_keyframe": lambda s, f: s.session.frame == 20,
}


@pytest.mark.parametrize("name", sorted(TRANSPORT))
def test_transport_keys(qtbot, loaded, name: str) -> None:
    s = loaded
    s.seek(12)
    if name in ("prev_keyframe", "next_keyframe"):
        for k in (2, 20):
            s.session.mark_keyframe(k)
    if name == "stop":
        press(qtbot, s, "play_forward")
    if name == "clear_marks":
        press(qtbot, s, "mark_in")
    if name == "zoom_fit":
        press(qtbot, s, "zoom_200")
    before = s.session.frame
    press(qtbot, s, name)
    assert TRANSPORT[name](s, before), name
    s.stop()


def test_jkl_shuttle_speeds_up_and_plays(qtbot, loaded) -> None:
    s = loaded
    s.seek(0)
    for speed in (1, 2, 4):
        press(qtbot, s, "play_forward")
        assert s.session.transport.speed == speed
    qtbot.waitUntil(lambda: s.session.frame > 4, timeout=3000)
    press(qtbot, s, "stop")
    assert s.session.transport.speed == 0
    assert s.window.timecode.text() == s.timecode()


MASK = {
    "brush": lambda s, m: s.tool == "brush" and s.window.viewer.tool == "brush",
    "eraser": lambda s, m: s.tool == "eraser",
    "lasso": lambda s, m: s.tool == "lasso",
    "brush_bigger": lambda s, m: s.masks.brush == 48 and s.window.mask_tools.size.text() == "48 px",
    "brush_smaller": lambda s, m: s.masks.brush == 24 and s.window.mask_tools.size.text() == "24 px",
    "feather_more": lambda s, m: m.feather == 1,
    "feather_less": lambda s, m: m.feather == 0,
    "invert": lambda s, m: m.data[0, 0] == 255 and m.data[90, 160] == 0,
    "clear": lambda s, m: m.empty,
    "undo": lambda s, m: m is None and s.session.keyframes == set(),  # the frame had no mask before the stroke
    "redo": lambda s, m: m.data[90, 160] == 255,
}


@pytest.mark.parametrize("name", sorted(MASK))
def test_mask_keys(qtbot, loaded, name: str) -> None:
    s = loaded
    paint(qtbot, s.window.viewer, 0.45, 0.45, 0.55, 0.55)  # over the middle of the frame (160, 90)
    if name == "feather_less":
        press(qtbot, s, "feather_more")
    if name == "redo":
        press(qtbot, s, "undo")
    press(qtbot, s, name)
    assert MASK[name](s, s.session.masks.get(s.session.frame)), name


ENGINE = ("track", "preview", "generate")


@pytest.mark.parametrize("name", ENGINE)
def test_engine_keys_say_plainly_when_there_is_no_engine(qtbot, loaded, name: str) -> None:
    press(qtbot, loaded, name)
    banner = loaded.window.banner
    assert banner.isVisible() and "engine is not connected" in banner.text.text()
    assert "Traceback" not in banner.text.text()


COMPARE = ("compare_side", "compare_wipe", "compare_difference", "compare_toggle", "compare_flip", "compare_exit")


def test_compare_keys(qtbot, loaded, settings, tmp_path) -> None:
    s = loaded
    out = tmp_path / "v1.mov"
    shutil.copy(s.session.clip.media_path, out)
    with VersionStore.open(settings.versions_root) as store:
        version = store.record(NewVersion(s.session.clip, "recolor", str(out)))
    s.versions.refresh()
    qtbot.waitUntil(lambda: len(s.versions.list) == 1, timeout=5000)
    s.versions.compare(0, version.id)
    qtbot.waitUntil(lambda: s.session.compare is not None, timeout=5000)
    for name, mode in (("compare_side", "side"), ("compare_wipe", "wipe"),
                       ("compare_difference", "difference"), ("compare_toggle", "toggle")):
        press(qtbot, s, name)
        assert s.session.compare.mode == mode
        assert s.window.compare_bar.modes[mode].isChecked()
    press(qtbot, s, "compare_flip")
    assert s.session.compare.show_right is False
    press(qtbot, s, "compare_wipe")
    press(qtbot, s, "compare_flip")
    assert (s.session.compare.left, s.session.compare.right) == (version.id, 0)
    press(qtbot, s, "compare_exit")
    assert s.session.compare is None and s.window.viewer.wipe is None


EDITED = ("toggle_edited",)


def test_edited_key_switches_original_and_edited(qtbot, loaded, tmp_path) -> None:
    s = loaded
    image = tmp_path / "edited.png"
    cv2.imwrite(str(image), np.zeros((s.session.info.height, s.session.info.width, 3), np.uint8))
    s.seek(12)
    press(qtbot, s, "toggle_edited")  # no edited image here: nothing to switch to
    assert s.session.view == "original" and "No edited image" in s.window.statusBar().currentMessage()
    s.session.attach_edited(12, str(image))
    s.show_frame()
    press(qtbot, s, "toggle_edited")
    assert s.session.showing() == "edited" and s.window.view_buttons["edited"].isChecked()
    press(qtbot, s, "toggle_edited")
    assert s.session.showing() == "original" and s.window.view_buttons["original"].isChecked()


def test_typing_in_the_prompt_is_not_taken_by_shortcuts(qtbot, loaded) -> None:
    prompt = loaded.window.edit.prompt
    prompt.setFocus()
    qtbot.keyClicks(prompt, "make jkl")
    assert prompt.text() == "make jkl"
    assert loaded.session.transport.speed == 0

"""Issue 22's rough edges, each driven as the editor met it: keys, clicks, reopening the clip."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDoubleSpinBox, QLineEdit, QSpinBox

from tests.support.panel import connect, wait_loaded

from .test_edited_frames import handled
from .test_edited_view import close_to
from .test_end_to_end import paint
from .test_shortcuts import press


def pixels(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)


@pytest.fixture
def online(qtbot, studio, engine, demo_media):
    connect(qtbot, studio, engine)
    studio.open_path(demo_media)
    wait_loaded(qtbot, studio)
    return studio


# 1. an optional number switched off reads "off", greyed, with a switch one can see, and no empty arrow boxes
def test_an_optional_setting_switched_off_reads_off(qtbot, online) -> None:
    ops = online.window.edit.ops
    assert ops.select("relight")
    control = ops.controls["temperature"]
    box, switch = control.widget, control.switch
    shown = box.findChild(QLineEdit)
    assert not switch.isChecked() and not box.isEnabled()
    assert shown.text().startswith("off") and "K" not in shown.text()  # not "1667.0 K"
    assert ops.choice().values["temperature"] is None  # and nothing is sent
    off_text = pixels(box)
    qtbot.mouseClick(switch, Qt.LeftButton, pos=QPoint(7, switch.height() // 2))  # the editor ticks it
    assert switch.isChecked() and box.isEnabled() and shown.text().endswith("K")
    assert ops.choice().values["temperature"] == box.value()
    on_text = pixels(box)
    # greyed off, bright on: the brightest text pixels differ clearly between the two states
    assert np.percentile(on_text.max(axis=2), 99.5) - np.percentile(off_text.max(axis=2), 99.5) > 60
    # the switch: its box stands out from the panel around it, on and off
    for checked in (True, False):
        switch.setChecked(checked)
        seen = pixels(switch).max(axis=2)
        assert seen.max() - seen.min() > 80, "the check box is hard to see"
    # the spin boxes' arrows are drawn (they were empty boxes): light pixels in the buttons' strip
    spin_boxes = [c.widget for c in ops.controls.values() if isinstance(c.widget, QSpinBox | QDoubleSpinBox)]
    for b in spin_boxes:
        if b.isEnabled():
            assert pixels(b)[:, -13:-3].max() > 150, f"{b} has no arrows"


# 2. a one-frame preview compared with the original, with Shift+E or the buttons
def test_a_preview_is_compared_with_the_original(qtbot, online) -> None:
    s, w = online, online.window
    v, buttons = w.viewer, w.view_buttons
    s.seek(12)
    w.edit.ops.select("relight")  # no mask: the whole frame changes, so the two differ everywhere
    w.edit.ops.set_value("exposure", 2.0)
    qtbot.waitUntil(lambda: v.has_frame, timeout=5000)
    qtbot.mouseClick(w.edit.preview, Qt.LeftButton)
    qtbot.waitUntil(lambda: s.jobs.preview_for(12) is not None, timeout=15000)
    preview = s.jobs.preview_for(12)
    source = s.frames.cached(str(s.session.info.path), 12)
    qtbot.waitUntil(lambda: close_to(v, preview) < 6, timeout=5000)
    assert buttons["edited"].isChecked() and buttons["original"].isEnabled()
    v.setFocus()
    press(qtbot, s, "toggle_edited")
    assert "No edited image" not in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: close_to(v, source) < 6, timeout=5000)
    assert buttons["original"].isChecked() and "ORIGINAL" in v.badges
    assert close_to(v, preview) > 10  # the two really differ on screen
    qtbot.mouseClick(buttons["edited"], Qt.LeftButton)
    qtbot.waitUntil(lambda: close_to(v, preview) < 6, timeout=5000)


# 3. the mask label names what applies on the frame shown, and a reopened mask brings its feather
def test_the_mask_label_follows_the_playhead_and_comes_back(qtbot, studio, demo_media) -> None:
    s, w = studio, studio.window
    s.load_clip(*handled(demo_media))
    wait_loaded(qtbot, s)
    s.seek(9)
    paint(qtbot, w.viewer, 0.4, 0.4, 0.6, 0.6)
    for _ in range(3):
        press(qtbot, s, "feather_more")  # 1, 2, 4 px
    label = w.mask_tools.status
    assert label.text().startswith("keyframe mask ·") and w.mask_tools.feather.text() == "4 px"
    s.seek(12)  # another frame: the label must not claim this frame's mask
    assert not label.text().startswith("keyframe mask ·")
    assert label.text() == "no mask here · key 01:00:00:09 (Track carries it)"
    s.session.mark_tracked(str(s.masks.mask_dir()), 9)  # what a finished Track leaves (see test_end_to_end)
    s.seek(13)
    assert label.text() == "tracked mask · key 01:00:00:09"
    qtbot.waitUntil(lambda: not s.masks.save_timer.isActive() and s.tasks.busy == 0, timeout=5000)

    s.load_clip(*handled(demo_media))  # reopened (as after a restart): the playhead is on the clip's first frame
    qtbot.waitUntil(lambda: s.session.painted == {9}, timeout=5000)
    assert label.text() == "no mask here · key 01:00:00:09 (Track carries it)"
    assert w.mask_tools.feather.text() == "4 px"
    s.seek(9)
    assert label.text().startswith("keyframe mask ·")


# 4. nothing on the side moves when a job's progress or the error banner comes and goes
def test_the_layout_holds_still(qtbot, studio, demo_media) -> None:
    s, w = studio, studio.window
    s.open_path(demo_media)
    wait_loaded(qtbot, s)

    def places() -> list[int]:
        qtbot.wait(50)
        return [x.mapTo(w, QPoint(0, 0)).y() for x in (w.tabs, w.versions.review, w.edit.generate, w.scrubber)]
    before = places()
    w.edit.show_job("recolor · rendering · 3/24 frames", 0.2, "0:04 left")
    assert places() == before
    w.banner.show_message("Could not read that frame: a long error that wraps " * 3)
    assert places() == before
    w.edit.ready.setText("To run: " + "; ".join(["set something"] * 8))
    assert places() == before
    w.edit.show_job(None)
    w.banner.hide()
    assert places() == before


# 5. reopening a clip brings back its op, prompt, settings and tracked mask
def test_reopening_a_clip_keeps_its_op_and_settings(qtbot, online, demo_media, tmp_path) -> None:
    from retakes.engine.media.synthetic import DemoScene

    other = DemoScene(160, 90, 12, 24).write(tmp_path / "other.mov", start_timecode="02:00:00:00")
    s, w = online, online.window
    ops = w.edit.ops
    assert ops.picker.currentText() != "background"  # no first op that needs a plate before it can run
    s.seek(9)
    paint(qtbot, w.viewer, 0.4, 0.4, 0.6, 0.6)
    w.edit.prompt.setText("relight for golden hour")
    assert ops.picker.currentText() == "relight"
    ops.set_value("look", "golden-hour")
    ops.set_value("exposure", 0.7)
    qtbot.mouseClick(w.edit.track, Qt.LeftButton)
    qtbot.waitUntil(lambda: s.session.tracked_is_current(), timeout=20000)
    tracked = s.session.tracked_dir
    qtbot.waitUntil(lambda: not s.edit_state.save_timer.isActive() and s.tasks.busy == 0, timeout=5000)

    s.open_path(other)  # the editor moves on to another clip, and another op there ...
    qtbot.waitUntil(lambda: s.session.clip.name == "other.mov", timeout=5000)
    ops.select("recolor")
    w.edit.prompt.setText("")
    qtbot.waitUntil(lambda: not s.edit_state.save_timer.isActive() and s.tasks.busy == 0, timeout=5000)
    s.open_path(demo_media)  # ... then comes back to the first
    qtbot.waitUntil(lambda: ops.picker.currentText() == "relight", timeout=5000)
    assert w.edit.prompt.text() == "relight for golden hour"
    assert ops.controls["look"].widget.currentText() == "golden-hour"
    assert ops.controls["exposure"].widget.value() == pytest.approx(0.7)
    qtbot.waitUntil(lambda: s.session.tracked_dir == tracked, timeout=5000)
    assert s.session.tracked_is_current()
    s.seek(15)
    assert w.mask_tools.status.text().startswith("tracked mask")


def test_a_new_panel_puts_the_settings_back_once_the_engine_answers(qtbot, qapp, engine, demo_media,
                                                                   settings) -> None:
    from retakes.panel.studio import Studio

    first = Studio(settings)
    qtbot.addWidget(first.window)
    connect(qtbot, first, engine)
    first.open_path(demo_media)
    wait_loaded(qtbot, first)
    first.window.edit.ops.select("restyle")
    first.close()

    second = Studio(settings)  # a restart: the clip opens before the engine is connected
    qtbot.addWidget(second.window)
    try:
        second.open_path(demo_media)
        wait_loaded(qtbot, second)
        connect(qtbot, second, engine)
        qtbot.waitUntil(lambda: second.window.edit.ops.picker.currentText() == "restyle", timeout=5000)
    finally:
        second.close()


# 6. the whole lineage can be read
def test_the_whole_lineage_can_be_read(qtbot, studio, demo_media, settings, tmp_path) -> None:
    import shutil

    from retakes.bridge.versions import NewVersion, VersionStore

    s, w = studio, studio.window
    s.open_path(demo_media)
    wait_loaded(qtbot, s)
    out = tmp_path / "v1.mov"
    shutil.copy(demo_media, out)
    params = {"look": "day-to-night", "temperature": 3200.0, "exposure": -0.75, "note": "a long parameter " * 4}
    with VersionStore.open(settings.versions_root) as store:
        store.record(NewVersion(s.session.clip, "relight", str(out), params))
    s.versions.refresh()
    qtbot.waitUntil(lambda: w.versions.tree.topLevelItemCount() == 1, timeout=5000)
    item = w.versions.tree.topLevelItem(0)
    whole = "from source · relight (exposure=-0.75, look=day-to-night, note=" + "a long parameter " * 4
    assert whole in item.toolTip(2)  # hovering the cell reads it whole
    assert whole in w.versions.details.text() and w.versions.details.isVisible()  # and under the table
    assert w.versions.details.wordWrap()
    assert dataclasses.is_dataclass(s.versions.list[0])

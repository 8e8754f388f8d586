"""Issue 22's additions, driven with keys, clicks and the wheel: zoom and pan with the mask tools,
In/Out and typed timecodes, the audio waveform, undo/redo of every change, export presets."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from retakes.panel.model.presets import DEFAULTS, Preset
from retakes.panel.model.waveform import frame_peaks
from tests.support.panel import FRAMES, H, W, connect, wait_loaded

from .test_shortcuts import press


@pytest.fixture
def loaded(qtbot, studio, demo_media):
    studio.open_path(demo_media)
    wait_loaded(qtbot, studio)
    studio.window.viewer.setFocus()
    return studio


def at_image(viewer, x: float, y: float) -> QPoint:
    p = viewer.to_widget(x, y)
    return QPoint(round(p.x()), round(p.y()))


def drag(qtbot, viewer, a: QPoint, b: QPoint, button=Qt.LeftButton) -> None:
    qtbot.mousePress(viewer, button, pos=a)
    for i in range(1, 7):
        qtbot.mouseMove(viewer, a + (b - a) * i / 6)
    qtbot.mouseRelease(viewer, button, pos=b)


# ---- zoom and pan
def test_zoom_keeps_the_mask_tools_on_the_right_pixels(qtbot, loaded) -> None:
    s, w = loaded, loaded.window
    v = w.viewer
    press(qtbot, s, "zoom_100")
    assert v.zoom == 1.0 and v.image_rect().width() == W  # one source pixel per screen pixel
    press(qtbot, s, "zoom_200")
    assert v.image_rect().width() == 2 * W and w.zoom_label.text() == "200%"
    # the wheel zooms about the cursor: the image point under it stays under it
    cursor = at_image(v, 100, 60)
    before = v.to_image(QPointF(cursor))
    qtbot.wait(10)
    from PySide6.QtGui import QWheelEvent

    event = QWheelEvent(QPointF(cursor), QPointF(v.mapToGlobal(cursor)), QPoint(0, 0), QPoint(0, 120),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    v.wheelEvent(event)
    assert v.zoom == pytest.approx(2.5)
    after = v.to_image(QPointF(cursor))
    assert after == pytest.approx(before, abs=0.01)
    # a middle-button drag pans: the picture follows the hand
    r0 = v.image_rect()
    drag(qtbot, v, QPoint(200, 200), QPoint(260, 170), Qt.MiddleButton)
    r1 = v.image_rect()
    assert (r1.x() - r0.x(), r1.y() - r0.y()) == pytest.approx((60, -30), abs=1)
    # the brush at this zoom paints where the cursor is, in source pixels
    s.masks.brush = 8
    drag(qtbot, v, at_image(v, 120, 80), at_image(v, 150, 80))
    mask = s.session.masks[s.session.frame].data
    assert mask[80, 120:150].all() and not mask[80 + 10, 120:150].any() and not mask[80, 160:].any()
    # and the lasso
    press(qtbot, s, "lasso")
    pts = [at_image(v, x, y) for x, y in ((40, 20), (70, 20), (70, 40), (40, 40))]
    qtbot.mousePress(v, Qt.LeftButton, pos=pts[0])
    for p in pts[1:]:
        qtbot.mouseMove(v, p)
    qtbot.mouseRelease(v, Qt.LeftButton, pos=pts[-1])
    mask = s.session.masks[s.session.frame].data
    assert mask[30, 55] == 255 and mask[30, 80] == 0
    qtbot.mouseClick(w.zoom_buttons["zoom_fit"], Qt.LeftButton)
    assert v.zoom is None and v.image_rect().width() <= v.width()


# ---- In / Out and typed timecodes
def test_in_and_out_show_on_the_scrubber_and_in_timecode(qtbot, loaded) -> None:
    s, w = loaded, loaded.window
    s.seek(5)
    press(qtbot, s, "mark_in")
    s.seek(14)
    press(qtbot, s, "mark_out")
    assert (s.session.mark_in, s.session.mark_out) == (5, 15)
    assert w.scrubber.marks == (5, 15)
    assert w.marks_label.text() == "IN 01:00:00:05  OUT 01:00:00:14 · 10 frames"
    render = s.session.render_clip()
    assert (render.source_range.start, render.source_range.end, render.handles) == (5, 15, (0, 0))
    s.seek(3)
    press(qtbot, s, "mark_out")  # an Out before In takes In away, as in an NLE
    assert (s.session.mark_in, s.session.mark_out) == (None, 4)
    press(qtbot, s, "clear_marks")
    assert w.scrubber.marks is None and w.marks_label.text() == ""

    press(qtbot, s, "goto_timecode")  # typing a timecode jumps there
    field = w.timecode
    assert field.hasFocus()
    field.selectAll()
    qtbot.keyClicks(field, "01:00:00:17")
    qtbot.keyClick(field, Qt.Key_Return)
    assert s.session.frame == 17 and field.text() == "01:00:00:17" and w.viewer.hasFocus()
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "-4")
    qtbot.keyClick(field, Qt.Key_Return)
    assert s.session.frame == 13
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "tomorrow")
    qtbot.keyClick(field, Qt.Key_Return)
    assert s.session.frame == 13 and "is not a timecode" in w.statusBar().currentMessage()
    assert field.text() == "01:00:00:13"


def test_generate_renders_from_in_to_out(qtbot, studio, engine, demo_media) -> None:
    s, w = studio, studio.window
    connect(qtbot, s, engine)
    s.open_path(demo_media)
    wait_loaded(qtbot, s)
    w.edit.ops.select("relight")
    w.edit.ops.set_value("look", "golden-hour")
    s.seek(6)
    w.viewer.setFocus()
    press(qtbot, s, "mark_in")
    s.seek(13)
    press(qtbot, s, "mark_out")
    qtbot.mouseClick(w.edit.generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(s.versions.list) == 1, timeout=30000)
    version = s.versions.list[0]
    assert (version.source_start, version.source_end, version.output_frames) == (6, 14, 8)
    with av.open(version.output_path) as c:
        assert c.streams.video[0].frames == 8
    item = w.versions.tree.topLevelItem(0)
    assert item.text(2).startswith("IN 01:00:00:06 OUT 01:00:00:13")  # the table says which part


# ---- the waveform
@pytest.fixture(scope="module")
def clap_media(tmp_path_factory):
    """24 frames at 24 fps, silent but for a loud burst heard during frame 10 (48 kHz: samples 20000..21999)."""
    path = tmp_path_factory.mktemp("clap") / "clap.mov"
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=24)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        audio = out.add_stream("pcm_s16le", rate=48000)
        audio.layout = "mono"
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(np.full((36, 64, 3), i * 8, np.uint8), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, 24)
            for packet in video.encode(frame):
                out.mux(packet)
        samples = np.zeros(48000, np.int16)
        samples[20000:22000] = 20000
        for start in range(0, 48000, 1000):
            chunk = av.AudioFrame.from_ndarray(samples[None, start:start + 1000], format="s16", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = 48000, start, Fraction(1, 48000)
            for packet in audio.encode(chunk):
                out.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                out.mux(packet)
    return path


def test_the_waveform_puts_a_sound_under_its_frame(qtbot, studio, clap_media) -> None:
    from retakes.engine.timecode import FrameRate

    peaks = frame_peaks(clap_media, FrameRate(Fraction(24)), 0, FRAMES)
    assert int(np.argmax(peaks)) == 10 and peaks[10] > 0.5
    assert peaks[9] < 0.01 and peaks[11] < 0.01
    studio.open_path(clap_media)
    wait_loaded(qtbot, studio)
    wave = studio.window.waveform
    qtbot.waitUntil(lambda: wave.peaks is not None, timeout=5000)  # computed on a worker, then shown
    assert np.array_equal(wave.peaks, peaks) and wave.first == 0
    column = wave.grab().toImage()
    x = round(studio.window.scrubber.x_of(10.5))
    lit = [column.pixelColor(x, y).green() for y in range(wave.height())]
    quiet = [column.pixelColor(round(studio.window.scrubber.x_of(4.5)), y).green() for y in range(wave.height())]
    assert sum(g > 100 for g in lit) > wave.height() // 2 > sum(g > 100 for g in quiet)


def test_a_clip_without_audio_says_so(qtbot, studio, tmp_path) -> None:
    from retakes.engine.media.synthetic import DemoScene, write_clip

    scene = DemoScene(W, H, 12, 24)
    silent = write_clip(tmp_path / "silent.mov", scene.frame, frames=12, rate=24, audio=False)
    studio.open_path(silent)
    wait_loaded(qtbot, studio)
    qtbot.waitUntil(lambda: studio.window.waveform.message == "no audio in this clip", timeout=5000)


# ---- undo / redo of every change
def test_undo_and_redo_every_kind_of_change(qtbot, studio, engine, demo_media, tmp_path) -> None:
    import cv2

    from .test_end_to_end import paint

    s, w = studio, studio.window
    connect(qtbot, s, engine)
    s.open_path(demo_media)
    wait_loaded(qtbot, s)
    v = w.viewer
    ops = w.edit.ops

    def undo() -> None:
        v.setFocus()
        press(qtbot, s, "undo")

    def redo() -> None:
        v.setFocus()
        press(qtbot, s, "redo")

    s.seek(9)
    paint(qtbot, v, 0.4, 0.4, 0.6, 0.6)  # a stroke
    v.setFocus()
    press(qtbot, s, "invert")  # a mask command
    press(qtbot, s, "feather_more")  # the feather
    s.seek(12)
    press(qtbot, s, "mark_keyframe")  # a keyframe
    press(qtbot, s, "mark_in")  # In
    ops.select("relight")  # settings
    ops.set_value("exposure", 1.5)
    image = tmp_path / "edited.png"
    cv2.imwrite(str(image), np.zeros((H, W, 3), np.uint8))
    s.edited.load_edited(str(image))  # an edited frame attached
    qtbot.waitUntil(lambda: 12 in s.session.edited, timeout=5000)

    undo()
    assert 12 not in s.session.edited and "Undid: Edited frame" in w.statusBar().currentMessage()
    undo()
    assert ops.controls["exposure"].widget.value() == 0.0
    undo()
    assert ops.picker.currentText() != "relight"
    undo()
    assert s.session.mark_in is None and w.scrubber.marks is None
    undo()
    assert 12 not in s.session.keyframes
    undo()
    assert s.masks.feather == 0 and w.mask_tools.feather.text() == "0 px"
    undo()
    assert s.session.masks[9].data[90, 160] == 255 and s.session.masks[9].data[0, 0] == 0  # not inverted
    undo()
    assert 9 not in s.session.masks and s.session.keyframes == set()
    undo()
    assert "Nothing to undo" in w.statusBar().currentMessage()

    for _ in range(8):
        redo()
    assert s.session.masks[9].data[0, 0] == 255 and s.masks.feather == 1
    assert 12 in s.session.marked and s.session.mark_in == 12
    assert ops.picker.currentText() == "relight" and ops.controls["exposure"].widget.value() == 1.5
    assert 12 in s.session.edited
    redo()
    assert "Nothing to redo" in w.statusBar().currentMessage()


# ---- export presets
def test_export_presets_are_the_editors_and_remembered(qtbot, qapp, studio, engine, demo_media, settings) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from retakes.panel.studio import Studio

    s, w = studio, studio.window
    combo = w.edit.preset
    assert [combo.itemText(i) for i in range(combo.count())] == [p.name for p in DEFAULTS]
    connect(qtbot, s, engine)
    dialog = s.export.dialog()  # Presets…, as the editor fills it in
    dialog.show()
    dialog.list.setCurrentRow(3)  # H.264 review
    qtbot.mouseClick(dialog.add, Qt.LeftButton)
    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, "Client H.264")
    assert dialog.presets[-1] == Preset("Client H.264", "h264", ".mp4")
    dialog.container.setCurrentIndex(dialog.container.findData(".mxf"))  # h264 can't go in an MXF
    ok = dialog.box.button(QDialogButtonBox.Ok)
    assert not ok.isEnabled() and "h264 can't go in .mxf" in dialog.problem.text()
    dialog.container.setCurrentIndex(dialog.container.findData(".mp4"))
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.LeftButton)
    s.export.apply(dialog.presets)
    combo.setCurrentIndex(combo.findText("Client H.264"))

    s.open_path(demo_media)  # Generate writes with the chosen preset
    wait_loaded(qtbot, s)
    w.edit.ops.select("relight")
    w.edit.ops.set_value("look", "golden-hour")
    qtbot.mouseClick(w.edit.generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(s.versions.list) == 1, timeout=30000)
    out = s.versions.list[0].output_path
    assert out.endswith(".mp4")
    with av.open(out) as c:
        assert c.streams.video[0].codec_context.name == "h264"

    again = Studio(settings)  # a restart: the list and the choice come back
    qtbot.addWidget(again.window)
    try:
        names = [again.window.edit.preset.itemText(i) for i in range(again.window.edit.preset.count())]
        assert names[-1] == "Client H.264" and again.window.edit.preset.currentText() == "Client H.264"
    finally:
        again.close()

"""Edited keyframes from the panel: export a frame, attach the edited image, carry it with propagate.

The clip here has handles (source 6..18 of a 24-frame file, 4 frames each side), so a frame
number that slipped to clip-relative or handle-relative would name another frame and fail.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from retakes.engine.media import FrameReader, probe
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.timecode import FrameRange
from retakes.panel.model import clips
from retakes.panel.model.edit import OpChoice, edit_request
from retakes.panel.model.session import ClipSession
from retakes.v1 import engine_pb2 as pb
from tests.support.panel import FRAMES, H, W, connect, wait_loaded

from .test_end_to_end import paint


def handled(demo_media):
    clip, info = clips.open_media(demo_media)
    p = clip.placement
    clip = dataclasses.replace(clip, source_range=FrameRange(6, 18), handles=(4, 4),
                               placement=dataclasses.replace(p, record=FrameRange(p.record.start + 6,
                                                                                   p.record.start + 18)))
    assert (clip.range_with_handles.start, clip.range_with_handles.end) == (2, 22)
    return clip, info


SCENE = DemoScene(W, H, FRAMES, 24)  # the scene conftest's demo media was written from


def ball(frame: int, grow: int = 0) -> np.ndarray:
    """Where the red ball is on a source frame (`grow` < 0: only its inside)."""
    mask = SCENE.mask(frame)
    kernel = np.ones((2 * abs(grow) + 1,) * 2, np.uint8)
    mask = cv2.dilate(mask, kernel) if grow > 0 else cv2.erode(mask, kernel) if grow < 0 else mask
    return mask > 127


def to_blue(path, out, frame: int) -> None:
    """What the editor does in an image editor: the red ball painted blue (R and B swapped)."""
    bgr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)  # at the exported depth (16-bit here)
    region = ball(frame, 1)
    bgr[region] = bgr[region][:, ::-1]
    cv2.imwrite(str(out), bgr)


def rgb8(rgb: np.ndarray) -> np.ndarray:
    return (rgb >> 8).astype(np.uint8) if rgb.dtype == np.uint16 else rgb


def _propagate() -> pb.OpDescriptor:
    return pb.OpDescriptor(name="propagate", mask=pb.MASK_USE_OPTIONAL, uses_keyframes=True)


def test_requests_carry_keyframes_as_source_frames(demo_media) -> None:
    clip, _ = handled(demo_media)
    request = edit_request(clip, "propagate", {}, keyframes={15: "/e/b.png", 9: "/e/a.png"})
    assert [(k.frame, k.edited.path) for k in request.keyframes] == [(9, "/e/a.png"), (15, "/e/b.png")]
    assert (request.range.frames.start, request.range.frames.end) == (2, 22)
    assert not edit_request(clip, "recolor", {}).keyframes
    # readiness: an op that uses keyframes asks for one; its mask stays optional
    assert "needs an edited frame" in OpChoice(_propagate()).problems(has_mask=False)[0]
    assert OpChoice(_propagate()).problems(has_mask=False, has_keyframes=True) == []
    recolor = pb.OpDescriptor(name="recolor", mask=pb.MASK_USE_REQUIRED)
    assert OpChoice(recolor).problems(has_mask=True) == []


def test_session_keeps_edited_frames_as_keyframes(demo_media) -> None:
    s = ClipSession(*handled(demo_media))
    s.attach_edited(9, "/e/a.png")
    s.attach_edited(9, "/e/a2.png")  # a second load on a frame replaces the first
    assert s.edited == {9: "/e/a2.png"} and 9 in s.keyframes
    s.remove_edited(9)
    assert s.edited == {} and 9 not in s.keyframes


def test_keyframe_toggle_keeps_an_edited_keyframe(demo_media) -> None:
    # The diamonds are derived from the model: a frame with an edited image is a keyframe for
    # as long as the image is attached, so ◆ can't take the diamond off while the image stays.
    s = ClipSession(*handled(demo_media))
    s.attach_edited(9, "/e/a.png")
    s.transport.seek(9)
    assert s.toggle_keyframe() == "kept"
    assert 9 in s.keyframes and s.edited == {9: "/e/a.png"}
    s.remove_edited(9)  # detaching the image takes its diamond too
    assert 9 not in s.keyframes and s.edited == {}
    assert s.toggle_keyframe() == "marked" and s.toggle_keyframe() == "removed" and 9 not in s.keyframes
    s.toggle_keyframe()  # marked by hand first: the mark outlives the image
    s.attach_edited(9, "/e/a.png")
    s.remove_edited(9)
    assert 9 in s.keyframes
    # and nothing outside the model can make the two disagree
    with pytest.raises(AttributeError):
        s.keyframes.discard(9)
    with pytest.raises(TypeError):
        s.edited[10] = "/e/b.png"


@pytest.fixture
def loaded(qtbot, studio, demo_media):
    studio.load_clip(*handled(demo_media))
    wait_loaded(qtbot, studio)
    return studio


def export_here(qtbot, studio):
    studio.edited.last_export = None
    qtbot.mouseClick(studio.window.edit.export_frame, Qt.LeftButton)
    qtbot.waitUntil(lambda: studio.edited.last_export is not None, timeout=10000)
    return studio.edited.last_export


def load_here(qtbot, studio, monkeypatch, path) -> None:
    monkeypatch.setattr(studio.edited, "ask_edited_path", lambda: str(path))
    qtbot.mouseClick(studio.window.edit.load_edited, Qt.LeftButton)


def test_export_load_refuse_and_remove(qtbot, loaded, monkeypatch, settings, tmp_path) -> None:
    s, w = loaded, loaded.window
    s.seek(9)
    exported = export_here(qtbot, s)
    assert exported.parent.parent == s.session.session_dir(settings.session_dir)
    with FrameReader(probe(s.session.clip.media_path)) as reader:
        source = reader.frame(9)
        others = [reader.frame(3), reader.frame(7)]  # clip-relative and handle-relative readings of 9
    image = cv2.imread(str(exported), cv2.IMREAD_UNCHANGED)[..., ::-1]  # full depth, as decoded
    assert image.shape == (H, W, 3) and np.array_equal(image, source)
    assert all(not np.array_equal(image, other) for other in others)

    small = tmp_path / "small.png"
    cv2.imwrite(str(small), cv2.resize(cv2.imread(str(exported)), (W // 2, H // 2)))
    load_here(qtbot, s, monkeypatch, small)
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=5000)
    text = _banner_text(w)
    assert f"expected {W}×{H}" in text and f"got {W // 2}×{H // 2}" in text
    assert s.session.edited == {} and w.edit.edited.count() == 0

    edited = tmp_path / "edited.png"
    to_blue(exported, edited, 9)
    load_here(qtbot, s, monkeypatch, edited)
    qtbot.waitUntil(lambda: 9 in s.session.edited, timeout=5000)
    assert s.session.edited[9] == str(edited.resolve())
    assert w.edit.edited.count() == 1 and w.scrubber.edited == {9} and 9 in w.scrubber.keyframes
    assert "EDITED FRAME ATTACHED" in w.viewer.badges

    s.seek(12)
    w.edit.edited.setCurrentRow(0)
    qtbot.mouseClick(w.edit.remove_edited, Qt.LeftButton)
    assert s.session.edited == {} and w.edit.edited.count() == 0 and w.scrubber.edited == set()


def _banner_text(window) -> str:
    from PySide6.QtWidgets import QLabel

    return " ".join(label.text() for label in window.banner.findChildren(QLabel))


def test_propagate_from_the_panel(qtbot, loaded, engine, monkeypatch, tmp_path) -> None:
    s, w = loaded, loaded.window
    connect(qtbot, s, engine)
    sent: list[pb.EditRequest] = []
    client = s.link.client
    for name in ("preview", "submit"):
        real = getattr(client, name)
        monkeypatch.setattr(client, name, lambda request, *a, _real=real, **k: (sent.append(request),
                                                                                 _real(request, *a, **k))[1])
    assert w.edit.ops.select("propagate")
    assert "needs an edited frame" in w.edit.ready.text() and not w.edit.generate.isEnabled()

    for frame in (9, 15):
        s.seek(frame)
        edited = tmp_path / f"edited_{frame}.png"
        to_blue(export_here(qtbot, s), edited, frame)
        load_here(qtbot, s, monkeypatch, edited)
        qtbot.waitUntil(lambda f=frame: f in s.session.edited, timeout=5000)
    qtbot.waitUntil(lambda: w.edit.generate.isEnabled(), timeout=5000)
    assert w.edit.ready.text() == ""  # no mask needed for propagate
    keys = [(9, str((tmp_path / "edited_9.png").resolve())), (15, str((tmp_path / "edited_15.png").resolve()))]

    s.seek(12)
    qtbot.mouseClick(w.edit.preview, Qt.LeftButton)
    qtbot.waitUntil(lambda: s.jobs.preview_for(12) is not None, timeout=60000)
    assert [(k.frame, k.edited.path) for k in sent[-1].keyframes] == keys
    with FrameReader(probe(s.session.clip.media_path)) as reader:
        original = {f: rgb8(reader.frame(f)) for f in (12, 19)}
    inside, preview = ball(12, -2), s.jobs.preview_for(12)
    assert original[12][inside][:, 0].mean() > original[12][inside][:, 2].mean() + 40  # red in the source
    assert preview[inside][:, 2].mean() > preview[inside][:, 0].mean() + 40  # blue in the preview

    qtbot.mouseClick(w.edit.generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(s.jobs.queue.entries) == 1, timeout=10000)
    entry = s.jobs.queue.entries[0]
    qtbot.waitUntil(lambda: entry.state in ("done", "failed"), timeout=120000)
    assert entry.state == "done", entry.message
    request = sent[-1]
    assert [(k.frame, k.edited.path) for k in request.keyframes] == keys
    assert (request.range.frames.start, request.range.frames.end) == (2, 22)
    assert entry.params["keyframes"] == [9, 15]
    out = probe(entry.output_path)
    assert out.frame_count == 20
    with FrameReader(out) as reader:
        rendered = rgb8(reader.frame(19 - 2))  # source frame 19 is output frame 17
    inside = ball(19, -2)
    assert original[19][inside][:, 0].mean() > original[19][inside][:, 2].mean() + 40
    assert rendered[inside][:, 2].mean() > rendered[inside][:, 0].mean() + 40  # the edit reached frame 19
    background = ~ball(19, 3)
    assert np.abs(rendered[background].astype(int) - original[19][background]).mean() < 8  # and nothing else

    # an op without uses_keyframes sends none, even with edited frames attached
    s.seek(12)
    paint(qtbot, w.viewer, 0.05, 0.7, 0.3, 0.8)
    assert w.edit.ops.select("recolor")
    w.edit.ops.set_value("color", "#2060ff")
    s.jobs.clear_preview()
    qtbot.mouseClick(w.edit.preview, Qt.LeftButton)
    qtbot.waitUntil(lambda: s.jobs.preview_for(12) is not None, timeout=30000)
    assert sent[-1].op == "recolor" and not sent[-1].keyframes


def test_edited_frames_come_back_with_the_clip(qtbot, loaded, demo_media, monkeypatch) -> None:
    s = loaded
    s.seek(9)
    exported = export_here(qtbot, s)
    load_here(qtbot, s, monkeypatch, exported)
    qtbot.waitUntil(lambda: 9 in s.session.edited, timeout=5000)
    qtbot.waitUntil(lambda: (s.session.session_dir(s.settings.session_dir) / "edited.json").exists(), timeout=5000)
    s.load_clip(*handled(demo_media))  # a new session of the same clip (a panel restart reads the same folder)
    assert s.session.edited == {}
    qtbot.waitUntil(lambda: s.session.edited == {9: str(exported.resolve())}, timeout=5000)
    assert s.window.scrubber.edited == {9} and s.window.edit.edited.count() == 1


def test_diamond_toggle_on_an_edited_frame_says_why_it_stays(qtbot, loaded, monkeypatch) -> None:
    s, w = loaded, loaded.window
    s.seek(9)
    load_here(qtbot, s, monkeypatch, export_here(qtbot, s))
    qtbot.waitUntil(lambda: 9 in s.session.edited, timeout=5000)
    image = s.session.edited[9]
    assert w.scrubber.keyframes == {9} and w.scrubber.edited == {9}

    qtbot.mouseClick(w.transport_buttons["mark_keyframe"], Qt.LeftButton)  # ◆ on the edited frame
    message = w.statusBar().currentMessage()
    assert "Keyframe kept at 01:00:00:09" in message and Path(image).name in message
    assert w.scrubber.keyframes == {9} and w.scrubber.edited == {9}  # the diamond stays with its image
    assert s.session.edited == {9: image} and s.jobs._keyframes(_propagate()) == {9: image}

    s.seek(12)
    qtbot.mouseClick(w.transport_buttons["mark_keyframe"], Qt.LeftButton)  # a plain keyframe toggles as before
    assert w.scrubber.keyframes == {9, 12} and "Keyframe marked" in w.statusBar().currentMessage()
    qtbot.mouseClick(w.transport_buttons["mark_keyframe"], Qt.LeftButton)
    assert w.scrubber.keyframes == {9} and "Keyframe removed" in w.statusBar().currentMessage()

    w.edit.edited.setCurrentRow(0)
    qtbot.mouseClick(w.edit.remove_edited, Qt.LeftButton)  # detaching the image takes the diamond with it
    assert s.session.edited == {} and w.scrubber.keyframes == set() and w.scrubber.edited == set()
    assert "removed, and its keyframe" in w.statusBar().currentMessage()

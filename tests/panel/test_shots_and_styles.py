"""The Shots tab (find, match, accept/correct, apply) and the Styles tab (save, list, apply), offscreen."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
from PySide6.QtCore import Qt

from retakes.engine.media import FrameReader, probe
from retakes.engine.shots import ShotPlan
from retakes.engine.vision.match import iou
from retakes.engine.vision.scenes import make_shots_scene
from tests.support.panel import connect, wait_loaded


def _write(scene, path):
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=24)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "bgr0"
        for i, frame in enumerate(scene.frames):
            f = av.VideoFrame.from_ndarray(frame, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 24)
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def test_the_shots_tab_finds_matches_and_applies(qtbot, studio, engine, tmp_path) -> None:
    scene = make_shots_scene()
    s, w = studio, studio.window
    connect(qtbot, s, engine)
    s.open_path(_write(scene, tmp_path / "three.mkv"))
    wait_loaded(qtbot, s)
    view = w.shots
    assert not view.match_button.isEnabled()  # nothing to match against before the shots are found
    qtbot.mouseClick(view.find_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.table.rowCount() == 3, timeout=20000)
    assert [view.table.item(r, 1).text() for r in range(3)] == ["0–9", "10–19", "20–29"]
    assert view.table.item(1, 2).text() == "cut"

    s.seek(5)
    qtbot.waitUntil(lambda: s.session.frame == 5, timeout=5000)
    doc = s.session.mask_here(create=True)
    doc.data = scene.masks[5].copy()
    s.masks.changed()
    qtbot.mouseClick(view.match_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.status_of(1) == "proposed", timeout=20000)
    assert [view.status_of(r) for r in range(3)] == ["reference", "proposed", "proposed"]
    plan = ShotPlan.load(s.shots.plan_path())
    assert iou(plan.read_mask(plan.shots[1]), scene.masks[plan.shots[1].frame]) > 0.9

    view.table.selectRow(1)
    qtbot.mouseClick(view.accept_button, Qt.LeftButton)
    assert view.status_of(1) == "accepted"
    view.table.selectRow(2)
    qtbot.mouseClick(view.reject_button, Qt.LeftButton)
    assert view.status_of(2) == "rejected"
    # the editor changes their mind: paints shot 2's object on frame 27 and corrects with it
    s.seek(27)
    qtbot.waitUntil(lambda: s.session.frame == 27, timeout=5000)
    doc = s.session.mask_here(create=True)
    doc.data = scene.masks[27].copy()
    s.masks.changed()
    qtbot.mouseClick(view.correct_button, Qt.LeftButton)
    assert view.status_of(2) == "corrected"
    assert ShotPlan.load(s.shots.plan_path()).shots[2].frame == 27

    view.color.setText("#20A040")
    qtbot.mouseClick(view.apply_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(s.versions.list) == 1, timeout=60000)
    out = s.versions.list[0].output_path
    with FrameReader(probe(out)) as reader:
        frame = reader.frame(25)
    inside = scene.masks[25] > 127
    src = scene.frames[25]
    assert np.abs(frame[inside].astype(int) - src[inside]).mean() > 10  # shot 2's object changed colour


def test_the_style_library_saves_lists_and_applies(qtbot, studio, engine, tmp_path) -> None:
    s, w = studio, studio.window
    connect(qtbot, s, engine)
    look = tmp_path / "dusk.jpg"
    cv2.imwrite(str(look), np.full((20, 30, 3), (40, 80, 200), np.uint8))
    s.styles.save(look, "dusk orange")
    s.styles.save(look, "night")
    assert [w.styles.items.item(i).text() for i in range(w.styles.items.count())] == ["dusk orange", "night"]
    assert (s.styles.library.folder / "dusk orange.png").is_file() and look.is_file()
    errors = []
    s.error = errors.append
    s.styles.save(look, "night")  # a clash is refused in plain words
    s.styles.save(look, "../escape")
    assert "already has a style named 'night'" in errors[0] and "style name" in errors[1]

    w.styles.items.setCurrentRow(0)
    qtbot.mouseClick(w.styles.apply_button, Qt.LeftButton)
    assert w.edit.ops.picker.currentText() == "restyle"
    choice = w.edit.ops.choice()
    assert choice.values["reference"].endswith("dusk orange.png")
    assert choice.chosen["look"] == "reference"
    w.styles.items.setCurrentRow(1)
    qtbot.mouseClick(w.styles.remove_button, Qt.LeftButton)
    assert w.styles.items.count() == 1

"""`retakes shots` as a user types it: find, match, decide, apply on a three-shot clip."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from retakes.engine.media import FrameReader, probe
from retakes.engine.vision.match import iou
from tests.support.cli import one_line_error, retakes
from tests.support.shots_media import REFERENCE_FRAME, psnr_inside, write_shots_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_shots_clip(tmp_path_factory.mktemp("shots-cli"))


def _frames(path):
    with FrameReader(probe(path)) as reader:
        return [f for _, f in reader.frames(reader.frame_range)]


def test_find_match_decide_apply(clip, tmp_path):
    plan = tmp_path / "plan.json"
    found = retakes("shots", "find", str(clip.folder), "-o", str(plan), home=tmp_path)
    assert found.returncode == 0, found.stderr
    assert "boundary at frame 10: cut" in found.stdout and "boundary at frame 20: cut" in found.stdout
    assert [(s["start"], s["end"]) for s in json.loads(plan.read_text())["shots"]] == [(0, 10), (10, 20), (20, 30)]

    matched = retakes("shots", "match", str(plan), "--mask", str(clip.mask), "--mask-frame", str(REFERENCE_FRAME),
                      home=tmp_path)
    assert matched.returncode == 0, matched.stderr
    shots = json.loads(plan.read_text())["shots"]
    assert [s["status"] for s in shots] == ["reference", "proposed", "proposed"]
    for s in shots:
        mask = cv2.imread(str(plan.parent / s["mask"]), cv2.IMREAD_GRAYSCALE)
        assert iou(mask, clip.scene.masks[s["frame"]]) > 0.9

    # the editor accepts shot 1 and corrects shot 2 with a mask of their own (here: the truth)
    assert retakes("shots", "decide", str(plan), "--shot", "1", "--accept", home=tmp_path).returncode == 0
    cv2.imwrite(str(tmp_path / "fixed.png"), clip.scene.masks[27])
    fixed = retakes("shots", "decide", str(plan), "--shot", "2", "--mask", str(tmp_path / "fixed.png"),
                    "--mask-frame", "27", home=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    listed = retakes("shots", "list", str(plan), home=tmp_path).stdout
    assert "accepted" in listed and "corrected" in listed

    out = tmp_path / "out.mkv"
    applied = retakes("shots", "apply", str(plan), "-o", str(out), "--keyframe", str(REFERENCE_FRAME),
                      "--edited", str(clip.edited), "--feather", "0", "--no-version", home=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "edited shots 0, 1, 2" in applied.stderr
    frames = _frames(out)
    assert len(frames) == 30
    for i, frame in enumerate(frames):
        outside = cv2.dilate(clip.scene.masks[i], np.ones((7, 7), np.uint8)) == 0
        assert np.array_equal(frame[outside], clip.scene.frames[i][outside])  # lossless, bit-identical outside
        assert psnr_inside(frame, clip.truth(i), clip.scene.masks[i]) > 24
    assert not out.with_suffix(".mkv.partial").exists()


def test_the_editor_corrects_the_boundaries(clip, tmp_path):
    plan = tmp_path / "plan.json"
    run = retakes("shots", "find", str(clip.folder), "-o", str(plan), "--no-cut", "20", "--cut", "25",
                  home=tmp_path)
    assert run.returncode == 0, run.stderr
    assert [(s["start"], s["begins"]) for s in json.loads(plan.read_text())["shots"]] == \
        [(0, "start"), (10, "cut"), (25, "editor")]
    bad = retakes("shots", "find", str(clip.folder), "-o", str(tmp_path / "p2.json"), "--no-cut", "12",
                  home=tmp_path)
    assert bad.returncode == 1
    assert "remove_cuts" in one_line_error(bad) and "no shot boundary at frame 12" in bad.stderr
    assert not (tmp_path / "p2.json").exists()
    again = retakes("shots", "find", str(clip.folder), "-o", str(plan), home=tmp_path)
    assert again.returncode == 1 and "exists" in one_line_error(again)


def test_apply_wants_exactly_one_edit_and_an_accepted_shot(clip, tmp_path):
    plan = tmp_path / "plan.json"
    assert retakes("shots", "find", str(clip.folder), "-o", str(plan), home=tmp_path).returncode == 0
    both = retakes("shots", "apply", str(plan), "-o", str(tmp_path / "o.mkv"), "--color", "#FF0000", "--hue", "30",
                   home=tmp_path)
    assert both.returncode == 2 and "exactly one edit" in one_line_error(both)
    none = retakes("shots", "apply", str(plan), "-o", str(tmp_path / "o.mkv"), "--color", "#FF0000",
                   "--no-version", home=tmp_path)
    assert none.returncode == 1 and "no shot of the plan" in one_line_error(none)
    assert not (tmp_path / "o.mkv").exists()
    missing = retakes("shots", "list", str(tmp_path / "nosuch.json"), home=tmp_path)
    assert missing.returncode == 1 and "PLAN.json" in one_line_error(missing)
    shot = retakes("shots", "decide", str(plan), "--shot", "7", "--accept", home=tmp_path)
    assert shot.returncode == 1 and "no shot 7" in one_line_error(shot)

"""The `shots` op on a generated clip: each shot's recolour against the truth, invariant 1 outside."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.ops.base import EditContext
from retakes.engine.ops.multishot import MultiShot
from retakes.engine.ops.recolor import Target, recolor_codes
from retakes.engine.shots import ShotPlan, plan_from, propose_masks
from retakes.engine.timecode import FrameRange
from retakes.engine.vision.match import iou
from retakes.engine.vision.scenes import ArraySource
from retakes.engine.vision.shots import detect_shots
from tests.support.shots_media import HUE, REFERENCE_FRAME, psnr_inside, write_shots_clip


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    root = tmp_path_factory.mktemp("shots")
    clip = write_shots_clip(root)
    n = len(clip.scene.frames)
    plan = plan_from(detect_shots(enumerate(clip.scene.frames), FrameRange(0, n)), clip.folder)
    plan.save(root / "plan.json")
    propose_masks(plan, clip.mask, REFERENCE_FRAME, root / "masks")
    for shot in plan.shots:
        if shot.status == "proposed":
            plan.decide(shot.index, "accepted")
    plan.save(root / "plan.json")
    return clip, root / "plan.json"


def _run(clip, plan_path, tmp_path, params=None, keyframes=None):
    frames = clip.scene.frames
    p = {"plan": str(plan_path), "color": None, "hue": None, "strength": 1.0, "feather": 0.0, **(params or {})}
    ctx = EditContext(ArraySource(frames), FrameRange(0, len(frames)), p, keyframes=keyframes or {},
                      workdir=tmp_path)
    op = MultiShot()
    op.prepare(ctx)
    return [op.render(i, f, ctx) for i, f in enumerate(frames)], op.report(ctx)


def test_proposed_masks_overlap_the_truth(planned):
    clip, plan_path = planned
    plan = ShotPlan.load(plan_path)
    for shot in plan.shots:
        assert iou(plan.read_mask(shot), clip.scene.masks[shot.frame]) > 0.9, shot


def test_an_edited_keyframe_is_carried_to_every_shot_in_its_own_light(planned, tmp_path):
    clip, plan_path = planned
    key = cv2.cvtColor(cv2.imread(str(clip.edited)), cv2.COLOR_BGR2RGB)
    out, report = _run(clip, plan_path, tmp_path, keyframes={REFERENCE_FRAME: key})
    per_shot = [np.mean([psnr_inside(out[i], clip.truth(i), clip.scene.masks[i]) for i in range(s, s + 10)])
                for s in (0, 10, 20)]
    # measured: about 41, 31, 29 dB (the darker, warmer shot 1 and the brighter, clipping shot 2 lower)
    assert min(per_shot) > 26, per_shot
    assert "edited shots 0, 1, 2" in report.notes[0]
    for i, frame in enumerate(out):  # invariant 1: outside the object (grown by the tracker's slack)
        outside = cv2.dilate(clip.scene.masks[i], np.ones((7, 7), np.uint8)) == 0
        assert np.array_equal(frame[outside], clip.scene.frames[i][outside])


def test_a_hue_rotation_follows_each_shots_light(planned, tmp_path):
    clip, plan_path = planned
    out, _ = _run(clip, plan_path, tmp_path, {"hue": HUE})
    for s, look in enumerate(clip.scene.looks):
        gain = np.float32(look.gain)
        for i in range(s * 10, s * 10 + 10):
            # the truth: the recolor op's rotation of the object seen in the reference (white) light,
            # then this shot's light
            frame = clip.scene.frames[i]
            unlit = np.rint(np.clip(frame / 255.0 / gain, 0, 1) * 255).astype(np.uint8)
            lit = np.clip(recolor_codes(unlit, Target(1.0, rotate=np.radians(HUE))) / 255.0 * gain, 0, 1)
            truth = np.rint(lit * 255).astype(np.uint8)
            assert psnr_inside(out[i], truth, clip.scene.masks[i]) > 30


def test_shots_without_an_accepted_mask_are_left_bit_identical(planned, tmp_path):
    clip, plan_path = planned
    plan = ShotPlan.load(plan_path)
    plan.decide(2, "rejected")
    plan.save(tmp_path / "plan.json")
    out, report = _run(clip, tmp_path / "plan.json", tmp_path, {"color": "#2060E0"})
    for i in range(20, 30):
        assert np.array_equal(out[i], clip.scene.frames[i])
    assert not np.array_equal(out[15], clip.scene.frames[15])
    assert "shots left as they are (no accepted mask): 2 (rejected)" in report.notes


def test_one_edit_exactly(planned, tmp_path):
    clip, plan_path = planned
    with pytest.raises(InvalidArgument, match="exactly one edit") as error:
        _run(clip, plan_path, tmp_path)
    assert error.value.field == "params.color"
    with pytest.raises(InvalidArgument, match="not both"):
        MultiShot.check_params({"color": "#FF0000", "hue": 10.0})


def test_a_plan_that_does_not_add_up_is_refused(planned, tmp_path):
    _, plan_path = planned
    text = plan_path.read_text().replace('"end": 20', '"end": 19', 1)
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(InvalidArgument, match="does not follow on") as error:
        ShotPlan.load(tmp_path / "bad.json")
    assert error.value.field.startswith("plan.shots[")
